//! An example Matrix client built on the generated crate `matrix-registration`: it registers a
//! user and changes its password through User-Interactive Authentication (UIAA).
//!
//! The flows are [`register`] and [`change_password`]; each sends its request with the generated
//! `*_interactive` helper and answers every UIAA state with a pure stage picker,
//! [`registration_stage`] or [`password_stage`], which either returns the next stage to complete
//! or the reason to give up ([`GiveUp`]). The binary `matrix-register` (`src/main.rs`) only reads
//! its arguments and passwords and prints the results.
//!
//! Nothing here logs or prints a password or an access token: [`Registered`] keeps the token out
//! of `Debug` and `Display`, and the generated types redact secrets in `Debug`.

use std::fmt;

use anyhow::{Context as _, Result};
use matrix_registration::ErrorCode;
use matrix_registration::client::Client;
use matrix_registration::endpoints::{change_password as password_op, register as register_op};
use matrix_registration::types::{AuthData, AuthResponse};
use serde_json::json;

/// The UIAA stage that needs nothing: the only one this client completes when registering.
pub const DUMMY: &str = "m.login.dummy";
/// The UIAA stage that checks the account's current password: the one this client completes
/// when changing the password.
pub const PASSWORD: &str = "m.login.password";
/// The identifier type naming a user by user id or localpart.
pub const USER_IDENTIFIER: &str = "m.id.user";
/// The error code of a UIAA state whose `m.login.password` stage failed: a wrong password.
pub const FORBIDDEN: &str = "M_FORBIDDEN";

/// Why this client stops answering a UIAA state instead of completing a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// No flow the server offers is the single stage this client completes.
    Unsupported {
        /// The stage this client can complete.
        supported: &'static str,
        /// The stages of every flow the server offers, in its order.
        flows: Vec<Vec<String>>,
    },
    /// The server answered the `m.login.password` stage with `M_FORBIDDEN`: the password is wrong.
    WrongPassword {
        /// The server's message, if any.
        error: Option<String>,
    },
    /// The server answered a stage with another error code.
    StageFailed {
        /// The stage that was refused.
        stage: &'static str,
        /// The server's error code.
        errcode: ErrorCode,
        /// The server's message, if any.
        error: Option<String>,
    },
    /// The server asks again for a stage it lists as completed, without saying what is wrong.
    Repeated {
        /// The stage asked for again.
        stage: &'static str,
    },
}

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { supported, flows } if flows.is_empty() => {
                write!(
                    f,
                    "the server offers no authentication flow (this client completes only `{supported}`)"
                )
            }
            Self::Unsupported { supported, flows } => {
                let flows: Vec<String> = flows.iter().map(|stages| format!("[{}]", stages.join(", "))).collect();
                write!(
                    f,
                    "the server wants authentication stages this client cannot complete: {} \
                     (it completes only a flow of the single stage `{supported}`)",
                    flows.join(" or ")
                )
            }
            Self::WrongPassword { error } => {
                write!(f, "the current password is wrong (the server answered {FORBIDDEN}")?;
                if let Some(error) = error {
                    write!(f, ": {error}")?;
                }
                f.write_str(")")
            }
            Self::StageFailed { stage, errcode, error } => {
                write!(f, "the server refused the `{stage}` stage: {errcode}")?;
                if let Some(error) = error {
                    write!(f, ": {error}")?;
                }
                Ok(())
            }
            Self::Repeated { stage } => {
                write!(
                    f,
                    "the server asks again for the `{stage}` stage, which it lists as completed"
                )
            }
        }
    }
}

impl std::error::Error for GiveUp {}

/// An `auth` dict for the stage `kind`; the generated `*_interactive` helpers fill the session in.
#[must_use]
pub fn stage(kind: &str) -> AuthData {
    let mut auth = AuthData::new();
    auth.r#type = Some(kind.to_owned());
    auth
}

/// The next stage of a registration: `m.login.dummy` when a flow offers it as its only stage.
///
/// # Errors
/// Any other flows ([`GiveUp::Unsupported`], naming their stages), an error code in the state
/// ([`GiveUp::StageFailed`]), or `m.login.dummy` asked for again after it was completed.
pub fn registration_stage(state: &AuthResponse) -> Result<AuthData, GiveUp> {
    if let Some(errcode) = &state.errcode {
        return Err(GiveUp::StageFailed {
            stage: DUMMY,
            errcode: errcode.clone(),
            error: state.error.clone(),
        });
    }
    offered_alone(state, DUMMY)?;
    Ok(stage(DUMMY))
}

/// The next stage of a password change: `m.login.password` with the identifier
/// `{"type": "m.id.user", "user": user}` and the current `password`, when a flow offers it as
/// its only stage.
///
/// # Errors
/// `M_FORBIDDEN` in the state ([`GiveUp::WrongPassword`]: stop, never retry a wrong password),
/// another error code ([`GiveUp::StageFailed`]), any other flows ([`GiveUp::Unsupported`],
/// naming their stages), or `m.login.password` asked for again after it was completed.
pub fn password_stage(state: &AuthResponse, user: &str, password: &str) -> Result<AuthData, GiveUp> {
    match &state.errcode {
        Some(ErrorCode::Forbidden) => {
            return Err(GiveUp::WrongPassword {
                error: state.error.clone(),
            });
        }
        Some(errcode) => {
            return Err(GiveUp::StageFailed {
                stage: PASSWORD,
                errcode: errcode.clone(),
                error: state.error.clone(),
            });
        }
        None => {}
    }
    offered_alone(state, PASSWORD)?;
    let mut auth = stage(PASSWORD);
    auth.extra
        .insert("identifier".to_owned(), json!({"type": USER_IDENTIFIER, "user": user}));
    auth.extra.insert("password".to_owned(), json!(password));
    Ok(auth)
}

/// Checks that a flow of `state` is the single `stage`, not yet completed.
fn offered_alone(state: &AuthResponse, stage: &'static str) -> Result<(), GiveUp> {
    if !state
        .flows
        .iter()
        .any(|flow| flow.stages.len() == 1 && flow.stages[0] == stage)
    {
        let flows = state.flows.iter().map(|flow| flow.stages.clone()).collect();
        return Err(GiveUp::Unsupported {
            supported: stage,
            flows,
        });
    }
    if state.completed.iter().flatten().any(|done| done == stage) {
        return Err(GiveUp::Repeated { stage });
    }
    Ok(())
}

/// A registered account. The access token is kept for the calls that need it but never shown:
/// `Display` prints `@user:server (device DEVICEID)` and `Debug` redacts the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Registered {
    /// The account's full user id (`@carol:example.org`); the localpart asked for if the server
    /// did not say.
    pub user_id: String,
    /// The device the server created, if it said.
    pub device_id: Option<String>,
    access_token: Option<String>,
}

impl Registered {
    /// The access token the server gave, if any: for [`Client::with_access_token`].
    #[must_use]
    pub fn access_token(&self) -> Option<&str> {
        self.access_token.as_deref()
    }
}

impl fmt::Debug for Registered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered")
            .field("user_id", &self.user_id)
            .field("device_id", &self.device_id)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| matrix_registration::Redacted),
            )
            .finish()
    }
}

impl fmt::Display for Registered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.device_id {
            Some(device) => write!(f, "{} (device {device})", self.user_id),
            None => write!(f, "{} (no device)", self.user_id),
        }
    }
}

/// Registers the user `username` with `password` through UIAA, completing `m.login.dummy`.
///
/// # Errors
/// Transport failures, an error answer (`400 Bad Request: M_USER_IN_USE: ...`,
/// `M_INVALID_USERNAME`, ...), or a [`GiveUp`] from [`registration_stage`]; every message
/// starts with `registration failed`.
pub async fn register(client: &Client, username: &str, password: &str) -> Result<Registered> {
    let mut body = register_op::RequestBody::new();
    body.username = Some(username.to_owned());
    body.password = Some(password.to_owned());
    let mut gave_up = None;
    let response = client
        .register_interactive(register_op::Request::new(body), |state| {
            std::future::ready(keep_reason(registration_stage(&state), &mut gave_up))
        })
        .await
        .context("registration failed")?;
    if let Some(reason) = gave_up {
        return Err(anyhow::Error::new(reason).context("registration failed"));
    }
    let body = response.into_result().context("registration failed")?;
    Ok(Registered {
        user_id: body.user_id.unwrap_or_else(|| username.to_owned()),
        device_id: body.device_id,
        access_token: body.access_token,
    })
}

/// Changes the password of `user` (a user id or localpart) from `old` to `new` through UIAA,
/// completing `m.login.password`. `client` must carry the user's access token
/// ([`Client::with_access_token`]): without one, servers offer only flows this client cannot
/// complete (email validation).
///
/// # Errors
/// Transport failures, an error answer, a wrong `old` password ([`GiveUp::WrongPassword`]) or
/// another [`GiveUp`] from [`password_stage`]; every message starts with `password change failed`.
pub async fn change_password(client: &Client, user: &str, old: &str, new: &str) -> Result<()> {
    let request = password_op::Request::new(password_op::RequestBody::new(new.to_owned()));
    let mut gave_up = None;
    let response = client
        .change_password_interactive(request, |state| {
            std::future::ready(keep_reason(password_stage(&state, user, old), &mut gave_up))
        })
        .await
        .context("password change failed")?;
    if let Some(reason) = gave_up {
        return Err(anyhow::Error::new(reason).context("password change failed"));
    }
    response.into_result().context("password change failed")?;
    Ok(())
}

/// The stage to send, or `None` with the reason kept in `gave_up`: the generated interactive
/// helpers only take an `Option`.
fn keep_reason(next: Result<AuthData, GiveUp>, gave_up: &mut Option<GiveUp>) -> Option<AuthData> {
    match next {
        Ok(auth) => Some(auth),
        Err(reason) => {
            *gave_up = Some(reason);
            None
        }
    }
}

/// The error and its causes on one line, `: ` between them, for stderr. A cause whose message
/// the previous one already contains is left out (the client's transport error repeats its
/// source), and line breaks from server messages become spaces.
#[must_use]
pub fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|last| last.contains(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts
        .join(": ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn state(value: Value) -> AuthResponse {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn registration_picks_the_dummy_flow() {
        let state = state(json!({
            "flows": [{"stages": ["m.login.recaptcha"]}, {"stages": ["m.login.dummy"]}],
            "params": {},
            "session": "S"
        }));
        let auth = registration_stage(&state).unwrap();
        assert_eq!(auth.r#type.as_deref(), Some(DUMMY));
        // The generated helper fills the session in.
        assert_eq!(auth.session, None);
        assert!(auth.extra.is_empty());
        assert_eq!(serde_json::to_value(&auth).unwrap(), json!({"type": "m.login.dummy"}));
    }

    #[test]
    fn registration_gives_up_on_other_flows_naming_their_stages() {
        let state = state(json!({
            "flows": [
                {"stages": ["m.login.recaptcha"]},
                {"stages": ["m.login.email.identity", "m.login.dummy"]}
            ],
            "session": "S"
        }));
        let reason = registration_stage(&state).unwrap_err();
        assert_eq!(
            reason,
            GiveUp::Unsupported {
                supported: DUMMY,
                flows: vec![
                    vec!["m.login.recaptcha".to_owned()],
                    vec!["m.login.email.identity".to_owned(), "m.login.dummy".to_owned()],
                ],
            }
        );
        let message = reason.to_string();
        assert!(
            message.contains("[m.login.recaptcha] or [m.login.email.identity, m.login.dummy]"),
            "{message}"
        );
        assert!(message.contains("cannot complete"), "{message}");
    }

    #[test]
    fn registration_gives_up_without_flows() {
        let reason = registration_stage(&state(json!({"flows": []}))).unwrap_err();
        assert_eq!(
            reason.to_string(),
            "the server offers no authentication flow (this client completes only `m.login.dummy`)"
        );
    }

    #[test]
    fn registration_stops_on_a_stage_error_or_a_repeated_stage() {
        let failed = state(json!({
            "flows": [{"stages": ["m.login.dummy"]}],
            "completed": [],
            "errcode": "M_UNKNOWN",
            "error": "try later"
        }));
        assert_eq!(
            registration_stage(&failed).unwrap_err().to_string(),
            "the server refused the `m.login.dummy` stage: M_UNKNOWN: try later"
        );
        let repeated = state(json!({"flows": [{"stages": ["m.login.dummy"]}], "completed": ["m.login.dummy"]}));
        assert_eq!(
            registration_stage(&repeated).unwrap_err(),
            GiveUp::Repeated { stage: DUMMY }
        );
    }

    #[test]
    fn password_stage_names_the_user_and_hides_the_password() {
        let state = state(json!({"flows": [{"stages": ["m.login.password"]}], "params": {}, "session": "S"}));
        let auth = password_stage(&state, "@carol:localhost", "hunter2-secret").unwrap();
        assert_eq!(
            serde_json::to_value(&auth).unwrap(),
            json!({
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": "@carol:localhost"},
                "password": "hunter2-secret"
            })
        );
        let debug = format!("{auth:?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
    }

    #[test]
    fn password_stage_stops_on_forbidden() {
        let state = state(json!({
            "flows": [{"stages": ["m.login.password"]}],
            "completed": [],
            "session": "S",
            "errcode": "M_FORBIDDEN",
            "error": "Invalid password"
        }));
        let reason = password_stage(&state, "carol", "wrong-secret").unwrap_err();
        assert_eq!(
            reason,
            GiveUp::WrongPassword {
                error: Some("Invalid password".to_owned())
            }
        );
        let message = reason.to_string();
        assert_eq!(
            message,
            "the current password is wrong (the server answered M_FORBIDDEN: Invalid password)"
        );
        assert!(!message.contains("wrong-secret"));
    }

    #[test]
    fn password_stage_gives_up_on_email_only() {
        let state = state(json!({"flows": [{"stages": ["m.login.email.identity"]}], "session": "S"}));
        let reason = password_stage(&state, "carol", "pw").unwrap_err();
        assert!(
            matches!(&reason, GiveUp::Unsupported { supported: PASSWORD, flows } if flows == &[vec!["m.login.email.identity".to_owned()]])
        );
        assert!(reason.to_string().contains("[m.login.email.identity]"), "{reason}");
    }

    #[test]
    fn registered_never_shows_the_token() {
        let registered = Registered {
            user_id: "@carol:localhost".to_owned(),
            device_id: Some("ABCDEF".to_owned()),
            access_token: Some("syt_secret_token".to_owned()),
        };
        assert_eq!(registered.to_string(), "@carol:localhost (device ABCDEF)");
        let debug = format!("{registered:?}");
        assert!(!debug.contains("syt_secret_token"), "{debug}");
        assert_eq!(registered.access_token(), Some("syt_secret_token"));
    }

    #[test]
    fn one_line_skips_repeated_causes_and_line_breaks() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "HTTP transport failed: {}", self.0)
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error =
            anyhow::Error::new(Outer(std::io::Error::other("connection\nrefused"))).context("registration failed");
        assert_eq!(
            one_line(&error),
            "registration failed: HTTP transport failed: connection refused"
        );
    }
}
