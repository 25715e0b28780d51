//! The generated router against a hand-written axum handler over loopback HTTP/1.1.
//!
//! Serves both on two free ports of 127.0.0.1 in one process, checks once that they answer the
//! register request with the same bytes (all but the `date` header), then drives each in turn
//! from `--concurrency` keep-alive connections, for several alternating rounds so that machine
//! noise hits both, and prints a JSON summary: requests/s and p50/p99 latency per variant
//! (medians over the rounds) and the ratios generated / hand-written.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser, Debug)]
#[command(about = "Generated router against a hand-written axum handler, over loopback HTTP")]
struct Args {
    /// Requests per variant and round (a round also stops after --seconds).
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    /// Concurrent keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Time limit of one variant's round, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Rounds; each round runs both variants, alternating which goes first.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Requests per variant before the first round, not measured.
    #[arg(long, default_value_t = 5_000)]
    warmup: u64,
    /// Worker threads of the runtime shared by servers and load (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// A few hundred requests only (CI): 2 rounds of 100 requests from 4 connections.
    #[arg(long)]
    quick: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Generated,
    HandWritten,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Self::Generated => "generated",
            Self::HandWritten => "hand_written",
        }
    }
}

/// One variant's round.
#[derive(Clone, Debug)]
struct Round {
    requests: usize,
    seconds: f64,
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.requests = 100;
        args.concurrency = 4;
        args.rounds = 2;
        args.warmup = 20;
    }
    ensure!(
        args.concurrency > 0 && args.rounds > 0 && args.requests > 0,
        "nothing to run"
    );
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads);
    }
    runtime.enable_all().build()?.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let generated = serve(bench::generated_router()).await?;
    let hand_written = serve(bench::hand_written::router()).await?;
    same_answer(generated, hand_written).await?;

    let seconds = Duration::from_secs_f64(args.seconds);
    for (variant, addr) in [(Variant::Generated, generated), (Variant::HandWritten, hand_written)] {
        load(addr, args.concurrency, args.warmup, seconds)
            .await
            .with_context(|| format!("warming up {variant:?}"))?;
    }
    let rounds = rounds(&args, generated, hand_written, seconds).await?;
    println!("{}", serde_json::to_string_pretty(&report(&args, &rounds))?);
    Ok(())
}

/// Checks once that both servers answer the register request with the same bytes (all but the
/// `date` header), a 200.
async fn same_answer(generated: SocketAddr, hand_written: SocketAddr) -> anyhow::Result<()> {
    let wire_generated = raw_exchange(generated).await?;
    let wire_hand_written = raw_exchange(hand_written).await?;
    ensure!(
        wire_generated == wire_hand_written,
        "the answers differ on the wire:\n--- generated\n{wire_generated}\n--- hand-written\n{wire_hand_written}"
    );
    ensure!(
        wire_generated.starts_with("HTTP/1.1 200 OK\r\n"),
        "not a 200:\n{wire_generated}"
    );
    eprintln!("both answer with the same bytes (date header left out):\n{wire_generated}\n");
    Ok(())
}

/// The measured rounds, each running both variants, alternating which goes first.
async fn rounds(
    args: &Args,
    generated: SocketAddr,
    hand_written: SocketAddr,
    seconds: Duration,
) -> anyhow::Result<Vec<(Variant, Round)>> {
    let mut rounds: Vec<(Variant, Round)> = Vec::new();
    for round in 0..args.rounds {
        let order = if round % 2 == 0 {
            [(Variant::Generated, generated), (Variant::HandWritten, hand_written)]
        } else {
            [(Variant::HandWritten, hand_written), (Variant::Generated, generated)]
        };
        for (variant, addr) in order {
            let result = load(addr, args.concurrency, args.requests, seconds)
                .await
                .with_context(|| format!("round {round} of {variant:?}"))?;
            eprintln!(
                "round {round} {:<12} {:>6} requests in {:.2} s: {:>8.0} req/s, p50 {:>7.1} us, p99 {:>7.1} us",
                variant.name(),
                result.requests,
                result.seconds,
                result.rps,
                result.p50_us,
                result.p99_us
            );
            rounds.push((variant, result));
        }
    }
    Ok(rounds)
}

/// One variant over the rounds: median requests/s, p50 and p99, and its JSON summary.
fn summary(rounds: &[(Variant, Round)], variant: Variant) -> (f64, f64, f64, serde_json::Value) {
    let of: Vec<&Round> = rounds.iter().filter(|(v, _)| *v == variant).map(|(_, r)| r).collect();
    let rps = median(of.iter().map(|r| r.rps).collect());
    let p50 = median(of.iter().map(|r| r.p50_us).collect());
    let p99 = median(of.iter().map(|r| r.p99_us).collect());
    let detail: Vec<_> = of
        .iter()
        .map(|r| {
            json!({
                "requests": r.requests,
                "seconds": round3(r.seconds),
                "rps": r.rps.round(),
                "p50_us": round3(r.p50_us),
                "p99_us": round3(r.p99_us),
                "max_us": round3(r.max_us),
            })
        })
        .collect();
    (
        rps,
        p50,
        p99,
        json!({"rps": rps.round(), "p50_us": round3(p50), "p99_us": round3(p99), "rounds": detail}),
    )
}

/// The JSON summary: the config, each variant, the ratios generated / hand-written and the
/// targets.
fn report(args: &Args, rounds: &[(Variant, Round)]) -> serde_json::Value {
    let (g_rps, g_p50, g_p99, g_json) = summary(rounds, Variant::Generated);
    let (h_rps, h_p50, h_p99, h_json) = summary(rounds, Variant::HandWritten);
    let throughput = g_rps / h_rps;
    let p99 = g_p99 / h_p99;
    json!({
        "config": {
            "requests_per_round": args.requests,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "round_time_limit_s": args.seconds,
            "worker_threads": args.threads.map_or_else(|| json!("cores"), |t| json!(t)),
            "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        },
        "generated": g_json,
        "hand_written": h_json,
        "ratios_generated_over_hand_written": {
            "throughput": round3(throughput),
            "p50": round3(g_p50 / h_p50),
            "p99": round3(p99),
        },
        "targets": {
            "throughput_at_least_0.95": throughput >= 0.95,
            "p99_within_5_percent": p99 <= 1.05,
        },
    })
}

/// Serves `router` on a free port of 127.0.0.1, in the background.
async fn serve(router: axum::Router) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            eprintln!("server on {addr} stopped: {error}");
        }
    });
    Ok(addr)
}

/// Sends the register request over a fresh connection and returns the answer as text, without
/// its `date` header (the only part that may differ between two servers).
async fn raw_exchange(addr: SocketAddr) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "POST {} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        bench::REGISTER_URI,
        bench::REGISTER_REQUEST.len(),
        bench::REGISTER_REQUEST
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8(answer)?;
    Ok(text
        .split_inclusive("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .collect())
}

/// Sends `requests` register requests (or as many as fit in `limit`) to `addr` from
/// `concurrency` keep-alive connections; every answer must be a 200 with the expected body.
async fn load(addr: SocketAddr, concurrency: usize, requests: u64, limit: Duration) -> anyhow::Result<Round> {
    let tickets = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let tickets = Arc::clone(&tickets);
        tasks.push(tokio::spawn(connection(addr, tickets, requests, deadline)));
    }
    let mut latencies = Vec::with_capacity(usize::try_from(requests).unwrap_or(0));
    for task in tasks {
        latencies.extend(task.await??);
    }
    let seconds = start.elapsed().as_secs_f64();
    ensure!(!latencies.is_empty(), "no request completed");
    latencies.sort_unstable();
    let count = latencies.len();
    Ok(Round {
        requests: count,
        seconds,
        rps: count as f64 / seconds,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        max_us: percentile(&latencies, 1.0),
    })
}

/// One keep-alive connection sending requests one after the other while tickets last; returns
/// each request's latency in nanoseconds.
async fn connection(
    addr: SocketAddr,
    tickets: Arc<AtomicU64>,
    requests: u64,
    deadline: Instant,
) -> anyhow::Result<Vec<u64>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let driver = tokio::spawn(connection);
    let host = addr.to_string();
    let mut latencies = Vec::new();
    while tickets.fetch_add(1, Ordering::Relaxed) < requests && Instant::now() < deadline {
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(bench::REGISTER_URI)
            .header(http::header::HOST, &host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(bench::REGISTER_REQUEST.as_bytes())))?;
        sender.ready().await?;
        let sent = Instant::now();
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        let elapsed = sent.elapsed();
        if status != http::StatusCode::OK || body.len() != EXPECTED_LEN {
            bail!("unexpected answer {status}: {}", String::from_utf8_lossy(&body));
        }
        latencies.push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }
    drop(sender);
    driver.abort();
    Ok(latencies)
}

/// The length of the 200 body both servers send (the recorded one, re-ordered).
const EXPECTED_LEN: usize = bench::REGISTER_RESPONSE.len();

/// The `q` quantile of sorted nanoseconds, in microseconds (nearest rank).
fn percentile(sorted: &[u64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1_000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn round3(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}
