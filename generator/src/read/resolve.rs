//! Resolves every `$ref` of one or more entry files into one self-contained document.
//!
//! The resolver knows JSON Schema and `$ref`, not the layout of a spec version: the reader of
//! each version gives a [`Layout`] that says what each place of its documents holds. A schema
//! `$ref` becomes one entry of the definitions (`definitions` in Swagger 2.0,
//! `components/schemas` in OpenAPI 3), keyed by where the schema lives
//! (`definitions/auth_data.yaml`, `registration.yaml#/definitions/Foo`), however many places
//! and entry files refer to it, so it becomes one Rust type; every schema `$ref` is rewritten
//! to point there, which keeps self-references finite. A schema `$ref` with sibling keys
//! (`description` next to it) becomes `allOf: [$ref]` plus the siblings: the siblings add to
//! the referenced schema, as the Matrix spec means them. Any other `$ref` (a parameter, a
//! response, a path item, security schemes, an example) is inlined, its siblings laid over the
//! referenced object (OpenAPI 3.1's `summary` and `description` overrides).
//!
//! Several entry files merge into one document: their paths side by side (the same method and
//! path twice is an error), their other keys equal or disjoint (two different values for one
//! key, say two security schemes of one name, is an error naming both files); `info` is the
//! first file's.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Cause, DocPath, Error, Errors, Location, escape_token, unescape_token};
use crate::read::load::{DocId, Loader, RefError, Target};

/// The kinds of spec objects a `$ref` can stand for besides schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The whole document.
    Document,
    /// A path item (`/register`).
    PathItem,
    /// An operation (`post`).
    Operation,
    /// A parameter.
    Parameter,
    /// An OpenAPI 3 request body.
    RequestBody,
    /// A response.
    Response,
    /// An OpenAPI 3 media type (`application/json`).
    MediaType,
    /// A response header.
    Header,
    /// A security scheme.
    SecurityScheme,
    /// An OpenAPI 3 example object (`summary`, `value`).
    Example,
    /// OpenAPI 3 `components`.
    Components,
}

/// What one place of a document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A schema: a `$ref` here is a shared definition.
    Schema,
    /// An example value: written as is, but a `$ref` in it stands for the value in that file
    /// (with its siblings laid over it), as the Matrix spec's examples use it.
    Example,
    /// A spec object: a `$ref` here is inlined, and its keys are what the layout says.
    Part(Part),
}

/// What the value under one key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// One value of this kind.
    One(Kind),
    /// A map or list whose every value is of this kind; a `$ref` for the whole map is inlined.
    Each(Kind),
    /// A map of schemas that are definitions whether or not anything refers to them.
    Definitions,
    /// Copied as written.
    Value,
    /// Left out: reachable only through `$ref`s, which inline or define what they reach.
    Drop,
}

/// What a spec version's reader tells the resolver.
pub trait Layout {
    /// What the value under `key` of an object of `part` holds.
    fn child(&self, part: Part, key: &str) -> Slot;
    /// Where the resolved document keeps its definitions (`["definitions"]`).
    fn definitions(&self) -> &'static [&'static str];
    /// Top-level keys that are defaults for the document's own paths (`servers`, `basePath`):
    /// when entry files merge, each path keeps its own file's, so they may differ.
    fn path_defaults(&self) -> &'static [&'static str];
    /// Brings one schema object into the shape the reader reads (its children already
    /// resolved); the error is the cause, the resolver adds where.
    fn schema(&self, schema: &mut Map<String, Value>) -> Result<(), Cause>;
}

/// A spec with every `$ref` resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The entry files, relative to the spec root.
    pub entry_files: Vec<String>,
    /// One document: the entry files' paths and other keys, parameters, responses and path
    /// items inlined, and the definitions holding every schema that any `$ref` reached, keyed
    /// by [`definition_key`] and sorted.
    pub document: Value,
    /// Where each definition was written.
    pub origins: BTreeMap<String, Location>,
    /// The entry file each path was written in.
    pub path_files: BTreeMap<String, String>,
    /// Where the document keeps its definitions.
    pub definitions: &'static [&'static str],
}

impl Resolved {
    /// Where a place of the resolved document was written: inside a definition, in the
    /// definition's own file; under a path, in its entry file; else in the first entry file.
    pub fn locate(&self, at: &DocPath) -> Location {
        use crate::error::Segment;
        let segments = at.segments();
        let key = |i: usize| match segments.get(i) {
            Some(Segment::Key(key)) => Some(key.as_str()),
            _ => None,
        };
        let depth = self.definitions.len();
        let in_definitions = (0..depth).all(|i| key(i) == Some(self.definitions[i]));
        if in_definitions && let Some(origin) = key(depth).and_then(|k| self.origins.get(k)) {
            let rest = DocPath::from_segments(segments[depth + 1..].to_vec());
            return match &origin.place {
                crate::error::Place::Path(path) => Location::at(&origin.file, path.join(&rest)),
                _ => origin.clone(),
            };
        }
        let file = match (key(0), key(1)) {
            (Some("paths"), Some(path)) => self.path_files.get(path),
            _ => None,
        };
        let file = file.or(self.entry_files.first()).cloned().unwrap_or_default();
        Location::at(file, at.clone())
    }
}

/// The key of a schema in the resolved definitions: its file, plus `#pointer` unless it is the
/// whole file.
pub fn definition_key(file: &str, pointer: &str) -> String {
    if pointer.is_empty() {
        file.to_owned()
    } else {
        format!("{file}#{pointer}")
    }
}

/// The local `$ref` of a definition kept under `at` (`["definitions"]`).
pub fn definition_ref(at: &[&str], key: &str) -> String {
    format!("#/{}/{}", at.join("/"), escape_token(key))
}

/// The definition key a local `$ref` made by [`definition_ref`] points at.
pub fn key_of_ref(at: &[&str], reference: &str) -> Option<String> {
    let escaped = reference.strip_prefix(&format!("#/{}/", at.join("/")))?;
    Some(unescape_token(escaped))
}

/// Resolves the documents `entries` of `loader` into one.
pub fn resolve(loader: &mut Loader, entries: &[DocId], layout: &dyn Layout) -> Result<Resolved, Errors> {
    let mut resolver = Resolver {
        loader,
        layout,
        definitions: IndexMap::new(),
        origins: BTreeMap::new(),
        errors: Vec::new(),
    };
    let mut merged = Merged::default();
    for &entry in entries {
        let file = resolver.loader.doc(entry).file.clone();
        let document = resolver.loader.doc(entry).value.clone();
        let walked = resolver.walk(entry, &document, Kind::Part(Part::Document), &DocPath::root());
        let Value::Object(walked) = walked else {
            let cause = Cause::Invalid("the document is not a mapping of keys to values".into());
            resolver.errors.push(Error::new(Location::file(&file), cause));
            continue;
        };
        merged.add(
            &file,
            with_path_defaults(walked, layout.path_defaults()),
            layout.path_defaults(),
            &mut resolver.errors,
        );
    }
    let Resolver {
        definitions,
        origins,
        mut errors,
        ..
    } = resolver;
    let mut definitions: Vec<(String, Value)> = definitions.into_iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));
    let mut document = merged.document;
    insert_at(
        &mut document,
        layout.definitions(),
        Value::Object(definitions.into_iter().collect()),
    );
    errors.dedup();
    Errors::check(errors)?;
    Ok(Resolved {
        entry_files: merged.files,
        document: Value::Object(document),
        origins,
        path_files: merged.path_files,
        definitions: layout.definitions(),
    })
}

fn insert_at(document: &mut Map<String, Value>, at: &[&str], value: Value) {
    let Some((last, parents)) = at.split_last() else { return };
    let mut map = document;
    for key in parents {
        let slot = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else { return };
        map = inner;
    }
    map.insert((*last).to_owned(), value);
}

/// The entry files' documents merged into one.
#[derive(Default)]
struct Merged {
    document: Map<String, Value>,
    files: Vec<String>,
    /// The file each top-level key and each path came from, for error messages.
    key_files: BTreeMap<String, String>,
    path_files: BTreeMap<String, String>,
}

impl Merged {
    fn add(&mut self, file: &str, walked: Map<String, Value>, defaults: &[&str], errors: &mut Vec<Error>) {
        self.files.push(file.to_owned());
        for (key, value) in walked {
            let at = DocPath::root().key(&key);
            match (key.as_str(), self.document.get_mut(&key)) {
                (key, Some(_)) if defaults.contains(&key) => {}
                (_, None) => {
                    if let ("paths", Value::Object(paths)) = (key.as_str(), &value) {
                        for path in paths.keys() {
                            self.path_files.insert(path.clone(), file.to_owned());
                        }
                    }
                    self.key_files.insert(key.clone(), file.to_owned());
                    self.document.insert(key, value);
                }
                ("info" | "tags", Some(_)) => {}
                ("paths", Some(Value::Object(paths))) => {
                    let Value::Object(more) = value else { continue };
                    for (path, mut item) in more {
                        let first = self
                            .path_files
                            .entry(path.clone())
                            .or_insert_with(|| file.to_owned())
                            .clone();
                        let at = at.key(&path);
                        let into = paths.entry(path).or_insert(Value::Null);
                        same_operation_twice(into, &mut item, &first, file, &at, errors);
                        merge_value(into, item, &first, file, &at, errors);
                    }
                }
                (_, Some(existing)) => {
                    let first = self.key_files.get(&key).cloned().unwrap_or_default();
                    merge_value(existing, value, &first, file, &at, errors);
                }
            }
        }
    }
}

/// An operation (method and path) that two entry files both define is an error, even when
/// they define it alike: one of them is stale, and the reader should say which to keep. The
/// second is left out of the merge.
fn same_operation_twice(
    into: &Value,
    item: &mut Value,
    first: &str,
    file: &str,
    at: &DocPath,
    errors: &mut Vec<Error>,
) {
    let (Value::Object(into), Value::Object(item)) = (into, item) else {
        return;
    };
    let twice: Vec<String> = item
        .keys()
        .filter(|k| super::METHODS.contains(&k.as_str()) && into.contains_key(*k))
        .cloned()
        .collect();
    for method in twice {
        item.remove(&method);
        let why = format!("the entry files `{first}` and `{file}` both define this operation; keep it in one");
        errors.push(Error::new(Location::at(file, at.key(&method)), Cause::Invalid(why)));
    }
}

/// The document with its path defaults (`servers`) written into each of its path items that
/// has none of its own.
fn with_path_defaults(mut document: Map<String, Value>, defaults: &[&str]) -> Map<String, Value> {
    let values: Vec<(&str, Value)> = defaults
        .iter()
        .filter_map(|key| Some((*key, document.get(*key)?.clone())))
        .collect();
    if let Some(Value::Object(paths)) = document.get_mut("paths") {
        for item in paths.values_mut() {
            let Value::Object(item) = item else { continue };
            for (key, value) in &values {
                item.entry(*key).or_insert_with(|| value.clone());
            }
        }
    }
    document
}

/// Merges `value`, written in `file`, into `into`, written in `first`: mappings key by key,
/// anything else must be equal. A mapping whose keys hold different plain values (two
/// security schemes of one name) is reported once, as a whole.
fn merge_value(into: &mut Value, value: Value, first: &str, file: &str, at: &DocPath, errors: &mut Vec<Error>) {
    match (into, value) {
        (into @ Value::Null, value) => *into = value,
        (into, value) if *into == value => {}
        (Value::Object(into), Value::Object(value)) if !leaves_differ(into, &value) => {
            for (key, child) in value {
                let slot = into.entry(key.clone()).or_insert(Value::Null);
                merge_value(slot, child, first, file, &at.key(&key), errors);
            }
        }
        _ => {
            let why = format!(
                "the entry files `{first}` and `{file}` both define `{at}`, differently; one API cannot have both"
            );
            errors.push(Error::new(Location::at(file, at.clone()), Cause::Invalid(why)));
        }
    }
}

/// Whether two mappings hold a key with different values that are not both mappings.
fn leaves_differ(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    b.iter().any(|(key, value)| {
        a.get(key)
            .is_some_and(|old| old != value && !(old.is_object() && value.is_object()))
    })
}

struct Resolver<'a> {
    loader: &'a mut Loader,
    layout: &'a dyn Layout,
    definitions: IndexMap<String, Value>,
    origins: BTreeMap<String, Location>,
    errors: Vec<Error>,
}

/// How deep `$ref`s inside examples may nest before the resolver calls it a cycle.
const MAX_EXAMPLE_DEPTH: usize = 32;

impl Resolver<'_> {
    fn error(&mut self, doc: DocId, at: &DocPath, cause: Cause) {
        let file = self.loader.doc(doc).file.clone();
        self.errors.push(Error::new(Location::at(file, at.clone()), cause));
    }

    /// Follows `reference` written in `doc` at `at`; records the error and returns `None` on failure.
    fn follow(&mut self, doc: DocId, at: &DocPath, reference: &str) -> Option<Target> {
        match self.loader.resolve_ref(doc, reference) {
            Ok(target) => Some(target),
            Err(RefError::Cause(cause)) => {
                self.error(doc, at, cause);
                None
            }
            Err(RefError::Load(error)) => {
                if !self.errors.contains(&error) {
                    self.errors.push(error);
                }
                None
            }
        }
    }

    fn value_at(&self, target: &Target) -> Value {
        let doc = &self.loader.doc(target.doc).value;
        doc.pointer(&target.pointer).cloned().unwrap_or(Value::Null)
    }

    /// Follows a chain of objects that are nothing but a `$ref`, to the first real value.
    /// Errors (recorded) on a cycle.
    fn follow_chain(&mut self, doc: DocId, at: &DocPath, reference: &str) -> Option<(Target, Value)> {
        let mut target = self.follow(doc, at, reference)?;
        let mut seen = vec![target.clone()];
        loop {
            let value = self.value_at(&target);
            let Some(next) = pure_ref(&value) else {
                return Some((target, value));
            };
            let next_at = DocPath::from_pointer(&target.pointer).key("$ref");
            target = self.follow(target.doc, &next_at, &next)?;
            if seen.contains(&target) {
                let chain: Vec<String> = seen.iter().chain([&target]).map(|t| self.describe(t)).collect();
                self.error(doc, at, Cause::RefCycle(chain.join(" -> ")));
                return None;
            }
            seen.push(target.clone());
        }
    }

    fn describe(&self, target: &Target) -> String {
        definition_key(&self.loader.doc(target.doc).file, &target.pointer)
    }

    /// Rewrites one value of `kind` written in `doc` at `at`.
    fn walk(&mut self, doc: DocId, value: &Value, kind: Kind, at: &DocPath) -> Value {
        match kind {
            Kind::Schema => self.schema(doc, value, at),
            Kind::Example => self.example(doc, value, at, 0),
            Kind::Part(part) => self.part(doc, value, part, at),
        }
    }

    fn slot(&mut self, doc: DocId, value: &Value, slot: Slot, at: &DocPath) -> Option<Value> {
        match slot {
            Slot::One(kind) => Some(self.walk(doc, value, kind, at)),
            Slot::Each(kind) => Some(self.each(doc, value, kind, at)),
            Slot::Definitions => {
                self.definitions_of(doc, value, at);
                None
            }
            Slot::Value => Some(value.clone()),
            Slot::Drop => None,
        }
    }

    /// A map or list of values of one kind; a `$ref` standing for the whole map is inlined.
    fn each(&mut self, doc: DocId, value: &Value, kind: Kind, at: &DocPath) -> Value {
        let Some((doc, value, at)) = self.inline(doc, value, at) else {
            return Value::Object(Map::new());
        };
        match &value {
            Value::Object(map) => {
                let out = map
                    .iter()
                    .map(|(k, v)| (k.clone(), self.walk(doc, v, kind, &at.key(k))));
                Value::Object(out.collect())
            }
            Value::Array(items) => {
                let out = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.walk(doc, v, kind, &at.index(i)));
                Value::Array(out.collect())
            }
            _ => value.clone(),
        }
    }

    /// Every schema of a `definitions` map becomes a definition, referenced or not.
    fn definitions_of(&mut self, doc: DocId, value: &Value, at: &DocPath) {
        let Value::Object(map) = value else { return };
        let pointer = at.to_pointer();
        for name in map.keys() {
            let target = Target {
                doc,
                pointer: format!("{pointer}/{}", escape_token(name)),
            };
            self.define(target, &at.key(name));
        }
    }

    /// A spec object: inlined if it is a `$ref`, then each key as the layout says.
    fn part(&mut self, doc: DocId, value: &Value, part: Part, at: &DocPath) -> Value {
        let Some((doc, value, at)) = self.inline(doc, value, at) else {
            return Value::Object(Map::new());
        };
        let Value::Object(object) = value else { return value };
        let mut out = Map::new();
        for (key, child) in &object {
            let slot = self.layout.child(part, key);
            if let Some(rewritten) = self.slot(doc, child, slot, &at.key(key)) {
                out.insert(key.clone(), rewritten);
            }
        }
        Value::Object(out)
    }

    /// Inlines a `$ref` in a non-schema place: the referenced object with the siblings of the
    /// `$ref` laid over it. Returns the document the value was written in, the value and where.
    fn inline(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Option<(DocId, Value, DocPath)> {
        let Some(reference) = any_ref(value) else {
            return Some((doc, value.clone(), at.clone()));
        };
        let (target, mut found) = self.follow_chain(doc, &at.key("$ref"), &reference)?;
        if let (Value::Object(found), Some(siblings)) = (&mut found, value.as_object()) {
            for (key, sibling) in siblings.iter().filter(|(k, _)| *k != "$ref") {
                found.insert(key.clone(), sibling.clone());
            }
        }
        Some((target.doc, found, DocPath::from_pointer(&target.pointer)))
    }

    /// An example value: a `$ref` anywhere in it is replaced by the value it points at, with the
    /// siblings of the `$ref` laid over it.
    fn example(&mut self, doc: DocId, value: &Value, at: &DocPath, depth: usize) -> Value {
        match value {
            Value::Object(object) => {
                if let Some(reference) = any_ref(value) {
                    if depth >= MAX_EXAMPLE_DEPTH {
                        self.error(
                            doc,
                            at,
                            Cause::RefCycle(format!(
                                "examples nest `$ref`s deeper than {MAX_EXAMPLE_DEPTH}: {reference}"
                            )),
                        );
                        return Value::Null;
                    }
                    let Some((target, found)) = self.follow_chain(doc, &at.key("$ref"), &reference) else {
                        return Value::Null;
                    };
                    let mut found =
                        self.example(target.doc, &found, &DocPath::from_pointer(&target.pointer), depth + 1);
                    if let Value::Object(found) = &mut found {
                        for (key, sibling) in object.iter().filter(|(k, _)| *k != "$ref") {
                            found.insert(key.clone(), self.example(doc, sibling, &at.key(key), depth));
                        }
                    }
                    return found;
                }
                let out = object
                    .iter()
                    .map(|(k, v)| (k.clone(), self.example(doc, v, &at.key(k), depth)));
                Value::Object(out.collect())
            }
            Value::Array(items) => {
                let out = items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| self.example(doc, v, &at.index(i), depth));
                Value::Array(out.collect())
            }
            _ => value.clone(),
        }
    }

    /// Makes sure the schema at `target` is a definition; returns its key.
    fn define(&mut self, target: Target, at: &DocPath) -> String {
        let key = self.describe(&target);
        if self.definitions.contains_key(&key) {
            return key;
        }
        let file = self.loader.doc(target.doc).file.clone();
        self.origins
            .insert(key.clone(), Location::at(file, DocPath::from_pointer(&target.pointer)));
        // Insert a placeholder first so that a schema referring to itself finds it.
        self.definitions.insert(key.clone(), Value::Null);
        let value = self.value_at(&target);
        let value = match pure_ref(&value) {
            // A definition that is only a `$ref` is the schema it points at.
            Some(reference) => self.schema_ref(target.doc, at, &reference, Map::new()),
            None => self.schema(target.doc, &value, &DocPath::from_pointer(&target.pointer)),
        };
        self.definitions.insert(key.clone(), value);
        key
    }

    /// Rewrites one schema written in `doc` at `at`.
    fn schema(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Value {
        let Value::Object(object) = value else {
            return value.clone();
        };
        if let Some(reference) = object.get("$ref") {
            let Some(reference) = reference.as_str().map(str::to_owned) else {
                self.error(doc, &at.key("$ref"), Cause::Invalid("`$ref` must be a string".into()));
                return Value::Object(Map::new());
            };
            let siblings: Map<String, Value> = object
                .iter()
                .filter(|(k, _)| *k != "$ref")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return self.schema_ref(doc, at, &reference, siblings);
        }
        let mut out = Map::new();
        for (key, child) in object {
            let child_at = at.key(key);
            if let Some(rewritten) = self.slot(doc, child, schema_child(key, child), &child_at) {
                out.insert(key.clone(), rewritten);
            }
        }
        if let Err(cause) = self.layout.schema(&mut out) {
            self.error(doc, at, cause);
        }
        Value::Object(out)
    }

    fn schema_ref(&mut self, doc: DocId, at: &DocPath, reference: &str, siblings: Map<String, Value>) -> Value {
        let Some((target, _)) = self.follow_chain(doc, &at.key("$ref"), reference) else {
            return Value::Object(Map::new());
        };
        let key = self.define(target, at);
        let local = Value::Object(Map::from_iter([(
            "$ref".to_owned(),
            Value::String(definition_ref(self.layout.definitions(), &key)),
        )]));
        if siblings.is_empty() {
            return local;
        }
        let Value::Object(mut out) = self.schema(doc, &Value::Object(siblings), at) else {
            return local;
        };
        let mut all_of = vec![local];
        if let Some(Value::Array(more)) = out.remove("allOf") {
            all_of.extend(more);
        }
        out.insert("allOf".into(), Value::Array(all_of));
        Value::Object(out)
    }
}

/// What a key of a schema holds (JSON Schema, the same in every spec version).
fn schema_child(key: &str, value: &Value) -> Slot {
    match key {
        "properties" | "patternProperties" | "dependentSchemas" => Slot::Each(Kind::Schema),
        "allOf" | "anyOf" | "oneOf" | "prefixItems" => Slot::Each(Kind::Schema),
        "items" if value.is_array() => Slot::Each(Kind::Schema),
        "additionalProperties"
        | "not"
        | "items"
        | "contains"
        | "propertyNames"
        | "if"
        | "then"
        | "else"
        | "unevaluatedProperties"
        | "unevaluatedItems"
        | "additionalItems" => Slot::One(Kind::Schema),
        "example" => Slot::One(Kind::Example),
        "examples" => Slot::Each(Kind::Example),
        // Nested definitions are only reachable through `$ref`s, which define what they reach.
        "definitions" | "$defs" => Slot::Drop,
        _ => Slot::Value,
    }
}

/// The target of an object that is nothing but a `$ref`.
fn pure_ref(value: &Value) -> Option<String> {
    match value {
        Value::Object(object) if object.len() == 1 => object.get("$ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The target of an object with a `$ref`, whatever else it holds.
fn any_ref(value: &Value) -> Option<String> {
    value.as_object()?.get("$ref")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_tree(files: &[(&str, &str)]) -> Result<Resolved, Errors> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut loader = Loader::new(dir.path(), &[]).unwrap();
        let entries: Vec<DocId> = files
            .iter()
            .filter(|(name, _)| !name.contains('/'))
            .map(|(name, _)| loader.load_entry(&dir.path().join(name)).unwrap())
            .collect();
        let first = loader.doc(entries[0]).value.clone();
        if first.get("swagger").is_some() {
            resolve(&mut loader, &entries, &crate::read::swagger2::Layout)
        } else {
            resolve(
                &mut loader,
                &entries,
                &crate::read::openapi3::Layout { json_schema: true },
            )
        }
    }

    const API: &str = r##"
swagger: "2.0"
paths:
  /a:
    post:
      parameters:
        - in: body
          name: body
          schema:
            type: object
            properties:
              auth: {description: "Auth.", $ref: "definitions/auth.yaml"}
              again: {$ref: "definitions/auth.yaml"}
              tree: {$ref: "definitions/tree.yaml#/definitions/Node"}
      responses:
        200: {description: ok, schema: {$ref: "#/definitions/Local"}}
definitions:
  Local: {type: object, properties: {self: {$ref: "#/definitions/Local"}}}
"##;

    #[test]
    fn a_schema_referenced_twice_is_one_definition_and_siblings_become_all_of() {
        let resolved = resolve_tree(&[
            ("api.yaml", API),
            ("definitions/auth.yaml", "type: object\nproperties: {type: {type: string}}"),
            ("definitions/tree.yaml", "definitions:\n  Node: {type: object, properties: {children: {type: array, items: {$ref: '#/definitions/Node'}}}}"),
        ])
        .unwrap();
        let doc = &resolved.document;
        let keys: Vec<&String> = doc["definitions"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "api.yaml#/definitions/Local",
                "definitions/auth.yaml",
                "definitions/tree.yaml#/definitions/Node"
            ]
        );
        let props = &doc["paths"]["/a"]["post"]["parameters"][0]["schema"]["properties"];
        assert_eq!(props["again"]["$ref"], "#/definitions/definitions~1auth.yaml");
        assert_eq!(props["auth"]["description"], "Auth.");
        assert_eq!(
            props["auth"]["allOf"][0]["$ref"],
            "#/definitions/definitions~1auth.yaml"
        );
        let node = &doc["definitions"]["definitions/tree.yaml#/definitions/Node"];
        assert_eq!(
            node["properties"]["children"]["items"]["$ref"],
            "#/definitions/definitions~1tree.yaml#~1definitions~1Node"
        );
        assert_eq!(
            key_of_ref(
                &["definitions"],
                "#/definitions/definitions~1tree.yaml#~1definitions~1Node"
            )
            .unwrap(),
            "definitions/tree.yaml#/definitions/Node"
        );
    }

    #[test]
    fn a_pure_ref_cycle_is_an_error_naming_the_chain() {
        let err = resolve_tree(&[
            ("api.yaml", "swagger: '2.0'\ndefinitions:\n  A: {$ref: 'defs/a.yaml'}\n"),
            ("defs/a.yaml", "$ref: b.yaml"),
            ("defs/b.yaml", "$ref: a.yaml"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("cycle"), "{text}");
        assert!(text.contains("defs/a.yaml -> defs/b.yaml -> defs/a.yaml"), "{text}");
    }

    #[test]
    fn errors_name_the_file_and_place_and_several_are_collected() {
        let err = resolve_tree(&[(
            "api.yaml",
            "swagger: '2.0'\ndefinitions:\n  A: {type: object, properties: {x: {$ref: 'missing.yaml'}, y: {$ref: '../out.yaml'}}}\n",
        )])
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        let text = err.to_string();
        assert!(text.contains("api.yaml at definitions.A.properties.x.$ref"), "{text}");
        assert!(text.contains("leaves the spec root"), "{text}");
    }

    #[test]
    fn a_referenced_parameter_is_inlined_with_its_schema_resolved_from_its_own_file() {
        let resolved = resolve_tree(&[
            ("api.yaml", "swagger: '2.0'\npaths:\n  /a:\n    post:\n      parameters: [{$ref: 'params/p.yaml'}]\n      responses: {}\n"),
            ("params/p.yaml", "in: body\nname: body\nschema: {$ref: 'schema.yaml'}"),
            ("params/schema.yaml", "type: object"),
        ])
        .unwrap();
        let param = &resolved.document["paths"]["/a"]["post"]["parameters"][0];
        assert_eq!(param["in"], "body");
        assert_eq!(param["schema"]["$ref"], "#/definitions/params~1schema.yaml");
    }

    const REGISTRATION: &str = r##"
openapi: 3.1.0
info: {title: Registration, version: 1.0.0}
paths:
  /register:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: definitions/auth.yaml}
            examples:
              response: {value: {$ref: examples/auth.yaml, session: xyz}}
      responses:
        "200": {description: ok}
components:
  securitySchemes:
    bearer: {$ref: definitions/security.yaml#/bearer}
"##;

    const PASSWORD: &str = r##"
openapi: 3.1.0
info: {title: Password, version: 1.0.0}
paths:
  /account/password:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: definitions/auth.yaml}
      responses:
        "200": {description: ok}
components:
  securitySchemes:
    bearer: {$ref: definitions/security.yaml#/bearer}
"##;

    fn shared_files() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "definitions/auth.yaml",
                "type: object\nproperties: {session: {type: [string, 'null']}}",
            ),
            ("definitions/security.yaml", "bearer: {type: http, scheme: bearer}"),
            ("examples/auth.yaml", "type: m.login.dummy\nsession: abc"),
        ]
    }

    #[test]
    fn two_entry_files_share_a_schema_and_merge_their_paths_and_schemes() {
        let mut files = vec![("registration.yaml", REGISTRATION), ("password.yaml", PASSWORD)];
        files.extend(shared_files());
        let resolved = resolve_tree(&files).unwrap();
        let doc = &resolved.document;
        let schemas: Vec<&String> = doc["components"]["schemas"].as_object().unwrap().keys().collect();
        assert_eq!(schemas, ["definitions/auth.yaml"]);
        assert_eq!(
            doc["components"]["schemas"]["definitions/auth.yaml"]["properties"]["session"],
            serde_json::json!({"type": "string", "nullable": true})
        );
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(resolved.path_files["/account/password"], "password.yaml");
        assert_eq!(resolved.path_files["/register"], "registration.yaml");
        let example = &doc["paths"]["/register"]["post"]["requestBody"]["content"]["application/json"]["examples"]["response"]
            ["value"];
        assert_eq!(example, &serde_json::json!({"type": "m.login.dummy", "session": "xyz"}));
    }

    #[test]
    fn the_same_operation_in_two_entry_files_is_an_error_naming_both() {
        let again = REGISTRATION.replace("Registration", "Again");
        let mut files = vec![("registration.yaml", REGISTRATION), ("again.yaml", again.as_str())];
        files.extend(shared_files());
        let text = resolve_tree(&files).unwrap_err().to_string();
        assert!(
            text.contains("`registration.yaml` and `again.yaml` both define this operation"),
            "{text}"
        );
        assert!(text.contains("paths./register.post"), "{text}");
    }
}
