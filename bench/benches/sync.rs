//! A `/sync` answer, (de)serialised by the generated whole-API crate (`matrix-client-server`,
//! `generated-client-server/`) and by ruma-client-api 0.25.
//!
//! The answer is the spec's own: the 200 example of the `sync` operation of v1.19, taken from
//! the generator's model (its `$ref`s to the event examples resolved), as compact JSON. A second
//! answer, `sync_large_*`, is the same example with its one joined room repeated under
//! [`LARGE_ROOMS`] room ids: an initial sync of an account in that many rooms.
//!
//! - `*_body_de` / `*_body_ser`: `serde_json` of the generated `sync::ResponseBody` against
//!   ruma's serde body of `sync_events::v3::Response` (`v3::ResponseBody`, `#[doc(hidden)]`, what
//!   its `Response` is read from and written with);
//! - `sync_http_client_parse` / `sync_http_server_build`: `sync::Response::try_from_http` /
//!   `into_http` against `IncomingResponse::try_from_http_response` /
//!   `OutgoingResponse::try_into_http_response`; in `sync_http_client_parse`,
//!   `ruma_typed_events` also reads every event ruma keeps as `Raw` (unparsed JSON) into its
//!   typed event enum, as a client does next (the generated types parse every event at once).
//!
//! Before measuring, both must read the example, and what each writes back is checked against
//! it (see [`check`]): neither reads it exactly as it is, for reasons the checks spell out.
//!
//! `cargo bench -p bench --bench sync` (add `-- --quick` for a short run).

use std::hint::black_box;

use bytes::Bytes;
use common::batched;
use criterion::{Criterion, criterion_group, criterion_main};
use matrix_client_server::endpoints::sync;
use ruma_client_api::sync::sync_events::v3 as ruma_sync;
use ruma_common::api::{IncomingResponseExt, OutgoingResponseExt};
use serde_json::Value;

/// The joined rooms of the large answer.
mod common;

const LARGE_ROOMS: usize = 200;

/// The model name of the example: the 200 answer of `sync`.
const EXAMPLE: &str = "sync::Response::Ok";

/// The spec's example, from the generator's model of the whole API.
fn spec_example() -> Value {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bench crate is in the workspace");
    let whole_api = generator::workspace::CRATES
        .iter()
        .find(|c| c.out == "generated-client-server")
        .expect("the whole API is a committed crate");
    let api = generator::build_model(&whole_api.options(workspace)).expect("the whole API builds");
    api.examples
        .into_iter()
        .find(|e| e.name == EXAMPLE)
        .map(|e| e.value)
        .expect("the sync example is in the model")
}

/// The example with its one joined room repeated under `rooms` room ids.
fn large(example: &Value, rooms: usize) -> Value {
    let mut large = example.clone();
    let join = large["rooms"]["join"]
        .as_object_mut()
        .expect("the example has joined rooms");
    let room = join.values().next().cloned().expect("one joined room");
    join.clear();
    for n in 0..rooms {
        join.insert(format!("!room{n}:example.com"), room.clone());
    }
    large
}

/// The keys of `expected` that `actual` lacks or holds otherwise, as JSON pointers; and the keys
/// only `actual` has.
fn differences(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{at}/{key}");
                match b.get(key) {
                    Some(other) => differences(value, other, &here, out),
                    None => out.push(format!("{here} dropped")),
                }
            }
            out.extend(
                b.keys()
                    .filter(|k| !a.contains_key(*k))
                    .map(|k| format!("{at}/{k} added")),
            );
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (n, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{at}/{n}"), out);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(format!("{at} changed")),
    }
}

/// Both read the example; what each writes back differs from it only where the check says why.
fn check(example: &[u8]) -> (sync::ResponseBody, ruma_sync::ResponseBody) {
    let expected: Value = serde_json::from_slice(example).expect("the example is JSON");
    let generated: sync::ResponseBody = serde_json::from_slice(example).expect("generated reads it");
    let ruma: ruma_sync::ResponseBody = serde_json::from_slice(example).expect("ruma reads it");
    let written = |bytes: Vec<u8>| -> Value { serde_json::from_slice(&bytes).expect("JSON") };
    let mut lost = Vec::new();
    differences(
        &expected,
        &written(serde_json::to_vec(&generated).expect("writes")),
        "",
        &mut lost,
    );
    // The spec's known example error (codegen.toml): its presence event schema has no `sender`.
    assert_eq!(lost, ["/presence/events/0/sender dropped"], "generated");
    let mut lost = Vec::new();
    differences(
        &expected,
        &written(serde_json::to_vec(&ruma).expect("writes")),
        "",
        &mut lost,
    );
    // ruma leaves out empty maps: the example's `"leave": {}`.
    assert_eq!(lost, ["/rooms/leave dropped"], "ruma");
    (generated, ruma)
}

/// Reads every event ruma keeps as `Raw` into its typed enum; how many there were.
fn typed_events(body: &ruma_sync::Response) -> usize {
    fn all<T: serde::de::DeserializeOwned>(events: &[ruma_common::serde::Raw<T>]) -> usize {
        events
            .iter()
            .map(|e| e.deserialize().expect("a typed event"))
            .map(black_box)
            .count()
    }
    let mut n = all(&body.presence.events) + all(&body.account_data.events) + all(&body.to_device.events);
    for room in body.rooms.join.values() {
        let state = match &room.state {
            ruma_sync::State::Before(state) | ruma_sync::State::After(state) => state,
            _ => unreachable!("ruma's sync state is before or after the timeline"),
        };
        n += all(&room.timeline.events) + all(&state.events);
        n += all(&room.ephemeral.events) + all(&room.account_data.events);
    }
    for room in body.rooms.invite.values() {
        n += all(&room.invite_state.events);
    }
    for room in body.rooms.knock.values() {
        n += all(&room.knock_state.events);
    }
    n
}

/// The events of a `/sync` answer: the items of every `events` list.
fn events_in(value: &Value) -> usize {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match (key.as_str(), value) {
                ("events", Value::Array(events)) => events.len(),
                _ => events_in(value),
            })
            .sum(),
        _ => 0,
    }
}

/// Serde of the body: `name` is the group prefix.
fn body(c: &mut Criterion, name: &str, example: &[u8]) {
    let (generated, ruma) = check(example);

    common::body_groups(c, &format!("{name}_body"), example, &generated, &ruma);
}

fn http_response(body: &[u8]) -> http::Response<Bytes> {
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::copy_from_slice(body))
        .expect("the response builds")
}

/// The example over HTTP: a client reading it, a server writing it.
fn http(c: &mut Criterion, example: &[u8]) {
    let message = http_response(example);
    let generated = sync::Response::try_from_http(message.clone()).expect("generated reads it");
    let borrowed = || {
        http::Response::builder()
            .status(200)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(message.body().as_ref())
            .expect("the response copies")
    };
    let ruma = ruma_sync::Response::try_from_http_response(borrowed()).expect("ruma reads it");
    assert!(matches!(generated, sync::Response::Ok(_)));
    assert_eq!(ruma.next_batch, "s72595_4483_1934");
    let expected: Value = serde_json::from_slice(example).expect("the example is JSON");
    assert_eq!(
        typed_events(&ruma),
        events_in(&expected),
        "ruma types every event of the example"
    );

    let mut group = c.benchmark_group("sync_http_client_parse");
    batched(
        &mut group,
        "generated",
        || message.clone(),
        |message| sync::Response::try_from_http(message).expect("reads"),
    );
    batched(&mut group, "ruma", borrowed, |message| {
        ruma_sync::Response::try_from_http_response(message).expect("reads")
    });
    batched(&mut group, "ruma_typed_events", borrowed, |message| {
        typed_events(&ruma_sync::Response::try_from_http_response(message).expect("reads"))
    });
    group.finish();

    let mut group = c.benchmark_group("sync_http_server_build");
    batched(&mut group, "generated", || generated.clone(), sync::Response::into_http);
    batched(
        &mut group,
        "ruma",
        || ruma.clone(),
        |response| response.try_into_http_response::<Vec<u8>>().expect("writes"),
    );
    group.finish();
}

fn benches(c: &mut Criterion) {
    let example = spec_example();
    let compact = serde_json::to_vec(&example).expect("writes");
    let large = serde_json::to_vec(&large(&example, LARGE_ROOMS)).expect("writes");
    eprintln!(
        "sync: the spec's example, {} bytes; the large answer, {LARGE_ROOMS} joined rooms, {} bytes",
        compact.len(),
        large.len()
    );
    body(c, "sync", &compact);
    http(c, &compact);
    body(c, "sync_large", &large);
}

criterion_group!(sync_benches, benches);
criterion_main!(sync_benches);
