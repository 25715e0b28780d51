//! The client decodes answers real servers send, by status first: every documented status of
//! every operation, from the exchanges recorded from Synapse 1.163 (`tests/fixtures/`), and
//! the error bodies Synapse sends for the statuses those recordings lack.

use bytes::Bytes;
use matrix_registration::endpoints::{change_password, register, request_token_to_register_email};

/// One recorded exchange: method and path, request body, response body and status.
struct Exchange {
    path: String,
    status: u16,
    body: String,
}

/// Reads the recordings: `### METHOD PATH`, `>>> request`, `<<< response`, `<<< HTTP status`.
fn recorded() -> Vec<Exchange> {
    let mut exchanges = Vec::new();
    for text in [
        include_str!("fixtures/synapse-exchanges-r0.txt"),
        include_str!("fixtures/synapse-exchanges-extra.txt"),
    ] {
        for block in text.split("### ").skip(1) {
            let mut lines = block.lines();
            let Some(head) = lines.next() else { continue };
            let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let answers: Vec<&str> = lines.filter_map(|l| l.strip_prefix("<<< ")).collect();
            let status = answers
                .iter()
                .find_map(|a| a.strip_prefix("HTTP "))
                .and_then(|s| s.trim().parse().ok());
            let body = answers
                .iter()
                .find(|a| !a.starts_with("HTTP "))
                .copied()
                .unwrap_or_default();
            if let Some(status) = status {
                exchanges.push(Exchange {
                    path,
                    status,
                    body: body.to_owned(),
                });
            }
        }
    }
    exchanges
}

fn http(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(Bytes::from(body.to_owned()))
        .expect("a response")
}

fn operation(path: &str) -> &str {
    let path = path.split('?').next().unwrap_or_default();
    path.split_once("/_matrix/client/")
        .map_or("", |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p))
}

#[test]
fn every_recorded_register_answer_decodes_by_status() {
    let mut seen = Vec::new();
    for exchange in recorded().iter().filter(|e| operation(&e.path) == "register") {
        let answer = register::Response::try_from_http(http(exchange.status, &exchange.body)).expect("decodes");
        let errcode = serde_json::from_str::<serde_json::Value>(&exchange.body)
            .ok()
            .and_then(|v| v["errcode"].as_str().map(str::to_owned));
        match (&answer, exchange.status) {
            (register::Response::Ok(body), 200) => assert!(body.user_id.is_some()),
            (register::Response::BadRequest(error), 400) => {
                assert_eq!(Some(error.errcode.as_str()), errcode.as_deref());
                assert!(
                    !matches!(error.errcode, matrix_registration::ErrorCode::Other(_)),
                    "a code the spec defines"
                )
            }
            (register::Response::Unauthorized(state), 401) => {
                assert!(!state.flows.is_empty() && state.session.is_some())
            }
            _ => panic!("{} {}: decoded as {answer:?}", exchange.status, exchange.body),
        }
        seen.push(exchange.status);
    }
    for status in [200, 400, 401] {
        assert!(seen.contains(&status), "the recordings have a {status} for /register");
    }
}

#[test]
fn every_recorded_password_answer_decodes_keeping_the_uiaa_error() {
    let mut forbidden = 0;
    for exchange in recorded().iter().filter(|e| operation(&e.path) == "account/password") {
        let answer = change_password::Response::try_from_http(http(exchange.status, &exchange.body)).expect("decodes");
        match answer {
            change_password::Response::Ok(_) => assert_eq!(exchange.status, 200),
            change_password::Response::Unauthorized(state) => {
                assert!(!state.flows.is_empty() && state.session.is_some(), "{}", exchange.body);
                if state.errcode == Some(matrix_registration::ErrorCode::Forbidden) {
                    assert_eq!(state.error.as_deref(), Some("Invalid username or password"));
                    forbidden += 1;
                }
            }
            other => panic!("{} {}: decoded as {other:?}", exchange.status, exchange.body),
        }
    }
    assert_eq!(
        forbidden, 1,
        "the wrong-password 401 keeps both its UIAA state and its errcode"
    );
}

#[test]
fn the_recorded_email_token_refusal_decodes() {
    let exchange = recorded()
        .into_iter()
        .find(|e| operation(&e.path) == "register/email/requestToken")
        .expect("recorded");
    match request_token_to_register_email::Response::try_from_http(http(exchange.status, &exchange.body))
        .expect("decodes")
    {
        request_token_to_register_email::Response::BadRequest(error) => assert_eq!(error.errcode, "M_UNKNOWN"),
        other => panic!("decoded as {other:?}"),
    }
}

/// Statuses the recordings lack, with the bodies Synapse sends for them.
#[test]
fn statuses_missing_from_the_recordings_decode_too() {
    let limited = r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too Many Requests","retry_after_ms":2000}"#;
    match register::Response::try_from_http(http(429, limited)).expect("decodes") {
        register::Response::TooManyRequests(error) => {
            assert_eq!(error.errcode, "M_LIMIT_EXCEEDED");
            assert_eq!(error.extra["retry_after_ms"], 2000, "extra keys of an error are kept");
        }
        other => panic!("decoded as {other:?}"),
    }
    match change_password::Response::try_from_http(http(429, limited)).expect("decodes") {
        change_password::Response::TooManyRequests(error) => assert_eq!(error.errcode, "M_LIMIT_EXCEEDED"),
        other => panic!("decoded as {other:?}"),
    }
    let sent = r#"{"sid":"abcdefg","submit_url":"https://example.org/submit"}"#;
    match request_token_to_register_email::Response::try_from_http(http(200, sent)).expect("decodes") {
        request_token_to_register_email::Response::Ok(body) => assert_eq!(body["sid"], "abcdefg"),
        other => panic!("decoded as {other:?}"),
    }
}

#[test]
fn a_401_that_is_a_plain_error_decodes_as_an_error_and_an_undocumented_status_keeps_its_body() {
    let unknown = r#"{"errcode":"M_UNKNOWN_TOKEN","error":"Unknown access token","soft_logout":false}"#;
    match change_password::Response::try_from_http(http(401, unknown)).expect("a plain error is no decoding failure") {
        change_password::Response::Error { status, error } => {
            assert_eq!(status, 401);
            assert_eq!(error.errcode, "M_UNKNOWN_TOKEN");
            assert_eq!(error.extra["soft_logout"], false);
        }
        other => panic!("decoded as {other:?}"),
    }
    match register::Response::try_from_http(http(502, "<html>Bad Gateway</html>")).expect("decodes") {
        register::Response::Unexpected { status, body } => {
            assert_eq!(status, 502);
            assert_eq!(&body[..], b"<html>Bad Gateway</html>");
        }
        other => panic!("decoded as {other:?}"),
    }
    let forbidden = r#"{"errcode":"M_FORBIDDEN","error":"Registration is disabled"}"#;
    match register::Response::try_from_http(http(403, forbidden)).expect("decodes") {
        register::Response::Error { status, error } => {
            assert_eq!((status.as_u16(), error.errcode.as_str()), (403, "M_FORBIDDEN"))
        }
        other => panic!("decoded as {other:?}"),
    }
    let garbage = register::Response::try_from_http(http(200, "not json"));
    assert!(
        garbage.is_err(),
        "a 200 that is not the documented body is a decoding failure"
    );
}
