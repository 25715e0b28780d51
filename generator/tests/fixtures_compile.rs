//! Every fixture spec generates a crate that compiles without warnings under clippy, documents
//! without rustdoc warnings, and passes its generated tests (every spec example round-trips).
//!
//! All fixtures go into one scratch workspace under `target/`, so their dependencies are built
//! once, with the workspace's `Cargo.lock`.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn every_fixture_crate_builds_lints_documents_and_passes_its_tests() {
    let root = common::workspace_root();
    let scratch = root.join("target/fixture-crates");
    let _ = std::fs::remove_dir_all(&scratch);
    let mut members = Vec::new();
    for fixture in common::fixtures() {
        let generated = generator::generate(&fixture.options).unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        let out = scratch.join(&fixture.name);
        generator::output::ensure(&out, &generated.files, generator::output::Mode::Write)
            .unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
        members.push(format!("{:?}", fixture.name));
    }
    let manifest = format!("[workspace]\nresolver = \"3\"\nmembers = [{}]\n", members.join(", "));
    std::fs::write(scratch.join("Cargo.toml"), manifest).expect("writing the scratch workspace");
    std::fs::copy(root.join("Cargo.lock"), scratch.join("Cargo.lock")).expect("copying Cargo.lock");
    let target = root.join("target/fixture-target");
    cargo(
        &scratch,
        &target,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    );
    cargo(
        &scratch,
        &target,
        &["test", "--workspace", "--all-features", "--no-fail-fast"],
    );
    cargo(
        &scratch,
        &target,
        &["doc", "--workspace", "--all-features", "--no-deps"],
    );
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("RUSTDOCFLAGS", "-D warnings")
        .status()
        .expect("running cargo");
    assert!(
        status.success(),
        "`cargo {}` failed in {} (its output is above)",
        args.join(" "),
        dir.display()
    );
}
