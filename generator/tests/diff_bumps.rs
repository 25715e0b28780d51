//! The change report on the real spec bumps (r0.2.0 -> r0.3.0 -> r0.4.0 -> r0.6.1 -> v1.7) and
//! from the seed to v1.7: the changes the Matrix spec made are found, placed and graded.
//!
//! Each side is built with its own config, as `cargo xtask diff` does: the seed with
//! `spec/codegen.toml` (which gives its operations the names later versions use), each bump
//! with the `codegen.toml` of its folder.

mod common;

use generator::diff::{self, Change, ChangeKind, Presence, Relation, Report, Rust, Token, Wire};
use generator::model::Api;

fn build(options: &generator::Options) -> Api {
    generator::build_model(options).unwrap_or_else(|e| panic!("{:?}: {e}", options.specs))
}

fn bump(version: &str) -> Api {
    let name = format!("bump-{version}");
    let fixture = common::fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    build(&fixture.options)
}

fn seed() -> Api {
    build(&common::seed())
}

/// The one change of this kind to this subject, with its grades.
fn change<'a>(report: &'a Report, subject: &str, kind: &ChangeKind) -> &'a Change {
    let found: Vec<&Change> = report.about(subject).into_iter().filter(|c| &c.kind == kind).collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!("expected one {kind:?} of {subject}, found {}:\n{report}", found.len()),
    }
}

fn graded(report: &Report, subject: &str, kind: ChangeKind) -> (Rust, Wire) {
    let change = change(report, subject, &kind);
    (change.rust, change.wire)
}

const OPTIONAL: ChangeKind = ChangeKind::FieldAdded {
    presence: Presence::Optional,
};

#[test]
fn seed_to_v1_7_finds_the_changes_of_the_register_body() {
    let report = diff::compare(&seed(), &bump("v1.7"));
    let removed = ChangeKind::FieldRemoved {
        presence: Presence::Optional,
    };
    let bind_email = change(&report, "register::RequestBody.bind_email", &removed);
    assert_eq!(
        bind_email.to_string(),
        "register::RequestBody.bind_email removed: breaking for Rust callers, compatible on the wire"
    );
    for field in [
        "device_id",
        "initial_device_display_name",
        "inhibit_login",
        "refresh_token",
    ] {
        let subject = format!("register::RequestBody.{field}");
        assert_eq!(
            graded(&report, &subject, OPTIONAL),
            (Rust::Compatible, Wire::Compatible)
        );
    }
    let required = ChangeKind::PresenceChanged {
        old: Presence::Optional,
        new: Presence::Required,
    };
    // New clients read `user_id` as required; an old server may leave it out.
    assert_eq!(
        graded(&report, "register::ResponseBody.user_id", required),
        (Rust::Breaking, Wire::BreaksOldServers)
    );
}

#[test]
fn seed_to_v1_7_finds_the_new_operations_and_loses_none() {
    let report = diff::compare(&seed(), &bump("v1.7"));
    for op in [
        "check_username_availability",
        "deactivate_account",
        "request_token_to_register_msisdn",
        "request_token_to_reset_password_email",
        "request_token_to_reset_password_msisdn",
    ] {
        assert_eq!(
            graded(&report, op, ChangeKind::OperationAdded),
            (Rust::Compatible, Wire::Compatible)
        );
    }
    // The seed's config gives its operations the names v1.7 gives them.
    let lost = report.changes.iter().find(|c| {
        matches!(
            c.kind,
            ChangeKind::OperationRemoved | ChangeKind::OperationRenamed { .. }
        )
    });
    assert_eq!(lost, None, "{report}");
}

#[test]
fn seed_to_v1_7_grades_the_token_and_the_base_path_and_agrees_on_send_attempt() {
    let report = diff::compare(&seed(), &bump("v1.7"));
    let token = ChangeKind::AccessTokenChanged {
        old: Token::Optional,
        new: Token::Required,
    };
    assert_eq!(
        graded(&report, "change_password", token),
        (Rust::Breaking, Wire::BreaksOldClients)
    );
    assert_eq!(
        graded(&report, "base path /_matrix/client/r0", ChangeKind::PathPrefixRemoved),
        (Rust::Compatible, Wire::BreaksOldClients)
    );
    // The inline body of the seed became the shared `RequestEmailValidation`.
    let moved = ChangeKind::TypeRenamed {
        new: "types::RequestEmailValidation".into(),
    };
    assert_eq!(
        graded(&report, "request_token_to_register_email::RequestBody", moved),
        (Rust::Breaking, Wire::Compatible)
    );
    // The seed's config patches `send_attempt` to the integer v1.7 says, so the type that
    // moved with the body is not reported as changed; r0.3.0 -> r0.4.0 shows the same
    // number -> integer change unpatched, graded narrower.
    assert_eq!(
        report.about("types::RequestEmailValidation.send_attempt"),
        Vec::<&Change>::new()
    );
    assert!(report.is_breaking());
}

#[test]
fn r0_2_0_to_r0_3_0_renames_operations_without_moving_them() {
    let report = diff::compare(&bump("r0.2.0"), &bump("r0.3.0"));
    let renamed = ChangeKind::OperationRenamed {
        new: "change_password".into(),
    };
    assert_eq!(
        graded(&report, "account_password", renamed),
        (Rust::Breaking, Wire::Compatible)
    );
    assert!(
        !report.changes.iter().any(|c| c.kind == ChangeKind::OperationRemoved),
        "{report}"
    );
    let optional = ChangeKind::PresenceChanged {
        old: Presence::Required,
        new: Presence::Optional,
    };
    // New clients may leave the password out; an old server requires it.
    assert_eq!(
        graded(&report, "register::RequestBody.password", optional),
        (Rust::Breaking, Wire::BreaksOldServers)
    );
}

#[test]
fn r0_3_0_to_r0_4_0_types_send_attempt_and_rate_limits() {
    let report = diff::compare(&bump("r0.3.0"), &bump("r0.4.0"));
    let narrowed = ChangeKind::TypeChanged {
        old: "f64".into(),
        new: "i64".into(),
        relation: Relation::Narrower,
    };
    assert_eq!(
        graded(
            &report,
            "request_token_to_register_email::RequestBody.send_attempt",
            narrowed
        ),
        (Rust::Breaking, Wire::BreaksOldClients)
    );
    // `RateLimited` is the error object plus an optional `retry_after_ms`: another Rust type,
    // the same values on the wire.
    let rate_limited = ChangeKind::TypeChanged {
        old: "types::Error".into(),
        new: "types::RateLimited".into(),
        relation: Relation::Same,
    };
    assert_eq!(
        graded(&report, "register::Response::TooManyRequests", rate_limited),
        (Rust::Breaking, Wire::Compatible)
    );
    assert_eq!(
        graded(&report, "check_username_availability", ChangeKind::OperationAdded),
        (Rust::Compatible, Wire::Compatible)
    );
}

#[test]
fn r0_4_0_to_r0_6_1_drops_bind_email_and_types_the_deactivation_answer() {
    let report = diff::compare(&bump("r0.4.0"), &bump("r0.6.1"));
    let removed = ChangeKind::FieldRemoved {
        presence: Presence::Optional,
    };
    assert_eq!(
        graded(&report, "register::RequestBody.bind_email", removed),
        (Rust::Breaking, Wire::Compatible)
    );
    let typed = ChangeKind::TypeChanged {
        old: "JsonObject".into(),
        new: "deactivate_account::ResponseBody".into(),
        relation: Relation::Narrower,
    };
    assert_eq!(
        graded(&report, "deactivate_account::Response::Ok", typed),
        (Rust::Breaking, Wire::BreaksOldServers)
    );
}

#[test]
fn r0_6_1_to_v1_7_moves_to_v3_and_requires_bodies() {
    let report = diff::compare(&bump("r0.6.1"), &bump("v1.7"));
    assert_eq!(
        graded(&report, "base path /_matrix/client/r0", ChangeKind::PathPrefixRemoved),
        (Rust::Compatible, Wire::BreaksOldClients)
    );
    let default = ChangeKind::DefaultPathPrefixChanged {
        old: "/_matrix/client/r0".into(),
        new: "/_matrix/client/v3".into(),
        served_before: false,
    };
    assert_eq!(
        graded(&report, "default base path", default),
        (Rust::Compatible, Wire::BreaksOldServers)
    );
    let required = ChangeKind::PresenceChanged {
        old: Presence::Optional,
        new: Presence::Required,
    };
    assert_eq!(
        graded(&report, "register::Request.body", required),
        (Rust::Breaking, Wire::BreaksOldClients)
    );
    // The 401 asking for stages was documented before: only the generated client changed.
    assert_eq!(
        graded(&report, "register", ChangeKind::InteractiveAuthAdded { had_401: true }),
        (Rust::Compatible, Wire::Compatible)
    );
}

#[test]
fn v1_10_to_v1_12_makes_access_tokens_optional() {
    let report = diff::compare(&bump("v1.10"), &bump("v1.12"));
    let token = ChangeKind::AccessTokenChanged {
        old: Token::Required,
        new: Token::Optional,
    };
    // A new client may send none; an old server wants one. `Server` methods change shape.
    assert_eq!(
        graded(&report, "change_password", token),
        (Rust::Breaking, Wire::BreaksOldServers)
    );
}

#[test]
fn every_fixture_against_itself_is_no_api_change() {
    // The seed, every bump (OpenAPI 3.1 and two entry files included) and every hand-written
    // spec (unions, nullable fields, several entry files under different base paths).
    for fixture in common::fixtures() {
        let api = build(&fixture.options);
        let report = diff::compare(&api, &api);
        assert!(
            report.is_empty(),
            "{}:
{report}",
            fixture.name
        );
    }
    let report = diff::compare(&seed(), &seed());
    assert_eq!(report.to_string(), "no API change\n");
}

#[test]
fn every_bump_changes_something_the_report_calls_breaking() {
    for pair in common::BUMPS.windows(2) {
        let report = diff::compare(&bump(pair[0]), &bump(pair[1]));
        // At least the package name: each bump's config names its own.
        assert!(report.is_breaking(), "{} -> {}:\n{report}", pair[0], pair[1]);
        let renamed = ChangeKind::PackageRenamed {
            new: format!("matrix-registration-{}", pair[1].replace('.', "-")),
        };
        assert!(report.changes.iter().any(|c| c.kind == renamed), "{report}");
    }
}
