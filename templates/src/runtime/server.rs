//! The axum side of the generated server: reading the body under a limit, turning every
//! failure into a Matrix error response, catching panics, and the fallbacks for unknown paths
//! and methods. The generated `server` module routes each operation through [`handle`].

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;

use super::http::RequestError;

/// How the generated router treats requests.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerOptions {
    /// JSON bodies over this many bytes are answered with 413 `M_TOO_LARGE` (default 64 KiB).
    pub body_limit: usize,
    /// The same for bodies that are not JSON, such as media uploads (default 100 MiB).
    pub upload_limit: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { body_limit: 64 * 1024, upload_limit: 100 * 1024 * 1024 }
    }
}

impl ServerOptions {
    /// These options with another limit for JSON bodies.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// These options with another limit for uploads (bodies that are not JSON).
    #[must_use]
    pub fn upload_limit(mut self, bytes: usize) -> Self {
        self.upload_limit = bytes;
        self
    }
}

/// An unexpected failure of a server method (a database error, say). The client gets 500
/// `M_UNKNOWN` and nothing of the cause; the cause is logged.
pub struct HandlerError(Box<dyn std::error::Error + Send + Sync>);

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self(Box::new(error))
    }
}

impl HandlerError {
    /// A failure described by a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into().into())
    }
}

impl std::fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::fmt::Display for HandlerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// Why an operation did not produce a response of its own.
pub(crate) enum Failure {
    /// The request could not be read: the client's mistake.
    Request(RequestError),
    /// The server method failed.
    Handler(HandlerError),
}

impl From<RequestError> for Failure {
    fn from(error: RequestError) -> Self {
        Self::Request(error)
    }
}

impl From<HandlerError> for Failure {
    fn from(error: HandlerError) -> Self {
        Self::Handler(error)
    }
}

/// Runs one operation: reads the body under the limit, calls `operation` with the request,
/// and turns a failure or a panic into a Matrix error response.
pub(crate) async fn handle<F, Fut>(request: axum::extract::Request, limit: usize, operation: F) -> axum::response::Response
where
    F: FnOnce(http::Request<Bytes>) -> Fut,
    Fut: Future<Output = Result<http::Response<Bytes>, Failure>> + Send,
{
    let response = match read(request, limit).await {
        Ok(request) => match CatchUnwind(Box::pin(operation(request))).await {
            Ok(Ok(response)) => response,
            Ok(Err(Failure::Request(error))) => {
                tracing::debug!(errcode = error.errcode(), status = error.status().as_u16(), "bad request");
                error.into_http()
            }
            Ok(Err(Failure::Handler(error))) => {
                tracing::error!(%error, "server method failed");
                RequestError::internal().into_http()
            }
            Err(()) => {
                tracing::error!("server method panicked");
                RequestError::internal().into_http()
            }
        },
        Err(error) => error.into_http(),
    };
    response.map(axum::body::Body::from)
}

/// The request with its body read, or 413 when the body is over the limit.
async fn read(request: axum::extract::Request, limit: usize) -> Result<http::Request<Bytes>, RequestError> {
    let declared = request.headers().get(http::header::CONTENT_LENGTH);
    if declared.and_then(|v| v.to_str().ok()?.parse::<u64>().ok()).is_some_and(|n| n > limit as u64) {
        return Err(RequestError::too_large(limit));
    }
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => return Err(RequestError::too_large(limit)),
        Err(_) => return Err(RequestError::not_json("the body could not be read")),
    };
    Ok(http::Request::from_parts(parts, body))
}

/// 404 `M_UNRECOGNIZED`, for paths that are no operation's.
pub(crate) async fn unrecognized() -> axum::response::Response {
    RequestError::unrecognized().into_http().map(axum::body::Body::from)
}

/// 405 `M_UNRECOGNIZED`, for a known path with a method it does not take.
pub(crate) async fn method_not_allowed() -> axum::response::Response {
    RequestError::method_not_allowed().into_http().map(axum::body::Body::from)
}

/// The prefixes the API is mounted under: [`crate::BASE_PATH`] with every combination of its
/// variables' values; a variable without values matches any segment.
pub(crate) fn prefixes() -> Vec<String> {
    let mut prefixes = vec![crate::BASE_PATH.to_owned()];
    for (index, variable) in crate::VARIABLES.iter().enumerate() {
        let placeholder = format!("{{{}}}", variable.name);
        let values: Vec<String> = if variable.values.is_empty() {
            vec![format!("{{variable{index}}}")]
        } else {
            variable.values.iter().map(|v| (*v).to_owned()).collect()
        };
        let placeholder = placeholder.as_str();
        prefixes = prefixes
            .iter()
            .flat_map(|prefix| values.iter().map(move |value| prefix.replace(placeholder, value)))
            .collect();
    }
    prefixes
}

/// A route path for axum: path parameters renamed by position, so that two operations naming
/// the same segment differently (`{roomId}`, `{room_id}`) do not conflict.
pub(crate) fn route(prefix: &str, path: &str) -> String {
    let mut index = 0;
    let segments = path.split('/').map(|segment| {
        if segment.starts_with('{') && segment.ends_with('}') {
            index += 1;
            format!("{{p{index}}}")
        } else {
            segment.to_owned()
        }
    });
    format!("{prefix}{}", segments.collect::<Vec<_>>().join("/"))
}

/// A future that turns a panic into `Err(())`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_parameters_are_renamed_by_position() {
        assert_eq!(route("/_matrix/client/v3", "/rooms/{roomId}/send/{eventType}"), "/_matrix/client/v3/rooms/{p1}/send/{p2}");
        assert_eq!(route("/x", "/register"), "/x/register");
    }
}
