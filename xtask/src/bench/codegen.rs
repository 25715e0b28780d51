//! Codegen speed: wall time and peak memory of the release-built generator, against
//! openapi-generator on the same spec.

/// Runs the codegen benchmark; one line of results each.
pub fn run(_workspace: &std::path::Path, _quick: bool) -> anyhow::Result<Vec<String>> {
    anyhow::bail!("not implemented yet")
}
