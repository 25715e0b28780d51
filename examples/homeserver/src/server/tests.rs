//! Unit tests of [`Homeserver`]'s methods, called directly (no HTTP); answers are checked in
//! their wire form.

use super::*;
use matrix_registration::endpoints::request_token_to_register_email as email_token;
use serde_json::{Value, json};

const SERVER: &str = "example.org";
const PASSWORD: &str = "correct horse";

/// A server on a fresh database in `dir`, with cheap hashing.
fn homeserver(dir: &tempfile::TempDir) -> Homeserver {
    let mut config = Config::new(SERVER, dir.path().join("hs.db"));
    config.hasher = PasswordHasher::insecure_fast();
    Homeserver::open(config).unwrap()
}

/// Status and JSON body of an HTTP answer.
fn wire<B: AsRef<[u8]>>(response: http::Response<B>) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body().as_ref()).unwrap())
}

/// The wire form of a method's answer, or of the Matrix error it returned with `?`.
fn answer<R>(result: Result<R, HandlerError>, into_http: fn(R) -> http::Response<axum::body::Bytes>) -> (u16, Value) {
    match result {
        Ok(response) => wire(into_http(response)),
        Err(error) => wire(
            error
                .matrix_error()
                .expect("a Matrix error, not a failure")
                .clone()
                .into_http(),
        ),
    }
}

async fn register(hs: &Homeserver, kind: RegistrationKind, body: Value) -> (u16, Value) {
    let mut request = register::Request::new(serde_json::from_value(body).unwrap());
    request.kind = kind;
    answer(
        hs.register(request, RequestContext::new()).await,
        register::Response::into_http,
    )
}

async fn register_user(hs: &Homeserver, body: Value) -> (u16, Value) {
    register(hs, RegistrationKind::User, body).await
}

async fn change(hs: &Homeserver, owner: Option<&TokenOwner>, body: Value) -> (u16, Value) {
    let request = change_password::Request::new(serde_json::from_value(body).unwrap());
    let result = hs.change_password(request, owner.cloned(), RequestContext::new()).await;
    answer(result, change_password::Response::into_http)
}

async fn email(hs: &Homeserver, address: &str) -> (u16, Value) {
    let body = json!({"client_secret": "secret", "email": address, "send_attempt": 1});
    let request = email_token::Request::new(serde_json::from_value(body).unwrap());
    let result = hs.request_token_to_register_email(request, RequestContext::new()).await;
    answer(result, email_token::Response::into_http)
}

fn session_of(body: &Value) -> String {
    body["session"].as_str().unwrap().to_owned()
}

/// Registers `name` with [`PASSWORD`] through the dummy stage; returns the token's owner.
async fn alice(hs: &Homeserver, name: &str) -> TokenOwner {
    let body = json!({"username": name, "password": PASSWORD, "auth": {"type": "m.login.dummy"}});
    let (status, body) = register_user(hs, body).await;
    assert_eq!(status, 200, "{body}");
    hs.authenticate(body["access_token"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn session_exists(hs: &Homeserver, id: &str, operation: &'static str) -> bool {
    hs.live_session(id.to_owned(), operation).await.unwrap().is_some()
}

#[tokio::test]
async fn register_through_the_dummy_stage() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let (status, body) = register_user(&hs, json!({"username": "alice", "password": PASSWORD})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.dummy"]}]));
    assert_eq!(body["params"], json!({}));
    let session = session_of(&body);
    assert!(session_exists(&hs, &session, REGISTER).await);

    let auth = json!({"type": "m.login.dummy", "session": session});
    let (status, body) = register_user(&hs, json!({"username": "alice", "password": PASSWORD, "auth": auth})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user_id"], "@alice:example.org");
    assert_eq!(body["home_server"], SERVER);
    assert_eq!(body["device_id"].as_str().unwrap().len(), 10);
    let token = body["access_token"].as_str().unwrap();
    let owner = hs.authenticate(token).await.unwrap().unwrap();
    assert_eq!((owner.user_id.as_str(), owner.is_guest), ("@alice:example.org", false));
    assert!(
        !session_exists(&hs, &session, REGISTER).await,
        "the finished session is deleted"
    );
    assert_eq!(hs.authenticate("mhs_unknown").await.unwrap(), None);
}

#[tokio::test]
async fn dummy_stage_without_session_and_generated_username() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let (status, body) = register_user(&hs, json!({"password": PASSWORD, "auth": {"type": "m.login.dummy"}})).await;
    assert_eq!(status, 200, "{body}");
    let user_id = body["user_id"].as_str().unwrap();
    let localpart = user_id.strip_prefix('@').unwrap().strip_suffix(":example.org").unwrap();
    assert_eq!(validate_username(localpart, SERVER), Ok(()));
}

#[tokio::test]
async fn unknown_session_restarts_the_flow() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let auth = json!({"type": "m.login.dummy", "session": "NotASessionOfThisServer"});
    let (status, body) = register_user(&hs, json!({"username": "bob", "password": PASSWORD, "auth": auth})).await;
    assert_eq!(status, 401, "{body}");
    assert_ne!(session_of(&body), "NotASessionOfThisServer");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.dummy"]}]));
    assert!(!hs.with_store(|s| s.user_exists("bob")).await.unwrap().unwrap());
}

#[tokio::test]
async fn checks_come_before_uiaa() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    alice(&hs, "alice").await;
    let cases = [
        (json!({"username": "alice", "password": PASSWORD}), "M_USER_IN_USE"),
        (
            json!({"username": "Bad Name!", "password": PASSWORD}),
            "M_INVALID_USERNAME",
        ),
        (json!({"username": "12345", "password": PASSWORD}), "M_INVALID_USERNAME"),
        (json!({"username": "carol"}), "M_MISSING_PARAM"),
        (json!({"username": "carol", "password": ""}), "M_MISSING_PARAM"),
        (json!({}), "M_MISSING_PARAM"),
        (
            json!({"username": "carol", "password": PASSWORD, "auth": {"type": "m.login.bogus"}}),
            "M_INVALID_PARAM",
        ),
    ];
    for (request, errcode) in cases {
        let (status, body) = register_user(&hs, request.clone()).await;
        assert_eq!(
            (status, body["errcode"].as_str()),
            (400, Some(errcode)),
            "{request} -> {body}"
        );
    }
    let (_, body) = register_user(&hs, json!({"username": "Bad Name!", "password": PASSWORD})).await;
    assert!(body["error"].as_str().unwrap().contains("lower case"), "{body}");
}

#[tokio::test]
async fn a_name_taken_during_uiaa_is_user_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let (_, challenge) = register_user(&hs, json!({"username": "dave", "password": PASSWORD})).await;
    alice(&hs, "dave").await; // someone else wins the name meanwhile
    let hash = hs.hash_password(PASSWORD.to_owned()).await.unwrap();
    let response = hs
        .create_account(Some("dave".into()), hash, Some(session_of(&challenge)))
        .await
        .unwrap();
    let (status, body) = wire(response.into_http());
    assert_eq!(
        (status, body["errcode"].as_str()),
        (400, Some("M_USER_IN_USE")),
        "{body}"
    );
}

#[tokio::test]
async fn guests_register_without_auth_and_cannot_change_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let (status, body) = register(&hs, RegistrationKind::Guest, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let user_id = body["user_id"].as_str().unwrap();
    let localpart = user_id.strip_prefix('@').unwrap().strip_suffix(":example.org").unwrap();
    assert!(localpart.bytes().all(|b| b.is_ascii_digit()), "{user_id}");
    let guest = hs
        .authenticate(body["access_token"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(guest.is_guest);
    let (status, body) = change(&hs, Some(&guest), json!({"new_password": "new"})).await;
    assert_eq!((status, body["errcode"].as_str()), (403, Some("M_FORBIDDEN")), "{body}");
}

#[tokio::test]
async fn change_password_through_the_password_stage() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let owner = alice(&hs, "alice").await;
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "new"})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));
    let session = session_of(&body);

    let identifier = json!({"type": "m.id.user", "user": "alice"});
    let wrong = json!({"type": "m.login.password", "session": session, "identifier": identifier, "password": "nope"});
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "new", "auth": wrong})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errcode"], "M_FORBIDDEN");
    assert_eq!(body["error"], "Invalid password");
    assert_eq!(body["completed"], json!([]));
    assert_eq!(session_of(&body), session, "the user's live session is kept");

    let right =
        json!({"type": "m.login.password", "session": session, "user": "@alice:example.org", "password": PASSWORD});
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "new", "auth": right})).await;
    assert_eq!((status, body), (200, json!({})));
    assert!(!session_exists(&hs, &session, CHANGE_PASSWORD).await);
    let hash = hs
        .with_store(|s| s.password_hash("@alice:example.org"))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(hs.verify_password("new".into(), hash.clone()).await.unwrap());
    assert!(!hs.verify_password(PASSWORD.into(), hash).await.unwrap());
}

#[tokio::test]
async fn password_stage_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let owner = alice(&hs, "alice").await;
    alice(&hs, "bob").await;
    let as_bob =
        json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "bob"}, "password": PASSWORD});
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "x", "auth": as_bob})).await;
    assert_eq!((status, body["errcode"].as_str()), (401, Some("M_FORBIDDEN")), "{body}");
    assert!(session_exists(&hs, &session_of(&body), CHANGE_PASSWORD).await);
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));

    let no_password = json!({"type": "m.login.password", "user": "alice"});
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "x", "auth": no_password})).await;
    assert_eq!(
        (status, body["errcode"].as_str()),
        (400, Some("M_MISSING_PARAM")),
        "{body}"
    );
    let other_stage = json!({"type": "m.login.dummy"});
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "x", "auth": other_stage})).await;
    assert_eq!(
        (status, body["errcode"].as_str()),
        (400, Some("M_INVALID_PARAM")),
        "{body}"
    );
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": ""})).await;
    assert_eq!(
        (status, body["errcode"].as_str()),
        (400, Some("M_MISSING_PARAM")),
        "{body}"
    );
}

#[tokio::test]
async fn unknown_or_foreign_session_with_the_right_password_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let owner = alice(&hs, "alice").await;
    let bob = alice(&hs, "bob").await;
    let (_, challenge) = change(&hs, Some(&bob), json!({"new_password": "x"})).await;
    let bobs_session = session_of(&challenge);
    for session in ["NoSuchSession", bobs_session.as_str()] {
        let auth = json!({"type": "m.login.password", "session": session, "user": "alice", "password": PASSWORD});
        let (status, body) = change(&hs, Some(&owner), json!({"new_password": PASSWORD, "auth": auth})).await;
        assert_eq!((status, body), (200, json!({})), "{session}");
    }
    assert!(
        session_exists(&hs, &bobs_session, CHANGE_PASSWORD).await,
        "bob's session is not alice's to end"
    );
}

#[tokio::test]
async fn without_a_token_only_the_email_flow_is_offered() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let auth = json!({"type": "m.login.password", "user": "alice", "password": PASSWORD});
    for body in [json!({"new_password": "x"}), json!({"new_password": "x", "auth": auth})] {
        let (status, body) = change(&hs, None, body).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["flows"], json!([{"stages": ["m.login.email.identity"]}]));
        assert_eq!(body["params"], json!({}));
        assert!(body["session"].is_string());
    }
}

#[tokio::test]
async fn email_token_requests() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let owner = alice(&hs, "alice").await;
    hs.with_store(move |s| s.bind_email(&owner.user_id, "alice@example.org"))
        .await
        .unwrap()
        .unwrap();
    let (status, body) = email(&hs, "Alice@Example.org").await;
    assert_eq!(
        (status, body["errcode"].as_str()),
        (400, Some("M_THREEPID_IN_USE")),
        "{body}"
    );
    let (status, body) = email(&hs, "bob@example.org").await;
    assert_eq!((status, body["errcode"].as_str()), (400, Some("M_UNKNOWN")), "{body}");
    assert_eq!(
        body["error"],
        "Email-based registration has been disabled on this server"
    );
    for bad in ["", "bob", "@example.org", "bob@", "b ob@example.org", "a@b@c"] {
        let (status, body) = email(&hs, bad).await;
        assert_eq!(
            (status, body["errcode"].as_str()),
            (400, Some("M_INVALID_PARAM")),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn expired_sessions_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(SERVER, dir.path().join("hs.db"));
    config.hasher = PasswordHasher::insecure_fast();
    config.session_lifetime = Duration::ZERO;
    let hs = Homeserver::open(config).unwrap();
    let (_, challenge) = register_user(&hs, json!({"username": "erin", "password": PASSWORD})).await;
    std::thread::sleep(Duration::from_millis(5));
    let auth = json!({"type": "m.login.dummy", "session": session_of(&challenge)});
    let (status, body) = register_user(&hs, json!({"username": "erin", "password": PASSWORD, "auth": auth})).await;
    assert_eq!(status, 401, "an expired session restarts the flow: {body}");
    assert_ne!(session_of(&body), session_of(&challenge));
}

/// POSTs `body` to `path` through `router` in this process, as sent from `client` when given
/// (the `ConnectInfo` that `into_make_service_with_connect_info` records); status, headers and
/// JSON body.
async fn post_from(
    router: &axum::Router,
    client: Option<&str>,
    path: &str,
    body: Value,
) -> (u16, http::HeaderMap, Value) {
    use tower::ServiceExt as _;
    let mut request = http::Request::post(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    if let Some(client) = client {
        let address: std::net::SocketAddr = client.parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(address));
    }
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    (
        parts.status.as_u16(),
        parts.headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

const V3_REGISTER: &str = "/_matrix/client/v3/register";
const R0_REGISTER: &str = "/_matrix/client/r0/register";

fn registration() -> Value {
    json!({"username": "carol", "password": PASSWORD})
}

#[tokio::test]
async fn registration_is_limited_per_client_address_on_every_path_version() {
    let dir = tempfile::tempdir().unwrap();
    // A token every 100 s, 2 at once: nothing refills while the test runs.
    let app = app_with(homeserver(&dir), Some(RateLimit::new(0.01, 2).unwrap()));
    let alice = Some("192.0.2.1:40000");
    assert_eq!(post_from(&app, alice, V3_REGISTER, registration()).await.0, 401);
    assert_eq!(post_from(&app, alice, R0_REGISTER, registration()).await.0, 401);

    let (status, headers, body) = post_from(&app, alice, V3_REGISTER, registration()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errcode"], "M_LIMIT_EXCEEDED");
    assert!(body["error"].is_string(), "{body}");
    let retry_after_ms = body["retry_after_ms"].as_u64().unwrap();
    assert!((90_000..=100_000).contains(&retry_after_ms), "{body}");
    assert_eq!(headers[http::header::RETRY_AFTER], "100");
    let from_another_port = Some("192.0.2.1:40001");
    assert_eq!(
        post_from(&app, from_another_port, R0_REGISTER, registration()).await.0,
        429
    );

    let bob = Some("192.0.2.2:40000");
    assert_eq!(
        post_from(&app, bob, V3_REGISTER, registration()).await.0,
        401,
        "bob has his own bucket"
    );

    // Other endpoints, and requests without a client address, are not limited.
    let email = json!({"client_secret": "s", "email": "carol@example.org", "send_attempt": 1});
    let other = [
        ("/_matrix/client/v3/register/email/requestToken", email, 400),
        ("/_matrix/client/v3/account/password", json!({"new_password": "x"}), 401),
        ("/_matrix/client/v3/register/available", json!({}), 404),
    ];
    for (path, body, expected) in other {
        for _ in 0..3 {
            let (status, _, answer) = post_from(&app, alice, path, body.clone()).await;
            assert_eq!(status, expected, "{path}: {answer}");
        }
    }
    assert_eq!(post_from(&app, None, V3_REGISTER, registration()).await.0, 401);
}

#[tokio::test]
async fn after_waiting_retry_after_ms_a_registration_passes() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(homeserver(&dir), Some(RateLimit::new(2.0, 1).unwrap())); // every 500 ms
    let client = Some("198.51.100.1:5000");
    assert_eq!(post_from(&app, client, V3_REGISTER, registration()).await.0, 401);
    let (status, _, body) = post_from(&app, client, V3_REGISTER, registration()).await;
    assert_eq!(status, 429, "{body}");
    let retry_after_ms = body["retry_after_ms"].as_u64().unwrap();
    assert!((1..=500).contains(&retry_after_ms), "{body}");
    tokio::time::sleep(Duration::from_millis(retry_after_ms)).await;
    assert_eq!(post_from(&app, client, V3_REGISTER, registration()).await.0, 401);
}

#[tokio::test]
async fn no_limit_or_no_client_address_means_no_429() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let unlimited = app_with(hs.clone(), None);
    let default = app(hs);
    let client = Some("192.0.2.1:40000");
    for _ in 0..30 {
        assert_eq!(post_from(&unlimited, client, V3_REGISTER, registration()).await.0, 401);
        assert_eq!(post_from(&default, None, V3_REGISTER, registration()).await.0, 401);
    }
    // The default limit, with a client address: a burst of 20 (and a token a second, which
    // a slow machine may earn back while sending them).
    let mut passed = 0;
    loop {
        match post_from(&default, client, V3_REGISTER, registration()).await.0 {
            401 => passed += 1,
            429 => break,
            other => panic!("status {other}"),
        }
        assert!(passed < 200, "the default app never limited");
    }
    assert!(passed >= 20, "only {passed} passed");
}

#[tokio::test]
async fn a_password_check_without_a_stored_hash_still_runs_argon2() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let before = hs.verifications.load(Ordering::SeqCst);
    assert!(!hs.check_password(PASSWORD.into(), None).await.unwrap());
    assert_eq!(
        hs.verifications.load(Ordering::SeqCst),
        before + 1,
        "one dummy verification"
    );
    assert!(!hs.check_password(String::new(), None).await.unwrap());
    let hash = hs.hash_password(PASSWORD.into()).await.unwrap();
    assert!(hs.check_password(PASSWORD.into(), Some(hash.clone())).await.unwrap());
    assert!(!hs.check_password("wrong".into(), Some(hash)).await.unwrap());
    assert_eq!(hs.verifications.load(Ordering::SeqCst), before + 4);

    // An account whose hash is gone: the refusal comes after an argon2 verification too.
    let owner = alice(&hs, "alice").await;
    hs.with_store(|s| s.conn_for_tests().execute("UPDATE users SET password_hash = NULL", []))
        .await
        .unwrap()
        .unwrap();
    let auth = json!({"type": "m.login.password", "user": "alice", "password": PASSWORD});
    let before = hs.verifications.load(Ordering::SeqCst);
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "x", "auth": auth})).await;
    assert_eq!((status, body["errcode"].as_str()), (403, Some("M_FORBIDDEN")), "{body}");
    assert_eq!(hs.verifications.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    const NEW_PASSWORD: &str = "new-Secret-4712";
    const CLIENT_SECRET: &str = "client-Secret-4715";
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(SERVER, dir.path().join("hs.db"));
    config.hasher = PasswordHasher::insecure_fast();
    let hs = Homeserver::open(config.clone()).unwrap();

    let auth = json!({
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": "alice"},
        "password": PASSWORD,
        "nested": {"deeper": [{"password": PASSWORD, "new_password": NEW_PASSWORD}]}
    });
    let register_body = json!({"username": "alice", "password": PASSWORD, "auth": {"type": "m.login.dummy"}});
    let register_request = register::Request::new(serde_json::from_value(register_body).unwrap());
    let register_response = hs
        .register(register_request.clone(), RequestContext::new())
        .await
        .unwrap();
    let register::Response::Ok(response_body) = &register_response else {
        panic!("{register_response:?}");
    };
    let token = response_body.access_token.clone().unwrap();
    let mut with_refresh = response_body.clone();
    with_refresh.refresh_token = Some(token.clone());
    let owner = hs.authenticate(&token).await.unwrap().unwrap();
    let stored_hash = hs
        .with_store(|s| s.password_hash("@alice:example.org"))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let registered = hs
        .with_store(|s| s.register("bob", Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"), false, None))
        .await
        .unwrap()
        .unwrap();

    let auth_data: matrix_registration::types::AuthData = serde_json::from_value(auth.clone()).unwrap();
    let mut change_request = change_password::Request::new(
        serde_json::from_value(json!({"new_password": NEW_PASSWORD, "auth": auth})).unwrap(),
    );
    change_request.access_token = Some(token.clone());
    let email_request = email_token::Request::new(
        serde_json::from_value(json!({"client_secret": CLIENT_SECRET, "email": "a@example.org", "send_attempt": 1}))
            .unwrap(),
    );
    let password_auth = uiaa::password_auth(&auth_data).unwrap();
    let change_response = hs
        .change_password(change_request.clone(), Some(owner.clone()), RequestContext::new())
        .await
        .unwrap();
    let email_response = hs
        .request_token_to_register_email(email_request.clone(), RequestContext::new())
        .await
        .unwrap();
    let store_debug = hs.with_store(|s| format!("{s:?}")).await.unwrap();

    let printed = [
        format!("{register_request:?}"),
        format!("{:?}", register_request.body),
        format!("{auth_data:?}"),
        format!("{register_response:?}"),
        format!("{response_body:?}"),
        format!("{with_refresh:?}"),
        format!("{owner:?}"),
        format!("{registered:?}"),
        format!("{change_request:?}"),
        format!("{:?}", change_request.body),
        format!("{change_response:?}"),
        format!("{email_request:?}"),
        format!("{:?}", email_request.body),
        format!("{email_response:?}"),
        format!("{password_auth:?}"),
        format!("{hs:?}"),
        format!("{config:?}"),
        store_debug,
    ];
    let secrets = [
        PASSWORD,
        NEW_PASSWORD,
        CLIENT_SECRET,
        &token,
        &registered.access_token,
        &crate::secrets::hash_token(&token),
        &stored_hash,
        "$argon2",
    ];
    for text in &printed {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret ({} chars) in {text}", secret.len());
        }
    }
    assert!(printed[0].contains("<redacted>") && printed[2].contains("<redacted>"));
}

/// `"auth": {}` and `"auth": {"session": ...}` ask where the flow stands, as Synapse answers
/// them: never 400 (matrix-js-sdk starts a password change with `setPassword({}, ...)`).
#[tokio::test]
async fn an_auth_without_a_type_gets_the_flows() {
    let dir = tempfile::tempdir().unwrap();
    let hs = homeserver(&dir);
    let first = json!({"username": "dave", "password": PASSWORD, "auth": {}});
    let (status, body) = register_user(&hs, first).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.dummy"]}]));
    assert_eq!(body["completed"], json!([]));
    let session = session_of(&body);
    let again = json!({"username": "dave", "password": PASSWORD, "auth": {"session": session}});
    let (status, body) = register_user(&hs, again).await;
    assert_eq!(
        (status, session_of(&body)),
        (401, session.clone()),
        "the live session is kept"
    );
    let unknown = json!({"username": "dave", "password": PASSWORD, "auth": {"session": "nope"}});
    let (status, body) = register_user(&hs, unknown).await;
    assert_eq!(status, 401, "{body}");
    assert_ne!(session_of(&body), "nope");

    let owner = alice(&hs, "erin").await;
    let (status, body) = change(&hs, Some(&owner), json!({"new_password": "n", "auth": {}})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.password"]}]));
    assert_eq!(body["completed"], json!([]));
    let session = session_of(&body);
    let with_session = json!({"new_password": "n", "auth": {"session": session}});
    let (status, body) = change(&hs, Some(&owner), with_session.clone()).await;
    assert_eq!((status, session_of(&body)), (401, session));
    let (status, body) = change(&hs, None, with_session).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["flows"], json!([{"stages": ["m.login.email.identity"]}]));
    let (status, body) = change(&hs, None, json!({"new_password": "n", "auth": {}})).await;
    assert_eq!(status, 401, "{body}");
}

/// Sends `method path` through `router` with `headers`; status and headers.
async fn send(router: &axum::Router, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, http::HeaderMap) {
    use tower::ServiceExt as _;
    let mut request = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    (response.status().as_u16(), response.headers().clone())
}

fn assert_cors(headers: &http::HeaderMap, what: &str) {
    assert_eq!(headers["access-control-allow-origin"], "*", "{what}");
    assert_eq!(
        headers["access-control-allow-methods"], "GET, POST, PUT, DELETE, OPTIONS",
        "{what}"
    );
    assert_eq!(
        headers["access-control-allow-headers"], "X-Requested-With, Content-Type, Authorization",
        "{what}"
    );
}

/// A page of another origin (Element Web) preflights every call and reads only answers with
/// the CORS headers: every path and version answers the preflight without a token, and every
/// answer carries the headers, errors and rate limits included.
#[tokio::test]
async fn web_clients_get_the_preflight_and_cors_headers_on_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with(homeserver(&dir), Some(RateLimit::new(0.01, 1).unwrap()));
    let preflight = [
        ("origin", "http://127.0.0.1:9999"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization, content-type"),
    ];
    for version in ["r0", "v3"] {
        for path in [
            "register",
            "account/password",
            "register/email/requestToken",
            "no/such/path",
        ] {
            let path = format!("/_matrix/client/{version}/{path}");
            let (status, headers) = send(&app, "OPTIONS", &path, &preflight).await;
            assert_eq!(status, 200, "OPTIONS {path}");
            assert_cors(&headers, &path);
        }
        let path = format!("/_matrix/client/{version}/register");
        for (method, expected) in [("POST", 400), ("GET", 405)] {
            let (status, headers) = send(&app, method, &path, &[]).await;
            assert_eq!(status, expected, "{method} {path}");
            assert_cors(&headers, &path);
        }
    }
    let (status, headers) = send(&app, "GET", "/nowhere", &[]).await;
    assert_eq!(status, 404);
    assert_cors(&headers, "404");
    let client = Some("192.0.2.9:1000");
    assert_eq!(post_from(&app, client, V3_REGISTER, registration()).await.0, 401);
    let (status, headers, _) = post_from(&app, client, V3_REGISTER, registration()).await;
    assert_eq!(status, 429);
    assert_cors(&headers, "429");
}
