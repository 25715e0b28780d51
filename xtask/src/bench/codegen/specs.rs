//! The specs measured: the seed, its synthetic copies and the whole API, with their sizes.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::super::synth;
use super::{WHOLE_API_CRATE, display};

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
    pub fn single_file(&self) -> bool {
        self.entry_files == 1
    }
}

/// The seed, then the synthetic specs of `scales` written under `bench`; notes the config
/// entries the synthesizer dropped.
pub(super) fn specs(
    workspace: &Path,
    bench: &Path,
    scales: &[usize],
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<SpecInfo>> {
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
