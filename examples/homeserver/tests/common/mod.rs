//! The `homeserver` binary as a child process, shared by the integration tests.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `RUST_LOG` of [`ServerProcess::start`].
pub const DEFAULT_LOG_FILTER: &str = "info,homeserver=debug,matrix_registration=debug";

/// A running `homeserver` process; dropping it kills the process (and, if the test is failing,
/// prints its log).
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts the binary on `database`, appending its log to `log`, and waits for its
    /// `listening on` line.
    pub fn start(database: &Path, log: &Path) -> Self {
        Self::start_with(database, log, &[], DEFAULT_LOG_FILTER)
    }

    /// [`ServerProcess::start`] with more command-line arguments and another `RUST_LOG`.
    pub fn start_with(database: &Path, log: &Path, extra_args: &[&str], rust_log: &str) -> Self {
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_homeserver"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--server-name",
                "localhost",
                "--insecure-fast-hashing",
            ])
            .arg("--database")
            .arg(database)
            .args(extra_args)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut server = Self {
            child,
            base: String::new(),
            log: log.to_owned(),
        };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(address) = line.trim_end().strip_prefix("listening on ") else {
            panic!("unexpected first line {line:?}");
        };
        server.base = format!("http://{address}");
        server
    }

    /// Stops the server with SIGTERM and checks it shuts down gracefully (exit 0) in time.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "the server exited with {status} after SIGTERM");
    }

    /// Everything the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- homeserver log ---\n{}", self.log_text());
        }
    }
}
