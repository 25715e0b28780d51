//! The codegen benchmark's report: everything it measured, and the lines it prints (which
//! BENCHMARKS.md quotes).

use std::path::Path;

use super::analysis::{Comparison, Growth, Targets};
use super::machine::Machine;
use super::peer::PeerStatus;
use super::runs::{Row, Tool};
use super::specs::SpecInfo;
use super::{
    BUILD, LINEAR_FACTOR, OPENAPI_GENERATOR_TARGET, OPENAPI_GENERATOR_VERSION, RATIO_TARGET, SEED_TARGET_MS,
    WHOLE_API_CRATE, WHOLE_API_TARGET_MIB, WHOLE_API_TARGET_MS, display, ms,
};

/// Everything the codegen benchmark measured, for printing and for BENCHMARKS.md.
#[derive(Debug, Clone)]
pub struct CodegenReport {
    /// `--quick`: fewer runs, no 100×.
    pub quick: bool,
    /// Counted runs per measurement (each after one warm-up run).
    pub runs: usize,
    /// The machine the numbers come from.
    pub machine: Machine,
    /// The commands used.
    pub commands: Commands,
    /// `ru_maxrss` of `true` spawned the same way (KiB): no peak below it can be seen.
    pub spawn_floor_kib: u64,
    /// The specs measured, seed first.
    pub specs: Vec<SpecInfo>,
    /// One row per tool and spec: ours on every spec, then openapi-generator where it ran.
    pub rows: Vec<Row>,
    /// Whether openapi-generator ran, or why not.
    pub openapi_generator: PeerStatus,
    /// openapi-generator / ours, per spec both ran on.
    pub comparisons: Vec<Comparison>,
    /// How our time per operation grows with the spec.
    pub growth: Growth,
    /// The project's targets.
    pub targets: Targets,
    /// Anything else worth knowing (config entries the synthesizer dropped, a failed peer run).
    pub notes: Vec<String>,
}

/// The commands, with `SPEC` and `OUT` for what changes per row.
#[derive(Debug, Clone)]
pub struct Commands {
    /// How the measured binary is built.
    pub build: String,
    /// Our generator.
    pub ours: String,
    /// How openapi-generator is installed.
    pub openapi_generator_install: String,
    /// openapi-generator.
    pub openapi_generator: String,
    /// Where the synthetic specs come from.
    pub synth: String,
}

/// The commands, paths relative to the workspace.
pub(super) fn commands(workspace: &Path, bench: &Path, binary: &Path) -> Commands {
    let rel = |path: &Path| display(workspace, path);
    Commands {
        build: format!("cargo {}", BUILD.join(" ")),
        ours: format!("{} codegen --spec SPEC [--root ROOT] --out OUT", rel(binary)),
        openapi_generator_install: format!(
            "python3 -m venv {venv} && {venv}/bin/python -m pip install openapi-generator-cli=={OPENAPI_GENERATOR_VERSION}",
            venv = rel(&bench.join("venv"))
        ),
        openapi_generator: format!(
            "{} generate -i SPEC -g {OPENAPI_GENERATOR_TARGET} -o OUT",
            rel(&bench.join("venv/bin/openapi-generator-cli"))
        ),
        synth: format!(
            "xtask/src/bench/synth.rs: N copies of spec/ into {}/scale-N/",
            rel(&bench.join("specs"))
        ),
    }
}

impl CodegenReport {
    /// The report as printed lines.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = self.setup_lines();
        lines.push(String::new());
        lines.extend(self.table_lines());
        lines.push(String::new());
        lines.extend(self.comparison_lines());
        lines.extend(self.growth_lines());
        lines.extend(self.target_lines());
        for note in &self.notes {
            lines.push(format!("note: {note}"));
        }
        lines
    }

    /// How the numbers were taken: runs, machine, commands, memory floor.
    fn setup_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let m = &self.machine;
        lines.push(format!(
            "codegen speed ({}): {} runs per row after 1 warm-up, each into a fresh empty folder; median [min - max]",
            if self.quick { "quick" } else { "full" },
            self.runs
        ));
        lines.push(format!(
            "machine: {}, {} cores, {:.1} GiB, Linux {}, {}, {}",
            m.cpu,
            m.cores,
            m.memory_kib as f64 / 1024.0 / 1024.0,
            m.kernel,
            m.rustc,
            m.java.as_deref().unwrap_or("no Java")
        ));
        lines.push(format!(
            "load average before {} / after {}: the cores are shared with other builds, so the numbers are noisy",
            m.load_before, m.load_after
        ));
        lines.push(format!("build: {}", self.commands.build));
        lines.push(format!("ours: {}", self.commands.ours));
        match &self.openapi_generator {
            PeerStatus::Ran { version } => {
                lines.push(format!(
                    "openapi-generator {version}: {}",
                    self.commands.openapi_generator
                ));
                lines.push(format!("  installed with: {}", self.commands.openapi_generator_install));
            }
            PeerStatus::Skipped { reason } => lines.push(reason.clone()),
        }
        lines.push(format!("specs: {}", self.commands.synth));
        for spec in self.specs.iter().filter(|s| !s.single_file()) {
            lines.push(format!(
                "  {}: the whole API, {} entry files in {} (root {}), as `cargo xtask codegen` makes {WHOLE_API_CRATE}/; openapi-generator reads one entry file, so it has no row",
                spec.label,
                spec.entry_files,
                spec.entry,
                spec.root.as_deref().unwrap_or(&spec.entry)
            ));
        }
        lines.push("cpu ms: user and system time of every thread (median); wall ms is what a person waits".to_owned());
        lines.push(format!(
            "peak memory: ru_maxrss from wait4 of a child forked by a fresh `{}`; floor ({}) {:.1} MiB, every peak above it is exact",
            "xtask measure",
            "`xtask measure -- true`",
            self.spawn_floor_kib as f64 / 1024.0
        ));
        lines
    }

    /// The table: a header, then one line per row.
    fn table_lines(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "{:<18} {:>5} {:>6} {:>7} {:>8} {:>28} {:>9} {:>11} {:>9} {:>6} {:>9}",
            "tool",
            "spec",
            "ops",
            "schemas",
            "spec KiB",
            "wall ms",
            "cpu ms",
            "per op ms",
            "peak MiB",
            "files",
            "out KiB"
        )];
        for row in &self.rows {
            let spec = self.specs.iter().find(|s| s.label == row.spec);
            lines.push(format!(
                "{:<18} {:>5} {:>6} {:>7} {:>8.1} {:>28} {:>9.1} {:>11.4} {:>9.1} {:>6} {:>9.1}",
                row.tool.name(),
                row.spec,
                row.operations,
                spec.map_or(0, |s| s.schema_files),
                spec.map_or(0, |s| s.bytes) as f64 / 1024.0,
                format!(
                    "{:.2} [{:.2} - {:.2}]",
                    ms(row.wall.median),
                    ms(row.wall.min),
                    ms(row.wall.max)
                ),
                ms(row.cpu.median),
                ms(row.per_operation),
                row.peak_rss_kib.median as f64 / 1024.0,
                row.output_files,
                row.output_bytes as f64 / 1024.0
            ));
        }
        lines
    }

    /// openapi-generator against ours, one line per spec both ran on.
    fn comparison_lines(&self) -> Vec<String> {
        self.comparisons
            .iter()
            .map(|c| {
                format!(
                    "openapi-generator / ours on {}: {:.0}x the wall time ({:.1} ms vs {:.2} ms; per operation {:.2} ms vs {:.4} ms), {:.1}x the peak memory",
                    c.spec,
                    c.ratio,
                    ms(c.openapi_generator),
                    ms(c.ours),
                    ms(c.openapi_generator_per_operation),
                    ms(c.ours_per_operation),
                    c.memory_ratio
                )
            })
            .collect()
    }

    /// How our time per operation grows with the spec.
    fn growth_lines(&self) -> Vec<String> {
        let g = &self.growth;
        let steps: Vec<String> = g
            .per_operation
            .iter()
            .map(|(label, per_op, factor)| format!("{label} {:.4} ms ({factor:.2}x)", ms(*per_op)))
            .collect();
        let mut lines = vec![format!(
            "ours, time per operation by size (factor over 1x): {}",
            steps.join(", ")
        )];
        if let Some(marginal) = g.marginal_per_operation {
            lines.push(format!(
                "ours, cost of one more operation between the two largest sizes: {:.4} ms",
                ms(marginal)
            ));
        }
        lines.push(format!(
            "growth: {} (largest size {:.2}x the per-operation time of 1x; linear means at most {LINEAR_FACTOR}x)",
            if g.linear { "linear" } else { "NOT linear" },
            g.worst_factor
        ));
        lines
    }

    /// The project's targets, met or not.
    fn target_lines(&self) -> Vec<String> {
        let t = &self.targets;
        let mut lines = vec![
            format!(
                "target: seed under {SEED_TARGET_MS} ms: {} ({:.2} ms)",
                met(t.seed_under_target),
                ms(t.seed_median)
            ),
            match (t.seed_ratio, t.ratio_met) {
                (Some(ratio), Some(ok)) => format!(
                    "target: at least {RATIO_TARGET}x faster than openapi-generator on the seed: {} ({ratio:.0}x)",
                    met(ok)
                ),
                _ => {
                    format!("target: at least {RATIO_TARGET}x faster than openapi-generator on the seed: not measured")
                }
            },
        ];
        lines.extend(self.whole_api_lines());
        lines
    }

    /// The whole API's targets, and its time per operation next to the synthetic specs'.
    fn whole_api_lines(&self) -> Vec<String> {
        let Some((label, wall, cpu, peak_kib)) = &self.targets.whole_api else {
            return vec!["target: the whole API: not measured".to_owned()];
        };
        let peak_mib = *peak_kib as f64 / 1024.0;
        let mut lines = vec![
            format!(
                "target: whole {label} API in at most {WHOLE_API_TARGET_MS} ms: {} ({:.1} ms wall, {:.1} ms cpu)",
                met(ms(*wall) <= WHOLE_API_TARGET_MS),
                ms(*wall),
                ms(*cpu)
            ),
            format!(
                "target: whole {label} API in at most {WHOLE_API_TARGET_MIB} MiB peak: {} ({peak_mib:.1} MiB)",
                met(peak_mib <= WHOLE_API_TARGET_MIB)
            ),
        ];
        let ours = |spec: &str| self.rows.iter().find(|r| r.tool == Tool::Ours && r.spec == spec);
        let largest = self.growth.per_operation.last().and_then(|(spec, _, _)| ours(spec));
        if let (Some(whole), Some(largest)) = (ours(label), largest) {
            lines.push(format!(
                "ours on {label}: {:.4} ms per operation, {:.2}x the {:.4} ms of {} (the rate of {} would make {:.0} ms)",
                ms(whole.per_operation),
                whole.per_operation.as_secs_f64() / largest.per_operation.as_secs_f64().max(f64::MIN_POSITIVE),
                ms(largest.per_operation),
                largest.spec,
                largest.spec,
                ms(largest.per_operation) * whole.operations as f64
            ));
        }
        lines
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}
