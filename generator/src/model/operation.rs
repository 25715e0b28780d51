//! Turns one OpenAPI operation into a model [`Operation`]: parameters, body, responses, path.

use openapiv3 as oa;

use super::schema::{Ctx, SchemaRef, Types};
use super::{
    Auth, Body, Example, Lifecycle, Module, Operation, Param, ParamLocation, PathSegment, Response, Status, TypeRef,
};
use crate::error::{Cause, Error, Location};
use crate::naming::{self, Scope};
use crate::read::is_json;

/// What the model needs to know about one operation of the spec.
pub(super) struct Input<'s> {
    /// Module name, decided by the caller.
    pub name: String,
    /// `get`, `post`, ...
    pub method: &'s str,
    /// The path under the base path.
    pub path: &'s str,
    /// The operation.
    pub op: &'s oa::Operation,
    /// Where it is written (`paths./register.post`).
    pub at: Location,
    /// Its authentication, decided by the caller.
    pub auth: Auth,
    /// The type of an error status documented without a schema.
    pub error_type: Option<TypeRef>,
}

/// Field names the request type uses for itself.
const REQUEST_RESERVED: &[&str] = &["body", "access_token"];

/// Builds the operation.
pub(super) fn operation(types: &mut Types<'_>, input: Input<'_>) -> Operation {
    let Input {
        name,
        method,
        path,
        op,
        at,
        auth,
        error_type,
    } = input;
    let module = Module::Operation(name.clone());
    let params = params(types, op, &module, &at);
    let segments = segments(path, &params).unwrap_or_else(|why| {
        types.errors.push(Error::new(at.clone(), Cause::Invalid(why)));
        Vec::new()
    });
    let title = format!("{} {path}", method.to_ascii_uppercase());
    let body = body(types, op, &module, &at, &title);
    let responses = responses(types, op, &module, &at, error_type, &title);
    Operation {
        camel: naming::type_ident(&name),
        name,
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        segments,
        summary: op.summary.clone(),
        description: op.description.clone(),
        group: op.tags.first().cloned(),
        lifecycle: Lifecycle::read(&op.extensions, op.deprecated),
        auth,
        params,
        body,
        responses,
        uiaa: None,
    }
}

fn child(at: &Location, keys: &[&str]) -> Location {
    match &at.place {
        crate::error::Place::Path(path) => {
            Location::at(at.file.clone(), keys.iter().fold(path.clone(), |p, k| p.key(k)))
        }
        _ => at.clone(),
    }
}

fn params(types: &mut Types<'_>, op: &oa::Operation, module: &Module, at: &Location) -> Vec<Param> {
    let mut scope = Scope::with_reserved(REQUEST_RESERVED);
    let mut out = Vec::new();
    for (index, parameter) in op.parameters.iter().enumerate() {
        let param_at = match &at.place {
            crate::error::Place::Path(path) => Location::at(at.file.clone(), path.key("parameters").index(index)),
            _ => at.clone(),
        };
        let oa::ReferenceOr::Item(parameter) = parameter else {
            types.errors.push(Error::new(
                param_at,
                Cause::Invalid("unresolved parameter `$ref`".into()),
            ));
            continue;
        };
        let (location, data) = match parameter {
            oa::Parameter::Path { parameter_data, .. } => (ParamLocation::Path, parameter_data),
            oa::Parameter::Query { parameter_data, .. } => (ParamLocation::Query, parameter_data),
            oa::Parameter::Header { parameter_data, .. } => (ParamLocation::Header, parameter_data),
            oa::Parameter::Cookie { .. } => {
                types
                    .errors
                    .push(Error::new(param_at, Cause::Unsupported("cookie parameters".into())));
                continue;
            }
        };
        if let Some(param) = param(types, &mut scope, module, location, data, param_at) {
            out.push(param);
        }
    }
    out
}

fn param(
    types: &mut Types<'_>,
    scope: &mut Scope,
    module: &Module,
    location: ParamLocation,
    data: &oa::ParameterData,
    at: Location,
) -> Option<Param> {
    let oa::ParameterSchemaOrContent::Schema(schema) = &data.format else {
        types.errors.push(Error::new(
            at,
            Cause::Unsupported("parameters described by `content`".into()),
        ));
        return None;
    };
    let op = crate::model::Api::module_name(module).to_owned();
    let ctx = Ctx {
        module: module.clone(),
        hints: vec![
            naming::type_ident(&data.name),
            format!("{}{}", naming::type_ident(&op), naming::type_ident(&data.name)),
        ],
        place: format!("{op}::Request.{}", data.name),
        at: at.clone(),
        role: Some(format!("The values of the `{}` parameter of [`Request`].", data.name)),
    };
    let ty = types.type_of(SchemaRef::from(schema), &ctx);
    let free_form_query = location == ParamLocation::Query
        && matches!(&ty, TypeRef::Map(value) if param_type_supported(value, types) && !matches!(**value, TypeRef::Array(_)));
    if !free_form_query && !param_type_supported(&ty, types) {
        let why = format!(
            "parameter `{}`: only strings, numbers, booleans, enums and arrays of them fit in a path, query or header (and maps of them in a query)",
            data.name
        );
        types.errors.push(Error::new(at, Cause::Unsupported(why)));
        return None;
    }
    let place = format!("{op}::Request.{}", data.name);
    record_examples(types, &place, &ty, data.example.as_ref(), &data.examples);
    let default = match schema {
        oa::ReferenceOr::Item(schema) => schema.schema_data.default.as_ref(),
        oa::ReferenceOr::Reference { .. } => None,
    };
    let required = data.required || location == ParamLocation::Path;
    let presence = types.presence(required, default, &ty, &ctx);
    Some(Param {
        ident: scope.claim(&[naming::field_ident(&data.name)]),
        secret: types.is_secret(&data.name, &ty),
        wire: data.name.clone(),
        location,
        ty,
        presence,
        explode: data.explode.unwrap_or(false),
        doc: data.description.clone(),
        lifecycle: Lifecycle::read(&data.extensions, data.deprecated.unwrap_or(false)),
    })
}

/// Path, query and header values are text: scalars, enums, and arrays of those.
fn param_type_supported(ty: &TypeRef, types: &Types<'_>) -> bool {
    match ty {
        TypeRef::String
        | TypeRef::ErrorCode
        | TypeRef::Bool
        | TypeRef::I32
        | TypeRef::I64
        | TypeRef::F32
        | TypeRef::F64 => true,
        TypeRef::Named(id) => matches!(types.defs[id.0].kind, super::TypeKind::Enum(_)),
        TypeRef::Array(item) => !matches!(**item, TypeRef::Array(_)) && param_type_supported(item, types),
        TypeRef::Json | TypeRef::JsonObject | TypeRef::Map(_) | TypeRef::Bytes | TypeRef::Nullable(_) => false,
    }
}

/// Splits `/profile/{userId}/displayname` into literal text and path parameters; every
/// placeholder must be a path parameter and every path parameter must be in the path.
fn segments(path: &str, params: &[Param]) -> Result<Vec<PathSegment>, String> {
    let mut segments = Vec::new();
    let mut used = vec![false; params.len()];
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .ok_or_else(|| format!("unclosed `{{` in path `{path}`"))?
            + start;
        if start > 0 {
            segments.push(PathSegment::Literal(rest[..start].to_owned()));
        }
        let name = &rest[start + 1..end];
        let index = params
            .iter()
            .position(|p| p.location == ParamLocation::Path && p.wire == name)
            .ok_or_else(|| format!("path `{path}` has `{{{name}}}` but no `in: path` parameter `{name}`"))?;
        used[index] = true;
        segments.push(PathSegment::Param(index));
        rest = &rest[end + 1..];
    }
    if !rest.is_empty() {
        segments.push(PathSegment::Literal(rest.to_owned()));
    }
    let unused = params
        .iter()
        .zip(&used)
        .find(|(p, used)| p.location == ParamLocation::Path && !**used);
    if let Some((param, _)) = unused {
        return Err(format!(
            "path parameter `{}` does not appear in the path `{path}`",
            param.wire
        ));
    }
    Ok(segments)
}

fn body(types: &mut Types<'_>, op: &oa::Operation, module: &Module, at: &Location, title: &str) -> Option<Body> {
    let oa::ReferenceOr::Item(body) = op.request_body.as_ref()? else {
        return None;
    };
    let at = child(at, &["parameters"]);
    let (media, content) = body.content.first()?;
    if !is_json(media) {
        return Some(Body {
            ty: TypeRef::Bytes,
            required: body.required,
            object: false,
            doc: body.description.clone().or_else(|| content_description(content)),
            media: Some(media.clone()),
        });
    }
    let op_name = crate::model::Api::module_name(module).to_owned();
    let ctx = Ctx {
        module: module.clone(),
        hints: vec![naming::REQUEST_BODY_TYPE.to_owned()],
        place: format!("{op_name}::RequestBody"),
        at,
        role: Some(format!("The JSON body of `{}`.", title)),
    };
    let ty = match &content.schema {
        Some(schema) => types.type_of(schema.into(), &ctx),
        None => TypeRef::Json,
    };
    record_examples(types, &ctx.place, &ty, content.example.as_ref(), &content.examples);
    Some(Body {
        object: types.is_object(&ty),
        ty,
        required: body.required,
        doc: body.description.clone(),
        media: None,
    })
}

fn responses(
    types: &mut Types<'_>,
    op: &oa::Operation,
    module: &Module,
    at: &Location,
    error_type: Option<TypeRef>,
    title: &str,
) -> Vec<Response> {
    let op_name = crate::model::Api::module_name(module).to_owned();
    let documented = op.responses.responses.iter().map(|(code, r)| {
        let status = match code {
            oa::StatusCode::Code(code) => Status::Code(*code),
            oa::StatusCode::Range(class) => Status::Range(*class),
        };
        (status, r)
    });
    let default = op.responses.default.iter().map(|r| (Status::Default, r));
    let mut out: Vec<Response> = documented
        .chain(default)
        .filter_map(|(status, response)| {
            let oa::ReferenceOr::Item(response) = response else {
                return None;
            };
            let variant = naming::status_variant(status);
            let at = child(at, &["responses", &status_key(status)]);
            let role = match status {
                Status::Code(code) => format!("The body of a `{code}` response to `{title}`."),
                _ => format!("The body of a response to `{title}`."),
            };
            let ctx = Ctx {
                module: module.clone(),
                hints: Vec::new(),
                place: format!("{op_name}::Response::{variant}"),
                at,
                role: Some(role),
            };
            let headers = response_headers(types, response, &ctx);
            let ty = response_type(types, response, status, &variant, ctx, error_type.clone());
            Some(Response {
                status,
                variant,
                ty,
                doc: response.description.clone(),
                headers,
            })
        })
        .collect();
    out.sort_by_key(|r| r.status);
    out
}

fn response_type(
    types: &mut Types<'_>,
    response: &oa::Response,
    status: Status,
    variant: &str,
    ctx: Ctx,
    error_type: Option<TypeRef>,
) -> Option<TypeRef> {
    let hint = naming::response_body_type(status == Status::Code(200), variant);
    let ctx = Ctx {
        hints: vec![hint],
        ..ctx
    };
    let (place, at) = (ctx.place.clone(), ctx.at.clone());
    let is_error = matches!(status, Status::Code(400..) | Status::Range(4..) | Status::Default);
    let content = response.content.iter().find(|(media, _)| is_json(media));
    let ty = match content.and_then(|(_, c)| c.schema.as_ref()) {
        Some(schema) => Some(types.type_of(schema.into(), &ctx)),
        None if is_error => Some(error_type.unwrap_or(TypeRef::Json)),
        None if content.is_some() => Some(TypeRef::Json),
        None => None,
    };
    if let (Some(ty), Some((_, content))) = (&ty, content) {
        record_examples(types, &place, ty, content.example.as_ref(), &content.examples);
    }
    if ty.is_none() && !response.content.is_empty() {
        // Another media type only (a download, a thumbnail): the raw bytes.
        let _ = at;
        return Some(TypeRef::Bytes);
    }
    ty
}

/// The documented headers of a response, as typed fields of its answer. `Content-Type` is
/// documented where the body is not JSON; a JSON body's own is not worth a field.
fn response_headers(types: &mut Types<'_>, response: &oa::Response, ctx: &Ctx) -> Vec<super::ResponseHeader> {
    let mut scope = Scope::with_reserved(&["body", "status"]);
    let mut out = Vec::new();
    for (wire, header) in &response.headers {
        let oa::ReferenceOr::Item(header) = header else {
            continue;
        };
        let oa::ParameterSchemaOrContent::Schema(schema) = &header.format else {
            continue;
        };
        let child_ctx = Ctx {
            hints: vec![naming::type_ident(wire)],
            place: format!("{}.{wire}", ctx.place),
            at: ctx.at_key(&["headers", wire]),
            role: Some(format!("The `{wire}` header.")),
            ..ctx.clone()
        };
        let ty = types.type_of(schema.into(), &child_ctx);
        if !param_type_supported(&ty, types) {
            let why = format!("response header `{wire}`: only strings, numbers, booleans and enums fit in a header");
            types.errors.push(Error::new(child_ctx.at, Cause::Unsupported(why)));
            continue;
        }
        out.push(super::ResponseHeader {
            ident: scope.claim(&[naming::field_ident(wire)]),
            wire: wire.clone(),
            ty,
            required: header.required,
            doc: header.description.clone(),
        });
    }
    out
}

/// The description a media type's schema gives, for a body described nowhere else.
fn content_description(content: &oa::MediaType) -> Option<String> {
    match content.schema.as_ref()? {
        oa::ReferenceOr::Item(schema) => schema.schema_data.description.clone(),
        oa::ReferenceOr::Reference { .. } => None,
    }
}

/// Records the examples written for one place: its `example`, and each of its named
/// `examples` (OpenAPI 3), named `place[name]` when there are several.
fn record_examples(
    types: &mut Types<'_>,
    place: &str,
    ty: &TypeRef,
    example: Option<&serde_json::Value>,
    named: &indexmap::IndexMap<String, oa::ReferenceOr<oa::Example>>,
) {
    let named: Vec<(&String, &serde_json::Value)> = named
        .iter()
        .filter_map(|(name, example)| match example {
            oa::ReferenceOr::Item(example) => example.value.as_ref().map(|value| (name, value)),
            oa::ReferenceOr::Reference { .. } => None,
        })
        .collect();
    let alone = example.is_none() && named.len() == 1;
    if let Some(example) = example {
        types
            .examples
            .push(Example::new(place.to_owned(), ty.clone(), example.clone()));
    }
    for (name, value) in named {
        let name = if alone {
            place.to_owned()
        } else {
            format!("{place}[{name}]")
        };
        types.examples.push(Example::new(name, ty.clone(), value.clone()));
    }
}

fn status_key(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(class) => format!("{class}XX"),
        Status::Default => "default".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Presence;

    fn path_param(wire: &str) -> Param {
        Param {
            wire: wire.into(),
            ident: naming::field_ident(wire),
            location: ParamLocation::Path,
            ty: TypeRef::String,
            presence: Presence::Required,
            explode: false,
            doc: None,
            secret: false,
            lifecycle: Lifecycle::default(),
        }
    }

    #[test]
    fn paths_split_into_literals_and_parameters() {
        let params = [path_param("userId")];
        let split = segments("/profile/{userId}/displayname", &params).unwrap();
        assert_eq!(
            split,
            [
                PathSegment::Literal("/profile/".into()),
                PathSegment::Param(0),
                PathSegment::Literal("/displayname".into())
            ]
        );
        assert!(
            segments("/profile/{roomId}", &params)
                .unwrap_err()
                .contains("no `in: path` parameter `roomId`")
        );
        assert!(segments("/profile", &params).unwrap_err().contains("does not appear"));
    }
}
