//! The project's command line, `cargo xtask COMMAND`:
//!
//! - `codegen [--check]`: write the generated crates from their specs (or `--spec` into `--out`), or check them;
//! - `diff`: what changed between two specs, graded for Rust callers and the wire ([`diff`]);
//! - `interop`: the example homeserver and the Client-Server session against Synapse ([`interop`]);
//! - `browser`: register from a page of another origin in headless Chromium ([`web`]);
//! - `js-sdk`: register and change a password with matrix-js-sdk ([`web`]);
//! - `load`: many registrations at once, then the server killed mid-load ([`load`]);
//! - `schemathesis`: schemathesis against the example homeserver ([`schemathesis`]);
//! - `bench [--quick] [--compile-cost]`: the benchmarks, written to BENCHMARKS.md ([`mod@bench`]);
//! - `semver-checks`: the change report's grades against cargo-semver-checks ([`semver_checks`]);
//! - `measure` (hidden, the bench's): one program's wall time, CPU time and peak memory
//!   ([`bench::measure`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The generator allocates and frees a great many small token trees; mimalloc does that in a
/// fraction of the time of the system allocator (see BENCHMARKS.md). Without transparent huge
/// pages (`no_thp`): they doubled a run's peak memory for no gain in speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod diff;
mod interop;
mod load;
mod schemathesis;
mod semver_checks;
mod tools;
mod web;

use anyhow::Context;
use clap::{Parser, Subcommand};
use generator::output::{self, Mode};

#[derive(Parser)]
#[command(about = "Tasks of the Matrix API code generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the crate from the spec (default: spec/registration.yaml -> generated/).
    Codegen(CodegenArgs),
    /// Report what changed between two specs and whether it breaks Rust callers or the wire.
    Diff(diff::DiffArgs),
    /// Run the interop scenario against a real Synapse and the example homeserver, then the
    /// whole Client-Server session (interop/session) against the same Synapse.
    Interop,
    /// Register from a page of another origin in headless Chromium (CORS, UIAA with fetch).
    Browser,
    /// Register and change a password with matrix-js-sdk (node) on the example homeserver.
    JsSdk,
    /// Register many accounts on the example homeserver at once, then kill it mid-load.
    Load(load::LoadArgs),
    /// Run schemathesis against the example homeserver with the project's spec.
    Schemathesis,
    /// Benchmark the generator and the generated code against their peers (BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Compare the change report's Rust grades with cargo-semver-checks on consecutive fixture
    /// spec bumps (not run by CI; generator/tests/fixtures/diff/SEMVER_CHECKS.md).
    SemverChecks,
}

#[derive(clap::Args)]
struct CodegenArgs {
    /// An entry file of the spec, or a folder whose YAML and JSON files with `paths` are entry
    /// files; repeat for several, which make one crate [default: spec/registration.yaml of the
    /// workspace].
    #[arg(long)]
    spec: Vec<PathBuf>,
    /// The folder `$ref`s may not leave (default: the first entry file's folder).
    #[arg(long)]
    root: Option<PathBuf>,
    /// The codegen config (default: codegen.toml next to the first entry file, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the crate is written [default: generated/ of the workspace].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write nothing; fail if the output on disk is not what the spec generates.
    #[arg(long)]
    check: bool,
    /// Also print the model summary (operations and types) to stdout.
    #[arg(long)]
    summary: bool,
    /// Also write the spec as one OpenAPI 3.0 JSON document (refs resolved, patches applied).
    #[arg(long, value_name = "FILE")]
    openapi: Option<PathBuf>,
}

fn main() -> ExitCode {
    // The hidden `xtask measure -- PROGRAM ARGS...` of the benchmark forks before it allocates
    // much, so it is dispatched here, before clap (see xtask/src/bench/measure.rs).
    if let Some(code) = bench::measure::main_if_requested() {
        return code;
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen(args) => codegen(args),
        Command::Diff(args) => Ok(diff::main(&args)),
        Command::Interop => interop::run(&workspace_root()).map(|()| ExitCode::SUCCESS),
        Command::Browser => web::browser(&workspace_root()).map(|()| ExitCode::SUCCESS),
        Command::JsSdk => web::js_sdk(&workspace_root()).map(|()| ExitCode::SUCCESS),
        Command::Load(args) => load::run(&workspace_root(), &args).map(|()| ExitCode::SUCCESS),
        Command::Schemathesis => schemathesis::run(&workspace_root()).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench::run(&workspace_root(), &args).map(|()| ExitCode::SUCCESS),
        Command::SemverChecks => semver_checks::run(&workspace_root()).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

fn codegen(args: CodegenArgs) -> anyhow::Result<ExitCode> {
    // Defaults are the workspace's own specs and crates, wherever cargo is run from; paths
    // given on the command line are relative to the current folder, as usual.
    let workspace = workspace_root();
    let here = std::env::current_dir().context("reading the current folder")?;
    let given = |p: PathBuf| here.join(p);
    let jobs: Vec<(generator::Options, PathBuf)> = if args.spec.is_empty() && args.out.is_none() {
        let crates = generator::workspace::CRATES.iter();
        crates.map(|c| (c.options(&workspace), workspace.join(c.out))).collect()
    } else {
        let specs = if args.spec.is_empty() {
            vec![workspace.join("spec/registration.yaml")]
        } else {
            args.spec.iter().cloned().map(given).collect()
        };
        let out = args.out.clone().map_or_else(|| workspace.join("generated"), given);
        let options = generator::Options {
            specs,
            root: args.root.clone().map(given),
            config: args.config.clone().map(given),
        };
        vec![(options, out)]
    };
    let mut code = ExitCode::SUCCESS;
    for (options, out) in jobs {
        if codegen_one(&args, &here, options, &out)? != ExitCode::SUCCESS {
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

/// Generates one crate into `out`, or checks it.
fn codegen_one(args: &CodegenArgs, here: &Path, options: generator::Options, out: &Path) -> anyhow::Result<ExitCode> {
    let generated = match generator::generate(&options) {
        Ok(generated) => generated,
        Err(errors) => {
            use std::io::IsTerminal;
            let root = options.spec_root();
            eprint!(
                "{}",
                generator::diagnostics::render(&errors, &root, std::io::stderr().is_terminal())
            );
            eprintln!("\nnothing was written; {} is unchanged", out.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.summary {
        print!("{}", generated.api.summary());
    }
    if let Some(file) = &args.openapi {
        let openapi = generator::resolved_openapi(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
        let json = serde_json::to_string_pretty(&openapi).context("serializing the OpenAPI document")?;
        std::fs::write(here.join(file), json).with_context(|| format!("writing {}", file.display()))?;
    }
    let mode = if args.check { Mode::Check } else { Mode::Write };
    // Messages name the crate as the reader would type it: `generated`, not its absolute path.
    let shown = match out.strip_prefix(here) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative,
        _ => out,
    };
    if mode == Mode::Write {
        print_api_changes(shown, &generated.api);
    }
    let report = output::ensure(out, &generated.files, mode).with_context(|| format!("writing {}", out.display()))?;
    match (mode, report.is_clean()) {
        (Mode::Check, false) => {
            eprint!("{report}");
            eprintln!(
                "{} is stale: run `cargo xtask codegen` and commit the result",
                shown.display()
            );
            Ok(ExitCode::FAILURE)
        }
        (Mode::Check, true) => {
            eprintln!("{} is up to date ({} files)", shown.display(), generated.files.len());
            Ok(ExitCode::SUCCESS)
        }
        (Mode::Write, _) => {
            eprintln!(
                "{}: {} files, {} changed",
                shown.display(),
                generated.files.len(),
                report.0.len()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints, before `out` is rewritten, what the new model changes against the one committed in
/// it: a reviewer of a spec bump reads these graded changes first and the files' diff second.
/// A crate without a readable model (a first run, an older generator's file) gets a one-line
/// note instead, as the run itself is fine. `out` is relative to the current folder, or absolute.
fn print_api_changes(out: &Path, new: &generator::model::Api) {
    match generator::model_file::read(out) {
        Ok(old) => {
            let report = generator::diff::compare(&old, new);
            if report.is_empty() {
                eprintln!("{}: no API change", out.display());
            } else {
                let file = generator::model_file::FILE_NAME;
                eprintln!("{}: API changes against its committed {file}:", out.display());
                eprintln!("{report}");
            }
        }
        Err(error) => eprintln!("{}: no API change report: {error}", out.display()),
    }
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}
