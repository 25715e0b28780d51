//! What the benchmarks share: the recorded register exchange, the two servers that answer it
//! (the generated router with a minimal [`Server`], and a hand-written axum handler doing the same
//! work), and the helpers that send one request through a router in-process.
//!
//! See `bench/README.md` for what is measured and how to run it.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http_body_util::BodyExt;
use matrix_registration::endpoints::register;
use matrix_registration::server::{HandlerError, RequestContext, Server};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

/// The path and query both servers are sent: the query is read by both (`kind`).
pub const REGISTER_URI: &str = "/_matrix/client/v3/register?kind=user";

/// The body of the second register call of the recorded Synapse exchange (the `m.login.dummy`
/// stage completed).
pub const REGISTER_REQUEST: &str = r#"{"auth":{"type":"m.login.dummy","session":"oJLnEcWLqmkELwXAtQqNDWxW"},"username":"alice","password":"pw-123456"}"#;

/// Synapse's 200 answer to [`REGISTER_REQUEST`], as recorded.
pub const REGISTER_RESPONSE: &str = r#"{"user_id":"@alice:localhost","home_server":"localhost","access_token":"syt_YWxpY2U_EuWOVSGeveAJaRpanfvI_4VJjEr","device_id":"CQITXWIPSD"}"#;

/// Synapse's 401 answer to a wrong password during UIAA, as recorded.
pub const UIAA_RESPONSE: &str = r#"{"session":"DjxyqjGYtIdxOrNhAtgtbvsv","flows":[{"stages":["m.login.password"]}],"params":{},"completed":[],"error":"Invalid username or password","errcode":"M_FORBIDDEN"}"#;

const USER_ID: &str = "@alice:localhost";
const ACCESS_TOKEN: &str = "syt_YWxpY2U_EuWOVSGeveAJaRpanfvI_4VJjEr";
const DEVICE_ID: &str = "CQITXWIPSD";
const HOME_SERVER: &str = "localhost";

/// The register request as a server receives it, with the headers a client sends.
///
/// # Errors
/// Never in practice: every part is a valid constant.
pub fn register_request() -> Result<axum::extract::Request, http::Error> {
    http::Request::builder()
        .method(http::Method::POST)
        .uri(REGISTER_URI)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::CONTENT_LENGTH, REGISTER_REQUEST.len())
        .body(Body::from(Bytes::from_static(REGISTER_REQUEST.as_bytes())))
}

/// The generated side: a [`Server`] that answers every registration with the same 200.
#[derive(Clone, Copy, Debug, Default)]
pub struct MinimalServer;

impl Server for MinimalServer {
    type Identity = ();

    async fn authenticate(&self, _token: &str) -> Result<Option<()>, HandlerError> {
        Ok(None)
    }

    async fn register(
        &self,
        request: register::Request,
        context: RequestContext,
    ) -> Result<register::Response, HandlerError> {
        // The parsed request is "used", as the hand-written handler uses its own.
        std::hint::black_box((&request, &context));
        let mut body = register::ResponseBody::new();
        body.user_id = Some(USER_ID.to_owned());
        body.access_token = Some(ACCESS_TOKEN.to_owned());
        body.home_server = Some(HOME_SERVER.to_owned());
        body.device_id = Some(DEVICE_ID.to_owned());
        Ok(register::Response::Ok(body))
    }
}

/// The generated router serving [`MinimalServer`].
pub fn generated_router() -> Router {
    matrix_registration::server::router(MinimalServer)
}

/// The hand-written side: the same shapes as the generated types, with plain serde derives.
pub mod hand_written {
    use super::{ACCESS_TOKEN, BTreeMap, DEVICE_ID, Deserialize, HOME_SERVER, Router, Serialize, USER_ID};
    use axum::Json;
    use axum::extract::Query;
    use axum::routing::post;

    /// `AuthData`: `type`, `session` and every other key.
    #[derive(Debug, Deserialize)]
    pub struct AuthData {
        /// The stage.
        #[serde(rename = "type")]
        pub kind: String,
        /// The UIAA session.
        #[serde(default)]
        pub session: Option<String>,
        /// Every other key.
        #[serde(flatten)]
        pub extra: BTreeMap<String, serde_json::Value>,
    }

    /// Every field of the generated `register::RequestBody`.
    #[derive(Debug, Deserialize)]
    pub struct RegisterBody {
        /// UIAA data.
        #[serde(default)]
        pub auth: Option<AuthData>,
        /// Bind the email.
        #[serde(default)]
        pub bind_email: Option<bool>,
        /// The localpart.
        #[serde(default)]
        pub username: Option<String>,
        /// The password.
        #[serde(default)]
        pub password: Option<String>,
    }

    /// The `kind` query parameter.
    #[derive(Clone, Copy, Debug, Default, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Kind {
        /// A guest.
        Guest,
        /// A user.
        #[default]
        User,
    }

    /// The query string.
    #[derive(Debug, Deserialize)]
    pub struct RegisterQuery {
        /// The kind of account.
        #[serde(default)]
        pub kind: Kind,
    }

    /// The 200 body, with the fields in the generated `register::ResponseBody`'s order.
    #[derive(Debug, Serialize)]
    pub struct Registered {
        /// The user id.
        pub user_id: String,
        /// The access token.
        pub access_token: String,
        /// The server name.
        pub home_server: String,
        /// The device id.
        pub device_id: String,
    }

    async fn register(Query(query): Query<RegisterQuery>, Json(body): Json<RegisterBody>) -> Json<Registered> {
        std::hint::black_box((&query, &body));
        Json(Registered {
            user_id: USER_ID.to_owned(),
            access_token: ACCESS_TOKEN.to_owned(),
            home_server: HOME_SERVER.to_owned(),
            device_id: DEVICE_ID.to_owned(),
        })
    }

    /// The CORS headers the generated router sends by default (what the spec recommends for
    /// web clients), on every answer; an `OPTIONS` preflight is answered 200 `{}`. A
    /// hand-written server that web clients can use does this work too.
    async fn cors(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
        use axum::response::IntoResponse;
        use http::HeaderValue;
        let mut response = if request.method() == http::Method::OPTIONS {
            Json(serde_json::json!({})).into_response()
        } else {
            next.run(request).await
        };
        let headers = response.headers_mut();
        headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            http::header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
        );
        headers.insert(
            http::header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("X-Requested-With, Content-Type, Authorization"),
        );
        response
    }

    /// The handler under both prefixes the generated router serves, with its CORS headers.
    pub fn router() -> Router {
        Router::new()
            .route("/_matrix/client/r0/register", post(register))
            .route("/_matrix/client/v3/register", post(register))
            .layer(axum::middleware::from_fn(cors))
    }
}

/// An answer as it leaves the router: status, headers and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: http::StatusCode,
    /// The headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Bytes,
}

/// Sends [`register_request`] through `router` and reads the whole answer.
///
/// # Errors
/// When the request cannot be built or the body cannot be read.
pub async fn answer(router: Router) -> anyhow::Result<Answer> {
    let response = router.oneshot(register_request()?).await?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await?.to_bytes();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    Ok(Answer {
        status: parts.status,
        headers,
        body,
    })
}

/// Checks that both routers answer [`register_request`] with the same bytes, the recorded
/// answer's fields and status 200; returns that answer.
///
/// # Errors
/// When the answers differ or are not the expected 200.
pub async fn check_identical() -> anyhow::Result<Answer> {
    let generated = answer(generated_router()).await?;
    let hand_written = answer(hand_written::router()).await?;
    anyhow::ensure!(
        generated == hand_written,
        "the answers differ:\ngenerated:    {generated:?}\nhand-written: {hand_written:?}"
    );
    anyhow::ensure!(generated.status == http::StatusCode::OK, "not a 200: {generated:?}");
    let ours: serde_json::Value = serde_json::from_slice(&generated.body)?;
    let synapse: serde_json::Value = serde_json::from_str(REGISTER_RESPONSE)?;
    anyhow::ensure!(ours == synapse, "not the recorded answer: {ours} against {synapse}");
    Ok(generated)
}
