//! The generator in-process on the seed, by stage: what a codegen run costs without process
//! start-up and file writes (those are in `cargo xtask bench`).

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

fn seed() -> generator::Options {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/registration.yaml");
    generator::Options::new(spec)
}

fn stages(c: &mut Criterion) {
    let options = seed();
    let api = generator::build_model(&options).expect("the seed builds");
    // One group, so `cargo xtask bench` lists it next to the others in BENCHMARKS.md.
    let mut group = c.benchmark_group("codegen_seed_in_process");
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
