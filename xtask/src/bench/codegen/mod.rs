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
//!
//! The driver's parts: [`mod@specs`] (the specs measured and their sizes), [`runs`] (one tool on
//! one spec, run after run), [`mod@peer`] (openapi-generator), [`analysis`] (ratios, growth and
//! targets), [`mod@machine`] (where the numbers come from) and [`report`] (the lines printed).

mod analysis;
mod machine;
mod peer;
mod report;
mod runs;
mod specs;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;

use analysis::{compare, growth, targets};
use machine::{load_average, machine};
use peer::{measure_peer, peer, peer_status};
pub use report::CodegenReport;
use report::commands;
use runs::measure_ours;
use specs::specs;

use super::measure;
use crate::tools::{binary, cargo, work_dir};

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
/// The seed spec's entry file, relative to the workspace.
pub const SEED: &str = "spec/registration.yaml";
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

/// A duration in milliseconds.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `path` relative to the workspace where it is under it.
fn display(workspace: &Path, path: &Path) -> String {
    path.strip_prefix(workspace).unwrap_or(path).display().to_string()
}
