//! The specs measured: the seed, its synthetic copies and the whole API, with their sizes.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::super::synth;
use super::{SEED, WHOLE_API_CRATE, display};

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

/// The seed, then the synthetic specs of `scales` written under `bench`, then the whole API;
/// notes the config entries the synthesizer dropped.
pub(super) fn specs(
    workspace: &Path,
    bench: &Path,
    scales: &[usize],
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<SpecInfo>> {
    let seed_entry = workspace.join(SEED);
    let seed = generator::Options::new(&seed_entry);
    let mut specs = vec![spec_info(workspace, "seed".to_owned(), None, &seed)?];
    for &scale in scales {
        let dir = bench.join(format!("specs/scale-{scale}"));
        let spec = synth::write_scaled(&seed_entry, &dir, scale)
            .with_context(|| format!("writing the {scale}x synthetic spec"))?;
        for dropped in &spec.dropped {
            notes.push(format!("{scale}x: dropped from codegen.toml: {dropped}"));
        }
        let options = generator::Options::new(spec.entry);
        specs.push(spec_info(workspace, format!("{scale}x"), Some(scale), &options)?);
    }
    let krate = generator::workspace::CRATES
        .iter()
        .find(|c| c.out == WHOLE_API_CRATE)
        .with_context(|| format!("{WHOLE_API_CRATE} is not a committed generated crate"))?;
    let options = krate.options(workspace);
    let label = options
        .spec_root()
        .file_name()
        .map_or_else(|| "whole".to_owned(), |n| n.to_string_lossy().into_owned());
    specs.push(spec_info(workspace, label, None, &options)?);
    Ok(specs)
}

/// A spec as the generator reads it: its entry files found by the generator's rule, its
/// operations counted by the generator's model, and the files and bytes it spans.
fn spec_info(
    workspace: &Path,
    label: String,
    scale: Option<usize>,
    options: &generator::Options,
) -> anyhow::Result<SpecInfo> {
    let api = generator::build_model(options).map_err(|e| anyhow::anyhow!("the {label} spec does not build: {e}"))?;
    let entries = generator::read::entry_files(&options.specs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (schema_files, bytes) = spec_size(&options.spec_root(), &entries)?;
    let entry = options.specs.first().context("a spec without an entry file")?;
    Ok(SpecInfo {
        label,
        scale,
        entry: display(workspace, entry),
        root: options.root.as_deref().map(|root| display(workspace, root)),
        entry_files: entries.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes come from the generator: n copies of the seed are n times its operations and
    /// schema files in one entry file, and the whole API is a folder of entry files.
    #[test]
    fn a_scaled_spec_has_n_times_the_seeds_operations() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let bench = tempfile::tempdir().unwrap();
        let mut notes = Vec::new();
        let specs = specs(workspace, bench.path(), &[1, 3], &mut notes).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let [seed, one, three, whole] = specs.as_slice() else {
            panic!("not the seed, 1x, 3x and the whole API: {specs:?}");
        };
        // The registration spec: three operations, three definition files (not the whole API
        // that also lives under spec/).
        assert_eq!(
            (seed.label.as_str(), seed.operations, seed.schema_files),
            ("seed", 3, 3)
        );
        for (spec, n) in [(one, 1), (three, 3)] {
            assert_eq!(spec.label, format!("{n}x"));
            assert_eq!(spec.scale, Some(n));
            assert_eq!((spec.operations, spec.schema_files), (n * 3, n * 3), "{spec:?}");
            assert!(spec.single_file() && spec.root.is_none(), "{spec:?}");
        }
        assert!(three.bytes > 2 * one.bytes, "{one:?} {three:?}");
        assert!(!whole.single_file(), "{whole:?}");
        assert_eq!(whole.root.as_deref(), Some("spec/matrix-api/v1.19"));
        assert!(whole.operations > 100 && whole.schema_files > 0, "{whole:?}");
    }
}
