//! The room's timeline: messages (and a retried transaction), a filtered initial sync and an
//! incremental one, `/messages` paged back, one event by id, typing, receipts, the read marker
//! and a redaction.

use matrix_client_server::endpoints::{
    define_filter, get_account_data_per_room, get_filter, get_one_room_event, get_room_events, post_receipt,
    redact_event, send_message, set_read_marker, set_typing,
};
use matrix_client_server::types::{RoomEventFilter, RoomFilter, SyncFilter};

use crate::syncing::{Message, Syncer, joined, messages, readers, typing};
use crate::{Failure, Log, Sent, User, ensure};

/// The timeline limit of the sync filter: more than the room's events, so that the initial
/// sync holds every message.
const TIMELINE_LIMIT: i64 = 50;

/// How many events a `/messages` page holds at most.
const PAGE: i64 = 2;

/// `user` uploads a sync filter for the room (and reads it back); its sync loop with it.
pub(crate) async fn filtered_sync(user: &User, room_id: &str, log: &mut Log<'_>) -> Result<Syncer, Failure> {
    let mut timeline = RoomEventFilter::new();
    timeline.limit = Some(TIMELINE_LIMIT);
    let mut room = RoomFilter::new();
    room.rooms = Some(vec![room_id.to_owned()]);
    room.timeline = Some(timeline);
    let mut filter = SyncFilter::new();
    filter.room = Some(room);
    let request = define_filter::Request::new(user.user_id.clone(), filter.clone());
    let answer = user.client.define_filter(&request).await.or_fail(&request)?;
    let define_filter::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let filter_id = body.filter_id;
    log.step(
        &request,
        format!("{} uploads a sync filter for the room", user.name),
        format!("Ok, filter {filter_id}"),
    );
    let request = get_filter::Request::new(user.user_id.clone(), filter_id.clone());
    let answer = user.client.get_filter(&request).await.or_fail(&request)?;
    let get_filter::Response::Ok(read) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let room = read.room.as_ref();
    let limit = room.and_then(|r| r.timeline.as_ref()?.limit);
    let rooms = room.and_then(|r| r.rooms.clone());
    ensure(
        &request,
        limit == Some(TIMELINE_LIMIT) && rooms == Some(vec![room_id.to_owned()]),
        || format!("the filter read back has timeline limit {limit:?}, rooms {rooms:?}"),
    )?;
    log.step(
        &request,
        "read the filter back",
        format!("Ok, the room, timeline limit {TIMELINE_LIMIT}"),
    );
    Ok(Syncer::new(Some(filter_id)))
}

/// Sends `body` to the room as `user` in transaction `txn_id`, the step called `action`
/// (`None`: "says ..."); the message sent.
async fn send(
    user: &User,
    room_id: &str,
    txn_id: &str,
    body: &str,
    action: Option<String>,
    log: &mut Log<'_>,
) -> Result<Message, Failure> {
    let content = [
        ("msgtype".to_owned(), serde_json::Value::from("m.text")),
        ("body".to_owned(), serde_json::Value::from(body)),
    ];
    let request = send_message::Request::new(
        room_id.to_owned(),
        "m.room.message".to_owned(),
        txn_id.to_owned(),
        content.into_iter().collect(),
    );
    let answer = user.client.send_message(&request).await.or_fail(&request)?;
    let send_message::Response::Ok(sent) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, sent.event_id.starts_with('$'), || {
        format!("event id {}", sent.event_id)
    })?;
    let action = action.unwrap_or_else(|| format!("{} says {body:?}", user.name));
    log.step(&request, action, format!("Ok, {}", sent.event_id));
    Ok(Message {
        event_id: sent.event_id,
        sender: user.user_id.clone(),
        body: body.to_owned(),
    })
}

/// The two talk; a retried transaction is the same event; `host`'s initial sync holds every
/// message in order, and its incremental sync only the one sent after it. Every message.
pub(crate) async fn converse(
    host: &User,
    guest: &User,
    room_id: &str,
    host_sync: &mut Syncer,
    log: &mut Log<'_>,
) -> Result<Vec<Message>, Failure> {
    let lines = [
        (host, "Hello!"),
        (guest, "Hi, the invite worked."),
        (host, "Shall we check every answer?"),
        (guest, "Typed, each one."),
        (host, "Then sync, and page back."),
    ];
    let mut sent = Vec::new();
    for (index, (user, body)) in lines.into_iter().enumerate() {
        sent.push(send(user, room_id, &format!("session-{index}"), body, None, log).await?);
    }
    let retry = Some(format!("{} sends transaction session-0 again", host.name));
    let again = send(host, room_id, "session-0", "Hello!", retry, log).await?;
    if again.event_id != sent[0].event_id {
        let made = again.event_id;
        return Err(Failure::new::<send_message::Request>(format!(
            "the retried transaction made another event {made}"
        )));
    }
    let (request, body) = host_sync.once(host).await?;
    let seen = joined(&body, room_id).map(messages).unwrap_or_default();
    ensure(&request, seen == sent, || format!("the initial sync shows {seen:?}"))?;
    log.step(
        &request,
        format!("{}'s initial sync, filtered", host.name),
        format!("Ok, the {} messages in order, once each", sent.len()),
    );
    let late = send(guest, room_id, "session-late", "One more, after your sync.", None, log).await?;
    let (request, seen, syncs) = host_sync
        .until(host, "the late message", |body| {
            joined(body, room_id).map(messages).filter(|m| !m.is_empty())
        })
        .await?;
    ensure(&request, seen == [late.clone()], || {
        format!("the incremental sync shows {seen:?}")
    })?;
    log.step(
        &request,
        format!("{}'s incremental sync (since)", host.name),
        format!("Ok, only the late message ({syncs} sync)"),
    );
    sent.push(late);
    Ok(sent)
}

/// `user` pages back through the room's messages, [`PAGE`] at a time, and sees them all in
/// reverse order; one of them read by id.
pub(crate) async fn paginate(user: &User, room_id: &str, sent: &[Message], log: &mut Log<'_>) -> Result<(), Failure> {
    let mut only_messages = RoomEventFilter::new();
    only_messages.types = Some(vec!["m.room.message".to_owned()]);
    let filter = serde_json::to_string(&only_messages).unwrap_or_default();
    let mut seen = Vec::new();
    let mut from = None;
    for page in 1..=sent.len() + 2 {
        let mut request = get_room_events::Request::new(room_id.to_owned(), get_room_events::Dir::B);
        request.limit = Some(PAGE);
        request.filter = Some(filter.clone());
        request.from = from.take();
        let answer = user.client.get_room_events(&request).await.or_fail(&request)?;
        let get_room_events::Response::Ok(body) = answer else {
            return Err(Failure::answer(&request, "Ok", &answer));
        };
        let count = body.chunk.len();
        ensure(&request, i64::try_from(count).is_ok_and(|n| n <= PAGE), || {
            format!("{count} events in a page")
        })?;
        seen.extend(body.chunk.into_iter().map(|event| Message {
            body: Message::body_of(&event.content),
            event_id: event.event_id,
            sender: event.sender,
        }));
        let more = if body.end.is_some() {
            "an end token"
        } else {
            "no end: the room's start"
        };
        log.step(
            &request,
            format!("page {page} back, limit {PAGE}"),
            format!("Ok, {count} messages, {more}"),
        );
        match body.end {
            Some(end) if count > 0 => from = Some(end),
            _ => break,
        }
    }
    let expected: Vec<Message> = sent.iter().rev().cloned().collect();
    if seen != expected {
        return Err(Failure::new::<get_room_events::Request>(format!(
            "paged back to {seen:?}, expected {expected:?}"
        )));
    }
    let first = &sent[0];
    let request = get_one_room_event::Request::new(room_id.to_owned(), first.event_id.clone());
    let answer = user.client.get_one_room_event(&request).await.or_fail(&request)?;
    let get_one_room_event::Response::Ok(event) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let body = event.content.get("body").and_then(|b| b.as_str());
    ensure(
        &request,
        event.sender == first.sender && body == Some(first.body.as_str()),
        || format!("{} said {body:?}", event.sender),
    )?;
    log.step(
        &request,
        "read the first message by id",
        format!("Ok, {:?} from {}", first.body, first.sender),
    );
    Ok(())
}

/// `guest` types, reads `host`'s last message and stops typing; `host`'s sync sees each, and
/// `host` moves its read marker, which its room account data then holds.
pub(crate) async fn typing_and_receipts(
    host: &User,
    guest: &User,
    room_id: &str,
    sent: &[Message],
    host_sync: &mut Syncer,
    log: &mut Log<'_>,
) -> Result<(), Failure> {
    for typing_now in [true, false] {
        let mut body = set_typing::RequestBody::new(typing_now);
        body.timeout = typing_now.then_some(30_000);
        let request = set_typing::Request::new(guest.user_id.clone(), room_id.to_owned(), body);
        let answer = guest.client.set_typing(&request).await.or_fail(&request)?;
        let set_typing::Response::Ok(_) = answer else {
            return Err(Failure::answer(&request, "Ok", &answer));
        };
        let what = if typing_now { "starts" } else { "stops" };
        log.step(&request, format!("{} {what} typing", guest.name), "Ok");
        let (request, users, syncs) = host_sync
            .until(host, "the typing change", |body| {
                let users = joined(body, room_id).and_then(typing)?;
                (users.contains(&guest.user_id) == typing_now).then_some(users)
            })
            .await?;
        log.step(
            &request,
            format!("{}'s sync", host.name),
            format!("Ok, m.typing {users:?} ({syncs} sync)"),
        );
        if typing_now {
            read_receipt(host, guest, room_id, sent, host_sync, log).await?;
        }
    }
    read_marker(host, room_id, sent, log).await
}

async fn read_receipt(
    host: &User,
    guest: &User,
    room_id: &str,
    sent: &[Message],
    host_sync: &mut Syncer,
    log: &mut Log<'_>,
) -> Result<(), Failure> {
    let Some(last) = sent.iter().rev().find(|m| m.sender == host.user_id) else {
        return Err(Failure::new::<post_receipt::Request>("no message of the host to read"));
    };
    let request = post_receipt::Request::new(
        room_id.to_owned(),
        post_receipt::ReceiptType::MRead,
        last.event_id.clone(),
        post_receipt::RequestBody::new(),
    );
    let answer = guest.client.post_receipt(&request).await.or_fail(&request)?;
    let post_receipt::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} reads {:?} (m.read)", guest.name, last.body), "Ok");
    let (request, _, syncs) = host_sync
        .until(host, "the receipt", |body| {
            let room = joined(body, room_id)?;
            readers(room, &last.event_id).contains(&guest.user_id).then_some(())
        })
        .await?;
    log.step(
        &request,
        format!("{}'s sync", host.name),
        format!("Ok, m.receipt: {} read it ({syncs} sync)", guest.name),
    );
    Ok(())
}

async fn read_marker(user: &User, room_id: &str, sent: &[Message], log: &mut Log<'_>) -> Result<(), Failure> {
    let last = sent.last().map(|m| m.event_id.clone()).unwrap_or_default();
    let mut body = set_read_marker::RequestBody::new();
    body.m_fully_read = Some(last.clone());
    body.m_read = Some(last.clone());
    let request = set_read_marker::Request::new(room_id.to_owned(), body);
    let answer = user.client.set_read_marker(&request).await.or_fail(&request)?;
    let set_read_marker::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(
        &request,
        format!("{} moves the read marker to the last message", user.name),
        "Ok",
    );
    let request =
        get_account_data_per_room::Request::new(user.user_id.clone(), room_id.to_owned(), "m.fully_read".into());
    let answer = user
        .client
        .get_account_data_per_room(&request)
        .await
        .or_fail(&request)?;
    let get_account_data_per_room::Response::Ok(content) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let marker = content.get("event_id").and_then(|e| e.as_str());
    ensure(&request, marker == Some(last.as_str()), || {
        format!("m.fully_read at {marker:?}")
    })?;
    log.step(
        &request,
        "read the m.fully_read room account data",
        format!("Ok, at {last}"),
    );
    Ok(())
}

/// `user` redacts its second message; the event reads back without its body, redacted
/// because of the redaction with its reason.
pub(crate) async fn redact(user: &User, room_id: &str, sent: &[Message], log: &mut Log<'_>) -> Result<(), Failure> {
    let Some(target) = sent.iter().filter(|m| m.sender == user.user_id).nth(1) else {
        return Err(Failure::new::<redact_event::Request>("no second message to redact"));
    };
    let reason = "checking redactions";
    let mut body = redact_event::RequestBody::new();
    body.reason = Some(reason.to_owned());
    let request = redact_event::Request::new(room_id.to_owned(), target.event_id.clone(), "redact-1".to_owned(), body);
    let answer = user.client.redact_event(&request).await.or_fail(&request)?;
    let redact_event::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let Some(redaction) = body.event_id else {
        return Err(Failure::of(&request, "no event_id for the redaction"));
    };
    log.step(
        &request,
        format!("{} redacts {:?}", user.name, target.body),
        format!("Ok, {redaction}"),
    );
    let request = get_one_room_event::Request::new(room_id.to_owned(), target.event_id.clone());
    let answer = user.client.get_one_room_event(&request).await.or_fail(&request)?;
    let get_one_room_event::Response::Ok(event) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let because = event.unsigned.as_ref().and_then(|u| u.redacted_because.as_ref());
    let why = because.and_then(|b| b.get("content")?.get("reason")?.as_str());
    let by = because.and_then(|b| b.get("event_id")?.as_str());
    ensure(
        &request,
        event.content.get("body").is_none() && why == Some(reason) && by == Some(&redaction),
        || format!("content {:?}, redacted because {because:?}", event.content),
    )?;
    log.step(
        &request,
        "read the redacted message",
        format!("Ok, no body, redacted_because {redaction}"),
    );
    Ok(())
}
