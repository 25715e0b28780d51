//! No secret reaches the log, even at `RUST_LOG=trace`: the real binary, with every crate at
//! trace level and its stderr captured, goes through registration with UIAA, password changes
//! (wrong and right password), an email token request with a `client_secret`, the access token
//! as `Authorization: Bearer` and as `?access_token=`, and malformed bodies that carry
//! secrets; then the whole log is searched for every secret the exchange involved.

mod common;

use common::ServerProcess;
use homeserver::secrets::hash_token;
use homeserver::store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "first-Secret-5501";
const NEW_PASSWORD: &str = "second-Secret-5502";
const WRONG_PASSWORD: &str = "wrong-Secret-5503";
const CLIENT_SECRET: &str = "client-Secret-5504";
const BOGUS_TOKEN: &str = "mhs_bogus-Secret-5505";
const USER: &str = "alice";

/// One client of the server under `/_matrix/client/v3`.
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// POSTs the raw `body` to `path`, with a bearer token if given; status and JSON answer.
    async fn post_raw(&self, path: &str, bearer: Option<&str>, body: String) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}/_matrix/client/v3{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.post_raw(path, bearer, body.to_string()).await
    }
}

fn session_of(body: &Value) -> String {
    body["session"]
        .as_str()
        .unwrap_or_else(|| panic!("no session in {body}"))
        .to_owned()
}

fn password_stage(session: &str, password: &str) -> Value {
    json!({
        "new_password": NEW_PASSWORD,
        "auth": {
            "type": "m.login.password",
            "session": session,
            "identifier": {"type": "m.id.user", "user": USER},
            "password": password
        }
    })
}

/// The exchange; returns the secrets it handed out (sessions and the access token).
async fn exchange(api: &Api) -> Vec<String> {
    let (register_session, token) = register(api).await;
    let password_session = change_password(api, &token).await;
    let query_session = token_in_query(api, &token).await;
    email_token(api).await;
    malformed_bodies(api, &token).await;
    vec![register_session, token, password_session, query_session]
}

/// Registers [`USER`] through the dummy stage; the session and the access token.
async fn register(api: &Api) -> (String, String) {
    let register = json!({"username": USER, "password": PASSWORD});
    let (status, body) = api.post("/register", None, register).await;
    assert_eq!(status, 401, "{body}");
    let session = session_of(&body);
    let register =
        json!({"username": USER, "password": PASSWORD, "auth": {"type": "m.login.dummy", "session": session}});
    let (status, body) = api.post("/register", None, register).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    (session, token)
}

/// Changes the password through the password stage, first with the wrong password; the session.
async fn change_password(api: &Api, token: &str) -> String {
    let (status, body) = api
        .post("/account/password", Some(token), json!({"new_password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, 401, "{body}");
    let session = session_of(&body);
    let (status, body) = api
        .post(
            "/account/password",
            Some(token),
            password_stage(&session, WRONG_PASSWORD),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["errcode"].as_str()),
        (401, Some("M_FORBIDDEN")),
        "{body}"
    );
    let (status, body) = api
        .post("/account/password", Some(token), password_stage(&session, PASSWORD))
        .await;
    assert_eq!((status.as_u16(), &body), (200, &json!({})));
    session
}

/// The token, then an unknown one, in the query string, on a route that logs its path; then the
/// unknown one as a bearer. The session the first answer opens.
async fn token_in_query(api: &Api, token: &str) -> String {
    let path = format!("/account/password?access_token={token}");
    let (status, body) = api.post(&path, None, json!({"new_password": NEW_PASSWORD})).await;
    assert_eq!(status, 401, "{body}");
    let session = session_of(&body);
    let path = format!("/account/password?access_token={BOGUS_TOKEN}");
    let (status, body) = api.post(&path, None, json!({"new_password": NEW_PASSWORD})).await;
    assert_eq!(
        (status.as_u16(), body["errcode"].as_str()),
        (401, Some("M_UNKNOWN_TOKEN")),
        "{body}"
    );
    let (status, _) = api
        .post("/account/password", Some(BOGUS_TOKEN), json!({"new_password": "x"}))
        .await;
    assert_eq!(status, 401);
    session
}

/// An email token request with [`CLIENT_SECRET`] (email registration is disabled: `M_UNKNOWN`).
async fn email_token(api: &Api) {
    let email = json!({"client_secret": CLIENT_SECRET, "email": "alice@example.org", "send_attempt": 1});
    let (status, body) = api.post("/register/email/requestToken", None, email).await;
    assert_eq!(
        (status.as_u16(), body["errcode"].as_str()),
        (400, Some("M_UNKNOWN")),
        "{body}"
    );
}

/// Bodies the router refuses, with secrets where a parser might quote them.
async fn malformed_bodies(api: &Api, token: &str) {
    let malformed = [
        format!(r#"{{"username": "bob", "password": "{PASSWORD}", "bind_email": "{PASSWORD}"}}"#),
        format!(r#"{{"new_password": "{NEW_PASSWORD}", "auth": "{PASSWORD}"}}"#),
        format!(r#"{{"client_secret": "{CLIENT_SECRET}", "email": 7, "send_attempt": "{CLIENT_SECRET}"}}"#),
        format!(r#"{{"password": "{PASSWORD}""#),
    ];
    for (path, body) in [
        "/register",
        "/account/password",
        "/register/email/requestToken",
        "/register",
    ]
    .into_iter()
    .zip(malformed)
    {
        let (status, answer) = api.post_raw(path, Some(token), body).await;
        assert_eq!(status, 400, "{path}: {answer}");
    }
}

#[tokio::test]
async fn no_secret_is_logged_even_at_trace_level() {
    let dir = tempfile::tempdir().unwrap();
    let (database, log) = (dir.path().join("hs.db"), dir.path().join("hs.log"));
    let server = ServerProcess::start_with(&database, &log, &[], "trace");
    let api = Api {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    let handed_out = exchange(&api).await;
    server.stop();
    let log_text = std::fs::read_to_string(&log).unwrap(); // everything, shutdown included

    let stored_hash = Store::open(&database, "localhost")
        .unwrap()
        .password_hash("@alice:localhost")
        .unwrap()
        .unwrap();
    let hash_output = stored_hash.rsplit('$').next().unwrap().to_owned();
    let token = &handed_out[1];
    let mut secrets: Vec<String> = handed_out.clone();
    secrets.extend(
        [
            PASSWORD,
            NEW_PASSWORD,
            WRONG_PASSWORD,
            CLIENT_SECRET,
            BOGUS_TOKEN,
            "$argon2",
        ]
        .map(str::to_owned),
    );
    secrets.extend([hash_token(token), stored_hash, hash_output]);

    assert!(
        log_text.contains("DEBUG"),
        "the log is at debug level or finer:\n{log_text}"
    );
    assert!(
        log_text.contains("status=200"),
        "the exchange is in the log:\n{log_text}"
    );
    for secret in &secrets {
        if let Some(at) = log_text.find(secret.as_str()) {
            let line_start = log_text[..at].rfind('\n').map_or(0, |i| i + 1);
            let line = log_text[line_start..].lines().next().unwrap_or_default();
            let redacted = line.replace(secret.as_str(), "<SECRET>");
            panic!("a secret ({} chars) is in the log: {redacted}", secret.len());
        }
    }
}
