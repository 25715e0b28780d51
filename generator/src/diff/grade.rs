//! The grading rules: for each kind of change, whether it breaks Rust callers and the wire.
//!
//! What the generated crate is decides the Rust column (see `emit/types.rs` and
//! `emit/endpoint.rs`): structs, enums, `Request` and `Response` are `#[non_exhaustive]`, so new
//! fields and variants compile; `new` takes exactly the required fields (and `Request::new` the
//! required parameters and a required body), so a new required field changes its arguments;
//! an optional field is an `Option<T>`, a defaulted one a `T`; every operation is a module, a
//! `Server` method (with a default, and an `identity` argument shaped by its access token) and
//! a client method (plus `_interactive` with User-Interactive Authentication).
//!
//! The wire column says who may no longer be understood: *old clients* (an old client talking
//! to a new server) or *old servers* (a new client talking to an old server). Changes to what
//! travels are first judged by *sender* and *receiver*, then mapped by where the subject
//! travels ([`Role`]): in a request the sender is the client, in an answer the server. Receivers
//! ignore keys they do not know, refuse missing required fields and unknown enum values, and
//! senders leave out a value equal to its default.
//!
//! | change | Rust callers | wire |
//! |---|---|---|
//! | package renamed | breaking (the dependency's name) | compatible |
//! | base path added / removed | compatible | removed: old clients using it |
//! | default base path changed | compatible | old servers, unless they served it |
//! | error type changed | breaking | as a type change, in answers |
//! | `Server` gains / loses `Identity` + `authenticate` | breaking | compatible |
//! | operation added | compatible (`Server` methods have defaults) | compatible (an old server answers 404 `M_UNRECOGNIZED`, as any server predating it) |
//! | operation removed | breaking | old clients |
//! | operation renamed (same method and path) | breaking (module and methods) | compatible |
//! | method or path changed | compatible (same items) | both |
//! | access token changed | breaking (`Server` method's `identity`) | to required: old clients; from required: old servers; none <-> optional: compatible |
//! | interactive auth added | compatible (`_interactive` added) | old clients, unless the 401 asking for stages was documented |
//! | interactive auth removed | breaking (`_interactive` gone) | old servers, unless the 401 is still documented |
//! | deprecated or not | compatible | compatible |
//! | status added | compatible (`Response` is non-exhaustive) | a 2xx: old clients (they take it as unexpected) |
//! | status removed | breaking | a 2xx: old servers |
//! | response body added / removed | breaking (the variant's shape) | added: old servers; removed: old clients |
//! | `into_result` type changed | breaking | compatible |
//! | type added | compatible | compatible |
//! | type removed | breaking | compatible (its uses are graded where they changed) |
//! | type renamed | breaking | compatible |
//! | struct, enum, union: kind changed | breaking | both |
//! | field added, required | breaking (`new` takes it) | old senders |
//! | field added, optional or defaulted | compatible | compatible |
//! | field removed | breaking | required before: old receivers |
//! | renamed on the wire | compatible | both (the value is no longer understood) |
//! | renamed in Rust | breaking | compatible |
//! | parameter moved (query, header, path) | compatible | both |
//! | made required | breaking (`Option<T>` -> `T`, `new` takes it) | old senders |
//! | made optional or defaulted, was required | breaking | old receivers |
//! | optional <-> defaulted | breaking (`Option<T>` <-> `T`) | compatible |
//! | type changed | breaking | wider: old receivers; narrower: old senders; other: both; same values: compatible |
//! | default changed | compatible | both, where a default is left out when sent |
//! | nullable or not | breaking (one `Option` more or less) | a required field made nullable: old receivers; no longer: old senders (an `Option` reads `null` as absent) |
//! | boxed or not | breaking | compatible |
//! | array parameter exploded or joined | compatible | both |
//! | extra keys kept | compatible | compatible |
//! | extra keys no longer kept | breaking (the `extra` field) | compatible (they are ignored) |
//! | enum value added | compatible (non-exhaustive) | old receivers |
//! | enum value removed | breaking | old senders |
//! | union case added | compatible (non-exhaustive) | old receivers |
//! | union case removed | breaking | old senders |
//! | enum default changed | breaking where it is gone (`Default`), else compatible | compatible |

use super::{ChangeKind, Presence, Relation, Role, Rust, Token, Wire};

/// The two grades of a change to a subject travelling as `role`: the table above, in code.
pub(super) fn grade(kind: &ChangeKind, role: Role) -> (Rust, Wire) {
    use ChangeKind as K;
    use Rust::{Breaking, Compatible};
    match kind {
        K::PackageRenamed { .. } | K::ServerIdentityAdded | K::ServerIdentityRemoved => (Breaking, Wire::Compatible),
        K::OperationRenamed { .. } | K::TypeRenamed { .. } | K::RenamedInRust { .. } => (Breaking, Wire::Compatible),
        K::BoxedChanged { .. } | K::IntoResultChanged { .. } => (Breaking, Wire::Compatible),
        K::TypeRemoved | K::ExtraRemoved => (Breaking, Wire::Compatible),
        K::PathPrefixAdded | K::DeprecatedChanged { .. } => (Compatible, Wire::Compatible),
        K::OperationAdded | K::TypeAdded | K::ExtraAdded => (Compatible, Wire::Compatible),
        K::PathPrefixRemoved => (Compatible, Wire::BreaksOldClients),
        K::DefaultPathPrefixChanged { served_before, .. } => (Compatible, when(!served_before, Wire::BreaksOldServers)),
        K::ErrorTypeChanged { relation, .. } => (Breaking, by_relation(*relation, Role::Answer)),
        K::OperationRemoved => (Breaking, Wire::BreaksOldClients),
        K::MethodChanged { .. } | K::PathChanged { .. } => (Compatible, Wire::BreaksBoth),
        K::AccessTokenChanged { old, new } => (Breaking, access_token(*old, *new)),
        K::InteractiveAuthAdded { had_401 } => (Compatible, when(!had_401, Wire::BreaksOldClients)),
        K::InteractiveAuthRemoved { keeps_401 } => (Breaking, when(!keeps_401, Wire::BreaksOldServers)),
        K::StatusAdded { success, .. } => (Compatible, when(*success, Wire::BreaksOldClients)),
        K::StatusRemoved { success, .. } => (Breaking, when(*success, Wire::BreaksOldServers)),
        K::ResponseBodyAdded { .. } => (Breaking, Wire::BreaksOldServers),
        K::ResponseBodyRemoved { .. } => (Breaking, Wire::BreaksOldClients),
        K::KindChanged { .. } => (Breaking, by_flow(true, true, role)),
        K::FieldAdded { presence } => {
            let required = *presence == Presence::Required;
            (
                if required { Breaking } else { Compatible },
                by_flow(required, false, role),
            )
        }
        K::FieldRemoved { presence } => (Breaking, by_flow(false, *presence == Presence::Required, role)),
        K::RenamedOnWire { .. } | K::Moved { .. } | K::ExplodeChanged { .. } => (Compatible, by_flow(true, true, role)),
        K::PresenceChanged { old, new } => {
            let (made_required, was_required) = (*new == Presence::Required, *old == Presence::Required);
            (Breaking, by_flow(made_required, was_required, role))
        }
        K::TypeChanged { relation, .. } => (Breaking, by_relation(*relation, role)),
        K::DefaultChanged { left_out, .. } => (Compatible, by_flow(*left_out, *left_out, role)),
        K::ValueAdded { .. } | K::CaseAdded { .. } => (Compatible, by_flow(false, true, role)),
        K::ValueRemoved { .. } | K::CaseRemoved { .. } => (Breaking, by_flow(true, false, role)),
        K::NullableChanged { nullable, required } => {
            (Breaking, by_flow(!nullable && *required, *nullable && *required, role))
        }
        // Without a default the enum no longer implements `Default`.
        K::EnumDefaultChanged { new, .. } => (if new == "none" { Breaking } else { Compatible }, Wire::Compatible),
    }
}

/// The wire grade of a change that may break old senders (an old sender's message is not
/// understood by a new receiver) or old receivers (a new sender's message is not understood by
/// an old receiver), for a subject travelling as `role`.
fn by_flow(old_senders: bool, old_receivers: bool, role: Role) -> Wire {
    // In a request the client sends; in an answer the server does.
    let request = Wire::of(role.in_requests() && old_senders, role.in_requests() && old_receivers);
    let answer = Wire::of(role.in_answers() && old_receivers, role.in_answers() && old_senders);
    request.union(answer)
}

fn by_relation(relation: Relation, role: Role) -> Wire {
    match relation {
        Relation::Same => Wire::Compatible,
        // A new receiver takes every old value, an old receiver not every new one.
        Relation::Wider => by_flow(false, true, role),
        Relation::Narrower => by_flow(true, false, role),
        Relation::Different => by_flow(true, true, role),
    }
}

fn access_token(old: Token, new: Token) -> Wire {
    match (old, new) {
        // An old client may send none; a new server wants one.
        (Token::None | Token::Optional, Token::Required) => Wire::BreaksOldClients,
        // A new client may send none; an old server wants one.
        (Token::Required, Token::None | Token::Optional) => Wire::BreaksOldServers,
        _ => Wire::Compatible,
    }
}

fn when(condition: bool, wire: Wire) -> Wire {
    if condition { wire } else { Wire::Compatible }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_required_request_field_breaks_old_clients_and_new() {
        let kind = ChangeKind::FieldAdded {
            presence: Presence::Required,
        };
        assert_eq!(grade(&kind, Role::Request), (Rust::Breaking, Wire::BreaksOldClients));
        assert_eq!(grade(&kind, Role::Answer), (Rust::Breaking, Wire::BreaksOldServers));
        assert_eq!(grade(&kind, Role::Both), (Rust::Breaking, Wire::BreaksBoth));
        assert_eq!(grade(&kind, Role::None), (Rust::Breaking, Wire::Compatible));
    }

    #[test]
    fn a_new_optional_answer_field_breaks_nobody() {
        let kind = ChangeKind::FieldAdded {
            presence: Presence::Optional,
        };
        assert_eq!(grade(&kind, Role::Answer), (Rust::Compatible, Wire::Compatible));
    }

    #[test]
    fn a_removed_optional_field_breaks_only_rust() {
        let kind = ChangeKind::FieldRemoved {
            presence: Presence::Optional,
        };
        assert_eq!(grade(&kind, Role::Both), (Rust::Breaking, Wire::Compatible));
        let required = ChangeKind::FieldRemoved {
            presence: Presence::Required,
        };
        assert_eq!(grade(&required, Role::Answer), (Rust::Breaking, Wire::BreaksOldClients));
    }

    #[test]
    fn narrowing_a_request_breaks_old_clients_and_widening_an_answer_too() {
        let changed = |relation| ChangeKind::TypeChanged {
            old: "f64".into(),
            new: "i64".into(),
            relation,
        };
        assert_eq!(
            grade(&changed(Relation::Narrower), Role::Request).1,
            Wire::BreaksOldClients
        );
        assert_eq!(
            grade(&changed(Relation::Wider), Role::Request).1,
            Wire::BreaksOldServers
        );
        assert_eq!(grade(&changed(Relation::Wider), Role::Answer).1, Wire::BreaksOldClients);
        assert_eq!(
            grade(&changed(Relation::Same), Role::Both),
            (Rust::Breaking, Wire::Compatible)
        );
    }

    #[test]
    fn enum_values_break_receivers_when_added_and_senders_when_removed() {
        let added = ChangeKind::ValueAdded { value: "x".into() };
        let removed = ChangeKind::ValueRemoved { value: "x".into() };
        assert_eq!(grade(&added, Role::Answer), (Rust::Compatible, Wire::BreaksOldClients));
        assert_eq!(grade(&added, Role::Request), (Rust::Compatible, Wire::BreaksOldServers));
        assert_eq!(grade(&removed, Role::Request), (Rust::Breaking, Wire::BreaksOldClients));
    }

    #[test]
    fn access_tokens_break_whoever_may_send_none() {
        let changed = |old, new| grade(&ChangeKind::AccessTokenChanged { old, new }, Role::Request);
        assert_eq!(
            changed(Token::Optional, Token::Required),
            (Rust::Breaking, Wire::BreaksOldClients)
        );
        assert_eq!(
            changed(Token::Required, Token::None),
            (Rust::Breaking, Wire::BreaksOldServers)
        );
        assert_eq!(
            changed(Token::None, Token::Optional),
            (Rust::Breaking, Wire::Compatible)
        );
    }

    #[test]
    fn defaults_matter_on_the_wire_only_where_they_are_left_out() {
        let changed = |left_out| ChangeKind::DefaultChanged {
            old: "1".into(),
            new: "2".into(),
            left_out,
        };
        assert_eq!(
            grade(&changed(true), Role::Request),
            (Rust::Compatible, Wire::BreaksBoth)
        );
        assert_eq!(
            grade(&changed(false), Role::Request),
            (Rust::Compatible, Wire::Compatible)
        );
    }
}
