//! Matrix errors with a type: [`ErrorCode`], every code the Matrix spec defines as a variant
//! (any other kept as it came), and [`Error`], a Matrix error with its HTTP status that a
//! server method returns with `?`.
//!
//! The codes are written once, in the table of [`error_codes!`] below, in the order of the
//! Client-Server API's "Standard error response" section (<https://spec.matrix.org/v1.19/client-server-api/#standard-error-response>):
//! its common error codes, then its other error codes, then the codes other sections of the
//! spec define (room keys, login, content repository), then codes servers send that the stable
//! spec does not list. Each row gives the variant, the code on the wire and the status a
//! server answers it with unless it says otherwise.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

/// Writes [`ErrorCode`] from its table: the enum, its wire text and its usual status.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $status:literal; )*) => {
        /// A Matrix error code (`errcode`): one variant per code the spec defines, and
        /// [`ErrorCode::Other`] for any other, kept as it came.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
            /// A code the spec does not define (a server's own `ORG_EXAMPLE_...`, or one a
            /// later spec adds), as it came.
            Other(String),
        }

        impl ErrorCode {
            /// Every code the spec defines, in the table's order.
            pub const KNOWN: &'static [ErrorCode] = &[$(Self::$variant),*];

            /// The code on the wire (`M_FORBIDDEN`).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Other(code) => code,
                }
            }

            /// The status a server answers this code with unless it has a reason to differ;
            /// 400 for [`ErrorCode::Other`].
            #[must_use]
            pub fn status(&self) -> StatusCode {
                let code = match self {
                    $(Self::$variant => $status,)*
                    Self::Other(_) => 400,
                };
                StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
            }

            /// The code for the wire text `code`: its variant, or [`ErrorCode::Other`].
            #[must_use]
            pub fn parse(code: &str) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    // Common error codes.
    /// `M_FORBIDDEN`: forbidden access, e.g. joining a room without permission, failed login.
    Forbidden = "M_FORBIDDEN", 403;
    /// `M_UNKNOWN_TOKEN`: the access token is not recognised (`soft_logout` may come with it).
    UnknownToken = "M_UNKNOWN_TOKEN", 401;
    /// `M_MISSING_TOKEN`: no access token was given for a request that requires one.
    MissingToken = "M_MISSING_TOKEN", 401;
    /// `M_USER_LOCKED`: the account has been locked and cannot be used at this time.
    UserLocked = "M_USER_LOCKED", 401;
    /// `M_USER_SUSPENDED`: the account has been suspended and can only be used for limited actions.
    UserSuspended = "M_USER_SUSPENDED", 403;
    /// `M_BAD_JSON`: the request contained valid JSON, but it was malformed in some way.
    BadJson = "M_BAD_JSON", 400;
    /// `M_NOT_JSON`: the request did not contain valid JSON.
    NotJson = "M_NOT_JSON", 400;
    /// `M_NOT_FOUND`: no resource was found for this request.
    NotFound = "M_NOT_FOUND", 404;
    /// `M_LIMIT_EXCEEDED`: too many requests in too short a time (`retry_after_ms` may come with it).
    LimitExceeded = "M_LIMIT_EXCEEDED", 429;
    /// `M_UNRECOGNIZED`: the server did not understand the request (404 for an unknown endpoint,
    /// 405 for a known one with the wrong method).
    Unrecognized = "M_UNRECOGNIZED", 404;
    /// `M_UNKNOWN`: an unknown error has occurred.
    Unknown = "M_UNKNOWN", 500;
    // Other error codes.
    /// `M_UNAUTHORIZED`: the request was not correctly authorized (usually failed login).
    Unauthorized = "M_UNAUTHORIZED", 401;
    /// `M_USER_DEACTIVATED`: the user ID is associated with a deactivated account.
    UserDeactivated = "M_USER_DEACTIVATED", 403;
    /// `M_USER_IN_USE`: registering a user ID that has been taken.
    UserInUse = "M_USER_IN_USE", 400;
    /// `M_INVALID_USERNAME`: registering with an invalid user ID.
    InvalidUsername = "M_INVALID_USERNAME", 400;
    /// `M_ROOM_IN_USE`: creating a room with an alias that is taken.
    RoomInUse = "M_ROOM_IN_USE", 400;
    /// `M_INVALID_ROOM_STATE`: creating a room with invalid initial state.
    InvalidRoomState = "M_INVALID_ROOM_STATE", 400;
    /// `M_THREEPID_IN_USE`: the third-party identifier is already in use by another user.
    ThreepidInUse = "M_THREEPID_IN_USE", 400;
    /// `M_THREEPID_NOT_FOUND`: no account matches the third-party identifier.
    ThreepidNotFound = "M_THREEPID_NOT_FOUND", 400;
    /// `M_THREEPID_AUTH_FAILED`: the third-party identifier could not be authenticated.
    ThreepidAuthFailed = "M_THREEPID_AUTH_FAILED", 401;
    /// `M_THREEPID_DENIED`: the server does not permit this third-party identifier.
    ThreepidDenied = "M_THREEPID_DENIED", 403;
    /// `M_SERVER_NOT_TRUSTED`: the client's request used a server the homeserver does not trust.
    ServerNotTrusted = "M_SERVER_NOT_TRUSTED", 403;
    /// `M_UNSUPPORTED_ROOM_VERSION`: creating a room of a version the server does not support.
    UnsupportedRoomVersion = "M_UNSUPPORTED_ROOM_VERSION", 400;
    /// `M_INCOMPATIBLE_ROOM_VERSION`: joining a room whose version the server does not support.
    IncompatibleRoomVersion = "M_INCOMPATIBLE_ROOM_VERSION", 400;
    /// `M_BAD_STATE`: the state change requested cannot be performed (e.g. unbanning someone not banned).
    BadState = "M_BAD_STATE", 400;
    /// `M_GUEST_ACCESS_FORBIDDEN`: the room or resource does not permit guests.
    GuestAccessForbidden = "M_GUEST_ACCESS_FORBIDDEN", 403;
    /// `M_CAPTCHA_NEEDED`: a Captcha is required to complete the request.
    CaptchaNeeded = "M_CAPTCHA_NEEDED", 401;
    /// `M_CAPTCHA_INVALID`: the Captcha provided did not match what was expected.
    CaptchaInvalid = "M_CAPTCHA_INVALID", 401;
    /// `M_MISSING_PARAM`: a required parameter was missing.
    MissingParam = "M_MISSING_PARAM", 400;
    /// `M_INVALID_PARAM`: a parameter has a value it cannot take.
    InvalidParam = "M_INVALID_PARAM", 400;
    /// `M_TOO_LARGE`: the request or entity was too large.
    TooLarge = "M_TOO_LARGE", 413;
    /// `M_EXCLUSIVE`: the resource is reserved by an application service.
    Exclusive = "M_EXCLUSIVE", 400;
    /// `M_RESOURCE_LIMIT_EXCEEDED`: the homeserver has hit a resource limit (`admin_contact` comes with it).
    ResourceLimitExceeded = "M_RESOURCE_LIMIT_EXCEEDED", 403;
    /// `M_CANNOT_LEAVE_SERVER_NOTICE_ROOM`: the user cannot leave the server notice room.
    CannotLeaveServerNoticeRoom = "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM", 403;
    /// `M_THREEPID_MEDIUM_NOT_SUPPORTED`: the homeserver does not support adding a third-party
    /// identifier of this medium.
    ThreepidMediumNotSupported = "M_THREEPID_MEDIUM_NOT_SUPPORTED", 400;
    /// `M_WEAK_PASSWORD`: the password is too weak.
    WeakPassword = "M_WEAK_PASSWORD", 400;
    /// `M_UNABLE_TO_AUTHORISE_JOIN`: the homeserver cannot check a restricted room's join rules.
    UnableToAuthoriseJoin = "M_UNABLE_TO_AUTHORISE_JOIN", 400;
    /// `M_UNABLE_TO_GRANT_JOIN`: no server that could authorise the restricted join is reachable.
    UnableToGrantJoin = "M_UNABLE_TO_GRANT_JOIN", 400;
    /// `M_BAD_ALIAS`: a room alias in the state does not point to the room.
    BadAlias = "M_BAD_ALIAS", 400;
    /// `M_CONNECTION_FAILED`: the server could not reach a remote server.
    ConnectionFailed = "M_CONNECTION_FAILED", 502;
    /// `M_CONNECTION_TIMEOUT`: a remote server took too long to answer.
    ConnectionTimeout = "M_CONNECTION_TIMEOUT", 504;
    // Codes of other sections of the Client-Server API.
    /// `M_WRONG_ROOM_KEYS_VERSION`: the key backup version is not the current one (room keys).
    WrongRoomKeysVersion = "M_WRONG_ROOM_KEYS_VERSION", 403;
    /// `M_APPSERVICE_LOGIN_UNSUPPORTED`: an application service used a login it may not (login).
    AppserviceLoginUnsupported = "M_APPSERVICE_LOGIN_UNSUPPORTED", 400;
    /// `M_NOT_YET_UPLOADED`: the media has not been uploaded yet (content repository).
    NotYetUploaded = "M_NOT_YET_UPLOADED", 504;
    /// `M_CANNOT_OVERWRITE_MEDIA`: the media was already uploaded (content repository).
    CannotOverwriteMedia = "M_CANNOT_OVERWRITE_MEDIA", 409;
    // Codes servers send that the stable spec's lists do not hold.
    /// `M_UNKNOWN_POS`: an unknown sliding sync position (MSC4186; Synapse sends it).
    UnknownPos = "M_UNKNOWN_POS", 400;
    /// `M_URL_NOT_SET`: a URL a request relies on is not configured (ruma lists it).
    UrlNotSet = "M_URL_NOT_SET", 400;
    /// `M_INVALID_SIGNATURE`: a signature did not verify (Synapse sends it).
    InvalidSignature = "M_INVALID_SIGNATURE", 400;
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        Self::parse(code)
    }
}

impl From<String> for ErrorCode {
    fn from(code: String) -> Self {
        match Self::parse(&code) {
            Self::Other(_) => Self::Other(code),
            known => known,
        }
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(code))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// The key of [`ErrorCode::LimitExceeded`]'s wait.
const RETRY_AFTER_MS: &str = "retry_after_ms";
/// The key of [`ErrorCode::UnknownToken`]'s soft logout.
const SOFT_LOGOUT: &str = "soft_logout";

/// A Matrix error with its HTTP status: what a server method returns with `?` (the generated
/// router answers with it: `Err(Error::new(ErrorCode::UserInUse, "User ID already taken."))?`
/// is a 400 `M_USER_IN_USE`), and what [`Error::from_response`] reads back on a client.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    extra: BTreeMap<String, serde_json::Value>,
}

impl Error {
    /// An error of `code` with its usual status ([`ErrorCode::status`]).
    pub fn new(code: impl Into<ErrorCode>, message: impl Into<String>) -> Self {
        let code = code.into();
        Self { status: code.status(), code, message: message.into(), extra: BTreeMap::new() }
    }

    /// This error with another status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// This error with another key of the error object (`admin_contact`, say).
    #[must_use]
    pub fn with_key(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(key.into(), value.into());
        self
    }

    /// 429 `M_LIMIT_EXCEEDED` with `retry_after_ms` (whole milliseconds, rounded up, at
    /// least 1) and a `Retry-After` header in whole seconds (rounded up).
    pub fn limit_exceeded(retry_after: Duration, message: impl Into<String>) -> Self {
        let millis = u64::try_from(retry_after.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
        Self::new(ErrorCode::LimitExceeded, message).with_key(RETRY_AFTER_MS, millis.max(1))
    }

    /// 401 `M_UNKNOWN_TOKEN`; `soft_logout` tells the client it may log in again to the same
    /// device.
    pub fn unknown_token(soft_logout: bool, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnknownToken, message).with_key(SOFT_LOGOUT, soft_logout)
    }

    /// Reads a Matrix error body (`{"errcode": ..., "error": ...}`) answered with `status`;
    /// `None` when the body is not one.
    #[must_use]
    pub fn from_response(status: StatusCode, body: &[u8]) -> Option<Self> {
        let mut object: BTreeMap<String, serde_json::Value> = serde_json::from_slice(body).ok()?;
        let code = match object.remove("errcode")? {
            serde_json::Value::String(code) => ErrorCode::from(code),
            _ => return None,
        };
        let message = match object.remove("error") {
            Some(serde_json::Value::String(message)) => message,
            _ => String::new(),
        };
        Some(Self { status, code, message, extra: object })
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code.
    #[must_use]
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The message for people.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long to wait before retrying: `retry_after_ms` of `M_LIMIT_EXCEEDED`.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        self.extra.get(RETRY_AFTER_MS)?.as_u64().map(Duration::from_millis)
    }

    /// `soft_logout` of `M_UNKNOWN_TOKEN`: `false` when absent.
    #[must_use]
    pub fn soft_logout(&self) -> bool {
        self.extra.get(SOFT_LOGOUT).and_then(serde_json::Value::as_bool).unwrap_or(false)
    }

    /// Every other key of the error object, as it came.
    #[must_use]
    pub fn extra(&self) -> &BTreeMap<String, serde_json::Value> {
        &self.extra
    }

    /// The error object: `errcode`, `error` and the other keys.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("errcode".to_owned(), self.code.as_str().into());
        object.insert("error".to_owned(), self.message.clone().into());
        for (key, value) in &self.extra {
            object.entry(key.clone()).or_insert_with(|| value.clone());
        }
        serde_json::Value::Object(object)
    }

    /// The HTTP answer: the status, the error object, and `Retry-After` for a wait.
    #[must_use]
    pub fn into_http(self) -> http::Response<Bytes> {
        let mut response = super::http::json_response(self.status, &self.to_json());
        if let Some(wait) = self.retry_after() {
            let seconds = wait.as_millis().div_ceil(1000);
            if let Ok(value) = http::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_answer(f, self.status, Some(self.code.as_str()), Some(&self.message))
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_reads_back_as_its_variant_and_others_are_kept() {
        for code in ErrorCode::KNOWN {
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            assert!(code.as_str().starts_with("M_"), "{code}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code}");
        }
        let mut seen: Vec<&str> = ErrorCode::KNOWN.iter().map(ErrorCode::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), ErrorCode::KNOWN.len(), "a code is in the table twice");
        let other: ErrorCode = serde_json::from_str("\"M_USER_IN_US\"").unwrap();
        assert_eq!(other, ErrorCode::Other("M_USER_IN_US".to_owned()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"M_USER_IN_US\"");
        assert_eq!(ErrorCode::from("M_USER_IN_USE"), ErrorCode::UserInUse);
    }

    #[test]
    fn an_error_answers_with_its_status_code_and_keys() {
        let error = Error::limit_exceeded(Duration::from_micros(1_500_100), "slow down");
        assert_eq!(error.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.retry_after(), Some(Duration::from_millis(1501)));
        let response = error.clone().into_http();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "2");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"errcode": "M_LIMIT_EXCEEDED", "error": "slow down", "retry_after_ms": 1501})
        );
        assert_eq!(Error::from_response(StatusCode::TOO_MANY_REQUESTS, response.body()), Some(error));
        let token = Error::unknown_token(true, "expired").with_key("x", 1);
        assert!(token.soft_logout());
        assert_eq!(token.code(), &ErrorCode::UnknownToken);
        assert_eq!(token.extra()["x"], 1);
        assert_eq!(Error::from_response(StatusCode::OK, b"{}"), None);
    }
}
