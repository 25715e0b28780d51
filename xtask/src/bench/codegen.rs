//! Codegen speed: wall time and peak memory of the release-built generator, against
//! openapi-generator on the same spec.
//!
//! What is measured is the whole process, as a person runs it: `target/release/xtask codegen`
//! (read the spec, build the model, emit, format, write the crate) and
//! `openapi-generator-cli generate -g rust-axum` (the PyPI wrapper, which starts Java on the
//! jar it ships), each as a child process:
//!
//! - each measurement is one warm-up run, not counted, then [`RUNS`] runs ([`QUICK_RUNS`] with
//!   `--quick`); the median, min and max wall time are reported;
//! - every run writes into a fresh empty folder (removed and recreated before the clock
//!   starts), so every run writes every file: a second run into the same folder would only
//!   compare and rewrite what changed, which would favour whichever tool skips unchanged files;
//! - every run goes through `target/release/xtask measure --log LOG -- PROGRAM ARGS...` (the
//!   binary just built; see [`super::measure`]), a hidden subcommand that forks and execs
//!   the program, reaps it with `wait4` and prints one line: the wall time (from just before
//!   the fork to the return of `wait4`), `ru_maxrss` and the wait status. This driver only
//!   starts `measure` and reads that line;
//! - peak memory is `ru_maxrss` of the `rusage` that `wait4` returns when it reaps the child.
//!   The kernel keeps the high-water mark until the process is reaped, so nothing races a
//!   10 ms process, whereas sampling `/proc/<pid>/status` (`VmHWM`) "just before it exits"
//!   needs a poll that can miss the end (or ptrace), and would miss the Java process entirely:
//!   the openapi-generator wrapper is a Python process that runs `java -jar`, and `ru_maxrss`
//!   of a reaped process is the largest of its own and of every descendant it waited for (the
//!   kernel folds a reaped child's peak into its parent's), so it is Java's peak there;
//! - why through `measure`: `ru_maxrss` is a maximum that also covers the child's memory
//!   *before* its `exec`, which is the memory of the process that started it. With std's
//!   default `posix_spawn` (a `vfork`) that is the parent's whole high-water mark; with `fork`
//!   it is the parent's anonymous memory, copied. This driver uses mimalloc (main.rs), which
//!   keeps freed memory resident (`malloc_trim` is glibc's and does nothing for it), so a child
//!   forked from here was charged 17 MiB before it ran a line, and more after a big
//!   allocation. `measure` is a fresh process, started for every run, that forks before it
//!   allocates more than its arguments; it also keeps its own allocator off transparent huge
//!   pages, which mimalloc asks for and which alone made its floor 4.8 MiB, while the program
//!   it runs gets the THP setting `measure` was started with. The floor it leaves, about
//!   1 MiB (as for `/usr/bin/time true`), is measured with `measure -- true` and reported
//!   ([`CodegenReport::spawn_floor_kib`]): a peak above it is the program's own;
//! - our generator allocates with mimalloc too, which `madvise`s its arenas for transparent
//!   huge pages: with THP in `madvise` or `always` mode its peak counts those 2 MiB pages
//!   (about 22 MiB on the seed here, against about 10 MiB with `MIMALLOC_ALLOW_THP=0`). That
//!   is the memory it really holds when a person runs it, so it is what is reported;
//! - the CPU time (user and system, every thread) is reported next to the wall time: the
//!   generator formats files on every core, so its wall time moves with the other builds on
//!   the machine's 2 cores, and its CPU time much less;
//! - the specs are the seed (`spec/`), synthetic specs with 1×, 10× and 100× its operations
//!   and schema files ([`super::synth`]; 1× and 10× with `--quick`), and the whole Client-Server API
//!   at v1.19 ([`WHOLE_API_CRATE`]: 72 entry files under one root, also with `--quick`).
//!   openapi-generator reads one entry file, so it is not run on the whole API.
//!
//! The project's targets: the seed in under [`SEED_TARGET_MS`] ms and at least [`RATIO_TARGET`]×
//! faster than openapi-generator (issue 6); the whole API in at most [`WHOLE_API_TARGET_MS`] ms
//! and [`WHOLE_API_TARGET_MIB`] MiB peak (issue 10). They are reported, never enforced: the
//! machine has 2 cores shared with other builds, so single numbers are noisy.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use super::{measure, synth};
use crate::tools::{binary, cargo, python_package, work_dir};

/// Counted runs per measurement (after one warm-up).
pub const RUNS: usize = 15;
/// Counted runs per measurement with `--quick`.
pub const QUICK_RUNS: usize = 3;
/// The synthetic spec sizes, in copies of the seed.
pub const SCALES: &[usize] = &[1, 10, 100];
/// The synthetic spec sizes with `--quick`.
pub const QUICK_SCALES: &[usize] = &[1, 10];
/// The pinned openapi-generator-cli (PyPI) version.
pub const OPENAPI_GENERATOR_VERSION: &str = "7.26.0";
/// The generator openapi-generator is run with.
pub const OPENAPI_GENERATOR_TARGET: &str = "rust-axum";
/// Target: the seed generates in under this many milliseconds (median wall time).
pub const SEED_TARGET_MS: f64 = 10.0;
/// Target: at least this many times faster than openapi-generator on the seed (median / median).
pub const RATIO_TARGET: f64 = 300.0;
/// The committed crate ([`generator::workspace::CRATES`]) whose spec is the whole API.
pub const WHOLE_API_CRATE: &str = "generated-client-server";
/// Target: the whole API generates in at most this many milliseconds (median wall time).
pub const WHOLE_API_TARGET_MS: f64 = 100.0;
/// Target: the whole API generates in at most this many MiB of peak memory (median).
pub const WHOLE_API_TARGET_MIB: f64 = 100.0;
/// Per-operation time at the largest size within this factor of 1× counts as linear growth.
pub const LINEAR_FACTOR: f64 = 2.0;

/// The build command of the measured binary.
const BUILD: &[&str] = &["build", "--release", "-p", "xtask"];

/// Everything the codegen benchmark measured, for printing and for BENCHMARKS.md.
#[derive(Debug, Clone)]
pub struct CodegenReport {
    /// `--quick`: fewer runs, no 100×.
    pub quick: bool,
    /// Counted runs per measurement (each after one warm-up run).
    pub runs: usize,
    /// The machine the numbers come from.
    pub machine: Machine,
    /// The commands used.
    pub commands: Commands,
    /// `ru_maxrss` of `true` spawned the same way (KiB): no peak below it can be seen.
    pub spawn_floor_kib: u64,
    /// The specs measured, seed first.
    pub specs: Vec<SpecInfo>,
    /// One row per tool and spec: ours on every spec, then openapi-generator where it ran.
    pub rows: Vec<Row>,
    /// Whether openapi-generator ran, or why not.
    pub openapi_generator: PeerStatus,
    /// openapi-generator / ours, per spec both ran on.
    pub comparisons: Vec<Comparison>,
    /// How our time per operation grows with the spec.
    pub growth: Growth,
    /// The project's targets.
    pub targets: Targets,
    /// Anything else worth knowing (config entries the synthesizer dropped, a failed peer run).
    pub notes: Vec<String>,
}

/// The machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical processors (`processor` entries of `/proc/cpuinfo`).
    pub cores: usize,
    /// `MemTotal` of `/proc/meminfo`, in KiB.
    pub memory_kib: u64,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// First line of `java -version`, if Java is there.
    pub java: Option<String>,
    /// `/proc/loadavg` (1, 5, 15 minutes) before the first measurement.
    pub load_before: String,
    /// `/proc/loadavg` after the last measurement.
    pub load_after: String,
}

/// The commands, with `SPEC` and `OUT` for what changes per row.
#[derive(Debug, Clone)]
pub struct Commands {
    /// How the measured binary is built.
    pub build: String,
    /// Our generator.
    pub ours: String,
    /// How openapi-generator is installed.
    pub openapi_generator_install: String,
    /// openapi-generator.
    pub openapi_generator: String,
    /// Where the synthetic specs come from.
    pub synth: String,
}

/// A spec measured.
#[derive(Debug, Clone)]
pub struct SpecInfo {
    /// `seed`, `1x`, `10x`, `100x`, or the whole API's version (`v1.19`).
    pub label: String,
    /// Copies of the seed (`None` for the seed itself and the whole API).
    pub scale: Option<usize>,
    /// The entry file, or the folder of entry files, relative to the workspace.
    pub entry: String,
    /// The folder `$ref`s may not leave, when it is not the entry's own (the whole API).
    pub root: Option<String>,
    /// Entry files.
    pub entry_files: usize,
    /// Operations.
    pub operations: usize,
    /// Schema files (spec files besides the entry files, under the root).
    pub schema_files: usize,
    /// Bytes of all its files (the config included).
    pub bytes: u64,
}

impl SpecInfo {
    /// openapi-generator reads one entry file, not a folder of them.
    fn single_file(&self) -> bool {
        self.entry_files == 1
    }
}

/// Which tool a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `target/release/xtask codegen`.
    Ours,
    /// `openapi-generator-cli generate -g rust-axum`.
    OpenapiGenerator,
}

impl Tool {
    /// The name printed.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::OpenapiGenerator => "openapi-generator",
        }
    }
}

/// One measurement: a tool on a spec, several runs.
#[derive(Debug, Clone)]
pub struct Row {
    /// The tool.
    pub tool: Tool,
    /// The spec's label (see [`SpecInfo::label`]).
    pub spec: String,
    /// Its operations.
    pub operations: usize,
    /// The command of the last run, paths relative to the workspace.
    #[allow(dead_code, reason = "not printed; for the BENCHMARKS.md writer")]
    pub command: String,
    /// Median, min and max wall time.
    pub wall: Spread<Duration>,
    /// Median, min and max CPU time (user and system, every thread and child).
    pub cpu: Spread<Duration>,
    /// Median, min and max peak resident memory, KiB.
    pub peak_rss_kib: Spread<u64>,
    /// Median wall time per operation.
    pub per_operation: Duration,
    /// Files the last run wrote.
    pub output_files: usize,
    /// Bytes the last run wrote.
    pub output_bytes: u64,
    /// Every counted run, in order.
    #[allow(dead_code, reason = "not printed; for the BENCHMARKS.md writer")]
    pub samples: Vec<Sample>,
}

/// One counted run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall time, spawn to reap.
    pub wall: Duration,
    /// CPU time, user and system.
    pub cpu: Duration,
    /// `ru_maxrss`, KiB.
    pub peak_rss_kib: u64,
}

/// Median, min and max of the runs.
#[derive(Debug, Clone, Copy)]
pub struct Spread<T> {
    /// The median (the mean of the two middle runs for an even count).
    pub median: T,
    /// The fastest or smallest run.
    pub min: T,
    /// The slowest or largest run.
    pub max: T,
}

/// Whether openapi-generator was measured.
#[derive(Debug, Clone)]
pub enum PeerStatus {
    /// It ran (perhaps not on every size: see the notes).
    Ran {
        /// Its version.
        version: String,
    },
    /// It was not measured.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// openapi-generator against ours on one spec.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The spec's label.
    pub spec: String,
    /// Our median wall time.
    pub ours: Duration,
    /// openapi-generator's median wall time.
    pub openapi_generator: Duration,
    /// openapi-generator's median / ours.
    pub ratio: f64,
    /// Our median time per operation.
    pub ours_per_operation: Duration,
    /// openapi-generator's median time per operation.
    pub openapi_generator_per_operation: Duration,
    /// openapi-generator's median peak memory / ours.
    pub memory_ratio: f64,
}

/// How our time per operation grows with the spec's size.
#[derive(Debug, Clone)]
pub struct Growth {
    /// Per synthetic size: label, median time per operation, and its factor over 1×.
    pub per_operation: Vec<(String, Duration, f64)>,
    /// The cost of one more operation between the two largest sizes ((t_b - t_a) / (ops_b - ops_a)),
    /// free of the fixed cost of starting a process.
    pub marginal_per_operation: Option<Duration>,
    /// The factor of the largest size over 1×.
    pub worst_factor: f64,
    /// `worst_factor` is at most [`LINEAR_FACTOR`].
    pub linear: bool,
}

/// The project's targets.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Our median on the seed.
    pub seed_median: Duration,
    /// It is under [`SEED_TARGET_MS`].
    pub seed_under_target: bool,
    /// openapi-generator / ours on the seed, if openapi-generator ran.
    pub seed_ratio: Option<f64>,
    /// The ratio is at least [`RATIO_TARGET`].
    pub ratio_met: Option<bool>,
    /// The whole API's row: label, median wall time, median CPU time, median peak (KiB).
    pub whole_api: Option<(String, Duration, Duration, u64)>,
}

/// Runs the codegen benchmark.
pub fn run(workspace: &Path, quick: bool) -> anyhow::Result<CodegenReport> {
    let runs = if quick { QUICK_RUNS } else { RUNS };
    let scales = if quick { QUICK_SCALES } else { SCALES };
    let bench = work_dir(workspace, "bench");

    eprintln!("codegen bench: cargo {}", BUILD.join(" "));
    cargo(workspace, BUILD)?;
    let binary = binary(workspace, "release", "xtask");

    let mut notes = Vec::new();
    let specs = specs(workspace, &bench, scales, &mut notes)?;
    let peer = peer(&bench, quick, &mut notes)?;
    let floor_log = bench.join("logs/floor.log");
    std::fs::create_dir_all(bench.join("logs")).context("creating the bench's log folder")?;
    let spawn_floor = measure::run(&binary, &floor_log, Path::new("true"), &[])
        .context("running `xtask measure -- true` for the memory floor")?;
    let load_before = load_average();
    let mut rows = measure_ours(workspace, &bench, &binary, &specs, runs)?;
    if let Some(peer) = &peer {
        rows.extend(measure_peer(workspace, &bench, &binary, peer, &specs, runs, &mut notes));
    }
    let load_after = load_average();
    let openapi_generator = peer_status(peer.as_ref(), &rows, &notes);

    let comparisons = compare(&rows);
    let growth = growth(&rows, &specs);
    let targets = targets(&rows, &specs, &comparisons)?;
    let machine = machine(peer.is_some(), load_before, load_after);
    let commands = commands(workspace, &bench, &binary);
    Ok(CodegenReport {
        quick,
        runs,
        machine,
        commands,
        spawn_floor_kib: spawn_floor.peak_rss_kib,
        specs,
        rows,
        openapi_generator,
        comparisons,
        growth,
        targets,
        notes,
    })
}

/// The seed, then the synthetic specs of `scales` written under `bench`; notes the config
/// entries the synthesizer dropped.
fn specs(workspace: &Path, bench: &Path, scales: &[usize], notes: &mut Vec<String>) -> anyhow::Result<Vec<SpecInfo>> {
    let seed_entry = workspace.join("spec/registration.yaml");
    let mut specs = vec![seed_info(workspace, &seed_entry)?];
    for &scale in scales {
        let dir = bench.join(format!("specs/scale-{scale}"));
        let spec = synth::write_scaled(&seed_entry, &dir, scale)
            .with_context(|| format!("writing the {scale}x synthetic spec"))?;
        for dropped in &spec.dropped {
            notes.push(format!("{scale}x: dropped from codegen.toml: {dropped}"));
        }
        specs.push(SpecInfo {
            label: format!("{scale}x"),
            scale: Some(scale),
            entry: display(workspace, &spec.entry),
            root: None,
            entry_files: 1,
            operations: spec.operations,
            schema_files: spec.schema_files,
            bytes: spec.bytes,
        });
    }
    specs.push(whole_api_info(workspace)?);
    Ok(specs)
}

/// The whole API: its operations from the generator's model, its files from its root.
fn whole_api_info(workspace: &Path) -> anyhow::Result<SpecInfo> {
    let krate = generator::workspace::CRATES
        .iter()
        .find(|c| c.out == WHOLE_API_CRATE)
        .with_context(|| format!("{WHOLE_API_CRATE} is not a committed generated crate"))?;
    let options = krate.options(workspace);
    let api = generator::build_model(&options).map_err(|e| anyhow::anyhow!("the whole API does not build: {e}"))?;
    let root = options.spec_root();
    let entry = options.specs.first().context("the whole API has no entry folder")?;
    // The generator's rule: the YAML and JSON files of the folder with `paths` are entry files.
    let mut entries = Vec::new();
    for item in std::fs::read_dir(entry).with_context(|| format!("reading {}", entry.display()))? {
        let file = item.with_context(|| format!("reading {}", entry.display()))?.path();
        let text = if is_spec_file(&file) {
            std::fs::read_to_string(&file).unwrap_or_default()
        } else {
            String::new()
        };
        if text
            .lines()
            .any(|l| l.starts_with("paths:") || l.trim_start().starts_with("\"paths\""))
        {
            entries.push(file);
        }
    }
    let (schema_files, bytes) = spec_size(&root, &entries)?;
    let entry_files = entries.len();
    let label = root
        .file_name()
        .map_or_else(|| "whole".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(SpecInfo {
        label,
        scale: None,
        entry: display(workspace, entry),
        root: Some(display(workspace, &root)),
        entry_files,
        operations: api.operations.len(),
        schema_files,
        bytes,
    })
}

/// The spec files under `root` that the entry files reach through `$ref`s (the entry files
/// themselves left out), and the bytes of all of them, the entry files and the config next to
/// the first entry file included.
fn spec_size(root: &Path, entries: &[PathBuf]) -> anyhow::Result<(usize, u64)> {
    let size = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut reached = std::collections::BTreeSet::new();
    let mut bytes = 0;
    for entry in entries {
        reached.extend(synth::reached_files(root, entry)?);
        bytes += size(entry);
    }
    for entry in entries {
        if let Ok(rel) = entry.strip_prefix(root) {
            reached.remove(&rel.to_string_lossy().replace('\\', "/"));
        }
    }
    bytes += reached.iter().map(|rel| size(&root.join(rel))).sum::<u64>();
    let config = entries
        .first()
        .and_then(|e| e.parent())
        .map(|d| d.join(generator::CONFIG_FILE));
    bytes += config.map_or(0, |c| size(&c));
    Ok((reached.len(), bytes))
}

/// A YAML or JSON file.
fn is_spec_file(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// openapi-generator, installed in `bench/venv`; with `quick`, `None` and a note when it is not
/// available, else the error.
fn peer(bench: &Path, quick: bool, notes: &mut Vec<String>) -> anyhow::Result<Option<Peer>> {
    match (openapi_generator(&bench.join("venv")), quick) {
        (Ok(peer), _) => Ok(Some(peer)),
        (Err(why), true) => {
            notes.push(format!("openapi-generator skipped: {why:#}"));
            Ok(None)
        }
        (Err(why), false) => Err(why.context("openapi-generator is needed for the comparison (`--quick` skips it)")),
    }
}

/// Our generator's row on every spec.
fn measure_ours(
    workspace: &Path,
    bench: &Path,
    binary: &Path,
    specs: &[SpecInfo],
    runs: usize,
) -> anyhow::Result<Vec<Row>> {
    let rel = |path: &Path| display(workspace, path);
    let mut rows = Vec::new();
    for spec in specs {
        let out = bench.join(format!("out/ours-{}", spec.label));
        let entry = workspace.join(&spec.entry);
        let mut args: Vec<OsString> = vec!["codegen".into(), "--spec".into(), entry.into()];
        let mut shown = format!("{} codegen --spec {}", rel(binary), spec.entry);
        if let Some(root) = &spec.root {
            args.extend(["--root".into(), workspace.join(root).into()]);
            shown.push_str(&format!(" --root {root}"));
        }
        args.extend(["--out".into(), out.clone().into()]);
        shown.push_str(&format!(" --out {}", rel(&out)));
        eprintln!("codegen bench: {shown} ({runs} runs)");
        let log = bench.join(format!("logs/ours-{}.log", spec.label));
        let measured = Measured {
            xtask: binary,
            program: binary,
            args: &args,
            shown,
        };
        let row = measure(Tool::Ours, spec, measured, &out, &log, runs)?;
        rows.push(row);
    }
    Ok(rows)
}

/// openapi-generator's rows: the seed (it is what 1x holds too), then the larger sizes while
/// it succeeds; its first failure is noted and ends the rows.
fn measure_peer(
    workspace: &Path,
    bench: &Path,
    xtask: &Path,
    peer: &Peer,
    specs: &[SpecInfo],
    runs: usize,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    let rel = |path: &Path| display(workspace, path);
    let mut rows = Vec::new();
    let sizes = specs
        .iter()
        .filter(|s| s.single_file() && s.scale.is_none_or(|n| n > 1));
    for spec in sizes {
        let out = bench.join(format!("og-out/{}", spec.label));
        let entry = workspace.join(&spec.entry);
        let args: Vec<OsString> = vec![
            "generate".into(),
            "-i".into(),
            entry.into(),
            "-g".into(),
            OPENAPI_GENERATOR_TARGET.into(),
            "-o".into(),
            out.clone().into(),
        ];
        let shown = format!(
            "{} generate -i {} -g {OPENAPI_GENERATOR_TARGET} -o {}",
            rel(&peer.executable),
            spec.entry,
            rel(&out)
        );
        eprintln!("codegen bench: {shown} ({runs} runs)");
        let log = bench.join(format!("logs/openapi-generator-{}.log", spec.label));
        let measured = Measured {
            xtask,
            program: &peer.executable,
            args: &args,
            shown,
        };
        match measure(Tool::OpenapiGenerator, spec, measured, &out, &log, runs) {
            Ok(row) => rows.push(row),
            Err(why) => {
                notes.push(format!("openapi-generator failed on {}: {why:#}", spec.label));
                break;
            }
        }
    }
    rows
}

/// Whether openapi-generator ran; if not, the note that says why.
fn peer_status(peer: Option<&Peer>, rows: &[Row], notes: &[String]) -> PeerStatus {
    let peer_ran = rows.iter().any(|r| r.tool == Tool::OpenapiGenerator);
    match peer {
        Some(peer) if peer_ran => PeerStatus::Ran {
            version: peer.version.clone(),
        },
        _ => PeerStatus::Skipped {
            reason: notes
                .iter()
                .find(|n| n.starts_with("openapi-generator"))
                .cloned()
                .unwrap_or_default(),
        },
    }
}

/// The commands, paths relative to the workspace.
fn commands(workspace: &Path, bench: &Path, binary: &Path) -> Commands {
    let rel = |path: &Path| display(workspace, path);
    Commands {
        build: format!("cargo {}", BUILD.join(" ")),
        ours: format!("{} codegen --spec SPEC [--root ROOT] --out OUT", rel(binary)),
        openapi_generator_install: format!(
            "python3 -m venv {venv} && {venv}/bin/python -m pip install openapi-generator-cli=={OPENAPI_GENERATOR_VERSION}",
            venv = rel(&bench.join("venv"))
        ),
        openapi_generator: format!(
            "{} generate -i SPEC -g {OPENAPI_GENERATOR_TARGET} -o OUT",
            rel(&bench.join("venv/bin/openapi-generator-cli"))
        ),
        synth: format!(
            "xtask/src/bench/synth.rs: N copies of spec/ into {}/scale-N/",
            rel(&bench.join("specs"))
        ),
    }
}

impl CodegenReport {
    /// The report as printed lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.setup_lines();
        lines.push(String::new());
        lines.extend(self.table_lines());
        lines.push(String::new());
        lines.extend(self.comparison_lines());
        lines.extend(self.growth_lines());
        lines.extend(self.target_lines());
        for note in &self.notes {
            lines.push(format!("note: {note}"));
        }
        lines
    }

    /// How the numbers were taken: runs, machine, commands, memory floor.
    fn setup_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let m = &self.machine;
        lines.push(format!(
            "codegen speed ({}): {} runs per row after 1 warm-up, each into a fresh empty folder; median [min - max]",
            if self.quick { "quick" } else { "full" },
            self.runs
        ));
        lines.push(format!(
            "machine: {}, {} cores, {:.1} GiB, Linux {}, {}, {}",
            m.cpu,
            m.cores,
            m.memory_kib as f64 / 1024.0 / 1024.0,
            m.kernel,
            m.rustc,
            m.java.as_deref().unwrap_or("no Java")
        ));
        lines.push(format!(
            "load average before {} / after {}: the cores are shared with other builds, so the numbers are noisy",
            m.load_before, m.load_after
        ));
        lines.push(format!("build: {}", self.commands.build));
        lines.push(format!("ours: {}", self.commands.ours));
        match &self.openapi_generator {
            PeerStatus::Ran { version } => {
                lines.push(format!(
                    "openapi-generator {version}: {}",
                    self.commands.openapi_generator
                ));
                lines.push(format!("  installed with: {}", self.commands.openapi_generator_install));
            }
            PeerStatus::Skipped { reason } => lines.push(reason.clone()),
        }
        lines.push(format!("specs: {}", self.commands.synth));
        for spec in self.specs.iter().filter(|s| !s.single_file()) {
            lines.push(format!(
                "  {}: the whole API, {} entry files in {} (root {}), as `cargo xtask codegen` makes {WHOLE_API_CRATE}/; openapi-generator reads one entry file, so it has no row",
                spec.label,
                spec.entry_files,
                spec.entry,
                spec.root.as_deref().unwrap_or(&spec.entry)
            ));
        }
        lines.push("cpu ms: user and system time of every thread (median); wall ms is what a person waits".to_owned());
        lines.push(format!(
            "peak memory: ru_maxrss from wait4 of a child forked by a fresh `{}`; floor ({}) {:.1} MiB, every peak above it is exact",
            "xtask measure",
            "`xtask measure -- true`",
            self.spawn_floor_kib as f64 / 1024.0
        ));
        lines
    }

    /// The table: a header, then one line per row.
    fn table_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{:<18} {:>5} {:>6} {:>7} {:>8} {:>28} {:>9} {:>11} {:>9} {:>6} {:>9}",
            "tool",
            "spec",
            "ops",
            "schemas",
            "spec KiB",
            "wall ms",
            "cpu ms",
            "per op ms",
            "peak MiB",
            "files",
            "out KiB"
        )];
        for row in &self.rows {
            let spec = self.specs.iter().find(|s| s.label == row.spec);
            lines.push(format!(
                "{:<18} {:>5} {:>6} {:>7} {:>8.1} {:>28} {:>9.1} {:>11.4} {:>9.1} {:>6} {:>9.1}",
                row.tool.name(),
                row.spec,
                row.operations,
                spec.map_or(0, |s| s.schema_files),
                spec.map_or(0, |s| s.bytes) as f64 / 1024.0,
                format!(
                    "{:.2} [{:.2} - {:.2}]",
                    ms(row.wall.median),
                    ms(row.wall.min),
                    ms(row.wall.max)
                ),
                ms(row.cpu.median),
                ms(row.per_operation),
                row.peak_rss_kib.median as f64 / 1024.0,
                row.output_files,
                row.output_bytes as f64 / 1024.0
            ));
        }
        lines
    }

    /// openapi-generator against ours, one line per spec both ran on.
    fn comparison_lines(&self) -> Vec<String> {
        self.comparisons
            .iter()
            .map(|c| {
                format!(
                    "openapi-generator / ours on {}: {:.0}x the wall time ({:.1} ms vs {:.2} ms; per operation {:.2} ms vs {:.4} ms), {:.1}x the peak memory",
                    c.spec,
                    c.ratio,
                    ms(c.openapi_generator),
                    ms(c.ours),
                    ms(c.openapi_generator_per_operation),
                    ms(c.ours_per_operation),
                    c.memory_ratio
                )
            })
            .collect()
    }

    /// How our time per operation grows with the spec.
    fn growth_lines(&self) -> Vec<String> {
        let g = &self.growth;
        let steps: Vec<String> = g
            .per_operation
            .iter()
            .map(|(label, per_op, factor)| format!("{label} {:.4} ms ({factor:.2}x)", ms(*per_op)))
            .collect();
        let mut lines = vec![format!(
            "ours, time per operation by size (factor over 1x): {}",
            steps.join(", ")
        )];
        if let Some(marginal) = g.marginal_per_operation {
            lines.push(format!(
                "ours, cost of one more operation between the two largest sizes: {:.4} ms",
                ms(marginal)
            ));
        }
        lines.push(format!(
            "growth: {} (largest size {:.2}x the per-operation time of 1x; linear means at most {LINEAR_FACTOR}x)",
            if g.linear { "linear" } else { "NOT linear" },
            g.worst_factor
        ));
        lines
    }

    /// The project's targets, met or not.
    fn target_lines(&self) -> Vec<String> {
        let t = &self.targets;
        let mut lines = vec![
            format!(
                "target: seed under {SEED_TARGET_MS} ms: {} ({:.2} ms)",
                met(t.seed_under_target),
                ms(t.seed_median)
            ),
            match (t.seed_ratio, t.ratio_met) {
                (Some(ratio), Some(ok)) => format!(
                    "target: at least {RATIO_TARGET}x faster than openapi-generator on the seed: {} ({ratio:.0}x)",
                    met(ok)
                ),
                _ => {
                    format!("target: at least {RATIO_TARGET}x faster than openapi-generator on the seed: not measured")
                }
            },
        ];
        lines.extend(self.whole_api_lines());
        lines
    }

    /// The whole API's targets, and its time per operation next to the synthetic specs'.
    fn whole_api_lines(&self) -> Vec<String> {
        let Some((label, wall, cpu, peak_kib)) = &self.targets.whole_api else {
            return vec!["target: the whole API: not measured".to_owned()];
        };
        let peak_mib = *peak_kib as f64 / 1024.0;
        let mut lines = vec![
            format!(
                "target: whole {label} API in at most {WHOLE_API_TARGET_MS} ms: {} ({:.1} ms wall, {:.1} ms cpu)",
                met(ms(*wall) <= WHOLE_API_TARGET_MS),
                ms(*wall),
                ms(*cpu)
            ),
            format!(
                "target: whole {label} API in at most {WHOLE_API_TARGET_MIB} MiB peak: {} ({peak_mib:.1} MiB)",
                met(peak_mib <= WHOLE_API_TARGET_MIB)
            ),
        ];
        let ours = |spec: &str| self.rows.iter().find(|r| r.tool == Tool::Ours && r.spec == spec);
        let largest = self.growth.per_operation.last().and_then(|(spec, _, _)| ours(spec));
        if let (Some(whole), Some(largest)) = (ours(label), largest) {
            lines.push(format!(
                "ours on {label}: {:.4} ms per operation, {:.2}x the {:.4} ms of {} (the rate of {} would make {:.0} ms)",
                ms(whole.per_operation),
                whole.per_operation.as_secs_f64() / largest.per_operation.as_secs_f64().max(f64::MIN_POSITIVE),
                ms(largest.per_operation),
                largest.spec,
                largest.spec,
                ms(largest.per_operation) * whole.operations as f64
            ));
        }
        lines
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The seed's size.
fn seed_info(workspace: &Path, entry: &Path) -> anyhow::Result<SpecInfo> {
    let root = entry.parent().context("the seed has no folder")?;
    let text = std::fs::read_to_string(entry).with_context(|| format!("reading {}", entry.display()))?;
    let value = generator::load::parse_yaml(&text, "registration.yaml").map_err(|e| anyhow::anyhow!("{e}"))?;
    let paths = value.get("paths").and_then(|p| p.as_object());
    let mut operations = 0;
    for item in paths.into_iter().flat_map(|p| p.values()) {
        let methods = item.as_object().into_iter().flat_map(|m| m.keys());
        operations += methods
            .filter(|m| {
                matches!(
                    m.as_str(),
                    "get" | "put" | "post" | "delete" | "options" | "head" | "patch"
                )
            })
            .count();
    }
    let (schema_files, bytes) = spec_size(root, &[entry.to_owned()])?;
    Ok(SpecInfo {
        label: "seed".to_owned(),
        scale: None,
        entry: display(workspace, entry),
        root: None,
        entry_files: 1,
        operations,
        schema_files,
        bytes,
    })
}

/// A command to measure, run through `xtask measure`.
struct Measured<'a> {
    /// The release xtask whose `measure` runs the command.
    xtask: &'a Path,
    /// The program.
    program: &'a Path,
    /// Its arguments.
    args: &'a [OsString],
    /// The command as printed, paths relative to the workspace.
    shown: String,
}

/// Runs the command through `xtask measure` once to warm up, then `runs` times, each into a
/// fresh empty `out`, with stdout and stderr to `log`.
fn measure(
    tool: Tool,
    spec: &SpecInfo,
    command: Measured<'_>,
    out: &Path,
    log: &Path,
    runs: usize,
) -> anyhow::Result<Row> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let shown = command.shown;
    let mut samples = Vec::with_capacity(runs);
    for run in 0..=runs {
        fresh_folder(out)?;
        let measured = measure::run(command.xtask, log, command.program, command.args)
            .with_context(|| format!("running {shown}"))?;
        if !measured.success() {
            bail!(
                "`{shown}` failed ({}); the end of its output ({}):\n{}",
                measured.describe_status(),
                log.display(),
                tail(log, 15)
            );
        }
        if run > 0 {
            samples.push(Sample {
                wall: measured.wall,
                cpu: measured.cpu,
                peak_rss_kib: measured.peak_rss_kib,
            });
        }
    }
    let (output_files, output_bytes) = files(out)?.iter().fold((0, 0), |(n, b), f| {
        (n + 1, b + std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
    });
    let wall = spread(samples.iter().map(|s| s.wall).collect(), |a, b| (a + b) / 2)?;
    let cpu = spread(samples.iter().map(|s| s.cpu).collect(), |a, b| (a + b) / 2)?;
    let peak_rss_kib = spread(samples.iter().map(|s| s.peak_rss_kib).collect(), |a, b| (a + b) / 2)?;
    let per_operation = wall.median / u32::try_from(spec.operations.max(1)).unwrap_or(u32::MAX);
    Ok(Row {
        tool,
        spec: spec.label.clone(),
        operations: spec.operations,
        command: shown,
        wall,
        cpu,
        peak_rss_kib,
        per_operation,
        output_files,
        output_bytes,
        samples,
    })
}

/// The last `n` lines of a file.
fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Median, min and max; `mean2` averages the two middle values of an even count.
fn spread<T: Copy + Ord>(mut values: Vec<T>, mean2: impl Fn(T, T) -> T) -> anyhow::Result<Spread<T>> {
    values.sort_unstable();
    let (Some(&min), Some(&max)) = (values.first(), values.last()) else {
        bail!("no runs to summarize");
    };
    let mid = values.len() / 2;
    let median = if values.len() % 2 == 1 {
        values[mid]
    } else {
        mean2(values[mid - 1], values[mid])
    };
    Ok(Spread { median, min, max })
}

/// Removes `dir` and creates it empty.
fn fresh_folder(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Every file under `dir`.
fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for item in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = item.with_context(|| format!("reading {}", dir.display()))?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    Ok(found)
}

/// openapi-generator ready to run.
struct Peer {
    executable: PathBuf,
    version: String,
}

/// Java, and openapi-generator-cli at the pinned version in the venv (installed if missing).
fn openapi_generator(venv: &Path) -> anyhow::Result<Peer> {
    java_version().context("Java is not available (`java -version` failed)")?;
    let requirement = format!("openapi-generator-cli=={OPENAPI_GENERATOR_VERSION}");
    let bin = python_package(venv, "openapi-generator-cli", &requirement, |version| {
        version == OPENAPI_GENERATOR_VERSION
    })?;
    let executable = bin.join("openapi-generator-cli");
    Ok(Peer {
        executable,
        version: OPENAPI_GENERATOR_VERSION.to_owned(),
    })
}

/// The first line of `java -version` (printed on stderr).
fn java_version() -> Option<String> {
    let out = Command::new("java")
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stderr).lines().next().map(str::to_owned)
}

fn compare(rows: &[Row]) -> Vec<Comparison> {
    rows.iter()
        .filter(|r| r.tool == Tool::OpenapiGenerator)
        .filter_map(|peer| {
            let ours = rows.iter().find(|r| r.tool == Tool::Ours && r.spec == peer.spec)?;
            Some(Comparison {
                spec: peer.spec.clone(),
                ours: ours.wall.median,
                openapi_generator: peer.wall.median,
                ratio: peer.wall.median.as_secs_f64() / ours.wall.median.as_secs_f64().max(f64::MIN_POSITIVE),
                ours_per_operation: ours.per_operation,
                openapi_generator_per_operation: peer.per_operation,
                memory_ratio: peer.peak_rss_kib.median as f64 / ours.peak_rss_kib.median.max(1) as f64,
            })
        })
        .collect()
}

fn growth(rows: &[Row], specs: &[SpecInfo]) -> Growth {
    let ours: Vec<&Row> = specs
        .iter()
        .filter(|s| s.scale.is_some())
        .filter_map(|s| rows.iter().find(|r| r.tool == Tool::Ours && r.spec == s.label))
        .collect();
    let base = ours.first().map_or(0.0, |r| r.per_operation.as_secs_f64());
    let factor = |r: &Row| r.per_operation.as_secs_f64() / base.max(f64::MIN_POSITIVE);
    let per_operation: Vec<(String, Duration, f64)> = ours
        .iter()
        .map(|r| (r.spec.clone(), r.per_operation, factor(r)))
        .collect();
    let marginal_per_operation = match ours.as_slice() {
        [.., a, b] if b.operations > a.operations => {
            let extra = u32::try_from(b.operations - a.operations).unwrap_or(u32::MAX);
            Some(b.wall.median.saturating_sub(a.wall.median) / extra)
        }
        _ => None,
    };
    let worst_factor = ours.last().map_or(1.0, |r| factor(r));
    Growth {
        per_operation,
        marginal_per_operation,
        worst_factor,
        linear: worst_factor <= LINEAR_FACTOR,
    }
}

fn targets(rows: &[Row], specs: &[SpecInfo], comparisons: &[Comparison]) -> anyhow::Result<Targets> {
    let seed = rows
        .iter()
        .find(|r| r.tool == Tool::Ours && r.spec == "seed")
        .context("no measurement on the seed")?;
    let seed_ratio = comparisons.iter().find(|c| c.spec == "seed").map(|c| c.ratio);
    let whole_api = specs
        .iter()
        .filter(|s| !s.single_file())
        .find_map(|s| rows.iter().find(|r| r.tool == Tool::Ours && r.spec == s.label))
        .map(|r| (r.spec.clone(), r.wall.median, r.cpu.median, r.peak_rss_kib.median));
    Ok(Targets {
        seed_median: seed.wall.median,
        seed_under_target: ms(seed.wall.median) < SEED_TARGET_MS,
        seed_ratio,
        ratio_met: seed_ratio.map(|r| r >= RATIO_TARGET),
        whole_api,
    })
}

fn machine(java: bool, load_before: String, load_after: String) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let processors = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let cores = if processors > 0 {
        processors
    } else {
        std::thread::available_parallelism().map_or(0, usize::from)
    };
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "rustc unknown".to_owned());
    Machine {
        cpu,
        cores,
        memory_kib,
        kernel,
        rustc,
        java: if java { java_version() } else { None },
        load_before,
        load_after,
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `path` relative to the workspace where it is under it.
fn display(workspace: &Path, path: &Path) -> String {
    path.strip_prefix(workspace).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_take_the_middle() {
        let s = spread(vec![5, 1, 3], |a, b| (a + b) / 2).unwrap();
        assert_eq!((s.median, s.min, s.max), (3, 1, 5));
        let s = spread(vec![4, 1, 2, 3], |a, b| (a + b) / 2).unwrap();
        assert_eq!((s.median, s.min, s.max), (2, 1, 4));
        assert!(spread(Vec::<u64>::new(), |a, _| a).is_err());
    }
}
