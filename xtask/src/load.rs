//! `cargo xtask load`: registrations under load against the example homeserver, then a
//! SIGKILL in the middle of the load and a restart on the same database.
//!
//! This builds the release `homeserver` and `loadtest` binaries, starts each server on
//! `127.0.0.1:0` with `--no-rate-limit` and a fresh database under `target/load/`, and runs the
//! three phases of `loadtest` (see `loadtest/src/main.rs`), each writing a JSON report:
//!
//! 1. `load`: N registrations from C tasks, checked against the database.
//! 2. `kill`: the same load on a fresh server, which `loadtest` SIGKILLs by its pid after K 200s.
//! 3. `restart`: the server restarted on the kill phase's database; every 200 is checked whole
//!    in the database and changes its password through UIAA.
//!
//! The summary (every row and check of the three reports, and the phase times) is printed and
//! written to `target/load/summary.txt`; any failed check fails the command. Every server is
//! stopped by a guard, also on failure. The xtask does not depend on the generated crate: it
//! only builds and spawns processes.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::tools::{binary, cargo, work_dir};

/// Options of `cargo xtask load`.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// How many accounts the load phase registers (and the kill phase tries to).
    #[arg(long, default_value_t = 2000)]
    registrations: usize,
    /// How many registrations run at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// SIGKILL the server after this many 200s in the kill phase [default: half of --registrations].
    #[arg(long, value_name = "N")]
    kill_after: Option<usize>,
    /// Hash passwords with the cheapest argon2 setting (the server's `--insecure-fast-hashing`),
    /// as CI does; without it the server uses its real argon2id parameters.
    #[arg(long)]
    fast_hashing: bool,
    /// Use debug builds (what the test run already built) instead of release builds: CI does,
    /// to spend its minutes on the test rather than on an optimised build.
    #[arg(long)]
    debug_build: bool,
}

/// The server name of every server started here.
const SERVER_NAME: &str = "localhost";

/// Runs the load test.
pub fn run(workspace: &Path, args: &LoadArgs) -> anyhow::Result<()> {
    let kill_after = args.kill_after.unwrap_or(args.registrations / 2).max(1);
    if args.registrations == 0 || args.concurrency == 0 {
        bail!("--registrations and --concurrency must be at least 1");
    }
    if kill_after > args.registrations {
        bail!("--kill-after must be at most --registrations ({})", args.registrations);
    }
    let dir = work_dir(workspace, "load");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let bins = build(workspace, args, &dir)?;
    let mut timings = vec![("build".to_owned(), started.elapsed())];
    let mut summary = Summary::default();

    let phase = Instant::now();
    load_phase(&bins, args, &mut summary)?;
    timings.push(("load phase".to_owned(), phase.elapsed()));

    let phase = Instant::now();
    let (database, accounts) = kill_phase(&bins, args, kill_after, &mut summary)?;
    timings.push(("kill phase".to_owned(), phase.elapsed()));

    let phase = Instant::now();
    restart_phase(&bins, args, &database, &accounts, &mut summary)?;
    timings.push(("restart phase".to_owned(), phase.elapsed()));
    timings.push(("total".to_owned(), started.elapsed()));

    report(&dir, args, kill_after, &summary, &timings)
}

/// Builds the `homeserver` and `loadtest` binaries (release, or debug with `--debug-build`);
/// their paths, with `dir` for their files.
fn build(workspace: &Path, args: &LoadArgs, dir: &Path) -> anyhow::Result<Bins> {
    let (profile_flag, profile_dir) = if args.debug_build {
        (None, "debug")
    } else {
        (Some("--release"), "release")
    };
    let mut cargo_args = vec!["build"];
    cargo_args.extend(profile_flag);
    cargo_args.extend(["--package", "homeserver", "--package", "loadtest"]);
    cargo(workspace, &cargo_args)?;
    Ok(Bins {
        homeserver: binary(workspace, profile_dir, "homeserver"),
        loadtest: binary(workspace, profile_dir, "loadtest"),
        fast_hashing: args.fast_hashing,
        dir: dir.to_path_buf(),
    })
}

/// Phase 1: `loadtest load` against a fresh server on a fresh database.
fn load_phase(bins: &Bins, args: &LoadArgs, summary: &mut Summary) -> anyhow::Result<()> {
    let database = fresh_database(&bins.dir, "load.db")?;
    let server = bins.start("load", &database)?;
    summary.push(bins.loadtest(
        "load",
        &[
            "load",
            "--url",
            &server.url,
            "--database",
            &path_str(&database)?,
            "--registrations",
            &args.registrations.to_string(),
            "--concurrency",
            &args.concurrency.to_string(),
        ],
    )?);
    Ok(())
}

/// Phase 2: `loadtest kill`, the same load on a fresh server that `loadtest` SIGKILLs after
/// `kill_after` 200s; checks the server died of it. The database and the accounts file it
/// leaves for the restart.
fn kill_phase(
    bins: &Bins,
    args: &LoadArgs,
    kill_after: usize,
    summary: &mut Summary,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let database = fresh_database(&bins.dir, "kill.db")?;
    let accounts = bins.dir.join("kill-accounts.json");
    let _ = std::fs::remove_file(&accounts);
    let mut server = bins.start("kill", &database)?;
    let pid = server.child.id().to_string();
    summary.push(bins.loadtest(
        "kill",
        &[
            "kill",
            "--url",
            &server.url,
            "--server-pid",
            &pid,
            "--kill-after",
            &kill_after.to_string(),
            "--accounts",
            &path_str(&accounts)?,
            "--registrations",
            &args.registrations.to_string(),
            "--concurrency",
            &args.concurrency.to_string(),
        ],
    )?);
    let death = server.wait_for_exit(Duration::from_secs(10))?;
    summary.check(
        "the kill-phase server died of SIGKILL",
        death.is_some_and(|status| status.signal() == Some(9)),
        death.map_or_else(|| "still running after the load".to_owned(), |s| s.to_string()),
    );
    Ok((database, accounts))
}

/// Phase 3: `loadtest verify` against the server restarted on the kill phase's database, or a
/// failed check if the kill phase wrote no accounts.
fn restart_phase(
    bins: &Bins,
    args: &LoadArgs,
    database: &Path,
    accounts: &Path,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    if !accounts.exists() {
        summary.check(
            "the kill phase wrote its accounts",
            false,
            "no accounts file: restart skipped",
        );
        return Ok(());
    }
    let server = bins.start("restart", database)?;
    summary.push(bins.loadtest(
        "restart",
        &[
            "verify",
            "--url",
            &server.url,
            "--database",
            &path_str(database)?,
            "--accounts",
            &path_str(accounts)?,
            "--concurrency",
            &args.concurrency.to_string(),
        ],
    )?);
    Ok(())
}

/// Prints the summary and writes it to `summary.txt` in `dir`; fails if any check failed.
fn report(
    dir: &Path,
    args: &LoadArgs,
    kill_after: usize,
    summary: &Summary,
    timings: &[(String, Duration)],
) -> anyhow::Result<()> {
    let hashing = if args.fast_hashing {
        "fast (--insecure-fast-hashing)"
    } else {
        "real argon2id"
    };
    let title = format!(
        "cargo xtask load: {} registrations, {} concurrent, SIGKILL after {kill_after} 200s, password hashing {hashing}",
        args.registrations, args.concurrency
    );
    let text = summary.render(&title, timings);
    print!("{text}");
    let file = dir.join("summary.txt");
    std::fs::write(&file, &text).with_context(|| format!("writing {}", file.display()))?;
    let failed = summary.failed();
    if failed > 0 {
        bail!("the load test failed: {failed} checks failed (see {})", file.display());
    }
    Ok(())
}

/// The binaries and how to run them.
struct Bins {
    homeserver: PathBuf,
    loadtest: PathBuf,
    fast_hashing: bool,
    dir: PathBuf,
}

impl Bins {
    /// Starts the homeserver on a free loopback port with `database`, logging to
    /// `homeserver-<name>.log`; waits for its `listening on` line.
    fn start(&self, name: &str, database: &Path) -> anyhow::Result<Server> {
        let log_path = self.dir.join(format!("homeserver-{name}.log"));
        let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let mut command = Command::new(&self.homeserver);
        command
            .args([
                "--listen",
                "127.0.0.1:0",
                "--server-name",
                SERVER_NAME,
                "--no-rate-limit",
            ])
            .arg("--database")
            .arg(database)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        if self.fast_hashing {
            command.arg("--insecure-fast-hashing");
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.homeserver.display()))?;
        let stdout = child.stdout.take().context("the homeserver's stdout")?;
        let mut server = Server {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the homeserver's stdout")?;
        let Some(address) = line.trim().strip_prefix("listening on ") else {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(10).collect();
            bail!(
                "the homeserver ({name}) did not say where it listens; the end of {}:\n{}",
                log_path.display(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        };
        eprintln!(
            "homeserver ({name}) is up on {address}, pid {}, database {}",
            server.child.id(),
            database.display()
        );
        server.url = format!("http://{address}");
        Ok(server)
    }

    /// Runs `loadtest ARGS --report target/load/<phase>.json` (its stdout to
    /// `loadtest-<phase>.log`, its progress on stderr); the report, or a failed check.
    fn loadtest(&self, phase: &str, args: &[&str]) -> anyhow::Result<Outcome> {
        let report = self.dir.join(format!("{phase}.json"));
        let _ = std::fs::remove_file(&report);
        let log_path = self.dir.join(format!("loadtest-{phase}.log"));
        let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        eprintln!("loadtest: {phase} phase");
        let started = Instant::now();
        let status = Command::new(&self.loadtest)
            .args(args)
            .arg("--report")
            .arg(&report)
            .stdin(Stdio::null())
            .stdout(log)
            .status()
            .with_context(|| format!("running {}", self.loadtest.display()))?;
        eprintln!(
            "loadtest: {phase} phase done in {:.1} s ({status})",
            started.elapsed().as_secs_f64()
        );
        let Ok(text) = std::fs::read_to_string(&report) else {
            return Ok(Outcome::Failed(format!(
                "loadtest {phase} exited with {status} and wrote no report (see above)"
            )));
        };
        let value: Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", report.display()))?;
        Ok(Outcome::Report(value))
    }
}

/// A running homeserver, SIGKILLed when dropped so that none outlives a failed run.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Waits up to `timeout` for the server to exit; its status, or `None` if it still runs.
    fn wait_for_exit(&mut self, timeout: Duration) -> anyhow::Result<Option<ExitStatus>> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().context("waiting for the homeserver")? {
                return Ok(Some(status));
            }
            if started.elapsed() > timeout {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            eprintln!("stopped the homeserver (pid {})", self.child.id());
        }
        let _ = self.child.wait();
    }
}

/// What a loadtest phase left: its report, or why there is none.
enum Outcome {
    Report(Value),
    Failed(String),
}

/// The reports of the phases and the xtask's own checks.
#[derive(Default)]
struct Summary {
    reports: Vec<Value>,
    checks: Vec<(String, bool, String)>,
}

impl Summary {
    fn push(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Report(report) => self.reports.push(report),
            Outcome::Failed(why) => self.check("a loadtest phase ran to its report", false, why),
        }
    }

    fn check(&mut self, name: &str, passed: bool, detail: impl Into<String>) {
        self.checks.push((name.to_owned(), passed, detail.into()));
    }

    /// Every check of the reports and of the xtask: (phase, name, passed, detail).
    fn all_checks(&self) -> Vec<(String, String, bool, String)> {
        let mut all = Vec::new();
        for report in &self.reports {
            let phase = report["phase"].as_str().unwrap_or("?");
            for check in report["checks"].as_array().into_iter().flatten() {
                all.push((
                    phase.to_owned(),
                    check["name"].as_str().unwrap_or("?").to_owned(),
                    check["passed"].as_bool().unwrap_or(false),
                    check["detail"].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
        for (name, passed, detail) in &self.checks {
            all.push(("xtask".to_owned(), name.clone(), *passed, detail.clone()));
        }
        all
    }

    fn failed(&self) -> usize {
        self.all_checks().iter().filter(|(_, _, passed, _)| !passed).count()
    }

    /// The summary table: the phase times, every row of every phase, then every check.
    fn render(&self, title: &str, timings: &[(String, Duration)]) -> String {
        let mut rows: Vec<(String, String, String)> = timings
            .iter()
            .map(|(what, time)| ("time".to_owned(), what.clone(), format!("{:.1} s", time.as_secs_f64())))
            .collect();
        for report in &self.reports {
            let phase = report["phase"].as_str().unwrap_or("?");
            for row in report["rows"].as_array().into_iter().flatten() {
                rows.push((
                    phase.to_owned(),
                    row[0].as_str().unwrap_or("?").to_owned(),
                    row[1].as_str().unwrap_or("?").to_owned(),
                ));
            }
        }
        let phase_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max("phase".len());
        let label_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max("metric".len());
        let mut out = format!("\n{title}\n\n");
        let _ = writeln!(out, "{:<phase_width$} | {:<label_width$} | value", "phase", "metric");
        let _ = writeln!(
            out,
            "{}-+-{}-+-{}",
            "-".repeat(phase_width),
            "-".repeat(label_width),
            "-".repeat(5)
        );
        let mut previous = "";
        for (phase, label, value) in &rows {
            let shown = if phase == previous { "" } else { phase.as_str() };
            let _ = writeln!(out, "{shown:<phase_width$} | {label:<label_width$} | {value}");
            previous = phase;
        }
        let checks = self.all_checks();
        let failed = checks.iter().filter(|(_, _, passed, _)| !passed).count();
        let _ = writeln!(out, "\nchecks:");
        for (phase, name, passed, detail) in &checks {
            let verdict = if *passed { "PASS" } else { "FAIL" };
            let _ = writeln!(out, "  {verdict} [{phase}] {name}: {detail}");
        }
        let verdict = if failed == 0 {
            format!("PASSED: all {} checks", checks.len())
        } else {
            format!("FAILED: {failed} of {} checks", checks.len())
        };
        let _ = writeln!(out, "\n{verdict}");
        out
    }
}

/// `path` in `dir` with no database, WAL or shared-memory file left from an earlier run.
fn fresh_database(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let database = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.join(format!("{name}{suffix}"));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error).with_context(|| format!("removing {}", file.display())),
        }
    }
    Ok(database)
}

fn path_str(path: &Path) -> anyhow::Result<String> {
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("{} is not UTF-8", path.display()))
}
