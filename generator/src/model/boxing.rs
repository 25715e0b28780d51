//! Recursion: a struct that contains itself without a `Vec` or map in between needs a `Box`.

use std::collections::BTreeSet;

use super::{TypeKind, TypeRef};

/// Boxes every field through which a struct contains itself without a `Vec` or map in between.
pub(super) fn box_recursion(defs: &mut [super::TypeDef]) {
    let direct = |defs: &[super::TypeDef], id: usize| -> Vec<usize> {
        match &defs[id].kind {
            TypeKind::Struct(s) => s
                .fields
                .iter()
                .filter_map(|f| match f.ty {
                    TypeRef::Named(t) => Some(t.0),
                    _ => None,
                })
                .collect(),
            TypeKind::Union(u) => u
                .variants
                .iter()
                .filter_map(|v| match v.ty {
                    TypeRef::Named(t) => Some(t.0),
                    _ => None,
                })
                .collect(),
            TypeKind::Enum(_) => Vec::new(),
        }
    };
    let reaches = |defs: &[super::TypeDef], from: usize, to: usize| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(id) = stack.pop() {
            if id == to {
                return true;
            }
            if seen.insert(id) {
                stack.extend(direct(defs, id));
            }
        }
        false
    };
    for id in 0..defs.len() {
        if let TypeKind::Union(u) = &defs[id].kind {
            let boxed: Vec<bool> = u
                .variants
                .iter()
                .map(|v| matches!(v.ty, TypeRef::Named(t) if reaches(defs, t.0, id)))
                .collect();
            if let TypeKind::Union(u) = &mut defs[id].kind {
                for (variant, boxed) in u.variants.iter_mut().zip(boxed) {
                    variant.boxed = boxed;
                }
            }
            continue;
        }
        let TypeKind::Struct(s) = &defs[id].kind else { continue };
        let boxed: Vec<bool> = s
            .fields
            .iter()
            .map(|f| matches!(f.ty, TypeRef::Named(t) if reaches(defs, t.0, id)))
            .collect();
        if let TypeKind::Struct(s) = &mut defs[id].kind {
            for (field, boxed) in s.fields.iter_mut().zip(boxed) {
                field.boxed = boxed;
            }
        }
    }
}
