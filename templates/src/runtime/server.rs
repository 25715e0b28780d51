//! The axum side of the generated server: reading the body under a limit, turning every
//! failure into a Matrix error response, catching panics, the fallbacks for unknown paths
//! and methods, CORS for web clients, and the context of each request. The generated `server`
//! module routes each operation through [`handle`].

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderValue;
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
    /// The CORS headers of every answer, and the answer to every preflight (`OPTIONS`);
    /// `None` sends no CORS header and answers `OPTIONS` with 405. Default: [`Cors::default`].
    pub cors: Option<Cors>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { body_limit: 64 * 1024, upload_limit: 100 * 1024 * 1024, cors: Some(Cors::default()) }
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

    /// These options with other CORS headers, or none (`None`).
    #[must_use]
    pub fn cors(mut self, cors: Option<Cors>) -> Self {
        self.cors = cors;
        self
    }
}

/// The CORS headers the router sends, so that web clients (Element Web, any page built on
/// matrix-js-sdk) can call the API from another origin. The default is what the
/// Client-Server API's "Web browser clients" section recommends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cors {
    /// `Access-Control-Allow-Origin` (default `*`).
    pub allow_origin: HeaderValue,
    /// `Access-Control-Allow-Methods` (default `GET, POST, PUT, DELETE, OPTIONS`).
    pub allow_methods: HeaderValue,
    /// `Access-Control-Allow-Headers` (default `X-Requested-With, Content-Type, Authorization`).
    pub allow_headers: HeaderValue,
}

impl Default for Cors {
    fn default() -> Self {
        Self {
            allow_origin: HeaderValue::from_static("*"),
            allow_methods: HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
            allow_headers: HeaderValue::from_static("X-Requested-With, Content-Type, Authorization"),
        }
    }
}

impl Cors {
    /// These headers allowing only `origin` (`https://app.example.org`).
    #[must_use]
    pub fn allow_origin(mut self, origin: HeaderValue) -> Self {
        self.allow_origin = origin;
        self
    }

    fn apply(&self, headers: &mut http::HeaderMap) {
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin.clone());
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_METHODS, self.allow_methods.clone());
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, self.allow_headers.clone());
        if self.allow_origin != "*" {
            headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
        }
    }
}

/// `router` with CORS: every `OPTIONS` request (any path, any version, no token) is a
/// preflight answered 200 `{}`, as Synapse does, and every answer, errors included, carries
/// the headers. Unchanged when `cors` is `None`.
pub(crate) fn with_cors(router: axum::Router, cors: Option<Cors>) -> axum::Router {
    let Some(cors) = cors else { return router };
    router.layer(axum::middleware::from_fn_with_state(Arc::new(cors), cors_layer))
}

async fn cors_layer(
    axum::extract::State(cors): axum::extract::State<Arc<Cors>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = if request.method() == http::Method::OPTIONS {
        super::http::json_response(http::StatusCode::OK, &serde_json::json!({})).map(axum::body::Body::from)
    } else {
        next.run(request).await
    };
    cors.apply(response.headers_mut());
    response
}

/// What a server method knows of its request beyond the parsed operation: the client's
/// address, the headers, and the `http` extensions that your own layers set (an appservice
/// registration, a request id). `Debug` shows header names only, never their values.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RequestContext {
    remote_addr: Option<SocketAddr>,
    method: http::Method,
    path: String,
    headers: http::HeaderMap,
    extensions: http::Extensions,
}

impl RequestContext {
    /// An empty context (no address, no headers), for calling a server method directly.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The context of a request: its method, path, headers and extensions, and the client's
    /// address that axum records when served with
    /// `into_make_service_with_connect_info::<SocketAddr>()`.
    #[must_use]
    pub fn from_parts(parts: http::request::Parts) -> Self {
        let remote_addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        Self {
            remote_addr,
            method: parts.method,
            path: parts.uri.path().to_owned(),
            headers: parts.headers,
            extensions: parts.extensions,
        }
    }

    /// This context with a client address.
    #[must_use]
    pub fn with_remote_addr(mut self, address: SocketAddr) -> Self {
        self.remote_addr = Some(address);
        self
    }

    /// This context with a header.
    #[must_use]
    pub fn with_header(mut self, name: http::HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// This context with an extension, as a layer would set it.
    #[must_use]
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// The client's address (the TCP peer), if the server was told it.
    #[must_use]
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &http::Method {
        &self.method
    }

    /// The path, without the query (which may hold `access_token`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Every header of the request, `Authorization` included.
    #[must_use]
    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    /// The `User-Agent` header, if it is text.
    #[must_use]
    pub fn user_agent(&self) -> Option<&str> {
        self.headers.get(http::header::USER_AGENT)?.to_str().ok()
    }

    /// Every extension of the request.
    #[must_use]
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// The extension of type `T`, if a layer set one.
    #[must_use]
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get::<T>()
    }
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(http::HeaderName::as_str).collect();
        f.debug_struct("RequestContext")
            .field("remote_addr", &self.remote_addr)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("header_names", &names)
            .finish_non_exhaustive()
    }
}

/// The context of `request`, whose body the operation has read.
pub(crate) fn context(request: http::Request<Bytes>) -> RequestContext {
    RequestContext::from_parts(request.into_parts().0)
}

/// A failure of a server method. A Matrix error ([`crate::Error`], returned with `?`) is
/// answered as it is, with its status; any other error (a database error, say) is unexpected:
/// the client gets 500 `M_UNKNOWN` and nothing of the cause, and the cause is logged.
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

    /// The Matrix error this failure answers with, if it is one (else it is unexpected).
    #[must_use]
    pub fn matrix_error(&self) -> Option<&crate::Error> {
        self.0.downcast_ref::<crate::Error>()
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
            Ok(Err(Failure::Handler(error))) => match error.matrix_error() {
                Some(matrix) => {
                    tracing::debug!(errcode = %matrix.code(), status = matrix.status().as_u16(), "matrix error");
                    matrix.clone().into_http()
                }
                None => {
                    tracing::error!(%error, "server method failed");
                    RequestError::internal().into_http()
                }
            },
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
