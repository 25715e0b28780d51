//! `cargo xtask interop`: the generated client against a real Synapse and the example
//! homeserver, both on loopback. Synapse is installed from PyPI into a virtual environment under
//! `target/interop/`, configured for plain HTTP, SQLite and open registration, started, waited
//! for, and stopped by its process id, also when the scenario fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::tools::{Guard, binary, cargo, python_package, start_homeserver, work_dir};

/// The Synapse the interop suite runs: the release the recorded exchanges come from.
const SYNAPSE: &str = "matrix-synapse~=1.163.0";

/// The versions [`SYNAPSE`] allows.
const SYNAPSE_SERIES: &str = "1.163.";

/// Runs the scenario against Synapse and the example homeserver and prints the summary.
pub fn run(workspace: &Path) -> anyhow::Result<()> {
    let dir = work_dir(workspace, "interop");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    cargo(
        workspace,
        &["build", "-p", "homeserver", "-p", "interop", "-p", "interop-session"],
    )?;
    let python = install_synapse(&dir)?;
    let synapse_port = free_port()?;
    let synapse = start_synapse(&python, &dir.join("synapse"), synapse_port)?;
    let homeserver = start_homeserver(workspace, &dir, &[])?;
    let mut summary = Vec::new();
    let synapse_url = format!("http://127.0.0.1:{synapse_port}");
    for (name, url) in [("synapse", synapse_url.clone()), ("homeserver", homeserver.1.clone())] {
        summary.extend(scenario(workspace, "interop", name, &url)?);
    }
    // The whole session (interop/session) with the Client-Server client, on the same Synapse.
    let session = scenario(workspace, "interop-session", "synapse", &synapse_url)?;
    drop(homeserver);
    drop(synapse);
    println!("\ninterop summary (server, path version, step, answer seen):");
    for line in &summary {
        println!("{line}");
    }
    println!("interop passed: {} steps", summary.len());
    println!("\nsession interop summary (server, operation, step, answer seen):");
    for line in &session {
        println!("{line}");
    }
    Ok(())
}

/// The virtual environment's python, with Synapse installed (once).
fn install_synapse(dir: &Path) -> anyhow::Result<PathBuf> {
    let bin = python_package(&dir.join("synapse-venv"), "matrix-synapse", SYNAPSE, |version| {
        version.starts_with(SYNAPSE_SERIES)
    })?;
    Ok(bin.join("python"))
}

/// A port that was free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_synapse(python: &Path, dir: &Path, port: u16) -> anyhow::Result<Guard> {
    // A fresh database each run; the venv is kept.
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let config = dir.join("homeserver.yaml");
    std::fs::write(&config, synapse_config(dir, port))?;
    std::fs::write(dir.join("log.config"), log_config(dir))?;
    let status = Command::new(python)
        .args(["-m", "synapse.app.homeserver", "--config-path"])
        .arg(&config)
        .arg("--generate-keys")
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("synapse --generate-keys failed");
    }
    let log = std::fs::File::create(dir.join("stdout.log"))?;
    let child = Command::new(python)
        .args(["-m", "synapse.app.homeserver", "--config-path"])
        .arg(&config)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting synapse")?;
    let guard = Guard::new("synapse", child);
    let started = Instant::now();
    while !healthy(port) {
        if started.elapsed() > Duration::from_secs(90) {
            bail!(
                "synapse did not answer /health within 90 s; see {}",
                dir.join("homeserver.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!(
        "synapse is up on port {port} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(guard)
}

/// Whether `GET /health` answers 200.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")
}

fn synapse_config(dir: &Path, port: u16) -> String {
    let dir = dir.display();
    format!(
        r#"server_name: "localhost"
pid_file: {dir}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: {dir}/homeserver.db
log_config: {dir}/log.config
media_store_path: {dir}/media_store
signing_key_path: {dir}/signing.key
registration_shared_secret: "interop-only"
macaroon_secret_key: "interop-only-macaroon"
form_secret: "interop-only-form"
enable_registration: true
enable_registration_without_verification: true
allow_guest_access: true
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
"#
    )
}

fn log_config(dir: &Path) -> String {
    format!(
        "version: 1\nformatters:\n  precise:\n    format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'\n\
         handlers:\n  file:\n    class: logging.FileHandler\n    formatter: precise\n    filename: {}/homeserver.log\n\
         root:\n  level: INFO\n  handlers: [file]\ndisable_existing_loggers: false\n",
        dir.display()
    )
}

/// Runs a scenario binary (`interop`, `interop-session`) against one server; its summary lines.
fn scenario(workspace: &Path, program: &str, name: &str, url: &str) -> anyhow::Result<Vec<String>> {
    let output = Command::new(binary(workspace, "debug", program))
        .args(["--server", url, "--name", name])
        .output()
        .context("running the interop scenario")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "{program} failed against {name} after these steps:\n{}\n{}",
            stdout.trim_end(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(stdout.lines().map(str::to_owned).collect())
}
