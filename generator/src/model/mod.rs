//! The API model: operations and types with every decision made (names, Rust types,
//! optionality, boxing, secrets). Emitters read only this, never the spec.

mod base_path;
mod boxing;
mod build;
mod enum_docs;
mod examples;
mod lifecycle;
mod links;
mod matrix;
mod operation;
mod schema;
mod summary;

pub use build::{Sources, build};
pub use links::DEFAULT_SITE;
pub use matrix::SECRET_FIELDS;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The whole API, ready to emit.
///
/// Serde reads and writes it without its prose and examples (`#[serde(skip)]`), which the
/// generated crate holds anyway and [`crate::diff`] never compares: [`crate::model_file`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    #[serde(skip)]
    pub description: Option<String>,
    /// The entry files, relative to the spec root, joined by `, ` (for generated-file headers).
    pub source: String,
    /// The generated crate's package name.
    pub package: String,
    /// The prefix of every path, with `{NAME}` for server variables.
    pub base_path: String,
    /// Server variables in the base path.
    pub variables: Vec<Variable>,
    /// Operations, ordered by name.
    pub operations: Vec<Operation>,
    /// Every generated type; [`TypeId`] indexes this.
    pub types: Vec<TypeDef>,
    /// The Matrix error object (`errcode`, `error`): what error statuses without a schema
    /// carry, and what the generated server answers bad requests with.
    pub error: TypeId,
    /// Wire names of fields whose values are secrets.
    pub secrets: Vec<String>,
    /// Every example in the spec, with the type it must fit.
    #[serde(skip)]
    pub examples: Vec<Example>,
    /// Patches applied to the spec (file, reason), for the summary.
    pub patches: Vec<(String, String)>,
}

/// A `{NAME}` in the base path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// The name as written.
    pub name: String,
    /// Every value the server serves; empty if the config gives none.
    pub values: Vec<String>,
    /// The value clients use unless told otherwise.
    pub default: Option<String>,
}

/// One operation (method + path).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// Module and method name (snake_case).
    pub name: String,
    /// UpperCamelCase of the name.
    pub camel: String,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path under the base path, with `{param}` placeholders.
    pub path: String,
    /// The path split into literal parts and parameters.
    pub segments: Vec<PathSegment>,
    /// One-line summary.
    #[serde(skip)]
    pub summary: Option<String>,
    /// Description.
    #[serde(skip)]
    pub description: Option<String>,
    /// The spec's first tag (`Room participation`): the group the endpoint index lists it under.
    #[serde(skip)]
    pub group: Option<String>,
    /// When the spec added, changed or deprecated it.
    pub lifecycle: Lifecycle,
    /// Whether an access token is sent.
    pub auth: Auth,
    /// Path, query and header parameters, in spec order.
    pub params: Vec<Param>,
    /// The JSON body.
    pub body: Option<Body>,
    /// Documented responses, by status (`default` last).
    pub responses: Vec<Response>,
    /// How the operation uses User-Interactive Authentication, if it does.
    pub uiaa: Option<Uiaa>,
}

/// An operation driven by User-Interactive Authentication: a 401 answers with the UIAA state
/// (`flows`, `session`, ...) and the body's `auth` field carries the next stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uiaa {
    /// The response variant of the 401.
    pub variant: String,
    /// The type of the UIAA state (the 401 body).
    pub state: TypeId,
    /// The field of the state that holds the session.
    pub state_session: String,
    /// The field of the request body that holds the stage.
    pub auth_field: String,
    /// The type of that field.
    pub auth: TypeId,
    /// The field of the stage that holds the session.
    pub auth_session: String,
}

/// A part of a path template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PathSegment {
    /// Text sent as is.
    Literal(String),
    /// The value of the path parameter at this index of [`Operation::params`].
    Param(usize),
}

/// Whether an operation sends an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    /// No token.
    None,
    /// A token if the client has one.
    Optional,
    /// A token is required.
    Required,
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParamLocation {
    /// In the path.
    Path,
    /// In the query string.
    Query,
    /// In a header.
    Header,
}

/// A path, query or header parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The name on the wire.
    pub wire: String,
    /// The field name in the request type.
    pub ident: String,
    /// Where it travels.
    pub location: ParamLocation,
    /// Its type.
    pub ty: TypeRef,
    /// Required, optional or defaulted.
    pub presence: Presence,
    /// Arrays: one `name=value` pair per item (`true`) or comma-joined (`false`).
    pub explode: bool,
    /// Description.
    #[serde(skip)]
    pub doc: Option<String>,
    /// A secret, hidden from `Debug`.
    pub secret: bool,
    /// When the spec added, changed or deprecated it.
    pub lifecycle: Lifecycle,
}

/// When the Matrix spec added, changed or deprecated an operation, field or parameter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// `x-addedInMatrixVersion`: the Matrix version that added it (`1.3`).
    pub added_in: Option<String>,
    /// `x-changedInMatrixVersion`: each Matrix version that changed it, with what changed.
    pub changed_in: Vec<(String, String)>,
    /// `deprecated: true`.
    pub deprecated: bool,
}

/// The request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// Its type.
    pub ty: TypeRef,
    /// Whether it must be sent.
    pub required: bool,
    /// It is a JSON object (a struct or a free-form object): a server refuses any other JSON
    /// value, an array say, with `M_BAD_JSON` before serde could read it as a struct.
    pub object: bool,
    /// Description.
    #[serde(skip)]
    pub doc: Option<String>,
    /// The media type of a body that is not JSON (`application/octet-stream`): what is sent
    /// as its `Content-Type` unless the request says otherwise.
    pub media: Option<String>,
}

/// A documented response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The status it answers.
    pub status: Status,
    /// The variant name in the response enum (`Ok`, `BadRequest`).
    pub variant: String,
    /// The body's type; `None` for a status without a body.
    pub ty: Option<TypeRef>,
    /// Description.
    #[serde(skip)]
    pub doc: String,
    /// The headers the spec documents for it (`Content-Type`, `Content-Disposition`,
    /// `Location`), in spec order.
    pub headers: Vec<ResponseHeader>,
}

/// A documented response header: a field of its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseHeader {
    /// The header name (`Content-Disposition`).
    pub wire: String,
    /// The field name (`content_disposition`).
    pub ident: String,
    /// Its type: a string, number or boolean.
    pub ty: TypeRef,
    /// Whether the spec says it is always sent.
    pub required: bool,
    /// Description.
    #[serde(skip)]
    pub doc: Option<String>,
}

/// A documented status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// One status code.
    Code(u16),
    /// A class: `4` for `4XX`.
    Range(u16),
    /// Any other status.
    Default,
}

/// Which module a type lives in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Module {
    /// `types`: types named by the spec, shared between operations.
    Shared,
    /// An operation's own module.
    Operation(String),
}

/// Index of a type in [`Api::types`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TypeId(pub usize);

/// A generated type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// Its module.
    pub module: Module,
    /// Its name.
    pub name: String,
    /// Where in the spec it comes from (for docs and the summary).
    #[serde(skip)]
    pub origin: String,
    /// `title`.
    #[serde(skip)]
    pub title: Option<String>,
    /// `description`.
    #[serde(skip)]
    pub description: Option<String>,
    /// What the type is for, for an inline type (`The JSON body of ...`).
    #[serde(skip)]
    pub role: Option<String>,
    /// Struct or enum.
    pub kind: TypeKind,
}

/// What a type is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TypeKind {
    /// A JSON object.
    Struct(Struct),
    /// A string or integer enum.
    Enum(Enum),
    /// One of several types, told apart by trying each in turn (`oneOf` without a
    /// discriminator, a `type` list).
    Union(Union),
}

/// The types a value may be, in the order a decoder tries them: the most particular first
/// (a boolean, an integer before a number, a string enum before any string, a struct with
/// required fields before one without, any object last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Union {
    /// The variants, in decoding order.
    pub variants: Vec<UnionVariant>,
}

/// One type of a [`Union`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnionVariant {
    /// The variant name (`String`, `Object`, the type's name).
    pub ident: String,
    /// The type.
    pub ty: TypeRef,
    /// Held in a `Box` to keep a recursive type finite.
    pub boxed: bool,
}

/// A JSON object with known properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Struct {
    /// Properties, in spec order.
    pub fields: Vec<Field>,
    /// Every other key, kept in a flattened map.
    pub extra: Option<Extra>,
    /// Every field is optional or defaulted, so the type has a `Default`.
    pub has_default: bool,
    /// The fields that carry a Matrix error code and message, where it has them.
    pub matrix_error: Option<ErrorFields>,
}

/// Where a struct carries a Matrix error: an `errcode` field of text and, if present, an
/// `error` field of text. What an answer's `Display` shows, and where the generated server
/// writes its message. Indexes into [`Struct::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorFields {
    /// The `errcode` field.
    pub errcode: usize,
    /// The `error` field (the message).
    pub message: Option<usize>,
}

impl ErrorFields {
    /// The error fields among `fields`: none without an `errcode` of text.
    pub fn of(fields: &[Field]) -> Option<Self> {
        let text = |wire: &str| fields.iter().position(|f| f.wire == wire && f.ty == TypeRef::String);
        let code = |wire: &str| {
            fields
                .iter()
                .position(|f| f.wire == wire && matches!(f.ty, TypeRef::String | TypeRef::ErrorCode))
        };
        Some(Self {
            errcode: code("errcode")?,
            message: text("error"),
        })
    }

    /// [`ErrorFields::of`], with the `errcode` field typed as [`TypeRef::ErrorCode`]: the codes
    /// the spec defines become variants a client matches on.
    pub fn type_code(fields: &mut [Field]) -> Option<Self> {
        let found = Self::of(fields)?;
        fields[found.errcode].ty = TypeRef::ErrorCode;
        Some(found)
    }
}

/// A property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The name on the wire.
    pub wire: String,
    /// The Rust field name.
    pub ident: String,
    /// Its type.
    pub ty: TypeRef,
    /// Required, optional or defaulted.
    pub presence: Presence,
    /// Held in a `Box` to keep a recursive type finite.
    pub boxed: bool,
    /// Description.
    #[serde(skip)]
    pub doc: Option<String>,
    /// A secret, hidden from `Debug`.
    pub secret: bool,
    /// `null` is a value of it (`type: [T, "null"]`, `nullable: true`), kept apart from absence.
    pub nullable: bool,
    /// When the spec added, changed or deprecated it.
    pub lifecycle: Lifecycle,
}

/// The map holding keys that are not listed properties (`additionalProperties`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    /// The Rust field name.
    pub ident: String,
    /// The type of each value.
    pub ty: TypeRef,
    /// Description.
    #[serde(skip)]
    pub doc: Option<String>,
}

/// Whether a value must be present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Presence {
    /// Always present.
    Required,
    /// May be absent (`Option`).
    Optional,
    /// May be absent, meaning this value.
    Default(DefaultValue),
}

/// A spec `default`, checked against its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A string.
    Str(String),
    /// A variant (index) of an enum type.
    Variant(TypeId, usize),
}

/// A string or integer enum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enum {
    /// The variants, in spec order.
    pub variants: Vec<Variant>,
    /// The variant that is the spec's `default`.
    pub default: Option<usize>,
}

/// An enum variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// The Rust name.
    pub ident: String,
    /// The value on the wire.
    pub wire: EnumValue,
    /// What the value means, in the spec's words (one list item or sentences that explain it),
    /// if the spec says; raw spec text, converted like every description when emitted.
    #[serde(skip)]
    pub doc: Option<String>,
}

/// An enum value on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EnumValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
}

impl EnumValue {
    /// The value as the spec's prose writes it: `guest`, `2`.
    pub fn text(&self) -> String {
        match self {
            Self::Str(s) => s.clone(),
            Self::Int(n) => n.to_string(),
        }
    }

    /// The value as JSON writes it, for reports: `"guest"`, `2`.
    pub fn quoted(&self) -> String {
        match self {
            Self::Str(s) => format!("{s:?}"),
            Self::Int(n) => n.to_string(),
        }
    }
}

/// The Rust type of a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TypeRef {
    /// A generated type.
    Named(TypeId),
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// A Matrix error code (`crate::ErrorCode`): the `errcode` of a struct that carries a
    /// Matrix error ([`ErrorFields`]).
    ErrorCode,
    /// Any JSON value.
    Json,
    /// Any JSON object.
    JsonObject,
    /// A JSON array.
    Array(Box<TypeRef>),
    /// A JSON object used as a map.
    Map(Box<TypeRef>),
    /// Raw bytes: a body of another media type than JSON (an upload, a download).
    Bytes,
    /// A value or `null`, as an item of an array or a value of a map (`items: {type: [string,
    /// null]}`); a nullable field is a [`Field::nullable`] instead.
    Nullable(Box<TypeRef>),
}

/// An example of the spec and the type it must fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Where it is, in model terms (`register::RequestBody.password`).
    pub name: String,
    /// The type it must fit.
    pub ty: TypeRef,
    /// The example.
    pub value: Value,
    /// What the example becomes after a trip through its type: the same, less the keys whose
    /// value is their field's default (a default is left out when sent).
    pub expected: Value,
    /// Set when the config lists this example as a known spec error: the reason.
    pub known_error: Option<String>,
}

impl Api {
    /// A type by id.
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    /// The name of an operation's module, or `types`.
    pub fn module_name(module: &Module) -> &str {
        match module {
            Module::Shared => "types",
            Module::Operation(name) => name,
        }
    }
}

impl Example {
    /// An example that must round-trip unchanged (until defaults and the config say otherwise).
    pub fn new(name: String, ty: TypeRef, value: Value) -> Self {
        Self {
            name,
            ty,
            expected: value.clone(),
            value,
            known_error: None,
        }
    }
}

impl Body {
    /// Whether the body travels as raw bytes (an upload) rather than JSON: its own media
    /// type, no JSON checks, the server's upload limit.
    pub fn is_raw(&self) -> bool {
        self.ty == TypeRef::Bytes
    }
}

impl Operation {
    /// The parameters that travel in one place.
    pub fn params_in(&self, location: ParamLocation) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(move |p| p.location == location)
    }
}
