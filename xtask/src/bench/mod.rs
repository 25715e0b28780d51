//! `cargo xtask bench`: the generator and the generated code side by side with their peers,
//! several runs each, medians and ratios, written to `BENCHMARKS.md`.

pub mod codegen;

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Few runs and small sizes: only proves every benchmark still runs (CI).
    #[arg(long)]
    pub quick: bool,
}

/// Runs every benchmark.
pub fn run(workspace: &std::path::Path, args: &BenchArgs) -> anyhow::Result<()> {
    let report = codegen::run(workspace, args.quick)?;
    for row in report.lines() {
        println!("{row}");
    }
    Ok(())
}
