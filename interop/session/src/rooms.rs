//! The room: created by one user, who invites the other; the invite reaches the other's sync,
//! the other joins; the members and the state read back; the other leaves at the end.

use matrix_client_server::endpoints::{
    create_room, get_joined_members_by_room, get_joined_rooms, get_members_by_room, get_room_state,
    get_room_state_with_key, invite_user, join_room_by_id, leave_room, set_room_state_with_key,
};

use crate::accounts::display_name_of;
use crate::syncing::{Syncer, invited_membership};
use crate::{Failure, Log, Sent, User, ensure};

/// The name the room is created with.
const NAME: &str = "Interop session";

/// `host` creates a private room and invites `guest`, who sees the invite in an initial sync
/// and joins; both are members then. The room's id.
pub(crate) async fn meet(host: &User, guest: &User, log: &mut Log<'_>) -> Result<String, Failure> {
    let mut body = create_room::RequestBody::new();
    body.preset = Some(create_room::Preset::PrivateChat);
    body.name = Some(NAME.to_owned());
    body.topic = Some("Where the generated client meets Synapse".to_owned());
    let request = create_room::Request::new(body);
    let answer = host.client.create_room(&request).await.or_fail(&request)?;
    let create_room::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let room_id = body.room_id;
    ensure(&request, room_id.starts_with('!'), || format!("room id {room_id}"))?;
    log.step(
        &request,
        format!("{} creates a private room", host.name),
        format!("Ok, {room_id}"),
    );
    let request = invite_user::Request::new(room_id.clone(), invite_user::RequestBody::new(guest.user_id.clone()));
    let answer = host.client.invite_user(&request).await.or_fail(&request)?;
    let invite_user::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} invites {}", host.name, guest.name), "Ok");
    let mut guest_sync = Syncer::new(None);
    let (request, membership, syncs) = guest_sync
        .until(guest, "the invite", |body| {
            invited_membership(body, &room_id, &guest.user_id)
        })
        .await?;
    ensure(&request, membership == "invite", || {
        format!("membership {membership} in the invite state")
    })?;
    log.step(
        &request,
        format!("{}'s initial sync", guest.name),
        format!("Ok, the room among rooms.invite, membership invite ({syncs} sync)"),
    );
    let request = join_room_by_id::Request::new(room_id.clone(), join_room_by_id::RequestBody::new());
    let answer = guest.client.join_room_by_id(&request).await.or_fail(&request)?;
    let join_room_by_id::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, body.room_id == room_id, || format!("joined {}", body.room_id))?;
    log.step(&request, format!("{} joins", guest.name), format!("Ok, {room_id}"));
    joined_rooms(guest, &room_id, true, log).await?;
    members(host, guest, &room_id, log).await?;
    Ok(room_id)
}

/// Whether `user`'s joined rooms hold `room_id`, as `expected`.
async fn joined_rooms(user: &User, room_id: &str, expected: bool, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_joined_rooms::Request::new();
    let answer = user.client.get_joined_rooms(&request).await.or_fail(&request)?;
    let get_joined_rooms::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let holds = body.joined_rooms.iter().any(|room| room == room_id);
    ensure(&request, holds == expected, || {
        format!("joined rooms {:?}", body.joined_rooms)
    })?;
    let seen = if expected {
        "Ok, the room among them"
    } else {
        "Ok, the room no longer among them"
    };
    log.step(&request, format!("{}'s joined rooms", user.name), seen);
    Ok(())
}

/// Both users are joined members; the host under the display name it set.
async fn members(host: &User, guest: &User, room_id: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_joined_members_by_room::Request::new(room_id.to_owned());
    let answer = host
        .client
        .get_joined_members_by_room(&request)
        .await
        .or_fail(&request)?;
    let get_joined_members_by_room::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let joined = body.joined.unwrap_or_default();
    let mut ids: Vec<&String> = joined.keys().collect();
    let mut expected = vec![&host.user_id, &guest.user_id];
    ids.sort();
    expected.sort();
    ensure(&request, ids == expected, || format!("joined members {ids:?}"))?;
    let name = joined.get(&host.user_id).and_then(|member| member.display_name.clone());
    ensure(&request, name == Some(display_name_of(host)), || {
        format!("{}'s name in the room: {name:?}", host.name)
    })?;
    log.step(
        &request,
        "the joined members",
        format!("Ok, both, {} as {:?}", host.name, display_name_of(host)),
    );
    let mut request = get_members_by_room::Request::new(room_id.to_owned());
    request.membership = Some(get_members_by_room::Membership::Join);
    let answer = host.client.get_members_by_room(&request).await.or_fail(&request)?;
    let get_members_by_room::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let events = body.chunk.unwrap_or_default();
    let mut keys: Vec<&str> = events.iter().filter_map(|e| e.state_key.as_deref()).collect();
    keys.sort_unstable();
    let all_member_joins = events.iter().all(|e| {
        e.r#type == "m.room.member" && e.room_id == room_id && e.content.get("membership") == Some(&"join".into())
    });
    ensure(&request, all_member_joins && keys == expected, || {
        format!("member events for {keys:?}")
    })?;
    log.step(
        &request,
        "the member events, membership=join",
        "Ok, two m.room.member joins",
    );
    Ok(())
}

/// The room's state holds what its creation set; a new topic goes in and reads back, as
/// content and as the whole event.
pub(crate) async fn state(user: &User, room_id: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_room_state::Request::new(room_id.to_owned());
    let answer = user.client.get_room_state(&request).await.or_fail(&request)?;
    let get_room_state::Response::Ok(events) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let find = |kind: &str| {
        events
            .iter()
            .find(|e| e.r#type == kind && e.state_key.as_deref() == Some(""))
    };
    let created_by = find("m.room.create").map(|e| e.sender.as_str());
    let name = find("m.room.name").and_then(|e| e.content.get("name")?.as_str());
    ensure(
        &request,
        created_by == Some(user.user_id.as_str()) && name == Some(NAME),
        || format!("m.room.create by {created_by:?}, m.room.name {name:?}"),
    )?;
    log.step(
        &request,
        "the room's state",
        format!("Ok, {} events, created by {}, named {NAME:?}", events.len(), user.name),
    );
    let topic = "A topic set after the creation";
    let body = [("topic".to_owned(), serde_json::Value::from(topic))]
        .into_iter()
        .collect();
    let request = set_room_state_with_key::Request::new(room_id.to_owned(), "m.room.topic".into(), String::new(), body);
    let answer = user.client.set_room_state_with_key(&request).await.or_fail(&request)?;
    let set_room_state_with_key::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let topic_event = body.event_id;
    log.step(
        &request,
        format!("{} sets the topic", user.name),
        format!("Ok, {topic_event}"),
    );
    let request = get_room_state_with_key::Request::new(room_id.to_owned(), "m.room.topic".into(), String::new());
    let answer = user.client.get_room_state_with_key(&request).await.or_fail(&request)?;
    let get_room_state_with_key::Response::Ok(get_room_state_with_key::ResponseBody::Object(content)) = &answer else {
        return Err(Failure::answer(&request, "Ok with the content", &answer));
    };
    let read = content.get("topic").and_then(|t| t.as_str());
    ensure(&request, read == Some(topic), || format!("topic {read:?}"))?;
    log.step(
        &request,
        "read the topic",
        format!("Ok, the content {{\"topic\": {topic:?}}}"),
    );
    let mut request = request;
    request.format = Some(get_room_state_with_key::Format::Event);
    let answer = user.client.get_room_state_with_key(&request).await.or_fail(&request)?;
    let get_room_state_with_key::Response::Ok(get_room_state_with_key::ResponseBody::StateEvent(event)) = &answer
    else {
        return Err(Failure::answer(&request, "Ok with the whole event", &answer));
    };
    ensure(
        &request,
        event.event_id == topic_event && event.room_id == room_id,
        || format!("event {} of room {}", event.event_id, event.room_id),
    )?;
    log.step(
        &request,
        "read the topic, format=event",
        format!("Ok, the event {topic_event}"),
    );
    Ok(())
}

/// `user` leaves the room, which is no longer among its joined rooms.
pub(crate) async fn leave(user: &User, room_id: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = leave_room::Request::new(room_id.to_owned(), leave_room::RequestBody::new());
    let answer = user.client.leave_room(&request).await.or_fail(&request)?;
    let leave_room::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} leaves", user.name), "Ok");
    joined_rooms(user, room_id, false, log).await
}
