//! Which operation, type and member of the old model is which of the new one, where each type
//! travels, and how two type references compare on the wire.
//!
//! Operations match by name, then (a renamed operation) by method and path. Types match by
//! Rust path, then by position: the types found at the same place of matched operations (the
//! body of `register`, the field `auth` of a matched struct) are the same type under another
//! path, so that a module renamed with its operation or an inline type moved to `types` is
//! compared field by field instead of being reported removed and added.

use std::collections::{BTreeMap, BTreeSet};

use super::{Relation, Role};
use crate::model::{Api, Field, Operation, Param, Status, TypeDef, TypeId, TypeKind, TypeRef};

/// One operation of either side, matched with its counterpart where it has one.
pub(super) type OpPair<'a> = (Option<&'a Operation>, Option<&'a Operation>);

/// Everything the comparison needs to know about both models.
pub(super) struct Matching<'a> {
    /// The old model.
    pub old: &'a Api,
    /// The new model.
    pub new: &'a Api,
    /// The base path the old side is compared at (see [`split`]).
    pub old_base: String,
    /// The base path the new side is compared at.
    pub new_base: String,
    /// What the old side's base path adds to that, before each operation's path.
    old_tail: String,
    /// What the new side's base path adds to that.
    new_tail: String,
    /// Operations, in the order of their (new, else old) names.
    pub ops: Vec<OpPair<'a>>,
    /// For each old type, the new types it is.
    pub old_to_new: Vec<Vec<usize>>,
    /// For each new type, the old types it is.
    pub new_to_old: Vec<Vec<usize>>,
    /// For each old type, whether a new type has its path.
    by_path: Vec<bool>,
    /// Where each old type travels.
    pub old_roles: Vec<Role>,
    /// Where each new type travels.
    pub new_roles: Vec<Role>,
    /// The operations that use each old type.
    pub old_users: Vec<BTreeSet<String>>,
    /// The operations that use each new type.
    pub new_users: Vec<BTreeSet<String>>,
}

impl<'a> Matching<'a> {
    /// Matches the operations and types of two models.
    pub fn new(old: &'a Api, new: &'a Api) -> Self {
        let (old_roles, old_users) = usage(old);
        let (new_roles, new_users) = usage(new);
        let (old_base, new_base, old_tail, new_tail) = split(&old.base_path, &new.base_path);
        let mut matching = Self {
            old,
            new,
            ops: match_operations(old, new, &old_tail, &new_tail),
            old_base,
            new_base,
            old_tail,
            new_tail,
            old_to_new: vec![Vec::new(); old.types.len()],
            new_to_old: vec![Vec::new(); new.types.len()],
            by_path: vec![false; old.types.len()],
            old_roles,
            old_users,
            new_roles,
            new_users,
        };
        matching.pair_types();
        matching
    }

    /// An operation's path below the base path its side is compared at.
    pub fn op_path(&self, new: bool, op: &Operation) -> String {
        let tail = if new { &self.new_tail } else { &self.old_tail };
        format!("{tail}{}", op.path)
    }

    /// A type's Rust path (`types::AuthData`, `register::RequestBody`) on one side.
    pub fn path(api: &Api, id: usize) -> String {
        api.types.get(id).map_or_else(String::new, |def| {
            format!("{}::{}", Api::module_name(&def.module), def.name)
        })
    }

    fn pair_types(&mut self) {
        let new_paths: BTreeMap<String, usize> = (0..self.new.types.len())
            .map(|id| (Self::path(self.new, id), id))
            .collect();
        for id in 0..self.old.types.len() {
            if let Some(&other) = new_paths.get(&Self::path(self.old, id)) {
                self.add(id, other);
                self.by_path[id] = true;
            }
        }
        let mut seen = BTreeSet::new();
        let ops = self.ops.clone();
        for (old, new) in ops {
            if let (Some(old), Some(new)) = (old, new) {
                self.walk_operation(old, new, &mut seen);
            }
        }
        let error = (TypeRef::Named(self.old.error), TypeRef::Named(self.new.error));
        self.walk(&error.0, &error.1, &mut seen);
        let by_path: Vec<(usize, usize)> = (0..self.old.types.len())
            .filter(|&id| self.by_path[id])
            .flat_map(|id| self.old_to_new[id].iter().map(move |&other| (id, other)))
            .collect();
        for (old, new) in by_path {
            self.walk(&TypeRef::Named(TypeId(old)), &TypeRef::Named(TypeId(new)), &mut seen);
        }
    }

    fn walk_operation(&mut self, old: &Operation, new: &Operation, seen: &mut BTreeSet<(usize, usize)>) {
        for (p, q) in match_params(&old.params, &new.params) {
            if let (Some(p), Some(q)) = (p, q) {
                self.walk(&p.ty, &q.ty, seen);
            }
        }
        if let (Some(b), Some(c)) = (&old.body, &new.body) {
            self.walk(&b.ty, &c.ty, seen);
        }
        for r in &old.responses {
            let same = new.responses.iter().find(|s| s.status == r.status);
            if let (Some(t), Some(u)) = (&r.ty, same.and_then(|s| s.ty.as_ref())) {
                self.walk(t, u, seen);
            }
        }
        if let (Some(u), Some(v)) = (&old.uiaa, &new.uiaa) {
            self.walk(&TypeRef::Named(u.state), &TypeRef::Named(v.state), seen);
            self.walk(&TypeRef::Named(u.auth), &TypeRef::Named(v.auth), seen);
        }
    }

    /// Pairs the types found at the same place on both sides, and the types of their members.
    fn walk(&mut self, old: &TypeRef, new: &TypeRef, seen: &mut BTreeSet<(usize, usize)>) {
        match (old, new) {
            (TypeRef::Named(a), TypeRef::Named(b)) => {
                let (a, b) = (a.0, b.0);
                if !self.is_paired(a, b) && !self.can_pair(a, b) {
                    return;
                }
                self.add(a, b);
                if !seen.insert((a, b)) {
                    return;
                }
                let (Some(x), Some(y)) = (self.old.types.get(a), self.new.types.get(b)) else {
                    return;
                };
                for (f, g) in member_types(x, y) {
                    self.walk(&f, &g, seen);
                }
            }
            (TypeRef::Array(x), TypeRef::Array(y)) | (TypeRef::Map(x), TypeRef::Map(y)) => self.walk(x, y, seen),
            _ => {}
        }
    }

    /// Whether an old type may be taken for a new one found at its place: both structs or both
    /// enums, the new one not yet anything else, the old one not still at its own path.
    fn can_pair(&self, old: usize, new: usize) -> bool {
        let kinds = self.old.types.get(old).zip(self.new.types.get(new));
        let same_kind = kinds.is_some_and(|(a, b)| std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind));
        let new_is_free = self.new_to_old.get(new).is_some_and(Vec::is_empty);
        same_kind && new_is_free && !self.by_path.get(old).copied().unwrap_or(true)
    }

    fn add(&mut self, old: usize, new: usize) {
        // Ids come from the models' own type lists; one out of range pairs nothing.
        if new >= self.new_to_old.len() || self.is_paired(old, new) {
            return;
        }
        if let Some(news) = self.old_to_new.get_mut(old) {
            news.push(new);
            self.new_to_old[new].push(old);
        }
    }

    /// Whether an old and a new type are one type.
    pub fn is_paired(&self, old: usize, new: usize) -> bool {
        self.old_to_new.get(old).is_some_and(|news| news.contains(&new))
    }

    /// How a new type reference compares with an old one: `None` if it is the same type.
    pub fn relation(&self, old: &TypeRef, new: &TypeRef) -> Option<Relation> {
        self.relation_in(old, new, &mut BTreeSet::new())
    }

    fn relation_in(&self, old: &TypeRef, new: &TypeRef, seen: &mut BTreeSet<(usize, usize)>) -> Option<Relation> {
        match (old, new) {
            (TypeRef::Named(a), TypeRef::Named(b)) if self.is_paired(a.0, b.0) => None,
            (TypeRef::Named(a), TypeRef::Named(b)) => Some(self.structural(a.0, b.0, seen)),
            (TypeRef::Array(x), TypeRef::Array(y)) | (TypeRef::Map(x), TypeRef::Map(y)) => self.relation_in(x, y, seen),
            (TypeRef::Named(_), _) | (_, TypeRef::Named(_)) => Some(self.value_relation(old, new)),
            _ if old == new => None,
            _ => Some(self.value_relation(old, new)),
        }
    }

    /// How the JSON values two types that are not paired accept compare: field by wire name
    /// (a receiver ignores keys it does not know), or enum value by value.
    fn structural(&self, old: usize, new: usize, seen: &mut BTreeSet<(usize, usize)>) -> Relation {
        // Assumed the same while being checked, so that recursive types end.
        if !seen.insert((old, new)) {
            return Relation::Same;
        }
        let (Some(a), Some(b)) = (self.old.types.get(old), self.new.types.get(new)) else {
            return Relation::Different;
        };
        match (&a.kind, &b.kind) {
            (TypeKind::Struct(s), TypeKind::Struct(t)) => {
                let mut relation = Relation::Same;
                for (f, g) in match_by(&s.fields, &t.fields, |f| f.wire.clone(), |f| f.wire.clone()) {
                    let field = match (f, g) {
                        (None, Some(g)) if is_required(g) => Relation::Narrower,
                        (Some(f), None) if is_required(f) => Relation::Wider,
                        (Some(f), Some(g)) => {
                            let presence = match (is_required(f), is_required(g)) {
                                (true, false) => Relation::Wider,
                                (false, true) => Relation::Narrower,
                                _ => Relation::Same,
                            };
                            combine(presence, self.relation_in(&f.ty, &g.ty, seen).unwrap_or(Relation::Same))
                        }
                        _ => Relation::Same,
                    };
                    relation = combine(relation, field);
                }
                let any = TypeRef::Json;
                let (e, x) = (
                    s.extra.as_ref().map_or(&any, |e| &e.ty),
                    t.extra.as_ref().map_or(&any, |x| &x.ty),
                );
                combine(relation, self.relation_in(e, x, seen).unwrap_or(Relation::Same))
            }
            (TypeKind::Union(u), TypeKind::Union(v)) => {
                let mut relation = Relation::Same;
                for (c, d) in match_by(&u.variants, &v.variants, |c| c.ident.clone(), |c| c.ident.clone()) {
                    let case = match (c, d) {
                        (None, _) => Relation::Wider,
                        (_, None) => Relation::Narrower,
                        (Some(c), Some(d)) => self.relation_in(&c.ty, &d.ty, seen).unwrap_or(Relation::Same),
                    };
                    relation = combine(relation, case);
                }
                relation
            }
            (TypeKind::Enum(e), TypeKind::Enum(f)) => {
                let values = |e: &crate::model::Enum| {
                    e.variants
                        .iter()
                        .map(|v| format!("{:?}", v.wire))
                        .collect::<BTreeSet<_>>()
                };
                let (old, new) = (values(e), values(f));
                match (old.is_subset(&new), new.is_subset(&old)) {
                    (true, true) => Relation::Same,
                    (true, false) => Relation::Wider,
                    (false, true) => Relation::Narrower,
                    (false, false) => Relation::Different,
                }
            }
            _ => Relation::Different,
        }
    }

    /// How the values of two different types compare, by the JSON values each accepts.
    fn value_relation(&self, old: &TypeRef, new: &TypeRef) -> Relation {
        let object = |api: &Api, t: &TypeRef| match t {
            TypeRef::Named(id) => api.types.get(id.0).is_some_and(is_struct),
            TypeRef::Map(_) | TypeRef::JsonObject => true,
            _ => false,
        };
        let text = |api: &Api, t: &TypeRef| match t {
            TypeRef::Named(id) => api.types.get(id.0).is_some_and(is_string_enum),
            TypeRef::String => true,
            _ => false,
        };
        match (old, new) {
            (_, TypeRef::Json) => Relation::Wider,
            (TypeRef::Json, _) => Relation::Narrower,
            (_, TypeRef::JsonObject) if object(self.old, old) => Relation::Wider,
            (TypeRef::JsonObject, _) if object(self.new, new) => Relation::Narrower,
            (TypeRef::Named(_), TypeRef::String) if text(self.old, old) => Relation::Wider,
            (TypeRef::String, TypeRef::Named(_)) if text(self.new, new) => Relation::Narrower,
            _ => match (number(old), number(new)) {
                (Some(a), Some(b)) if a < b => Relation::Wider,
                (Some(a), Some(b)) if a > b => Relation::Narrower,
                _ => Relation::Different,
            },
        }
    }
}

/// Both relations at once: the same, one way, or both ways (different).
fn combine(a: Relation, b: Relation) -> Relation {
    match (a, b) {
        (Relation::Same, other) | (other, Relation::Same) => other,
        (Relation::Wider, Relation::Wider) => Relation::Wider,
        (Relation::Narrower, Relation::Narrower) => Relation::Narrower,
        _ => Relation::Different,
    }
}

/// Numbers ordered by the JSON values their Rust type takes: every `i32` is an `i64`, every
/// integer an `f64` (serde reads integers into floats), every `f32` an `f64`.
fn number(ty: &TypeRef) -> Option<u8> {
    match ty {
        TypeRef::I32 => Some(0),
        TypeRef::I64 => Some(1),
        TypeRef::F32 => Some(2),
        TypeRef::F64 => Some(3),
        _ => None,
    }
}

/// The types of the members of two types of one kind, matched: struct fields (and the map of
/// other keys), union cases.
fn member_types(old: &TypeDef, new: &TypeDef) -> Vec<(TypeRef, TypeRef)> {
    let mut pairs = Vec::new();
    match (&old.kind, &new.kind) {
        (TypeKind::Struct(s), TypeKind::Struct(t)) => {
            for (f, g) in match_fields(&s.fields, &t.fields) {
                if let (Some(f), Some(g)) = (f, g) {
                    pairs.push((f.ty.clone(), g.ty.clone()));
                }
            }
            if let (Some(e), Some(x)) = (&s.extra, &t.extra) {
                pairs.push((e.ty.clone(), x.ty.clone()));
            }
        }
        (TypeKind::Union(u), TypeKind::Union(v)) => {
            for (c, d) in match_by(&u.variants, &v.variants, |c| c.ident.clone(), |c| c.ident.clone()) {
                if let (Some(c), Some(d)) = (c, d) {
                    pairs.push((c.ty.clone(), d.ty.clone()));
                }
            }
        }
        _ => {}
    }
    pairs
}

fn is_struct(def: &TypeDef) -> bool {
    matches!(def.kind, TypeKind::Struct(_))
}

fn is_string_enum(def: &TypeDef) -> bool {
    match &def.kind {
        TypeKind::Enum(e) => e
            .variants
            .iter()
            .all(|v| matches!(v.wire, crate::model::EnumValue::Str(_))),
        TypeKind::Struct(_) | TypeKind::Union(_) => false,
    }
}

fn is_required(field: &Field) -> bool {
    field.presence == crate::model::Presence::Required
}

/// Operations matched by name, then by method and path (a renamed operation); each side's path
/// taken below the base path both are compared at.
fn match_operations<'a>(old: &'a Api, new: &'a Api, old_tail: &str, new_tail: &str) -> Vec<OpPair<'a>> {
    let routed = |ops: &'a [Operation], tail: &str| -> Vec<(&'a Operation, (String, String))> {
        let route = |op: &Operation| (op.method.clone(), normalized_path(&format!("{tail}{}", op.path)));
        ops.iter().map(|op| (op, route(op))).collect()
    };
    let (old_ops, new_ops) = (routed(&old.operations, old_tail), routed(&new.operations, new_tail));
    let mut pairs: Vec<OpPair<'a>> = match_by(
        &old_ops,
        &new_ops,
        |(op, _)| op.name.clone(),
        |(_, route)| route.clone(),
    )
    .into_iter()
    .map(|(o, n)| (o.map(|o| o.0), n.map(|n| n.0)))
    .collect();
    let name = |pair: &OpPair<'_>| pair.1.or(pair.0).map(|op| op.name.clone()).unwrap_or_default();
    pairs.sort_by_key(name);
    pairs
}

/// The base paths two sides are compared at, and what each side's own base path adds below
/// it. They are the sides' own, unless one is a prefix of the other (the API's base path is
/// what its entry files share, so a new entry file under another prefix moves part of it into
/// every operation's path): then both are compared at the shorter, and the rest of the longer
/// goes before its operations' paths.
fn split(old: &str, new: &str) -> (String, String, String, String) {
    let under = |long: &str, short: &str| {
        long.len() > short.len() && long.starts_with(short) && long[short.len()..].starts_with('/')
    };
    if under(old, new) {
        (
            new.to_owned(),
            new.to_owned(),
            old[new.len()..].to_owned(),
            String::new(),
        )
    } else if under(new, old) {
        (
            old.to_owned(),
            old.to_owned(),
            String::new(),
            new[old.len()..].to_owned(),
        )
    } else {
        (old.to_owned(), new.to_owned(), String::new(), String::new())
    }
}

/// A path with every parameter written `{}`: renaming a path parameter changes no request.
pub(super) fn normalized_path(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Fields matched by wire name, then by Rust name (a field renamed on the wire).
pub(super) fn match_fields<'a>(old: &'a [Field], new: &'a [Field]) -> Vec<(Option<&'a Field>, Option<&'a Field>)> {
    match_by(old, new, |f| f.wire.clone(), |f| f.ident.clone())
}

/// Parameters matched by place and wire name, then by Rust name (moved or renamed on the wire).
pub(super) fn match_params<'a>(old: &'a [Param], new: &'a [Param]) -> Vec<(Option<&'a Param>, Option<&'a Param>)> {
    match_by(
        old,
        new,
        |p| (format!("{:?}", p.location), p.wire.clone()),
        |p| p.ident.clone(),
    )
}

/// Items matched by a first key, then the rest by a second; the old ones in order (matched or
/// removed), then the added ones.
pub(super) fn match_by<'a, T, K: PartialEq, L: PartialEq>(
    old: &'a [T],
    new: &'a [T],
    first: impl Fn(&T) -> K,
    second: impl Fn(&T) -> L,
) -> Vec<(Option<&'a T>, Option<&'a T>)> {
    let mut taken = vec![false; new.len()];
    let mut matches: Vec<Option<usize>> = old
        .iter()
        .map(|o| {
            let found = (0..new.len()).find(|&i| !taken[i] && first(&new[i]) == first(o));
            if let Some(i) = found {
                taken[i] = true;
            }
            found
        })
        .collect();
    for (o, slot) in old.iter().zip(matches.iter_mut()).filter(|(_, slot)| slot.is_none()) {
        let found = (0..new.len()).find(|&i| !taken[i] && second(&new[i]) == second(o));
        if let Some(i) = found {
            taken[i] = true;
            *slot = Some(i);
        }
    }
    let mut pairs: Vec<_> = old
        .iter()
        .zip(matches)
        .map(|(o, m)| (Some(o), m.and_then(|i| new.get(i))))
        .collect();
    pairs.extend(new.iter().zip(taken).filter(|(_, t)| !t).map(|(n, _)| (None, Some(n))));
    pairs
}

/// Where each type of a model travels, and which operations use it: from each operation's
/// parameters and body (requests) and responses (answers) through every type they refer to.
/// The error type travels in the answers of every operation.
fn usage(api: &Api) -> (Vec<Role>, Vec<BTreeSet<String>>) {
    let mut roles = vec![Role::None; api.types.len()];
    let mut users = vec![BTreeSet::new(); api.types.len()];
    for op in &api.operations {
        let requests = op.params.iter().map(|p| &p.ty).chain(op.body.as_ref().map(|b| &b.ty));
        let answers = op.responses.iter().filter_map(|r| r.ty.as_ref());
        let error = TypeRef::Named(api.error);
        let mut reached = BTreeSet::new();
        for ty in requests {
            mark(api, ty, Role::Request, &mut roles, &mut reached);
        }
        for ty in answers.chain([&error]) {
            mark(api, ty, Role::Answer, &mut roles, &mut BTreeSet::new());
            reach(api, ty, &mut reached);
        }
        for id in reached {
            if let Some(users) = users.get_mut(id) {
                users.insert(op.name.clone());
            }
        }
    }
    (roles, users)
}

fn mark(api: &Api, ty: &TypeRef, role: Role, roles: &mut [Role], reached: &mut BTreeSet<usize>) {
    reach(api, ty, reached);
    for &id in reached.iter() {
        if let Some(slot) = roles.get_mut(id) {
            *slot = slot.union(role);
        }
    }
}

/// Every type reachable from a type reference.
fn reach(api: &Api, ty: &TypeRef, reached: &mut BTreeSet<usize>) {
    match ty {
        TypeRef::Named(id) => {
            if !reached.insert(id.0) {
                return;
            }
            match api.types.get(id.0).map(|def| &def.kind) {
                Some(TypeKind::Struct(s)) => {
                    for f in &s.fields {
                        reach(api, &f.ty, reached);
                    }
                    if let Some(extra) = &s.extra {
                        reach(api, &extra.ty, reached);
                    }
                }
                Some(TypeKind::Union(u)) => {
                    for case in &u.variants {
                        reach(api, &case.ty, reached);
                    }
                }
                _ => {}
            }
        }
        TypeRef::Array(item) | TypeRef::Map(item) => reach(api, item, reached),
        _ => {}
    }
}

/// Whether a status is a success (2xx).
pub(super) fn is_success(status: Status) -> bool {
    matches!(status, Status::Code(200..=299) | Status::Range(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_a_path_parameter_is_not_a_new_path() {
        assert_eq!(
            normalized_path("/rooms/{roomId}/state/{eventType}"),
            "/rooms/{}/state/{}"
        );
        assert_ne!(
            normalized_path("/register/available"),
            normalized_path("/register/availability")
        );
    }

    #[test]
    fn items_match_by_the_first_key_then_the_second_and_the_rest_are_added_or_removed() {
        let old = [("a", 1), ("b", 2), ("c", 3)];
        let new = [("b", 20), ("x", 1), ("d", 4)];
        let pairs = match_by(&old, &new, |i| i.0, |i| i.1);
        let shown: Vec<(Option<&str>, Option<&str>)> =
            pairs.iter().map(|(o, n)| (o.map(|o| o.0), n.map(|n| n.0))).collect();
        assert_eq!(
            shown,
            [
                (Some("a"), Some("x")),
                (Some("b"), Some("b")),
                (Some("c"), None),
                (None, Some("d"))
            ]
        );
    }

    #[test]
    fn a_base_path_shared_by_fewer_entry_files_is_compared_where_both_agree() {
        let (old, new, old_tail, new_tail) = split("/_matrix/client/v3", "/_matrix");
        assert_eq!((old.as_str(), new.as_str()), ("/_matrix", "/_matrix"));
        assert_eq!((old_tail.as_str(), new_tail.as_str()), ("/client/v3", ""));
        // r0 -> v3 is a change of the base path itself, reported once for the API.
        let (old, new, old_tail, _) = split("/_matrix/client/r0", "/_matrix/client/v3");
        assert_eq!(
            (old.as_str(), new.as_str(), old_tail.as_str()),
            ("/_matrix/client/r0", "/_matrix/client/v3", "")
        );
        assert_eq!(split("/_matrix/client", "/_matrix/clientele").2, "");
    }

    #[test]
    fn numbers_widen_from_i32_to_f64() {
        assert!(number(&TypeRef::I32) < number(&TypeRef::I64));
        assert!(number(&TypeRef::I64) < number(&TypeRef::F64));
        assert_eq!(number(&TypeRef::String), None);
        assert_eq!(combine(Relation::Wider, Relation::Same), Relation::Wider);
        assert_eq!(combine(Relation::Wider, Relation::Narrower), Relation::Different);
    }
}
