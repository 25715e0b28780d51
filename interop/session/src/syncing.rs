//! `/sync` as the session uses it: a sync loop that keeps its `since` token and waits for
//! news, and what a sync answer shows of one room (messages, invites, typing, receipts), read
//! from the generated types only.

use std::time::Duration;

use matrix_client_server::endpoints::sync;

use crate::{Failure, Sent, User};

/// How long one incremental sync waits on the server for news.
const WAIT: Duration = Duration::from_secs(5);

/// How many incremental syncs a step waits through for what it expects.
const ATTEMPTS: usize = 8;

/// A user's sync loop: the filter it syncs with and the batch it has seen.
pub(crate) struct Syncer {
    filter: Option<String>,
    since: Option<String>,
}

impl Syncer {
    /// A loop that has seen nothing yet: its first sync is an initial one.
    pub(crate) fn new(filter: Option<String>) -> Self {
        Self { filter, since: None }
    }

    /// One sync: initial the first time, else since the last batch, waiting for news.
    pub(crate) async fn once(&mut self, user: &User) -> Result<(sync::Request, sync::ResponseBody), Failure> {
        let mut request = sync::Request::new();
        request.filter = self.filter.clone();
        request.since = self.since.clone();
        if self.since.is_some() {
            request.timeout = Some(i64::try_from(WAIT.as_millis()).unwrap_or(i64::MAX));
        }
        let answer = user.client.sync(&request).await.or_fail(&request)?;
        let sync::Response::Ok(body) = answer else {
            return Err(Failure::answer(&request, "Ok", &answer));
        };
        if body.next_batch.is_empty() {
            return Err(Failure::of(&request, "an empty next_batch"));
        }
        self.since = Some(body.next_batch.clone());
        Ok((request, body))
    }

    /// Syncs until `found` sees what the step waits for; what it saw, and how many syncs it
    /// took.
    pub(crate) async fn until<T>(
        &mut self,
        user: &User,
        what: &str,
        found: impl Fn(&sync::ResponseBody) -> Option<T>,
    ) -> Result<(sync::Request, T, usize), Failure> {
        for attempt in 1..=ATTEMPTS {
            let (request, body) = self.once(user).await?;
            if let Some(seen) = found(&body) {
                return Ok((request, seen, attempt));
            }
        }
        Err(Failure::new::<sync::Request>(format!(
            "{} synced {ATTEMPTS} times without seeing {what}",
            user.name
        )))
    }
}

/// A message event as a sync or `/messages` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The event's id.
    pub event_id: String,
    /// Who sent it.
    pub sender: String,
    /// Its `body`.
    pub body: String,
}

impl Message {
    /// The `body` of a message event's content; empty when it has none.
    pub fn body_of(content: &serde_json::Map<String, serde_json::Value>) -> String {
        content
            .get("body")
            .and_then(|b| b.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// The room `room_id` among the joined rooms of a sync answer.
pub fn joined<'a>(body: &'a sync::ResponseBody, room_id: &str) -> Option<&'a sync::JoinedRoom> {
    body.rooms.as_ref()?.join.as_ref()?.get(room_id)
}

/// The `m.room.message` events of a joined room's timeline, in order.
pub fn messages(room: &sync::JoinedRoom) -> Vec<Message> {
    let events = room.timeline.as_ref().map(|t| t.events.as_slice()).unwrap_or_default();
    events
        .iter()
        .filter(|event| event.r#type == "m.room.message")
        .map(|event| Message {
            event_id: event.event_id.clone(),
            sender: event.sender.clone(),
            body: Message::body_of(&event.content),
        })
        .collect()
}

/// The membership the invite state of room `room_id` gives `user_id`, if `room_id` is among
/// the rooms the user is invited to.
pub fn invited_membership(body: &sync::ResponseBody, room_id: &str, user_id: &str) -> Option<String> {
    let room = body.rooms.as_ref()?.invite.as_ref()?.get(room_id)?;
    let events = room.invite_state.as_ref()?.events.as_ref()?;
    let member = events
        .iter()
        .find(|event| event.r#type == "m.room.member" && event.state_key == user_id)?;
    Some(member.content.get("membership")?.as_str()?.to_owned())
}

/// Who is typing in a joined room, by its last `m.typing` event, if it has one.
pub fn typing(room: &sync::JoinedRoom) -> Option<Vec<String>> {
    let events = room.ephemeral.as_ref()?.events.as_ref()?;
    let typing = events.iter().rev().find(|event| event.r#type == "m.typing")?;
    let users = typing.content.get("user_ids")?.as_array()?;
    Some(
        users
            .iter()
            .filter_map(|user| user.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The users an `m.receipt` event of a joined room shows having read `event_id` (`m.read`).
pub fn readers(room: &sync::JoinedRoom, event_id: &str) -> Vec<String> {
    let events = room.ephemeral.as_ref().and_then(|e| e.events.as_ref());
    let receipts = events.into_iter().flatten().filter(|event| event.r#type == "m.receipt");
    receipts
        .filter_map(|event| event.content.get(event_id)?.get("m.read")?.as_object())
        .flat_map(|users| users.keys().cloned())
        .collect()
}
