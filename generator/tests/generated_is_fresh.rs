//! `generated/` and `generated-client-server/` are exactly what `cargo xtask codegen` makes
//! from `spec/`, so `cargo test` fails
//! when someone edits the spec, its config, the templates or the generator and forgets to
//! regenerate (rust-analyzer's pattern). The check is the one `cargo xtask codegen --check` runs.

mod common;

use generator::output::{Mode, ensure};

#[test]
fn generated_crates_are_up_to_date_with_their_specs() {
    let workspace = common::workspace_root();
    for krate in generator::workspace::CRATES {
        let generated = generator::generate(&krate.options(&workspace))
            .unwrap_or_else(|e| panic!("{}: the spec does not generate:\n{e}", krate.out));
        let report =
            ensure(&workspace.join(krate.out), &generated.files, Mode::Check).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.is_clean(),
            "{}/ is stale; run `cargo xtask codegen` and commit the result:\n{report}",
            krate.out
        );
    }
}
