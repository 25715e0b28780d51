//! End-to-end test of the `homeserver` binary over raw HTTP: registration through UIAA, the
//! refusals, guests, password change, email token requests, and a restart on the same
//! database, under both `/_matrix/client/r0` and `/_matrix/client/v3`.
//!
//! Requests are JSON written by hand and sent with reqwest, so this checks the wire format, not
//! the generated types. Each test runs its own server process (`--listen 127.0.0.1:0`, a
//! temporary database, `--insecure-fast-hashing`), killed by a guard even when the test fails.

mod common;

use std::path::Path;

use common::ServerProcess;
use homeserver::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

const FIRST_PASSWORD: &str = "first-Secret-4711";
const SECOND_PASSWORD: &str = "second-Secret-4712";
const THIRD_PASSWORD: &str = "third-Secret-4713";
const WRONG_PASSWORD: &str = "wrong-Secret-4714";

/// A client of one server under one prefix (`r0` or `v3`).
struct Api {
    client: reqwest::Client,
    /// `http://127.0.0.1:PORT/_matrix/client/PREFIX`.
    base: String,
}

impl Api {
    fn new(server: &ServerProcess, prefix: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: format!("{}/_matrix/client/{prefix}", server.base),
        }
    }

    /// POSTs `body` to `path` (with its query), with a bearer token if given; returns the
    /// status and the JSON answer.
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body = response.json::<Value>().await.unwrap();
        (status, body)
    }
}

/// Asserts a Matrix error answer.
fn assert_error((status, body): &(StatusCode, Value), expected_status: u16, errcode: &str) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["errcode"], errcode, "{body}");
}

fn session_of(body: &Value) -> String {
    body["session"]
        .as_str()
        .unwrap_or_else(|| panic!("no session in {body}"))
        .to_owned()
}

/// The password-change body for `user` with `password`, in the session of `session`'s answer.
fn password_auth(session: &str, user: &str, password: &str, new_password: &str) -> Value {
    json!({
        "new_password": new_password,
        "auth": {
            "type": "m.login.password",
            "session": session,
            "identifier": {"type": "m.id.user", "user": user},
            "password": password
        }
    })
}

/// Registers `username` through the dummy stage; returns the 200 body.
async fn register(api: &Api, username: &str, secrets: &mut Vec<String>) -> Value {
    let (status, body) = api
        .post(
            "/register",
            None,
            json!({"username": username, "password": FIRST_PASSWORD}),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.dummy"]}]));
    assert_eq!(body["params"], json!({}));
    let session = session_of(&body);
    secrets.push(session.clone());

    let request = json!({
        "username": username,
        "password": FIRST_PASSWORD,
        "auth": {"type": "m.login.dummy", "session": session}
    });
    let (status, body) = api.post("/register", None, request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], format!("@{username}:localhost"));
    assert_eq!(body["home_server"], "localhost");
    assert!(body["device_id"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    secrets.push(body["access_token"].as_str().unwrap().to_owned());
    body
}

/// Duplicate, invalid names, guests and unknown kinds.
async fn registration_refusals(api: &Api, username: &str) {
    let taken = api
        .post(
            "/register",
            None,
            json!({"username": username, "password": FIRST_PASSWORD}),
        )
        .await;
    assert_error(&taken, 400, "M_USER_IN_USE");
    let invalid = api
        .post(
            "/register",
            None,
            json!({"username": "Bad Name!", "password": FIRST_PASSWORD}),
        )
        .await;
    assert_error(&invalid, 400, "M_INVALID_USERNAME");
    let (status, guest) = api.post("/register?kind=guest", None, json!({})).await;
    assert_eq!(status, 200, "{guest}");
    assert!(guest["user_id"].as_str().unwrap().ends_with(":localhost"), "{guest}");
    assert!(guest["access_token"].is_string(), "{guest}");
    let bogus = api.post("/register?kind=bogus", None, json!({})).await;
    assert_error(&bogus, 400, "M_INVALID_PARAM");
}

/// Changes the password from [`FIRST_PASSWORD`] to [`SECOND_PASSWORD`] through UIAA, with the
/// refusals on the way.
async fn change_password(api: &Api, username: &str, token: &str, secrets: &mut Vec<String>) {
    let new = json!({"new_password": SECOND_PASSWORD});
    let (status, body) = api.post("/account/password", Some(token), new.clone()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));
    let session = session_of(&body);
    secrets.push(session.clone());

    let wrong = password_auth(&session, username, WRONG_PASSWORD, SECOND_PASSWORD);
    let (status, body) = api.post("/account/password", Some(token), wrong).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));
    assert_eq!(body["errcode"], "M_FORBIDDEN");

    let right = password_auth(&session, username, FIRST_PASSWORD, SECOND_PASSWORD);
    let (status, body) = api.post("/account/password", Some(token), right).await;
    assert_eq!((status.as_u16(), body), (200, json!({})));

    let (status, body) = api.post("/account/password", None, new.clone()).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.email.identity"]}]));
    let unknown = api
        .post("/account/password", Some("mhs_not-a-token"), new.clone())
        .await;
    assert_error(&unknown, 401, "M_UNKNOWN_TOKEN");
    let path = format!("/account/password?access_token={token}");
    let (status, body) = api.post(&path, None, new).await;
    assert_eq!(status, 401, "a token in the query is accepted too: {body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));
}

/// Email token requests: disabled for a free address, in use for a bound one (bound through
/// the store, as nothing in the API binds addresses).
async fn email_tokens(api: &Api, database: &Path, user_id: &str) {
    let free = json!({"client_secret": "s3cr3tABC", "email": "free@example.org", "send_attempt": 1});
    let answer = api.post("/register/email/requestToken", None, free).await;
    assert_error(&answer, 400, "M_UNKNOWN");
    assert_eq!(
        answer.1["error"],
        "Email-based registration has been disabled on this server"
    );

    let address = format!("{}@example.org", &user_id[1..user_id.len() - ":localhost".len()]);
    Store::open(database, "localhost")
        .unwrap()
        .bind_email(user_id, &address)
        .unwrap();
    let bound = json!({"client_secret": "s3cr3tABC", "email": address, "send_attempt": 1});
    let answer = api.post("/register/email/requestToken", None, bound).await;
    assert_error(&answer, 400, "M_THREEPID_IN_USE");
}

/// After a restart: the old password is refused, the new one accepted, with the original token.
async fn after_restart(api: &Api, username: &str, token: &str, secrets: &mut Vec<String>) {
    let (status, body) = api
        .post(
            "/account/password",
            Some(token),
            json!({"new_password": THIRD_PASSWORD}),
        )
        .await;
    assert_eq!(status, 401, "the original token still works: {body}");
    let session = session_of(&body);
    secrets.push(session.clone());

    let old = password_auth(&session, username, FIRST_PASSWORD, THIRD_PASSWORD);
    let refused = api.post("/account/password", Some(token), old).await;
    assert_error(&refused, 401, "M_FORBIDDEN");
    assert_eq!(refused.1["flows"], json!([{"stages": ["m.login.password"]}]));

    let user_id = format!("@{username}:localhost");
    let new = password_auth(&session, &user_id, SECOND_PASSWORD, THIRD_PASSWORD);
    let (status, body) = api.post("/account/password", Some(token), new).await;
    assert_eq!((status.as_u16(), body), (200, json!({})));
}

/// Checks the log has request lines and none of the secrets.
fn check_log(log: &str, prefix: &str, secrets: &[String]) {
    let path = format!("path=/_matrix/client/{prefix}/register");
    assert!(
        log.contains(&path) && log.contains("status=401"),
        "no request log line:\n{log}"
    );
    assert!(log.contains("latency="), "no latency in the request log:\n{log}");
    for secret in secrets.iter().map(String::as_str).chain([
        FIRST_PASSWORD,
        SECOND_PASSWORD,
        THIRD_PASSWORD,
        WRONG_PASSWORD,
        "$argon2id",
    ]) {
        assert!(
            !log.contains(secret),
            "the log contains a secret ({} chars)",
            secret.len()
        );
    }
}

/// The whole scenario under one prefix, with its own server and database.
async fn scenario(prefix: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (database, log) = (dir.path().join("hs.db"), dir.path().join("hs.log"));
    let username = format!("alice-{prefix}");
    let mut secrets = Vec::new();

    let server = ServerProcess::start(&database, &log);
    let api = Api::new(&server, prefix);
    let registered = register(&api, &username, &mut secrets).await;
    let token = registered["access_token"].as_str().unwrap().to_owned();
    registration_refusals(&api, &username).await;
    change_password(&api, &username, &token, &mut secrets).await;
    email_tokens(&api, &database, registered["user_id"].as_str().unwrap()).await;
    server.stop();

    let server = ServerProcess::start(&database, &log);
    let api = Api::new(&server, prefix);
    after_restart(&api, &username, &token, &mut secrets).await;
    let log_text = server.log_text();
    server.stop();
    check_log(&log_text, prefix, &secrets);
}

#[tokio::test]
async fn registration_and_password_change_on_r0() {
    scenario("r0").await;
}

#[tokio::test]
async fn registration_and_password_change_on_v3() {
    scenario("v3").await;
}
