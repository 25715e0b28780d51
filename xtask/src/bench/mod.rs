//! `cargo xtask bench`: the generator and the generated code side by side with their peers,
//! several runs each, medians and ratios, written to `BENCHMARKS.md`.
//!
//! 1. codegen speed against openapi-generator, and of the whole v1.19 API ([`codegen`]), with
//!    the whole API's stages in-process (criterion, `bench/benches/codegen.rs`);
//! 2. the generated server against a hand-written axum handler, in-process (criterion) and
//!    over loopback (the `loopback` binary of the `bench` crate);
//! 3. serde of the generated types against ruma-client-api (criterion): the register exchange
//!    (`matrix-registration`) and the spec's `/sync` example (`matrix-client-server`);
//! 4. compile cost, with `--compile-cost` (`bench/compile-cost.sh`, minutes), of both generated
//!    crates against ruma-client-api (and axum and reqwest).
//!
//! The report opens with a summary: every target line of the run, met or not, and the `/sync`
//! ratios.
//!
//! `--quick` (CI) proves every benchmark still runs and writes its report to
//! `target/bench/BENCHMARKS-quick.md` instead of `BENCHMARKS.md`.

pub mod codegen;
pub mod measure;
pub mod synth;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::tools::{cargo, cargo_output};

/// Options of `cargo xtask bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Few runs and small sizes: only proves every benchmark still runs (CI).
    #[arg(long)]
    pub quick: bool,
    /// Also measure clean build times (bench/compile-cost.sh; several minutes).
    #[arg(long)]
    pub compile_cost: bool,
}

/// Runs every benchmark and writes the report.
pub fn run(workspace: &Path, args: &BenchArgs) -> anyhow::Result<()> {
    let codegen = codegen::run(workspace, args.quick)?;
    for line in codegen.lines() {
        println!("{line}");
    }
    // Criterion and the loopback bench take `--quick` after their `--`.
    let quick: &[&str] = if args.quick { &["--quick"] } else { &[] };
    let with_quick = |args: &[&'static str]| [args, quick].concat();
    cargo(workspace, &with_quick(&["bench", "--package", "bench", "--"]))?;
    let criterion = cargo_output(
        workspace,
        &["run", "--quiet", "--package", "bench", "--bin", "criterion-summary"],
    )?;
    println!("{criterion}");
    let loopback = cargo_output(
        workspace,
        &with_quick(&[
            "run",
            "--quiet",
            "--release",
            "--package",
            "bench",
            "--bin",
            "loopback",
            "--",
        ]),
    )?;
    let loopback: serde_json::Value = serde_json::from_str(&loopback).context("reading the loopback report")?;
    let compile = if args.compile_cost {
        Some(compile_cost(workspace)?)
    } else {
        None
    };
    let report = render(&codegen, &criterion, &loopback, compile.as_deref(), args);
    let file = if args.quick {
        crate::tools::work_dir(workspace, "bench").join("BENCHMARKS-quick.md")
    } else {
        workspace.join("BENCHMARKS.md")
    };
    std::fs::create_dir_all(file.parent().unwrap_or(workspace))?;
    std::fs::write(&file, report).with_context(|| format!("writing {}", file.display()))?;
    println!("wrote {}", file.display());
    Ok(())
}

fn compile_cost(workspace: &Path) -> anyhow::Result<String> {
    let output = Command::new("bash")
        .arg("bench/compile-cost.sh")
        .current_dir(workspace)
        .output()?;
    if !output.status.success() {
        bail!(
            "bench/compile-cost.sh failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The whole report, as Markdown.
fn render(
    codegen: &codegen::CodegenReport,
    criterion: &str,
    loopback: &serde_json::Value,
    compile: Option<&str>,
    args: &BenchArgs,
) -> String {
    let command = match (args.quick, args.compile_cost) {
        (true, _) => "cargo xtask bench --quick",
        (false, true) => "cargo xtask bench --compile-cost",
        (false, false) => "cargo xtask bench",
    };
    let mut out = format!(
        "# Benchmarks\n\nWritten by `{command}`; every number below comes from that one run, on this machine:\n\n\
         ```text\n{}\n```\n\n",
        codegen.lines().get(1).cloned().unwrap_or_default()
    );
    out.push_str(&targets(codegen, criterion, compile));
    out.push_str("## 1. Codegen speed\n\n```text\n");
    out.push_str(&codegen.lines().join("\n"));
    out.push_str("\n```\n\n");
    out.push_str("## 2 and 3. Generated server overhead (in-process) and serde against ruma-client-api\n\n");
    out.push_str("criterion medians; the ratio is generated / other (below 1: the generated code is faster). ");
    out.push_str("The groups are described in `bench/README.md`; the `codegen_seed_in_process` and ");
    out.push_str("`codegen_whole_api_in_process` groups are the generator itself in-process on the seed and on the ");
    out.push_str("whole v1.19 API (`bench/benches/codegen.rs`): model, emit and format, and both. ");
    out.push_str("The `sync_*` groups read and write the spec's `/sync` example (`sync_large_*`: its joined room ");
    out.push_str("repeated 200 times) with the whole-API crate and ruma (`bench/benches/sync.rs`): ruma keeps every ");
    out.push_str("event as raw JSON, the generated types parse them, so `ruma_typed_events` adds the typing of ");
    out.push_str("ruma's events a client does next.\n\n");
    out.push_str(criterion.trim());
    out.push_str("\n\n## 2. Generated server overhead over loopback HTTP\n\n");
    out.push_str(&loopback_table(loopback));
    if let Some(compile) = compile {
        out.push_str("\n\n## 4. Compile cost\n\n");
        out.push_str("Clean `cargo build --release` of standalone copies, wall clock (`bench/compile-cost.sh`, ");
        out.push_str("described in `bench/README.md`): `generated-*` is the registration crate, `client-server-*` ");
        out.push_str("the whole v1.19 API crate, `*-types` without features, `*-all` with the axum server and the ");
        out.push_str("reqwest client (rustls); `ruma` is ruma-client-api with `client` and `server`, ");
        out.push_str(
            "`ruma+axum+reqwest` the same with the axum and reqwest (rustls) the generated crates bring.\n\n```text\n",
        );
        out.push_str(compile.trim());
        out.push_str("\n```\n");
    }
    out
}

/// Every `target:` line of the run (codegen, compile cost), then the `/sync` ratios, as a list.
fn targets(codegen: &codegen::CodegenReport, criterion: &str, compile: Option<&str>) -> String {
    let mut out = String::from(
        "## Summary\n\nEvery target of the run, met or not, then the `/sync` ratios generated / ruma \
         (no target; below 1 the generated code is faster). The sections below have the details.\n\n",
    );
    let codegen_lines = codegen.lines();
    let lines = codegen_lines
        .iter()
        .map(String::as_str)
        .chain(compile.unwrap_or_default().lines());
    for line in lines.filter_map(|l| l.strip_prefix("target: ")) {
        out.push_str(&format!("- {line}\n"));
    }
    if compile.is_none() {
        out.push_str("- compile cost: not measured (`cargo xtask bench --compile-cost`)\n");
    }
    // The criterion table's rows: | group | function | median | ratio |.
    for row in criterion.lines().filter(|l| l.starts_with("| sync")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        if let [_, group, function, _, ratio, ..] = cells.as_slice()
            && !ratio.is_empty()
        {
            out.push_str(&format!(
                "- `/sync` {group}, generated / {function}: {}\n",
                ratio.rsplit(' ').next().unwrap_or(ratio)
            ));
        }
    }
    out.push('\n');
    out
}

fn loopback_table(report: &serde_json::Value) -> String {
    let variant = |name: &str| {
        let v = &report[name];
        format!("| {name} | {} | {} | {} |", v["rps"], v["p50_us"], v["p99_us"])
    };
    format!(
        "| variant | requests/s (median of rounds) | p50 µs | p99 µs |\n|---|---:|---:|---:|\n{}\n{}\n\n\
         ratios generated / hand-written: `{}`\n\ntargets (throughput at least 0.95, p99 within 5 %): `{}`\n\nsettings: `{}`\n",
        variant("generated"),
        variant("hand_written"),
        report["ratios_generated_over_hand_written"],
        report["targets"],
        report["config"]
    )
}
