//! Sans-IO HTTP: reading and writing paths, query strings, headers, access tokens and JSON
//! bodies, and the Matrix errors a request that cannot be read is answered with. No framework:
//! only `http` types, so the server adapter and the client share it.

// Which of these helpers the generated code calls depends on the spec's operations (a spec
// without header parameters calls no header reader).
#![allow(dead_code)]

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use http::StatusCode;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but the characters RFC 3986 leaves unreserved is encoded in a path segment, so
/// `@alice:example.org` and values holding `/` travel intact.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// A request that could not be read, as the Matrix error the server answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    status: StatusCode,
    errcode: &'static str,
    message: String,
}

impl RequestError {
    fn new(status: StatusCode, errcode: &'static str, message: impl Into<String>) -> Self {
        Self { status, errcode, message: message.into() }
    }

    /// 400 `M_NOT_JSON`: the body is not JSON.
    pub fn not_json(message: impl fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "M_NOT_JSON", format!("Content not JSON: {message}"))
    }

    /// 400 `M_BAD_JSON`: JSON of the wrong shape.
    pub fn bad_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "M_BAD_JSON", message)
    }

    /// 400 `M_INVALID_PARAM`: a parameter with a value it cannot take.
    pub fn invalid_param(name: &str, message: impl fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "M_INVALID_PARAM", format!("invalid parameter `{name}`: {message}"))
    }

    /// 400 `M_MISSING_PARAM`: a required parameter is absent.
    pub fn missing_param(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "M_MISSING_PARAM", format!("missing parameter `{name}`"))
    }

    /// 401 `M_MISSING_TOKEN`: no access token where one is required.
    pub fn missing_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN", "Missing access token")
    }

    /// 401 `M_MISSING_TOKEN`: an `Authorization` header that is not `Bearer <token>`.
    pub fn malformed_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "M_MISSING_TOKEN", "Invalid Authorization header")
    }

    /// 401 `M_UNKNOWN_TOKEN`: an access token the server does not know.
    pub fn unknown_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "M_UNKNOWN_TOKEN", "Unrecognised access token")
    }

    /// 413 `M_TOO_LARGE`: a body over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "M_TOO_LARGE", format!("the body is over {limit} bytes"))
    }

    /// 404 `M_UNRECOGNIZED`: no such endpoint.
    pub fn unrecognized() -> Self {
        Self::new(StatusCode::NOT_FOUND, "M_UNRECOGNIZED", "Unrecognized request")
    }

    /// 405 `M_UNRECOGNIZED`: a known path with a method it does not take.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "M_UNRECOGNIZED", "Method not allowed")
    }

    /// 500 `M_UNKNOWN`: the server failed; the message says nothing of why.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "M_UNKNOWN", "Internal server error")
    }

    /// The status the server answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The Matrix error code.
    pub fn errcode(&self) -> &'static str {
        self.errcode
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The Matrix error response: `{"errcode": ..., "error": ...}`.
    pub fn into_http(self) -> http::Response<Bytes> {
        let body = serde_json::json!({ "errcode": self.errcode, "error": self.message });
        json_response(self.status, &body)
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.errcode, self.message)
    }
}

impl std::error::Error for RequestError {}

/// A value that cannot be sent as an HTTP request (a header value with a line break, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntoHttpError(String);

impl fmt::Display for IntoHttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot build the HTTP request: {}", self.0)
    }
}

impl std::error::Error for IntoHttpError {}

/// A response whose body does not fit its status: neither the documented type nor a Matrix error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    status: StatusCode,
    message: String,
    body: Bytes,
}

impl DecodeError {
    /// The status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The raw body of the response.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot decode the {} response: {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for DecodeError {}

/// The path parameters of a request, matched against a path template.
pub(crate) struct PathParams<'a> {
    values: Vec<(&'a str, std::borrow::Cow<'a, str>)>,
}

impl<'a> PathParams<'a> {
    /// Matches `path` against `template` (`/_matrix/client/{v}/profile/{userId}`); each `{name}`
    /// takes one percent-decoded segment. `None` when the path is not this template's.
    pub(crate) fn match_template(template: &'a str, path: &'a str) -> Option<Result<Self, RequestError>> {
        let mut values = Vec::new();
        let mut segments = path.split('/');
        for expected in template.split('/') {
            let segment = segments.next()?;
            match expected.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                // Only borrowed text and, where a segment has escapes, its decoded copy.
                Some(name) => match percent_decode_str(segment).decode_utf8() {
                    Ok(value) => values.push((name, value)),
                    Err(_) => return Some(Err(RequestError::invalid_param(name, "not UTF-8 once decoded"))),
                },
                None if expected == segment => {}
                None => return None,
            }
        }
        segments.next().is_none().then_some(Ok(Self { values }))
    }

    /// The value of a path parameter.
    pub(crate) fn get<T: FromStr<Err: fmt::Display>>(&self, name: &str) -> Result<T, RequestError> {
        let (_, value) = self.values.iter().find(|(n, _)| *n == name).ok_or_else(|| RequestError::missing_param(name))?;
        value.parse().map_err(|e| RequestError::invalid_param(name, e))
    }
}

/// The query string of a request, decoded.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a query string (`None` when the URI has none).
    pub(crate) fn parse(query: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        Self { pairs }
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// An optional scalar parameter.
    pub(crate) fn optional<T: FromStr<Err: fmt::Display>>(&self, name: &str) -> Result<Option<T>, RequestError> {
        self.first(name).map(|v| v.parse().map_err(|e| RequestError::invalid_param(name, e))).transpose()
    }

    /// A required scalar parameter.
    pub(crate) fn required<T: FromStr<Err: fmt::Display>>(&self, name: &str) -> Result<T, RequestError> {
        self.optional(name)?.ok_or_else(|| RequestError::missing_param(name))
    }

    /// An array parameter: repeated (`explode`) or comma-separated. `None` when absent.
    pub(crate) fn list<T: FromStr<Err: fmt::Display>>(&self, name: &str, explode: bool) -> Result<Option<Vec<T>>, RequestError> {
        let parse = |v: &str| v.parse().map_err(|e| RequestError::invalid_param(name, e));
        if explode {
            let values: Vec<&str> = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
            if values.is_empty() {
                return Ok(None);
            }
            return values.into_iter().map(parse).collect::<Result<_, _>>().map(Some);
        }
        match self.first(name) {
            None => Ok(None),
            Some("") => Ok(Some(Vec::new())),
            Some(joined) => joined.split(',').map(parse).collect::<Result<_, _>>().map(Some),
        }
    }

    /// A free-form object parameter (`style: form`, exploded): every pair whose name is none
    /// of the operation's other parameters (`known`). `None` when there is none.
    pub(crate) fn rest<T: FromStr<Err: fmt::Display>>(
        &self,
        known: &[&str],
    ) -> Result<Option<std::collections::BTreeMap<String, T>>, RequestError> {
        let mut rest = std::collections::BTreeMap::new();
        for (name, value) in self.pairs.iter().filter(|(n, _)| !known.contains(&n.as_str())) {
            let value = value.parse().map_err(|e| RequestError::invalid_param(name, e))?;
            rest.insert(name.clone(), value);
        }
        Ok((!rest.is_empty()).then_some(rest))
    }
}

/// An optional header parameter.
pub(crate) fn header<T: FromStr<Err: fmt::Display>>(headers: &http::HeaderMap, name: &str) -> Result<Option<T>, RequestError> {
    parse_header(headers, name).transpose().map_err(|why| RequestError::invalid_param(name, why))
}

/// A header's value as `T`, if it is there; the error says why it is not one.
fn parse_header<T: FromStr<Err: fmt::Display>>(headers: &http::HeaderMap, name: &str) -> Option<Result<T, String>> {
    let value = headers.get(name)?;
    Some(match value.to_str() {
        Ok(text) => text.parse().map_err(|e: T::Err| e.to_string()),
        Err(_) => Err("not visible ASCII".to_owned()),
    })
}

/// A required header parameter.
pub(crate) fn required_header<T: FromStr<Err: fmt::Display>>(headers: &http::HeaderMap, name: &str) -> Result<T, RequestError> {
    header(headers, name)?.ok_or_else(|| RequestError::missing_param(name))
}

/// The access token of a request: `Authorization: Bearer <token>`, else the `access_token`
/// query parameter.
pub(crate) fn access_token(request: &http::Request<Bytes>) -> Result<Option<String>, RequestError> {
    if let Some(value) = request.headers().get(http::header::AUTHORIZATION) {
        let text = value.to_str().map_err(|_| RequestError::malformed_token())?;
        let token = text.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty());
        return token.map(|t| Some(t.to_owned())).ok_or_else(RequestError::malformed_token);
    }
    Query::parse(request.uri().query()).optional("access_token")
}

/// A JSON body: not JSON is `M_NOT_JSON`, the wrong shape is `M_BAD_JSON` naming the field.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, RequestError> {
    // The good path is plain serde; only a failure is read again to name the field that failed.
    serde_json::from_slice(body).map_err(|_| json_error::<T>(body))
}

/// The Matrix error for a body that did not deserialize: `M_NOT_JSON` for bad syntax,
/// `M_BAD_JSON` naming the field for the wrong shape.
fn json_error<T: serde::de::DeserializeOwned>(body: &Bytes) -> RequestError {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => match deserializer.end() {
            Err(error) => return RequestError::not_json(error),
            Ok(()) => return RequestError::bad_json("the body does not fit the operation"),
        },
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data if path == "." => RequestError::bad_json(inner.to_string()),
        serde_json::error::Category::Data => RequestError::bad_json(format!("`{path}`: {inner}")),
        _ => RequestError::not_json(inner),
    }
}

/// A JSON body that must be an object: serde reads a struct from an array too (field by
/// field), which no Matrix server accepts.
pub(crate) fn json_object_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, RequestError> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => json_body(body),
        Some(_) => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => Err(RequestError::bad_json("the body must be a JSON object")),
            Err(error) => Err(RequestError::not_json(error)),
        },
    }
}

/// An optional JSON body that must be an object when present.
pub(crate) fn optional_json_object_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<Option<T>, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(None) } else { json_object_body(body).map(Some) }
}

/// An optional JSON body: an empty body is `None`.
pub(crate) fn optional_json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<Option<T>, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) { Ok(None) } else { json_body(body).map(Some) }
}

/// Builds the path and query of a request.
pub(crate) struct UriBuilder {
    uri: String,
    query: form_urlencoded::Serializer<'static, String>,
}

impl UriBuilder {
    /// Starts from `prefix`: the server's URL (or nothing) and the base path, variables filled.
    pub(crate) fn new(prefix: &str) -> Self {
        Self { uri: prefix.trim_end_matches('/').to_owned(), query: form_urlencoded::Serializer::new(String::new()) }
    }

    /// Appends literal path text.
    pub(crate) fn literal(&mut self, text: &str) {
        self.uri.push_str(text);
    }

    /// Appends a path parameter, percent-encoded.
    pub(crate) fn param(&mut self, value: &impl fmt::Display) {
        self.uri.extend(utf8_percent_encode(&value.to_string(), SEGMENT));
    }

    /// Adds a query parameter.
    pub(crate) fn query(&mut self, name: &str, value: &impl fmt::Display) {
        self.query.append_pair(name, &value.to_string());
    }

    /// Adds an array query parameter, repeated (`explode`) or comma-separated.
    pub(crate) fn query_list<T: fmt::Display>(&mut self, name: &str, values: &[T], explode: bool) {
        if explode {
            values.iter().for_each(|v| self.query(name, v));
        } else {
            let joined: Vec<String> = values.iter().map(ToString::to_string).collect();
            self.query.append_pair(name, &joined.join(","));
        }
    }

    /// The URI text.
    pub(crate) fn finish(mut self) -> String {
        let query = self.query.finish();
        if query.is_empty() { self.uri } else { format!("{}?{query}", self.uri) }
    }
}

/// Builds a request; `token` goes in `Authorization: Bearer`.
pub(crate) fn build_request(
    method: http::Method,
    uri: String,
    headers: Vec<(&'static str, String)>,
    token: Option<&str>,
    body: Option<RawBody>,
) -> Result<http::Request<Bytes>, IntoHttpError> {
    let mut builder = http::Request::builder().method(method).uri(uri);
    let typed = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(token) = token {
        builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            if !typed {
                builder = builder.header(http::header::CONTENT_TYPE, body.media);
            }
            body.bytes
        }
        None => Bytes::new(),
    };
    builder.body(body).map_err(|e| IntoHttpError(e.to_string()))
}

/// A request body as it travels: its bytes and their media type (sent as `Content-Type`
/// unless the request sets that header itself, as an upload does).
pub(crate) struct RawBody {
    bytes: Bytes,
    media: &'static str,
}

impl RawBody {
    /// Bytes of a media type.
    pub(crate) fn new(bytes: Bytes, media: &'static str) -> Self {
        Self { bytes, media }
    }
}

impl From<Vec<u8>> for RawBody {
    /// A JSON body.
    fn from(json: Vec<u8>) -> Self {
        Self { bytes: Bytes::from(json), media: "application/json" }
    }
}

/// An optional body that is not JSON: `None` when empty.
pub(crate) fn optional_raw_body(body: &Bytes) -> Option<Bytes> {
    (!body.is_empty()).then(|| body.clone())
}

/// Sets a documented response header, when it has a value that can travel in a header.
pub(crate) fn set_header(response: &mut http::Response<Bytes>, name: &'static str, value: Option<&impl fmt::Display>) {
    let Some(value) = value else { return };
    if let Ok(value) = http::HeaderValue::from_str(&value.to_string()) {
        response.headers_mut().insert(name, value);
    }
}

/// A documented response header, as its type; `None` when absent.
pub(crate) fn response_header<T: FromStr<Err: fmt::Display>>(
    headers: &http::HeaderMap,
    name: &str,
    status: StatusCode,
    body: &Bytes,
) -> Result<Option<T>, DecodeError> {
    parse_header(headers, name)
        .transpose()
        .map_err(|why| DecodeError { status, message: format!("the `{name}` header: {why}"), body: body.clone() })
}

/// A response header the spec says is always sent.
pub(crate) fn required_response_header<T: FromStr<Err: fmt::Display>>(
    headers: &http::HeaderMap,
    name: &str,
    status: StatusCode,
    body: &Bytes,
) -> Result<T, DecodeError> {
    response_header(headers, name, status, body)?.ok_or_else(|| DecodeError {
        status,
        message: format!("the `{name}` header is missing"),
        body: body.clone(),
    })
}

/// JSON text of a value, for a request body.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, IntoHttpError> {
    serde_json::to_vec(value).map_err(|e| IntoHttpError(e.to_string()))
}

/// A JSON response.
pub(crate) fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> http::Response<Bytes> {
    match serde_json::to_vec(body) {
        Ok(json) => {
            let mut response = http::Response::new(Bytes::from(json));
            *response.status_mut() = status;
            let json_type = http::HeaderValue::from_static("application/json");
            response.headers_mut().insert(http::header::CONTENT_TYPE, json_type);
            response
        }
        // Generated types always serialize; this keeps a bug from becoming a panic.
        Err(_) => RequestError::internal().into_http(),
    }
}

/// The status for a code the spec documents (always a valid one: the generator checks).
pub(crate) fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A response with a status and a raw body.
pub(crate) fn raw_response(status: StatusCode, body: Bytes) -> http::Response<Bytes> {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    response
}

/// Decodes a documented status: its type `T` (made the answer by `ok`), else a Matrix error
/// `E` (a 401 `M_UNKNOWN_TOKEN` where the spec documents the UIAA body; made the answer by
/// `error`), else a [`DecodeError`].
pub(crate) fn decode<T, E, R>(
    status: StatusCode,
    body: &Bytes,
    ok: impl FnOnce(T) -> R,
    error: impl FnOnce(E) -> R,
) -> Result<R, DecodeError>
where
    T: serde::de::DeserializeOwned,
    E: serde::de::DeserializeOwned,
{
    match serde_json::from_slice::<T>(body) {
        Ok(value) => Ok(ok(value)),
        Err(failure) => match serde_json::from_slice::<E>(body) {
            Ok(matrix_error) => Ok(error(matrix_error)),
            Err(_) => Err(DecodeError { status, message: failure.to_string(), body: body.clone() }),
        },
    }
}

/// Decodes an undocumented status: a Matrix error `E` if the body is one, else the raw body.
pub(crate) fn decode_undocumented<E: serde::de::DeserializeOwned>(body: &Bytes) -> Option<E> {
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_percent_encoded_and_decoded() {
        let mut uri = UriBuilder::new("/_matrix/client/v3");
        uri.literal("/profile/");
        uri.param(&"@alice:example.org/x y");
        uri.literal("/displayname");
        let text = uri.finish();
        assert_eq!(text, "/_matrix/client/v3/profile/%40alice%3Aexample.org%2Fx%20y/displayname");
        let params = PathParams::match_template("/_matrix/client/{v}/profile/{userId}/displayname", &text)
            .expect("the path matches")
            .expect("the values decode");
        assert_eq!(params.get::<String>("userId").unwrap(), "@alice:example.org/x y");
        assert!(PathParams::match_template("/_matrix/client/{v}/profile/{userId}", &text).is_none());
    }

    #[test]
    fn query_values_parse_or_name_the_parameter() {
        let query = Query::parse(Some("kind=bogus&limit=10&tag=a&tag=b&ids=x,y"));
        assert_eq!(query.required::<i64>("limit").unwrap(), 10);
        assert_eq!(query.list::<String>("tag", true).unwrap().unwrap(), ["a", "b"]);
        assert_eq!(query.list::<String>("ids", false).unwrap().unwrap(), ["x", "y"]);
        assert_eq!(query.required::<i64>("kind").unwrap_err().errcode(), "M_INVALID_PARAM");
        assert_eq!(query.required::<i64>("nope").unwrap_err().errcode(), "M_MISSING_PARAM");
    }

    #[test]
    fn bodies_that_are_not_json_or_of_the_wrong_shape_are_told_apart() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            password: String,
        }
        let not_json = json_body::<Body>(&Bytes::from_static(b"{\"password\":")).unwrap_err();
        assert_eq!(not_json.errcode(), "M_NOT_JSON");
        let missing = json_body::<Body>(&Bytes::from_static(b"{}")).unwrap_err();
        assert_eq!(missing.errcode(), "M_BAD_JSON");
        assert!(missing.message().contains("password"), "{missing}");
        let wrong = json_body::<Body>(&Bytes::from_static(b"{\"password\": 42}")).unwrap_err();
        assert!(wrong.message().contains("`password`"), "{wrong}");
        let trailing = json_body::<Body>(&Bytes::from_static(b"{\"password\": \"x\"} x")).unwrap_err();
        assert_eq!(trailing.errcode(), "M_NOT_JSON");
        let array = json_object_body::<Body>(&Bytes::from_static(b"[\"x\"]")).unwrap_err();
        assert_eq!(array.errcode(), "M_BAD_JSON", "serde alone would read the array as the struct");
        assert_eq!(json_object_body::<Body>(&Bytes::from_static(b"[\"x\"")).unwrap_err().errcode(), "M_NOT_JSON");
    }

    #[test]
    fn tokens_come_from_the_header_or_the_query() {
        let request = |uri: &str, auth: Option<&str>| {
            let mut builder = http::Request::builder().uri(uri);
            if let Some(auth) = auth {
                builder = builder.header("authorization", auth);
            }
            builder.body(Bytes::new()).unwrap()
        };
        assert_eq!(access_token(&request("/x", Some("Bearer abc"))).unwrap().as_deref(), Some("abc"));
        assert_eq!(access_token(&request("/x?access_token=q%2B", None)).unwrap().as_deref(), Some("q+"));
        assert_eq!(access_token(&request("/x", None)).unwrap(), None);
        assert_eq!(access_token(&request("/x", Some("Basic abc"))).unwrap_err().errcode(), "M_MISSING_TOKEN");
    }
}
