//! A schema with its `allOf` merged ([`Flat`]): what the type mapping reads, whatever way the
//! spec wrote it, and the rules that merge, classify and read schemas.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use openapiv3 as oa;
use serde_json::Value;

use crate::model::TypeRef;

/// A schema with its `allOf` merged: everything the type mapping looks at.
#[derive(Debug, Clone, Default)]
pub(super) struct Flat {
    pub(super) typ: Option<String>,
    pub(super) format: Option<String>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) example: Option<Value>,
    pub(super) default: Option<Value>,
    pub(super) properties: IndexMap<String, oa::ReferenceOr<Box<oa::Schema>>>,
    pub(super) required: BTreeSet<String>,
    pub(super) additional: Option<oa::AdditionalProperties>,
    pub(super) items: Option<oa::ReferenceOr<Box<oa::Schema>>>,
    pub(super) enumeration: Vec<Value>,
    /// `oneOf` and `anyOf` members.
    pub(super) members: Vec<oa::ReferenceOr<oa::Schema>>,
    /// `allOf` with one `$ref` and nothing else of substance: the schema is that component.
    pub(super) alias: Option<String>,
}

/// A `oneOf`/`anyOf` of types (not an object whose members only add constraints, such as
/// `required` alternatives: that stays the object).
pub(super) fn is_union(flat: &Flat) -> bool {
    let constraint_only = |member: &oa::ReferenceOr<oa::Schema>| match member {
        oa::ReferenceOr::Reference { .. } => false,
        oa::ReferenceOr::Item(schema) => match &schema.schema_kind {
            oa::SchemaKind::Any(any) => {
                any.typ.is_none() && any.properties.is_empty() && any.items.is_none() && any.one_of.is_empty()
            }
            _ => false,
        },
    };
    flat.properties.is_empty()
        && !flat.members.is_empty()
        && !flat.members.iter().any(constraint_only)
        && !only_strings(flat)
}

/// A union of strings that differ only in format or pattern (a room ID or a room alias) is a
/// string: nothing on the wire tells the members apart.
pub(super) fn only_strings(flat: &Flat) -> bool {
    flat.members.iter().all(|member| match member {
        oa::ReferenceOr::Item(schema) => match &schema.schema_kind {
            oa::SchemaKind::Type(oa::Type::String(string)) => string.enumeration.is_empty(),
            _ => false,
        },
        oa::ReferenceOr::Reference { .. } => false,
    })
}

/// Whether a merged schema becomes a generated type (struct or enum) rather than a built-in one.
pub(super) fn is_named(flat: &Flat) -> bool {
    if flat.alias.is_some() {
        return false;
    }
    let object_like = matches!(flat.typ.as_deref(), None | Some("object"));
    let enum_like = matches!(flat.typ.as_deref(), None | Some("string") | Some("integer"));
    (object_like && !flat.properties.is_empty()) || (enum_like && !flat.enumeration.is_empty())
}

/// Adds `member` to `into`: properties and `required` add up; later keywords win. Docs and the
/// example come from the outer schema (`outer`) when it has them. A property both define must
/// fit both (`allOf` says so): it becomes the `allOf` of the two (an event's `unsigned` with
/// the fields of each).
pub(super) fn merge(into: &mut Flat, member: Flat, outer: bool) {
    for (name, schema) in member.properties {
        let merged = match into.properties.get(&name) {
            Some(earlier) if *earlier != schema => both(earlier.clone(), schema),
            _ => schema,
        };
        // An existing key keeps its place: fields stay in the order the spec first gives them.
        into.properties.insert(name, merged);
    }
    into.required.extend(member.required);
    into.typ = member.typ.or(into.typ.take());
    into.format = member.format.or(into.format.take());
    into.additional = member.additional.or(into.additional.take());
    into.items = member.items.or(into.items.take());
    if !member.enumeration.is_empty() {
        into.enumeration = member.enumeration;
    }
    if !member.members.is_empty() {
        into.members = member.members;
    }
    into.default = member.default.or(into.default.take());
    if outer {
        into.title = member.title.or(into.title.take());
        into.description = member.description.or(into.description.take());
        into.example = member.example;
    } else {
        into.title = into.title.take().or(member.title);
        into.description = into.description.take().or(member.description);
    }
}

/// Whether a schema says `null` is one of its values.
pub(super) fn is_nullable(schema: &oa::ReferenceOr<Box<oa::Schema>>) -> bool {
    matches!(schema, oa::ReferenceOr::Item(s) if s.schema_data.nullable)
}

/// `ty`, or `ty` or `null`.
pub(super) fn nullable_if(nullable: bool, ty: TypeRef) -> TypeRef {
    if nullable { TypeRef::Nullable(Box::new(ty)) } else { ty }
}

/// A property schema that is both `a` and `b`.
fn both(a: oa::ReferenceOr<Box<oa::Schema>>, b: oa::ReferenceOr<Box<oa::Schema>>) -> oa::ReferenceOr<Box<oa::Schema>> {
    let unbox = |schema: oa::ReferenceOr<Box<oa::Schema>>| match schema {
        oa::ReferenceOr::Item(schema) => oa::ReferenceOr::Item(*schema),
        oa::ReferenceOr::Reference { reference } => oa::ReferenceOr::Reference { reference },
    };
    // The later, more particular, schema's docs and example win, as they did when it replaced
    // the earlier one.
    let data = |schema: &oa::ReferenceOr<Box<oa::Schema>>| match schema {
        oa::ReferenceOr::Item(schema) => schema.schema_data.clone(),
        oa::ReferenceOr::Reference { .. } => oa::SchemaData::default(),
    };
    let (earlier, later) = (data(&a), data(&b));
    let schema_data = oa::SchemaData {
        description: later.description.or(earlier.description),
        example: later.example.or(earlier.example),
        ..oa::SchemaData::default()
    };
    oa::ReferenceOr::Item(Box::new(oa::Schema {
        schema_data,
        schema_kind: oa::SchemaKind::AllOf {
            all_of: vec![unbox(a), unbox(b)],
        },
    }))
}

/// One schema's own keywords, and its `allOf` members.
pub(super) fn view(schema: &oa::Schema) -> (Flat, Vec<oa::ReferenceOr<oa::Schema>>) {
    let data = &schema.schema_data;
    let mut flat = Flat {
        title: data.title.clone(),
        description: data.description.clone(),
        example: data.example.clone(),
        default: data.default.clone(),
        ..Flat::default()
    };
    let mut all_of = Vec::new();
    match &schema.schema_kind {
        oa::SchemaKind::Type(ty) => view_type(ty, &mut flat),
        oa::SchemaKind::AllOf { all_of: members } => all_of = members.clone(),
        oa::SchemaKind::OneOf { one_of: members } | oa::SchemaKind::AnyOf { any_of: members } => {
            flat.members = members.clone();
        }
        oa::SchemaKind::Not { .. } => {}
        oa::SchemaKind::Any(any) => {
            flat.typ = any.typ.clone();
            flat.format = any.format.clone();
            flat.properties = any.properties.clone();
            flat.required = any.required.iter().cloned().collect();
            flat.additional = any.additional_properties.clone();
            flat.items = any.items.clone();
            flat.enumeration = any.enumeration.clone();
            flat.members = any.one_of.iter().chain(&any.any_of).cloned().collect();
            all_of = any.all_of.clone();
        }
    }
    (flat, all_of)
}

pub(super) fn view_type(ty: &oa::Type, flat: &mut Flat) {
    fn format<T: serde::Serialize>(f: &oa::VariantOrUnknownOrEmpty<T>) -> Option<String> {
        match f {
            oa::VariantOrUnknownOrEmpty::Item(item) => serde_json::to_value(item).ok()?.as_str().map(str::to_owned),
            oa::VariantOrUnknownOrEmpty::Unknown(s) => Some(s.clone()),
            oa::VariantOrUnknownOrEmpty::Empty => None,
        }
    }
    let (typ, fmt, enumeration): (&str, Option<String>, Vec<Value>) = match ty {
        oa::Type::String(s) => (
            "string",
            format(&s.format),
            s.enumeration
                .iter()
                .map(|v| v.clone().map_or(Value::Null, Value::String))
                .collect(),
        ),
        oa::Type::Number(n) => ("number", format(&n.format), Vec::new()),
        oa::Type::Integer(i) => (
            "integer",
            format(&i.format),
            i.enumeration
                .iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect(),
        ),
        oa::Type::Boolean(_) => ("boolean", None, Vec::new()),
        oa::Type::Array(a) => {
            flat.items = a.items.clone();
            ("array", None, Vec::new())
        }
        oa::Type::Object(o) => {
            flat.properties = o.properties.clone();
            flat.required = o.required.iter().cloned().collect();
            flat.additional = o.additional_properties.clone();
            ("object", None, Vec::new())
        }
    };
    flat.typ = Some(typ.to_owned());
    flat.format = fmt;
    flat.enumeration = enumeration;
}
