//! The generator in-process on the whole Client-Server API at v1.19, by stage: where the time
//! of `cargo xtask codegen` on `generated-client-server/` goes, without process start-up and
//! file writes (the whole process is measured by `cargo xtask bench`, next to the seed).
//!
//! - `model`: read the 72 entry files and what they reference (YAML, `$ref`s), build the model;
//! - `emit`: make every file's tokens and format them (`syn` + `prettyplease`), on every core;
//! - `generate`: both, as `cargo xtask codegen` runs them.
//!
//! Each run takes a good part of a second, so the samples are few and flat.
//!
//! `cargo bench -p bench --bench codegen` (add `-- --quick` for a short run).

use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn whole_api() -> generator::Options {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is in the workspace");
    generator::workspace::CRATES
        .iter()
        .find(|c| c.out == "generated-client-server")
        .expect("the whole API is a committed crate")
        .options(workspace)
}

fn stages(c: &mut Criterion) {
    let options = whole_api();
    let api = generator::build_model(&options).expect("the whole API builds");
    let mut group = c.benchmark_group("codegen_whole_api_in_process");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("model", |b| {
        b.iter(|| generator::build_model(&options).expect("builds"))
    });
    group.bench_function("emit", |b| b.iter(|| generator::emit::emit(&api).expect("emits")));
    group.bench_function("generate", |b| {
        b.iter(|| generator::generate(&options).expect("generates"))
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
