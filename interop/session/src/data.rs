//! Account data, global and per room, and room tags: what goes in reads back, and what never
//! went in is `M_NOT_FOUND`.

use matrix_client_server::ErrorCode;
use matrix_client_server::endpoints::{
    delete_room_tag, get_account_data, get_account_data_per_room, get_room_tags, set_account_data,
    set_account_data_per_room, set_room_tag,
};
use matrix_client_server::types::Tag;
use serde_json::{Map, Value, json};

use crate::{Failure, Log, Sent, User, ensure};

/// A JSON object from a `json!` literal.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Global and room account data of `user` go in and read back; a type never set is not found.
pub(crate) async fn account_data(user: &User, room_id: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let kind = "org.example.interop.settings";
    let content = object(json!({"theme": "dark", "volume": 7, "muted": ["@spam:example.org"]}));
    let request = set_account_data::Request::new(user.user_id.clone(), kind.to_owned(), content.clone());
    let answer = user.client.set_account_data(&request).await.or_fail(&request)?;
    let set_account_data::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} stores {kind}", user.name), "Ok");
    let request = get_account_data::Request::new(user.user_id.clone(), kind.to_owned());
    let answer = user.client.get_account_data(&request).await.or_fail(&request)?;
    let get_account_data::Response::Ok(read) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, read == content, || format!("read back {read:?}"))?;
    log.step(&request, format!("read {kind}"), "Ok, the same object");
    let request = get_account_data::Request::new(user.user_id.clone(), "org.example.interop.never-set".to_owned());
    let answer = user.client.get_account_data(&request).await.or_fail(&request)?;
    match &answer {
        get_account_data::Response::NotFound(error) if error.errcode == ErrorCode::NotFound => {
            log.step(&request, "read a type never set", "NotFound M_NOT_FOUND");
        }
        _ => return Err(Failure::answer(&request, "NotFound M_NOT_FOUND", &answer)),
    }
    let kind = "org.example.interop.draft";
    let content = object(json!({"text": "a draft for the room", "lines": 1}));
    let request = set_account_data_per_room::Request::new(
        user.user_id.clone(),
        room_id.to_owned(),
        kind.to_owned(),
        content.clone(),
    );
    let answer = user
        .client
        .set_account_data_per_room(&request)
        .await
        .or_fail(&request)?;
    let set_account_data_per_room::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} stores {kind} (room)", user.name), "Ok");
    let request = get_account_data_per_room::Request::new(user.user_id.clone(), room_id.to_owned(), kind.to_owned());
    let answer = user
        .client
        .get_account_data_per_room(&request)
        .await
        .or_fail(&request)?;
    let get_account_data_per_room::Response::Ok(read) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, read == content, || format!("read back {read:?}"))?;
    log.step(&request, format!("read {kind} of the room"), "Ok, the same object");
    Ok(())
}

/// `user` tags the room as a favourite (with an order) and with a tag of its own, reads both,
/// removes its own and reads the favourite alone.
pub(crate) async fn tags(user: &User, room_id: &str, log: &mut Log<'_>) -> Result<(), Failure> {
    let mut favourite = Tag::new();
    favourite.order = Some(0.25);
    for (name, tag) in [("m.favourite", favourite.clone()), ("u.interop", Tag::new())] {
        let request = set_room_tag::Request::new(user.user_id.clone(), room_id.to_owned(), name.to_owned(), tag);
        let answer = user.client.set_room_tag(&request).await.or_fail(&request)?;
        let set_room_tag::Response::Ok(_) = answer else {
            return Err(Failure::answer(&request, "Ok", &answer));
        };
        log.step(&request, format!("{} tags the room {name}", user.name), "Ok");
    }
    read_tags(
        user,
        room_id,
        &[("m.favourite", &favourite), ("u.interop", &Tag::new())],
        log,
    )
    .await?;
    let request = delete_room_tag::Request::new(user.user_id.clone(), room_id.to_owned(), "u.interop".to_owned());
    let answer = user.client.delete_room_tag(&request).await.or_fail(&request)?;
    let delete_room_tag::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} removes u.interop", user.name), "Ok");
    read_tags(user, room_id, &[("m.favourite", &favourite)], log).await
}

async fn read_tags(user: &User, room_id: &str, expected: &[(&str, &Tag)], log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_room_tags::Request::new(user.user_id.clone(), room_id.to_owned());
    let answer = user.client.get_room_tags(&request).await.or_fail(&request)?;
    let get_room_tags::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let tags = body.tags.unwrap_or_default();
    let same = tags.len() == expected.len() && expected.iter().all(|(name, tag)| tags.get(*name) == Some(tag));
    ensure(&request, same, || format!("tags {tags:?}"))?;
    let names: Vec<&str> = expected.iter().map(|(name, _)| *name).collect();
    log.step(
        &request,
        "read the room's tags",
        format!("Ok, {names:?}, the favourite at order 0.25"),
    );
    Ok(())
}
