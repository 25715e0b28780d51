//! The crates this repository generates from its own specs, and commits: what
//! `cargo xtask codegen` (without `--spec`) writes and `--check` checks, and what the freshness
//! test checks. Paths are relative to the workspace root.

use std::path::Path;

use crate::Options;

/// One committed generated crate.
#[derive(Debug, Clone, Copy)]
pub struct Crate {
    /// Its entry files or folders of entry files.
    pub specs: &'static [&'static str],
    /// The folder `$ref`s may not leave, if not the first spec's folder.
    pub root: Option<&'static str>,
    /// Where the crate is written.
    pub out: &'static str,
}

/// The registration API as received (`generated/`, what the examples use), and the whole
/// Client-Server API at v1.19 (`generated-client-server/`, what the session interop uses).
pub const CRATES: &[Crate] = &[
    Crate {
        specs: &["spec/registration.yaml"],
        root: None,
        out: "generated",
    },
    Crate {
        specs: &["spec/matrix-api/v1.19/api/client-server"],
        root: Some("spec/matrix-api/v1.19"),
        out: "generated-client-server",
    },
];

impl Crate {
    /// The generator's options for this crate, in the workspace at `root`.
    pub fn options(&self, workspace: &Path) -> Options {
        Options {
            specs: self.specs.iter().map(|s| workspace.join(s)).collect(),
            root: self.root.map(|r| workspace.join(r)),
            config: None,
        }
    }
}
