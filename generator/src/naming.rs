//! All naming: case conversion, keyword escaping and deterministic collision handling.
//!
//! Wire names are never lost: whenever a Rust name differs from the spec's, the emitters keep
//! the spec's as a `#[serde(rename)]`.

use crate::model::Status;

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be identifiers as they are (Rust 2024, strict and reserved).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait",
    "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot even be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Names a generated type must not take: prelude items and what generated modules import.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Box",
    "BTreeMap",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "Deserialize",
    "Drop",
    "Eq",
    "Err",
    "Fn",
    "From",
    "Into",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Send",
    "Serialize",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "Vec",
];

/// Splits a wire name into ASCII words: anything not an ASCII letter or digit separates words.
fn ascii_words(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// `snake_case` of any text; empty if it has no ASCII letter or digit.
pub fn snake(name: &str) -> String {
    ascii_words(name).to_snake_case()
}

/// `UpperCamelCase` of any text; empty if it has no ASCII letter or digit.
pub fn camel(name: &str) -> String {
    ascii_words(name).to_upper_camel_case()
}

/// A field, parameter or function name for a wire name: snake_case, keyword-escaped.
///
/// Returns the identifier as Rust source spells it (`r#type` for `type`).
pub fn field_ident(wire: &str) -> String {
    let name = snake(wire);
    let name = if name.is_empty() { "empty".to_owned() } else { name };
    escape_snake(&name)
}

/// A module (and file) name: snake_case, with keywords suffixed by `_` (file names cannot be raw).
pub fn module_ident(name: &str) -> String {
    let name = snake(name);
    let name = if name.is_empty() { "operation".to_owned() } else { name };
    let name = if starts_with_digit(&name) {
        format!("op_{name}")
    } else {
        name
    };
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// A type or variant name: UpperCamelCase, never a keyword or a reserved name.
pub fn type_ident(hint: &str) -> String {
    let name = camel(hint);
    let name = if name.is_empty() { "Value".to_owned() } else { name };
    let name = if starts_with_digit(&name) {
        format!("N{name}")
    } else {
        name
    };
    if KEYWORDS.contains(&name.as_str()) || RESERVED_TYPE_NAMES.contains(&name.as_str()) {
        format!("{name}Type")
    } else {
        name
    }
}

/// A variant name for a wire value: like [`type_ident`], but prelude names are fine.
pub fn variant_ident(wire: &str) -> String {
    let name = camel(wire);
    let name = if name.is_empty() { "Empty".to_owned() } else { name };
    let name = if starts_with_digit(&name) {
        format!("N{name}")
    } else {
        name
    };
    if name == "Self" { "SelfValue".to_owned() } else { name }
}

fn escape_snake(name: &str) -> String {
    let name = if starts_with_digit(name) {
        format!("n{name}")
    } else {
        name.to_owned()
    };
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

fn starts_with_digit(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_digit())
}

/// The token of an identifier as this module spells it (`r#type` stays raw).
pub fn ident(name: &str) -> proc_macro2::Ident {
    let span = proc_macro2::Span::call_site();
    match name.strip_prefix("r#") {
        Some(raw) => proc_macro2::Ident::new_raw(raw, span),
        None => proc_macro2::Ident::new(name, span),
    }
}

/// The identifier without a raw prefix (`r#type` -> `type`), for building other names from it.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// The default package name of a generated crate: the API's title in kebab-case.
pub fn package_name(title: &str) -> String {
    use heck::ToKebabCase;
    let name = ascii_words(title).to_kebab_case();
    match name.chars().next() {
        None => "generated-api".to_owned(),
        Some(c) if !c.is_ascii_alphabetic() => format!("api-{name}"),
        Some(_) => name,
    }
}

/// Whether `name` can be a Cargo package name (and, with `_` for `-`, a crate name).
pub fn is_package_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Methods the runtime `Client` has of its own; an operation named like one of them gets
/// its client method prefixed with `call_`.
const CLIENT_METHODS: &[&str] = &[
    "access_token",
    "interactive",
    "new",
    "prefix",
    "send",
    "send_once",
    "set_access_token",
    "with_access_token",
    "with_http_client",
    "with_rate_limit_retry",
    "with_stage_limit",
    "with_timeouts",
    "with_variable",
];

/// The client method of an operation: its name, unless the client already has a method of
/// that name (or of that name with `_interactive`).
pub fn client_method(operation: &str) -> String {
    let base = unraw(operation);
    let taken = |name: &str| CLIENT_METHODS.contains(&name);
    if taken(base) || base.strip_suffix("_interactive").is_some_and(taken) {
        format!("call_{base}")
    } else {
        operation.to_owned()
    }
}

/// The module of an operation, before any rename: its `operationId` (stable across bumps), or
/// else a name from its method and path ([`operation_name`]).
pub fn operation_module(operation_id: Option<&str>, method: &str, path: &str) -> String {
    match operation_id {
        Some(id) => module_ident(id),
        None => module_ident(&operation_name(method, path)),
    }
}

/// The name of an operation without `operationId`: the path's literal segments, with the
/// method in front unless it is POST (`POST /register/email/requestToken` ->
/// `register_email_request_token`, `GET /profile/{userId}` -> `get_profile`).
pub fn operation_name(method: &str, path: &str) -> String {
    let literal = path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{'));
    let mut words: Vec<String> = literal.map(snake).filter(|s| !s.is_empty()).collect();
    if !method.eq_ignore_ascii_case("post") {
        words.insert(0, method.to_ascii_lowercase());
    }
    words.join("_")
}

/// The name a component schema gets from where it lives: the last JSON pointer token of a
/// fragment (`x.yaml#/definitions/Foo` -> `Foo`), else the file stem (`errors/error.yaml` -> `Error`).
pub fn component_hint(key: &str) -> String {
    if let Some((_, pointer)) = key.split_once('#') {
        return pointer.rsplit('/').next().unwrap_or(pointer).to_owned();
    }
    let file = key.rsplit('/').next().unwrap_or(key);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    stem.to_owned()
}

/// Folders of a component's file that can tell it apart from a namesake, innermost last,
/// without the generic `definitions`.
pub fn component_folders(key: &str) -> Vec<String> {
    let file = key.split_once('#').map_or(key, |(file, _)| file);
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    parts
        .into_iter()
        .filter(|p| *p != "definitions" && *p != "." && !p.is_empty())
        .map(camel)
        .collect()
}

/// The name of the enum variant that keeps a value the spec does not list: `Other`, or the
/// first of `OtherValue`, `UnknownValue` that no listed value took.
pub fn other_variant(taken: &[&str]) -> String {
    ["Other", "OtherValue", "UnknownValue"]
        .into_iter()
        .find(|name| !taken.contains(name))
        .unwrap_or("UnlistedValue")
        .to_owned()
}

/// The variant name of a union member of a JSON type (`String`, `Integer`, `Object`...).
pub fn union_label(json_type: Option<&str>, is_enum: bool) -> String {
    let label = match json_type {
        Some("string") if is_enum => "Known",
        Some("string") => "String",
        Some("integer") => "Integer",
        Some("number") => "Number",
        Some("boolean") => "Bool",
        Some("array") => "List",
        Some("object") => "Object",
        _ => "Value",
    };
    label.to_owned()
}

/// The response enum variant for a status: its reason phrase in UpperCamelCase.
pub fn status_variant(status: Status) -> String {
    let known = match status {
        Status::Code(code) => reason(code),
        Status::Range(1) => Some("Informational"),
        Status::Range(2) => Some("Success"),
        Status::Range(3) => Some("Redirection"),
        Status::Range(4) => Some("ClientError"),
        Status::Range(5) => Some("ServerError"),
        Status::Range(_) => None,
        Status::Default => Some("Default"),
    };
    match (known, status) {
        (Some(name), _) => name.to_owned(),
        (None, Status::Range(class)) => format!("Status{class}xx"),
        (None, Status::Code(code)) => format!("Status{code}"),
        (None, Status::Default) => "Default".to_owned(),
    }
}

fn reason(code: u16) -> Option<&'static str> {
    Some(match code {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "NonAuthoritativeInformation",
        204 => "NoContent",
        206 => "PartialContent",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        414 => "UriTooLong",
        415 => "UnsupportedMediaType",
        416 => "RangeNotSatisfiable",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return None,
    })
}

/// The name of an operation's request body type.
pub const REQUEST_BODY_TYPE: &str = "RequestBody";

/// The name of a response body type: `ResponseBody` for the 200, else `{Variant}Body`.
pub fn response_body_type(is_ok: bool, variant: &str) -> String {
    if is_ok {
        "ResponseBody".to_owned()
    } else {
        format!("{variant}Body")
    }
}

/// The name of an array's item type, from the array's (`Flows` -> `FlowsItem`).
pub fn item_type(array: &str) -> String {
    format!("{array}Item")
}

/// The name of a map's value type, from the map's (`Params` -> `ParamsValue`).
pub fn value_type(map: &str) -> String {
    format!("{map}Value")
}

/// The functions that give a field's default and tell whether a value is it
/// (`request_body_kind_default`, `is_request_body_kind_default`).
pub fn default_fn(type_name: &str, field: &str, is: bool) -> String {
    let base = format!("{}_{}", snake(type_name), unraw(field));
    if is {
        format!("is_{base}_default")
    } else {
        format!("{base}_default")
    }
}

/// Where each `crate::` path of a file starts once the file imports what it uses: the index of
/// the segment that becomes the path's first, or no entry to keep the whole path.
///
/// A path starts at its item (the first segment in UpperCamelCase, or else the last: a
/// function), `crate::types::MatrixError::new` -> `MatrixError::new`. When that name is `taken`
/// (the file uses it for anything else: a local item, a binding, a field, another crate's
/// path) or two different items want it, the path starts at the crate's top module instead
/// (`crate::endpoints::register::Request` -> `endpoints::register::Request` in a file that
/// also uses `http::Request`), so that every such path of a file reads alike and the file
/// imports one module, not one per operation; a path whose top module's name is taken too
/// stays whole.
pub fn import_starts(paths: &BTreeSet<Vec<String>>, taken: &BTreeSet<String>) -> BTreeMap<Vec<String>, usize> {
    let item = |path: &[String]| {
        path.iter()
            .skip(1)
            .position(|segment| segment.starts_with(|c: char| c.is_ascii_uppercase()))
            .map_or(path.len() - 1, |i| i + 1)
    };
    // The names two different items want: neither gets it, whichever comes first.
    let mut wanted: BTreeMap<&str, BTreeSet<&[String]>> = BTreeMap::new();
    for path in paths.iter().filter(|p| p.len() > 1) {
        let at = item(path);
        wanted.entry(path[at].as_str()).or_default().insert(&path[..=at]);
    }
    let mut given: BTreeMap<&str, &[String]> = BTreeMap::new();
    let mut starts = BTreeMap::new();
    for path in paths.iter().filter(|p| p.len() > 1) {
        for at in [item(path), 1] {
            let (name, prefix) = (path[at].as_str(), &path[..=at]);
            let contested = wanted.get(name).is_some_and(|items| items.iter().any(|p| *p != prefix));
            let free = given.get(name).map_or(!taken.contains(name), |p| *p == prefix);
            if free && !contested {
                given.insert(name, prefix);
                starts.insert(path.clone(), at);
                break;
            }
        }
    }
    starts
}

/// The names taken in one namespace (a module, or a struct's fields).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    /// A scope where `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Whether `name` is taken.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(unraw(name))
    }

    /// Takes the first free candidate, else the first candidate with the smallest free number
    /// appended (`Name2`, or `name_2` / `N10_2` where a digit would run into the number).
    pub fn claim(&mut self, candidates: &[String]) -> String {
        for candidate in candidates {
            if !self.is_taken(candidate) {
                self.taken.insert(unraw(candidate).to_owned());
                return candidate.clone();
            }
        }
        let base = unraw(&candidates[0]).to_owned();
        let snake_like = base.contains('_') || base.starts_with(|c: char| c.is_ascii_lowercase());
        let separator = if base.ends_with('_') {
            ""
        } else if snake_like || base.ends_with(|c: char| c.is_ascii_digit()) {
            "_"
        } else {
            ""
        };
        let name = (2..)
            .map(|n| format!("{base}{separator}{n}"))
            .find(|n| !self.taken.contains(n))
            .unwrap_or(base);
        self.taken.insert(name.clone());
        name
    }

    /// Takes `name` exactly; `false` if it was taken already.
    pub fn take(&mut self, name: &str) -> bool {
        self.taken.insert(unraw(name).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_snake_case_and_escaped() {
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("Self"), "self_");
        assert_eq!(field_ident("m.homeserver"), "m_homeserver");
        assert_eq!(field_ident("foo-bar"), "foo_bar");
        assert_eq!(field_ident("1st_place"), "n1st_place");
        assert_eq!(field_ident("200"), "n200");
        assert_eq!(field_ident("camelCase"), "camel_case");
        assert_eq!(field_ident("$dollar"), "dollar");
        assert_eq!(field_ident(""), "empty");
        assert_eq!(field_ident("ünïcode"), "n_code");
        assert_eq!(field_ident("gen"), "r#gen");
    }

    #[test]
    fn types_and_variants_are_camel_case() {
        assert_eq!(type_ident("Flow information"), "FlowInformation");
        assert_eq!(type_ident("auth_data"), "AuthData");
        assert_eq!(type_ident("String"), "StringType");
        assert_eq!(type_ident("200"), "N200");
        assert_eq!(variant_ident("m.login.dummy"), "MLoginDummy");
        assert_eq!(variant_ident("no-support"), "NoSupport");
        assert_eq!(variant_ident("Self"), "SelfValue");
        assert_eq!(variant_ident(""), "Empty");
        assert_eq!(variant_ident("1.0"), "N10");
    }

    #[test]
    fn operations_are_named_from_method_and_path() {
        assert_eq!(
            operation_name("post", "/register/email/requestToken"),
            "register_email_request_token"
        );
        assert_eq!(
            operation_name("get", "/profile/{userId}/displayname"),
            "get_profile_displayname"
        );
        assert_eq!(module_ident("changePassword"), "change_password");
        assert_eq!(
            module_ident("requestTokenToRegisterMSISDN"),
            "request_token_to_register_msisdn"
        );
        assert_eq!(module_ident("type"), "type_");
    }

    #[test]
    fn components_are_named_from_file_or_pointer() {
        assert_eq!(component_hint("definitions/auth_data.yaml"), "auth_data");
        assert_eq!(component_hint("x.yaml#/definitions/Foo"), "Foo");
        assert_eq!(component_folders("identity/definitions/sid.yaml"), ["Identity"]);
    }

    #[test]
    fn package_names_are_kebab_case_and_valid() {
        assert_eq!(
            package_name("Matrix Client-Server Registration API"),
            "matrix-client-server-registration-api"
        );
        assert_eq!(package_name(""), "generated-api");
        assert_eq!(package_name("2fa API"), "api-2fa-api");
        assert!(is_package_name("matrix-registration") && !is_package_name("1x") && !is_package_name("a b"));
    }

    #[test]
    fn collisions_are_numbered_deterministically() {
        let mut scope = Scope::with_reserved(&["Request"]);
        assert_eq!(scope.claim(&["Request".into()]), "Request2");
        assert_eq!(scope.claim(&["a".into()]), "a");
        assert_eq!(scope.claim(&["a".into()]), "a_2");
        assert_eq!(scope.claim(&["N10".into()]), "N10");
        assert_eq!(scope.claim(&["N10".into()]), "N10_2");
        assert_eq!(scope.claim(&["r#type".into()]), "r#type");
        assert_eq!(scope.claim(&["r#type".into()]), "type_2");
        assert_eq!(scope.claim(&["self_".into()]), "self_");
        assert_eq!(scope.claim(&["self_".into()]), "self_2");
        assert_eq!(scope.claim(&["Foo".into(), "BarFoo".into()]), "Foo");
        assert_eq!(scope.claim(&["Foo".into(), "BarFoo".into()]), "BarFoo");
    }

    #[test]
    fn variants_are_named_by_status() {
        assert_eq!(status_variant(Status::Code(200)), "Ok");
        assert_eq!(status_variant(Status::Code(429)), "TooManyRequests");
        assert_eq!(status_variant(Status::Code(418)), "Status418");
        assert_eq!(status_variant(Status::Range(4)), "ClientError");
        assert_eq!(status_variant(Status::Default), "Default");
    }

    /// `CLIENT_METHODS` is a copy of the runtime client's own method names: tied to the
    /// template, so a method added there cannot shadow an operation's.
    #[test]
    fn client_methods_are_the_runtime_clients() {
        let template = include_str!("../../templates/src/runtime/client.rs");
        let mut found: Vec<&str> = Vec::new();
        let mut inside = false;
        for line in template.lines() {
            if line.starts_with("impl Client {") {
                inside = true;
            } else if line == "}" {
                inside = false;
            } else if inside && line.starts_with("    ") && !line.starts_with("     ") {
                let code = line.trim_start();
                let code = code
                    .strip_prefix("pub(crate) ")
                    .or_else(|| code.strip_prefix("pub "))
                    .unwrap_or(code);
                let code = code.strip_prefix("async ").unwrap_or(code);
                if let Some(rest) = code.strip_prefix("fn ") {
                    found.extend(rest.split(['(', '<']).next());
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        let mut listed = CLIENT_METHODS.to_vec();
        listed.sort_unstable();
        assert_eq!(found, listed);
    }
}
