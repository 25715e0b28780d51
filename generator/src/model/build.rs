//! Builds the [`Api`] model from an OpenAPI 3.0 document and the codegen config.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3 as oa;

use super::base_path;
use super::operation::{self, Input};
use super::schema::{Renames, Types};
use super::{Api, Auth, Example, Module, Operation, Presence, TypeId, TypeKind, TypeRef};
use crate::config::Config;
use crate::error::{Cause, DocPath, Error, Errors, Location};
use crate::naming;

/// Wire names of fields that always hold secrets; the config can add more.
pub const SECRET_FIELDS: &[&str] = &[
    "password",
    "new_password",
    "access_token",
    "refresh_token",
    "client_secret",
];

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
    let mut secrets: BTreeSet<String> = SECRET_FIELDS.iter().map(|s| (*s).to_owned()).collect();
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
    let error = error_type(config, &mut types, &mut errors, config_file);
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
    box_recursion(&mut defs);
    let operations = operations
        .into_iter()
        .map(|op| Operation {
            uiaa: uiaa(&defs, &op),
            ..op
        })
        .collect();
    let mut examples = known_example_errors(types.examples, config, &mut errors, config_file);
    for example in &mut examples {
        example.expected = without_defaults(&defs, &example.ty, &example.value);
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

/// The type of Matrix error bodies: the config's, checked to have `errcode` and `error`, or
/// one the generator adds when the config names none.
fn error_type(config: &Config, types: &mut Types<'_>, errors: &mut Vec<Error>, config_file: &str) -> TypeId {
    let Some(name) = &config.responses.error else {
        // Without a config, a shared type of the right shape is the error type, the one named
        // `Error` first; a spec that has none gets one.
        let fits = |d: &&super::TypeDef| d.module == Module::Shared && error_shape(d).is_ok();
        let named_error = types.defs.iter().position(|d| fits(&d) && d.name == "Error");
        let any = types.defs.iter().position(|d| fits(&d));
        return named_error.or(any).map_or_else(|| types.add_matrix_error(), TypeId);
    };
    let found = types
        .defs
        .iter()
        .position(|d| d.module == Module::Shared && &d.name == name);
    let why = match found.map(|i| (i, error_shape(&types.defs[i]))) {
        Some((i, Ok(()))) => return TypeId(i),
        Some((_, Err(why))) => format!("[responses] error = `{name}`: {why}"),
        None => format!("[responses] error = `{name}`, but there is no shared type `{name}`"),
    };
    errors.push(Error::new(Location::file(config_file), Cause::Config(why)));
    types.add_matrix_error()
}

/// A Matrix error type has a required string `errcode`, an optional string `error`, and no
/// other required field (the generated code builds it from those two).
fn error_shape(def: &super::TypeDef) -> Result<(), String> {
    let TypeKind::Struct(s) = &def.kind else {
        return Err("it is not an object".into());
    };
    let field = |wire: &str| s.fields.iter().find(|f| f.wire == wire);
    match field("errcode") {
        Some(f) if matches!(f.ty, TypeRef::String | TypeRef::ErrorCode) && f.presence == Presence::Required => {}
        _ => return Err("it needs a required string `errcode`".into()),
    }
    match field("error") {
        Some(f) if f.ty == TypeRef::String && f.presence == Presence::Optional => {}
        _ => return Err("it needs an optional string `error`".into()),
    }
    match s
        .fields
        .iter()
        .find(|f| f.presence == Presence::Required && f.wire != "errcode")
    {
        Some(f) => Err(format!(
            "its field `{}` is required, so it cannot be built from an errcode",
            f.wire
        )),
        None => Ok(()),
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
        let derived = match &op.operation_id {
            Some(id) => naming::module_ident(id),
            None => naming::module_ident(&naming::operation_name(method, path)),
        };
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

/// Whether an operation is driven by User-Interactive Authentication: its 401 carries a state
/// with `flows` and `session`, and its (required) body an `auth` object with a `session`.
fn uiaa(defs: &[super::TypeDef], op: &Operation) -> Option<super::Uiaa> {
    let field = |id: TypeId, wire: &str| -> Option<&super::Field> {
        let TypeKind::Struct(s) = &defs[id.0].kind else {
            return None;
        };
        s.fields.iter().find(|f| f.wire == wire)
    };
    let named = |ty: &TypeRef| match ty {
        TypeRef::Named(id) => Some(*id),
        _ => None,
    };
    let unauthorized = op.responses.iter().find(|r| r.status == super::Status::Code(401))?;
    let state = named(unauthorized.ty.as_ref()?)?;
    let flows = field(state, "flows")?;
    let state_session =
        field(state, "session").filter(|f| f.ty == TypeRef::String && f.presence == Presence::Optional)?;
    let body = op.body.as_ref().filter(|b| b.required)?;
    let auth_field = field(named(&body.ty)?, "auth")?;
    let auth = named(&auth_field.ty)?;
    let auth_session =
        field(auth, "session").filter(|f| f.ty == TypeRef::String && f.presence == Presence::Optional)?;
    if !matches!(flows.ty, TypeRef::Array(_)) || auth_field.presence != Presence::Optional {
        return None;
    }
    Some(super::Uiaa {
        variant: unauthorized.variant.clone(),
        state,
        state_session: state_session.ident.clone(),
        auth_field: auth_field.ident.clone(),
        auth,
        auth_session: auth_session.ident.clone(),
    })
}

/// Boxes every field through which a struct contains itself without a `Vec` or map in between.
fn box_recursion(defs: &mut [super::TypeDef]) {
    let direct = |defs: &[super::TypeDef], id: usize| -> Vec<usize> {
        match &defs[id].kind {
            TypeKind::Struct(s) => s
                .fields
                .iter()
                .filter_map(|f| match f.ty {
                    TypeRef::Named(t) => Some(t.0),
                    _ => None,
                })
                .collect(),
            TypeKind::Union(u) => u
                .variants
                .iter()
                .filter_map(|v| match v.ty {
                    TypeRef::Named(t) => Some(t.0),
                    _ => None,
                })
                .collect(),
            TypeKind::Enum(_) => Vec::new(),
        }
    };
    let reaches = |defs: &[super::TypeDef], from: usize, to: usize| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            if id == to {
                return true;
            }
            if seen.insert(id) {
                stack.extend(direct(defs, id));
            }
        }
        false
    };
    for id in 0..defs.len() {
        if let TypeKind::Union(u) = &defs[id].kind {
            let boxed: Vec<bool> = u
                .variants
                .iter()
                .map(|v| matches!(v.ty, TypeRef::Named(t) if reaches(defs, t.0, id)))
                .collect();
            if let TypeKind::Union(u) = &mut defs[id].kind {
                for (variant, boxed) in u.variants.iter_mut().zip(boxed) {
                    variant.boxed = boxed;
                }
            }
            continue;
        }
        let TypeKind::Struct(s) = &defs[id].kind else { continue };
        let boxed: Vec<bool> = s
            .fields
            .iter()
            .map(|f| matches!(f.ty, TypeRef::Named(t) if reaches(defs, t.0, id)))
            .collect();
        if let TypeKind::Struct(s) = &mut defs[id].kind {
            for (field, boxed) in s.fields.iter_mut().zip(boxed) {
                field.boxed = boxed;
            }
        }
    }
}

/// Marks the examples the config lists as known spec errors; a listed one that does not exist
/// is an error, so the list never goes stale silently.
fn known_example_errors(
    mut examples: Vec<Example>,
    config: &Config,
    errors: &mut Vec<Error>,
    config_file: &str,
) -> Vec<Example> {
    for known in &config.known_example_errors {
        let matching: Vec<&mut Example> = examples.iter_mut().filter(|e| e.name == known.example).collect();
        if matching.is_empty() {
            let why = format!(
                "[[known_example_error]] `{}` names no example (their names are in the model summary)",
                known.example
            );
            errors.push(Error::new(Location::file(config_file), Cause::Config(why)));
        }
        for example in matching {
            example.known_error = Some(known.reason.clone());
        }
    }
    examples
}

/// `value` as it comes back from type `ty`: keys holding their field's default are left out.
fn without_defaults(defs: &[super::TypeDef], ty: &TypeRef, value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match (ty, value) {
        (TypeRef::Named(id), Value::Object(object)) => {
            let TypeKind::Struct(s) = &defs[id.0].kind else {
                return value.clone();
            };
            let mut out = serde_json::Map::new();
            for (key, item) in object {
                let field = s.fields.iter().find(|f| &f.wire == key);
                if let Some(Presence::Default(default)) = field.map(|f| &f.presence)
                    && is_default(defs, default, item)
                {
                    continue;
                }
                let item_ty = field.map(|f| &f.ty).or(s.extra.as_ref().map(|e| &e.ty));
                let item = item_ty.map_or_else(|| item.clone(), |t| without_defaults(defs, t, item));
                out.insert(key.clone(), item);
            }
            Value::Object(out)
        }
        (TypeRef::Array(item_ty), Value::Array(items)) => {
            Value::Array(items.iter().map(|item| without_defaults(defs, item_ty, item)).collect())
        }
        (TypeRef::Map(value_ty), Value::Object(object)) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), without_defaults(defs, value_ty, v)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

fn is_default(defs: &[super::TypeDef], default: &super::DefaultValue, value: &serde_json::Value) -> bool {
    use super::DefaultValue as D;
    match default {
        D::Bool(b) => value.as_bool() == Some(*b),
        D::Int(i) => value.as_i64() == Some(*i),
        D::Float(f) => value.as_f64() == Some(*f),
        D::Str(s) => value.as_str() == Some(s),
        D::Variant(id, index) => match &defs[id.0].kind {
            TypeKind::Enum(e) => match &e.variants[*index].wire {
                super::EnumValue::Str(s) => value.as_str() == Some(s),
                super::EnumValue::Int(i) => value.as_i64() == Some(*i),
            },
            TypeKind::Struct(_) | TypeKind::Union(_) => false,
        },
    }
}

impl Api {
    /// Whether a field or parameter with this presence is an `Option` in Rust.
    pub fn is_option(presence: &Presence) -> bool {
        matches!(presence, Presence::Optional)
    }
}
