//! Snapshots that guard the output: the model summaries of the seed and of every spec bump
//! (a semantic diff of a spec change) and the generated code of every fixture spec. The seed's own code is `generated/`, guarded
//! by `cargo xtask codegen --check`, so it is not stored twice.

mod common;

#[test]
fn seed_model_summary() {
    let api = generator::build_model(&common::seed()).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("seed-model", api.summary());
}

#[test]
fn fixture_outputs() {
    for fixture in common::fixtures() {
        let generated = generator::generate(&fixture.options).unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        insta::assert_snapshot!(
            format!("{}-code", fixture.name),
            common::generated_rust(&generated.files)
        );
        // A bump's model summary is what its reviewer reads first: every operation, status,
        // type and field, one line each.
        if fixture.name.starts_with("bump-") {
            insta::assert_snapshot!(format!("{}-model", fixture.name), generated.api.summary());
        }
    }
}

/// The whole Client-Server API: its code is the committed `generated-client-server/` (some
/// 70,000 lines, guarded by the freshness test); its reviewer reads this summary.
#[test]
fn whole_api_model_summary() {
    let fixture = common::whole_api();
    let api = generator::build_model(&fixture.options).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!(format!("{}-model", fixture.name), api.summary());
}

#[test]
fn output_is_byte_identical_across_runs() {
    let first = generator::generate(&common::seed()).unwrap_or_else(|e| panic!("{e}"));
    let second = generator::generate(&common::seed()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.files, second.files);
}

/// Doc comments read as a person writes them: `/// Text`, never `///Text`, in the seed's crate
/// and in every fixture's.
#[test]
fn doc_comments_have_a_space_after_the_slashes() {
    let crates = std::iter::once(("seed".to_owned(), common::seed()))
        .chain(common::fixtures().into_iter().map(|f| (f.name, f.options)));
    for (name, options) in crates {
        let generated = generator::generate(&options).unwrap_or_else(|e| panic!("{name}: {e}"));
        for file in generated.files.iter().filter(|f| f.path.ends_with(".rs")) {
            for (number, line) in file.contents.lines().enumerate() {
                let text = line.trim_start();
                let rest = text.strip_prefix("///").or_else(|| text.strip_prefix("//!"));
                if let Some(rest) = rest.filter(|rest| !rest.starts_with('/')) {
                    assert!(
                        rest.is_empty() || rest.starts_with(' '),
                        "{name}: {}:{}: {line}",
                        file.path,
                        number + 1
                    );
                }
            }
        }
    }
}

#[test]
fn every_generated_file_starts_with_the_header() {
    let generated = generator::generate(&common::seed()).unwrap_or_else(|e| panic!("{e}"));
    for file in &generated.files {
        let first = file.contents.lines().next().unwrap_or_default();
        assert!(first.contains(generator::output::MARKER), "{}: {first}", file.path);
    }
}
