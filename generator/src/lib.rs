//! Turns a Matrix API spec (Swagger 2.0, OpenAPI 3.0 or 3.1; one or more entry files joined
//! by `$ref`s to other files) into a Rust crate.
//!
//! The pipeline is one typed stage per module, each a plain function:
//!
//! 1. [`read`]: the front end: load the files under the spec root, resolve every `$ref`,
//!    merge the entry files, and bring the input version into the `openapiv3` model;
//! 2. [`model`]: decide every operation, type, name and option;
//! 3. [`emit`]: tokens per generated file, formatted by [`format`](mod@format);
//! 4. [`output`]: write the files, or check that the ones on disk are current.
//!
//! [`model_file`] writes the model into the crate too, so that the next run can report what a
//! spec bump changes ([`diff`]).
//!
//! [`config`] is the codegen config every stage reads; [`naming`] names everything the crate
//! has (case, keywords, collisions, imports); `docs` turns the spec's Markdown and Hugo
//! shortcodes into rustdoc; [`error`], `locate` and [`diagnostics`] report what went wrong,
//! with the file and the place; [`workspace`] lists the crates this workspace commits.

pub mod config;
pub mod diagnostics;
pub mod diff;
mod docs;
pub mod emit;
pub mod error;
pub mod format;
mod locate;
pub mod model;
pub mod model_file;
pub mod naming;
pub mod output;
pub mod read;
pub mod workspace;

pub use read::load;

use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Error, Errors};
use crate::model::Api;

/// The name of the config file looked for next to the entry files.
pub const CONFIG_FILE: &str = config::FILE_NAME;

/// What to generate from.
#[derive(Debug, Clone)]
pub struct Options {
    /// The entry files (`registration.yaml`), or folders of entry files.
    pub specs: Vec<PathBuf>,
    /// The folder `$ref`s may not leave; default: the first entry file's folder.
    pub root: Option<PathBuf>,
    /// The codegen config; default: `codegen.toml` next to the entry files, if there is one.
    pub config: Option<PathBuf>,
}

impl Options {
    /// Options for one entry file, its folder the root, its config found next to it.
    pub fn new(spec: impl Into<PathBuf>) -> Self {
        Self {
            specs: vec![spec.into()],
            root: None,
            config: None,
        }
    }

    /// The folder `$ref`s may not leave: `root`, else the first spec's folder (the spec
    /// itself when it is a folder of entry files).
    pub fn spec_root(&self) -> PathBuf {
        if let Some(root) = &self.root {
            return root.clone();
        }
        match self.specs.first() {
            Some(spec) if spec.is_dir() => spec.clone(),
            Some(spec) => read::folder_of(spec),
            None => PathBuf::from("."),
        }
    }
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
    let files = files(&api)?;
    Ok(Generated { api, files })
}

/// The crate's files for a model (its emitted code and its [`model_file`]), sorted by path.
pub fn files(api: &Api) -> Result<Vec<emit::File>, Errors> {
    let mut files = emit::emit(api)?;
    files.push(model_file::file(api)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Reads the spec and builds the model only.
pub fn build_model(options: &Options) -> Result<Api, Errors> {
    let (config, config_file) = Config::find(options.config.as_deref(), &options.specs)?;
    let spec = read::read(&options.specs, &options.spec_root(), &config, &config_file)?;
    let mut errors: Vec<Error> = spec.unused_patches.clone();
    let sources = model::Sources {
        openapi: &spec.openapi,
        origins: &spec.origins,
        entry_files: &spec.entry_files,
        path_files: &spec.path_files,
        config: &config,
        config_file: &config_file,
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
    let (config, config_file) = Config::find(options.config.as_deref(), &options.specs)?;
    let mut spec = read::read(&options.specs, &options.spec_root(), &config, &config_file)?;
    Errors::check(spec.unused_patches)?;
    // The values the config gives the base path's server variables.
    for server in &mut spec.openapi.servers {
        for (name, variable) in server.variables.iter_mut().flatten() {
            if let Some(configured) = config.variables.get(name) {
                variable.enumeration = configured.values.clone();
                variable.default = configured.default_value().unwrap_or_default();
            }
            variable
                .description
                .get_or_insert_with(|| format!("The value of `{{{name}}}` in the base path."));
        }
    }
    Ok(spec.openapi)
}
