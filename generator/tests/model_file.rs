//! The model committed in a generated crate (`api-model.json`) is enough for the change report:
//! read back, it compares with the model it was written from as no change, for every spec the
//! tests generate. This fails when the comparison starts reading something the file leaves out
//! (prose, examples), before a spec bump reports spurious changes.

mod common;

use generator::model_file;

#[test]
fn every_fixture_s_model_file_compares_as_no_change_with_its_model() {
    let fixtures = common::fixtures().into_iter().chain([common::whole_api()]);
    for fixture in fixtures {
        let generated = generator::generate(&fixture.options).unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        let file = generated
            .files
            .iter()
            .find(|f| f.path == model_file::FILE_NAME)
            .unwrap_or_else(|| panic!("{}: no {}", fixture.name, model_file::FILE_NAME));
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join(&file.path), &file.contents).expect("writing the model file");
        let read_back = model_file::read(dir.path()).unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        let report = generator::diff::compare(&read_back, &generated.api);
        assert!(report.is_empty(), "{}:\n{report}", fixture.name);
    }
}

#[test]
fn a_changed_model_file_reports_the_change() {
    let generated = generator::generate(&common::seed()).unwrap_or_else(|e| panic!("{e}"));
    let file = generated
        .files
        .iter()
        .find(|f| f.path == model_file::FILE_NAME)
        .expect("the model file");
    // The committed model of a crate whose `register` body had no `bind_email` yet.
    let mut old: serde_json::Value = serde_json::from_str(&file.contents).expect("JSON");
    let types = old["api"]["types"].as_array_mut().expect("types");
    let body = types
        .iter_mut()
        .find(|t| t["module"] == serde_json::json!({"Operation": "register"}) && t["name"] == "RequestBody")
        .expect("register::RequestBody");
    let fields = body["kind"]["Struct"]["fields"].as_array_mut().expect("fields");
    fields.retain(|f| f["wire"] != "bind_email");
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join(model_file::FILE_NAME), old.to_string()).expect("writing");
    let read_back = model_file::read(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let report = generator::diff::compare(&read_back, &generated.api);
    assert_eq!(
        report.to_string().lines().last(),
        Some(
            "  register::RequestBody.bind_email added (optional): compatible for Rust callers, compatible on the wire"
        )
    );
}
