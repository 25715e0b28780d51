//! The front end: from entry files on disk to one OpenAPI 3.0 document in the `openapiv3`
//! model, whatever version the spec is written in.
//!
//! 1. [`load`]: files under the spec root, each once, YAML -> JSON, config patches applied;
//! 2. [`resolve`]: every `$ref` followed, the entry files merged into one document, guided by
//!    the [`resolve::Layout`] of the input version;
//! 3. the reader of that version brings the document into the `openapiv3` model:
//!    [`swagger2`] (Swagger 2.0) or [`openapi3`] (OpenAPI 3.0 and 3.1).
//!
//! Everything the generator knows about input versions lives in these modules; the model
//! and the emitters never learn which version came in.

mod json_schema;
pub mod load;
pub mod openapi3;
pub mod resolve;
pub mod swagger2;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::Config;
use crate::error::{Cause, DocPath, Error, Errors, Location, Place};

/// The HTTP methods a path item can hold, lowercase, in the order operations are read.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// The JSON media type used when the spec lists none.
pub const JSON: &str = "application/json";

/// Whether a media type is JSON (`application/json`, `application/problem+json`).
pub fn is_json(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or("").trim();
    essence == JSON || essence.ends_with("+json")
}

/// The `$ref` of a component schema.
pub fn component_ref(key: &str) -> String {
    resolve::definition_ref(openapi3::DEFINITIONS, key)
}

/// The component key a `#/components/schemas/...` reference names.
pub fn component_of_ref(reference: &str) -> Option<String> {
    resolve::key_of_ref(openapi3::DEFINITIONS, reference)
}

/// A serde_path_to_error path as a [`DocPath`].
pub fn path_of(path: &serde_path_to_error::Path) -> DocPath {
    use serde_path_to_error::Segment as S;
    path.iter().fold(DocPath::root(), |at, segment| match segment {
        S::Seq { index } => at.index(*index),
        S::Map { key } => at.key(key),
        S::Enum { variant } => at.key(variant),
        S::Unknown => at,
    })
}

/// The spec as the model reads it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The API, every `$ref` resolved (schemas are `#/components/schemas/KEY`).
    pub openapi: openapiv3::OpenAPI,
    /// Where each component schema was written.
    pub origins: BTreeMap<String, Location>,
    /// The entry files, relative to the spec root.
    pub entry_files: Vec<String>,
    /// The entry file each path was written in.
    pub path_files: BTreeMap<String, String>,
    /// Patches of the config that named a file the spec never loads, as errors.
    pub unused_patches: Vec<Error>,
}

/// Reads the entry files `specs` (files, or folders whose YAML and JSON files with `paths` are
/// entry files) under `root`, with `config`'s patches.
pub fn read(specs: &[PathBuf], root: &Path, config: &Config, config_file: &str) -> Result<Spec, Errors> {
    let entries = entry_files(specs)?;
    let mut loader = load::Loader::new(root, &config.patches)?;
    let mut ids = Vec::new();
    let mut errors = Vec::new();
    for entry in &entries {
        match loader.load_entry(entry) {
            Ok(id) => ids.push(id),
            Err(error) => errors.push(error),
        }
    }
    Errors::check(errors)?;
    let format = formats(&loader, &ids)?;
    let (openapi, resolved) = match format {
        Format::Swagger2 => {
            let resolved = resolve::resolve(&mut loader, &ids, &swagger2::Layout)?;
            (swagger2::convert(&resolved)?, resolved)
        }
        Format::OpenApi3 { json_schema } => {
            let resolved = resolve::resolve(&mut loader, &ids, &openapi3::Layout { json_schema })?;
            (openapi3::read(&resolved)?, resolved)
        }
    };
    Ok(Spec {
        openapi,
        origins: resolved.origins,
        entry_files: resolved.entry_files,
        path_files: resolved.path_files,
        unused_patches: loader.unused_patches(config_file),
    })
}

/// The folder a file is in (`.` for a bare file name).
pub fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The entry files `specs` name: files as given, and in each folder every `.yaml`, `.yml` and
/// `.json` file directly in it whose top level has `paths`, sorted by name.
pub fn entry_files(specs: &[PathBuf]) -> Result<Vec<PathBuf>, Errors> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for spec in specs {
        if !spec.is_dir() {
            entries.push(spec.clone());
            continue;
        }
        match folder_entries(spec) {
            Ok(found) if found.is_empty() => {
                let why = "the folder holds no YAML or JSON file with `paths`".to_owned();
                errors.push(Error::new(Location::file(spec.display().to_string()), Cause::Read(why)));
            }
            Ok(found) => entries.extend(found),
            Err(error) => errors.push(error),
        }
    }
    if entries.is_empty() && errors.is_empty() {
        errors.push(Error::new(
            Location::file("."),
            Cause::Read("no entry file given".into()),
        ));
    }
    Errors::check(errors)?;
    Ok(entries)
}

fn folder_entries(folder: &Path) -> Result<Vec<PathBuf>, Error> {
    let shown = folder.display().to_string();
    let read = std::fs::read_dir(folder).map_err(|e| Error::new(Location::file(&shown), Cause::Read(e.to_string())))?;
    let mut found = Vec::new();
    for entry in read.flatten() {
        let path = entry.path();
        let spec_like = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json"));
        if spec_like && path.is_file() && has_paths(&path) {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// Whether a file's top level has `paths`: a cheap look at the text, not a parse (a broken
/// file is reported when it is loaded as an entry, with its place).
fn has_paths(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return true;
    };
    text.lines()
        .any(|line| line.starts_with("paths:") || line.trim_start().starts_with("\"paths\""))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Swagger2,
    OpenApi3 { json_schema: bool },
}

/// The version all entry files are written in; they must agree.
fn formats(loader: &load::Loader, ids: &[load::DocId]) -> Result<Format, Errors> {
    let mut first: Option<(Format, &str)> = None;
    let mut errors = Vec::new();
    for &id in ids {
        let doc = loader.doc(id);
        match (spec_format(&doc.value, &doc.file), first) {
            (Err(error), _) => errors.push(error),
            (Ok(format), None) => first = Some((format, &doc.file)),
            (Ok(format), Some((expected, _))) if format == expected => {}
            (Ok(_), Some((_, first_file))) => {
                let why = format!(
                    "the entry files are written in different spec versions (see `{first_file}`); convert them to one"
                );
                errors.push(Error::new(Location::file(&doc.file), Cause::UnsupportedVersion(why)));
            }
        }
    }
    Errors::check(errors)?;
    Ok(first.map_or(Format::Swagger2, |(format, _)| format))
}

/// Which spec version a document is; anything else is refused, saying what is supported.
fn spec_format(document: &Value, file: &str) -> Result<Format, Error> {
    let supported =
        "supported: Swagger 2.0 (`swagger: \"2.0\"`), OpenAPI 3.0 (`openapi: 3.0.x`) and 3.1 (`openapi: 3.1.x`)";
    let at = |key: &str| Location::at(file, DocPath::root().key(key));
    let Value::Object(object) = document else {
        let cause = Cause::Invalid("the document is not a mapping of keys to values".into());
        return Err(Error::new(Location::file(file), cause));
    };
    let refused = |key: &str, v: &Value| {
        let why = format!("`{key}: {v}` is not supported; {supported}");
        Error::new(at(key), Cause::UnsupportedVersion(why))
    };
    match (object.get("swagger"), object.get("openapi")) {
        (Some(Value::String(v)), _) if v == "2.0" => Ok(Format::Swagger2),
        (_, Some(Value::String(v))) if is_minor(v, "3.0") => Ok(Format::OpenApi3 { json_schema: false }),
        (_, Some(Value::String(v))) if is_minor(v, "3.1") => Ok(Format::OpenApi3 { json_schema: true }),
        (Some(v), _) => Err(refused("swagger", v)),
        (_, Some(v)) => Err(refused("openapi", v)),
        (None, None) => Err(Error::new(
            Location {
                file: file.to_owned(),
                place: Place::File,
            },
            Cause::UnsupportedVersion(format!(
                "the document has no `swagger` or `openapi` version; {supported}"
            )),
        )),
    }
}

/// `3.1.0` and `3.1` are of minor version `3.1`; `3.10.0` is not.
fn is_minor(version: &str, minor: &str) -> bool {
    version == minor || version.strip_prefix(minor).is_some_and(|rest| rest.starts_with('.'))
}
