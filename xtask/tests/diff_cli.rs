//! `cargo xtask diff` as CI runs it: exit status 0, 1 with `--fail-on` when something breaks,
//! 2 when a spec is broken; text for people and JSON that parses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn case(name: &str, side: &str) -> PathBuf {
    workspace()
        .join("generator/tests/fixtures/diff")
        .join(name)
        .join(format!("{side}.yaml"))
}

fn diff(args: &[&str], old: &Path, new: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("diff")
        .arg("--old")
        .arg(old)
        .arg("--new")
        .arg(new)
        .args(args)
        .output()
        .expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_same_spec_is_no_api_change_and_exit_0() {
    let spec = case("field-removed", "old");
    let output = diff(&["--fail-on", "breaking"], &spec, &spec);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "no API change\n");
}

#[test]
fn a_breaking_change_fails_only_when_asked() {
    let (old, new) = (case("field-removed", "old"), case("field-removed", "new"));
    let output = diff(&[], &old, &new);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("register::RequestBody.bind_email removed: breaking for Rust callers, compatible on the wire"),
        "{stdout}"
    );
    for (fail_on, code) in [("breaking", 1), ("rust", 1), ("wire", 0)] {
        let output = diff(&["--fail-on", fail_on], &old, &new);
        assert_eq!(output.status.code(), Some(code), "--fail-on {fail_on}");
    }
}

#[test]
fn a_compatible_change_passes_fail_on_breaking() {
    let (old, new) = (
        case("request-field-added-optional", "old"),
        case("request-field-added-optional", "new"),
    );
    let output = diff(&["--fail-on", "breaking"], &old, &new);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    assert!(text(&output.stdout).contains("device_id added (optional)"));
}

#[test]
fn the_json_report_parses_and_says_what_breaks() {
    let (old, new) = (case("number-to-integer", "old"), case("number-to-integer", "new"));
    let output = diff(&["--format", "json", "--fail-on", "breaking"], &old, &new);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("the report is JSON");
    assert_eq!(json["breaking"], true);
    assert_eq!(json["breaking_rust"], 1);
    assert_eq!(json["breaking_wire"], 1);
    let change = &json["changes"][0];
    assert_eq!(change["kind"], "type_changed");
    assert_eq!(change["old"], "f64");
    assert_eq!(change["new"], "i64");
    assert_eq!(change["relation"], "narrower");
    assert_eq!(change["wire"], "breaks_old_clients");
    assert_eq!(json["changes"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_broken_spec_on_either_side_is_reported_as_codegen_reports_it_with_exit_2() {
    let good = case("field-removed", "old");
    let broken = workspace().join("generator/tests/fixtures/broken/missing-ref/api.yaml");
    for (old, new, side) in [(&good, &broken, "new"), (&broken, &good, "old")] {
        let output = diff(&["--fail-on", "breaking"], old, new);
        assert_eq!(output.status.code(), Some(2), "broken {side} side");
        assert!(output.stdout.is_empty(), "no report: {}", text(&output.stdout));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("the {side} spec")), "{stderr}");
        assert!(stderr.contains("api.yaml:10:13"), "{stderr}");
        assert!(
            stderr.contains("`$ref: definitions/missing.yaml` points to a file that does not exist"),
            "{stderr}"
        );
    }
}

#[test]
fn seed_to_v1_7_with_each_sides_config_breaks() {
    let v1_7 = workspace().join("generator/tests/fixtures/spec-bumps/v1.7");
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(["diff", "--fail-on", "breaking", "--old"])
        .arg(workspace().join("spec/registration.yaml"))
        .arg("--new")
        .arg(v1_7.join("client-server/registration.yaml"))
        .arg("--new-root")
        .arg(&v1_7)
        .arg("--new-config")
        .arg(v1_7.join("codegen.toml"));
    let output = command.output().expect("xtask runs");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("\noperation register (POST /register)\n"), "{stdout}");
    assert!(stdout.contains("check_username_availability added"), "{stdout}");
}

#[test]
fn a_side_may_be_several_entry_files() {
    let spec = workspace().join("generator/tests/fixtures/specs/openapi31");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["diff", "--fail-on", "wire", "--old"])
        .arg(spec.join("api.yaml"))
        .arg("--new")
        .arg(spec.join("api.yaml"))
        .arg(spec.join("media.yaml"))
        .output()
        .expect("xtask runs");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("get_config added: compatible for Rust callers, compatible on the wire"),
        "{stdout}"
    );
}
