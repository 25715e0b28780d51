//! `cargo xtask diff`: the API change report between two specs, for people (text) or CI (JSON).
//!
//! Each side is built into a model with the generator's own stages, with its own codegen
//! config: the config is part of what makes the crate callers compile against (its renames,
//! patches and package name), and a config written for one version's files does not apply to
//! another's. `--old-config` and `--new-config` name them (default, as for codegen: the
//! `codegen.toml` next to each entry file, if any); `--config` names one for both.
//!
//! Exit status: 0, or 1 with `--fail-on` when a change breaks what it names; 2 when the report
//! cannot be made (a broken spec on either side, reported as codegen reports it).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use generator::diff::{Report, Rust, Wire};

/// Exit status when `--fail-on` finds a breaking change.
const BREAKING: u8 = 1;
/// Exit status when a spec cannot be read or the report cannot be written.
const NO_REPORT: u8 = 2;

/// The arguments of `cargo xtask diff`.
#[derive(clap::Args)]
pub struct DiffArgs {
    /// The old spec: an entry file, or a folder of entry files; several make one API.
    #[arg(long, value_name = "SPEC", num_args = 1.., required = true)]
    old: Vec<PathBuf>,
    /// The folder the old spec's `$ref`s may not leave (default: its first entry file's folder).
    #[arg(long, value_name = "DIR")]
    old_root: Option<PathBuf>,
    /// The new spec: an entry file, or a folder of entry files; several make one API.
    #[arg(long, value_name = "SPEC", num_args = 1.., required = true)]
    new: Vec<PathBuf>,
    /// The folder the new spec's `$ref`s may not leave (default: its first entry file's folder).
    #[arg(long, value_name = "DIR")]
    new_root: Option<PathBuf>,
    /// One codegen config for both sides.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["old_config", "new_config"])]
    config: Option<PathBuf>,
    /// The old side's codegen config (default: codegen.toml next to its first entry file, if any).
    #[arg(long, value_name = "FILE")]
    old_config: Option<PathBuf>,
    /// The new side's codegen config (default: codegen.toml next to its first entry file, if any).
    #[arg(long, value_name = "FILE")]
    new_config: Option<PathBuf>,
    /// Exit with status 1 when a change breaks Rust callers or the wire (`breaking`), or only
    /// one of them.
    #[arg(long, value_enum, value_name = "WHAT")]
    fail_on: Option<FailOn>,
    /// Text for people, JSON for CI.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// What makes `--fail-on` fail.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FailOn {
    /// A change that breaks Rust callers or the wire.
    Breaking,
    /// A change that breaks Rust callers.
    Rust,
    /// A change that breaks the wire, either way.
    Wire,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs the subcommand; every failure to make the report is exit status 2, so that 1 always
/// means "a breaking change".
pub fn main(args: &DiffArgs) -> ExitCode {
    match run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{error:#}");
            ExitCode::from(NO_REPORT)
        }
    }
}

fn run(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let here = std::env::current_dir().context("reading the current folder")?;
    let old_config = args.config.as_ref().or(args.old_config.as_ref());
    let new_config = args.config.as_ref().or(args.new_config.as_ref());
    let old = options(&here, &args.old, args.old_root.as_ref(), old_config);
    let new = options(&here, &args.new, args.new_root.as_ref(), new_config);
    let (old_api, new_api) = (generator::build_model(&old), generator::build_model(&new));
    let (old_api, new_api) = match (old_api, new_api) {
        (Ok(old_api), Ok(new_api)) => (old_api, new_api),
        (old_api, new_api) => {
            for (side, options, result) in [("old", &old, old_api.err()), ("new", &new, new_api.err())] {
                if let Some(errors) = result {
                    report_broken(side, options, &errors);
                }
            }
            eprintln!("\nno report: a spec could not be read");
            return Ok(ExitCode::from(NO_REPORT));
        }
    };
    let report = generator::diff::compare(&old_api, &new_api);
    let text = match args.format {
        Format::Text => report.to_string(),
        Format::Json => json(&report)? + "\n",
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // A reader that stopped early (`| head`) is not a failure to report.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e).context("writing the report"),
        _ => {}
    }
    let fails = match args.fail_on {
        None => false,
        Some(FailOn::Breaking) => report.is_breaking(),
        Some(FailOn::Rust) => report.changes.iter().any(|c| c.rust == Rust::Breaking),
        Some(FailOn::Wire) => report.changes.iter().any(|c| c.wire != Wire::Compatible),
    };
    Ok(if fails {
        ExitCode::from(BREAKING)
    } else {
        ExitCode::SUCCESS
    })
}

/// One side's generator options; paths are relative to the current folder, as for codegen.
fn options(here: &Path, specs: &[PathBuf], root: Option<&PathBuf>, config: Option<&PathBuf>) -> generator::Options {
    generator::Options {
        specs: specs.iter().map(|spec| here.join(spec)).collect(),
        root: root.map(|r| here.join(r)),
        config: config.map(|c| here.join(c)),
    }
}

/// Prints a spec's errors as `cargo xtask codegen` does, under the side they belong to.
fn report_broken(side: &str, options: &generator::Options, errors: &generator::error::Errors) {
    let specs: Vec<String> = options.specs.iter().map(|s| s.display().to_string()).collect();
    eprintln!("the {side} spec ({}) is broken:", specs.join(", "));
    eprint!(
        "{}",
        generator::diagnostics::render(errors, &options.spec_root(), std::io::stderr().is_terminal())
    );
}

/// The report as JSON, with the counts CI looks at first.
fn json(report: &Report) -> anyhow::Result<String> {
    let mut value = serde_json::to_value(report).context("serializing the report")?;
    if let Some(object) = value.as_object_mut() {
        object.insert("breaking".into(), report.is_breaking().into());
        object.insert("breaking_rust".into(), report.breaking_rust().into());
        object.insert("breaking_wire".into(), report.breaking_wire().into());
    }
    serde_json::to_string_pretty(&value).context("writing the report as JSON")
}
