//! What the rows add up to: openapi-generator against ours, how our time per operation grows
//! with the spec, and the project's targets.

use std::time::Duration;

use anyhow::Context;

use super::runs::{Row, Tool};
use super::specs::SpecInfo;
use super::{LINEAR_FACTOR, RATIO_TARGET, SEED_TARGET_MS, ms};

/// openapi-generator against ours on one spec.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The spec's label.
    pub spec: String,
    /// Our median wall time.
    pub ours: Duration,
    /// openapi-generator's median wall time.
    pub openapi_generator: Duration,
    /// openapi-generator's median / ours.
    pub ratio: f64,
    /// Our median time per operation.
    pub ours_per_operation: Duration,
    /// openapi-generator's median time per operation.
    pub openapi_generator_per_operation: Duration,
    /// openapi-generator's median peak memory / ours.
    pub memory_ratio: f64,
}

/// How our time per operation grows with the spec's size.
#[derive(Debug, Clone)]
pub struct Growth {
    /// Per synthetic size: label, median time per operation, and its factor over 1×.
    pub per_operation: Vec<(String, Duration, f64)>,
    /// The cost of one more operation between the two largest sizes ((t_b - t_a) / (ops_b - ops_a)),
    /// free of the fixed cost of starting a process.
    pub marginal_per_operation: Option<Duration>,
    /// The factor of the largest size over 1×.
    pub worst_factor: f64,
    /// `worst_factor` is at most [`LINEAR_FACTOR`].
    pub linear: bool,
}

/// The project's targets.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Our median on the seed.
    pub seed_median: Duration,
    /// It is under [`SEED_TARGET_MS`].
    pub seed_under_target: bool,
    /// openapi-generator / ours on the seed, if openapi-generator ran.
    pub seed_ratio: Option<f64>,
    /// The ratio is at least [`RATIO_TARGET`].
    pub ratio_met: Option<bool>,
    /// The whole API's row: label, median wall time, median CPU time, median peak (KiB).
    pub whole_api: Option<(String, Duration, Duration, u64)>,
}

pub(super) fn compare(rows: &[Row]) -> Vec<Comparison> {
    rows.iter()
        .filter(|r| r.tool == Tool::OpenapiGenerator)
        .filter_map(|peer| {
            let ours = rows.iter().find(|r| r.tool == Tool::Ours && r.spec == peer.spec)?;
            Some(Comparison {
                spec: peer.spec.clone(),
                ours: ours.wall.median,
                openapi_generator: peer.wall.median,
                ratio: peer.wall.median.as_secs_f64() / ours.wall.median.as_secs_f64().max(f64::MIN_POSITIVE),
                ours_per_operation: ours.per_operation,
                openapi_generator_per_operation: peer.per_operation,
                memory_ratio: peer.peak_rss_kib.median as f64 / ours.peak_rss_kib.median.max(1) as f64,
            })
        })
        .collect()
}

pub(super) fn growth(rows: &[Row], specs: &[SpecInfo]) -> Growth {
    let ours: Vec<&Row> = specs
        .iter()
        .filter(|s| s.scale.is_some())
        .filter_map(|s| rows.iter().find(|r| r.tool == Tool::Ours && r.spec == s.label))
        .collect();
    let base = ours.first().map_or(0.0, |r| r.per_operation.as_secs_f64());
    let factor = |r: &Row| r.per_operation.as_secs_f64() / base.max(f64::MIN_POSITIVE);
    let per_operation: Vec<(String, Duration, f64)> = ours
        .iter()
        .map(|r| (r.spec.clone(), r.per_operation, factor(r)))
        .collect();
    let marginal_per_operation = match ours.as_slice() {
        [.., a, b] if b.operations > a.operations => {
            let extra = u32::try_from(b.operations - a.operations).unwrap_or(u32::MAX);
            Some(b.wall.median.saturating_sub(a.wall.median) / extra)
        }
        _ => None,
    };
    let worst_factor = ours.last().map_or(1.0, |r| factor(r));
    Growth {
        per_operation,
        marginal_per_operation,
        worst_factor,
        linear: worst_factor <= LINEAR_FACTOR,
    }
}

pub(super) fn targets(rows: &[Row], specs: &[SpecInfo], comparisons: &[Comparison]) -> anyhow::Result<Targets> {
    let seed = rows
        .iter()
        .find(|r| r.tool == Tool::Ours && r.spec == "seed")
        .context("no measurement on the seed")?;
    let seed_ratio = comparisons.iter().find(|c| c.spec == "seed").map(|c| c.ratio);
    let whole_api = specs
        .iter()
        .filter(|s| !s.single_file())
        .find_map(|s| rows.iter().find(|r| r.tool == Tool::Ours && r.spec == s.label))
        .map(|r| (r.spec.clone(), r.wall.median, r.cpu.median, r.peak_rss_kib.median));
    Ok(Targets {
        seed_median: seed.wall.median,
        seed_under_target: ms(seed.wall.median) < SEED_TARGET_MS,
        seed_ratio,
        ratio_met: seed_ratio.map(|r| r >= RATIO_TARGET),
        whole_api,
    })
}
