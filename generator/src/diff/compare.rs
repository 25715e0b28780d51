//! The walk: the API, then each operation (method, path, access token, parameters, body,
//! answers), then each type, collecting every change graded by [`grade`](super::grade).

use std::collections::{BTreeMap, BTreeSet};

use super::grade::grade;
use super::pairing::{self, Matching, is_success, match_params, normalized_path};
use super::render::what;
use super::types::{Member, member_changes};
use super::{Change, ChangeKind, Group, Presence, Report, Role, Side, Token};
use crate::model::{self, Api, Auth, Module, Operation, ParamLocation, Status, TypeRef};

/// Compares two models of the API: every change from `old` to `new`, graded for Rust callers
/// and on the wire. The same model on both sides gives an empty report.
pub fn compare(old: &Api, new: &Api) -> Report {
    let matching = Matching::new(old, new);
    let mut changes = Changes::new(&matching);
    changes.api();
    for &(o, n) in &matching.ops {
        changes.operation(o, n);
    }
    super::types::compare_types(&mut changes);
    let mut list = changes.list;
    // Stable: each group in walk order, its breaking changes first.
    list.sort_by(|a, b| (&a.group, !a.is_breaking()).cmp(&(&b.group, !b.is_breaking())));
    Report {
        old: side(old),
        new: side(new),
        changes: list,
    }
}

fn side(api: &Api) -> Side {
    Side {
        title: api.title.clone(),
        version: api.version.clone(),
        source: api.source.clone(),
        package: api.package.clone(),
    }
}

/// The changes found so far, and what is needed to place them.
pub(super) struct Changes<'m, 'a> {
    /// Both models, matched.
    pub m: &'m Matching<'a>,
    /// Old operation name -> new one, for renamed operations.
    pub renamed: BTreeMap<String, String>,
    /// Operations only one side has: their own types are reported with them, not one by one.
    pub lone: BTreeSet<String>,
    list: Vec<Change>,
}

impl<'m, 'a> Changes<'m, 'a> {
    fn new(m: &'m Matching<'a>) -> Self {
        let mut renamed = BTreeMap::new();
        let mut lone = BTreeSet::new();
        for (o, n) in &m.ops {
            match (o, n) {
                (Some(o), Some(n)) if o.name != n.name => {
                    renamed.insert(o.name.clone(), n.name.clone());
                }
                (Some(op), None) | (None, Some(op)) => {
                    lone.insert(op.name.clone());
                }
                _ => {}
            }
        }
        Self {
            m,
            renamed,
            lone,
            list: Vec::new(),
        }
    }

    /// Grades a change and keeps it (once).
    pub fn push(&mut self, group: &Group, subject: String, kind: ChangeKind, role: Role) {
        let (rust, wire) = grade(&kind, role);
        let text = format!("{subject} {}", what(&kind));
        let change = Change {
            group: group.clone(),
            subject,
            kind,
            role,
            rust,
            wire,
            text,
        };
        if !self.list.contains(&change) {
            self.list.push(change);
        }
    }

    /// The group of an operation: the new one where it still exists.
    fn op_group(old: Option<&Operation>, new: Option<&Operation>) -> Group {
        let op = new.or(old);
        Group::Operation {
            name: op.map(|op| op.name.clone()).unwrap_or_default(),
            method: op.map(|op| op.method.clone()).unwrap_or_default(),
            path: op.map(|op| op.path.clone()).unwrap_or_default(),
        }
    }

    /// The group of a type of one side (`new`: the new side): its operation (by its new name)
    /// or, for a shared type, the type itself with the operations that use it.
    pub fn type_group(&self, new: bool, id: usize) -> Group {
        let api = if new { self.m.new } else { self.m.old };
        let Some(def) = api.types.get(id) else {
            return Group::Api;
        };
        match &def.module {
            Module::Operation(name) => {
                let name = if new {
                    name
                } else {
                    self.renamed.get(name).unwrap_or(name)
                };
                let find = |api: &'a Api| api.operations.iter().find(|op| &op.name == name);
                Self::op_group(find(self.m.old), find(self.m.new))
            }
            Module::Shared => {
                let users = if new { &self.m.new_users } else { &self.m.old_users };
                Group::Type {
                    path: Matching::path(api, id),
                    used_by: users.get(id).map(|u| u.iter().cloned().collect()).unwrap_or_default(),
                }
            }
        }
    }

    fn api(&mut self) {
        let (old, new) = (self.m.old, self.m.new);
        if old.package != new.package {
            let kind = ChangeKind::PackageRenamed {
                new: new.package.clone(),
            };
            self.push(&Group::Api, format!("package {}", old.package), kind, Role::None);
        }
        self.base_paths();
        let error = (TypeRef::Named(old.error), TypeRef::Named(new.error));
        if let Some(relation) = self.m.relation(&error.0, &error.1) {
            let kind = ChangeKind::ErrorTypeChanged {
                old: old.type_name(&error.0),
                new: new.type_name(&error.1),
                relation,
            };
            self.push(&Group::Api, "error type".into(), kind, Role::Answer);
        }
        let has_auth = |api: &Api| api.operations.iter().any(|op| op.auth != Auth::None);
        let kind = match (has_auth(old), has_auth(new)) {
            (false, true) => Some(ChangeKind::ServerIdentityAdded),
            (true, false) => Some(ChangeKind::ServerIdentityRemoved),
            _ => None,
        };
        if let Some(kind) = kind {
            self.push(&Group::Api, "server::Server".into(), kind, Role::None);
        }
    }

    /// The base paths each side serves (every value of its variables) and the one clients use.
    fn base_paths(&mut self) {
        let (old, old_default) = prefixes(&self.m.old_base, &self.m.old.variables);
        let (new, new_default) = prefixes(&self.m.new_base, &self.m.new.variables);
        for prefix in old.difference(&new) {
            self.push(
                &Group::Api,
                format!("base path {prefix}"),
                ChangeKind::PathPrefixRemoved,
                Role::Both,
            );
        }
        for prefix in new.difference(&old) {
            self.push(
                &Group::Api,
                format!("base path {prefix}"),
                ChangeKind::PathPrefixAdded,
                Role::Both,
            );
        }
        if old_default != new_default {
            let kind = ChangeKind::DefaultPathPrefixChanged {
                served_before: old.contains(&new_default),
                old: old_default,
                new: new_default,
            };
            self.push(&Group::Api, "default base path".into(), kind, Role::Both);
        }
    }

    fn operation(&mut self, old: Option<&Operation>, new: Option<&Operation>) {
        let group = Self::op_group(old, new);
        let (o, n) = match (old, new) {
            (Some(o), Some(n)) => (o, n),
            (None, Some(n)) => return self.push(&group, n.name.clone(), ChangeKind::OperationAdded, Role::Both),
            (Some(o), None) => return self.push(&group, o.name.clone(), ChangeKind::OperationRemoved, Role::Both),
            (None, None) => return,
        };
        let name = n.name.clone();
        let mut kinds = Vec::new();
        if o.name != n.name {
            let kind = ChangeKind::OperationRenamed { new: n.name.clone() };
            self.push(&group, o.name.clone(), kind, Role::Both);
        }
        if o.method != n.method {
            kinds.push(ChangeKind::MethodChanged {
                old: o.method.clone(),
                new: n.method.clone(),
            });
        }
        let (old_path, new_path) = (self.m.op_path(false, o), self.m.op_path(true, n));
        if normalized_path(&old_path) != normalized_path(&new_path) {
            kinds.push(ChangeKind::PathChanged {
                old: old_path,
                new: new_path,
            });
        }
        if o.auth != n.auth {
            kinds.push(ChangeKind::AccessTokenChanged {
                old: token(o.auth),
                new: token(n.auth),
            });
        }
        match (&o.uiaa, &n.uiaa) {
            (None, Some(_)) => kinds.push(ChangeKind::InteractiveAuthAdded { had_401: has_401(o) }),
            (Some(_), None) => kinds.push(ChangeKind::InteractiveAuthRemoved { keeps_401: has_401(n) }),
            _ => {}
        }
        if o.lifecycle.deprecated != n.lifecycle.deprecated {
            kinds.push(ChangeKind::DeprecatedChanged {
                deprecated: n.lifecycle.deprecated,
            });
        }
        for kind in kinds {
            self.push(&group, name.clone(), kind, Role::Both);
        }
        self.params(&group, o, n);
        self.body(&group, o, n);
        self.responses(&group, o, n);
    }

    fn params(&mut self, group: &Group, o: &Operation, n: &Operation) {
        for (p, q) in match_params(&o.params, &n.params) {
            let shown = q.or(p).map(|p| param_subject(&n.name, p)).unwrap_or_default();
            let kinds = match (p, q) {
                (None, Some(q)) => vec![ChangeKind::FieldAdded {
                    presence: presence(&q.presence),
                }],
                (Some(p), None) => vec![ChangeKind::FieldRemoved {
                    presence: presence(&p.presence),
                }],
                (Some(p), Some(q)) => self.param_changes(p, q),
                (None, None) => Vec::new(),
            };
            for kind in kinds {
                self.push(group, shown.clone(), kind, Role::Request);
            }
        }
    }

    fn param_changes(&self, p: &model::Param, q: &model::Param) -> Vec<ChangeKind> {
        let mut kinds = Vec::new();
        if p.location != q.location {
            kinds.push(ChangeKind::Moved {
                old: place(p.location).into(),
                new: place(q.location).into(),
            });
        }
        // A client sends a header even at its default; a query parameter not.
        let left_out = q.location != ParamLocation::Header;
        kinds.extend(member_changes(self.m, &param_member(p), &param_member(q), left_out));
        if p.explode != q.explode && matches!(q.ty, TypeRef::Array(_)) {
            kinds.push(ChangeKind::ExplodeChanged { explode: q.explode });
        }
        kinds
    }

    fn body(&mut self, group: &Group, o: &Operation, n: &Operation) {
        let subject = format!("{}::Request.body", n.name);
        let required = |b: &model::Body| {
            if b.required {
                Presence::Required
            } else {
                Presence::Optional
            }
        };
        let mut kinds = Vec::new();
        match (&o.body, &n.body) {
            (None, Some(b)) => kinds.push(ChangeKind::FieldAdded { presence: required(b) }),
            (Some(b), None) => kinds.push(ChangeKind::FieldRemoved { presence: required(b) }),
            (Some(b), Some(c)) => {
                if b.required != c.required {
                    kinds.push(ChangeKind::PresenceChanged {
                        old: required(b),
                        new: required(c),
                    });
                }
                if let Some(relation) = self.m.relation(&b.ty, &c.ty) {
                    kinds.push(ChangeKind::TypeChanged {
                        old: self.m.old.type_name(&b.ty),
                        new: self.m.new.type_name(&c.ty),
                        relation,
                    });
                }
            }
            (None, None) => {}
        }
        for kind in kinds {
            self.push(group, subject.clone(), kind, Role::Request);
        }
    }

    fn responses(&mut self, group: &Group, o: &Operation, n: &Operation) {
        let variant = |r: &model::Response| format!("{}::Response::{}", n.name, r.variant);
        for (r, s) in pairing::match_by(&o.responses, &n.responses, |r| r.status, |r| r.status) {
            let kinds = match (r, s) {
                (None, Some(s)) => vec![ChangeKind::StatusAdded {
                    status: status(s.status),
                    success: is_success(s.status),
                }],
                (Some(r), None) => vec![ChangeKind::StatusRemoved {
                    status: status(r.status),
                    success: is_success(r.status),
                }],
                (Some(r), Some(s)) => self.response_changes(r, s),
                (None, None) => Vec::new(),
            };
            let Some(shown) = s.or(r) else { continue };
            for kind in kinds {
                let subject = match &kind {
                    ChangeKind::RenamedInRust { .. } => format!("{}::Response ({})", n.name, status(shown.status)),
                    _ => variant(shown),
                };
                self.push(group, subject, kind, Role::Answer);
            }
        }
        let (old_ok, new_ok) = (into_result_ok(self.m.old, o), into_result_ok(self.m.new, n));
        if (old_ok == "Response") != (new_ok == "Response") {
            let kind = ChangeKind::IntoResultChanged {
                old: old_ok,
                new: new_ok,
            };
            self.push(group, format!("{}::Response::into_result", n.name), kind, Role::None);
        }
    }

    fn response_changes(&self, r: &model::Response, s: &model::Response) -> Vec<ChangeKind> {
        let mut kinds = Vec::new();
        if r.variant != s.variant {
            kinds.push(ChangeKind::RenamedInRust {
                old: r.variant.clone(),
                new: s.variant.clone(),
            });
        }
        match (&r.ty, &s.ty) {
            (None, Some(ty)) => kinds.push(ChangeKind::ResponseBodyAdded {
                ty: self.m.new.type_name(ty),
            }),
            (Some(ty), None) => kinds.push(ChangeKind::ResponseBodyRemoved {
                ty: self.m.old.type_name(ty),
            }),
            (Some(a), Some(b)) => {
                if let Some(relation) = self.m.relation(a, b) {
                    kinds.push(ChangeKind::TypeChanged {
                        old: self.m.old.type_name(a),
                        new: self.m.new.type_name(b),
                        relation,
                    });
                }
            }
            (None, None) => {}
        }
        kinds
    }
}

/// Whether an operation documents a 401 with a body (what asks for the stages of interactive
/// authentication).
fn has_401(op: &Operation) -> bool {
    op.responses
        .iter()
        .any(|r| r.status == Status::Code(401) && r.ty.is_some())
}

/// What `into_result` returns as `Ok`: the body of the one success status, else the whole
/// answer (as `emit/endpoint.rs` decides).
fn into_result_ok(api: &Api, op: &Operation) -> String {
    let successes: Vec<&model::Response> = op
        .responses
        .iter()
        .filter(|r| matches!(r.status, Status::Code(200..=299)))
        .collect();
    match successes.as_slice() {
        [only] => only.ty.as_ref().map_or_else(|| "()".to_owned(), |ty| api.type_name(ty)),
        _ => "Response".to_owned(),
    }
}

/// Every value a base path takes with a model's variables, and the one its clients use unless
/// told otherwise.
fn prefixes(base_path: &str, variables: &[model::Variable]) -> (BTreeSet<String>, String) {
    let mut all = vec![base_path.to_owned()];
    let mut default = base_path.to_owned();
    for variable in variables {
        let placeholder = format!("{{{}}}", variable.name);
        if let Some(value) = variable.default.as_ref().or(variable.values.last()) {
            default = default.replace(&placeholder, value);
        }
        if variable.values.is_empty() {
            continue;
        }
        all = all
            .iter()
            .flat_map(|p| {
                variable
                    .values
                    .iter()
                    .map(|v| p.replace(&placeholder, v))
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    (all.into_iter().collect(), default)
}

fn param_member(p: &model::Param) -> Member<'_> {
    Member {
        // A path parameter's name is not on the wire: only its place in the path is.
        wire: if p.location == ParamLocation::Path { "" } else { &p.wire },
        ident: &p.ident,
        ty: &p.ty,
        presence: &p.presence,
        boxed: false,
        nullable: false,
    }
}

fn param_subject(op: &str, p: &model::Param) -> String {
    let place = place(p.location);
    if p.wire == p.ident || p.location == ParamLocation::Path {
        format!("{op}::Request.{} ({place})", p.ident)
    } else {
        format!("{op}::Request.{} ({place} {:?})", p.ident, p.wire)
    }
}

fn place(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
    }
}

fn status(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(class) => format!("{class}XX"),
        Status::Default => "default".to_owned(),
    }
}

fn token(auth: Auth) -> Token {
    match auth {
        Auth::None => Token::None,
        Auth::Optional => Token::Optional,
        Auth::Required => Token::Required,
    }
}

/// A model presence as the report shows it.
pub(super) fn presence(presence: &model::Presence) -> Presence {
    match presence {
        model::Presence::Required => Presence::Required,
        model::Presence::Optional => Presence::Optional,
        model::Presence::Default(_) => Presence::Default,
    }
}
