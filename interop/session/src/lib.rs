//! A whole Matrix session with the generated Client-Server client against a real server.
//!
//! Two users register through User-Interactive Authentication and log in, set a display name,
//! meet in a room, talk, sync (initial and incremental), page back through the room, read its
//! state, share a file through the authenticated media endpoints, keep account data and tags,
//! type and read, list their devices and log out. `cargo xtask interop` runs it against
//! Synapse. Every step checks the typed answer of one operation; the operation is named by
//! the request's type, so the count of distinct operations is the count of what was called.

mod accounts;
mod data;
mod media;
mod rooms;
pub mod syncing;
mod timeline;

use std::collections::BTreeSet;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use matrix_client_server::Endpoint;
use matrix_client_server::client::{Client, ClientError};

/// One checked step of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The operation called: its module in `matrix_client_server::endpoints`.
    pub operation: &'static str,
    /// What the step did.
    pub action: String,
    /// The typed answer seen.
    pub seen: String,
}

/// What a passing session did, step by step.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every step, in order.
    pub steps: Vec<Step>,
}

impl Report {
    /// The distinct operations the steps called.
    pub fn operations(&self) -> BTreeSet<&'static str> {
        self.steps.iter().map(|step| step.operation).collect()
    }
}

/// Why the session stopped: the operation and what its answer, or its transport, did wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The operation whose step failed.
    pub operation: &'static str,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// A failure of the step calling operation `E`.
    pub(crate) fn new<E: Endpoint>(message: impl Into<String>) -> Self {
        Self {
            operation: operation::<E>(),
            message: message.into(),
        }
    }

    /// A failure of the step sending `request`.
    pub(crate) fn of<E: Endpoint>(_request: &E, message: impl Into<String>) -> Self {
        Self::new::<E>(message)
    }

    /// An answer that is not the one the step expects.
    pub(crate) fn answer<E: Endpoint>(request: &E, expected: &str, got: &dyn fmt::Display) -> Self {
        Self::of(request, format!("expected {expected}, got {got}"))
    }
}

/// The operation a request type belongs to: `sync` for `endpoints::sync::Request`.
pub fn operation<E: Endpoint>() -> &'static str {
    let path = std::any::type_name::<E>();
    path.rsplit("::").nth(1).unwrap_or(path)
}

/// Fails the step of `request` unless `holds`.
pub(crate) fn ensure<E: Endpoint>(request: &E, holds: bool, why: impl FnOnce() -> String) -> Result<(), Failure> {
    if holds {
        Ok(())
    } else {
        Err(Failure::of(request, why()))
    }
}

/// A transport failure or an unreadable answer as the failure of the step that sent `request`.
pub(crate) trait Sent<T> {
    /// `Ok` as is; `Err` as a [`Failure`] of `request`'s operation, with the body of an
    /// answer that did not decode (secrets redacted), since that is a generated type at fault.
    fn or_fail<E: Endpoint>(self, request: &E) -> Result<T, Failure>;
}

impl<T> Sent<T> for Result<T, ClientError> {
    fn or_fail<E: Endpoint>(self, request: &E) -> Result<T, Failure> {
        self.map_err(|error| match &error {
            ClientError::Decode(decode) => Failure::of(
                request,
                format!("{error}; the body was: {}", redacted_body(decode.body())),
            ),
            _ => Failure::of(request, error.to_string()),
        })
    }
}

/// How much of an undecodable body a failure shows.
pub const BODY_SHOWN: usize = 2000;

/// A body for a failure message: JSON with every secret field's value replaced by
/// `<redacted>` (answers such as `login`'s carry tokens), anything else as lossy text; cut to
/// [`BODY_SHOWN`] characters.
pub fn redacted_body(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            redact(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    match text.char_indices().nth(BODY_SHOWN) {
        Some((end, _)) => format!("{}... ({} bytes in all)", &text[..end], body.len()),
        None => text,
    }
}

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if matrix_client_server::SECRET_FIELDS.contains(&key.as_str()) {
                    *value = serde_json::Value::String("<redacted>".to_owned());
                } else {
                    redact(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The steps so far, each also handed to the caller as it is checked.
pub(crate) struct Log<'a> {
    steps: Vec<Step>,
    on_step: &'a mut dyn FnMut(&Step),
}

impl Log<'_> {
    /// Records a checked step of `request`'s operation.
    pub(crate) fn step<E: Endpoint>(&mut self, _request: &E, action: impl Into<String>, seen: impl Into<String>) {
        let step = Step {
            operation: operation::<E>(),
            action: action.into(),
            seen: seen.into(),
        };
        (self.on_step)(&step);
        self.steps.push(step);
    }
}

/// A signed-in user: who, on which device, and a client sending that device's token.
pub(crate) struct User {
    pub(crate) name: &'static str,
    pub(crate) localpart: String,
    pub(crate) user_id: String,
    pub(crate) device_id: String,
    pub(crate) client: Client,
}

/// Runs the whole session against the server at `base_url`, handing each step to `on_step`
/// as it passes; stops at the first answer that is not the right one.
///
/// # Errors
/// The first step whose answer is wrong, whose transport fails or whose answer does not decode.
pub async fn run(base_url: &str, on_step: &mut dyn FnMut(&Step)) -> Result<Report, Failure> {
    let mut log = Log {
        steps: Vec::new(),
        on_step,
    };
    let anonymous = Client::new(base_url);
    accounts::server_support(&anonymous, &mut log).await?;
    let tag = unique_tag();
    let (alice, alice_password) = accounts::register(&anonymous, "alice", &tag, &mut log).await?;
    let (bob, _) = accounts::register(&anonymous, "bob", &tag, &mut log).await?;
    let alice_phone = accounts::login(&anonymous, &alice, &alice_password, accounts::PHONE, &mut log).await?;
    accounts::whoami(&alice_phone, &mut log).await?;
    accounts::display_name(&alice, &mut log).await?;
    let room = rooms::meet(&alice, &bob, &mut log).await?;
    rooms::state(&alice, &room, &mut log).await?;
    let mut alice_sync = timeline::filtered_sync(&alice, &room, &mut log).await?;
    let sent = timeline::converse(&alice, &bob, &room, &mut alice_sync, &mut log).await?;
    timeline::paginate(&bob, &room, &sent, &mut log).await?;
    timeline::typing_and_receipts(&alice, &bob, &room, &sent, &mut alice_sync, &mut log).await?;
    data::account_data(&alice, &room, &mut log).await?;
    data::tags(&alice, &room, &mut log).await?;
    media::round_trip(&anonymous, &alice_phone, &bob, &mut log).await?;
    timeline::redact(&alice, &room, &sent, &mut log).await?;
    accounts::devices(&alice, &alice_phone, &mut log).await?;
    rooms::leave(&bob, &room, &mut log).await?;
    accounts::log_out(&alice, &alice_phone, &bob, &mut log).await?;
    let alice_laptop = accounts::login(&anonymous, &alice, &alice_password, "interop laptop", &mut log).await?;
    accounts::delete_device(&alice, &alice_laptop, &alice_password, &mut log).await?;
    Ok(Report { steps: log.steps })
}

/// A suffix no earlier run took: a server keeps its accounts between runs.
fn unique_tag() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}", nanos % 1_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_client_server::endpoints::{get_content_authed, send_message, sync};

    #[test]
    fn the_operation_is_the_module_of_the_request_type() {
        assert_eq!(operation::<sync::Request>(), "sync");
        assert_eq!(operation::<send_message::Request>(), "send_message");
        assert_eq!(operation::<get_content_authed::Request>(), "get_content_authed");
    }

    #[test]
    fn undecodable_bodies_are_shown_without_their_secrets() {
        let body = br#"{"user_id":"@a:b","access_token":"syt_secret","nested":[{"password":"hunter2"}],"n":1}"#;
        let shown = redacted_body(body);
        assert!(!shown.contains("syt_secret") && !shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(r#""access_token":"<redacted>""#), "{shown}");
        assert!(shown.contains(r#""user_id":"@a:b""#), "{shown}");
    }

    #[test]
    fn long_or_binary_bodies_are_cut() {
        let body = vec![b'x'; BODY_SHOWN + 10];
        let shown = redacted_body(&body);
        assert!(
            shown.ends_with(&format!("... ({} bytes in all)", BODY_SHOWN + 10)),
            "{shown}"
        );
        assert_eq!(redacted_body(&[0xff, b'a']), "\u{fffd}a");
    }
}
