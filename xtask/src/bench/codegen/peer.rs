//! openapi-generator, the peer: installed at the pinned version, run on the single-file specs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use super::runs::{Measured, Row, Tool, measure_row};
use super::specs::SpecInfo;
use super::{OPENAPI_GENERATOR_TARGET, OPENAPI_GENERATOR_VERSION, display};
use crate::tools::python_package;

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

/// openapi-generator, installed in `bench/venv`; with `quick`, `None` and a note when it is not
/// available, else the error.
pub(super) fn peer(bench: &Path, quick: bool, notes: &mut Vec<String>) -> anyhow::Result<Option<Peer>> {
    match (openapi_generator(&bench.join("venv")), quick) {
        (Ok(peer), _) => Ok(Some(peer)),
        (Err(why), true) => {
            notes.push(format!("openapi-generator skipped: {why:#}"));
            Ok(None)
        }
        (Err(why), false) => Err(why.context("openapi-generator is needed for the comparison (`--quick` skips it)")),
    }
}

/// openapi-generator's rows: the seed (it is what 1x holds too), then the larger sizes while
/// it succeeds; its first failure is noted and ends the rows.
pub(super) fn measure_peer(
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
        match measure_row(Tool::OpenapiGenerator, spec, measured, &out, &log, runs) {
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
pub(super) fn peer_status(peer: Option<&Peer>, rows: &[Row], notes: &[String]) -> PeerStatus {
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

/// openapi-generator ready to run.
pub(super) struct Peer {
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
pub(super) fn java_version() -> Option<String> {
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
