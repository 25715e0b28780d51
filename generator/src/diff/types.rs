//! Comparing matched types: struct fields (by wire name), the map of other keys, enum values;
//! and the changes of one member (a field or a parameter), shared with the operation walk.

use super::ChangeKind;
use super::compare::{Changes, presence};
use super::pairing::{Matching, match_by, match_fields};
use crate::model::{self, Api, DefaultValue, Enum, EnumValue, Module, Struct, TypeKind, TypeRef, Union};

/// A field or a parameter, as far as a change to it matters.
pub(super) struct Member<'a> {
    /// The wire name (empty where it is not on the wire).
    pub wire: &'a str,
    /// The Rust name.
    pub ident: &'a str,
    /// The type.
    pub ty: &'a TypeRef,
    /// Required, optional or defaulted.
    pub presence: &'a model::Presence,
    /// Held in a `Box`.
    pub boxed: bool,
    /// `null` is a value of it, apart from absence.
    pub nullable: bool,
}

/// What changed between two matched members; `left_out` says whether a value equal to the
/// default is left out when sent.
pub(super) fn member_changes(m: &Matching<'_>, old: &Member<'_>, new: &Member<'_>, left_out: bool) -> Vec<ChangeKind> {
    let mut kinds = Vec::new();
    if old.wire != new.wire {
        kinds.push(ChangeKind::RenamedOnWire {
            old: old.wire.to_owned(),
            new: new.wire.to_owned(),
        });
    }
    if old.ident != new.ident {
        kinds.push(ChangeKind::RenamedInRust {
            old: old.ident.to_owned(),
            new: new.ident.to_owned(),
        });
    }
    let (was, is) = (presence(old.presence), presence(new.presence));
    if was != is {
        kinds.push(ChangeKind::PresenceChanged { old: was, new: is });
    }
    if let (model::Presence::Default(a), model::Presence::Default(b)) = (old.presence, new.presence) {
        let (a, b) = (default_text(m.old, a), default_text(m.new, b));
        if a != b {
            kinds.push(ChangeKind::DefaultChanged {
                old: a,
                new: b,
                left_out,
            });
        }
    }
    if let Some(relation) = m.relation(old.ty, new.ty) {
        kinds.push(ChangeKind::TypeChanged {
            old: m.old.type_name(old.ty),
            new: m.new.type_name(new.ty),
            relation,
        });
    }
    if old.nullable != new.nullable {
        // Required where it does not take `null`: on the old side if it takes it now.
        let not_nullable = if new.nullable { old } else { new };
        kinds.push(ChangeKind::NullableChanged {
            nullable: new.nullable,
            required: *not_nullable.presence == model::Presence::Required,
        });
    }
    if old.boxed != new.boxed {
        kinds.push(ChangeKind::BoxedChanged { boxed: new.boxed });
    }
    kinds
}

/// Types added, removed and renamed, and the changes inside every matched pair. The types of
/// an operation only one side has are reported with the operation, not one by one.
pub(super) fn compare_types(changes: &mut Changes<'_, '_>) {
    let m = changes.m;
    for id in 0..m.new.types.len() {
        if m.new_to_old[id].is_empty() && !in_lone_module(changes, m.new, id) {
            let role = m.new_roles.get(id).copied().unwrap_or(super::Role::None);
            let group = changes.type_group(true, id);
            changes.push(&group, Matching::path(m.new, id), ChangeKind::TypeAdded, role);
        }
    }
    for id in 0..m.old.types.len() {
        if m.old_to_new[id].is_empty() && !in_lone_module(changes, m.old, id) {
            let role = m.old_roles.get(id).copied().unwrap_or(super::Role::None);
            let group = changes.type_group(false, id);
            changes.push(&group, Matching::path(m.old, id), ChangeKind::TypeRemoved, role);
        }
    }
    for (old, news) in m.old_to_new.iter().enumerate() {
        for &new in news {
            compare_pair(changes, old, new);
        }
    }
}

fn in_lone_module(changes: &Changes<'_, '_>, api: &Api, id: usize) -> bool {
    match api.types.get(id).map(|def| &def.module) {
        Some(Module::Operation(name)) => changes.lone.contains(name),
        _ => false,
    }
}

fn compare_pair(changes: &mut Changes<'_, '_>, old: usize, new: usize) {
    let m = changes.m;
    let (Some(a), Some(b)) = (m.old.types.get(old), m.new.types.get(new)) else {
        return;
    };
    let role = m.old_roles.get(old).copied().unwrap_or(super::Role::None);
    let role = role.union(m.new_roles.get(new).copied().unwrap_or(super::Role::None));
    let group = changes.type_group(true, new);
    let (old_path, new_path) = (Matching::path(m.old, old), Matching::path(m.new, new));
    // A module renamed with its operation is reported once, with the operation.
    let implied = match (&a.module, &b.module) {
        (Module::Operation(x), Module::Operation(y)) => changes.renamed.get(x) == Some(y) && a.name == b.name,
        _ => false,
    };
    if old_path != new_path && !implied {
        let kind = ChangeKind::TypeRenamed { new: new_path.clone() };
        changes.push(&group, old_path, kind, role);
    }
    let kinds: Vec<(String, ChangeKind)> = match (&a.kind, &b.kind) {
        (TypeKind::Struct(s), TypeKind::Struct(t)) => struct_changes(m, &new_path, s, t),
        (TypeKind::Enum(e), TypeKind::Enum(f)) => enum_changes(&new_path, e, f),
        (TypeKind::Union(u), TypeKind::Union(v)) => union_changes(m, &new_path, u, v),
        (x, y) => {
            let kind = ChangeKind::KindChanged {
                old: kind_name(x).into(),
                new: kind_name(y).into(),
            };
            vec![(new_path, kind)]
        }
    };
    for (subject, kind) in kinds {
        changes.push(&group, subject, kind, role);
    }
}

fn struct_changes(m: &Matching<'_>, path: &str, s: &Struct, t: &Struct) -> Vec<(String, ChangeKind)> {
    let mut out = Vec::new();
    for (f, g) in match_fields(&s.fields, &t.fields) {
        let Some(shown) = g.or(f) else { continue };
        let subject = format!("{path}.{}", shown.wire);
        let kinds = match (f, g) {
            (None, Some(g)) => vec![ChangeKind::FieldAdded {
                presence: presence(&g.presence),
            }],
            (Some(f), None) => vec![ChangeKind::FieldRemoved {
                presence: presence(&f.presence),
            }],
            (Some(f), Some(g)) => member_changes(m, &field_member(f), &field_member(g), true),
            (None, None) => Vec::new(),
        };
        out.extend(kinds.into_iter().map(|kind| (subject.clone(), kind)));
    }
    match (&s.extra, &t.extra) {
        (None, Some(x)) => out.push((format!("{path}.{}", x.ident), ChangeKind::ExtraAdded)),
        (Some(e), None) => out.push((format!("{path}.{}", e.ident), ChangeKind::ExtraRemoved)),
        (Some(e), Some(x)) => {
            if let Some(relation) = m.relation(&e.ty, &x.ty) {
                let kind = ChangeKind::TypeChanged {
                    old: m.old.type_name(&e.ty),
                    new: m.new.type_name(&x.ty),
                    relation,
                };
                out.push((format!("{path}.{}", x.ident), kind));
            }
        }
        (None, None) => {}
    }
    out
}

fn enum_changes(path: &str, e: &Enum, f: &Enum) -> Vec<(String, ChangeKind)> {
    let mut out = Vec::new();
    for (v, w) in match_by(&e.variants, &f.variants, |v| wire_key(&v.wire), |v| v.ident.clone()) {
        match (v, w) {
            (None, Some(w)) => out.push((path.to_owned(), ChangeKind::ValueAdded { value: w.wire.quoted() })),
            (Some(v), None) => out.push((path.to_owned(), ChangeKind::ValueRemoved { value: v.wire.quoted() })),
            (Some(v), Some(w)) => {
                if v.wire != w.wire {
                    let kind = ChangeKind::RenamedOnWire {
                        old: v.wire.text(),
                        new: w.wire.text(),
                    };
                    out.push((path.to_owned(), kind));
                }
                if v.ident != w.ident {
                    let kind = ChangeKind::RenamedInRust {
                        old: v.ident.clone(),
                        new: w.ident.clone(),
                    };
                    out.push((format!("{path} {}", w.wire.quoted()), kind));
                }
            }
            (None, None) => {}
        }
    }
    let default = |e: &Enum| {
        e.default
            .and_then(|i| e.variants.get(i))
            .map_or_else(|| "none".to_owned(), |v| v.wire.quoted())
    };
    let (old, new) = (default(e), default(f));
    if old != new {
        out.push((path.to_owned(), ChangeKind::EnumDefaultChanged { old, new }));
    }
    out
}

fn field_member(f: &model::Field) -> Member<'_> {
    Member {
        wire: &f.wire,
        ident: &f.ident,
        ty: &f.ty,
        presence: &f.presence,
        boxed: f.boxed,
        nullable: f.nullable,
    }
}

/// The cases of a union, matched by Rust name: the name is how callers match on them, and the
/// case's type is what travels.
fn union_changes(m: &Matching<'_>, path: &str, u: &Union, v: &Union) -> Vec<(String, ChangeKind)> {
    let mut out = Vec::new();
    for (a, b) in match_by(&u.variants, &v.variants, |c| c.ident.clone(), |c| c.ident.clone()) {
        match (a, b) {
            (None, Some(b)) => out.push((path.to_owned(), ChangeKind::CaseAdded { case: b.ident.clone() })),
            (Some(a), None) => out.push((path.to_owned(), ChangeKind::CaseRemoved { case: a.ident.clone() })),
            (Some(a), Some(b)) => {
                let subject = format!("{path}::{}", b.ident);
                if let Some(relation) = m.relation(&a.ty, &b.ty) {
                    let kind = ChangeKind::TypeChanged {
                        old: m.old.type_name(&a.ty),
                        new: m.new.type_name(&b.ty),
                        relation,
                    };
                    out.push((subject.clone(), kind));
                }
                if a.boxed != b.boxed {
                    out.push((subject, ChangeKind::BoxedChanged { boxed: b.boxed }));
                }
            }
            (None, None) => {}
        }
    }
    out
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Struct(_) => "struct",
        TypeKind::Enum(_) => "enum",
        TypeKind::Union(_) => "union",
    }
}

/// An enum value as a key that tells `"1"` from `1`.
fn wire_key(value: &EnumValue) -> String {
    format!("{value:?}")
}

/// A default as the report shows it; an enum default by its wire value, which is what matters
/// across models.
fn default_text(api: &Api, value: &DefaultValue) -> String {
    match value {
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) => i.to_string(),
        DefaultValue::Float(f) => f.to_string(),
        DefaultValue::Str(s) => format!("{s:?}"),
        DefaultValue::Variant(id, index) => match api.types.get(id.0).map(|def| &def.kind) {
            Some(TypeKind::Enum(e)) => e.variants.get(*index).map_or_else(String::new, |v| v.wire.quoted()),
            _ => String::new(),
        },
    }
}
