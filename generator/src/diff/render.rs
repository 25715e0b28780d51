//! The report as text for people: one block per group (the API, each operation with its own
//! types, each shared type), breaking changes first in each, one line per change with its
//! two grades.

use std::fmt::{self, Write};

use super::{Change, ChangeKind, Group, Presence, Report, Rust, Token, Wire};

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return f.write_str("no API change\n");
        }
        let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        writeln!(
            f,
            "{}: {} breaking for Rust callers, {} breaking on the wire",
            count(self.changes.len(), "change"),
            self.breaking_rust(),
            self.breaking_wire()
        )?;
        let mut current: Option<&Group> = None;
        for change in &self.changes {
            if current != Some(&change.group) {
                writeln!(f, "\n{}", change.group)?;
                current = Some(&change.group);
            }
            writeln!(f, "  {change}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}, {}", self.text, self.rust, self.wire)
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Group::Api => f.write_str("API"),
            Group::Operation { name, method, path } => write!(f, "operation {name} ({method} {path})"),
            Group::Type { path, used_by } if used_by.is_empty() => write!(f, "type {path} (used by no operation)"),
            Group::Type { path, used_by } => write!(f, "type {path} (used by {})", used_by.join(", ")),
        }
    }
}

impl fmt::Display for Rust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rust::Compatible => "compatible for Rust callers",
            Rust::Breaking => "breaking for Rust callers",
        })
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wire::Compatible => "compatible on the wire",
            Wire::BreaksOldClients => "breaking on the wire for old clients",
            Wire::BreaksOldServers => "breaking on the wire for old servers",
            Wire::BreaksBoth => "breaking on the wire for old clients and old servers",
        })
    }
}

impl fmt::Display for Presence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Presence::Required => "required",
            Presence::Optional => "optional",
            Presence::Default => "optional with a default",
        })
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Token::None => "none",
            Token::Optional => "optional",
            Token::Required => "required",
        })
    }
}

/// What happened to a subject, as the words after it (`removed`, `made required (was optional)`).
pub(super) fn what(kind: &ChangeKind) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_what(&mut out, kind);
    out
}

fn write_what(out: &mut String, kind: &ChangeKind) -> fmt::Result {
    use ChangeKind as K;
    match kind {
        K::PackageRenamed { new } | K::OperationRenamed { new } | K::TypeRenamed { new } => {
            write!(out, "renamed to {new}")
        }
        K::PathPrefixAdded => write!(out, "now served"),
        K::PathPrefixRemoved => write!(out, "no longer served"),
        K::DefaultPathPrefixChanged { old, new, .. } => write!(out, "changed from {old} to {new}"),
        K::ErrorTypeChanged { old, new, .. } | K::TypeChanged { old, new, .. } => {
            write!(out, "type changed from {old} to {new}")
        }
        K::ServerIdentityAdded => write!(out, "now requires `Identity` and `authenticate`"),
        K::ServerIdentityRemoved => write!(out, "no longer has `Identity` and `authenticate`"),
        K::OperationAdded | K::TypeAdded | K::ExtraAdded => write!(out, "added"),
        K::OperationRemoved | K::TypeRemoved | K::ExtraRemoved => write!(out, "removed"),
        K::MethodChanged { old, new } => write!(out, "method changed from {old} to {new}"),
        K::PathChanged { old, new } => write!(out, "path changed from {old} to {new}"),
        K::AccessTokenChanged { old, new } => write!(out, "access token changed from {old} to {new}"),
        K::InteractiveAuthAdded { .. } => write!(out, "now uses interactive authentication"),
        K::InteractiveAuthRemoved { .. } => write!(out, "no longer uses interactive authentication"),
        K::DeprecatedChanged { deprecated: true } => write!(out, "deprecated"),
        K::DeprecatedChanged { deprecated: false } => write!(out, "no longer deprecated"),
        K::StatusAdded { status, .. } => write!(out, "added (status {status})"),
        K::StatusRemoved { status, .. } => write!(out, "removed (status {status})"),
        K::ResponseBodyAdded { ty } => write!(out, "now has a body ({ty})"),
        K::ResponseBodyRemoved { ty } => write!(out, "no longer has a body (was {ty})"),
        K::IntoResultChanged { old, new } => write!(out, "returns Result<{new}, _> (was Result<{old}, _>)"),
        K::KindChanged { old, new } => write!(out, "changed from {} to {}", article(old), article(new)),
        K::FieldAdded { presence } => write!(out, "added ({presence})"),
        K::FieldRemoved { .. } => write!(out, "removed"),
        K::RenamedOnWire { old, new } => write!(out, "renamed on the wire from {old:?} to {new:?}"),
        K::RenamedInRust { old, new } => write!(out, "renamed in Rust from {old} to {new}"),
        K::Moved { old, new } => write!(out, "moved from the {old} to the {new}"),
        K::PresenceChanged { old, new } => match new {
            Presence::Required => write!(out, "made required (was {old})"),
            _ => write!(out, "made {new} (was {old})"),
        },
        K::DefaultChanged { old, new, .. } => write!(out, "default changed from {old} to {new}"),
        K::NullableChanged { nullable: true, .. } => write!(out, "now takes null"),
        K::NullableChanged { nullable: false, .. } => write!(out, "no longer takes null"),
        K::CaseAdded { case } => write!(out, "case {case} added"),
        K::CaseRemoved { case } => write!(out, "case {case} removed"),
        K::BoxedChanged { boxed: true } => write!(out, "now boxed"),
        K::BoxedChanged { boxed: false } => write!(out, "no longer boxed"),
        K::ExplodeChanged { explode: true } => write!(out, "now sent as one pair per item"),
        K::ExplodeChanged { explode: false } => write!(out, "now sent comma-joined"),
        K::ValueAdded { value } => write!(out, "value {value} added"),
        K::ValueRemoved { value } => write!(out, "value {value} removed"),
        K::EnumDefaultChanged { old, new } => write!(out, "default changed from {old} to {new}"),
    }
}

/// `a struct`, `an enum`, `a union`.
fn article(kind: &str) -> String {
    let an = kind.starts_with(['a', 'e', 'i', 'o']);
    format!("{} {kind}", if an { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::super::{Role, Side};
    use super::*;

    fn side() -> Side {
        Side {
            title: "t".into(),
            version: "1".into(),
            source: "api.yaml".into(),
            package: "p".into(),
        }
    }

    #[test]
    fn nothing_changed_says_so() {
        let report = Report {
            old: side(),
            new: side(),
            changes: Vec::new(),
        };
        assert_eq!(report.to_string(), "no API change\n");
    }

    #[test]
    fn a_change_reads_subject_what_and_both_grades_under_its_operation() {
        let group = Group::Operation {
            name: "register".into(),
            method: "POST".into(),
            path: "/register".into(),
        };
        let change = Change {
            group,
            subject: "register::RequestBody.bind_email".into(),
            kind: ChangeKind::FieldRemoved {
                presence: Presence::Optional,
            },
            role: Role::Request,
            rust: Rust::Breaking,
            wire: Wire::Compatible,
            text: "register::RequestBody.bind_email removed".into(),
        };
        let report = Report {
            old: side(),
            new: side(),
            changes: vec![change],
        };
        assert_eq!(
            report.to_string(),
            "1 change: 1 breaking for Rust callers, 0 breaking on the wire\n\n\
             operation register (POST /register)\n  \
             register::RequestBody.bind_email removed: breaking for Rust callers, compatible on the wire\n"
        );
    }
}
