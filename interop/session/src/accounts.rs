//! Accounts: what the server supports, registration through User-Interactive Authentication,
//! a password login on a second device, whoami, the display name, devices and logging out.

use std::fmt;

use matrix_client_server::ErrorCode;
use matrix_client_server::client::Client;
use matrix_client_server::endpoints::{
    delete_device, get_capabilities, get_device, get_devices, get_login_flows, get_profile_field, get_token_owner,
    get_user_profile, get_versions, login, logout, logout_all, register, set_profile_field, update_device,
};
use matrix_client_server::types::{AuthData, AuthResponse, UserIdentifier};

use crate::{Failure, Log, Sent, User, ensure};

/// The display name of the device the first password login makes.
pub(crate) const PHONE: &str = "interop phone";

/// A password; never printed.
pub(crate) struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The versions and login types the server offers: the session needs v1.11 (authenticated
/// media) and password logins.
pub(crate) async fn server_support(client: &Client, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_versions::Request::new();
    let answer = client.get_versions(&request).await.or_fail(&request)?;
    let get_versions::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, body.versions.iter().any(|v| v == "v1.11"), || {
        format!("no v1.11 (authenticated media) in {:?}", body.versions)
    })?;
    log.step(
        &request,
        "the spec versions the server speaks",
        format!("Ok, {} versions, v1.11 among them", body.versions.len()),
    );
    let request = get_login_flows::Request::new();
    let answer = client.get_login_flows(&request).await.or_fail(&request)?;
    let get_login_flows::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let types: Vec<String> = body
        .flows
        .unwrap_or_default()
        .into_iter()
        .map(|flow| flow.r#type)
        .collect();
    ensure(&request, types.iter().any(|t| t == "m.login.password"), || {
        format!("no m.login.password in {types:?}")
    })?;
    log.step(&request, "the login types", format!("Ok, {types:?}"));
    Ok(())
}

/// Registers `{name}{tag}` through UIAA with `m.login.dummy`; the user and its password.
pub(crate) async fn register(
    anonymous: &Client,
    name: &'static str,
    tag: &str,
    log: &mut Log<'_>,
) -> Result<(User, Password), Failure> {
    let localpart = format!("{name}{tag}");
    let password = Password(format!("pw-{tag}-{name}-session"));
    let mut body = register::RequestBody::new();
    body.username = Some(localpart.clone());
    body.password = Some(password.0.clone());
    body.initial_device_display_name = Some(format!("{name}'s registration"));
    let request = register::Request::new(body);
    let mut states: Vec<AuthResponse> = Vec::new();
    let answer = anonymous
        .register_interactive(request.clone(), |state| {
            states.push(state);
            // One dummy stage completes the flow; a second request for it would loop.
            let mut stage = AuthData::new();
            stage.r#type = Some("m.login.dummy".to_owned());
            std::future::ready((states.len() == 1).then_some(stage))
        })
        .await
        .or_fail(&request)?;
    let Some(first) = states.first() else {
        return Err(Failure::of(&request, "no 401 with the UIAA flows came first"));
    };
    let flows: Vec<String> = first.flows.iter().map(|flow| flow.stages.join(",")).collect();
    ensure(
        &request,
        flows.iter().any(|f| f == "m.login.dummy") && first.session.is_some(),
        || format!("flows {flows:?}, session {:?}", first.session.is_some()),
    )?;
    log.step(
        &request,
        format!("{name} registers, no auth"),
        format!("Unauthorized, flows {flows:?}, a session"),
    );
    let register::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let user_id = body.user_id;
    ensure(&request, user_id.starts_with(&format!("@{localpart}:")), || {
        format!("user_id {user_id}")
    })?;
    let (Some(token), Some(device_id)) = (body.access_token, body.device_id) else {
        return Err(Failure::of(&request, "no access_token or device_id"));
    };
    log.step(
        &request,
        format!("{name} completes m.login.dummy"),
        format!("Ok, {user_id}, device {device_id}"),
    );
    let user = User {
        name,
        localpart,
        user_id,
        device_id,
        client: anonymous.clone().with_access_token(token),
    };
    Ok((user, password))
}

/// Logs `user` in with its password on a new device named `device`; the user on that device.
pub(crate) async fn login(
    anonymous: &Client,
    user: &User,
    password: &Password,
    device: &str,
    log: &mut Log<'_>,
) -> Result<User, Failure> {
    let mut identifier = UserIdentifier::new("m.id.user".to_owned());
    identifier
        .extra
        .insert("user".to_owned(), user.localpart.clone().into());
    let mut body = login::RequestBody::new("m.login.password".to_owned());
    body.identifier = Some(identifier);
    body.password = Some(password.0.clone());
    body.initial_device_display_name = Some(device.to_owned());
    let request = login::Request::new(body);
    let answer = anonymous.login(&request).await.or_fail(&request)?;
    let login::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, body.user_id == user.user_id, || {
        format!("logged in as {}", body.user_id)
    })?;
    ensure(&request, body.device_id != user.device_id, || {
        "the login reused the registration's device".to_owned()
    })?;
    log.step(
        &request,
        format!("{} logs in, m.login.password, {device}", user.name),
        format!("Ok, {}, a new device {}", body.user_id, body.device_id),
    );
    Ok(User {
        name: user.name,
        localpart: user.localpart.clone(),
        user_id: body.user_id,
        device_id: body.device_id,
        client: anonymous.clone().with_access_token(body.access_token),
    })
}

/// Whoami names the user and the device of the token; the capabilities allow what the
/// session does (display names, the default room version).
pub(crate) async fn whoami(user: &User, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_token_owner::Request::new();
    let answer = user.client.get_token_owner(&request).await.or_fail(&request)?;
    let get_token_owner::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(
        &request,
        body.user_id == user.user_id && body.device_id.as_deref() == Some(&user.device_id),
        || format!("whoami says {} on {:?}", body.user_id, body.device_id),
    )?;
    ensure(&request, body.is_guest != Some(true), || "a guest".to_owned())?;
    log.step(
        &request,
        format!("whoami with {}'s phone token", user.name),
        format!("Ok, {} on {}", body.user_id, user.device_id),
    );
    let request = get_capabilities::Request::new();
    let answer = user.client.get_capabilities(&request).await.or_fail(&request)?;
    let get_capabilities::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let capabilities = body.capabilities;
    let versions = capabilities.m_room_versions.as_ref();
    ensure(
        &request,
        versions.is_some_and(|v| v.available.contains_key(&v.default)),
        || "m.room_versions is missing or its default is not available".to_owned(),
    )?;
    ensure(
        &request,
        capabilities.m_set_displayname.as_ref().is_none_or(|c| c.enabled),
        || "m.set_displayname is off".to_owned(),
    )?;
    let default = versions.map(|v| v.default.clone()).unwrap_or_default();
    log.step(
        &request,
        "the capabilities",
        format!("Ok, default room version {default}, display names allowed"),
    );
    Ok(())
}

/// Sets the display name and reads it back, as the field and in the whole profile.
pub(crate) async fn display_name(user: &User, log: &mut Log<'_>) -> Result<(), Failure> {
    let name = display_name_of(user);
    let body = [("displayname".to_owned(), serde_json::Value::from(name.clone()))].into();
    let request = set_profile_field::Request::new(user.user_id.clone(), "displayname".to_owned(), body);
    let answer = user.client.set_profile_field(&request).await.or_fail(&request)?;
    let set_profile_field::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} sets the display name", user.name), "Ok");
    let request = get_profile_field::Request::new(user.user_id.clone(), "displayname".to_owned());
    let answer = user.client.get_profile_field(&request).await.or_fail(&request)?;
    let get_profile_field::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let read = body.get("displayname").and_then(|v| v.as_str());
    ensure(&request, read == Some(name.as_str()), || format!("read {read:?}"))?;
    log.step(
        &request,
        format!("read {}'s display name", user.name),
        format!("Ok, {name:?}"),
    );
    let request = get_user_profile::Request::new(user.user_id.clone());
    let answer = user.client.get_user_profile(&request).await.or_fail(&request)?;
    let get_user_profile::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(&request, body.displayname.as_deref() == Some(name.as_str()), || {
        format!("the profile says {:?}", body.displayname)
    })?;
    log.step(
        &request,
        format!("read {}'s whole profile", user.name),
        format!("Ok, displayname {name:?}"),
    );
    Ok(())
}

/// The display name the session gives `user`.
pub(crate) fn display_name_of(user: &User) -> String {
    let mut name = user.name.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!("{name} of the interop session")
}

/// The device list holds the registration's device and the phone; the phone is renamed.
pub(crate) async fn devices(user: &User, phone: &User, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_devices::Request::new();
    let answer = user.client.get_devices(&request).await.or_fail(&request)?;
    let get_devices::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let mut ids: Vec<String> = body
        .devices
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.device_id)
        .collect();
    ids.sort();
    let mut expected = vec![user.device_id.clone(), phone.device_id.clone()];
    expected.sort();
    ensure(&request, ids == expected, || {
        format!("devices {ids:?}, expected {expected:?}")
    })?;
    log.step(
        &request,
        format!("list {}'s devices", user.name),
        format!("Ok, {ids:?}"),
    );
    let device = read_device(user, &phone.device_id, PHONE, log).await?;
    let mut body = update_device::RequestBody::new();
    body.display_name = Some("interop phone, renamed".to_owned());
    let request = update_device::Request::new(phone.device_id.clone(), body);
    let answer = user.client.update_device(&request).await.or_fail(&request)?;
    let update_device::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("rename device {device}"), "Ok");
    read_device(user, &phone.device_id, "interop phone, renamed", log).await?;
    Ok(())
}

async fn read_device(user: &User, device_id: &str, name: &str, log: &mut Log<'_>) -> Result<String, Failure> {
    let request = get_device::Request::new(device_id.to_owned());
    let answer = user.client.get_device(&request).await.or_fail(&request)?;
    let get_device::Response::Ok(device) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    ensure(
        &request,
        device.device_id == device_id && device.display_name.as_deref() == Some(name),
        || format!("device {} named {:?}", device.device_id, device.display_name),
    )?;
    log.step(
        &request,
        format!("read device {device_id}"),
        format!("Ok, named {name:?}"),
    );
    Ok(device.device_id)
}

/// The IDs of `user`'s devices, as `GET /devices` lists them, and the request that asked.
async fn device_ids(user: &User) -> Result<(get_devices::Request, Vec<String>), Failure> {
    let request = get_devices::Request::new();
    let answer = user.client.get_devices(&request).await.or_fail(&request)?;
    let get_devices::Response::Ok(body) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    let ids = body
        .devices
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.device_id)
        .collect();
    Ok((request, ids))
}

/// The phone logs out (its token dies, the other device lives on and no longer lists it),
/// then `other` logs out everywhere.
pub(crate) async fn log_out(user: &User, phone: &User, other: &User, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = logout::Request::new();
    let answer = phone.client.logout(&request).await.or_fail(&request)?;
    let logout::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{}'s phone logs out", phone.name), "Ok");
    token_refused(phone, log).await?;
    let (request, ids) = device_ids(user).await?;
    ensure(&request, ids == [user.device_id.clone()], || {
        format!("devices {ids:?} after the logout")
    })?;
    log.step(
        &request,
        format!("list {}'s devices after the logout", user.name),
        format!("Ok, {ids:?}"),
    );
    let request = logout_all::Request::new();
    let answer = other.client.logout_all(&request).await.or_fail(&request)?;
    let logout_all::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(&request, format!("{} logs out everywhere", other.name), "Ok");
    token_refused(other, log).await
}

/// Whoami with a token that was logged out: 401 `M_UNKNOWN_TOKEN`.
async fn token_refused(user: &User, log: &mut Log<'_>) -> Result<(), Failure> {
    let request = get_token_owner::Request::new();
    let answer = user.client.get_token_owner(&request).await.or_fail(&request)?;
    match &answer {
        get_token_owner::Response::Unauthorized(error) if error.errcode == ErrorCode::UnknownToken => {
            log.step(
                &request,
                format!("whoami with {}'s logged-out token", user.name),
                "Unauthorized M_UNKNOWN_TOKEN",
            );
            Ok(())
        }
        _ => Err(Failure::answer(&request, "Unauthorized M_UNKNOWN_TOKEN", &answer)),
    }
}

/// The `m.login.password` stage for `user`.
fn password_stage(user: &User, password: &str) -> AuthData {
    let mut identifier = UserIdentifier::new("m.id.user".to_owned());
    identifier
        .extra
        .insert("user".to_owned(), user.localpart.clone().into());
    let mut stage = AuthData::new();
    stage.r#type = Some("m.login.password".to_owned());
    stage.extra.insert(
        "identifier".to_owned(),
        serde_json::to_value(identifier).unwrap_or_default(),
    );
    stage.extra.insert("password".to_owned(), password.into());
    stage
}

/// `user` deletes `device` through UIAA, giving a wrong password first, then the right one;
/// the device is gone. Last, the state answering the wrong password must say so with
/// `M_FORBIDDEN`, the way a client tells a wrong password from the first challenge.
pub(crate) async fn delete_device(
    user: &User,
    device: &User,
    password: &Password,
    log: &mut Log<'_>,
) -> Result<(), Failure> {
    let request = delete_device::Request::new(device.device_id.clone(), delete_device::RequestBody::new());
    let mut states: Vec<AuthResponse> = Vec::new();
    let answer = user
        .client
        .delete_device_interactive(request.clone(), |state| {
            states.push(state);
            let stage = match states.len() {
                1 => Some(password_stage(user, "not the password")),
                2 => Some(password_stage(user, &password.0)),
                _ => None,
            };
            std::future::ready(stage)
        })
        .await
        .or_fail(&request)?;
    let [first, after_wrong] = states.as_slice() else {
        return Err(Failure::answer(&request, "two UIAA states, then Ok", &answer));
    };
    let flows: Vec<String> = first.flows.iter().map(|flow| flow.stages.join(",")).collect();
    let action = format!("{} deletes device {}, no auth", user.name, device.device_id);
    log.step(&request, action, format!("Unauthorized, flows {flows:?}"));
    let delete_device::Response::Ok(_) = answer else {
        return Err(Failure::answer(&request, "Ok", &answer));
    };
    log.step(
        &request,
        "... a wrong password, then the right one",
        "Unauthorized, then Ok",
    );
    let (listed, ids) = device_ids(user).await?;
    ensure(&listed, !ids.contains(&device.device_id), || {
        format!("devices {ids:?} after the deletion")
    })?;
    log.step(
        &listed,
        format!("list {}'s devices after the deletion", user.name),
        format!("Ok, {ids:?}"),
    );
    wrong_password_said(&request, first, after_wrong, log)
}

/// The UIAA state answering a wrong password carries `errcode` `M_FORBIDDEN` in the same
/// session. Read through serde, so that it holds whether the type names the code as a field
/// or keeps it among extra keys.
fn wrong_password_said(
    request: &delete_device::Request,
    first: &AuthResponse,
    after_wrong: &AuthResponse,
    log: &mut Log<'_>,
) -> Result<(), Failure> {
    let typed = serde_json::to_value(after_wrong).unwrap_or_default();
    let errcode = typed.get("errcode").and_then(|e| e.as_str());
    ensure(request, after_wrong.session == first.session, || {
        "a new UIAA session after the wrong password".into()
    })?;
    ensure(request, errcode == Some("M_FORBIDDEN"), || {
        // Keys only: the session continues the flow, it stays out of the output.
        let keys: Vec<&String> = typed.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        format!(
            "the UIAA state answering the wrong password has no errcode M_FORBIDDEN: the typed \
             AuthResponse keeps only {keys:?} of the 401 (Synapse also sends \
             \"errcode\": \"M_FORBIDDEN\", \"error\": \"Invalid username or password\"), so a client \
             cannot tell a wrong password from the first challenge"
        )
    })?;
    log.step(
        request,
        "the state after the wrong password",
        "Unauthorized M_FORBIDDEN, the same session",
    );
    Ok(())
}
