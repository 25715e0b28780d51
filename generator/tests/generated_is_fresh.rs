//! `generated/` is exactly what `cargo xtask codegen` makes from `spec/`, so `cargo test` fails
//! when someone edits the spec, its config, the templates or the generator and forgets to
//! regenerate (rust-analyzer's pattern). The check is the one `cargo xtask codegen --check` runs.

mod common;

use generator::output::{Mode, ensure};

#[test]
fn generated_crate_is_up_to_date_with_the_spec() {
    let generated = generator::generate(&common::seed()).unwrap_or_else(|e| panic!("the spec does not generate:\n{e}"));
    let out = common::workspace_root().join("generated");
    let report = ensure(&out, &generated.files, Mode::Check).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.is_clean(),
        "generated/ is stale; run `cargo xtask codegen` and commit the result:\n{report}"
    );
}
