//! Hand-written runtime of the generated crate: operation metadata, enum parsing errors, the
//! `Debug` helpers that keep secrets out of logs, and (in submodules) typed Matrix errors,
//! sans-IO HTTP and the axum server adapter.

#[cfg(feature = "client")]
pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod http;
#[cfg(feature = "server")]
pub(crate) mod server;

use self::http::{DecodeError, IntoHttpError};

use std::collections::BTreeMap;
use std::fmt;

/// How an operation is sent: method, path under [`crate::BASE_PATH`], access token, statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path under [`crate::BASE_PATH`], with `{name}` for each path parameter.
    pub path: &'static str,
    /// Whether an access token is sent.
    pub access_token: AccessToken,
    /// The status codes the spec documents.
    pub statuses: &'static [u16],
    /// The Matrix version that added the operation (`x-addedInMatrixVersion`), if the spec says.
    pub added_in: Option<&'static str>,
    /// Whether the spec deprecates the operation.
    pub deprecated: bool,
}

/// An operation's request: how it travels over HTTP and what answers it. Every generated
/// `Request` implements it; the client sends any `Endpoint`.
pub trait Endpoint {
    /// The answer: the operation's response enum.
    type Response;
    /// Method, path, access token and statuses.
    const METADATA: Metadata;

    /// The HTTP request, to `prefix` (the server's URL and the base path, variables filled).
    ///
    /// # Errors
    /// When a value cannot travel in HTTP.
    fn to_http(&self, prefix: &str) -> Result<::http::Request<bytes::Bytes>, IntoHttpError>;

    /// The answer, from the HTTP response.
    ///
    /// # Errors
    /// A documented status whose body is neither its type nor a Matrix error.
    fn from_http_response(response: ::http::Response<bytes::Bytes>) -> Result<Self::Response, DecodeError>;
}

/// Whether an operation is sent with an access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessToken {
    /// Never.
    None,
    /// When the client has one; the server may answer differently without.
    Optional,
    /// Always; the server refuses the request without one.
    Required,
}

/// A `{NAME}` placeholder of [`crate::BASE_PATH`] and the values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The placeholder's name.
    pub name: &'static str,
    /// Every value the API is served under.
    pub values: &'static [&'static str],
    /// The value clients use unless told otherwise.
    pub default: Option<&'static str>,
}

/// A text that is not one of an enum's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    type_name: &'static str,
    value: String,
}

impl UnknownValue {
    /// The error for `value`, which is not a value of the enum `type_name`.
    pub fn new(type_name: &'static str, value: &str) -> Self {
        Self { type_name, value: value.to_owned() }
    }

    /// The text that was not recognised.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a value of {}", self.value, self.type_name)
    }
}

impl std::error::Error for UnknownValue {}

/// Writes an answer for `Display`: `401 Unauthorized: M_FORBIDDEN: Invalid password`.
pub(crate) fn write_answer(
    f: &mut fmt::Formatter<'_>,
    status: ::http::StatusCode,
    errcode: Option<&str>,
    message: Option<&str>,
) -> fmt::Result {
    write!(f, "{status}")?;
    if let Some(errcode) = errcode {
        write!(f, ": {errcode}")?;
    }
    if let Some(message) = message {
        write!(f, ": {message}")?;
    }
    Ok(())
}

/// Prints `<redacted>` in place of a secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Prints a map of extra keys with the values of [`crate::SECRET_FIELDS`] keys redacted, at
/// any depth of nested JSON.
pub struct RedactedMap<'a, V>(pub &'a BTreeMap<String, V>);

impl<V: serde::Serialize> fmt::Debug for RedactedMap<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            if is_secret(key) {
                map.entry(key, &Redacted);
            } else {
                match serde_json::to_value(value) {
                    Ok(json) => map.entry(key, &RedactedJson(&json)),
                    Err(_) => map.entry(key, &Redacted),
                };
            }
        }
        map.finish()
    }
}

fn is_secret(key: &str) -> bool {
    crate::SECRET_FIELDS.contains(&key)
}

struct RedactedJson<'a>(&'a serde_json::Value);

impl fmt::Debug for RedactedJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            serde_json::Value::Object(object) => {
                let mut map = f.debug_map();
                for (key, value) in object {
                    if is_secret(key) {
                        map.entry(key, &Redacted);
                    } else {
                        map.entry(key, &RedactedJson(value));
                    }
                }
                map.finish()
            }
            serde_json::Value::Array(items) => f.debug_list().entries(items.iter().map(RedactedJson)).finish(),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

/// Serde for an optional field that may also be `null` (`Option<Option<T>>`): absent is `None`,
/// `null` is `Some(None)`, so that a value read and written again keeps its `null`.
// A crate whose spec has no nullable optional field does not use it.
#[allow(dead_code)]
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Present (`null` or a value) is `Some`; absence is the field's `default`.
    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }

    /// Writes the inner option; `None` is skipped by the field's `skip_serializing_if`.
    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}
