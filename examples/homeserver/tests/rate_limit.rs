//! The registration rate limit of the `homeserver` binary over real connections: the binary
//! serves with each connection's peer address, so its limit applies per client address.

mod common;

use std::time::Duration;

use common::ServerProcess;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// POSTs `body` to `/_matrix/client/{version}/{path}`; status, `Retry-After` and JSON body.
async fn post(
    client: &reqwest::Client,
    server: &ServerProcess,
    path: &str,
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let response = client
        .post(format!("{}/_matrix/client/{path}", server.base))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .map(|value| value.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap())
}

fn registration() -> Value {
    json!({"username": "alice", "password": "pw-Secret-1"})
}

#[tokio::test]
async fn over_the_limit_registration_is_429_until_retry_after_ms_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let (database, log) = (dir.path().join("hs.db"), dir.path().join("hs.log"));
    let args = ["--register-rate-per-second", "0.5", "--register-burst", "3"]; // a token every 2 s
    let server = ServerProcess::start_with(&database, &log, &args, common::DEFAULT_LOG_FILTER);
    let client = reqwest::Client::new();

    for path in ["v3/register", "r0/register", "v3/register"] {
        let (status, _, body) = post(&client, &server, path, &registration()).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let (status, retry_after, body) = post(&client, &server, "r0/register", &registration()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errcode"], "M_LIMIT_EXCEEDED");
    assert!(body["error"].is_string(), "{body}");
    let retry_after_ms = body["retry_after_ms"].as_u64().unwrap();
    assert!((1..=2000).contains(&retry_after_ms), "{body}");
    let seconds = retry_after_ms.div_ceil(1000).to_string();
    assert_eq!(retry_after.as_deref(), Some(seconds.as_str()));

    // Other endpoints are not limited.
    let email = json!({"client_secret": "cs", "email": "a@example.org", "send_attempt": 1});
    let (status, _, body) = post(&client, &server, "v3/register/email/requestToken", &email).await;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = post(&client, &server, "v3/account/password", &json!({"new_password": "x"})).await;
    assert_eq!(status, 401, "{body}");

    tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
    let (status, _, body) = post(&client, &server, "v3/register", &registration()).await;
    assert_eq!(status, 401, "after retry_after_ms: {body}");

    // Another address has its own bucket. Linux routes all of 127.0.0.0/8 to loopback.
    if cfg!(target_os = "linux") {
        let other = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
            .build()
            .unwrap();
        for _ in 0..3 {
            let (status, _, body) = post(&other, &server, "v3/register", &registration()).await;
            assert_eq!(status, 401, "127.0.0.2 is not limited by 127.0.0.1: {body}");
        }
        let (status, _, _) = post(&other, &server, "v3/register", &registration()).await;
        assert_eq!(status, 429);
    }
    let log_text = server.log_text();
    server.stop();
    assert!(log_text.contains("registration rate-limited"), "{log_text}");
    assert!(
        log_text.contains("status=429"),
        "429s are in the request log: {log_text}"
    );
}

#[tokio::test]
async fn no_rate_limit_turns_the_limit_off() {
    let dir = tempfile::tempdir().unwrap();
    let (database, log) = (dir.path().join("hs.db"), dir.path().join("hs.log"));
    let server = ServerProcess::start_with(&database, &log, &["--no-rate-limit"], common::DEFAULT_LOG_FILTER);
    let client = reqwest::Client::new();
    for i in 0..40 {
        let (status, _, body) = post(&client, &server, "v3/register", &registration()).await;
        assert_eq!(status, 401, "request {i}: {body}");
    }
    let log_text = server.log_text();
    server.stop();
    assert!(log_text.contains("not rate-limited"), "{log_text}");
}
