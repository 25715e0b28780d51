//! The fixture specs the tests generate from: the seed, the real spec bumps and hand-written ones.
#![allow(dead_code)] // Each test file uses a part of this module.

use std::path::{Path, PathBuf};

/// One spec to generate from.
pub struct Fixture {
    /// A short name, used for snapshot and crate names.
    pub name: String,
    /// What to pass to the generator.
    pub options: generator::Options,
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the generator is in the workspace")
        .to_owned()
}

/// The seed: `spec/registration.yaml` with `spec/codegen.toml`, as `cargo xtask codegen` reads it.
pub fn seed() -> generator::Options {
    generator::Options {
        specs: vec![workspace_root().join("spec/registration.yaml")],
        root: None,
        config: None,
    }
}

fn fixtures_dir() -> PathBuf {
    workspace_root().join("generator/tests/fixtures")
}

/// The real spec bumps in `fixtures/spec-bumps/`, oldest first.
pub const BUMPS: &[&str] = &[
    "r0.2.0", "r0.3.0", "r0.4.0", "r0.6.1", "v1.7", "v1.8", "v1.10", "v1.12", "v1.16", "v1.19",
];

/// The entry files of the registration API in one bump's folder: `registration.yaml`, and
/// from v1.16 on `password_management.yaml` too.
pub fn bump_entry_files(root: &Path) -> Vec<PathBuf> {
    ["registration.yaml", "password_management.yaml"]
        .iter()
        .map(|file| root.join("client-server").join(file))
        .filter(|path| path.is_file())
        .collect()
}

/// The spec bumps (each with the config next to its version folder) and the hand-written specs.
pub fn fixtures() -> Vec<Fixture> {
    let mut fixtures = Vec::new();
    for version in BUMPS {
        let root = fixtures_dir().join("spec-bumps").join(version);
        fixtures.push(Fixture {
            name: format!("bump-{version}"),
            options: generator::Options {
                specs: bump_entry_files(&root),
                config: Some(root.join("codegen.toml")),
                root: Some(root),
            },
        });
    }
    let mut specs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("specs"))
        .expect("the fixture specs are in the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("api.yaml").is_file())
        .collect();
    specs.sort();
    for dir in specs {
        let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
        fixtures.push(Fixture {
            name: format!("spec-{name}"),
            // The folder: its entry files (`api.yaml`, and more in some) make one crate.
            options: generator::Options {
                specs: vec![dir],
                root: None,
                config: None,
            },
        });
    }
    fixtures
}

/// The whole Client-Server API at v1.19: the folder of its 72 entry files, one crate (the
/// workspace's `generated-client-server/`, so the workspace build lints and tests its code).
pub fn whole_api() -> Fixture {
    let krate = generator::workspace::CRATES
        .iter()
        .find(|c| c.out == "generated-client-server")
        .expect("the whole API is a workspace crate");
    Fixture {
        name: "api-v1.19".to_owned(),
        options: krate.options(&workspace_root()),
    }
}

/// The generated Rust files that come from the spec (not the copied templates), one after the other.
pub fn generated_rust(files: &[generator::emit::File]) -> String {
    let mut out = String::new();
    for file in files
        .iter()
        .filter(|f| f.path.ends_with(".rs") && !generator::emit::is_template(&f.path))
    {
        out.push_str(&format!("=== {} ===\n{}\n", file.path, file.contents));
    }
    out
}
