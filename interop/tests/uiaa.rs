//! The UIAA helper and the rate-limit retry against a scripted server: success after one and
//! two stages, giving up, the stage limit, a server error mid-flow, and 429s retried or not.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_registration::client::{Client, ClientError, RateLimitRetry};
use matrix_registration::endpoints::register;
use matrix_registration::types::AuthData;
use serde_json::{Value, json};

/// A server that answers `/register` from a script and records the bodies it was sent.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<(u16, Value)>>>,
    received: Arc<Mutex<Vec<Value>>>,
}

impl Script {
    async fn start(answers: Vec<(u16, Value)>) -> (Self, Client) {
        let script = Script {
            answers: Arc::new(Mutex::new(answers.into())),
            ..Script::default()
        };
        let state = script.clone();
        let app = axum::Router::new().route(
            "/_matrix/client/v3/register",
            axum::routing::post(move |body: bytes::Bytes| {
                let state = state.clone();
                async move {
                    state
                        .received
                        .lock()
                        .expect("the lock")
                        .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    let next = state.answers.lock().expect("the lock").pop_front();
                    let (status, body) = next.unwrap_or((401, uiaa(&["m.login.dummy"], &[])));
                    let status = http::StatusCode::from_u16(status).expect("a status");
                    (
                        status,
                        [(http::header::CONTENT_TYPE, "application/json")],
                        body.to_string(),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (script, Client::new(format!("http://{address}")))
    }

    fn received(&self) -> Vec<Value> {
        self.received.lock().expect("the lock").clone()
    }
}

fn uiaa(stages: &[&str], completed: &[&str]) -> Value {
    json!({ "session": "s1", "flows": [{ "stages": stages }], "params": {}, "completed": completed })
}

fn ok() -> (u16, Value) {
    (
        200,
        json!({ "user_id": "@a:x", "access_token": "t", "device_id": "D", "home_server": "x" }),
    )
}

fn request() -> register::Request {
    let mut body = register::RequestBody::new();
    body.username = Some("a".to_owned());
    body.password = Some("pw".to_owned());
    register::Request::new(body)
}

fn stage(kind: &str) -> AuthData {
    client_example::stage(kind)
}

#[tokio::test]
async fn one_stage_then_success_sends_the_stage_with_the_session() {
    let (script, client) = Script::start(vec![(401, uiaa(&["m.login.dummy"], &[])), ok()]).await;
    let mut calls = 0;
    let answer = client.register_interactive(request(), |_| {
        calls += 1;
        std::future::ready(Some(stage("m.login.dummy")))
    });
    assert!(matches!(answer.await.expect("answers"), register::Response::Ok(_)));
    assert_eq!(calls, 1);
    let received = script.received();
    assert_eq!(received[0].get("auth"), None);
    assert_eq!(received[1]["auth"], json!({ "type": "m.login.dummy", "session": "s1" }));
}

#[tokio::test]
async fn two_stages_then_success() {
    let answers = vec![
        (401, uiaa(&["m.login.a", "m.login.b"], &[])),
        (401, uiaa(&["m.login.a", "m.login.b"], &["m.login.a"])),
        ok(),
    ];
    let (script, client) = Script::start(answers).await;
    let answer = client
        .register_interactive(request(), |state| {
            let done = state.completed.unwrap_or_default();
            std::future::ready(Some(stage(if done.is_empty() { "m.login.a" } else { "m.login.b" })))
        })
        .await
        .expect("answers");
    assert!(matches!(answer, register::Response::Ok(_)));
    let kinds: Vec<Value> = script.received().iter().map(|b| b["auth"]["type"].clone()).collect();
    assert_eq!(kinds, [Value::Null, json!("m.login.a"), json!("m.login.b")]);
}

#[tokio::test]
async fn giving_up_returns_the_uiaa_answer() {
    let (script, client) = Script::start(vec![(401, uiaa(&["m.login.recaptcha"], &[]))]).await;
    let answer = client
        .register_interactive(request(), |_| std::future::ready(None))
        .await
        .expect("answers");
    match answer {
        register::Response::Unauthorized(state) => assert_eq!(state.flows[0].stages, ["m.login.recaptcha"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(script.received().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_finishes_hits_the_stage_limit() {
    let (script, client) = Script::start(Vec::new()).await;
    let client = client.with_stage_limit(3);
    let error = client
        .register_interactive(request(), |_| std::future::ready(Some(stage("m.login.dummy"))))
        .await
        .expect_err("the limit");
    assert!(matches!(error, ClientError::StageLimit(3)), "{error}");
    assert_eq!(script.received().len(), 4, "the first request and three stages");
}

#[tokio::test]
async fn a_server_error_mid_flow_ends_the_flow_with_that_answer() {
    let failure = (500, json!({ "errcode": "M_UNKNOWN", "error": "Internal server error" }));
    let (_, client) = Script::start(vec![(401, uiaa(&["m.login.dummy"], &[])), failure]).await;
    match client
        .register_interactive(request(), |_| std::future::ready(Some(stage("m.login.dummy"))))
        .await
        .expect("answers")
    {
        register::Response::Error { status, error } => {
            assert_eq!((status.as_u16(), error.errcode.as_str()), (500, "M_UNKNOWN"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_429_is_retried_only_when_asked_and_within_the_caps() {
    let limited = (
        429,
        json!({ "errcode": "M_LIMIT_EXCEEDED", "error": "slow down", "retry_after_ms": 20 }),
    );
    let (_, client) = Script::start(vec![limited.clone(), ok()]).await;
    let answer = client.register(&request()).await.expect("answers");
    assert!(
        matches!(answer, register::Response::TooManyRequests(_)),
        "off by default: {answer:?}"
    );

    let (script, client) = Script::start(vec![limited.clone(), limited.clone(), ok()]).await;
    let client = client.with_rate_limit_retry(RateLimitRetry::new(3, Duration::from_secs(1)));
    assert!(matches!(
        client.register(&request()).await.expect("answers"),
        register::Response::Ok(_)
    ));
    assert_eq!(script.received().len(), 3);

    let (_, client) = Script::start(vec![limited.clone(), limited.clone(), ok()]).await;
    let client = client.with_rate_limit_retry(RateLimitRetry::new(1, Duration::from_secs(1)));
    let answer = client.register(&request()).await.expect("answers");
    assert!(
        matches!(answer, register::Response::TooManyRequests(_)),
        "one retry only: {answer:?}"
    );

    let (_, client) = Script::start(vec![limited, ok()]).await;
    let client = client.with_rate_limit_retry(RateLimitRetry::new(5, Duration::from_millis(5)));
    let answer = client.register(&request()).await.expect("answers");
    assert!(
        matches!(answer, register::Response::TooManyRequests(_)),
        "the wait cap: {answer:?}"
    );
}

/// A stage that waits on a person (an email link, a captcha, terms) awaits in `next`: the
/// request is sent again only once the person has acted.
#[tokio::test]
async fn a_stage_may_wait_on_a_person() {
    let answers = vec![(401, uiaa(&["m.login.email.identity"], &[])), ok()];
    let (script, client) = Script::start(answers).await;
    let (click, link) = tokio::sync::oneshot::channel::<()>();
    let person = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        click.send(()).expect("the client waits for the link");
    });
    let mut link = Some(link);
    let started = std::time::Instant::now();
    let answer = client
        .register_interactive(request(), |state| {
            let link = link.take();
            async move {
                assert_eq!(state.flows[0].stages, ["m.login.email.identity"]);
                link?.await.ok()?;
                Some(stage("m.login.email.identity"))
            }
        })
        .await
        .expect("answers");
    person.await.unwrap();
    assert!(matches!(answer, register::Response::Ok(_)), "{answer:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "the stage waited for the person"
    );
    let received = script.received();
    assert_eq!(
        received[1]["auth"],
        json!({ "type": "m.login.email.identity", "session": "s1" })
    );
}
