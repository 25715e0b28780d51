//! Serde and HTTP conversions of the generated types against ruma-client-api 0.25, on the
//! recorded Synapse exchange: the register request body, the register 200 and the UIAA 401.
//!
//! Every group has a `generated` and a `ruma` function doing the same thing at the same level:
//!
//! - `*_body_de` / `*_body_ser`: the JSON body alone, `serde_json::from_slice` / `to_vec` of the
//!   generated type against ruma's serde type for the same body (`register::v3::RequestBody` and
//!   `ResponseBody`, which ruma's macros generate `#[doc(hidden)]`, and `uiaa::UiaaInfo`);
//! - `*_http_server_parse` / `*_http_server_build`: what a server does, `Request::try_from_http`
//!   / `Response::into_http` against `IncomingRequest::try_from_http_request` /
//!   `OutgoingResponse::try_into_http_response`;
//! - `*_http_client_build` / `*_http_client_parse`: what a client does, `Request::try_into_http`
//!   / `Response::try_from_http` against `OutgoingRequest::try_into_http_request` /
//!   `IncomingResponse::try_from_http_response`.
//!
//! `response_body_*_without_home_server` read and write the 200 body without `home_server`, the key
//! ruma's type lacks, so that both do the same work.
//!
//! `json_body_de` prices `serde_path_to_error` on the generated `RequestBody`: plain
//! `serde_json::from_slice` (the generated server's good path) against
//! `serde_path_to_error::deserialize` (axum's `Json`, and the generated server's re-read of a
//! body that failed, to name the field).
//!
//! `cargo bench -p bench --bench serde` (add `-- --quick` for a short run).

use std::borrow::Cow;
use std::hint::black_box;

use bytes::Bytes;
use common::{batched, body_groups};
use criterion::{Criterion, criterion_group, criterion_main};
use matrix_registration::endpoints::register;
use matrix_registration::types::AuthResponse;
use ruma_client_api::account::register::v3 as ruma_register;
use ruma_client_api::uiaa::{UiaaInfo, UiaaResponse};
use ruma_common::api::auth_scheme::SendAccessToken;
use ruma_common::api::error::FromHttpResponseError;
use ruma_common::api::{
    IncomingRequestExt, IncomingResponseExt, MatrixVersion, OutgoingRequestExt, OutgoingResponseExt, SupportedVersions,
};

mod common;

const REQUEST: &[u8] = bench::REGISTER_REQUEST.as_bytes();
const RESPONSE: &[u8] = bench::REGISTER_RESPONSE.as_bytes();
const UIAA: &[u8] = bench::UIAA_RESPONSE.as_bytes();
const SERVER: &str = "http://localhost";

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

fn http_request() -> http::Request<Bytes> {
    http::Request::builder()
        .method(http::Method::POST)
        .uri(bench::REGISTER_URI)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(REQUEST))
        .expect("the request builds")
}

fn http_response(status: u16, body: &'static [u8]) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(body))
        .expect("the response builds")
}

fn borrowed<T: AsRef<[u8]>>(message: &http::Request<T>) -> http::Request<&[u8]> {
    let mut builder = http::Request::builder().method(message.method()).uri(message.uri());
    for (name, value) in message.headers() {
        builder = builder.header(name, value);
    }
    builder.body(message.body().as_ref()).expect("the request copies")
}

fn borrowed_response(message: &http::Response<Bytes>) -> http::Response<&[u8]> {
    let mut builder = http::Response::builder().status(message.status());
    for (name, value) in message.headers() {
        builder = builder.header(name, value);
    }
    builder.body(message.body().as_ref()).expect("the response copies")
}

/// The register request body: serde only.
fn request_body(c: &mut Criterion) {
    let generated: register::RequestBody = serde_json::from_slice(REQUEST).expect("generated reads it");
    let ruma: ruma_register::RequestBody = serde_json::from_slice(REQUEST).expect("ruma reads it");
    assert_eq!(json(&serde_json::to_vec(&generated).expect("writes")), json(REQUEST));
    assert_eq!(json(&serde_json::to_vec(&ruma).expect("writes")), json(REQUEST));

    body_groups(c, "request_body", REQUEST, &generated, &ruma);

    // What serde_path_to_error costs on top of serde_json.
    let mut group = c.benchmark_group("json_body_de");
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<register::RequestBody>(black_box(REQUEST)).expect("reads"))
    });
    group.bench_function("serde_path_to_error", |b| {
        b.iter(|| {
            let mut deserializer = serde_json::Deserializer::from_slice(black_box(REQUEST));
            let body: register::RequestBody = serde_path_to_error::deserialize(&mut deserializer).expect("reads");
            deserializer.end().expect("ends");
            body
        })
    });
    group.finish();
}

/// The register request over HTTP: a server reading it, a client building it.
fn request_http(c: &mut Criterion) {
    let request = http_request();
    let generated = register::Request::try_from_http(&request).expect("generated reads it");
    let ruma = ruma_register::Request::try_from_http_request(borrowed(&request), &[]).expect("ruma reads it");
    assert_eq!(generated.body.username.as_deref(), Some("alice"));
    assert_eq!(ruma.username.as_deref(), Some("alice"));

    let mut group = c.benchmark_group("request_http_server_parse");
    group.bench_function("generated", |b| {
        b.iter(|| register::Request::try_from_http(black_box(&request)).expect("reads"))
    });
    // ruma takes the request by value, with a borrowed body: the copy of the head is made outside the timing.
    batched(
        &mut group,
        "ruma",
        || borrowed(&request),
        |request| ruma_register::Request::try_from_http_request(request, &[]).expect("reads"),
    );
    group.finish();

    let prefix = format!("{SERVER}/_matrix/client/v3");
    let versions = SupportedVersions {
        versions: [MatrixVersion::V1_1].into(),
        features: Default::default(),
    };
    let ours = generated.try_into_http(&prefix).expect("generated writes it");
    let theirs = ruma
        .clone()
        .try_into_http_request::<Vec<u8>>(SERVER, SendAccessToken::None, Cow::Borrowed(&versions))
        .expect("ruma writes it");
    assert_eq!(ours.uri(), theirs.uri(), "both send to the same URI");
    assert_eq!(json(ours.body()), json(theirs.body()), "both send the same body");

    let mut group = c.benchmark_group("request_http_client_build");
    group.bench_function("generated", |b| {
        b.iter(|| black_box(&generated).try_into_http(black_box(&prefix)).expect("writes"))
    });
    // ruma's request is consumed: the clone is made outside the timing.
    batched(
        &mut group,
        "ruma",
        || ruma.clone(),
        |request| {
            request
                .try_into_http_request::<Vec<u8>>(SERVER, SendAccessToken::None, Cow::Borrowed(&versions))
                .expect("writes")
        },
    );
    group.finish();
}

/// The register 200: serde of the body, a server building it, a client reading it.
fn response(c: &mut Criterion) {
    let generated: register::ResponseBody = serde_json::from_slice(RESPONSE).expect("generated reads it");
    let ruma: ruma_register::ResponseBody = serde_json::from_slice(RESPONSE).expect("ruma reads it");

    // ruma has no `home_server` (deprecated in the spec): its body is 24 bytes shorter.
    body_groups(c, "response_body", RESPONSE, &generated, &ruma);

    response_body_without_home_server(c, &ruma);
    response_http(c);
}

/// The 200 body without `home_server`, the key ruma does not have: the same work for both.
fn response_body_without_home_server(c: &mut Criterion, ruma: &ruma_register::ResponseBody) {
    let without: &[u8] = br#"{"user_id":"@alice:localhost","access_token":"syt_YWxpY2U_EuWOVSGeveAJaRpanfvI_4VJjEr","device_id":"CQITXWIPSD"}"#;
    let generated_without: register::ResponseBody = serde_json::from_slice(without).expect("generated reads it");
    assert_eq!(
        json(&serde_json::to_vec(&generated_without).expect("writes")),
        json(without)
    );
    assert_eq!(json(&serde_json::to_vec(ruma).expect("writes")), json(without));
    let mut group = c.benchmark_group("response_body_de_without_home_server");
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::from_slice::<register::ResponseBody>(black_box(without)).expect("reads"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::from_slice::<ruma_register::ResponseBody>(black_box(without)).expect("reads"))
    });
    group.finish();
    let mut group = c.benchmark_group("response_body_ser_without_home_server");
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::to_vec(black_box(&generated_without)).expect("writes"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::to_vec(black_box(ruma)).expect("writes"))
    });
    group.finish();
}

/// The register 200 over HTTP: a server building it, a client reading it.
fn response_http(c: &mut Criterion) {
    let message = http_response(200, RESPONSE);
    let generated = register::Response::try_from_http(message.clone()).expect("generated reads it");
    let ruma = ruma_register::Response::try_from_http_response(borrowed_response(&message)).expect("ruma reads it");
    assert!(matches!(generated, register::Response::Ok(_)));
    assert_eq!(ruma.user_id.as_str(), "@alice:localhost");

    let mut group = c.benchmark_group("response_http_server_build");
    batched(
        &mut group,
        "generated",
        || generated.clone(),
        register::Response::into_http,
    );
    batched(
        &mut group,
        "ruma",
        || ruma.clone(),
        |response| response.try_into_http_response::<Vec<u8>>().expect("writes"),
    );
    group.finish();

    let mut group = c.benchmark_group("response_http_client_parse");
    batched(
        &mut group,
        "generated",
        || message.clone(),
        |message| register::Response::try_from_http(message).expect("reads"),
    );
    batched(
        &mut group,
        "ruma",
        || borrowed_response(&message),
        |message| ruma_register::Response::try_from_http_response(message).expect("reads"),
    );
    group.finish();
}

/// The UIAA 401: serde of the body, a client reading it, a server building it.
fn uiaa(c: &mut Criterion) {
    let generated: AuthResponse = serde_json::from_slice(UIAA).expect("generated reads it");
    let ruma: UiaaInfo = serde_json::from_slice(UIAA).expect("ruma reads it");

    let mut group = c.benchmark_group("uiaa_body_de");
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::from_slice::<AuthResponse>(black_box(UIAA)).expect("reads"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::from_slice::<UiaaInfo>(black_box(UIAA)).expect("reads"))
    });
    group.finish();

    let mut group = c.benchmark_group("uiaa_body_ser");
    group.bench_function("generated", |b| {
        b.iter(|| serde_json::to_vec(black_box(&generated)).expect("writes"))
    });
    group.bench_function("ruma", |b| {
        b.iter(|| serde_json::to_vec(black_box(&ruma)).expect("writes"))
    });
    group.finish();

    let message = http_response(401, UIAA);
    let ours = register::Response::try_from_http(message.clone()).expect("generated reads it");
    assert!(matches!(ours, register::Response::Unauthorized(_)));
    let theirs = ruma_register::Response::try_from_http_response(borrowed_response(&message));
    assert!(matches!(
        theirs,
        Err(FromHttpResponseError::Server(UiaaResponse::AuthResponse(_)))
    ));

    let mut group = c.benchmark_group("uiaa_http_client_parse");
    batched(
        &mut group,
        "generated",
        || message.clone(),
        |message| register::Response::try_from_http(message).expect("reads"),
    );
    batched(
        &mut group,
        "ruma",
        || borrowed_response(&message),
        |message| ruma_register::Response::try_from_http_response(message).expect_err("a UIAA answer"),
    );
    group.finish();

    let mut group = c.benchmark_group("uiaa_http_server_build");
    batched(&mut group, "generated", || ours.clone(), register::Response::into_http);
    batched(
        &mut group,
        "ruma",
        || UiaaResponse::AuthResponse(ruma.clone()),
        |response| response.try_into_http_response::<Vec<u8>>().expect("writes"),
    );
    group.finish();
}

criterion_group!(benches, request_body, request_http, response, uiaa);
criterion_main!(benches);
