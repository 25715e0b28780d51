//! Unions: a `oneOf`/`anyOf` of types (or a `type` list) as an untagged enum whose variants are
//! tried most particular first.

use openapiv3 as oa;

use super::flat::{Flat, view};
use super::{Ctx, Types};
use crate::model::{Presence, TypeId, TypeKind, TypeRef, Union, UnionVariant};
use crate::naming::{self, Scope};
use crate::read::component_of_ref;

impl Types<'_> {
    /// Fills a union: each member's type, named after what it is, in decoding order.
    pub(super) fn fill_union(&mut self, id: TypeId, flat: &Flat, ctx: &Ctx) {
        let type_name = self.defs[id.0].name.clone();
        let mut scope = Scope::default();
        let mut variants = Vec::new();
        for (index, member) in flat.members.iter().enumerate() {
            let label = self.member_label(member);
            let child = Ctx {
                module: ctx.module.clone(),
                hints: vec![format!("{type_name}{label}"), format!("{type_name}{}", index + 1)],
                place: format!("{}|{label}", ctx.place),
                at: ctx.at_key(&["oneOf", &index.to_string()]),
                role: Some(format!("The `{label}` case of [`{type_name}`].")),
            };
            let ty = self.type_of(member.into(), &child);
            variants.push(UnionVariant {
                ident: scope.claim(&[label]),
                ty,
                boxed: false,
            });
        }
        // Among structs, the one with more required fields is the more particular.
        variants.sort_by_key(|v| (self.decode_rank(&v.ty), std::cmp::Reverse(self.required_fields(&v.ty))));
        self.defs[id.0].kind = TypeKind::Union(Union { variants });
    }

    /// What a union member is called: its component's name, else its JSON type.
    pub(super) fn member_label(&self, member: &oa::ReferenceOr<oa::Schema>) -> String {
        let schema = match member {
            oa::ReferenceOr::Reference { reference } => {
                let key = component_of_ref(reference).unwrap_or_default();
                return self
                    .names
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| naming::type_ident(&key));
            }
            oa::ReferenceOr::Item(schema) => schema,
        };
        if let Some(title) = &schema.schema_data.title {
            return naming::type_ident(title);
        }
        let (flat, _) = view(schema);
        naming::union_label(flat.typ.as_deref(), !flat.enumeration.is_empty())
    }

    pub(super) fn required_fields(&self, ty: &TypeRef) -> usize {
        match ty {
            TypeRef::Named(id) => match &self.defs[id.0].kind {
                TypeKind::Struct(s) => s.fields.iter().filter(|f| f.presence == Presence::Required).count(),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// Where a type goes in a union's decoding order: values that fewer JSON texts fit first.
    pub(super) fn decode_rank(&self, ty: &TypeRef) -> u8 {
        match ty {
            TypeRef::Bool => 0,
            TypeRef::I32 | TypeRef::I64 => 1,
            TypeRef::F32 | TypeRef::F64 => 2,
            TypeRef::Named(id) => match &self.defs[id.0].kind {
                TypeKind::Enum(_) => 3,
                TypeKind::Struct(s) if s.fields.iter().any(|f| f.presence == Presence::Required) => 6,
                TypeKind::Struct(_) => 7,
                TypeKind::Union(_) => 9,
            },
            TypeRef::String | TypeRef::ErrorCode => 4,
            TypeRef::Array(_) => 5,
            TypeRef::Map(_) => 8,
            TypeRef::JsonObject => 9,
            TypeRef::Json | TypeRef::Bytes | TypeRef::Nullable(_) => 10,
        }
    }
}
