//! The interop scenario: the generated client, and nothing else, registers and changes passwords
//! on a real server and checks every typed answer. It runs against Synapse (`cargo xtask
//! interop`) and against the example homeserver (this crate's tests), so the two behave alike
//! wherever the spec leaves room.
//!
//! Where they differ on purpose, the scenario does not look: Synapse answers `?kind=bogus`
//! with 400 `M_UNRECOGNIZED`, the generated server with 400 `M_INVALID_PARAM` (the error code
//! the spec gives for a parameter with a bad value); Synapse names every guest device
//! `guest_device`, the example homeserver draws a random one; its wrong-password message is
//! "Invalid password" where Synapse says "Invalid username or password".

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use matrix_registration::ErrorCode;
use matrix_registration::client::Client;
use matrix_registration::endpoints::{change_password, register, request_token_to_register_email};
use matrix_registration::types::{AuthData, AuthResponse};

/// One checked step: what was done and the answer seen.
#[derive(Clone, Debug)]
pub struct Step {
    /// What the step does.
    pub name: &'static str,
    /// The typed answer seen (variant and error code).
    pub seen: String,
}

/// Runs the whole scenario against the server at `base_url` under path version `version`
/// (`r0` or `v3`); fails at the first answer that is not what Synapse answers.
pub async fn run(base_url: &str, version: &str) -> anyhow::Result<Vec<Step>> {
    let client = Client::new(base_url).with_variable("CLIENT_MAJOR_VERSION", version);
    let name = unique_name();
    let mut steps = Vec::new();
    let token = register_user(&client, &name, "pw-1-initial", &mut steps).await?;
    register_refusals(&client, &name, &mut steps).await?;
    register_guest(&client, &mut steps).await?;
    auth_without_type(&client, &mut steps).await?;
    let client = client.with_access_token(token);
    auth_without_type(&client, &mut steps).await?;
    change_passwords(&client, &name, &mut steps).await?;
    unknown_token(base_url, version, &mut steps).await?;
    email_token(&client, &mut steps).await?;
    Ok(steps)
}

/// A username no earlier run took: servers keep their accounts between runs.
fn unique_name() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("interop{}", nanos % 1_000_000_000_000)
}

fn stages(state: &AuthResponse) -> Vec<String> {
    state.flows.iter().map(|flow| flow.stages.join(",")).collect()
}

async fn register_user(client: &Client, name: &str, password: &str, steps: &mut Vec<Step>) -> anyhow::Result<String> {
    let mut body = register::RequestBody::new();
    body.username = Some(name.to_owned());
    body.password = Some(password.to_owned());
    let mut first_state = None;
    let answer = client
        .register_interactive(register::Request::new(body), |state| {
            first_state.get_or_insert_with(|| (stages(&state), state.session.is_some()));
            std::future::ready(Some(client_example::stage(client_example::DUMMY)))
        })
        .await?;
    let Some((flows, has_session)) = first_state else {
        bail!("register: no 401 with the UIAA flows came first")
    };
    ensure!(
        flows.iter().any(|f| f == "m.login.dummy") && has_session,
        "register: flows {flows:?}, session {has_session}"
    );
    steps.push(Step {
        name: "register without auth",
        seen: format!("Unauthorized, flows {flows:?}, a session"),
    });
    let register::Response::Ok(body) = answer else {
        bail!("register with m.login.dummy: {answer}")
    };
    let user_id = body.user_id.context("register: no user_id")?;
    ensure!(user_id.starts_with(&format!("@{name}:")), "register: user_id {user_id}");
    ensure!(
        body.device_id.is_some() && body.home_server.is_some(),
        "register: no device_id or home_server"
    );
    steps.push(Step {
        name: "register with m.login.dummy",
        seen: format!("Ok, {user_id}, a device and a token"),
    });
    body.access_token.context("register: no access_token")
}

async fn register_refusals(client: &Client, name: &str, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    for (step, username, errcode) in [
        ("register a taken name", name, "M_USER_IN_USE"),
        ("register \"Bad Name!\"", "Bad Name!", "M_INVALID_USERNAME"),
    ] {
        let mut body = register::RequestBody::new();
        body.username = Some(username.to_owned());
        body.password = Some("pw-2-other".to_owned());
        let answer = client
            .register_interactive(register::Request::new(body), |_| {
                std::future::ready(Some(client_example::stage(client_example::DUMMY)))
            })
            .await?;
        match &answer {
            register::Response::BadRequest(error) if error.errcode == errcode => {
                steps.push(Step {
                    name: step,
                    seen: format!("BadRequest {errcode}"),
                });
            }
            other => bail!("{step}: expected BadRequest {errcode}, got {other}"),
        }
    }
    Ok(())
}

async fn register_guest(client: &Client, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    let mut request = register::Request::new(register::RequestBody::new());
    request.kind = register::RegistrationKind::Guest;
    match client.register(&request).await? {
        register::Response::Ok(body) if body.access_token.is_some() => {
            steps.push(Step {
                name: "register a guest with {}",
                seen: "Ok, a token".to_owned(),
            });
            Ok(())
        }
        other => bail!("register a guest: {other}"),
    }
}

/// Changes the password with `current`; the answer, and the error codes of the UIAA states seen.
async fn change(
    client: &Client,
    user: &str,
    current: &str,
    new: &str,
) -> anyhow::Result<(change_password::Response, Vec<Option<ErrorCode>>)> {
    let mut seen = Vec::new();
    let request = change_password::Request::new(change_password::RequestBody::new(new.to_owned()));
    let answer = client
        .change_password_interactive(request, |state| {
            seen.push(state.errcode.clone());
            // A state with an error code answers the stage just sent: the example client's
            // stage gives up then, as a user would.
            std::future::ready(client_example::password_stage(&state, user, current).ok())
        })
        .await?;
    Ok((answer, seen))
}

async fn change_passwords(client: &Client, user: &str, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    let (answer, seen) = change(client, user, "pw-1-initial", "pw-3-changed").await?;
    ensure!(
        matches!(answer, change_password::Response::Ok(_)),
        "change the password: {answer}"
    );
    ensure!(
        seen.first() == Some(&None),
        "change the password: the first answer was not a plain UIAA 401: {seen:?}"
    );
    steps.push(Step {
        name: "change password with m.login.password",
        seen: "Unauthorized, then Ok".to_owned(),
    });
    let (answer, _) = change(client, user, "pw-wrong", "pw-4-never").await?;
    match &answer {
        change_password::Response::Unauthorized(state) if state.errcode == Some(ErrorCode::Forbidden) => {
            let flows = stages(state);
            ensure!(
                !flows.is_empty() && state.session.is_some(),
                "wrong password: the 401 lost its UIAA state"
            );
            steps.push(Step {
                name: "change password, wrong password",
                seen: format!("Unauthorized with flows {flows:?} and M_FORBIDDEN"),
            });
        }
        other => bail!("change password with a wrong password: expected Unauthorized M_FORBIDDEN, got {other}"),
    }
    let (answer, _) = change(client, user, "pw-3-changed", "pw-5-again").await?;
    ensure!(
        matches!(answer, change_password::Response::Ok(_)),
        "change password with the new password: {answer}"
    );
    steps.push(Step {
        name: "change password with the new password",
        seen: "Ok".to_owned(),
    });
    Ok(())
}

/// `"auth": {}` (matrix-js-sdk's first password-change call) and `"auth": {"session": ...}`
/// ask where the flow stands: the 401 with the flows, never 400 `M_BAD_JSON`; for the
/// password change with and without the client's token.
async fn auth_without_type(client: &Client, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    let with_token = client.access_token().is_some();
    let mut body = change_password::RequestBody::new("pw-5-never".to_owned());
    body.auth = Some(AuthData::new());
    let first = client
        .change_password(&change_password::Request::new(body.clone()))
        .await?;
    let change_password::Response::Unauthorized(state) = first else {
        bail!("password change with auth {{}} (token: {with_token}): expected the UIAA 401, got {first}");
    };
    ensure!(!state.flows.is_empty(), "auth {{}}: a 401 without flows");
    let mut only_session = AuthData::new();
    only_session.session = state.session.clone();
    body.auth = Some(only_session);
    let again = client.change_password(&change_password::Request::new(body)).await?;
    ensure!(
        matches!(&again, change_password::Response::Unauthorized(state) if !state.flows.is_empty()),
        "password change with auth {{session}} (token: {with_token}): expected the UIAA 401, got {again}"
    );
    let mut register_body = register::RequestBody::new();
    register_body.username = Some(format!("{}x", unique_name()));
    register_body.password = Some("pw-7-unused".to_owned());
    register_body.auth = Some(AuthData::new());
    let registration = client.register(&register::Request::new(register_body)).await?;
    ensure!(
        matches!(&registration, register::Response::Unauthorized(state) if !state.flows.is_empty()),
        "register with auth {{}}: expected the UIAA 401, got {registration}"
    );
    steps.push(Step {
        name: if with_token {
            "auth {} and {session}, with a token"
        } else {
            "auth {} and {session}, without a token"
        },
        seen: format!("Unauthorized, flows {:?}", stages(&state)),
    });
    Ok(())
}

async fn unknown_token(base_url: &str, version: &str, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    let client = Client::new(base_url)
        .with_variable("CLIENT_MAJOR_VERSION", version)
        .with_access_token("not-a-token");
    let request = change_password::Request::new(change_password::RequestBody::new("pw-6-never".to_owned()));
    match client.change_password(&request).await? {
        change_password::Response::Error { status, error } if status == 401 && error.errcode == "M_UNKNOWN_TOKEN" => {
            steps.push(Step {
                name: "change password with an unknown token",
                seen: "Error 401 M_UNKNOWN_TOKEN".to_owned(),
            });
            Ok(())
        }
        other => bail!("an unknown token: expected Error 401 M_UNKNOWN_TOKEN, got {other}"),
    }
}

async fn email_token(client: &Client, steps: &mut Vec<Step>) -> anyhow::Result<()> {
    let body =
        request_token_to_register_email::RequestBody::new("s3cr3tABC".to_owned(), "interop@example.org".to_owned(), 1);
    match client
        .request_token_to_register_email(&request_token_to_register_email::Request::new(body))
        .await?
    {
        request_token_to_register_email::Response::BadRequest(error) if error.errcode == "M_UNKNOWN" => {
            steps.push(Step {
                name: "email requestToken without mail",
                seen: "BadRequest M_UNKNOWN".to_owned(),
            });
            Ok(())
        }
        other => bail!("email requestToken: expected BadRequest M_UNKNOWN, got {other}"),
    }
}
