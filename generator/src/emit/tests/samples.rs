//! Sample values for the generated tests: JSON that fits each type, with every optional field
//! filled (so the tests exercise them), stopping where a type recurses into itself.

use serde_json::{Value, json};

use crate::model::{Api, DefaultValue, EnumValue, Operation, Param, Presence, TypeKind, TypeRef};

/// How deep samples of recursive types go before leaving optional fields out.
const MAX_DEPTH: usize = 3;

/// A text sample that needs percent-encoding in a path and a query string.
pub(in crate::emit) const TEXT: &str = "@alice:example.org/x y";

/// JSON that fits `ty`.
pub(in crate::emit) fn json(api: &Api, ty: &TypeRef) -> Value {
    value(api, ty, 0)
}

fn value(api: &Api, ty: &TypeRef, depth: usize) -> Value {
    // A type that requires itself has no finite JSON; stop rather than overflow the stack.
    if depth > 4 * MAX_DEPTH {
        return Value::Null;
    }
    match ty {
        // Raw bytes have no JSON form; their samples are written by the emitters that send them.
        TypeRef::Bytes => json!(TEXT),
        TypeRef::Nullable(inner) => value(api, inner, depth),
        TypeRef::String => json!(TEXT),
        TypeRef::ErrorCode => json!("M_FORBIDDEN"),
        TypeRef::Bool => json!(true),
        TypeRef::I32 | TypeRef::I64 => json!(7),
        TypeRef::F32 | TypeRef::F64 => json!(1.5),
        TypeRef::Json => json!({ "any": ["json", 1] }),
        TypeRef::JsonObject => json!({ "key": "value" }),
        TypeRef::Array(_) | TypeRef::Map(_) if depth >= MAX_DEPTH => match ty {
            TypeRef::Array(_) => json!([]),
            _ => json!({}),
        },
        TypeRef::Array(item) => json!([value(api, item, depth + 1)]),
        TypeRef::Map(item) => json!({ "key": value(api, item, depth + 1) }),
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Enum(e) => e.variants.last().map_or(Value::Null, |v| enum_value(&v.wire)),
            TypeKind::Struct(s) => {
                let mut object = serde_json::Map::new();
                for field in &s.fields {
                    let recursive = field.boxed || matches!(field.ty, TypeRef::Array(_) | TypeRef::Map(_));
                    if field.presence != Presence::Required && (depth >= MAX_DEPTH || (recursive && depth > 0)) {
                        continue;
                    }
                    object.insert(field.wire.clone(), value(api, &field.ty, depth + 1));
                }
                if let Some(extra) = &s.extra {
                    object.insert("x.sample.extra".to_owned(), value(api, &extra.ty, depth + 1));
                }
                Value::Object(object)
            }
            // The variant tried first: a value of it decodes as that variant again.
            TypeKind::Union(u) => u.variants.first().map_or(Value::Null, |v| value(api, &v.ty, depth + 1)),
        },
    }
}

fn enum_value(wire: &EnumValue) -> Value {
    match wire {
        EnumValue::Str(s) => json!(s),
        EnumValue::Int(i) => json!(i),
    }
}

/// An expression for a sample of `ty` in the generated tests: `sample(JSON)`, or bytes.
pub(in crate::emit) fn expr(api: &Api, ty: &TypeRef) -> proc_macro2::TokenStream {
    if *ty == TypeRef::Bytes {
        return quote::quote! { bytes::Bytes::from_static(b"\x89PNG sample bytes") };
    }
    let json = json(api, ty).to_string();
    quote::quote! { sample(#json) }
}

/// A sample of a parameter that differs from its default, so that it is sent.
pub(in crate::emit) fn param(api: &Api, p: &Param) -> Value {
    let Presence::Default(default) = &p.presence else {
        return json(api, &p.ty);
    };
    match default {
        DefaultValue::Bool(b) => json!(!b),
        DefaultValue::Int(i) => json!(i.wrapping_add(1)),
        DefaultValue::Float(f) => json!(f + 1.0),
        DefaultValue::Str(s) => json!(format!("{s}-other")),
        DefaultValue::Variant(id, index) => match &api.ty(*id).kind {
            TypeKind::Enum(e) => {
                let other = e
                    .variants
                    .iter()
                    .enumerate()
                    .find(|(i, _)| i != index)
                    .map_or(*index, |(i, _)| i);
                enum_value(&e.variants[other].wire)
            }
            TypeKind::Struct(_) | TypeKind::Union(_) => json(api, &p.ty),
        },
    }
}

/// A status the operation does not document, for the `Error` and `Unexpected` variants.
pub(in crate::emit) fn undocumented_status(op: &Operation) -> Option<u16> {
    use crate::model::Status;
    if op.responses.iter().any(|r| r.status == Status::Default) {
        return None;
    }
    let documented = |code: u16| {
        op.responses.iter().any(|r| match r.status {
            Status::Code(c) => c == code,
            Status::Range(class) => class == code / 100,
            Status::Default => true,
        })
    };
    [418, 599, 299].into_iter().find(|code| !documented(*code))
}

/// The URL prefix of the samples: the base path with each variable at its default value.
pub(in crate::emit) fn prefix(api: &Api) -> String {
    api.variables.iter().fold(api.base_path.clone(), |path, v| {
        let value = v
            .default
            .clone()
            .or_else(|| v.values.first().cloned())
            .unwrap_or_else(|| "v0".to_owned());
        path.replace(&format!("{{{}}}", v.name), &value)
    })
}

/// A status for a `4XX`-style or `default` response that no exact status of `op` takes.
pub(in crate::emit) fn status_for(op: &Operation, status: crate::model::Status) -> u16 {
    use crate::model::Status;
    let exact = |code: u16| op.responses.iter().any(|r| r.status == Status::Code(code));
    let ranged = |code: u16| op.responses.iter().any(|r| r.status == Status::Range(code / 100));
    let candidates: Vec<u16> = match status {
        Status::Range(class) => (class * 100..class * 100 + 100).collect(),
        _ => (100..600).rev().collect(),
    };
    let fits = |code: &u16| !exact(*code) && (matches!(status, Status::Range(_)) || !ranged(*code));
    candidates.into_iter().find(fits).unwrap_or(599)
}
