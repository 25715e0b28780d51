//! Resolves every `$ref` of a spec into one self-contained Swagger 2.0 document.
//!
//! A referenced schema becomes one entry of `definitions`, keyed by where it lives
//! (`definitions/auth_data.yaml`, `registration.yaml#/definitions/Foo`), however many places
//! refer to it, so it becomes one Rust type. Every schema `$ref` is rewritten to point there,
//! which keeps self-references finite. A `$ref` with sibling keys (`description` next to it)
//! becomes `allOf: [$ref]` plus the siblings: the siblings add to the referenced schema, as the
//! Matrix spec means them. References to parameters, responses and path items are inlined.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::error::{Cause, DocPath, Error, Errors, Location};
use crate::load::{DocId, Loader, RefError, Target};

/// A spec with every `$ref` resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The entry file, relative to the spec root.
    pub entry_file: String,
    /// The entry document: `paths` with parameters, responses and path items inlined, and
    /// `definitions` holding every schema that any `$ref` reached, keyed by [`definition_key`].
    pub document: Value,
    /// Where each definition was written.
    pub origins: BTreeMap<String, Location>,
}

/// The key of a schema in the resolved `definitions`: its file, plus `#pointer` unless it is
/// the whole file.
pub fn definition_key(file: &str, pointer: &str) -> String {
    if pointer.is_empty() {
        file.to_owned()
    } else {
        format!("{file}#{pointer}")
    }
}

/// The local `$ref` that points at a resolved definition.
pub fn definition_ref(key: &str) -> String {
    format!("#/definitions/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// The definition key a local `$ref` produced by [`definition_ref`] points at.
pub fn key_of_ref(reference: &str) -> Option<String> {
    let escaped = reference.strip_prefix("#/definitions/")?;
    Some(escaped.replace("~1", "/").replace("~0", "~"))
}

/// Resolves the document `entry` of `loader`.
pub fn resolve(loader: &mut Loader, entry: DocId) -> Result<Resolved, Errors> {
    let entry_file = loader.doc(entry).file.clone();
    let document = loader.doc(entry).value.clone();
    let Value::Object(root) = document else {
        let cause = Cause::Invalid("the document is not a mapping of keys to values".into());
        return Err(Error::new(Location::file(entry_file), cause).into());
    };
    let mut resolver = Resolver {
        loader,
        definitions: IndexMap::new(),
        origins: BTreeMap::new(),
        errors: Vec::new(),
    };
    let mut out = root.clone();
    out.remove("parameters");
    out.remove("responses");
    if let Some(Value::Object(definitions)) = root.get("definitions") {
        for name in definitions.keys() {
            let pointer = format!("/definitions/{}", name.replace('~', "~0").replace('/', "~1"));
            let at = DocPath::root().key("definitions").key(name);
            resolver.define(Target { doc: entry, pointer }, &at);
        }
    }
    if let Some(Value::Object(paths)) = root.get("paths") {
        let mut resolved_paths = Map::new();
        for (path, item) in paths {
            let at = DocPath::root().key("paths").key(path);
            resolved_paths.insert(path.clone(), resolver.path_item(entry, item, &at));
        }
        out.insert("paths".into(), Value::Object(resolved_paths));
    }
    let mut definitions: Vec<(String, Value)> = resolver.definitions.into_iter().collect();
    definitions.sort_by(|a, b| a.0.cmp(&b.0));
    out.insert("definitions".into(), Value::Object(definitions.into_iter().collect()));
    Errors::check(resolver.errors)?;
    Ok(Resolved {
        entry_file,
        document: Value::Object(out),
        origins: resolver.origins,
    })
}

struct Resolver<'a> {
    loader: &'a mut Loader,
    definitions: IndexMap<String, Value>,
    origins: BTreeMap<String, Location>,
    errors: Vec<Error>,
}

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
            // A definition that is only a `$ref` (in `definitions:`) is the schema it points at.
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
            let rewritten = match key.as_str() {
                "properties" => self.schema_map(doc, child, &child_at),
                "additionalProperties" | "not" => self.schema(doc, child, &child_at),
                "items" => match child {
                    Value::Array(_) => self.schema_list(doc, child, &child_at),
                    _ => self.schema(doc, child, &child_at),
                },
                "allOf" | "anyOf" | "oneOf" => self.schema_list(doc, child, &child_at),
                // Nested `definitions` are only reachable through `$ref`s, which resolve them.
                "definitions" => continue,
                _ => child.clone(),
            };
            out.insert(key.clone(), rewritten);
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
            Value::String(definition_ref(&key)),
        )]));
        if siblings.is_empty() {
            return local;
        }
        let Value::Object(mut out) = self.schema(doc, &Value::Object(siblings), at) else {
            unreachable!()
        };
        let mut all_of = vec![local];
        if let Some(Value::Array(more)) = out.remove("allOf") {
            all_of.extend(more);
        }
        out.insert("allOf".into(), Value::Array(all_of));
        Value::Object(out)
    }

    fn schema_map(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        let out = map.iter().map(|(k, v)| (k.clone(), self.schema(doc, v, &at.key(k))));
        Value::Object(out.collect())
    }

    fn schema_list(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Value {
        let Value::Array(items) = value else {
            return value.clone();
        };
        let out = items.iter().enumerate().map(|(i, v)| self.schema(doc, v, &at.index(i)));
        Value::Array(out.collect())
    }

    /// Inlines a `$ref` in a non-schema place (parameter, response, path item). Returns the
    /// document the value was written in, and the value.
    fn inline(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Option<(DocId, Value, DocPath)> {
        match pure_or_any_ref(value) {
            None => Some((doc, value.clone(), at.clone())),
            Some(reference) => {
                let (target, value) = self.follow_chain(doc, &at.key("$ref"), &reference)?;
                let path = DocPath::from_pointer(&target.pointer);
                Some((target.doc, value, path))
            }
        }
    }

    fn path_item(&mut self, doc: DocId, item: &Value, at: &DocPath) -> Value {
        let Some((doc, item, at)) = self.inline(doc, item, at) else {
            return Value::Object(Map::new());
        };
        let Value::Object(item) = item else { return item };
        let mut out = Map::new();
        for (key, value) in &item {
            let value_at = at.key(key);
            let rewritten = match key.as_str() {
                "parameters" => self.parameters(doc, value, &value_at),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" => {
                    self.operation(doc, value, &value_at)
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), rewritten);
        }
        Value::Object(out)
    }

    fn operation(&mut self, doc: DocId, operation: &Value, at: &DocPath) -> Value {
        let Value::Object(operation) = operation else {
            return operation.clone();
        };
        let mut out = operation.clone();
        if let Some(parameters) = operation.get("parameters") {
            out.insert(
                "parameters".into(),
                self.parameters(doc, parameters, &at.key("parameters")),
            );
        }
        if let Some(Value::Object(responses)) = operation.get("responses") {
            let mut resolved = Map::new();
            for (status, response) in responses {
                let response_at = at.key("responses").key(status);
                resolved.insert(status.clone(), self.with_schema(doc, response, &response_at));
            }
            out.insert("responses".into(), Value::Object(resolved));
        }
        Value::Object(out)
    }

    fn parameters(&mut self, doc: DocId, parameters: &Value, at: &DocPath) -> Value {
        let Value::Array(parameters) = parameters else {
            return parameters.clone();
        };
        let out = parameters
            .iter()
            .enumerate()
            .map(|(i, p)| self.with_schema(doc, p, &at.index(i)));
        Value::Array(out.collect())
    }

    /// A parameter or response: inlined if it is a `$ref`, with its `schema` resolved.
    fn with_schema(&mut self, doc: DocId, value: &Value, at: &DocPath) -> Value {
        let Some((doc, value, at)) = self.inline(doc, value, at) else {
            return Value::Object(Map::new());
        };
        let Value::Object(mut object) = value else { return value };
        if let Some(schema) = object.get("schema").cloned() {
            let rewritten = self.schema(doc, &schema, &at.key("schema"));
            object.insert("schema".into(), rewritten);
        }
        Value::Object(object)
    }
}

/// The target of an object that is nothing but a `$ref`.
fn pure_ref(value: &Value) -> Option<String> {
    match value {
        Value::Object(object) if object.len() == 1 => object.get("$ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The target of an object with a `$ref`, whatever else it holds (siblings of a `$ref` outside
/// schemas are ignored, as Swagger 2.0 says).
fn pure_or_any_ref(value: &Value) -> Option<String> {
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
        let entry = loader.load_entry(&dir.path().join(files[0].0)).unwrap();
        resolve(&mut loader, entry)
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
            key_of_ref("#/definitions/definitions~1tree.yaml#~1definitions~1Node").unwrap(),
            "definitions/tree.yaml#/definitions/Node"
        );
    }

    #[test]
    fn a_pure_ref_cycle_is_an_error_naming_the_chain() {
        let err = resolve_tree(&[
            ("api.yaml", "swagger: '2.0'\ndefinitions:\n  A: {$ref: 'a.yaml'}\n"),
            ("a.yaml", "$ref: b.yaml"),
            ("b.yaml", "$ref: a.yaml"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("cycle"), "{text}");
        assert!(text.contains("a.yaml -> b.yaml -> a.yaml"), "{text}");
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
}
