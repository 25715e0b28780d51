//! API change reports for spec bumps: what changed between two models of the API, and whether
//! each change breaks Rust callers of the generated crate or the wire.
//!
//! [`compare`] walks two [`Api`](crate::model::Api)s (never the spec), operation by operation
//! and type by type, and grades every change twice with the table of
//! `generator/src/diff/grade.rs`. The report prints for people ([`Report`]'s `Display`) and
//! serializes for CI (serde).

mod compare;
mod grade;
mod pairing;
mod render;
mod types;

use serde::Serialize;

pub use compare::compare;

/// Every change between two models of the API, each graded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The API before.
    pub old: Side,
    /// The API after.
    pub new: Side,
    /// The changes, in the order of [`Group`]s, breaking ones first within a group.
    pub changes: Vec<Change>,
}

/// Which API one side of a comparison is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// The entry file, relative to its spec root.
    pub source: String,
    /// The generated crate's package name.
    pub package: String,
}

/// One change, graded for Rust callers and on the wire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// What the change belongs to: the API, an operation (with its own types) or a shared type.
    pub group: Group,
    /// What changed, in model terms: `register`, `register::RequestBody.bind_email`,
    /// `register::Request.kind (query)`, `register::Response::Forbidden`, `types::AuthData`.
    pub subject: String,
    /// What happened to it.
    #[serde(flatten)]
    pub kind: ChangeKind,
    /// Where the subject travels: in requests, in answers, both, or not at all.
    pub role: Role,
    /// The grade for code compiled against the old crate.
    pub rust: Rust,
    /// The grade for old clients and servers talking to new ones.
    pub wire: Wire,
    /// The subject and what happened, as one line of text (without the grades).
    pub text: String,
}

/// What a change belongs to, for grouping the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Group {
    /// The whole API: package, base path, the error type, the `Server` trait.
    Api,
    /// An operation and the types of its own module.
    Operation {
        /// The operation's name (the new one, for a renamed operation).
        name: String,
        /// Its method.
        method: String,
        /// Its path.
        path: String,
    },
    /// A type of the shared `types` module.
    Type {
        /// `types::Name`.
        path: String,
        /// The operations that use it (on the new side, or the old one if it was removed).
        used_by: Vec<String>,
    },
}

/// What happened. Each kind's grades are given by the table of `generator/src/diff/grade.rs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// The generated crate's package has another name.
    PackageRenamed {
        /// The new name.
        new: String,
    },
    /// A base path the server serves (a value of a base path variable) is new.
    PathPrefixAdded,
    /// A base path is no longer served.
    PathPrefixRemoved,
    /// Clients use another base path unless told otherwise.
    DefaultPathPrefixChanged {
        /// The old default.
        old: String,
        /// The new default.
        new: String,
        /// Whether the old API served the new default.
        served_before: bool,
    },
    /// Matrix errors (`Response::Error`) are another type.
    ErrorTypeChanged {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
        /// How the values on the wire compare.
        relation: Relation,
    },
    /// The `Server` trait gained `Identity` and `authenticate` (the first operation with an
    /// access token).
    ServerIdentityAdded,
    /// The `Server` trait lost `Identity` and `authenticate`.
    ServerIdentityRemoved,
    /// A new operation.
    OperationAdded,
    /// An operation is gone.
    OperationRemoved,
    /// An operation (same method and path) has another name, so another module.
    OperationRenamed {
        /// The new name.
        new: String,
    },
    /// An operation's method changed.
    MethodChanged {
        /// The old method.
        old: String,
        /// The new method.
        new: String,
    },
    /// An operation's path changed (not only the names of its parameters).
    PathChanged {
        /// The old path.
        old: String,
        /// The new path.
        new: String,
    },
    /// Whether an operation sends an access token changed.
    AccessTokenChanged {
        /// Before.
        old: Token,
        /// After.
        new: Token,
    },
    /// An operation now uses User-Interactive Authentication.
    InteractiveAuthAdded {
        /// Whether the old operation already documented the 401 that asks for stages (the
        /// generator also needs a required body with `auth` to drive it).
        had_401: bool,
    },
    /// An operation no longer uses User-Interactive Authentication.
    InteractiveAuthRemoved {
        /// Whether the new operation still documents a 401 with a body.
        keeps_401: bool,
    },
    /// An operation is now deprecated, or no longer.
    DeprecatedChanged {
        /// Whether it is deprecated now.
        deprecated: bool,
    },
    /// A documented status is new.
    StatusAdded {
        /// `200`, `4XX`, `default`.
        status: String,
        /// A 2xx status.
        success: bool,
    },
    /// A documented status is gone.
    StatusRemoved {
        /// `200`, `4XX`, `default`.
        status: String,
        /// A 2xx status.
        success: bool,
    },
    /// A status documented without a body now has one.
    ResponseBodyAdded {
        /// The body's type.
        ty: String,
    },
    /// A status documented with a body no longer has one.
    ResponseBodyRemoved {
        /// The old body's type.
        ty: String,
    },
    /// `Response::into_result` returns another type (the number of success statuses went from
    /// one to several, or back).
    IntoResultChanged {
        /// The old `Ok` type.
        old: String,
        /// The new `Ok` type.
        new: String,
    },
    /// A new type.
    TypeAdded,
    /// A type is gone.
    TypeRemoved,
    /// A type is the same on the wire but has another Rust path.
    TypeRenamed {
        /// The new path.
        new: String,
    },
    /// A struct, enum or union became another of them.
    KindChanged {
        /// `struct`, `enum` or `union`.
        old: String,
        /// `struct`, `enum` or `union`.
        new: String,
    },
    /// A new field (also: a request's parameter or body).
    FieldAdded {
        /// Whether it must be present.
        presence: Presence,
    },
    /// A field is gone.
    FieldRemoved {
        /// Whether it had to be present.
        presence: Presence,
    },
    /// A field's wire name changed; its Rust name did not.
    RenamedOnWire {
        /// The old wire name.
        old: String,
        /// The new wire name.
        new: String,
    },
    /// A Rust name changed (a field, an enum variant, a response variant); its wire name did not.
    RenamedInRust {
        /// The old Rust name.
        old: String,
        /// The new Rust name.
        new: String,
    },
    /// A parameter travels elsewhere (query, header, path).
    Moved {
        /// Where it travelled.
        old: String,
        /// Where it travels.
        new: String,
    },
    /// A field became required, optional or defaulted.
    PresenceChanged {
        /// Before.
        old: Presence,
        /// After.
        new: Presence,
    },
    /// A field's type (or format: `i32`, `i64`, `f64`) changed.
    TypeChanged {
        /// The old type.
        old: String,
        /// The new type.
        new: String,
        /// How the values on the wire compare.
        relation: Relation,
    },
    /// A field's default changed.
    DefaultChanged {
        /// The old default.
        old: String,
        /// The new default.
        new: String,
        /// Whether a value equal to the default is left out when sent (fields and query
        /// parameters; headers are always sent).
        left_out: bool,
    },
    /// A field now takes `null` as a value apart from absence, or no longer.
    NullableChanged {
        /// Whether it takes `null` now.
        nullable: bool,
        /// Whether it is required where it does not take `null`: an optional field is an
        /// `Option`, which reads `null` as absent, so only a required one refuses it.
        required: bool,
    },
    /// A field is now held in a `Box`, or no longer.
    BoxedChanged {
        /// Whether it is boxed now.
        boxed: bool,
    },
    /// An array parameter is now sent one pair per item, or comma-joined.
    ExplodeChanged {
        /// Whether it is one pair per item now.
        explode: bool,
    },
    /// A struct now keeps keys beyond its fields.
    ExtraAdded,
    /// A struct no longer keeps keys beyond its fields.
    ExtraRemoved,
    /// An enum has a new value.
    ValueAdded {
        /// The value on the wire.
        value: String,
    },
    /// An enum lost a value.
    ValueRemoved {
        /// The value on the wire.
        value: String,
    },
    /// A union (an untagged enum of types) has a new case.
    CaseAdded {
        /// The case's Rust name.
        case: String,
    },
    /// A union lost a case.
    CaseRemoved {
        /// The case's Rust name.
        case: String,
    },
    /// An enum's default value changed (`none` where it has none).
    EnumDefaultChanged {
        /// The old default.
        old: String,
        /// The new default.
        new: String,
    },
}

/// Whether an access token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Token {
    /// No token.
    None,
    /// A token if the client has one.
    Optional,
    /// A token is required.
    Required,
}

/// Whether a field must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Always present.
    Required,
    /// May be absent (`Option`).
    Optional,
    /// May be absent, meaning its default.
    Default,
}

/// How the values a new type accepts on the wire compare with the old type's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The same values (only the Rust type differs).
    Same,
    /// Every old value and more (`i32` -> `i64`, `i64` -> `f64`, an enum -> `String`).
    Wider,
    /// Fewer values (`f64` -> `i64`, `String` -> an enum).
    Narrower,
    /// Other values.
    Different,
}

/// Where a subject travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Not on the wire (a type no operation uses).
    None,
    /// Sent by clients.
    Request,
    /// Sent by servers.
    Answer,
    /// Both.
    Both,
}

/// The grade for Rust callers: would code that compiled against the old crate (calling it,
/// or implementing its `Server` trait) still compile against the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rust {
    /// It still compiles.
    Compatible,
    /// It may not.
    Breaking,
}

/// The grade on the wire: would an old client still be understood by a new server, and an old
/// server by a new client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wire {
    /// Both still are.
    Compatible,
    /// An old client talking to a new server may not be.
    BreaksOldClients,
    /// A new client talking to an old server may not be.
    BreaksOldServers,
    /// Neither may be.
    BreaksBoth,
}

impl Role {
    /// Whether the subject travels in requests.
    pub fn in_requests(self) -> bool {
        matches!(self, Role::Request | Role::Both)
    }

    /// Whether the subject travels in answers.
    pub fn in_answers(self) -> bool {
        matches!(self, Role::Answer | Role::Both)
    }

    /// Travelling wherever either does.
    pub fn union(self, other: Role) -> Role {
        Role::of(
            self.in_requests() || other.in_requests(),
            self.in_answers() || other.in_answers(),
        )
    }

    fn of(request: bool, answer: bool) -> Role {
        match (request, answer) {
            (false, false) => Role::None,
            (true, false) => Role::Request,
            (false, true) => Role::Answer,
            (true, true) => Role::Both,
        }
    }
}

impl Wire {
    /// Whether an old client talking to a new server may break.
    pub fn breaks_old_clients(self) -> bool {
        matches!(self, Wire::BreaksOldClients | Wire::BreaksBoth)
    }

    /// Whether a new client talking to an old server may break.
    pub fn breaks_old_servers(self) -> bool {
        matches!(self, Wire::BreaksOldServers | Wire::BreaksBoth)
    }

    /// Breaking wherever either is.
    pub fn union(self, other: Wire) -> Wire {
        Wire::of(
            self.breaks_old_clients() || other.breaks_old_clients(),
            self.breaks_old_servers() || other.breaks_old_servers(),
        )
    }

    fn of(old_clients: bool, old_servers: bool) -> Wire {
        match (old_clients, old_servers) {
            (false, false) => Wire::Compatible,
            (true, false) => Wire::BreaksOldClients,
            (false, true) => Wire::BreaksOldServers,
            (true, true) => Wire::BreaksBoth,
        }
    }
}

impl Change {
    /// Whether the change breaks Rust callers or the wire.
    pub fn is_breaking(&self) -> bool {
        self.rust == Rust::Breaking || self.wire != Wire::Compatible
    }
}

impl Report {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether any change breaks Rust callers or the wire.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::is_breaking)
    }

    /// How many changes break Rust callers.
    pub fn breaking_rust(&self) -> usize {
        self.changes.iter().filter(|c| c.rust == Rust::Breaking).count()
    }

    /// How many changes break the wire (either way).
    pub fn breaking_wire(&self) -> usize {
        self.changes.iter().filter(|c| c.wire != Wire::Compatible).count()
    }

    /// The changes of one subject (as [`Change::subject`] names it), for tests and tools.
    pub fn about(&self, subject: &str) -> Vec<&Change> {
        self.changes.iter().filter(|c| c.subject == subject).collect()
    }
}
