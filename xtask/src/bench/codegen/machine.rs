//! The machine the numbers come from: CPU, memory, kernel, toolchains and load average.

use std::process::Command;

use super::peer::java_version;

/// The machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical processors (`processor` entries of `/proc/cpuinfo`).
    pub cores: usize,
    /// `MemTotal` of `/proc/meminfo`, in KiB.
    pub memory_kib: u64,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// First line of `java -version`, if Java is there.
    pub java: Option<String>,
    /// `/proc/loadavg` (1, 5, 15 minutes) before the first measurement.
    pub load_before: String,
    /// `/proc/loadavg` after the last measurement.
    pub load_after: String,
}

pub(super) fn machine(java: bool, load_before: String, load_after: String) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let processors = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let cores = if processors > 0 {
        processors
    } else {
        std::thread::available_parallelism().map_or(0, usize::from)
    };
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "rustc unknown".to_owned());
    Machine {
        cpu,
        cores,
        memory_kib,
        kernel,
        rustc,
        java: if java { java_version() } else { None },
        load_before,
        load_after,
    }
}

pub(super) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
