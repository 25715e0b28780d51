//! Emits the generated crate from the model: the list of its files, each made by one emitter.
//!
//! - `artifacts`: the crate's own code (`lib.rs`, types, endpoints, server, client) and the
//!   copied templates;
//! - `tests`: the crate's generated tests (spec examples, HTTP round trips, the server's
//!   boundary, hostile requests) and the samples they share;
//! - `tokens`: the token helpers every emitter uses.
//!
//! Formatting (on every core) is the next stage's, [`crate::format`].

mod artifacts;
mod tests;
mod tokens;

use artifacts::{client, crate_root, endpoint, server, templates, types};
use tests::{boundary, examples, hostile, round_trip};

use proc_macro2::TokenStream;

use crate::error::Errors;
use crate::format;
use crate::model::{Api, Module};

/// One file of the generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the crate root, with `/` separators.
    pub path: String,
    /// The whole content.
    pub contents: String,
}

/// An emitter: the tokens of one file, from the model only.
type Emitter = fn(&Api) -> TokenStream;

/// The crate's Rust files, each with the emitter that makes it: the artifact list.
fn rust_files() -> Vec<(String, Emitter)> {
    vec![
        ("src/lib.rs".to_owned(), crate_root::lib),
        ("src/types.rs".to_owned(), |api| types::module(api, &Module::Shared)),
        ("src/endpoints/mod.rs".to_owned(), endpoint::index),
        ("src/server.rs".to_owned(), server::module),
        ("src/client.rs".to_owned(), client::module),
        ("tests/spec_examples.rs".to_owned(), examples::tests),
        ("tests/http_round_trip.rs".to_owned(), round_trip::tests),
        ("tests/server_boundary.rs".to_owned(), boundary::tests),
        ("tests/hostile_requests.rs".to_owned(), hostile::tests),
    ]
}

/// Every file of the generated crate, sorted by path.
pub fn emit(api: &Api) -> Result<Vec<File>, Errors> {
    let header = format::header(api);
    let mut files = templates::files(api, &header)?;
    let tested = api.package.replace('-', "_");
    let mut jobs: Vec<format::Job<'_>> = rust_files()
        .into_iter()
        .map(|(path, emitter)| job(path, &tested, Box::new(move || emitter(api))))
        .collect();
    for op in &api.operations {
        let path = format!("src/endpoints/{}.rs", op.name);
        jobs.push(job(path, &tested, Box::new(move || endpoint::module(api, op))));
    }
    let formatted = format::in_parallel(&header, &jobs)?;
    files.extend(formatted.into_iter().map(|(path, contents)| File { path, contents }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The formatting job of the file at `path`: test files are outside the crate, so their
/// imports start at the crate's name (`tested`); the crate's own files import from `crate`.
fn job<'a>(path: String, tested: &str, tokens: Box<dyn Fn() -> TokenStream + Send + Sync + 'a>) -> format::Job<'a> {
    let root = if path.starts_with("tests/") { tested } else { "crate" };
    format::Job {
        root: root.to_owned(),
        path,
        tokens,
    }
}

/// Whether an output file is a copied template rather than generated from the spec.
pub fn is_template(path: &str) -> bool {
    templates::is_template(path)
}
