//! Synthetic specs for the codegen benchmark: the seed spec scaled N times.
//!
//! `write_scaled(seed, out, n)` writes, under `out`:
//!
//! - the entry file with `n` copies of every path: copy `k` (1..=n) of `/register` is
//!   `/register_k` (a path ending in a `{parameter}` gets `/copy_k` appended instead), and each
//!   of its operations gets the explicit `operationId` `<seed name>_k`, where the seed name is
//!   the seed's `operationId` or the name the generator derives from method and path;
//! - `n` copies of every other spec file the entry file reaches through `$ref`s
//!   (`definitions/auth_data.yaml` -> `definitions/auth_data_k.yaml`; files under its folder
//!   that it does not reach, such as the whole API in `spec/matrix-api/`, are not part of the
//!   seed), and every `$ref` of copy `k` points to the copies `k`;
//! - a `codegen.toml` adapted from the seed's (see [`config`]): what names an operation,
//!   a path or a copied file is repeated for every copy with the copy's names, what names the
//!   spec as a whole is kept once, and what cannot be mapped is dropped and reported.
//!
//! Every copy is the seed's text under other names, so the generator does the same work for
//! each: the output grows with `n` and nothing is shared between copies but the error type.
//! Files are written as block-style YAML (every scalar a double-quoted JSON string), so they
//! go through the same YAML parser as the seed and openapi-generator reads them too.

mod config;
mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Map, Value};

use config::adapt_config;
use yaml::to_yaml;

/// A synthetic spec on disk; its size is the generator's to tell (the codegen bench asks it).
#[derive(Debug, Clone)]
pub struct SynthSpec {
    /// Its entry file.
    pub entry: PathBuf,
    /// Config entries of the seed that could not be mapped to the copies and were dropped.
    pub dropped: Vec<String>,
}

/// The seed's spec files, read.
struct Seed {
    /// The entry file, relative to the root.
    entry: String,
    /// The entry file's content.
    entry_value: Value,
    /// Every other spec file the entry file reaches, relative path -> content.
    others: BTreeMap<String, Value>,
    /// The config, if the seed has one next to its entry file.
    config: Option<generator::config::Config>,
}

/// Writes the seed scaled `n` times to `out` (emptied first).
pub fn write_scaled(seed_entry: &Path, out: &Path, n: usize) -> anyhow::Result<SynthSpec> {
    if n == 0 {
        bail!("a synthetic spec needs at least one copy of the seed");
    }
    let seed = read_seed(seed_entry)?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("emptying {}", out.display()))?;
    }
    let write = |rel: &str, text: String| -> anyhow::Result<()> {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    for k in 1..=n {
        for (rel, value) in &seed.others {
            let mut value = value.clone();
            rewrite_refs(&mut value, parent_of(rel), &seed, k);
            write(&copy_file(rel, k), to_yaml(&value))?;
        }
    }
    write(&seed.entry, to_yaml(&scale_entry(&seed, n)?))?;
    let mut dropped = Vec::new();
    if let Some(config) = &seed.config {
        let text = adapt_config(config, &seed, n, &mut dropped)?;
        write(generator::CONFIG_FILE, text)?;
    }
    Ok(SynthSpec {
        entry: out.join(&seed.entry),
        dropped,
    })
}

/// Reads the entry file, every other spec file it reaches, and the config.
fn read_seed(entry: &Path) -> anyhow::Result<Seed> {
    let root = entry.parent().context("the seed entry file has no folder")?;
    let entry_rel = entry
        .file_name()
        .and_then(|n| n.to_str())
        .context("the seed entry file name is not UTF-8")?
        .to_owned();
    let entry_value = read_yaml(entry, &entry_rel)?;
    let others = reachable_files(root, &entry_rel, &entry_value)?;
    let config_path = root.join(generator::CONFIG_FILE);
    let config = if config_path.exists() {
        let config = generator::config::Config::load(&config_path, generator::CONFIG_FILE)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Some(config)
    } else {
        None
    };
    Ok(Seed {
        entry: entry_rel,
        entry_value,
        others,
        config,
    })
}

/// The spec files under `root` (relative paths) that the entry file `entry` reaches through
/// `$ref`s, directly or through one another.
pub fn reached_files(root: &Path, entry: &Path) -> anyhow::Result<Vec<String>> {
    let rel = relative(root, entry)?;
    let value = read_yaml(entry, &rel)?;
    Ok(reachable_files(root, &rel, &value)?.into_keys().collect())
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> anyhow::Result<String> {
    let rel = path
        .strip_prefix(root)
        .with_context(|| format!("{} is not under {}", path.display(), root.display()))?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Ok(parts.context("a spec file name is not UTF-8")?.join("/"))
}

/// The spec files under `root` that the entry file (`entry_rel`, read as `entry_value`) reaches
/// through `$ref`s, directly or through one another: relative path -> content.
fn reachable_files(root: &Path, entry_rel: &str, entry_value: &Value) -> anyhow::Result<BTreeMap<String, Value>> {
    let mut found = BTreeMap::new();
    let mut pending: Vec<String> = Vec::new();
    file_refs(entry_value, parent_of(entry_rel), &mut pending);
    while let Some(rel) = pending.pop() {
        if rel == entry_rel || found.contains_key(&rel) {
            continue;
        }
        let value = read_yaml(&root.join(&rel), &rel)?;
        file_refs(&value, parent_of(&rel), &mut pending);
        found.insert(rel, value);
    }
    Ok(found)
}

/// The files the `$ref`s of `value` (written in folder `dir`) point to, relative to the root.
fn file_refs(value: &Value, dir: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, item) in object {
                match (key.as_str(), item) {
                    ("$ref", Value::String(reference)) => {
                        let file = reference.split_once('#').map_or(reference.as_str(), |(f, _)| f);
                        if !file.is_empty() && !file.contains("://") {
                            out.push(join_rel(dir, file));
                        }
                    }
                    _ => file_refs(item, dir, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| file_refs(item, dir, out)),
        _ => {}
    }
}

fn read_yaml(path: &Path, rel: &str) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    generator::load::parse_yaml(&text, rel).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The folder part of a relative path (`definitions/a.yaml` -> `definitions`, `a.yaml` -> ``).
fn parent_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Copy `k` of a spec file: `_k` before the extension.
fn copy_file(rel: &str, k: usize) -> String {
    let (dir, name) = rel.rsplit_once('/').map_or(("", rel), |(d, n)| (d, n));
    let copied = match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}_{k}.{ext}"),
        None => format!("{name}_{k}"),
    };
    if dir.is_empty() {
        copied
    } else {
        format!("{dir}/{copied}")
    }
}

/// Copy `k` of a path: `_k` after the last segment, or `/copy_k` after a `{parameter}`.
fn copy_path(path: &str, k: usize) -> String {
    if path.ends_with('}') {
        format!("{path}/copy_{k}")
    } else {
        format!("{path}_{k}")
    }
}

/// A JSON pointer of the seed's entry file in copy `k`: `/paths/<path>/...` points into the
/// copied path; `None` for a pointer outside `paths` (it is kept once, as it is).
fn copy_entry_pointer(pointer: &str, k: usize) -> Option<String> {
    let rest = pointer.strip_prefix("/paths/")?;
    let (escaped, tail) = rest.split_once('/').map_or((rest, None), |(p, t)| (p, Some(t)));
    let path = escaped.replace("~1", "/").replace("~0", "~");
    let copied = copy_path(&path, k).replace('~', "~0").replace('/', "~1");
    Some(match tail {
        Some(tail) => format!("/paths/{copied}/{tail}"),
        None => format!("/paths/{copied}"),
    })
}

/// Joins a relative reference to the folder it is written in, resolving `.` and `..`.
fn join_rel(dir: &str, reference: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// Points every `$ref` to a seed file (written in folder `dir`) at that file's copy `k`.
fn rewrite_refs(value: &mut Value, dir: &str, seed: &Seed, k: usize) {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                if key == "$ref"
                    && let Value::String(reference) = item
                {
                    *reference = copy_ref(reference, dir, seed, k);
                } else {
                    rewrite_refs(item, dir, seed, k);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite_refs(item, dir, seed, k)),
        _ => {}
    }
}

/// A reference to a copied file, renamed to copy `k`; any other reference as it is.
fn copy_ref(reference: &str, dir: &str, seed: &Seed, k: usize) -> String {
    let (file, fragment) = reference
        .split_once('#')
        .map_or((reference, None), |(f, p)| (f, Some(p)));
    if file.is_empty() || file.contains("://") || !seed.others.contains_key(&join_rel(dir, file)) {
        return reference.to_owned();
    }
    let copied = copy_file(file, k);
    match fragment {
        Some(fragment) => format!("{copied}#{fragment}"),
        None => copied,
    }
}

/// The seed's name of an operation: its `operationId`, else the one derived from the path.
fn seed_operation_name(method: &str, path: &str, operation: &Value) -> String {
    let id = operation.get("operationId").and_then(Value::as_str);
    generator::naming::operation_module(id, method, path)
}

/// The name an operation name (derived or final) takes in copy `k`.
fn copy_operation(name: &str, k: usize) -> String {
    generator::naming::module_ident(&format!("{name}_{k}"))
}

/// The entry file with `n` copies of every path.
fn scale_entry(seed: &Seed, n: usize) -> anyhow::Result<Value> {
    let mut entry = seed.entry_value.clone();
    let Some(Value::Object(paths)) = seed.entry_value.get("paths") else {
        bail!("the seed entry file has no `paths`");
    };
    let mut scaled = Map::new();
    for k in 1..=n {
        for (path, item) in paths {
            let mut item = item.clone();
            rewrite_refs(&mut item, parent_of(&seed.entry), seed, k);
            if let Value::Object(methods) = &mut item {
                for (method, operation) in methods.iter_mut() {
                    // The methods the generator reads: a key it skips is no operation to copy.
                    if !generator::read::METHODS.contains(&method.as_str()) {
                        continue;
                    }
                    let name = copy_operation(&seed_operation_name(method, path, operation), k);
                    if let Value::Object(operation) = operation {
                        operation.insert("operationId".to_owned(), Value::String(name));
                    }
                }
            }
            scaled.insert(copy_path(path, k), item);
        }
    }
    if let Value::Object(root) = &mut entry {
        root.insert("paths".to_owned(), Value::Object(scaled));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/registration.yaml")
    }

    #[test]
    fn copies_are_named_apart() {
        assert_eq!(
            copy_file("definitions/auth_data.yaml", 7),
            "definitions/auth_data_7.yaml"
        );
        assert_eq!(copy_path("/register", 7), "/register_7");
        assert_eq!(copy_path("/profile/{userId}", 7), "/profile/{userId}/copy_7");
        assert_eq!(
            copy_entry_pointer("/paths/~1register/post/parameters/1", 3).as_deref(),
            Some("/paths/~1register_3/post/parameters/1")
        );
        assert_eq!(copy_entry_pointer("/info/title", 3), None);
        assert_eq!(
            join_rel("definitions", "../definitions/./error.yaml"),
            "definitions/error.yaml"
        );
    }

    #[test]
    fn each_scale_generates_with_n_times_the_operations() {
        let dir = tempfile::tempdir().unwrap();
        let seed_api = generator::build_model(&generator::Options {
            specs: vec![seed()],
            root: None,
            config: None,
        })
        .unwrap();
        for n in [1, 3] {
            let spec = write_scaled(&seed(), &dir.path().join(format!("scale-{n}")), n).unwrap();
            assert!(spec.dropped.is_empty(), "{:?}", spec.dropped);
            let generated = generator::generate(&generator::Options {
                specs: vec![spec.entry.clone()],
                root: None,
                config: None,
            })
            .unwrap_or_else(|e| panic!("scale {n}: {e}"));
            assert_eq!(generated.api.operations.len(), n * seed_api.operations.len());
            assert_eq!(generated.api.types.len(), n * seed_api.types.len());
            assert_eq!(generated.api.types[generated.api.error.0].name, "MatrixError1");
            let names: Vec<&str> = generated.api.operations.iter().map(|o| o.name.as_str()).collect();
            assert!(names.contains(&format!("change_password_{n}").as_str()), "{names:?}");
        }
    }
}
