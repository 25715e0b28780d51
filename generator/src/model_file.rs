//! The model a generated crate came from, written into the crate as `api-model.json`: once
//! committed, the next `cargo xtask codegen` reads it back and reports what a spec bump changes
//! ([`crate::diff::compare`]) before it rewrites the crate.
//!
//! The file is one of the crate's generated files, so `--check` and the freshness test keep it
//! current; nothing in the crate reads it (no `include_str!`, no build script). It is the
//! [`Api`] as serde writes it: without its prose (descriptions, docs) and examples, which the
//! crate's docs and tests hold already and the comparison never reads, so that the whole
//! Client-Server API's model stays a fraction of its crate; pretty-printed in the model's own
//! order (operations by name, types by id), so it is the same bytes on every run. Its first
//! key is the `@generated` header, on the first line like every generated file's.
//!
//! A model field added later reads an older file only with `#[serde(default)]`; without it,
//! the first codegen after the change prints [`ReadError::Format`] instead of a report, and
//! writes the file anew.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::emit::File;
use crate::error::{Cause, Error, Errors, Location};
use crate::model::Api;

/// The file's path in a generated crate.
pub const FILE_NAME: &str = "api-model.json";

/// Why a crate's committed model could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The crate has no model file: it was never generated, or generated before the file was.
    #[error("{} is missing (a first run, or a crate generated before its model was committed)", .0.display())]
    Missing(PathBuf),
    /// The file exists but could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The file is not the model this generator writes (an older generator's, or edited).
    #[error("{} is not this generator's model (an older generator's?): {source}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What serde found.
        source: serde_json::Error,
    },
}

/// What the file holds: the header, then the model.
#[derive(Serialize)]
struct Written<'a> {
    #[serde(rename = "@generated")]
    generated: String,
    api: &'a Api,
}

#[derive(Deserialize)]
struct Read {
    api: Api,
}

/// The model file of the crate generated from `api`.
pub fn file(api: &Api) -> Result<File, Errors> {
    let written = Written {
        generated: format!(
            "{} from {} ({} {}). Do not edit: the next codegen compares the new model with this one.",
            crate::output::MARKER,
            api.source,
            api.title,
            api.version
        ),
        api,
    };
    let json = serde_json::to_string_pretty(&written).map_err(|e| {
        let cause = Cause::Invalid(format!(
            "internal error in the generator: the model does not serialize: {e}"
        ));
        Errors(vec![Error::new(Location::file(FILE_NAME), cause)])
    })?;
    // JSON has no comments, so the header is the first key, joined to the opening brace: the
    // marker is then on the first line, where `output` and the tests look for it.
    let contents = match json.strip_prefix("{\n  ") {
        Some(rest) => format!("{{ {rest}\n"),
        None => json + "\n",
    };
    Ok(File {
        path: FILE_NAME.to_owned(),
        contents,
    })
}

/// The model committed in the crate at `out`.
pub fn read(out: &Path) -> Result<Api, ReadError> {
    let path = out.join(FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing(path)),
        Err(source) => return Err(ReadError::Io { path, source }),
    };
    match serde_json::from_str::<Read>(&text) {
        Ok(read) => Ok(read.api),
        Err(source) => Err(ReadError::Format { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed() -> Api {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/registration.yaml");
        crate::build_model(&crate::Options::new(spec)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_model_reads_back_without_its_prose_and_writes_back_the_same_bytes() {
        let api = seed();
        let written = file(&api).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), &written.contents).unwrap();
        let read_back = read(dir.path()).unwrap();
        assert_eq!(file(&read_back).unwrap().contents, written.contents);
        assert_eq!(read_back.operations.len(), api.operations.len());
        assert!(api.operations.iter().any(|op| op.description.is_some()));
        assert!(read_back.operations.iter().all(|op| op.description.is_none()));
        assert!(read_back.examples.is_empty() && !api.examples.is_empty());
    }

    #[test]
    fn the_header_is_on_the_first_line_and_the_file_is_still_json() {
        let written = file(&seed()).unwrap();
        let first = written.contents.lines().next().unwrap();
        assert!(first.starts_with("{ \"@generated\": "), "{first}");
        assert!(first.contains(crate::output::MARKER), "{first}");
        let value: serde_json::Value = serde_json::from_str(&written.contents).unwrap();
        assert!(value["api"]["operations"].is_array());
    }

    #[test]
    fn a_missing_or_foreign_file_is_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(dir.path()), Err(ReadError::Missing(_))));
        std::fs::write(dir.path().join(FILE_NAME), "{\"api\": {\"title\": \"x\"}}").unwrap();
        let error = read(dir.path()).unwrap_err();
        assert!(matches!(error, ReadError::Format { .. }), "{error}");
        assert!(error.to_string().contains("missing field"), "{error}");
    }
}
