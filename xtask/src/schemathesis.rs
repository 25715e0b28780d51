//! `cargo xtask schemathesis`: schemathesis against the example homeserver with the project's spec.
//!
//! 1. Installs schemathesis (pinned) into a virtual environment under `target/schemathesis/`,
//!    once.
//! 2. Writes the spec as the generator reads it (`spec/registration.yaml` with the patches of
//!    `spec/codegen.toml`, every `$ref` resolved) as one OpenAPI 3.0 document,
//!    `target/schemathesis/openapi.json`.
//! 3. Builds the example homeserver and starts it on a free loopback port with a fresh database
//!    (its log goes to `target/schemathesis/homeserver.log`).
//! 4. Registers one user through UIAA with raw HTTP, so that `POST /account/password` is tested
//!    with a valid access token.
//! 5. Runs schemathesis with every check (see [`CONFIG`] for the two it narrows, and why), a
//!    fixed number of examples per operation and a fixed seed, prints its output and the number
//!    of test cases, stops the server (also on failure), and fails if schemathesis found
//!    anything.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::tools::{Guard, binary, cargo, python_package, work_dir};

/// The schemathesis release this task runs.
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Test cases per operation and phase (`--max-examples`): about a minute of testing here.
const MAX_EXAMPLES: u32 = 2000;
/// The hypothesis seed, so that a run can be reproduced.
const SEED: u64 = 20_160_630;
/// The user whose access token `POST /account/password` is tested with.
const USERNAME: &str = "schemathesis";

/// schemathesis's configuration, written to `target/schemathesis/schemathesis.toml`.
///
/// Every check runs: `[checks] enabled = true` is the config file's `--checks all` (the command
/// line option would override the per-operation settings below, so it is not given). Two checks
/// are narrowed, each where the Matrix spec lets a server answer in a way no OpenAPI document
/// can express; everything else about them stays on.
///
/// `positive_data_acceptance` (ST202: "a request that matches the schema must not get a 4xx
/// other than 401, 403, 404, 409 or 429") also accepts 400, on the three operations: the Matrix
/// spec itself documents 400 answers to requests that match the schema, for rules no JSON
/// schema can express:
/// - `POST /register`: the username grammar and whether the name is taken (400
///   `M_INVALID_USERNAME`, `M_USER_IN_USE`, which the spec says to check before UIAA),
///   `password` being required of user accounts but not of guests (400 `M_MISSING_PARAM`), and
///   an `auth.type` that is none of the offered stages (400 `M_INVALID_PARAM`; any string
///   matches the schema, and generated ones never name a stage);
/// - `POST /register/email/requestToken`: an address that is taken (400 `M_THREEPID_IN_USE`, as
///   documented) or that the server does not send mail to (the 400 error object the spec
///   documents; this server sends no mail, so every well-formed request gets it);
/// - `POST /account/password`: an `auth.type` that was not offered, an `m.login.password` dict
///   without its keys (they are `additionalProperties` in the schema) and an empty
///   `new_password` (400 `M_INVALID_PARAM`, `M_MISSING_PARAM`).
///
/// Any other rejection (413, 415, 422, ...) still fails the check.
///
/// `negative_data_rejection` (ST201: "a request that breaks the schema must not get a 2xx") is
/// off for `POST /register` only: with `?kind=guest` the Matrix spec requires the server to
/// ignore the body ("When registering a guest account, all parameters in the request body with
/// the exception of `initial_device_display_name` MUST BE ignored by the server" in r0.6.1 and
/// v1.7, see `generator/tests/fixtures/spec-bumps/`; Synapse reads nothing else), so a guest
/// registration whose body breaks the schema rightly gets 200, and OpenAPI cannot make the
/// body's schema depend on a query parameter. With `?kind=user` the check could only fail on a
/// request that completes UIAA, which generated data practically never does (it takes
/// `auth.type` = `m.login.dummy`), so little is lost there.
const CONFIG: &str = r#"# Written by `cargo xtask schemathesis`; the reasons are in xtask/src/schemathesis.rs.

# All checks (the config file's `--checks all`).
[checks]
enabled = true

# Matrix documents 400 answers to schema-valid requests (taken or invalid user names, an auth
# type that was not offered, an email address that is taken or not served, ...): accept 400
# in positive_data_acceptance, on top of schemathesis's defaults.
[[operations]]
include-name = "POST /register"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
# A guest registration must ignore the body (Matrix spec), so a body that breaks the schema
# rightly gets 200 with ?kind=guest.
checks.negative_data_rejection.enabled = false

[[operations]]
include-name = "POST /register/email/requestToken"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

[[operations]]
include-name = "POST /account/password"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
"#;

/// Runs schemathesis.
pub fn run(workspace: &Path) -> anyhow::Result<()> {
    let dir = work_dir(workspace, "schemathesis");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let schemathesis = install(&dir)?;
    let spec = export_spec(workspace, &dir)?;
    cargo(workspace, &["build", "--package", "homeserver"])?;
    let (server, address) = start_homeserver(workspace, &dir)?;
    let token = register(&address)?;
    let config = dir.join("schemathesis.toml");
    std::fs::write(&config, CONFIG).with_context(|| format!("writing {}", config.display()))?;

    let url = format!("http://{address}/_matrix/client/v3");
    let max_examples = MAX_EXAMPLES.to_string();
    let seed = SEED.to_string();
    let authorization = format!("Authorization: Bearer {token}");
    let mut command = Command::new(&schemathesis);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(&spec)
        .args(["--url", &url])
        .args(["--header", &authorization])
        .args(["--max-examples", &max_examples])
        .args(["--seed", &seed])
        // One worker: the server sees the requests in the same order each run.
        .args(["--workers", "1"])
        // Report every failure of an operation, not just its first.
        .arg("--continue-on-failure")
        // No example database: a run depends on the seed only, not on earlier runs.
        .args(["--generation-database", "none"])
        .arg("--no-color")
        .current_dir(&dir)
        .stdout(Stdio::piped());
    eprintln!(
        "running schemathesis {SCHEMATHESIS_VERSION} against {url} ({MAX_EXAMPLES} examples per operation, seed {SEED})"
    );
    let mut child = command.spawn().context("starting schemathesis")?;
    let stdout = child.stdout.take().context("schemathesis's stdout")?;
    let mut output = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading schemathesis's output")?;
        println!("{line}");
        output.push(line);
    }
    let status = child.wait().context("waiting for schemathesis")?;
    drop(server);

    match test_cases(&output) {
        Some(count) => println!("schemathesis ran {count} test cases"),
        None => println!("schemathesis printed no test case count"),
    }
    if !status.success() {
        bail!(
            "schemathesis failed ({status}); the server's log is {}",
            dir.join("homeserver.log").display()
        );
    }
    Ok(())
}

/// The schemathesis executable of the virtual environment, installed if it is not the pinned
/// version.
fn install(dir: &Path) -> anyhow::Result<PathBuf> {
    let requirement = format!("schemathesis=={SCHEMATHESIS_VERSION}");
    let bin = python_package(&dir.join("venv"), "schemathesis", &requirement, |version| {
        version == SCHEMATHESIS_VERSION
    })?;
    Ok(bin.join("schemathesis"))
}

/// Writes the spec as the generator reads it (patched, refs resolved) as one OpenAPI 3.0 JSON
/// document; its path.
fn export_spec(workspace: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let options = generator::Options {
        specs: vec![workspace.join("spec/registration.yaml")],
        root: None,
        config: None,
    };
    let openapi = generator::resolved_openapi(&options).map_err(|e| anyhow::anyhow!("{e}"))?;
    let json = serde_json::to_string_pretty(&openapi).context("serializing the OpenAPI document")?;
    let file = dir.join("openapi.json");
    std::fs::write(&file, json).with_context(|| format!("writing {}", file.display()))?;
    Ok(file)
}

/// Whether the homeserver binary takes `flag` (it exits 0 on `FLAG --help` then, and 2 on an
/// unknown argument). Hidden flags are found too.
fn takes_flag(binary: &Path, flag: &str) -> bool {
    Command::new(binary)
        .args([flag, "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Starts the example homeserver on a free loopback port with a fresh database; its guard and
/// address.
fn start_homeserver(workspace: &Path, dir: &Path) -> anyhow::Result<(Guard, String)> {
    let binary = binary(workspace, "debug", "homeserver");
    let database = dir.join("homeserver.db");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = PathBuf::from(format!("{}{suffix}", database.display()));
        match std::fs::remove_file(&file) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("removing {}", file.display()));
            }
            _ => {}
        }
    }
    let mut command = Command::new(&binary);
    command
        .args(["--listen", "127.0.0.1:0", "--server-name", "localhost", "--database"])
        .arg(&database)
        // Hashing at full cost would make every registration take the better part of a second.
        .arg("--insecure-fast-hashing");
    // Registration is rate-limited (where the server has a limit): schemathesis registers
    // hundreds of accounts a minute on purpose.
    if takes_flag(&binary, "--no-rate-limit") {
        command.arg("--no-rate-limit");
    } else {
        eprintln!("the homeserver has no --no-rate-limit flag; running it with its defaults");
    }
    let log_file = dir.join("homeserver.log");
    let log = std::fs::File::create(&log_file).with_context(|| format!("creating {}", log_file.display()))?;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .context("starting the example homeserver")?;
    let stdout = child.stdout.take().context("the homeserver's stdout")?;
    let guard = Guard::new("homeserver", child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("reading the homeserver's stdout")?;
    let Some(address) = line.trim().strip_prefix("listening on ") else {
        bail!(
            "the homeserver did not say where it listens; see {}",
            log_file.display()
        );
    };
    eprintln!("the example homeserver is up on {address}");
    Ok((guard, address.to_owned()))
}

/// Registers [`USERNAME`] through UIAA (`m.login.dummy`); its access token.
fn register(address: &str) -> anyhow::Result<String> {
    let path = "/_matrix/client/v3/register";
    let password = format!("{USERNAME}-password");
    let (status, challenge) = post_json(address, path, &json!({"username": USERNAME, "password": password}))?;
    let Some(session) = challenge
        .get("session")
        .and_then(Value::as_str)
        .filter(|_| status == 401)
    else {
        bail!("registering {USERNAME}: expected 401 with a session, got {status} {challenge}");
    };
    let body = json!({
        "username": USERNAME,
        "password": password,
        "auth": {"type": "m.login.dummy", "session": session},
    });
    let (status, registered) = post_json(address, path, &body)?;
    let Some(token) = registered
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|_| status == 200)
    else {
        bail!("registering {USERNAME}: expected 200 with an access token, got {status}");
    };
    eprintln!("registered {}", registered["user_id"]);
    Ok(token.to_owned())
}

/// Sends `POST path` with a JSON body over plain HTTP/1.0 (the server closes the connection
/// after the response, without chunked encoding); the status and the JSON body.
fn post_json(address: &str, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let body = body.to_string();
    let mut stream = TcpStream::connect(address).with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request = format!(
        "POST {path} HTTP/1.0\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .with_context(|| format!("reading the answer to POST {path}"))?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .with_context(|| format!("POST {path}: an answer without a blank line after the headers"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("POST {path}: no status in {head:?}"))?;
    let json = serde_json::from_str(body).with_context(|| format!("POST {path}: the body is not JSON: {body:?}"))?;
    Ok((status, json))
}

/// The number of test cases in schemathesis's summary (`  760 generated, ...` after
/// `Test cases:`).
fn test_cases(output: &[String]) -> Option<u64> {
    let at = output.iter().position(|line| line.trim() == "Test cases:")?;
    let line = output.get(at + 1)?.trim();
    line.strip_suffix("generated")
        .or_else(|| line.split_once(" generated").map(|(n, _)| n))?
        .trim()
        .parse()
        .ok()
}
