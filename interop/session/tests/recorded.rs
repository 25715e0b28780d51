//! The session's exchanges as Synapse 1.163 answered them (`fixtures/synapse-session.txt`,
//! recorded from the same requests the session sends, tokens and passwords redacted): every
//! request is the request of exactly one generated operation, every answer decodes into the
//! variant of its status, and what the session reads from its syncs is there.
//!
//! The format is interop's: `### METHOD PATH`, `>>> request body`, `<<< answer body`,
//! `<<< HTTP status`; a media download's bytes are described in parentheses instead.

use bytes::Bytes;
use interop_session::syncing::{Message, invited_membership, joined, messages, readers, typing};
use matrix_client_server::endpoints::*;

/// One recorded exchange.
struct Exchange {
    method: String,
    path: String,
    request: Option<String>,
    status: u16,
    answer: String,
}

fn recorded() -> Vec<Exchange> {
    let text = include_str!("fixtures/synapse-session.txt");
    let mut exchanges = Vec::new();
    for block in text.split("### ").skip(1) {
        let mut lines = block.lines();
        let head = lines.next().unwrap_or_default();
        let (method, path) = head.split_once(' ').expect("### METHOD PATH");
        let request = block.lines().find_map(|l| l.strip_prefix(">>> ")).map(str::to_owned);
        let answers: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("<<< ")).collect();
        let status = answers.iter().find_map(|a| a.strip_prefix("HTTP ")).expect("a status");
        let answer = answers
            .iter()
            .find(|a| !a.starts_with("HTTP "))
            .copied()
            .unwrap_or_default();
        exchanges.push(Exchange {
            method: method.to_owned(),
            path: path.to_owned(),
            request,
            status: status.trim().parse().expect("a numeric status"),
            answer: answer.to_owned(),
        });
    }
    exchanges
}

impl Exchange {
    fn http_request(&self) -> http::Request<Bytes> {
        let body = self.request.clone().unwrap_or_default();
        http::Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str())
            .body(Bytes::from(body))
            .expect("a request")
    }

    fn http_answer(&self) -> http::Response<Bytes> {
        http::Response::builder()
            .status(self.status)
            .body(Bytes::from(self.answer.clone()))
            .expect("an answer")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.answer).expect("a JSON answer")
    }
}

/// The name of an answer's variant, from its `Debug`: `Ok`, `Unauthorized`, `Error`, ...
fn variant(answer: &impl std::fmt::Debug) -> String {
    let text = format!("{answer:?}");
    text.split(['(', ' ', '{']).next().unwrap_or_default().to_owned()
}

/// Every operation the session calls: which of them a recorded request is (by method and
/// path), and its answer decoded by that operation.
macro_rules! operations {
    ($($operation:ident),* $(,)?) => {
        fn decode(exchange: &Exchange) -> Vec<(&'static str, Result<String, String>)> {
            let request = exchange.http_request();
            let mut matches = Vec::new();
            $(
                if $operation::METADATA.method == exchange.method
                    && $operation::Request::try_from_http(&request).is_ok()
                {
                    let answer = $operation::Response::try_from_http(exchange.http_answer());
                    matches.push((stringify!($operation), answer.map(|a| variant(&a)).map_err(|e| e.to_string())));
                }
            )*
            matches
        }
    };
}

operations!(
    create_room,
    define_filter,
    delete_device,
    delete_room_tag,
    get_account_data,
    get_account_data_per_room,
    get_capabilities,
    get_config_authed,
    get_content,
    get_content_authed,
    get_content_override_name_authed,
    get_device,
    get_devices,
    get_filter,
    get_joined_members_by_room,
    get_joined_rooms,
    get_login_flows,
    get_members_by_room,
    get_one_room_event,
    get_profile_field,
    get_room_events,
    get_room_state,
    get_room_state_with_key,
    get_room_tags,
    get_token_owner,
    get_user_profile,
    get_versions,
    invite_user,
    join_room_by_id,
    leave_room,
    login,
    logout,
    logout_all,
    post_receipt,
    redact_event,
    register,
    send_message,
    set_account_data,
    set_account_data_per_room,
    set_profile_field,
    set_read_marker,
    set_room_state_with_key,
    set_room_tag,
    set_typing,
    sync,
    update_device,
    upload_content,
);

#[test]
fn every_recorded_answer_decodes_into_the_variant_of_its_status() {
    let exchanges = recorded();
    assert!(exchanges.len() > 50, "{} exchanges", exchanges.len());
    for exchange in &exchanges {
        let what = format!("{} {} ({})", exchange.method, exchange.path, exchange.status);
        let matches = decode(exchange);
        let [(operation, answer)] = matches.as_slice() else {
            panic!("{what} is the request of {:?}, not of exactly one operation", matches);
        };
        if exchange.answer.starts_with('(') {
            // Media bytes, not kept in the recording; the session checks them live.
            continue;
        }
        let seen = answer
            .as_ref()
            .unwrap_or_else(|e| panic!("{operation}: {what} does not decode: {e}"));
        let success = (200..300).contains(&exchange.status);
        assert!(seen != "Unexpected", "{operation}: {what} decodes as Unexpected");
        assert_eq!(seen == "Ok", success, "{operation}: {what} decodes as {seen}");
    }
}

/// The room, the invitee and the messages of the recording, from its requests and answers.
struct Session {
    room_id: String,
    invitee: String,
    sent: Vec<Message>,
}

fn session(exchanges: &[Exchange]) -> Session {
    let created = exchanges
        .iter()
        .find(|e| e.path.ends_with("/createRoom"))
        .expect("a createRoom");
    let invite = exchanges
        .iter()
        .find(|e| e.path.ends_with("/invite"))
        .expect("an invite");
    let invite: serde_json::Value = serde_json::from_str(invite.request.as_deref().unwrap_or("{}")).expect("JSON");
    let sent = exchanges
        .iter()
        .filter(|e| e.path.contains("/send/m.room.message/"))
        .map(|e| {
            let content: serde_json::Value = serde_json::from_str(e.request.as_deref().unwrap_or("{}")).expect("JSON");
            Message {
                event_id: e.json()["event_id"].as_str().unwrap_or_default().to_owned(),
                sender: String::new(),
                body: content["body"].as_str().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    Session {
        room_id: created.json()["room_id"].as_str().expect("a room_id").to_owned(),
        invitee: invite["user_id"].as_str().expect("a user_id").to_owned(),
        sent,
    }
}

fn syncs(exchanges: &[Exchange]) -> Vec<sync::ResponseBody> {
    let syncs = exchanges
        .iter()
        .filter(|e| e.path.starts_with("/_matrix/client/v3/sync"));
    syncs
        .map(|e| match sync::Response::try_from_http(e.http_answer()) {
            Ok(sync::Response::Ok(body)) => body,
            other => panic!("{}: {other:?}", e.path),
        })
        .collect()
}

#[test]
fn the_recorded_syncs_show_what_the_session_waits_for() {
    let exchanges = recorded();
    let session = session(&exchanges);
    let [invited, initial, incremental, ephemeral] = syncs(&exchanges).try_into().expect("four syncs");
    assert_eq!(
        invited_membership(&invited, &session.room_id, &session.invitee).as_deref(),
        Some("invite")
    );
    assert_eq!(
        invited_membership(&invited, &session.room_id, "@nobody:localhost"),
        None
    );
    assert!(joined(&invited, &session.room_id).is_none(), "invited, not joined yet");
    let bodies = |seen: Vec<Message>| seen.into_iter().map(|m| (m.event_id, m.body)).collect::<Vec<_>>();
    let expected = bodies(session.sent.clone());
    let room = joined(&initial, &session.room_id).expect("the room in the initial sync");
    assert_eq!(
        bodies(messages(room)),
        expected[..expected.len() - 1],
        "every message but the late one"
    );
    let room = joined(&incremental, &session.room_id).expect("the room in the incremental sync");
    assert_eq!(
        bodies(messages(room)),
        expected[expected.len() - 1..],
        "only the late one"
    );
    assert_eq!(typing(room), None, "no typing yet");
    let room = joined(&ephemeral, &session.room_id).expect("the room in the third sync");
    assert_eq!(typing(room), Some(vec![session.invitee.clone()]));
    let read = &session.sent[session.sent.len() - 2].event_id;
    assert_eq!(readers(room, read), std::slice::from_ref(&session.invitee));
    assert!(readers(room, &session.sent[0].event_id).is_empty());
    assert!(messages(room).is_empty());
}
