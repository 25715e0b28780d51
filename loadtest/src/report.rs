//! What one phase found: labelled numbers (rows) and pass/fail checks, written as JSON for
//! `cargo xtask load` and printed for people.

use std::fmt::Display;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::json;

/// One check: its name, whether it passed, and what was seen.
#[derive(Debug)]
pub struct Check {
    name: String,
    passed: bool,
    detail: String,
}

/// The rows and checks of one phase.
#[derive(Debug)]
pub struct Report {
    phase: &'static str,
    rows: Vec<(String, String)>,
    checks: Vec<Check>,
}

impl Report {
    /// An empty report of `phase` (`load`, `kill`, `restart`).
    pub fn new(phase: &'static str) -> Self {
        Self {
            phase,
            rows: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Adds a labelled value.
    pub fn row(&mut self, label: impl Into<String>, value: impl Display) {
        self.rows.push((label.into(), value.to_string()));
    }

    /// Adds a check.
    pub fn check(&mut self, name: impl Into<String>, passed: bool, detail: impl Display) {
        self.checks.push(Check {
            name: name.into(),
            passed,
            detail: detail.to_string(),
        });
    }

    /// Adds the check that `seen` is `expected`, both shown.
    pub fn check_eq(&mut self, name: impl Into<String>, seen: usize, expected: usize) {
        self.check(name, seen == expected, format!("{seen} (expected {expected})"));
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// The report as JSON: `{phase, rows: [[label, value]], checks: [{name, passed, detail}]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let checks: Vec<_> = self
            .checks
            .iter()
            .map(|c| json!({ "name": c.name, "passed": c.passed, "detail": c.detail }))
            .collect();
        json!({ "phase": self.phase, "rows": self.rows, "checks": checks })
    }

    /// Writes the JSON report to `path`.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(&self.to_json())?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// The report for people, one line per row and check.
    pub fn text(&self) -> String {
        let width = self.rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
        let mut out = format!("[{}]\n", self.phase);
        for (label, value) in &self.rows {
            out.push_str(&format!("  {label:<width$}  {value}\n"));
        }
        for check in &self.checks {
            let verdict = if check.passed { "PASS" } else { "FAIL" };
            out.push_str(&format!("  {verdict} {}: {}\n", check.name, check.detail));
        }
        out
    }
}

/// p50, p99 and max of `samples`, in milliseconds (`-` when there are none).
pub fn percentiles(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "-".to_owned();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = |p: f64| {
        // Nearest rank: the smallest sample with at least p of the samples at or below it.
        let n = sorted.len() as f64;
        let index = ((p * n).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    format!(
        "p50 {} / p99 {} / max {} ms (n={})",
        ms(rank(0.50)),
        ms(rank(0.99)),
        ms(rank(1.0)),
        sorted.len()
    )
}

/// A duration in milliseconds with one decimal.
pub fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// `count / seconds`, with one decimal.
pub fn rate(count: usize, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return "-".to_owned();
    }
    format!("{:.1}", count as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(percentiles(&samples), "p50 50.0 / p99 99.0 / max 100.0 ms (n=100)");
        assert_eq!(
            percentiles(&[Duration::from_millis(7)]),
            "p50 7.0 / p99 7.0 / max 7.0 ms (n=1)"
        );
        assert_eq!(percentiles(&[]), "-");
    }

    #[test]
    fn a_report_fails_when_one_check_fails() {
        let mut report = Report::new("load");
        report.row("registrations", 3);
        report.check_eq("all answered", 3, 3);
        assert!(report.passed());
        report.check_eq("no 5xx", 1, 0);
        assert!(!report.passed());
        let json = report.to_json();
        assert_eq!(json["rows"][0][1], "3");
        assert_eq!(json["checks"][1]["passed"], false);
        assert!(report.text().contains("FAIL no 5xx: 1 (expected 0)"));
    }
}
