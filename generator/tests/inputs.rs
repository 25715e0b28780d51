//! Inputs beyond the seed: an OpenAPI 3.0 document needs only the model step; ambiguous or
//! unsupported inputs are refused with an error that names the file, the place and the cause.

mod common;

use std::path::Path;

fn options(spec: &Path) -> generator::Options {
    generator::Options {
        specs: vec![spec.to_owned()],
        root: None,
        config: None,
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writing a test spec");
    path
}

#[test]
fn an_openapi_3_document_generates_through_the_same_model() {
    let spec = common::workspace_root().join("generator/tests/fixtures/openapi3/api.yaml");
    let generated = generator::generate(&options(&spec)).unwrap_or_else(|e| panic!("{e}"));
    let summary = generated.api.summary();
    assert!(
        summary.contains("operation get_display_name: GET /profile/{userId}/displayname"),
        "{summary}"
    );
    assert!(summary.contains("404 NotFound: types::Error"), "{summary}");
    assert!(summary.contains("{version}: [r0, v3], default v3"), "{summary}");
    assert!(
        generated
            .files
            .iter()
            .any(|f| f.path == "src/endpoints/get_display_name.rs")
    );
}

#[test]
fn two_operations_with_one_derived_name_is_an_error_naming_both() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spec = write(
        dir.path(),
        "api.yaml",
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /foo_bar:\n    get: {responses: {200: {description: ok}}}\n  /fooBar:\n    get: {responses: {200: {description: ok}}}\n",
    );
    let error = generator::generate(&options(&spec))
        .expect_err("the names collide")
        .to_string();
    assert!(error.contains("api.yaml at paths./fooBar.get"), "{error}");
    assert!(
        error.contains("`GET /fooBar` and `GET /foo_bar` would both be named `get_foo_bar`"),
        "{error}"
    );
}

#[test]
fn an_unsupported_version_says_which_are_supported() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spec = write(
        dir.path(),
        "api.yaml",
        "openapi: 3.2.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
    );
    let error = generator::generate(&options(&spec))
        .expect_err("3.2 is refused")
        .to_string();
    assert!(error.contains("`openapi: \"3.2.0\"` is not supported"), "{error}");
    assert!(
        error.contains("Swagger 2.0") && error.contains("OpenAPI 3.0") && error.contains("3.1"),
        "{error}"
    );
}

#[test]
fn a_stale_config_entry_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spec = write(
        dir.path(),
        "api.yaml",
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
    );
    write(
        dir.path(),
        "codegen.toml",
        "[rename.types]\nNothing = \"Something\"\n[[patch]]\nfile = \"gone.yaml\"\nreason = \"r\"\n",
    );
    let error = generator::generate(&options(&spec))
        .expect_err("the config names nothing")
        .to_string();
    assert!(error.contains("`gone.yaml`, which the spec never loads"), "{error}");
    assert!(
        error.contains("[rename.types] `Nothing` names no type"),
        "both errors are reported at once: {error}"
    );
}

/// A body of another media type than JSON is raw bytes (an upload, a download), where the
/// generator once refused it; `raw-bodies/` holds the two specs that were refused then.
#[test]
fn bodies_of_other_media_types_are_raw_bytes() {
    let fixtures = common::workspace_root().join("generator/tests/fixtures/raw-bodies");
    let request = generator::build_model(&options(&fixtures.join("request/api.yaml"))).expect("a multipart body reads");
    let body = request.operations[0].body.as_ref().expect("the upload has a body");
    assert_eq!(body.ty, generator::model::TypeRef::Bytes);
    assert_eq!(body.media.as_deref(), Some("multipart/form-data"));
    let response = generator::build_model(&options(&fixtures.join("response/api.yaml"))).expect("a PNG answer reads");
    let ok = &response.operations[0].responses[0];
    assert_eq!(ok.ty, Some(generator::model::TypeRef::Bytes));
}
