//! Builds the [`Api`] model from an OpenAPI 3.0 document and the codegen config.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3 as oa;

use super::operation::{self, Input};
use super::schema::{Renames, Types};
use super::{Api, Auth, Operation, Presence, TypeRef};
use super::{base_path, boxing, enum_docs, examples, matrix};
use crate::config::Config;
use crate::error::{Cause, DocPath, Error, Errors, Location};
use crate::naming;

/// What the model is built from.
pub struct Sources<'a> {
    /// The API.
    pub openapi: &'a oa::OpenAPI,
    /// Where each component schema was written.
    pub origins: &'a BTreeMap<String, Location>,
    /// The entry files, relative to the spec root.
    pub entry_files: &'a [String],
    /// The entry file each path was written in.
    pub path_files: &'a BTreeMap<String, String>,
    /// The config.
    pub config: &'a Config,
    /// How errors name the config file.
    pub config_file: &'a str,
}

/// Builds the model; collects every error it finds before failing.
pub fn build(sources: Sources<'_>) -> Result<Api, Errors> {
    let Sources {
        openapi,
        origins,
        entry_files,
        path_files,
        config,
        config_file,
    } = sources;
    let first_file = entry_files.first().map_or("", String::as_str);
    let mut errors = Vec::new();
    let config_error = |why: String| Error::new(Location::file(config_file), Cause::Config(why));
    let empty = indexmap::IndexMap::new();
    let components = openapi.components.as_ref().map_or(&empty, |c| &c.schemas);
    let mut secrets: BTreeSet<String> = matrix::SECRET_FIELDS.iter().map(|s| (*s).to_owned()).collect();
    secrets.extend(config.secrets.fields.iter().cloned());
    let mut types = Types::new(
        components,
        origins,
        Renames::new(config.rename.types.clone()),
        secrets.clone(),
    );
    types.convert_components();
    let package = match &config.package.name {
        Some(name) if naming::is_package_name(name) => name.clone(),
        Some(name) => {
            let why = format!(
                "[package] name = `{name}` is not a package name (ASCII letters, digits, `-` and `_`, starting with a letter)"
            );
            errors.push(config_error(why));
            naming::package_name(&openapi.info.title)
        }
        None => naming::package_name(&openapi.info.title),
    };
    let error = matrix::error_type(config, &mut types, &mut errors, config_file);
    let error_type = Some(TypeRef::Named(error));
    let places = base_path::Places {
        spec: first_file,
        config: config_file,
    };
    let base_path::BasePaths {
        base: base_path,
        variables,
        extra: path_prefixes,
    } = base_path::base_paths(openapi, config, &mut errors, &places);
    let files = Files {
        first: first_file,
        of_path: path_files,
        prefixes: &path_prefixes,
    };
    let operations = operations(openapi, &files, config, &mut types, error_type, &mut errors);
    for key in types.renames.unused() {
        errors.push(config_error(format!(
            "[rename.types] `{key}` names no type (the derived names are in the model summary)"
        )));
    }
    errors.append(&mut types.errors);
    let mut defs = types.defs;
    boxing::box_recursion(&mut defs);
    let operations = operations
        .into_iter()
        .map(|op| Operation {
            uiaa: matrix::uiaa(&defs, &op),
            ..op
        })
        .collect();
    let mut examples = examples::known_example_errors(types.examples, config, &mut errors, config_file);
    for example in &mut examples {
        example.expected = examples::without_defaults(&defs, &example.ty, &example.value);
    }
    Errors::check(errors)?;
    let mut api = Api {
        title: config
            .package
            .title
            .clone()
            .unwrap_or_else(|| openapi.info.title.clone()),
        version: openapi.info.version.clone(),
        description: openapi.info.description.clone(),
        source: sources_text(entry_files),
        package,
        base_path,
        variables,
        operations,
        types: defs,
        error,
        secrets: secrets.into_iter().collect(),
        examples,
        patches: config
            .patches
            .iter()
            .map(|p| (p.file.clone(), p.reason.clone()))
            .collect(),
    };
    enum_docs::fill(&mut api);
    let site = config.docs.site.as_deref().unwrap_or(super::DEFAULT_SITE);
    super::links::absolute_links(&mut api, site);
    Ok(api)
}

/// The entry files as the generated files' headers name them: each, or for a folder of many
/// their count and folder (`72 entry files in api/client-server/`).
fn sources_text(entry_files: &[String]) -> String {
    if entry_files.len() <= 3 {
        return entry_files.join(", ");
    }
    let folder = |file: &String| {
        file.rsplit_once('/')
            .map_or(String::new(), |(folder, _)| format!("{folder}/"))
    };
    let first = entry_files.first().map(folder).unwrap_or_default();
    if entry_files.iter().all(|f| folder(f) == first) {
        format!("{} entry files in {first}", entry_files.len())
    } else {
        format!("{} entry files", entry_files.len())
    }
}

/// Which entry file each path was written in, for error locations.
struct Files<'a> {
    first: &'a str,
    of_path: &'a BTreeMap<String, String>,
    /// What goes before a spec path under the API's base path.
    prefixes: &'a BTreeMap<String, String>,
}

impl Files<'_> {
    fn of(&self, path: &str) -> &str {
        self.of_path.get(path).map_or(self.first, String::as_str)
    }

    /// The operation's path under the API's base path.
    fn full_path(&self, path: &str) -> String {
        let prefix = self.prefixes.get(path).map_or("", String::as_str);
        // The Matrix spec tells two operations of one method and path apart by a trailing
        // space in one's key (`/rooms/{roomId}/invite `); on the wire they are one path.
        format!("{prefix}{}", path.trim())
    }
}

fn operations(
    openapi: &oa::OpenAPI,
    files: &Files<'_>,
    config: &Config,
    types: &mut Types<'_>,
    error_type: Option<TypeRef>,
    errors: &mut Vec<Error>,
) -> Vec<Operation> {
    let mut named: BTreeMap<String, (&str, &str, &oa::Operation)> = BTreeMap::new();
    let mut used_renames = BTreeSet::new();
    for (path, method, op) in openapi.operations() {
        let derived = naming::operation_module(op.operation_id.as_deref(), method, path);
        let name = match config.rename.operations.get(&derived) {
            Some(new) => {
                used_renames.insert(derived.clone());
                naming::module_ident(new)
            }
            None => derived,
        };
        if let Some((other_path, other_method, _)) = named.get(&name) {
            let why = format!(
                "`{} {path}` and `{} {other_path}` would both be named `{name}`; give one an `operationId` or a [rename.operations] entry",
                method.to_ascii_uppercase(),
                other_method.to_ascii_uppercase()
            );
            errors.push(Error::new(
                Location::at(files.of(path), DocPath::root().key("paths").key(path).key(method)),
                Cause::NameCollision(why),
            ));
            continue;
        }
        named.insert(name, (path, method, op));
    }
    for key in config.rename.operations.keys().filter(|k| !used_renames.contains(*k)) {
        errors.push(Error::new(
            Location::file(files.first),
            Cause::Config(format!("[rename.operations] `{key}` names no operation")),
        ));
    }
    for name in &config.auth.optional {
        if !named.contains_key(name) {
            errors.push(Error::new(
                Location::file(files.first),
                Cause::Config(format!("[auth] optional lists `{name}`, which is no operation")),
            ));
        }
    }
    named
        .into_iter()
        .map(|(name, (path, method, op))| {
            let auth = auth(
                op.security.as_ref().or(openapi.security.as_ref()),
                config.auth.optional.contains(&name),
            );
            let at = Location::at(files.of(path), DocPath::root().key("paths").key(path).key(method));
            let full_path = files.full_path(path);
            operation::operation(
                types,
                Input {
                    name,
                    method,
                    path: &full_path,
                    op,
                    at,
                    auth,
                    error_type: error_type.clone(),
                },
            )
        })
        .collect()
}

/// No requirement: no token; an empty alternative (`{}`) or the config: optional; else required.
fn auth(requirements: Option<&Vec<oa::SecurityRequirement>>, configured_optional: bool) -> Auth {
    match requirements {
        None => Auth::None,
        Some(list) if list.is_empty() => Auth::None,
        Some(list) if configured_optional || list.iter().any(|r| r.is_empty()) => Auth::Optional,
        Some(_) => Auth::Required,
    }
}

impl Api {
    /// Whether a field or parameter with this presence is an `Option` in Rust.
    pub fn is_option(presence: &Presence) -> bool {
        matches!(presence, Presence::Optional)
    }
}
