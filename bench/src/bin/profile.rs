//! Sends the register request through one router in-process, `--iterations` times, for a
//! profiler: `valgrind --tool=callgrind target/release/profile generated --iterations 20000`.
//! Its instruction counts are free of the machine's noise: the difference between two
//! iteration counts, divided by the difference, is the cost of one request.

use std::hint::black_box;

use anyhow::ensure;
use clap::{Parser, ValueEnum};
use http_body_util::BodyExt;
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Variant {
    Generated,
    HandWritten,
}

#[derive(Parser, Debug)]
#[command(about = "The register request through one router, in a loop, for a profiler")]
struct Args {
    /// Which router answers.
    variant: Variant,
    /// How many requests.
    #[arg(long, default_value_t = 10_000)]
    iterations: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let router = match args.variant {
        Variant::Generated => bench::generated_router(),
        Variant::HandWritten => bench::hand_written::router(),
    };
    runtime.block_on(async {
        let mut bytes = 0;
        for _ in 0..args.iterations {
            let response = router.clone().oneshot(bench::register_request()?).await?;
            ensure!(response.status() == http::StatusCode::OK, "not a 200");
            bytes += black_box(response.into_body().collect().await?.to_bytes()).len();
        }
        eprintln!(
            "{:?}: {} requests, {bytes} bytes answered",
            args.variant, args.iterations
        );
        Ok(())
    })
}
