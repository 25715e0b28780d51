//! User-interactive authentication (UIAA) without storage: the stage names this server offers,
//! the 401 bodies it answers with, and reading the `auth` dict of an `m.login.password` stage.
//!
//! Sessions themselves live in the [`Store`](crate::store::Store); the server decides when to
//! create and delete them.

use std::collections::BTreeMap;
use std::fmt;

use matrix_registration::ErrorCode;
use matrix_registration::types::{AuthData, AuthResponse, FlowInformation};
use serde_json::Value;

use crate::username::user_id;

/// The stage that needs nothing: registration's only stage.
pub const DUMMY: &str = "m.login.dummy";
/// The stage that checks the account's password: password change with an access token.
pub const PASSWORD: &str = "m.login.password";
/// The stage that checks a validated email address: password change without an access token.
/// This server never validates addresses, so nobody completes it.
pub const EMAIL_IDENTITY: &str = "m.login.email.identity";
/// The identifier type naming a user by user id or localpart.
pub const USER_IDENTIFIER: &str = "m.id.user";

/// The 401 body that starts (or restarts) a flow: one flow of the single `stage`, empty
/// `params`, and the `session` to send back.
pub fn challenge(stage: &str, session: String) -> AuthResponse {
    let mut body = AuthResponse::new(vec![FlowInformation::new(vec![stage.to_owned()])]);
    body.params = Some(BTreeMap::new());
    body.session = Some(session);
    body
}

/// The 401 body answering an `auth` dict without a `type`: [`challenge`] with `completed: []`,
/// as Synapse answers `"auth": {}` and `"auth": {"session": ...}`.
pub fn progress(stage: &str, session: String) -> AuthResponse {
    let mut body = challenge(stage, session);
    body.completed = Some(Vec::new());
    body
}

/// The 401 body for a stage that failed: [`challenge`] with `completed: []` plus the error,
/// as Synapse answers a wrong password.
pub fn failed(stage: &str, session: String, errcode: ErrorCode, error: &str) -> AuthResponse {
    let mut body = challenge(stage, session);
    body.completed = Some(Vec::new());
    body.errcode = Some(errcode);
    body.error = Some(error.to_owned());
    body
}

/// The user and password an `m.login.password` auth dict names. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordAuth {
    /// The user as the client wrote it: a localpart (`alice`) or a full user id.
    pub user: String,
    /// The password to check.
    pub password: String,
}

impl fmt::Debug for PasswordAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordAuth")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why an `m.login.password` auth dict cannot be read; answered with 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthDictError {
    /// A key is missing (`M_MISSING_PARAM`).
    Missing(&'static str),
    /// A key has a value this server cannot use (`M_INVALID_PARAM`).
    Invalid(&'static str),
}

impl AuthDictError {
    /// The Matrix error code.
    pub fn errcode(&self) -> &'static str {
        match self {
            Self::Missing(_) => "M_MISSING_PARAM",
            Self::Invalid(_) => "M_INVALID_PARAM",
        }
    }

    /// The message for the client.
    pub fn message(&self) -> String {
        match self {
            Self::Missing(key) => format!("Missing parameter: {key}"),
            Self::Invalid(what) => (*what).to_owned(),
        }
    }
}

/// Reads the user and password of an `m.login.password` auth dict: the user from
/// `identifier: {"type": "m.id.user", "user": ...}`, or from the legacy top-level `user` key
/// when there is no `identifier`; the password from `password`.
pub fn password_auth(auth: &AuthData) -> Result<PasswordAuth, AuthDictError> {
    let user = match auth.extra.get("identifier") {
        Some(identifier) => identifier_user(identifier)?,
        None => match auth.extra.get("user") {
            Some(Value::String(user)) => user.clone(),
            Some(_) => return Err(AuthDictError::Invalid("`user` must be a string")),
            None => return Err(AuthDictError::Missing("identifier")),
        },
    };
    let password = match auth.extra.get("password") {
        Some(Value::String(password)) => password.clone(),
        Some(_) => return Err(AuthDictError::Invalid("`password` must be a string")),
        None => return Err(AuthDictError::Missing("password")),
    };
    Ok(PasswordAuth { user, password })
}

/// The `user` of an `m.id.user` identifier.
fn identifier_user(identifier: &Value) -> Result<String, AuthDictError> {
    match identifier.get("type") {
        Some(Value::String(kind)) if kind == USER_IDENTIFIER => {}
        Some(_) => return Err(AuthDictError::Invalid("Unknown login identifier type")),
        None => return Err(AuthDictError::Missing("identifier.type")),
    }
    match identifier.get("user") {
        Some(Value::String(user)) => Ok(user.clone()),
        Some(_) => Err(AuthDictError::Invalid("`identifier.user` must be a string")),
        None => Err(AuthDictError::Missing("identifier.user")),
    }
}

/// Whether the user a client named (`alice` or `@alice:server_name`) is `user_id`. A name
/// without `@` is a localpart on `server_name`. Compared ignoring ASCII case, since user ids
/// are lower case and clients may not be.
pub fn names_user(named: &str, user_id_: &str, server_name: &str) -> bool {
    let full = if named.starts_with('@') {
        named.to_owned()
    } else {
        user_id(named, server_name)
    };
    full.eq_ignore_ascii_case(user_id_)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn auth(value: Value) -> AuthData {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn challenge_and_failure_bodies() {
        let body = serde_json::to_value(challenge(DUMMY, "S".into())).unwrap();
        assert_eq!(
            body,
            json!({"flows": [{"stages": ["m.login.dummy"]}], "params": {}, "session": "S"})
        );
        let body = serde_json::to_value(progress(DUMMY, "S".into())).unwrap();
        assert_eq!(
            body,
            json!({"flows": [{"stages": ["m.login.dummy"]}], "params": {}, "session": "S", "completed": []})
        );
        let body =
            serde_json::to_value(failed(PASSWORD, "S".into(), ErrorCode::Forbidden, "Invalid password")).unwrap();
        assert_eq!(
            body,
            json!({"flows": [{"stages": ["m.login.password"]}], "params": {}, "session": "S",
                   "completed": [], "errcode": "M_FORBIDDEN", "error": "Invalid password"})
        );
    }

    #[test]
    fn reads_identifier_and_legacy_user() {
        let with_identifier = auth(json!({"type": PASSWORD, "session": "S",
            "identifier": {"type": "m.id.user", "user": "alice"}, "password": "pw"}));
        let creds = password_auth(&with_identifier).unwrap();
        assert_eq!((creds.user.as_str(), creds.password.as_str()), ("alice", "pw"));
        let legacy = auth(json!({"type": PASSWORD, "user": "@alice:hs", "password": "pw"}));
        assert_eq!(password_auth(&legacy).unwrap().user, "@alice:hs");
        assert!(!format!("{creds:?}").contains("pw\""));
    }

    #[test]
    fn bad_auth_dicts_are_explained() {
        let cases = [
            (
                json!({"type": PASSWORD, "password": "pw"}),
                AuthDictError::Missing("identifier"),
            ),
            (
                json!({"type": PASSWORD, "identifier": {"type": "m.id.user", "user": "a"}}),
                AuthDictError::Missing("password"),
            ),
            (
                json!({"type": PASSWORD, "identifier": {"type": "m.id.thirdparty"}, "password": "pw"}),
                AuthDictError::Invalid("Unknown login identifier type"),
            ),
            (
                json!({"type": PASSWORD, "identifier": {"type": "m.id.user", "user": 7}, "password": "pw"}),
                AuthDictError::Invalid("`identifier.user` must be a string"),
            ),
            (
                json!({"type": PASSWORD, "identifier": {"type": "m.id.user", "user": "a"}, "password": 1}),
                AuthDictError::Invalid("`password` must be a string"),
            ),
            (
                json!({"type": PASSWORD, "identifier": "alice", "password": "pw"}),
                AuthDictError::Missing("identifier.type"),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(password_auth(&auth(value.clone())), Err(expected), "{value}");
        }
        assert_eq!(AuthDictError::Missing("password").errcode(), "M_MISSING_PARAM");
        assert_eq!(
            AuthDictError::Missing("password").message(),
            "Missing parameter: password"
        );
    }

    #[test]
    fn names_user_by_localpart_or_full_id() {
        assert!(names_user("alice", "@alice:hs", "hs"));
        assert!(names_user("@alice:hs", "@alice:hs", "hs"));
        assert!(names_user("Alice", "@alice:hs", "hs"));
        assert!(!names_user("bob", "@alice:hs", "hs"));
        assert!(!names_user("@alice:other", "@alice:hs", "hs"));
        assert!(!names_user("", "@alice:hs", "hs"));
    }
}
