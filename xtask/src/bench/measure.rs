//! `xtask measure [--log FILE] -- PROGRAM [ARGS...]` (hidden): runs one program and prints one
//! line with its wall time, its CPU time, its peak memory and its wait status, for the codegen
//! benchmark
//! ([`super::codegen`]).
//!
//! Why a separate process: the peak is `ru_maxrss` of the `rusage` that `wait4` returns for a
//! forked child, and a forked child's `ru_maxrss` starts at the anonymous memory of the process
//! that forked it (the kernel folds the pre-`exec` high-water mark into the child's rusage).
//! The bench driver is a long-lived process whose allocator (mimalloc) keeps freed memory
//! resident, so its children would be charged tens of MiB that are not theirs. `measure` is
//! started fresh for every run and forks right away, leaving a floor of about 1 MiB, which the
//! driver measures with `measure -- true` and reports.
//!
//! So that floor stays small:
//!
//! - `measure` is dispatched in `main` before clap and parses its few arguments with std;
//!   before the fork it allocates only its arguments, the program's argv and the log file;
//! - it keeps itself off transparent huge pages (see [`thp`]), re-executing itself once with
//!   THP off (`--restore-thp`, internal, tells the new image to turn THP back on in the child);
//! - with `--log`, the program's stdin is empty and its stdout and stderr go to FILE (created or
//!   truncated); the line is `measure`'s own stdout ([`Measurement::line`]):
//!
//! ```text
//! wall_ns=8123456 cpu_ns=9876543 maxrss_kib=9216 wait_status=0
//! ```
//!
//! The CPU time (user and system, of the program and every descendant it waited for) is what
//! the program cost the machine whatever else runs on it: on 2 cores shared with other builds
//! the wall time of a multi-threaded program moves with their load, its CPU time much less.
//!
//! It exits 0 when it measured, whatever the program's status (that is in the line), and 2
//! with a message on stderr when it could not run the program.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The subcommand's name: `xtask measure`.
pub const SUBCOMMAND: &str = "measure";
/// The option `measure` adds when it execs itself with transparent huge pages off: the child
/// turns them back on before its `exec`.
const RESTORE_THP: &str = "--restore-thp";

/// One run of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// From just before the fork to the return of `wait4`.
    pub wall: Duration,
    /// `ru_utime` + `ru_stime` of the reaped program: CPU time on every core, user and system.
    pub cpu: Duration,
    /// `ru_maxrss` of the reaped program, KiB.
    pub peak_rss_kib: u64,
    /// The raw wait status (`WIFEXITED`, `WEXITSTATUS`, ... apply).
    pub wait_status: libc::c_int,
}

impl Measurement {
    /// The line `measure` prints.
    pub fn line(&self) -> String {
        format!(
            "wall_ns={} cpu_ns={} maxrss_kib={} wait_status={}",
            self.wall.as_nanos(),
            self.cpu.as_nanos(),
            self.peak_rss_kib,
            self.wait_status
        )
    }

    /// Reads a line printed by [`Measurement::line`].
    pub fn parse(line: &str) -> anyhow::Result<Self> {
        let mut wall = None;
        let mut cpu = None;
        let mut peak = None;
        let mut status = None;
        for field in line.split_whitespace() {
            match field.split_once('=') {
                Some(("wall_ns", v)) => wall = Some(Duration::from_nanos(v.parse().context("wall_ns")?)),
                Some(("cpu_ns", v)) => cpu = Some(Duration::from_nanos(v.parse().context("cpu_ns")?)),
                Some(("maxrss_kib", v)) => peak = Some(v.parse().context("maxrss_kib")?),
                Some(("wait_status", v)) => status = Some(v.parse().context("wait_status")?),
                _ => bail!("unexpected field `{field}`"),
            }
        }
        match (wall, cpu, peak, status) {
            (Some(wall), Some(cpu), Some(peak_rss_kib), Some(wait_status)) => Ok(Self {
                wall,
                cpu,
                peak_rss_kib,
                wait_status,
            }),
            _ => bail!("a field is missing in `{line}`"),
        }
    }

    /// The program exited with status 0.
    pub fn success(&self) -> bool {
        libc::WIFEXITED(self.wait_status) && libc::WEXITSTATUS(self.wait_status) == 0
    }

    /// How the program ended, for messages.
    pub fn describe_status(&self) -> String {
        let status = self.wait_status;
        if libc::WIFEXITED(status) {
            format!("exit status {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("killed by signal {}", libc::WTERMSIG(status))
        } else {
            format!("wait status {status}")
        }
    }
}

/// Runs `program args` through `xtask measure` (the binary `xtask`), with the program's stdin
/// empty and its stdout and stderr to `log` (created or truncated): the bench driver's side.
pub fn run(xtask: &Path, log: &Path, program: &Path, args: &[OsString]) -> anyhow::Result<Measurement> {
    let output = Command::new(xtask)
        .arg(SUBCOMMAND)
        .arg("--log")
        .arg(log)
        .arg("--")
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {} {SUBCOMMAND}", xtask.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "`{} {SUBCOMMAND}` failed ({}): {}",
            xtask.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let line = stdout.lines().last().unwrap_or_default();
    Measurement::parse(line).with_context(|| format!("reading the line of `{SUBCOMMAND}`: {stdout:?}"))
}

/// Runs `xtask measure` if it is the subcommand (the first argument), else `None`.
///
/// Called first thing in `main`. The first time, with transparent huge pages on, it turns them
/// off and execs itself again with [`RESTORE_THP`] (see [`thp`]); that fresh image, whose
/// allocator never had huge pages, is the one that measures.
pub fn main_if_requested() -> Option<ExitCode> {
    if !requested() {
        return None;
    }
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    args.next(); // `measure`
    let mut args = args.peekable();
    let restore_thp = if args.peek().is_some_and(|a| a == RESTORE_THP) {
        args.next();
        true
    } else if thp::disable() {
        use std::os::unix::process::CommandExt;
        let error = std::env::current_exe()
            .map(|exe| {
                Command::new(exe)
                    .arg0(&argv0)
                    .arg(SUBCOMMAND)
                    .arg(RESTORE_THP)
                    .args(args.by_ref())
                    .exec()
            })
            .unwrap_or_else(|error| error);
        // `exec` only returns on failure.
        eprintln!("measure: could not exec itself again without huge pages: {error}");
        return Some(ExitCode::from(2));
    } else {
        false
    };
    Some(main(args, restore_thp))
}

/// Whether the first argument is [`SUBCOMMAND`].
fn requested() -> bool {
    std::env::args_os().nth(1).is_some_and(|first| first == SUBCOMMAND)
}

/// Transparent huge pages. mimalloc `madvise`s its arenas `MADV_HUGEPAGE`, so with THP in
/// `madvise` (or `always`) mode its first allocations, before `main` runs, make two 2 MiB pages
/// resident: most of this process's memory, and so of the floor (4.8 MiB with them, 1 MiB
/// without). So `measure` turns THP off for itself (`PR_SET_THP_DISABLE`, inherited by `fork`
/// and kept by `exec`) and execs itself again, so that its allocator starts without them; the
/// forked child turns THP back on before its `exec`: the program runs with the THP setting
/// `measure` was started with, as it would from a shell (and our generator, on mimalloc too,
/// gets its huge pages, which count in its peak).
mod thp {
    /// Turns THP off for this process if it was on; whether the child must turn it back on.
    #[cfg(target_os = "linux")]
    pub fn disable() -> bool {
        // SAFETY: prctl with these options only reads or sets a flag of this process.
        unsafe {
            libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 0
                && libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
        }
    }

    /// In the forked child, before `exec`: THP back on if [`disable`] turned it off.
    #[cfg(target_os = "linux")]
    pub fn restore(restore: bool) -> std::io::Result<()> {
        // SAFETY: prctl is a system call, async-signal-safe; it changes only this (child) process.
        if restore && unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn disable() -> bool {
        false
    }

    #[cfg(not(target_os = "linux"))]
    pub fn restore(_: bool) -> std::io::Result<()> {
        Ok(())
    }
}

/// The subcommand: `args` are the arguments after `measure`; `restore_thp` from [`thp::disable`].
fn main(mut args: impl Iterator<Item = OsString>, restore_thp: bool) -> ExitCode {
    let usage = "usage: xtask measure [--log FILE] -- PROGRAM [ARGS...]";
    let mut log = None;
    loop {
        match args.next() {
            Some(arg) if arg == "--" => break,
            Some(arg) if arg == "--log" => match args.next() {
                Some(file) => log = Some(file),
                None => {
                    eprintln!("{usage}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("{usage}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(program) = args.next() else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let mut command = Command::new(&program);
    command.args(args);
    if let Some(log) = &log {
        let opened = std::fs::File::create(log).and_then(|out| Ok((out.try_clone()?, out)));
        match opened {
            Ok((out, err)) => {
                command.stdin(Stdio::null()).stdout(out).stderr(err);
            }
            Err(error) => {
                eprintln!("measure: creating {}: {error}", Path::new(log).display());
                return ExitCode::from(2);
            }
        }
    }
    match spawn_and_reap(&mut command, restore_thp) {
        Ok(measurement) => {
            println!("{}", measurement.line());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("measure: running {}: {error:#}", Path::new(&program).display());
            ExitCode::from(2)
        }
    }
}

/// Forks and execs the command (std forks, rather than `posix_spawn`s, a command with a
/// `pre_exec` hook), the child first turning THP back on if `restore_thp`, and reaps it with
/// `wait4`.
///
/// Forked, because a `vfork`ed (`posix_spawn`ed) child's `ru_maxrss` is at least the whole
/// high-water mark of the process that spawned it, while a forked one's starts at its anonymous
/// memory only (copied), small in this fresh process.
pub fn spawn_and_reap(command: &mut Command, restore_thp: bool) -> anyhow::Result<Measurement> {
    use std::os::unix::process::CommandExt;
    // SAFETY: the hook makes one system call (async-signal-safe) that changes only the child,
    // and touches no state of the parent.
    unsafe {
        command.pre_exec(move || thp::restore(restore_thp));
    }
    let start = Instant::now();
    let child = command.spawn().context("spawning")?;
    let pid = libc::pid_t::try_from(child.id()).context("a process id out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is never waited on), and
        // both out-pointers point to live, writable locals of the right types.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("wait4");
        }
    }
    let wall = start.elapsed();
    // The process is reaped: dropping `Child` neither waits nor kills.
    drop(child);
    Ok(Measurement {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0), // KiB on Linux
        wait_status: status,
    })
}

/// A `timeval` of `rusage` as a duration (a negative one, which the kernel never gives, as 0).
fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.try_into().unwrap_or(0)) + Duration::from_micros(t.tv_usec.try_into().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_line_reads_back() {
        let m = Measurement {
            wall: Duration::from_nanos(8_123_456),
            cpu: Duration::from_nanos(9_876_000),
            peak_rss_kib: 9216,
            wait_status: 3 << 8,
        };
        assert_eq!(
            m.line(),
            "wall_ns=8123456 cpu_ns=9876000 maxrss_kib=9216 wait_status=768"
        );
        assert_eq!(Measurement::parse(&m.line()).unwrap(), m);
        assert!(Measurement::parse("wall_ns=1 cpu_ns=1 maxrss_kib=2").is_err());
        assert!(Measurement::parse("wall_ns=1 cpu_ns=1 maxrss_kib=2 wait_status=0 more=1").is_err());
    }

    #[test]
    fn wait4_reports_the_status() {
        let mut command = Command::new("sh");
        command.args(["-c", "exit 3"]);
        let m = spawn_and_reap(&mut command, false).unwrap();
        assert!(!m.success());
        assert_eq!(m.describe_status(), "exit status 3");
        assert!(m.peak_rss_kib > 0);
    }

    /// The xtask binary next to this test binary (`target/debug/deps/xtask-HASH` ->
    /// `target/debug/xtask`): `cargo test -p xtask` builds it for the integration tests.
    fn xtask() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        let binary = exe
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join(format!("xtask{}", std::env::consts::EXE_SUFFIX));
        assert!(
            binary.exists(),
            "{} is missing: run `cargo test -p xtask`, which builds it",
            binary.display()
        );
        binary
    }

    /// The point of `measure`: what it reports does not depend on the memory of the process
    /// that runs it. This test process holds 64 MiB: a child forked from here is charged all of
    /// it, while through `measure` the floor of `true` stays at a few MiB, and the generator's
    /// peak on the seed is well above that floor and below what this process holds.
    #[test]
    fn measured_peaks_do_not_include_the_drivers_memory() {
        let big = std::hint::black_box(vec![1_u8; 64 << 20]);
        let here = spawn_and_reap(&mut Command::new("true"), false).unwrap();
        assert!(
            here.peak_rss_kib > 64 << 10,
            "`true` forked from here: {} KiB",
            here.peak_rss_kib
        );

        let xtask = xtask();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let floor = run(&xtask, &log, Path::new("true"), &[]).unwrap();
        assert!(floor.success());
        assert!(
            floor.peak_rss_kib < 4 << 10,
            "the floor of `measure -- true`: {} KiB",
            floor.peak_rss_kib
        );

        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let args: Vec<OsString> = vec![
            "codegen".into(),
            "--spec".into(),
            workspace.join("spec/registration.yaml").into(),
            "--out".into(),
            dir.path().join("out").into(),
        ];
        let seed = run(&xtask, &log, &xtask, &args).unwrap();
        assert!(seed.success(), "{}", std::fs::read_to_string(&log).unwrap_or_default());
        assert!(
            seed.peak_rss_kib > floor.peak_rss_kib + (2 << 10),
            "the seed's peak {} KiB, the floor {} KiB",
            seed.peak_rss_kib,
            floor.peak_rss_kib
        );
        // And below what this process holds, which a fork from here would have counted.
        assert!(
            seed.peak_rss_kib < 64 << 10,
            "the seed's peak: {} KiB",
            seed.peak_rss_kib
        );

        let failed = run(&xtask, &log, Path::new("sh"), &["-c".into(), "exit 3".into()]).unwrap();
        assert_eq!(failed.describe_status(), "exit status 3");
        assert_eq!(big[12345], 1);
    }
}
