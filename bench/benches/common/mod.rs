//! What the serde benches share: every group runs the generated crate's code and ruma's on the
//! same input, under the same names (`generated`, `ruma`).

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion};

/// The groups `{name}_de` and `{name}_ser`: `body` read as the generated type and as ruma's,
/// and the values read from it written back.
pub fn body_groups<G, R>(c: &mut Criterion, name: &str, body: &[u8], generated: &G, ruma: &R)
where
    G: serde::Serialize + serde::de::DeserializeOwned,
    R: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut group = c.benchmark_group(format!("{name}_de"));
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::from_slice::<G>(black_box(body)).expect("reads"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::from_slice::<R>(black_box(body)).expect("reads"))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("{name}_ser"));
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::to_vec(black_box(generated)).expect("writes"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::to_vec(black_box(ruma)).expect("writes"))
    });
    group.finish();
}

/// One function of `group`: `routine` timed on what `setup` makes (untimed) each time, as an
/// HTTP conversion consumes its message.
pub fn batched<I, O>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    mut setup: impl FnMut() -> I,
    mut routine: impl FnMut(I) -> O,
) {
    group.bench_function(id, |b| b.iter_batched(&mut setup, &mut routine, BatchSize::SmallInput));
}
