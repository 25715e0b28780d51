//! `cargo xtask semver-checks`: the change report's grades for Rust callers next to what
//! cargo-semver-checks says, on each pair of consecutive spec bumps of
//! `generator/tests/fixtures/spec-bumps/`. Not run by CI (it needs cargo-semver-checks, and
//! builds every bump's crate twice); its findings are in
//! `generator/tests/fixtures/diff/SEMVER_CHECKS.md`.
//!
//! Each bump is generated as the fixture tests generate it (its entry files, its folder as the
//! root, its `codegen.toml`) into `matrix-semver-checks/VERSION` of the system's temporary
//! folder (outside the workspace, which cargo would otherwise take them to belong to), under
//! one package name for all, so that cargo-semver-checks sees versions of one crate and the
//! report no package rename. cargo-semver-checks builds in `target/semver-checks`. Then, for each pair, the report ([`generator::diff::compare`], as
//! `cargo xtask diff` makes it) and
//! `cargo semver-checks check-release --baseline-root OLD --manifest-path NEW/Cargo.toml`
//! with the `server` and `client` features (the APIs the grades are about); each tool's full
//! output is kept next to the crates, and a table of both is printed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use generator::diff::{Report, Rust};
use generator::model::Api;
use generator::output::{self, Mode};

use crate::tools;

/// The spec bumps, oldest first, as the fixture tests list them.
const BUMPS: &[&str] = &[
    "r0.2.0", "r0.3.0", "r0.4.0", "r0.6.1", "v1.7", "v1.8", "v1.10", "v1.12", "v1.16", "v1.19",
];

/// The package name every bump's crate gets.
const PACKAGE: &str = "matrix-registration";

/// What one pair of bumps gave.
struct Pair {
    old: &'static str,
    new: &'static str,
    /// The report's changes that break Rust callers, as its lines.
    breaking: Vec<String>,
    /// cargo-semver-checks' failed lints, each with the items it names.
    lints: Vec<Lint>,
}

/// One failed lint of cargo-semver-checks.
struct Lint {
    /// `struct_missing`, ...
    name: String,
    /// The places it names (`Failed in:`).
    items: Vec<String>,
}

/// Runs the comparison and prints its table.
pub fn run(workspace: &Path) -> anyhow::Result<()> {
    let version = tools::cargo_output(workspace, &["semver-checks", "--version"])
        .context("cargo-semver-checks is needed: `cargo install cargo-semver-checks --locked`")?;
    eprintln!("using {}", version.trim());
    let work = std::env::temp_dir().join("matrix-semver-checks");
    let mut apis = Vec::new();
    for version in BUMPS {
        apis.push(generate(workspace, &work, version)?);
    }
    let mut pairs = Vec::new();
    for (index, window) in BUMPS.windows(2).enumerate() {
        let (old, new) = (window[0], window[1]);
        let report = generator::diff::compare(&apis[index], &apis[index + 1]);
        std::fs::write(work.join(format!("{old}-{new}.report.txt")), report.to_string())
            .context("writing the report")?;
        let lints = semver_checks(workspace, &work, old, new)?;
        pairs.push(Pair {
            old,
            new,
            breaking: breaking_lines(&report),
            lints,
        });
    }
    print!("{}", table(&pairs));
    eprintln!(
        "each pair's outputs: {}/OLD-NEW.{{report,semver-checks}}.txt",
        work.display()
    );
    Ok(())
}

/// Generates one bump's crate under [`PACKAGE`]; its model.
fn generate(workspace: &Path, work: &Path, version: &str) -> anyhow::Result<Api> {
    let root = workspace.join("generator/tests/fixtures/spec-bumps").join(version);
    let specs = ["registration.yaml", "password_management.yaml"]
        .iter()
        .map(|file| root.join("client-server").join(file))
        .filter(|path| path.is_file())
        .collect();
    let options = generator::Options {
        specs,
        config: Some(root.join("codegen.toml")),
        root: Some(root),
    };
    let mut api = generator::build_model(&options).map_err(|e| anyhow::anyhow!("{version}: {e}"))?;
    api.package = PACKAGE.to_owned();
    let files = generator::files(&api).map_err(|e| anyhow::anyhow!("{version}: {e}"))?;
    let out = crate_dir(work, version);
    output::ensure(&out, &files, Mode::Write).with_context(|| format!("writing {}", out.display()))?;
    Ok(api)
}

fn crate_dir(work: &Path, version: &str) -> PathBuf {
    work.join(version)
}

/// Runs cargo-semver-checks on one pair; its failed lints. Its exit status only says whether
/// a lint failed, which the output says too.
fn semver_checks(workspace: &Path, work: &Path, old: &str, new: &str) -> anyhow::Result<Vec<Lint>> {
    let baseline = crate_dir(work, old);
    let manifest = crate_dir(work, new).join("Cargo.toml");
    eprintln!("cargo semver-checks: {old} -> {new}");
    let target = tools::work_dir(workspace, "semver-checks");
    let output = Command::new(tools::cargo_bin())
        .args(["semver-checks", "check-release", "--baseline-root"])
        .arg(&baseline)
        .arg("--manifest-path")
        .arg(&manifest)
        .args([
            "--only-explicit-features",
            "--features",
            "server",
            "--features",
            "client",
        ])
        // One target folder for every pair: the dependencies build once.
        .env("CARGO_TARGET_DIR", target)
        .current_dir(workspace)
        .output()
        .context("running cargo semver-checks")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    std::fs::write(work.join(format!("{old}-{new}.semver-checks.txt")), &text).context("writing its output")?;
    if !output.status.success() && !text.contains("--- failure ") {
        bail!("cargo semver-checks failed on {old} -> {new} without a lint:\n{text}");
    }
    Ok(lints(&text))
}

/// The failed lints in cargo-semver-checks' output: a `--- failure NAME: title ---` line, then
/// its places after `Failed in:`, up to a blank line.
fn lints(text: &str) -> Vec<Lint> {
    let mut lints: Vec<Lint> = Vec::new();
    let mut in_places = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("--- failure ") {
            let name = rest.split(':').next().unwrap_or(rest).trim().to_owned();
            lints.push(Lint {
                name,
                items: Vec::new(),
            });
            in_places = false;
        } else if line.trim() == "Failed in:" {
            in_places = true;
        } else if line.trim().is_empty() {
            in_places = false;
        } else if in_places && let Some(lint) = lints.last_mut() {
            lint.items.push(line.trim().to_owned());
        }
    }
    lints
}

/// The report's lines that break Rust callers.
fn breaking_lines(report: &Report) -> Vec<String> {
    report
        .changes
        .iter()
        .filter(|c| c.rust == Rust::Breaking)
        .map(|c| c.text.clone())
        .collect()
}

/// The markdown table of every pair, then each pair's details.
fn table(pairs: &[Pair]) -> String {
    let mut out = String::from(
        "| pair | report: changes breaking Rust callers | cargo-semver-checks: failed lints (places) | verdicts on the pair |\n\
         |---|---|---|---|\n",
    );
    for pair in pairs {
        let lints: Vec<String> = pair
            .lints
            .iter()
            .map(|l| format!("`{}` ({})", l.name, l.items.len()))
            .collect();
        let verdict = match (pair.breaking.is_empty(), pair.lints.is_empty()) {
            (false, false) => "both: breaking",
            (true, true) => "both: compatible",
            (false, true) => "only the report: breaking",
            (true, false) => "only cargo-semver-checks: breaking",
        };
        out.push_str(&format!(
            "| {} -> {} | {} | {} | {verdict} |\n",
            pair.old,
            pair.new,
            pair.breaking.len(),
            if lints.is_empty() {
                "none".to_owned()
            } else {
                lints.join(", ")
            }
        ));
    }
    for pair in pairs {
        out.push_str(&format!(
            "\n### {} -> {}\n\nreport, breaking for Rust callers:\n",
            pair.old, pair.new
        ));
        for line in &pair.breaking {
            out.push_str(&format!("- {line}\n"));
        }
        out.push_str("\ncargo-semver-checks:\n");
        for lint in &pair.lints {
            for item in &lint.items {
                out.push_str(&format!("- `{}`: {item}\n", lint.name));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lints_are_read_with_their_places() {
        let text = "     Checked [   0.010s] 150 checks: 148 pass, 2 fail\n\n\
                    --- failure struct_missing: pub struct removed or renamed ---\n\n\
                    Description:\nA struct is gone.\n\n\
                    Failed in:\n  struct m::A, previously in file src/a.rs:3\n  struct m::B, previously in file src/b.rs:4\n\n\
                    --- failure enum_variant_missing: pub enum variant removed or renamed ---\n\n\
                    Failed in:\n  variant E::X, previously in file src/e.rs:9\n";
        let found = lints(text);
        let names: Vec<_> = found.iter().map(|l| (l.name.as_str(), l.items.len())).collect();
        assert_eq!(names, [("struct_missing", 2), ("enum_variant_missing", 1)]);
        assert_eq!(found[1].items[0], "variant E::X, previously in file src/e.rs:9");
    }
}
