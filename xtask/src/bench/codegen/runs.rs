//! Measuring a tool on a spec: one warm-up and the counted runs through `xtask measure`, each
//! into a fresh empty folder, and the median, min and max of what they took.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use super::display;
use super::measure;
use super::specs::SpecInfo;

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

/// Our generator's row on every spec.
pub(super) fn measure_ours(
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
        let row = measure_row(Tool::Ours, spec, measured, &out, &log, runs)?;
        rows.push(row);
    }
    Ok(rows)
}

/// A command to measure, run through `xtask measure`.
pub(super) struct Measured<'a> {
    /// The release xtask whose `measure` runs the command.
    pub(super) xtask: &'a Path,
    /// The program.
    pub(super) program: &'a Path,
    /// Its arguments.
    pub(super) args: &'a [OsString],
    /// The command as printed, paths relative to the workspace.
    pub(super) shown: String,
}

/// Runs the command through `xtask measure` once to warm up, then `runs` times, each into a
/// fresh empty `out`, with stdout and stderr to `log`.
pub(super) fn measure_row(
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
