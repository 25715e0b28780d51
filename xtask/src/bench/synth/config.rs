//! The seed's `codegen.toml` for a scaled spec: what names an operation, a path or a copied
//! file is repeated for every copy under the copy's names, what names the spec as a whole is
//! kept once, and what cannot be mapped is dropped and reported.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, bail};
use serde_json::Value;

use super::{Seed, copy_entry_pointer, copy_file, copy_operation, parent_of, rewrite_refs};

/// The type name a shared type of the seed takes in copy `k`, where it can be told: a type
/// named after a copied file is named after the copy, a type renamed in the config gets the
/// copy number after its new name. `None` for anything else (an inline schema's title, whose
/// copies the generator numbers in an order the synthesizer does not reproduce).
fn copy_shared_type(name: &str, seed: &Seed, k: usize) -> Option<String> {
    let renames = seed.config.as_ref().map(|c| &c.rename.types);
    if let Some(renames) = renames
        && renames.values().any(|v| v == name)
    {
        return Some(numbered(name, k));
    }
    seed.others.keys().find_map(|rel| {
        let derived = generator::naming::type_ident(&generator::naming::component_hint(rel));
        (derived == name).then(|| generator::naming::type_ident(&generator::naming::component_hint(&copy_file(rel, k))))
    })
}

/// `Name` with the copy number: `Name7`, or `Name2_7` where a digit would run into it.
fn numbered(name: &str, k: usize) -> String {
    if name.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{name}_{k}")
    } else {
        format!("{name}{k}")
    }
}

/// A name in the model summary (`op::Type.field`, `Type.field`) in copy `k`.
fn copy_qualified(name: &str, seed: &Seed, k: usize) -> Option<String> {
    if let Some((op, rest)) = name.split_once("::") {
        return Some(format!("{}::{rest}", copy_operation(op, k)));
    }
    let (ty, rest) = name.split_once('.').map_or((name, ""), |(t, r)| (t, r));
    let ty = copy_shared_type(ty, seed, k)?;
    Some(if rest.is_empty() { ty } else { format!("{ty}.{rest}") })
}

/// The seed's config for the scaled spec, as TOML text.
///
/// - `[package]`, `[variables]`, `[secrets]`: as they are (they name no copy);
/// - `[rename.operations]` and `[auth] optional`: one entry per copy, `name_k`;
/// - `[rename.types]`: `op::Type` becomes `op_k::Type` (same new name: each copy has its
///   module), a shared type `Type` becomes `Type_k`'s derived name with `NewName{k}`;
/// - `[responses] error`: copy 1's type (one error type for the whole crate, as in the seed);
/// - `[[patch]]`: a patch of a copied file, one per copy, on the copy, with its `$ref`s
///   pointing at that copy's files; a patch of the entry file under `/paths/...`, one per copy,
///   at the copied path; any other patch of the entry file once, as it is;
/// - `[[known_example_error]]`: one per copy, under the copy's names.
///
/// What cannot be mapped (a shared type not named after its file) is dropped and listed in
/// `dropped`; generation then still succeeds unless the seed depends on it.
pub(super) fn adapt_config(
    config: &generator::config::Config,
    seed: &Seed,
    n: usize,
    dropped: &mut Vec<String>,
) -> anyhow::Result<String> {
    let mut out = String::from(
        "# Made by `cargo xtask bench` from the seed's codegen.toml: every entry that names an\n\
         # operation, a path or a spec file is repeated for each copy under the copy's names.\n\n",
    );
    write_package_and_variables(&mut out, config)?;
    write_renames(&mut out, config, seed, n, dropped)?;
    write_auth_secrets_and_responses(&mut out, config, seed, n, dropped)?;
    for patch in &config.patches {
        write_adapted_patch(&mut out, patch, seed, n, dropped)?;
    }
    write_known_example_errors(&mut out, config, seed, n, dropped)?;
    Ok(out)
}

/// `[package]` and `[variables]`, as they are.
fn write_package_and_variables(out: &mut String, config: &generator::config::Config) -> anyhow::Result<()> {
    if let Some(name) = &config.package.name {
        writeln!(out, "[package]\nname = {}\n", toml_string(name))?;
    }
    for (name, variable) in &config.variables {
        writeln!(out, "[variables.{}]", toml_string(name))?;
        writeln!(out, "values = {}", toml_strings(&variable.values))?;
        if let Some(default) = &variable.default {
            writeln!(out, "default = {}", toml_string(default))?;
        }
        out.push('\n');
    }
    Ok(())
}

/// `[rename.operations]` and `[rename.types]`, one entry per copy.
fn write_renames(
    out: &mut String,
    config: &generator::config::Config,
    seed: &Seed,
    n: usize,
    dropped: &mut Vec<String>,
) -> anyhow::Result<()> {
    out.push_str("[rename.operations]\n");
    for k in 1..=n {
        for (key, new) in &config.rename.operations {
            let line = format!(
                "{} = {}",
                toml_string(&copy_operation(key, k)),
                toml_string(&copy_operation(new, k))
            );
            writeln!(out, "{line}")?;
        }
    }
    out.push_str("\n[rename.types]\n");
    for (key, new) in &config.rename.types {
        for k in 1..=n {
            let pair = match key.split_once("::") {
                Some((op, ty)) => Some((format!("{}::{ty}", copy_operation(op, k)), new.clone())),
                None => seed.others.keys().find_map(|rel| {
                    let hint = generator::naming::component_hint(rel);
                    (generator::naming::type_ident(&hint) == *key).then(|| {
                        let copy =
                            generator::naming::type_ident(&generator::naming::component_hint(&copy_file(rel, k)));
                        (copy, numbered(new, k))
                    })
                }),
            };
            match pair {
                Some((key, new)) => writeln!(out, "{} = {}", toml_string(&key), toml_string(&new))?,
                None => {
                    dropped.push(format!("[rename.types] {key} (not named after a spec file)"));
                    break;
                }
            }
        }
    }
    Ok(())
}

/// `[auth] optional` (one entry per copy), `[secrets]` as it is, and `[responses] error`
/// (copy 1's type).
fn write_auth_secrets_and_responses(
    out: &mut String,
    config: &generator::config::Config,
    seed: &Seed,
    n: usize,
    dropped: &mut Vec<String>,
) -> anyhow::Result<()> {
    out.push_str("\n[auth]\noptional = [");
    let optional: Vec<String> = (1..=n)
        .flat_map(|k| config.auth.optional.iter().map(move |name| copy_operation(name, k)))
        .collect();
    out.push_str(&optional.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", "));
    out.push_str("]\n\n");
    writeln!(out, "[secrets]\nfields = {}\n", toml_strings(&config.secrets.fields))?;
    if let Some(error) = &config.responses.error {
        match copy_shared_type(error, seed, 1) {
            Some(copy) => writeln!(out, "[responses]\nerror = {}\n", toml_string(&copy))?,
            None => dropped.push(format!("[responses] error = {error} (not named after a spec file)")),
        }
    }
    Ok(())
}

/// One `[[patch]]` of the seed: once as it is if it names the entry file as a whole, else one
/// per copy (see [`adapt_config`]); dropped if its file is no spec file.
fn write_adapted_patch(
    out: &mut String,
    patch: &generator::config::Patch,
    seed: &Seed,
    n: usize,
    dropped: &mut Vec<String>,
) -> anyhow::Result<()> {
    let entry_patch = patch.file == seed.entry;
    if !entry_patch && !seed.others.contains_key(&patch.file) {
        dropped.push(format!("[[patch]] of {} (no such spec file)", patch.file));
        return Ok(());
    }
    // The values as JSON (TOML values serialize as their JSON counterparts).
    let set = patch
        .set
        .iter()
        .map(|(pointer, value)| Ok((pointer.clone(), serde_json::to_value(value)?)))
        .collect::<Result<BTreeMap<String, Value>, serde_json::Error>>()
        .context("reading a patch value")?;
    let only_paths = patch
        .remove
        .iter()
        .chain(patch.set.keys())
        .all(|p| p.starts_with("/paths/"));
    if entry_patch && !only_paths {
        // Names the spec as a whole: once, as it is.
        return write_patch(out, &patch.file, &patch.reason, &patch.remove, &set, |v| v);
    }
    for k in 1..=n {
        let file = if entry_patch {
            patch.file.clone()
        } else {
            copy_file(&patch.file, k)
        };
        let pointer = |p: &String| {
            if entry_patch {
                copy_entry_pointer(p, k).unwrap_or_else(|| p.clone())
            } else {
                p.clone()
            }
        };
        let remove: Vec<String> = patch.remove.iter().map(pointer).collect();
        let set: BTreeMap<String, Value> = set.iter().map(|(p, v)| (pointer(p), v.clone())).collect();
        let dir = parent_of(&patch.file);
        write_patch(out, &file, &patch.reason, &remove, &set, |mut v| {
            rewrite_refs(&mut v, dir, seed, k);
            v
        })?;
    }
    Ok(())
}

/// `[[known_example_error]]`: one per copy, under the copy's names.
fn write_known_example_errors(
    out: &mut String,
    config: &generator::config::Config,
    seed: &Seed,
    n: usize,
    dropped: &mut Vec<String>,
) -> anyhow::Result<()> {
    for known in &config.known_example_errors {
        for k in 1..=n {
            let Some(example) = copy_qualified(&known.example, seed, k) else {
                dropped.push(format!(
                    "[[known_example_error]] {} (not named after an operation or a spec file)",
                    known.example
                ));
                break;
            };
            writeln!(
                out,
                "[[known_example_error]]\nexample = {}\nreason = {}\n",
                toml_string(&example),
                toml_string(&known.reason)
            )?;
        }
    }
    Ok(())
}

/// One `[[patch]]` table; `map` edits each set value before it is written.
fn write_patch(
    out: &mut String,
    file: &str,
    reason: &str,
    remove: &[String],
    set: &BTreeMap<String, Value>,
    map: impl Fn(Value) -> Value,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "[[patch]]\nfile = {}\nreason = {}",
        toml_string(file),
        toml_string(reason)
    )?;
    if !remove.is_empty() {
        writeln!(out, "remove = {}", toml_strings(remove))?;
    }
    if !set.is_empty() {
        let mut items = Vec::new();
        for (pointer, value) in set {
            items.push(format!(
                "{} = {}",
                toml_string(pointer),
                toml_inline(&map(value.clone()))?
            ));
        }
        writeln!(out, "set = {{ {} }}", items.join(", "))?;
    }
    out.push('\n');
    Ok(())
}

/// A TOML basic string: JSON's string escapes are TOML's.
fn toml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn toml_strings(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| toml_string(s)).collect::<Vec<_>>().join(", ")
    )
}

/// A JSON value as an inline TOML value.
fn toml_inline(value: &Value) -> anyhow::Result<String> {
    Ok(match value {
        Value::Null => bail!("a patch value is null, which TOML cannot say"),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => value.to_string(),
        Value::Array(items) => {
            let items: anyhow::Result<Vec<String>> = items.iter().map(toml_inline).collect();
            format!("[{}]", items?.join(", "))
        }
        Value::Object(object) => {
            let items: anyhow::Result<Vec<String>> = object
                .iter()
                .map(|(k, v)| Ok(format!("{} = {}", toml_string(k), toml_inline(v)?)))
                .collect();
            format!("{{ {} }}", items?.join(", "))
        }
    })
}
