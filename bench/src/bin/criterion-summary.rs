//! Prints the medians criterion saved for the benches of this crate, one line per function, and
//! per group the ratio of `generated` to every other function (in a group of two without
//! `generated`, the first by name to the second; none in larger groups, such as the stages of
//! one run, where a ratio would compare unlike things): below 1 is faster.
//!
//! `cargo run -p bench --bin criterion-summary [-- --dir target/criterion]`

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Criterion medians and ratios, as a Markdown table")]
struct Args {
    /// Criterion's output folder (default: $CARGO_TARGET_DIR/criterion, else target/criterion).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = args.dir.unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("criterion")
    });
    let groups = read_groups(&dir).with_context(|| format!("reading {}", dir.display()))?;
    anyhow::ensure!(
        !groups.is_empty(),
        "no criterion results in {}: run `cargo bench -p bench` first",
        dir.display()
    );
    println!("| group | function | median | ratio |");
    println!("|---|---|---:|---|");
    for (group, functions) in &groups {
        let reference = functions
            .get_key_value("generated")
            .or_else(|| functions.iter().next().filter(|_| functions.len() == 2));
        for (function, median) in functions {
            let ratio = match reference {
                Some((name, value)) if name != function => format!("{name} / {function} = {:.3}", value / median),
                _ => String::new(),
            };
            println!("| {group} | {function} | {} | {ratio} |", human(*median));
        }
    }
    Ok(())
}

/// Group name -> function name -> median in nanoseconds.
fn read_groups(dir: &Path) -> anyhow::Result<BTreeMap<String, BTreeMap<String, f64>>> {
    let mut groups = BTreeMap::new();
    for group in std::fs::read_dir(dir)? {
        let group = group?;
        if !group.file_type()?.is_dir() {
            continue;
        }
        let mut functions = BTreeMap::new();
        for function in std::fs::read_dir(group.path())? {
            let function = function?;
            let estimates = function.path().join("new").join("estimates.json");
            if !estimates.is_file() {
                continue;
            }
            let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&estimates)?)?;
            let median = json["median"]["point_estimate"]
                .as_f64()
                .with_context(|| format!("no median in {}", estimates.display()))?;
            functions.insert(function.file_name().to_string_lossy().into_owned(), median);
        }
        if !functions.is_empty() {
            groups.insert(group.file_name().to_string_lossy().into_owned(), functions);
        }
    }
    Ok(groups)
}

fn human(nanoseconds: f64) -> String {
    if nanoseconds >= 1_000_000.0 {
        format!("{:.3} ms", nanoseconds / 1_000_000.0)
    } else if nanoseconds >= 1_000.0 {
        format!("{:.3} µs", nanoseconds / 1_000.0)
    } else {
        format!("{nanoseconds:.1} ns")
    }
}
