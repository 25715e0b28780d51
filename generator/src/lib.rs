//! Turns the Matrix Client-Server API spec (Swagger 2.0, split over files joined by `$ref`)
//! into a Rust crate.
//!
//! The pipeline is one typed stage per module, each a plain function:
//!
//! 1. [`load`]: read files under the spec root, YAML -> JSON, apply config patches;
//! 2. [`resolve`]: follow every `$ref` into one self-contained Swagger 2.0 document;
//! 3. [`swagger2`] + [`openapi`]: read it as Swagger 2.0 and convert it to OpenAPI 3.0
//!    (`openapiv3`); an OpenAPI 3.0 input starts here;
//! 4. [`model`]: decide every operation, type, name and option;
//! 5. [`emit`]: tokens per generated file, formatted by [`format`](mod@format);
//! 6. [`output`]: write the files, or check that the ones on disk are current.

pub mod config;
pub mod diagnostics;
mod docs;
pub mod emit;
pub mod error;
pub mod format;
pub mod load;
mod locate;
pub mod model;
pub mod naming;
pub mod openapi;
pub mod output;
pub mod resolve;
pub mod swagger2;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::config::Config;
use crate::error::{Cause, Error, Errors, Location};
use crate::model::Api;

/// The name of the config file looked for next to the entry file.
pub const CONFIG_FILE: &str = "codegen.toml";

/// What to generate from.
#[derive(Debug, Clone)]
pub struct Options {
    /// The entry file (`registration.yaml`).
    pub spec: PathBuf,
    /// The folder `$ref`s may not leave; default: the entry file's folder.
    pub root: Option<PathBuf>,
    /// The codegen config; default: `codegen.toml` next to the entry file, if there is one.
    pub config: Option<PathBuf>,
}

/// Everything one run produces.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The model.
    pub api: Api,
    /// The crate's files, sorted by path.
    pub files: Vec<emit::File>,
}

/// Reads the spec and builds the model and the crate's files. Nothing is written.
pub fn generate(options: &Options) -> Result<Generated, Errors> {
    let api = build_model(options)?;
    let files = emit::emit(&api)?;
    Ok(Generated { api, files })
}

/// Reads the spec and builds the model only.
pub fn build_model(options: &Options) -> Result<Api, Errors> {
    let read = read_spec(options)?;
    let mut errors = read.unused_patches;
    let sources = model::Sources {
        openapi: &read.openapi,
        origins: &read.origins,
        source: &read.entry_file,
        config: &read.config,
        config_file: &read.config_file,
    };
    // Report a stale patch together with whatever else the model finds.
    match model::build(sources) {
        Ok(api) if errors.is_empty() => Ok(api),
        Ok(_) => Err(Errors(errors)),
        Err(Errors(mut more)) => {
            errors.append(&mut more);
            Err(Errors(errors))
        }
    }
}

/// The spec as one OpenAPI 3.0 document: every `$ref` resolved and the config's patches
/// applied; what the model is built from (and what a spec-driven tester such as schemathesis
/// should check a server against).
pub fn resolved_openapi(options: &Options) -> Result<openapiv3::OpenAPI, Errors> {
    let mut read = read_spec(options)?;
    Errors::check(read.unused_patches)?;
    // The values the config gives the base path's placeholders, as OpenAPI server variables.
    for server in &mut read.openapi.servers {
        for (name, variable) in server.variables.iter_mut().flatten() {
            let configured = read.config.variables.get(name);
            if let Some(configured) = configured {
                variable.enumeration = configured.values.clone();
                variable.default = configured
                    .default
                    .clone()
                    .or_else(|| configured.values.last().cloned())
                    .unwrap_or_default();
            }
            variable.description = Some(format!("The value of `%{name}%` in the spec's `basePath`."));
        }
    }
    Ok(read.openapi)
}

/// What the stages before the model produce.
struct ReadSpec {
    openapi: openapiv3::OpenAPI,
    origins: std::collections::BTreeMap<String, Location>,
    entry_file: String,
    config: Config,
    config_file: String,
    unused_patches: Vec<Error>,
}

fn read_spec(options: &Options) -> Result<ReadSpec, Errors> {
    let spec_dir = options.spec.parent().map(Path::to_owned).unwrap_or_default();
    let spec_dir = if spec_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        spec_dir
    };
    let root = options.root.clone().unwrap_or_else(|| spec_dir.clone());
    let (config, config_file) = read_config(options, &spec_dir)?;
    let mut loader = load::Loader::new(&root, &config.patches)?;
    let entry = loader.load_entry(&options.spec)?;
    let entry_file = loader.doc(entry).file.clone();
    let (openapi, origins) = match spec_format(&loader.doc(entry).value, &entry_file)? {
        Format::Swagger2 => {
            let resolved = resolve::resolve(&mut loader, entry)?;
            (openapi::convert(&resolved)?, resolved.origins)
        }
        Format::OpenApi3 => (
            read_openapi3(&loader.doc(entry).value, &entry_file)?,
            Default::default(),
        ),
    };
    let unused_patches = loader.unused_patches(&config_file);
    Ok(ReadSpec {
        openapi,
        origins,
        entry_file,
        config,
        config_file,
        unused_patches,
    })
}

fn read_config(options: &Options, spec_dir: &Path) -> Result<(Config, String), Errors> {
    let path = match &options.config {
        Some(path) => path.clone(),
        None => {
            let next_to_spec = spec_dir.join(CONFIG_FILE);
            if !next_to_spec.exists() {
                return Ok((Config::default(), CONFIG_FILE.to_owned()));
            }
            next_to_spec
        }
    };
    let shown = path.display().to_string();
    Ok((Config::load(&path, &shown)?, shown))
}

enum Format {
    Swagger2,
    OpenApi3,
}

/// Which spec format a document is; anything else is refused, saying what is supported.
fn spec_format(document: &Value, file: &str) -> Result<Format, Error> {
    let supported = "supported: Swagger 2.0 (`swagger: \"2.0\"`) and OpenAPI 3.0 (`openapi: 3.0.x`)";
    let at = || Location::file(file);
    let Value::Object(object) = document else {
        return Err(Error::new(
            at(),
            Cause::Invalid("the document is not a mapping of keys to values".into()),
        ));
    };
    match (object.get("swagger"), object.get("openapi")) {
        (Some(Value::String(v)), _) if v == "2.0" => Ok(Format::Swagger2),
        (_, Some(Value::String(v))) if v.starts_with("3.0") => Ok(Format::OpenApi3),
        (Some(v), _) => Err(Error::new(
            at(),
            Cause::UnsupportedVersion(format!("`swagger: {v}` is not supported; {supported}")),
        )),
        (_, Some(v)) => Err(Error::new(
            at(),
            Cause::UnsupportedVersion(format!("`openapi: {v}` is not supported; {supported}")),
        )),
        (None, None) => Err(Error::new(
            at(),
            Cause::UnsupportedVersion(format!(
                "the document has no `swagger` or `openapi` version; {supported}"
            )),
        )),
    }
}

/// Reads an OpenAPI 3.0 document; its `$ref`s must be local (`#/components/...`).
fn read_openapi3(document: &Value, file: &str) -> Result<openapiv3::OpenAPI, Error> {
    if let Some(reference) = first_external_ref(document) {
        let why =
            format!("`$ref: {reference}`: an OpenAPI 3.0 spec must be in one file (refs to `#/components/...` only)");
        return Err(Error::new(Location::file(file), Cause::Unsupported(why)));
    }
    serde_path_to_error::deserialize(document).map_err(|e| {
        Error::new(
            Location::at(file, openapi::path_of(e.path())),
            Cause::Invalid(e.inner().to_string()),
        )
    })
}

fn first_external_ref(value: &Value) -> Option<String> {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(r)) = object.get("$ref")
                && !r.starts_with('#')
            {
                return Some(r.clone());
            }
            object.values().find_map(first_external_ref)
        }
        Value::Array(items) => items.iter().find_map(first_external_ref),
        _ => None,
    }
}
