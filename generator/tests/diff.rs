//! The grades of `diff::compare`, pinned on hand-made spec pairs that each make one kind of
//! change alone (`fixtures/diff/<case>/{old,new}.yaml`, listed in its README).

mod common;

use generator::diff::{self, Change, ChangeKind, Group, Presence, Relation, Report, Role, Rust, Token, Wire};
use generator::model::Api;

fn model(case: &str, side: &str) -> Api {
    let spec = common::workspace_root()
        .join("generator/tests/fixtures/diff")
        .join(case)
        .join(format!("{side}.yaml"));
    generator::build_model(&generator::Options::new(spec)).unwrap_or_else(|e| panic!("{case}/{side}.yaml: {e}"))
}

fn report(case: &str) -> Report {
    diff::compare(&model(case, "old"), &model(case, "new"))
}

/// Checks that a case makes exactly one change, with this subject, kind and grades.
fn one_change(case: &str, subject: &str, kind: ChangeKind, rust: Rust, wire: Wire) -> Change {
    let report = report(case);
    let [change] = report.changes.as_slice() else {
        panic!("{case}: expected one change, got:\n{report}");
    };
    assert_eq!(
        (change.subject.as_str(), &change.kind, change.rust, change.wire),
        (subject, &kind, rust, wire),
        "{case}: {change}"
    );
    change.clone()
}

#[test]
fn a_removed_optional_request_field_breaks_rust_callers_only() {
    let change = one_change(
        "field-removed",
        "register::RequestBody.bind_email",
        ChangeKind::FieldRemoved {
            presence: Presence::Optional,
        },
        Rust::Breaking,
        Wire::Compatible,
    );
    assert_eq!(
        change.to_string(),
        "register::RequestBody.bind_email removed: breaking for Rust callers, compatible on the wire"
    );
    assert_eq!(change.role, Role::Request);
    let Group::Operation { name, method, path } = &change.group else {
        panic!("{:?} is not the operation's group", change.group);
    };
    assert_eq!(
        (name.as_str(), method.as_str(), path.as_str()),
        ("register", "POST", "/register")
    );
}

#[test]
fn a_new_optional_request_field_breaks_nobody() {
    let kind = ChangeKind::FieldAdded {
        presence: Presence::Optional,
    };
    let subject = "register::RequestBody.device_id";
    one_change(
        "request-field-added-optional",
        subject,
        kind,
        Rust::Compatible,
        Wire::Compatible,
    );
}

#[test]
fn a_new_required_request_field_breaks_new_and_old_clients() {
    let kind = ChangeKind::FieldAdded {
        presence: Presence::Required,
    };
    let subject = "register::RequestBody.device_id";
    one_change(
        "request-field-added-required",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_new_optional_answer_field_breaks_nobody() {
    let kind = ChangeKind::FieldAdded {
        presence: Presence::Optional,
    };
    let subject = "register::ResponseBody.expires_in_ms";
    let change = one_change(
        "answer-field-added-optional",
        subject,
        kind,
        Rust::Compatible,
        Wire::Compatible,
    );
    assert_eq!(change.role, Role::Answer);
}

#[test]
fn a_new_required_answer_field_breaks_new_and_old_servers() {
    let kind = ChangeKind::FieldAdded {
        presence: Presence::Required,
    };
    let subject = "register::ResponseBody.home_server";
    one_change(
        "answer-field-added-required",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldServers,
    );
}

#[test]
fn a_request_field_made_required_breaks_old_clients() {
    let kind = ChangeKind::PresenceChanged {
        old: Presence::Optional,
        new: Presence::Required,
    };
    let subject = "register::RequestBody.username";
    one_change(
        "request-field-made-required",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_request_field_made_optional_breaks_old_servers() {
    let kind = ChangeKind::PresenceChanged {
        old: Presence::Required,
        new: Presence::Optional,
    };
    let subject = "request_token_to_reset_password_email::RequestBody.email";
    one_change(
        "request-field-made-optional",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldServers,
    );
}

#[test]
fn an_answer_field_made_optional_breaks_old_clients() {
    let kind = ChangeKind::PresenceChanged {
        old: Presence::Required,
        new: Presence::Optional,
    };
    let subject = "register::ResponseBody.user_id";
    one_change(
        "answer-field-made-optional",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_number_become_integer_in_a_request_breaks_old_clients() {
    let kind = ChangeKind::TypeChanged {
        old: "f64".into(),
        new: "i64".into(),
        relation: Relation::Narrower,
    };
    let subject = "request_token_to_reset_password_email::RequestBody.send_attempt";
    one_change(
        "number-to-integer",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_new_enum_value_in_a_request_breaks_old_servers_only() {
    let kind = ChangeKind::ValueAdded {
        value: "\"admin\"".into(),
    };
    one_change(
        "enum-value-added",
        "register::Kind",
        kind,
        Rust::Compatible,
        Wire::BreaksOldServers,
    );
}

#[test]
fn a_removed_enum_value_in_a_request_breaks_rust_callers_and_old_clients() {
    let kind = ChangeKind::ValueRemoved {
        value: "\"guest\"".into(),
    };
    one_change(
        "enum-value-removed",
        "register::Kind",
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_changed_default_of_a_query_parameter_breaks_the_wire_both_ways() {
    let report = report("default-changed");
    let param = report.about("register::Request.kind (query)");
    let [param] = param.as_slice() else {
        panic!("one change to the parameter:\n{report}");
    };
    assert_eq!(
        param.kind,
        ChangeKind::DefaultChanged {
            old: "\"user\"".into(),
            new: "\"guest\"".into(),
            left_out: true
        }
    );
    assert_eq!((param.rust, param.wire), (Rust::Compatible, Wire::BreaksBoth));
    // The enum's `Default` moves with it, which compiles as before.
    let enum_default = report.about("register::Kind");
    assert_eq!(enum_default.len(), 1, "{report}");
    assert_eq!(enum_default[0].rust, Rust::Compatible);
    assert_eq!(report.changes.len(), 2, "{report}");
}

#[test]
fn a_new_operation_breaks_nobody_and_its_types_come_with_it() {
    let change = one_change(
        "operation-added",
        "deactivate_account",
        ChangeKind::OperationAdded,
        Rust::Compatible,
        Wire::Compatible,
    );
    assert!(matches!(&change.group, Group::Operation { path, .. } if path == "/account/deactivate"));
}

#[test]
fn a_removed_operation_breaks_rust_callers_and_old_clients() {
    let subject = "check_username_availability";
    let kind = ChangeKind::OperationRemoved;
    one_change(
        "operation-removed",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_new_path_breaks_the_wire_both_ways_but_not_rust_callers() {
    let kind = ChangeKind::PathChanged {
        old: "/register/available".into(),
        new: "/register/availability".into(),
    };
    one_change(
        "path-changed",
        "check_username_availability",
        kind,
        Rust::Compatible,
        Wire::BreaksBoth,
    );
}

#[test]
fn a_new_method_breaks_the_wire_both_ways_but_not_rust_callers() {
    let kind = ChangeKind::MethodChanged {
        old: "GET".into(),
        new: "POST".into(),
    };
    one_change(
        "method-changed",
        "check_username_availability",
        kind,
        Rust::Compatible,
        Wire::BreaksBoth,
    );
}

#[test]
fn a_new_error_status_is_a_new_variant_of_a_non_exhaustive_enum() {
    let kind = ChangeKind::StatusAdded {
        status: "403".into(),
        success: false,
    };
    one_change(
        "status-added",
        "register::Response::Forbidden",
        kind,
        Rust::Compatible,
        Wire::Compatible,
    );
}

#[test]
fn a_removed_status_is_a_removed_variant() {
    let kind = ChangeKind::StatusRemoved {
        status: "403".into(),
        success: false,
    };
    one_change(
        "status-removed",
        "register::Response::Forbidden",
        kind,
        Rust::Breaking,
        Wire::Compatible,
    );
}

#[test]
fn a_new_required_parameter_is_a_new_argument_and_breaks_old_clients() {
    let kind = ChangeKind::FieldAdded {
        presence: Presence::Required,
    };
    let subject = "check_username_availability::Request.server (query)";
    one_change(
        "param-added-required",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_required_access_token_breaks_server_implementations_and_old_clients() {
    let kind = ChangeKind::AccessTokenChanged {
        old: Token::None,
        new: Token::Required,
    };
    let subject = "check_username_availability";
    one_change(
        "access-token-changed",
        subject,
        kind,
        Rust::Breaking,
        Wire::BreaksOldClients,
    );
}

#[test]
fn a_field_renamed_on_the_wire_only_compiles_but_is_no_longer_understood() {
    let kind = ChangeKind::RenamedOnWire {
        old: "bind_email".into(),
        new: "bindEmail".into(),
    };
    let subject = "register::RequestBody.bindEmail";
    one_change("wire-rename", subject, kind, Rust::Compatible, Wire::BreaksBoth);
}

#[test]
fn a_required_answer_field_that_takes_null_breaks_rust_callers_and_old_clients() {
    let kind = ChangeKind::NullableChanged {
        nullable: true,
        required: true,
    };
    let subject = "get_room_summary::ResponseBody.name";
    one_change("nullable-added", subject, kind, Rust::Breaking, Wire::BreaksOldClients);
}

#[test]
fn a_new_case_of_a_union_in_an_answer_compiles_but_breaks_old_clients() {
    let kind = ChangeKind::CaseAdded { case: "Bool".into() };
    one_change(
        "union-case-added",
        "get_room_summary::Setting",
        kind,
        Rust::Compatible,
        Wire::BreaksOldClients,
    );
}

#[test]
fn an_entry_file_under_another_base_path_moves_no_other_operation() {
    // The API's base path is what its entry files share: `/_matrix/client/v1` alone,
    // `/_matrix` with `media.yaml` (`/_matrix/media/v3`) beside it.
    let spec = common::workspace_root().join("generator/tests/fixtures/specs/openapi31");
    let one = generator::build_model(&generator::Options::new(spec.join("api.yaml"))).expect("one entry file");
    let both = generator::build_model(&generator::Options::new(spec)).expect("the folder");
    assert_ne!(one.base_path, both.base_path);
    let report = diff::compare(&one, &both);
    let moved = report.changes.iter().find(|c| {
        matches!(
            c.kind,
            ChangeKind::PathChanged { .. } | ChangeKind::PathPrefixAdded | ChangeKind::PathPrefixRemoved
        )
    });
    assert_eq!(moved, None, "{report}");
    let added = report.about("get_config");
    assert_eq!(
        added.first().map(|c| &c.kind),
        Some(&ChangeKind::OperationAdded),
        "{report}"
    );
}

#[test]
fn the_way_back_swaps_whom_a_change_breaks() {
    // `request-field-made-required` read from new to old: made optional, so old servers break.
    let report = diff::compare(
        &model("request-field-made-required", "new"),
        &model("request-field-made-required", "old"),
    );
    let [change] = report.changes.as_slice() else {
        panic!("{report}");
    };
    assert_eq!((change.rust, change.wire), (Rust::Breaking, Wire::BreaksOldServers));
    // `field-removed` backwards: an optional field added, which breaks nobody.
    let report = diff::compare(&model("field-removed", "new"), &model("field-removed", "old"));
    assert!(!report.is_breaking(), "{report}");
    assert_eq!(report.changes.len(), 1, "{report}");
}

#[test]
fn the_same_spec_on_both_sides_is_no_api_change() {
    let cases = std::fs::read_dir(common::workspace_root().join("generator/tests/fixtures/diff"))
        .expect("the diff fixtures are in the repository")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir());
    let mut seen = 0;
    for case in cases {
        let name = case.file_name().to_string_lossy().into_owned();
        for side in ["old", "new"] {
            let report = diff::compare(&model(&name, side), &model(&name, side));
            assert!(report.is_empty(), "{name}/{side}.yaml against itself:\n{report}");
            assert_eq!(report.to_string(), "no API change\n");
        }
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} cases found");
}

#[test]
fn the_json_form_names_kind_grades_and_group() {
    let report = report("field-removed");
    let json = serde_json::to_value(&report).expect("a report serializes");
    let change = &json["changes"][0];
    assert_eq!(change["kind"], "field_removed");
    assert_eq!(change["presence"], "optional");
    assert_eq!(change["subject"], "register::RequestBody.bind_email");
    assert_eq!(change["rust"], "breaking");
    assert_eq!(change["wire"], "compatible");
    assert_eq!(change["role"], "request");
    assert_eq!(change["group"]["kind"], "operation");
    assert_eq!(change["group"]["name"], "register");
    assert_eq!(json["old"]["source"], "old.yaml");
}
