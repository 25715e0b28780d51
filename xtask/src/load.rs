//! `cargo xtask load`: registrations under load against the example homeserver.

/// Options of `cargo xtask load`.
#[derive(clap::Args, Debug)]
pub struct LoadArgs {}

/// Runs the load test.
pub fn run(_workspace: &std::path::Path, _args: &LoadArgs) -> anyhow::Result<()> {
    anyhow::bail!("not implemented yet")
}
