//! The reqwest side of the generated client: the base URL and path variables, the access
//! token, sending any [`Endpoint`], rate-limit retries and the User-Interactive Authentication
//! loop. The generated `client` module adds one method per operation.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use super::http::{DecodeError, IntoHttpError};
use super::{AccessToken, Endpoint};

/// The most stages an interactive call completes before giving up, unless told otherwise.
pub const DEFAULT_STAGE_LIMIT: usize = 8;
/// How long [`Client::new`] waits for a connection to the server.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Client::new`] waits for a whole request, from sending it to its last byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one homeserver.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    access_token: Option<String>,
    variables: Vec<(String, String)>,
    rate_limit: RateLimitRetry,
    stage_limit: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("access_token", &self.access_token.as_ref().map(|_| super::Redacted))
            .field("variables", &self.variables)
            .field("rate_limit", &self.rate_limit)
            .field("stage_limit", &self.stage_limit)
            .finish_non_exhaustive()
    }
}

/// Whether a 429 with `retry_after_ms` is retried, and how far. Off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimitRetry {
    /// How many times a request is sent again after a 429 (0: never).
    pub max_retries: u32,
    /// The most time spent waiting over all the retries of one request.
    pub max_total_wait: Duration,
}

impl RateLimitRetry {
    /// Retries up to `max_retries` times, waiting at most `max_total_wait` in all.
    #[must_use]
    pub fn new(max_retries: u32, max_total_wait: Duration) -> Self {
        Self { max_retries, max_total_wait }
    }
}

/// Why a call did not produce an answer: the transport, or an answer that could not be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The base URL or a path variable is missing or wrong.
    Url(String),
    /// The request could not be written as HTTP.
    Build(IntoHttpError),
    /// Connecting, sending or receiving failed.
    Transport(reqwest::Error),
    /// The answer's body does not fit its status.
    Decode(DecodeError),
    /// An interactive call went through more stages than its limit.
    StageLimit(usize),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(why) => write!(f, "invalid server URL: {why}"),
            Self::Build(error) => error.fmt(f),
            Self::Transport(error) => write!(f, "HTTP transport failed: {error}"),
            Self::Decode(error) => error.fmt(f),
            Self::StageLimit(limit) => write!(f, "interactive authentication took more than {limit} stages"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport(error) => Some(error),
            Self::Build(error) => Some(error),
            Self::Decode(error) => Some(error),
            Self::Url(_) | Self::StageLimit(_) => None,
        }
    }
}

impl Client {
    /// A client of the homeserver at `base_url` (`https://matrix.example.org`), with every
    /// path variable at its default value and the default timeouts
    /// ([`DEFAULT_CONNECT_TIMEOUT`], [`DEFAULT_REQUEST_TIMEOUT`]). HTTPS needs the `rustls`
    /// feature (on by default).
    pub fn new(base_url: impl Into<String>) -> Self {
        Self::with_timeouts(base_url, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT)
    }

    /// A client giving up on a connection after `connect` and on a request after `request`
    /// (a timeout is a [`ClientError::Transport`] whose error `is_timeout()`).
    pub fn with_timeouts(base_url: impl Into<String>, connect: Duration, request: Duration) -> Self {
        let http = reqwest::Client::builder().connect_timeout(connect).timeout(request).build();
        // Building fails only when the TLS backend cannot start; the default client would too.
        Self::with_http_client(http.unwrap_or_default(), base_url)
    }

    /// A client sending through `http` (to set timeouts, TLS or a proxy).
    pub fn with_http_client(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            access_token: None,
            variables: Vec::new(),
            rate_limit: RateLimitRetry::default(),
            stage_limit: DEFAULT_STAGE_LIMIT,
        }
    }

    /// This client with an access token, sent with every operation that takes one unless the
    /// request carries its own.
    #[must_use]
    pub fn with_access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// Sets or clears the access token.
    pub fn set_access_token(&mut self, token: Option<String>) {
        self.access_token = token;
    }

    /// The access token, if any.
    pub fn access_token(&self) -> Option<&str> {
        self.access_token.as_deref()
    }

    /// This client with a value for a path variable of [`crate::BASE_PATH`]
    /// (`with_variable("CLIENT_MAJOR_VERSION", "r0")`).
    #[must_use]
    pub fn with_variable(mut self, name: &str, value: impl Into<String>) -> Self {
        self.variables.retain(|(n, _)| n != name);
        self.variables.push((name.to_owned(), value.into()));
        self
    }

    /// This client retrying rate-limited requests.
    #[must_use]
    pub fn with_rate_limit_retry(mut self, retry: RateLimitRetry) -> Self {
        self.rate_limit = retry;
        self
    }

    /// This client giving up interactive calls after `limit` stages.
    #[must_use]
    pub fn with_stage_limit(mut self, limit: usize) -> Self {
        self.stage_limit = limit;
        self
    }

    /// The URL every path goes under: the base URL and the base path, variables filled.
    ///
    /// # Errors
    /// When a variable has neither a value given nor a default.
    pub fn prefix(&self) -> Result<String, ClientError> {
        let mut path = crate::BASE_PATH.to_owned();
        for variable in crate::VARIABLES {
            let given = self.variables.iter().find(|(n, _)| n == variable.name).map(|(_, v)| v.as_str());
            let value = given.or(variable.default).ok_or_else(|| {
                ClientError::Url(format!("no value for {{{}}}: set one with Client::with_variable", variable.name))
            })?;
            path = path.replace(&format!("{{{}}}", variable.name), value);
        }
        Ok(format!("{}{path}", self.base_url))
    }

    /// Sends any operation's request and reads its answer, retrying rate limits as configured.
    ///
    /// # Errors
    /// Transport failures and answers that cannot be read; an error status is an answer.
    pub async fn send<E: Endpoint>(&self, request: &E) -> Result<E::Response, ClientError> {
        let mut retries = 0;
        let mut waited = Duration::ZERO;
        loop {
            let response = self.send_once(request).await?;
            if response.status() == http::StatusCode::TOO_MANY_REQUESTS && retries < self.rate_limit.max_retries {
                let wait = retry_after(&response);
                if waited + wait <= self.rate_limit.max_total_wait {
                    retries += 1;
                    waited += wait;
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return E::from_http_response(response).map_err(ClientError::Decode);
        }
    }

    async fn send_once<E: Endpoint>(&self, request: &E) -> Result<http::Response<Bytes>, ClientError> {
        let mut http_request = request.to_http(&self.prefix()?).map_err(ClientError::Build)?;
        let wants_token = E::METADATA.access_token != AccessToken::None;
        if let Some(token) = self.access_token.as_deref().filter(|_| wants_token) {
            let headers = http_request.headers_mut();
            if !headers.contains_key(http::header::AUTHORIZATION) {
                let value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| ClientError::Url("the access token is not a valid header value".into()))?;
                headers.insert(http::header::AUTHORIZATION, value);
            }
        }
        let outgoing = reqwest::Request::try_from(http_request).map_err(|e| ClientError::Url(e.to_string()))?;
        let response = self.http.execute(outgoing).await.map_err(ClientError::Transport)?;
        let mut answer = http::Response::builder().status(response.status());
        if let Some(headers) = answer.headers_mut() {
            headers.extend(response.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let body = response.bytes().await.map_err(ClientError::Transport)?;
        answer.body(body).map_err(|e| ClientError::Url(e.to_string()))
    }

    /// The User-Interactive Authentication loop: sends `request`; while the answer is the UIAA
    /// state (`state` finds it), awaits `next` for the next stage (it is given a copy of the
    /// state, so it may wait on a person), which `set_auth` puts in the request with the
    /// session, and sends again. Ends with the first answer that is not the UIAA state, or the
    /// one `next` gives up on (`None`).
    // Only specs with interactive operations call this.
    #[allow(dead_code)]
    pub(crate) async fn interactive<E, S, A, F>(
        &self,
        mut request: E,
        uiaa: Interactive<E, S, A>,
        mut next: impl FnMut(S) -> F,
    ) -> Result<E::Response, ClientError>
    where
        E: Endpoint,
        S: Clone,
        F: std::future::Future<Output = Option<A>>,
    {
        let mut stages = 0;
        loop {
            let response = self.send(&request).await?;
            let Some(state) = (uiaa.state)(&response) else { return Ok(response) };
            let session = (uiaa.session)(state).map(str::to_owned);
            let Some(auth) = next(state.clone()).await else { return Ok(response) };
            stages += 1;
            if stages > self.stage_limit {
                return Err(ClientError::StageLimit(self.stage_limit));
            }
            (uiaa.set_auth)(&mut request, auth, session);
        }
    }
}

/// How an operation does User-Interactive Authentication (generated per operation).
// Only specs with interactive operations build this.
#[allow(dead_code)]
pub(crate) struct Interactive<E: Endpoint, S, A> {
    /// The UIAA state in an answer, if it is one.
    pub state: fn(&E::Response) -> Option<&S>,
    /// The session in the state.
    pub session: fn(&S) -> Option<&str>,
    /// Puts the next stage, with the session, into the request.
    pub set_auth: fn(&mut E, A, Option<String>),
}

/// How long a 429 asks to wait: `retry_after_ms` in the body, else `Retry-After` in seconds,
/// else one second.
fn retry_after(response: &http::Response<Bytes>) -> Duration {
    let from_body = serde_json::from_slice::<serde_json::Value>(response.body())
        .ok()
        .and_then(|body| body.get("retry_after_ms")?.as_u64())
        .map(Duration::from_millis);
    let from_header = || {
        let value = response.headers().get(http::header::RETRY_AFTER)?.to_str().ok()?;
        value.trim().parse::<u64>().ok().map(Duration::from_secs)
    };
    from_body.or_else(from_header).unwrap_or(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_the_body_then_the_header() {
        let response = |body: &'static str, header: Option<&str>| {
            let mut builder = http::Response::builder().status(429);
            if let Some(header) = header {
                builder = builder.header("retry-after", header);
            }
            builder.body(Bytes::from_static(body.as_bytes())).unwrap()
        };
        assert_eq!(retry_after(&response(r#"{"retry_after_ms": 250}"#, Some("9"))), Duration::from_millis(250));
        assert_eq!(retry_after(&response("{}", Some("2"))), Duration::from_secs(2));
        assert_eq!(retry_after(&response("not json", None)), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let client = Client::with_timeouts(url, Duration::from_secs(1), Duration::from_millis(200));
        let started = std::time::Instant::now();
        let error = client.http.get(&client.base_url).send().await.unwrap_err();
        assert!(error.is_timeout(), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(listener);
    }

    /// `Client::new("https://...")` speaks TLS with the default features: the server sees a
    /// TLS handshake (a ClientHello record), not plain HTTP or a refused URL.
    #[cfg(feature = "rustls")]
    #[tokio::test]
    async fn https_urls_speak_tls_by_default() {
        use std::io::Read as _;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut first = [0u8; 3];
            stream.read_exact(&mut first).unwrap();
            first
        });
        let client = Client::with_timeouts(url, Duration::from_secs(5), Duration::from_secs(2));
        let _ = client.http.get(&client.base_url).send().await;
        let first = server.join().unwrap();
        assert_eq!(first[0], 0x16, "a TLS handshake record, not {first:?}");
        assert_eq!(first[1], 0x03, "TLS 1.x");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let client = Client::new("http://localhost:8008/").with_access_token("syt_secret");
        let text = format!("{client:?}");
        assert!(!text.contains("syt_secret"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
    }
}
