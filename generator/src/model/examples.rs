//! The spec's examples as the generated tests check them: which the config lists as known
//! spec errors, and what each becomes after a trip through its type.

use super::{Example, Presence, TypeKind, TypeRef};
use crate::config::Config;
use crate::error::{Cause, Error, Location};

/// Marks the examples the config lists as known spec errors; a listed one that does not exist
/// is an error, so the list never goes stale silently.
pub(super) fn known_example_errors(
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
pub(super) fn without_defaults(defs: &[super::TypeDef], ty: &TypeRef, value: &serde_json::Value) -> serde_json::Value {
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
