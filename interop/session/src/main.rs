//! Runs the session against one server, printing each step as it passes and then the count of
//! steps and distinct operations.
//!
//! `interop-session --server http://127.0.0.1:8008 --name synapse`

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Runs a whole Matrix session with the generated Client-Server client against a server")]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    server: String,
    /// How the summary names the server.
    #[arg(long, default_value = "server")]
    name: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut print = |step: &interop_session::Step| {
        println!(
            "{:<11} {:<34} {:<50} {}",
            args.name, step.operation, step.action, step.seen
        );
    };
    match interop_session::run(&args.server, &mut print).await {
        Ok(report) => {
            println!(
                "session interop passed: {} steps, {} distinct operations",
                report.steps.len(),
                report.operations().len()
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{} session: FAILED at {failure}", args.name);
            ExitCode::FAILURE
        }
    }
}
