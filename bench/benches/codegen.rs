//! The generator in-process, by stage, on the seed (`generated/`) and on the whole
//! Client-Server API at v1.19 (`generated-client-server/`): where the time of `cargo xtask
//! codegen` goes, without process start-up and file writes (the whole process is measured by
//! `cargo xtask bench`).
//!
//! - `model`: read the entry files and what they reference (YAML, `$ref`s), build the model;
//! - `emit`: make every file's tokens and format them (`syn` + `prettyplease`), on every core;
//! - `generate`: both, as `cargo xtask codegen` runs them.
//!
//! `cargo bench -p bench --bench codegen` (add `-- --quick` for a short run).

use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

/// The options of one committed crate of the workspace (`generated`, `generated-client-server`).
fn committed(out: &str) -> generator::Options {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is in the workspace");
    generator::workspace::CRATES
        .iter()
        .find(|c| c.out == out)
        .expect("a committed crate")
        .options(workspace)
}

fn stages(c: &mut Criterion) {
    // The seed runs in a few milliseconds and takes criterion's defaults; a run of the whole
    // API takes a good part of a second, so its samples are few and flat.
    for (group_name, out, whole) in [
        ("codegen_seed_in_process", "generated", false),
        ("codegen_whole_api_in_process", "generated-client-server", true),
    ] {
        let options = committed(out);
        let api = generator::build_model(&options).expect("the spec builds");
        let mut group = c.benchmark_group(group_name);
        if whole {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(8));
        }
        group.bench_function("model", |b| {
            b.iter(|| generator::build_model(&options).expect("builds"))
        });
        group.bench_function("emit", |b| b.iter(|| generator::emit::emit(&api).expect("emits")));
        group.bench_function("generate", |b| {
            b.iter(|| generator::generate(&options).expect("generates"))
        });
        group.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
