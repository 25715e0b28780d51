//! The Swagger 2.0 reader: where its documents keep what a `$ref` reaches ([`Layout`]), the
//! document as serde structs (only what the generator reads), and the conversion into the
//! OpenAPI 3.0 model of `openapiv3` ([`convert`]).
//!
//! Schemas stay JSON values in the structs; they are read as OpenAPI 3.0 schemas (the same
//! keywords) by the conversion.

mod convert;

pub use convert::convert;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Cause;
use crate::read::resolve::{self, Kind, Part, Slot};

/// Where Swagger 2.0 keeps the definitions of a resolved document.
pub const DEFINITIONS: &[&str] = &["definitions"];

/// What each place of a Swagger 2.0 document holds.
pub struct Layout;

impl resolve::Layout for Layout {
    fn child(&self, part: Part, key: &str) -> Slot {
        match (part, key) {
            (Part::Document, "paths") => Slot::Each(Kind::Part(Part::PathItem)),
            (Part::Document, "definitions") => Slot::Definitions,
            (Part::Document, "securityDefinitions") => Slot::Each(Kind::Part(Part::SecurityScheme)),
            (Part::Document, "parameters" | "responses") => Slot::Drop,
            (Part::PathItem | Part::Operation, "parameters") => Slot::Each(Kind::Part(Part::Parameter)),
            (Part::PathItem, method) if super::METHODS.contains(&method) => Slot::One(Kind::Part(Part::Operation)),
            (Part::Operation, "responses") => Slot::Each(Kind::Part(Part::Response)),
            (Part::Parameter | Part::Response, "schema") => Slot::One(Kind::Schema),
            (Part::Parameter | Part::Header, "items") => Slot::One(Kind::Schema),
            (Part::Parameter, "x-example") => Slot::One(Kind::Example),
            (Part::Response, "headers") => Slot::Each(Kind::Part(Part::Header)),
            (Part::Response, "examples") => Slot::Each(Kind::Example),
            _ => Slot::Value,
        }
    }

    fn definitions(&self) -> &'static [&'static str] {
        DEFINITIONS
    }

    fn path_defaults(&self) -> &'static [&'static str] {
        &["basePath", "consumes", "produces"]
    }

    fn schema(&self, schema: &mut Map<String, Value>) -> Result<(), Cause> {
        crate::read::json_schema::rewrite(schema)
    }
}

/// A Swagger 2.0 document.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Swagger {
    /// Must be `"2.0"`.
    pub swagger: String,
    /// Title, version, description.
    pub info: Info,
    /// Host (and port) serving the API.
    pub host: Option<String>,
    /// Prefix of every path; may hold `%NAME%` placeholders.
    pub base_path: Option<String>,
    /// `http`, `https`.
    #[serde(default)]
    pub schemes: Vec<String>,
    /// Default request content types.
    #[serde(default)]
    pub consumes: Vec<String>,
    /// Default response content types.
    #[serde(default)]
    pub produces: Vec<String>,
    /// The operations, by path.
    #[serde(default)]
    pub paths: IndexMap<String, PathItem>,
    /// Named schemas (after resolution: every schema any `$ref` reached).
    #[serde(default)]
    pub definitions: IndexMap<String, Value>,
    /// Security schemes by name.
    #[serde(default)]
    pub security_definitions: IndexMap<String, SecurityScheme>,
    /// Default security requirements.
    #[serde(default)]
    pub security: Option<Vec<IndexMap<String, Vec<String>>>>,
    /// Vendor extensions and anything else.
    #[serde(flatten)]
    pub extensions: IndexMap<String, Value>,
}

/// `info`.
#[derive(Debug, Clone, Deserialize)]
pub struct Info {
    /// API title.
    pub title: String,
    /// API version.
    pub version: String,
    /// Longer description.
    pub description: Option<String>,
}

/// Operations of one path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathItem {
    /// `GET`.
    pub get: Option<Operation>,
    /// `PUT`.
    pub put: Option<Operation>,
    /// `POST`.
    pub post: Option<Operation>,
    /// `DELETE`.
    pub delete: Option<Operation>,
    /// `OPTIONS`.
    pub options: Option<Operation>,
    /// `HEAD`.
    pub head: Option<Operation>,
    /// `PATCH`.
    pub patch: Option<Operation>,
    /// Parameters shared by every operation of the path.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// The `basePath` of the entry file the path was written in (the resolver copies it here
    /// when entry files merge).
    pub base_path: Option<String>,
    /// That file's `consumes`.
    pub consumes: Option<Vec<String>>,
    /// That file's `produces`.
    pub produces: Option<Vec<String>>,
}

impl PathItem {
    /// The operations with their lowercase method names, in a fixed order.
    pub fn operations(&self) -> impl Iterator<Item = (&'static str, &Operation)> {
        [
            ("get", &self.get),
            ("put", &self.put),
            ("post", &self.post),
            ("delete", &self.delete),
            ("options", &self.options),
            ("head", &self.head),
            ("patch", &self.patch),
        ]
        .into_iter()
        .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
    }
}

/// One operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Grouping tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub description: Option<String>,
    /// Unique name.
    pub operation_id: Option<String>,
    /// Request content types.
    pub consumes: Option<Vec<String>>,
    /// Response content types.
    pub produces: Option<Vec<String>>,
    /// Inputs.
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    /// Outputs by status code (`200`, `default`).
    #[serde(default)]
    pub responses: IndexMap<String, Response>,
    /// Deprecated operation.
    #[serde(default)]
    pub deprecated: bool,
    /// Security requirements; `None` inherits the document's.
    pub security: Option<Vec<IndexMap<String, Vec<String>>>>,
    /// Vendor extensions and anything else.
    #[serde(flatten)]
    pub extensions: IndexMap<String, Value>,
}

/// A parameter: `in: body` has a `schema`; the others are simple typed values.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameter {
    /// Wire name.
    pub name: String,
    /// `path`, `query`, `header`, `body` or `formData`.
    #[serde(rename = "in")]
    pub location: String,
    /// Description.
    pub description: Option<String>,
    /// Whether it must be sent.
    #[serde(default)]
    pub required: bool,
    /// The body's schema (`in: body` only).
    pub schema: Option<Value>,
    /// `string`, `integer`, `number`, `boolean`, `array`, `file` (non-body).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Format of `kind`.
    pub format: Option<String>,
    /// Items of an `array` parameter.
    pub items: Option<Value>,
    /// How array values are joined: `csv` (default), `ssv`, `tsv`, `pipes`, `multi`.
    pub collection_format: Option<String>,
    /// Default value.
    pub default: Option<Value>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<Value>>,
    /// Vendor extensions (`x-example`) and validation keywords.
    #[serde(flatten)]
    pub extensions: IndexMap<String, Value>,
}

/// A response.
#[derive(Debug, Clone, Deserialize)]
pub struct Response {
    /// Description (required by Swagger 2.0; tolerated when missing).
    #[serde(default)]
    pub description: String,
    /// The body's schema.
    pub schema: Option<Value>,
    /// Response headers.
    #[serde(default)]
    pub headers: IndexMap<String, Value>,
    /// Examples by content type.
    #[serde(default)]
    pub examples: IndexMap<String, Value>,
}

/// A security scheme.
#[derive(Debug, Clone, Deserialize)]
pub struct SecurityScheme {
    /// `basic`, `apiKey` or `oauth2`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Parameter name of an `apiKey`.
    pub name: Option<String>,
    /// `query` or `header` for an `apiKey`.
    #[serde(rename = "in")]
    pub location: Option<String>,
    /// Description.
    pub description: Option<String>,
}
