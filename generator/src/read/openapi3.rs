//! The OpenAPI 3.0 and 3.1 reader: where their documents keep what a `$ref` reaches
//! ([`Layout`]), and 3.1 brought into the shape of the OpenAPI 3.0 model of `openapiv3`.
//!
//! OpenAPI 3.1 schemas are JSON Schema 2020-12; the model reads OpenAPI 3.0 schemas. Each
//! schema is rewritten as the resolver meets it, so an error names the file and place:
//! - `type` lists and `patternProperties`, as in every version (see `json_schema`);
//!   `type: "null"` alone is refused as not supported yet;
//! - `const: v` is `enum: [v]`; `examples: [a, ...]` gives `example: a` when there is none
//!   (the others are dropped: the model checks one example per schema);
//! - a numeric `exclusiveMinimum: n` (`exclusiveMaximum`) is `minimum: n` with
//!   `exclusiveMinimum: true`;
//! - a `$ref` with sibling keys is resolved as in every version: `allOf: [$ref]` plus the
//!   siblings (`description`, `deprecated`, `x-` keys kept);
//! - keywords 3.0 has no equivalent for and the model cannot honour (`prefixItems`,
//!   `if`/`then`/`else`, `dependentSchemas`, `unevaluatedProperties`, `unevaluatedItems`,
//!   `contains`, `$dynamicRef`) are refused, naming the keyword, rather than silently ignored.
//!
//! At the document level, `openapi: 3.1.x` reads as 3.0.3, and `webhooks`,
//! `jsonSchemaDialect` and `components/pathItems` (nothing the Matrix spec uses; webhooks are
//! not operations a server routes) are left out. Media type, parameter and header `examples`
//! are kept; the model reads them next to `example`.

use openapiv3 as oa;
use serde_json::{Map, Value, json};

use crate::error::{Cause, Error, Errors};
use crate::read::path_of;
use crate::read::resolve::{self, Kind, Part, Resolved, Slot};

/// Where OpenAPI 3 keeps the definitions of a resolved document.
pub const DEFINITIONS: &[&str] = &["components", "schemas"];

/// JSON Schema keywords of OpenAPI 3.1 that the model cannot honour yet.
const UNSUPPORTED: &[&str] = &[
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "$dynamicRef",
];

/// What each place of an OpenAPI 3 document holds.
pub struct Layout {
    /// OpenAPI 3.1: schemas are JSON Schema 2020-12 and are rewritten as 3.0 schemas.
    pub json_schema: bool,
}

impl resolve::Layout for Layout {
    fn child(&self, part: Part, key: &str) -> Slot {
        match (part, key) {
            (Part::Document, "paths") => Slot::Each(Kind::Part(Part::PathItem)),
            (Part::Document, "components") => Slot::One(Kind::Part(Part::Components)),
            (Part::Document, "webhooks" | "jsonSchemaDialect") => Slot::Drop,
            (Part::Components, "schemas") => Slot::Definitions,
            (Part::Components, "securitySchemes") => Slot::Each(Kind::Part(Part::SecurityScheme)),
            // Parameters, responses and the like are inlined where they are referenced.
            (Part::Components, _) => Slot::Drop,
            (Part::PathItem | Part::Operation, "parameters") => Slot::Each(Kind::Part(Part::Parameter)),
            (Part::PathItem, method) if super::METHODS.contains(&method) => Slot::One(Kind::Part(Part::Operation)),
            (Part::Operation, "requestBody") => Slot::One(Kind::Part(Part::RequestBody)),
            (Part::Operation, "responses") => Slot::Each(Kind::Part(Part::Response)),
            (Part::Operation, "callbacks") | (Part::Response, "links") => Slot::Drop,
            (Part::Parameter | Part::Header | Part::MediaType, "schema") => Slot::One(Kind::Schema),
            (Part::Parameter | Part::Header | Part::MediaType, "example") => Slot::One(Kind::Example),
            (Part::Parameter | Part::Header | Part::MediaType, "examples") => Slot::Each(Kind::Part(Part::Example)),
            (Part::Parameter | Part::Header | Part::RequestBody | Part::Response, "content") => {
                Slot::Each(Kind::Part(Part::MediaType))
            }
            (Part::Response, "headers") => Slot::Each(Kind::Part(Part::Header)),
            (Part::Example, "value") => Slot::One(Kind::Example),
            _ => Slot::Value,
        }
    }

    fn definitions(&self) -> &'static [&'static str] {
        DEFINITIONS
    }

    fn path_defaults(&self) -> &'static [&'static str] {
        &["servers"]
    }

    fn schema(&self, schema: &mut Map<String, Value>) -> Result<(), Cause> {
        if self.json_schema {
            json_schema(schema)
        } else {
            super::json_schema::rewrite(schema)
        }
    }
}

/// Reads a resolved OpenAPI 3 document into the model of `openapiv3`.
pub fn read(resolved: &Resolved) -> Result<oa::OpenAPI, Errors> {
    let mut document = resolved.document.clone();
    if let Value::Object(object) = &mut document {
        object.insert("openapi".into(), json!("3.0.3"));
    }
    serde_path_to_error::deserialize(&document).map_err(|e| {
        let at = path_of(e.path());
        Error::new(resolved.locate(&at), Cause::Invalid(e.inner().to_string())).into()
    })
}

/// One JSON Schema 2020-12 schema as an OpenAPI 3.0 one (see the module doc).
fn json_schema(schema: &mut Map<String, Value>) -> Result<(), Cause> {
    if let Some(keyword) = UNSUPPORTED.iter().find(|k| schema.contains_key(**k)) {
        return Err(Cause::Unsupported(format!(
            "the JSON Schema keyword `{keyword}` (OpenAPI 3.1) is not supported yet"
        )));
    }
    super::json_schema::rewrite(schema)?;
    if let Some(value) = schema.remove("const") {
        schema.entry("enum").or_insert_with(|| Value::Array(vec![value]));
    }
    if let Some(Value::Array(examples)) = schema.remove("examples")
        && let Some(first) = examples.into_iter().next()
    {
        schema.entry("example").or_insert(first);
    }
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(number @ Value::Number(_)) = schema.get(exclusive).cloned() {
            schema.insert(bound.into(), number);
            schema.insert(exclusive.into(), Value::Bool(true));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(schema: Value) -> Result<Value, Cause> {
        let Value::Object(mut object) = schema else {
            panic!("not an object")
        };
        json_schema(&mut object)?;
        Ok(Value::Object(object))
    }

    #[test]
    fn a_type_list_with_null_is_a_nullable_type() {
        let got = rewritten(json!({"type": ["string", "null"]})).unwrap();
        assert_eq!(got, json!({"type": "string", "nullable": true}));
        let got = rewritten(json!({"type": ["integer"]})).unwrap();
        assert_eq!(got, json!({"type": "integer"}));
    }

    #[test]
    fn unsupported_keywords_are_refused_by_name() {
        let err = rewritten(json!({"type": "null"})).unwrap_err();
        assert!(err.to_string().contains("`type: \"null\"` alone"), "{err}");
        let err = rewritten(json!({"type": "array", "prefixItems": []})).unwrap_err();
        assert!(err.to_string().contains("`prefixItems`"), "{err}");
    }

    #[test]
    fn const_examples_and_numeric_bounds_read_as_openapi_3_0() {
        let got = rewritten(json!({
            "const": "m.login.dummy",
            "examples": ["a", "b"],
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 10
        }))
        .unwrap();
        assert_eq!(
            got,
            json!({
                "enum": ["m.login.dummy"],
                "example": "a",
                "minimum": 0,
                "exclusiveMinimum": true,
                "maximum": 10,
                "exclusiveMaximum": true
            })
        );
    }
}
