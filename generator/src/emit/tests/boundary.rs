//! Emits `tests/server_boundary.rs`: the generated router, with a server that implements
//! nothing, answers every kind of bad request with the Matrix error and status the spec's
//! conventions call for, and lets good requests through to the server's methods.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::round_trip;
use crate::emit::tokens::{doc1, ident};
use crate::model::{Api, Auth, Operation, ParamLocation, TypeKind, TypeRef};

/// `tests/server_boundary.rs` (compiled with the `server` feature).
pub(in crate::emit) fn tests(api: &Api) -> TokenStream {
    let krate = ident(&api.package.replace('-', "_"));
    let prefix = super::samples::prefix(api);
    let has_auth = api.operations.iter().any(|op| op.auth != Auth::None);
    let server = trivial_server(&krate, has_auth);
    let tests = api.operations.iter().map(|op| operation_tests(api, op, &krate));
    let queries = api
        .operations
        .iter()
        .any(|op| op.params_in(ParamLocation::Query).any(|p| refuses_text(api, &p.ty)));
    let with_query = queries.then(with_query);
    quote! {
        //! The generated router answers bad requests with Matrix errors before any server
        //! method runs, and lets good ones through.
        #![cfg(feature = "server")]
        #![allow(clippy::unreadable_literal)]

        use tower::ServiceExt;

        /// Where the sample requests are sent: the base path with its variables filled.
        const PREFIX: &str = #prefix;

        #server

        /// A value of a generated type from JSON.
        #[track_caller]
        fn sample<T: serde::de::DeserializeOwned>(json: &str) -> T {
            serde_json::from_str(json).unwrap_or_else(|e| panic!("the sample does not fit its type: {e}: {json}"))
        }

        /// Sends a request through the router; the status and the JSON body of the answer.
        async fn send(request: http::Request<bytes::Bytes>) -> (http::StatusCode, serde_json::Value) {
            let router = #krate::server::router(Trivial);
            let response = router.oneshot(request.map(axum::body::Body::from)).await.expect("the router answers");
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body is read");
            (status, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
        }

        /// Asserts a Matrix error answer.
        #[track_caller]
        fn assert_error(answer: &(http::StatusCode, serde_json::Value), status: u16, errcode: &str) {
            assert_eq!(answer.0.as_u16(), status, "{answer:?}");
            assert_eq!(answer.1["errcode"], errcode, "{answer:?}");
            assert!(answer.1["error"].is_string(), "a Matrix error has a message: {answer:?}");
        }

        #with_query

        #[tokio::test]
        async fn an_unknown_path_is_unrecognized() {
            let request = http::Request::get(format!("{PREFIX}/no/such/endpoint")).body(bytes::Bytes::new()).expect("a request");
            assert_error(&send(request).await, 404, "M_UNRECOGNIZED");
        }

        #(#tests)*
    }
}

fn trivial_server(krate: &Ident, has_auth: bool) -> TokenStream {
    let auth = has_auth.then(|| {
        quote! {
            type Identity = ();

            async fn authenticate(&self, token: &str) -> Result<Option<()>, #krate::server::HandlerError> {
                match token {
                    "valid" => Ok(Some(())),
                    "fail" => Err(#krate::server::HandlerError::msg("the token store is down")),
                    "panic" => panic!("a server method panics"),
                    _ => Ok(None),
                }
            }
        }
    });
    quote! {
        /// A server that implements no operation: every method keeps its default. Its tokens:
        /// `valid` is known, `fail` makes the lookup fail, `panic` makes it panic.
        struct Trivial;

        impl #krate::server::Server for Trivial {
            #auth
        }
    }
}

fn operation_tests(api: &Api, op: &Operation, krate: &Ident) -> TokenStream {
    let name = crate::naming::unraw(&op.name).to_owned();
    let build = round_trip::sample_request(api, op, krate);
    let sample = format_ident!("{name}_request");
    let doc = doc1(&format!("A good `{} {}` request, as HTTP.", op.method, op.path));
    let sample_fn = quote! {
        #doc
        fn #sample() -> http::Request<bytes::Bytes> {
            #build
            request.try_into_http(PREFIX).expect("the request converts to HTTP")
        }
    };
    let test = Test { name, sample };
    let mut tests = vec![
        sample_fn,
        test.of(
            "reaches_the_default_method",
            quote! { assert_error(&send(request).await, 404, "M_UNRECOGNIZED"); },
        ),
        test.changing("with_a_wrong_method", wrong_method(api, op)),
    ];
    // An upload's limit (100 MiB by default) is too large to send in a test; JSON ones are not.
    if !op.body.as_ref().is_some_and(crate::model::Body::is_raw) {
        tests.push(test.of(
            "with_a_body_over_the_limit",
            quote! {
                let (mut parts, _) = request.into_parts();
                parts.headers.remove(http::header::CONTENT_LENGTH);
                let request = http::Request::from_parts(parts, bytes::Bytes::from(vec![b' '; 64 * 1024 + 1]));
                assert_error(&send(request).await, 413, "M_TOO_LARGE");
            },
        ));
    }
    tests.extend(body_tests(api, op, &test));
    tests.extend(query_tests(api, op, &test));
    tests.extend(token_tests(op, &test));
    quote! { #(#tests)* }
}

/// Writes the tests of one operation: each starts from its good sample request, `request`.
struct Test {
    name: String,
    sample: Ident,
}

impl Test {
    /// A test named `{operation}_{suffix}` running `body`.
    fn of(&self, suffix: &str, body: TokenStream) -> TokenStream {
        self.emit(suffix, quote! { let request = }, body)
    }

    /// The same, where `body` changes the request in place first.
    fn changing(&self, suffix: &str, body: TokenStream) -> TokenStream {
        self.emit(suffix, quote! { let mut request = }, body)
    }

    fn emit(&self, suffix: &str, binding: TokenStream, body: TokenStream) -> TokenStream {
        let test = format_ident!("{}_{suffix}", self.name);
        let sample = &self.sample;
        quote! {
            #[tokio::test]
            async fn #test() {
                #binding #sample();
                #body
            }
        }
    }
}

fn wrong_method(api: &Api, op: &Operation) -> TokenStream {
    let taken: Vec<&str> = api
        .operations
        .iter()
        .filter(|o| o.path == op.path)
        .map(|o| o.method.as_str())
        .collect();
    let method = ["DELETE", "PATCH", "PUT", "POST", "GET", "OPTIONS"]
        .into_iter()
        .find(|m| !taken.contains(m))
        .unwrap_or("TRACE");
    let method = format_ident!("{}", method);
    quote! {
        *request.method_mut() = http::Method::#method;
        assert_error(&send(request).await, 405, "M_UNRECOGNIZED");
    }
}

fn body_tests(api: &Api, op: &Operation, test: &Test) -> Vec<TokenStream> {
    let Some(body) = op.body.as_ref().filter(|b| !b.is_raw()) else {
        return Vec::new();
    };
    let mut tests = vec![test.changing(
        "with_a_body_that_is_not_json",
        quote! {
            *request.body_mut() = bytes::Bytes::from_static(b"{\"unfinished\":");
            assert_error(&send(request).await, 400, "M_NOT_JSON");
        },
    )];
    if body.object {
        tests.push(test.changing(
            "with_a_body_that_is_an_array",
            quote! {
                *request.body_mut() = bytes::Bytes::from_static(b"[\"an array\", \"is no object\"]");
                assert_error(&send(request).await, 400, "M_BAD_JSON");
            },
        ));
    }
    let required_field = match &body.ty {
        TypeRef::Named(id) => match &api.ty(*id).kind {
            TypeKind::Struct(s) => s.fields.iter().find(|f| f.presence == crate::model::Presence::Required),
            TypeKind::Enum(_) | TypeKind::Union(_) => None,
        },
        _ => None,
    };
    // Where another operation shares the method and path, a body missing this one's field may
    // be read as the other's, or answered with the other's error: no test can name the field.
    let shared = api
        .operations
        .iter()
        .any(|o| o.name != op.name && o.method == op.method && o.path == op.path);
    if let Some(field) = required_field.filter(|_| !shared) {
        let wire = &field.wire;
        tests.push(test.changing(
            "with_a_body_missing_a_required_field",
            quote! {
                *request.body_mut() = bytes::Bytes::from_static(b"{}");
                let answer = send(request).await;
                assert_error(&answer, 400, "M_BAD_JSON");
                let message = answer.1["error"].as_str().unwrap_or_default();
                assert!(message.contains(#wire), "the error names the field: {message}");
            },
        ));
    }
    tests
}

/// A query parameter whose type refuses some text (a number, a boolean, an enum) is sent
/// `not-a-value`.
fn query_tests(api: &Api, op: &Operation, test: &Test) -> Vec<TokenStream> {
    op.params_in(ParamLocation::Query)
        .filter(|p| refuses_text(api, &p.ty))
        .map(|p| {
            let wire = &p.wire;
            test.of(
                &format!("with_an_invalid_{}", crate::naming::unraw(&p.ident)),
                quote! {
                    let request = with_query(request, #wire, "not-a-value");
                    assert_error(&send(request).await, 400, "M_INVALID_PARAM");
                },
            )
        })
        .collect()
}

fn refuses_text(api: &Api, ty: &TypeRef) -> bool {
    match ty {
        TypeRef::Bool | TypeRef::I32 | TypeRef::I64 | TypeRef::F32 | TypeRef::F64 => true,
        TypeRef::Named(id) => matches!(api.ty(*id).kind, TypeKind::Enum(_)),
        TypeRef::Array(item) => refuses_text(api, item),
        _ => false,
    }
}

fn token_tests(op: &Operation, test: &Test) -> Vec<TokenStream> {
    let with_token = |token: &str| {
        let value = format!("Bearer {token}");
        quote! {
            request.headers_mut().insert(http::header::AUTHORIZATION, http::HeaderValue::from_static(#value));
        }
    };
    let mut tests = Vec::new();
    if op.auth == Auth::None {
        return tests;
    }
    for (suffix, token, status, errcode) in [
        ("with_an_unknown_token", "unknown", 401, "M_UNKNOWN_TOKEN"),
        ("when_the_token_lookup_fails", "fail", 500, "M_UNKNOWN"),
        ("when_the_token_lookup_panics", "panic", 500, "M_UNKNOWN"),
    ] {
        let set = with_token(token);
        let status = proc_macro2::Literal::u16_unsuffixed(status);
        tests.push(test.changing(
            suffix,
            quote! { #set assert_error(&send(request).await, #status, #errcode); },
        ));
    }
    if op.auth == Auth::Required {
        tests.push(test.changing(
            "without_a_token",
            quote! {
                request.headers_mut().remove(http::header::AUTHORIZATION);
                assert_error(&send(request).await, 401, "M_MISSING_TOKEN");
            },
        ));
    }
    tests
}

/// The test helper that replaces one query parameter.
fn with_query() -> TokenStream {
    quote! {
        /// The request with one query parameter set to `value`.
        fn with_query(mut request: http::Request<bytes::Bytes>, name: &str, value: &str) -> http::Request<bytes::Bytes> {
            let path = request.uri().path().to_owned();
            let mut query = form_urlencoded::Serializer::new(String::new());
            let old = request.uri().query().unwrap_or_default().to_owned();
            for (key, old_value) in form_urlencoded::parse(old.as_bytes()) {
                if key != name {
                    query.append_pair(&key, &old_value);
                }
            }
            query.append_pair(name, value);
            *request.uri_mut() = format!("{path}?{}", query.finish()).parse().expect("a valid URI");
            request
        }
    }
}
