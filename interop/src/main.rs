//! Runs the interop scenario against one server and prints each step and the answer seen.
//!
//! `interop --server http://127.0.0.1:8008 --name synapse` (both `v3` and `r0` paths).

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Runs the interop scenario with the generated client against a Matrix server")]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    server: String,
    /// How the summary names the server.
    #[arg(long, default_value = "server")]
    name: String,
    /// Path versions to run the scenario under.
    #[arg(long = "version", default_values = ["v3", "r0"])]
    versions: Vec<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    for version in &args.versions {
        match interop::run(&args.server, version).await {
            Ok(steps) => {
                for step in steps {
                    println!("{:<11} {version}  {:<42} {}", args.name, step.name, step.seen);
                }
            }
            Err(error) => {
                eprintln!("{} {version}: FAILED: {error:#}", args.name);
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
