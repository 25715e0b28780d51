//! Converts a resolved Swagger 2.0 document into the OpenAPI 3.0 model of `openapiv3`.
//!
//! The body parameter becomes the request body, `definitions` become component schemas, a
//! response `schema` becomes `application/json` content (with its example), and `%NAME%`
//! placeholders in `basePath` become server variables. An input that is already OpenAPI 3.0
//! skips this step.

use indexmap::IndexMap;
use openapiv3 as oa;
use serde_json::{Map, Value};

use super::{DEFINITIONS, Swagger};
use crate::error::{Cause, DocPath, Error, Errors, Location};
use crate::read::resolve::{Resolved, key_of_ref};
use crate::read::swagger2;
use crate::read::{JSON, component_ref, is_json, path_of};

/// Reads the resolved document as Swagger 2.0 and converts it.
pub fn convert(resolved: &Resolved) -> Result<oa::OpenAPI, Errors> {
    let swagger: Swagger = serde_path_to_error::deserialize(&resolved.document).map_err(|e| {
        let at = path_of(e.path());
        Error::new(resolved.locate(&at), Cause::Invalid(e.inner().to_string()))
    })?;
    let mut converter = Converter {
        resolved,
        errors: Vec::new(),
    };
    let openapi = converter.document(&swagger, resolved);
    Errors::check(converter.errors)?;
    Ok(openapi)
}

struct Converter<'a> {
    resolved: &'a Resolved,
    errors: Vec<Error>,
}

impl Converter<'_> {
    fn error(&mut self, at: DocPath, cause: Cause) {
        self.errors.push(Error::new(self.resolved.locate(&at), cause));
    }

    fn document(&mut self, swagger: &Swagger, resolved: &Resolved) -> oa::OpenAPI {
        let info = oa::Info {
            title: swagger.info.title.clone(),
            version: swagger.info.version.clone(),
            description: swagger.info.description.clone(),
            ..Default::default()
        };
        let mut paths = oa::Paths::default();
        for (path, item) in &swagger.paths {
            let at = DocPath::root().key("paths").key(path);
            let item = self.path_item(swagger, item, &at);
            paths.paths.insert(path.clone(), oa::ReferenceOr::Item(item));
        }
        let mut components = oa::Components::default();
        for (key, schema) in &swagger.definitions {
            let origin = resolved.origins.get(key).cloned();
            if let Some(schema) = self.schema(schema, origin, &DocPath::root().key("definitions").key(key)) {
                components.schemas.insert(key.clone(), schema);
            }
        }
        for (name, scheme) in &swagger.security_definitions {
            components
                .security_schemes
                .insert(name.clone(), oa::ReferenceOr::Item(security_scheme(scheme)));
        }
        oa::OpenAPI {
            openapi: "3.0.3".into(),
            info,
            servers: vec![server(swagger.base_path.as_deref().unwrap_or(""))],
            paths,
            components: Some(components),
            security: swagger.security.clone(),
            extensions: extensions(&swagger.extensions),
            ..Default::default()
        }
    }

    fn path_item(&mut self, swagger: &Swagger, item: &swagger2::PathItem, at: &DocPath) -> oa::PathItem {
        let mut out = oa::PathItem::default();
        if let Some(base_path) = &item.base_path {
            out.servers = vec![server(base_path)];
        }
        for (method, operation) in item.operations() {
            let operation = self.operation(swagger, item, operation, at, method);
            let slot = match method {
                "get" => &mut out.get,
                "put" => &mut out.put,
                "post" => &mut out.post,
                "delete" => &mut out.delete,
                "options" => &mut out.options,
                "head" => &mut out.head,
                _ => &mut out.patch,
            };
            *slot = Some(operation);
        }
        out
    }

    fn operation(
        &mut self,
        swagger: &Swagger,
        item: &swagger2::PathItem,
        op: &swagger2::Operation,
        item_at: &DocPath,
        method: &str,
    ) -> oa::Operation {
        let at = &item_at.key(method);
        let consumes = op
            .consumes
            .as_ref()
            .or(item.consumes.as_ref())
            .unwrap_or(&swagger.consumes);
        let produces = op
            .produces
            .as_ref()
            .or(item.produces.as_ref())
            .unwrap_or(&swagger.produces);
        let mut out = oa::Operation {
            tags: op.tags.clone(),
            summary: op.summary.clone(),
            description: op.description.clone(),
            operation_id: op.operation_id.clone(),
            deprecated: op.deprecated,
            security: op.security.clone(),
            extensions: extensions(&op.extensions),
            ..Default::default()
        };
        // Operation parameters override path-level ones with the same name and place.
        let overridden = |(_, p): &(usize, &swagger2::Parameter)| {
            !op.parameters
                .iter()
                .any(|o| o.name == p.name && o.location == p.location)
        };
        let shared = item.parameters.iter().enumerate().filter(overridden);
        let shared = shared.map(|(i, p)| (p, item_at.key("parameters").index(i)));
        let own = op
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p, at.key("parameters").index(i)));
        for (parameter, param_at) in shared.chain(own) {
            if parameter.location == "body" {
                out.request_body = Some(oa::ReferenceOr::Item(self.body(parameter, consumes, &param_at)));
            } else if let Some(parameter) = self.parameter(parameter, &param_at) {
                out.parameters.push(oa::ReferenceOr::Item(parameter));
            }
        }
        for (status, response) in &op.responses {
            let response_at = at.key("responses").key(status);
            let converted = self.response(response, produces, &response_at);
            if status == "default" {
                out.responses.default = Some(oa::ReferenceOr::Item(converted));
                continue;
            }
            match status_code(status) {
                Some(code) => {
                    out.responses.responses.insert(code, oa::ReferenceOr::Item(converted));
                }
                None => self.error(
                    response_at,
                    Cause::Invalid(format!("`{status}` is not an HTTP status code")),
                ),
            }
        }
        out
    }

    fn body(&mut self, parameter: &swagger2::Parameter, consumes: &[String], at: &DocPath) -> oa::RequestBody {
        let schema = match &parameter.schema {
            Some(schema) => self.schema(schema, None, &at.key("schema")),
            None => {
                self.error(at.clone(), Cause::Invalid("a body parameter needs a `schema`".into()));
                None
            }
        };
        let media = oa::MediaType {
            schema,
            ..Default::default()
        };
        oa::RequestBody {
            description: parameter.description.clone(),
            content: IndexMap::from([(media_type(consumes), media)]),
            required: parameter.required,
            extensions: IndexMap::new(),
        }
    }

    fn parameter(&mut self, p: &swagger2::Parameter, at: &DocPath) -> Option<oa::Parameter> {
        let schema = self.parameter_schema(p, at)?;
        let mut extensions = extensions(&p.extensions);
        let example = extensions.shift_remove("x-example");
        let data = oa::ParameterData {
            name: p.name.clone(),
            description: p.description.clone(),
            required: p.required || p.location == "path",
            deprecated: None,
            format: oa::ParameterSchemaOrContent::Schema(schema),
            example,
            examples: IndexMap::new(),
            explode: (p.collection_format.as_deref() == Some("multi")).then_some(true),
            extensions,
        };
        Some(match p.location.as_str() {
            "path" => oa::Parameter::Path {
                parameter_data: data,
                style: oa::PathStyle::Simple,
            },
            "header" => oa::Parameter::Header {
                parameter_data: data,
                style: oa::HeaderStyle::Simple,
            },
            "query" => {
                let style = self.query_style(p, at)?;
                let explode = style == oa::QueryStyle::Form && p.collection_format.as_deref() == Some("multi");
                let data = oa::ParameterData {
                    explode: Some(explode),
                    ..data
                };
                oa::Parameter::Query {
                    parameter_data: data,
                    allow_reserved: false,
                    style,
                    allow_empty_value: None,
                }
            }
            other => {
                let why = format!("parameters `in: {other}` (only path, query, header and a JSON body are supported)");
                self.error(at.key("in"), Cause::Unsupported(why));
                return None;
            }
        })
    }

    fn query_style(&mut self, p: &swagger2::Parameter, at: &DocPath) -> Option<oa::QueryStyle> {
        match p.collection_format.as_deref() {
            None | Some("csv") | Some("multi") => Some(oa::QueryStyle::Form),
            Some("ssv") => Some(oa::QueryStyle::SpaceDelimited),
            Some("pipes") => Some(oa::QueryStyle::PipeDelimited),
            Some(other) => {
                let why = format!("`collectionFormat: {other}` (supported: csv, ssv, pipes, multi)");
                self.error(at.key("collectionFormat"), Cause::Unsupported(why));
                None
            }
        }
    }

    /// The schema of a non-body parameter, built from its `type`, `format`, `items`, `enum` and `default`.
    fn parameter_schema(&mut self, p: &swagger2::Parameter, at: &DocPath) -> Option<oa::ReferenceOr<oa::Schema>> {
        let mut schema = Map::new();
        let Some(kind) = &p.kind else {
            self.error(
                at.clone(),
                Cause::Invalid(format!("parameter `{}` has no `type`", p.name)),
            );
            return None;
        };
        schema.insert("type".into(), Value::String(kind.clone()));
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                schema.insert(key.into(), value);
            }
        };
        put("format", p.format.clone().map(Value::String));
        put("items", p.items.clone());
        put("enum", p.enumeration.clone().map(Value::Array));
        put("default", p.default.clone());
        put("description", p.description.clone().map(Value::String));
        for key in [
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "minItems",
            "maxItems",
            "uniqueItems",
            "multipleOf",
        ] {
            put(key, p.extensions.get(key).cloned());
        }
        self.schema(&Value::Object(schema), None, at)
    }

    fn response(&mut self, response: &swagger2::Response, produces: &[String], at: &DocPath) -> oa::Response {
        let example = response
            .examples
            .iter()
            .find(|(mime, _)| is_json(mime))
            .map(|(_, example)| example_value(example));
        let schema = match &response.schema {
            Some(schema) => self.schema(schema, None, &at.key("schema")),
            None => None,
        };
        let mut content = IndexMap::new();
        if schema.is_some() || example.is_some() {
            content.insert(
                media_type(produces),
                oa::MediaType {
                    schema,
                    example,
                    ..Default::default()
                },
            );
        }
        let headers = response
            .headers
            .iter()
            .filter_map(|(name, header)| {
                Some((
                    name.clone(),
                    oa::ReferenceOr::Item(self.header(header, &at.key("headers").key(name))?),
                ))
            })
            .collect();
        oa::Response {
            description: response.description.clone(),
            headers,
            content,
            ..Default::default()
        }
    }

    fn header(&mut self, header: &Value, at: &DocPath) -> Option<oa::Header> {
        let description = header.get("description").and_then(Value::as_str).map(str::to_owned);
        let schema = self.schema(header, None, at)?;
        Some(oa::Header {
            description,
            style: oa::HeaderStyle::Simple,
            required: false,
            deprecated: None,
            format: oa::ParameterSchemaOrContent::Schema(schema),
            example: None,
            examples: IndexMap::new(),
            extensions: IndexMap::new(),
        })
    }

    /// Reads one schema (local refs to `#/definitions` become `#/components/schemas`).
    fn schema(&mut self, value: &Value, origin: Option<Location>, at: &DocPath) -> Option<oa::ReferenceOr<oa::Schema>> {
        let value = to_openapi_schema(value);
        match serde_path_to_error::deserialize::<_, oa::ReferenceOr<oa::Schema>>(&value) {
            Ok(schema) => Some(schema),
            Err(e) => {
                let location = match origin {
                    Some(Location {
                        file,
                        place: crate::error::Place::Path(path),
                    }) => Location::at(file, path.join(&path_of(e.path()))),
                    Some(location) => location,
                    None => self.resolved.locate(&at.join(&path_of(e.path()))),
                };
                self.errors.push(Error::new(
                    location,
                    Cause::Invalid(format!("invalid schema: {}", e.inner())),
                ));
                None
            }
        }
    }
}

/// A Swagger 2.0 schema as an OpenAPI 3.0 one: refs point at components, `x-nullable` is
/// `nullable`, a string `discriminator` is an object.
fn to_openapi_schema(value: &Value) -> Value {
    let Value::Object(object) = value else {
        return value.clone();
    };
    let mut out = Map::new();
    for (key, child) in object {
        let converted = match key.as_str() {
            "$ref" => {
                let component: Option<String> = child.as_str().and_then(|r| key_of_ref(DEFINITIONS, r));
                component.map_or_else(|| child.clone(), |c| Value::String(component_ref(&c)))
            }
            "properties" => match child {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(k, v)| (k.clone(), to_openapi_schema(v))).collect())
                }
                _ => child.clone(),
            },
            "additionalProperties" | "not" | "items" => to_openapi_schema(child),
            "allOf" | "anyOf" | "oneOf" => match child {
                Value::Array(items) => Value::Array(items.iter().map(to_openapi_schema).collect()),
                _ => child.clone(),
            },
            "x-nullable" => {
                out.insert("nullable".into(), child.clone());
                continue;
            }
            "discriminator" => match child {
                Value::String(name) => serde_json::json!({ "propertyName": name }),
                _ => child.clone(),
            },
            _ => child.clone(),
        };
        out.insert(key.clone(), converted);
    }
    Value::Object(out)
}

fn server(base_path: &str) -> oa::Server {
    let mut url = String::new();
    let mut variables = IndexMap::new();
    let mut rest = base_path;
    while let Some(start) = rest.find('%') {
        let Some(len) = rest[start + 1..].find('%') else { break };
        let name = &rest[start + 1..start + 1 + len];
        url.push_str(&rest[..start]);
        url.push('{');
        url.push_str(name);
        url.push('}');
        variables.insert(name.to_owned(), oa::ServerVariable::default());
        rest = &rest[start + len + 2..];
    }
    url.push_str(rest);
    oa::Server {
        url,
        variables: (!variables.is_empty()).then_some(variables),
        ..Default::default()
    }
}

fn security_scheme(scheme: &swagger2::SecurityScheme) -> oa::SecurityScheme {
    let location = match scheme.location.as_deref() {
        Some("query") => oa::APIKeyLocation::Query,
        _ => oa::APIKeyLocation::Header,
    };
    match scheme.kind.as_str() {
        "basic" => oa::SecurityScheme::HTTP {
            scheme: "basic".into(),
            bearer_format: None,
            description: scheme.description.clone(),
            extensions: IndexMap::new(),
        },
        _ => oa::SecurityScheme::APIKey {
            location,
            name: scheme.name.clone().unwrap_or_default(),
            description: scheme.description.clone(),
            extensions: IndexMap::new(),
        },
    }
}

/// `200` -> `Code(200)`, `4XX` -> `Range(4)`.
fn status_code(status: &str) -> Option<oa::StatusCode> {
    if let Ok(code) = status.parse::<u16>() {
        return (100..600).contains(&code).then_some(oa::StatusCode::Code(code));
    }
    let bytes = status.as_bytes();
    match bytes {
        [d @ b'1'..=b'5', x, y] if x.eq_ignore_ascii_case(&b'x') && y.eq_ignore_ascii_case(&b'x') => {
            Some(oa::StatusCode::Range(u16::from(d - b'0')))
        }
        _ => None,
    }
}

/// The media type of a body: the first JSON one listed, else the first listed, else JSON.
fn media_type(listed: &[String]) -> String {
    listed
        .iter()
        .find(|m| is_json(m))
        .or(listed.first())
        .cloned()
        .unwrap_or_else(|| JSON.to_owned())
}

/// A Swagger example: JSON text inside YAML (`|- {...}`) is parsed; anything else is the value.
fn example_value(example: &Value) -> Value {
    match example {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| example.clone()),
        _ => example.clone(),
    }
}

fn extensions(all: &IndexMap<String, Value>) -> IndexMap<String, Value> {
    all.iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_base_path_become_server_variables() {
        let server = server("/_matrix/client/%CLIENT_MAJOR_VERSION%");
        assert_eq!(server.url, "/_matrix/client/{CLIENT_MAJOR_VERSION}");
        assert!(server.variables.unwrap().contains_key("CLIENT_MAJOR_VERSION"));
        assert_eq!(server_url_without_vars(), "/_matrix/client/v3");
    }

    fn server_url_without_vars() -> String {
        server("/_matrix/client/v3").url
    }

    #[test]
    fn statuses_parse() {
        assert_eq!(status_code("200"), Some(oa::StatusCode::Code(200)));
        assert_eq!(status_code("4XX"), Some(oa::StatusCode::Range(4)));
        assert_eq!(status_code("abc"), None);
        assert_eq!(status_code("99"), None);
    }

    #[test]
    fn refs_point_at_components() {
        let schema =
            to_openapi_schema(&serde_json::json!({"properties": {"a": {"$ref": "#/definitions/definitions~1a.yaml"}}}));
        assert_eq!(
            schema["properties"]["a"]["$ref"],
            "#/components/schemas/definitions~1a.yaml"
        );
        assert_eq!(
            crate::read::component_of_ref("#/components/schemas/definitions~1a.yaml").unwrap(),
            "definitions/a.yaml"
        );
    }
}
