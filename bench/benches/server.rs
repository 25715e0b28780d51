//! Generated server overhead, in-process: `POST /_matrix/client/v3/register` through the
//! generated axum router (a minimal `Server`) against a hand-written axum handler doing the same
//! work, each called with `tower::ServiceExt::oneshot` on a clone of the router, the answer's
//! body read to the end. Both answer with the same bytes (checked before measuring).
//!
//! `cargo bench -p bench --bench server` (add `-- --quick` for a short run).

use std::hint::black_box;

use axum::Router;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn call(router: Router) -> Bytes {
    let request = bench::register_request().expect("the request builds");
    let response = router.oneshot(request).await.expect("routers are infallible");
    assert_eq!(response.status(), http::StatusCode::OK);
    response.into_body().collect().await.expect("the body reads").to_bytes()
}

fn register(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let answer = runtime
        .block_on(bench::check_identical())
        .expect("both routers answer with the same bytes");
    eprintln!(
        "both routers answer: {} {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );

    let generated = bench::generated_router();
    let hand_written = bench::hand_written::router();
    let mut group = c.benchmark_group("register_in_process");
    group.bench_function("generated", |b| {
        b.iter(|| runtime.block_on(call(black_box(generated.clone()))))
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| runtime.block_on(call(black_box(hand_written.clone()))))
    });
    group.finish();

    // Where the generated path spends its time: the sans-IO parse and build alone, without axum.
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(bench::REGISTER_URI)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from_static(bench::REGISTER_REQUEST.as_bytes()))
        .expect("the request builds");
    let mut group = c.benchmark_group("register_generated_parts");
    group.bench_function("request_try_from_http", |b| {
        b.iter(|| matrix_registration::endpoints::register::Request::try_from_http(black_box(&request)))
    });
    let response = match runtime.block_on(async {
        use matrix_registration::server::Server;
        bench::MinimalServer
            .register(
                matrix_registration::endpoints::register::Request::try_from_http(&request)?,
                matrix_registration::server::RequestContext::new(),
            )
            .await
    }) {
        Ok(response) => response,
        Err(_) => panic!("the minimal server answers"),
    };
    group.bench_function("response_into_http", |b| {
        b.iter(|| black_box(response.clone()).into_http())
    });
    group.finish();
}

criterion_group!(benches, register);
criterion_main!(benches);
