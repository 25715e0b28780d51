//! Emits `tests/hostile_requests.rs`: property tests that throw arbitrary methods, paths,
//! query strings, headers and bodies at the generated router (with a server that never fails)
//! and check it never panics, never answers 500, and answers every 4xx with a Matrix error.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::emit::tokens::ident;
use crate::model::{Api, Auth, PathSegment};

/// `tests/hostile_requests.rs` (compiled with the `server` feature).
pub(in crate::emit) fn tests(api: &Api) -> TokenStream {
    let krate = ident(&api.package.replace('-', "_"));
    let paths = paths(api);
    let server = server(api, &krate);
    let runtime = runtime();
    let strategies = strategies();
    let property = property(&krate);
    quote! {
        //! Hostile requests: whatever the method, path, query, headers and body, the router
        //! answers without panicking, never with a 500 when the server itself never fails, and
        //! every 4xx carries a Matrix error (`errcode` and `error`).
        #![cfg(feature = "server")]

        use proptest::prelude::*;
        use tower::ServiceExt;

        #paths
        #server
        #runtime
        #strategies
        #property
    }
}

/// `PATHS`: the operations' paths under the API's prefix.
fn paths(api: &Api) -> TokenStream {
    let prefix = super::samples::prefix(api);
    let paths = api.operations.iter().map(|op| {
        let path: String = op
            .segments
            .iter()
            .map(|s| match s {
                PathSegment::Literal(text) => text.as_str(),
                PathSegment::Param(_) => "{}",
            })
            .collect();
        format!("{prefix}{path}")
    });
    quote! {
        /// The paths of the operations, `{}` standing for a path parameter.
        const PATHS: &[&str] = &[#(#paths),*];
    }
}

/// `Calm`: a server that implements nothing and never fails; it accepts the token `valid` if
/// any operation takes an access token.
fn server(api: &Api, krate: &Ident) -> TokenStream {
    let auth = api.operations.iter().any(|op| op.auth != Auth::None).then(|| {
        quote! {
            type Identity = ();
            async fn authenticate(&self, token: &str) -> Result<Option<()>, #krate::server::HandlerError> {
                Ok((token == "valid").then_some(()))
            }
        }
    });
    quote! {
        /// A server that implements nothing and never fails.
        struct Calm;

        impl #krate::server::Server for Calm {
            #auth
        }
    }
}

/// `runtime()`: one current-thread tokio runtime shared by every case.
fn runtime() -> TokenStream {
    quote! {
        fn runtime() -> &'static tokio::runtime::Runtime {
            static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
            RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime"))
        }
    }
}

/// The proptest strategies: `path()`, `method()`, `body()`, `headers()`.
fn strategies() -> TokenStream {
    quote! {
        /// A path: an operation's with its parameters filled with anything, or anything.
        fn path() -> impl Strategy<Value = String> {
            let known = (prop::sample::select(PATHS), "[a-zA-Z0-9%@:!$._~-]{0,12}")
                .prop_map(|(template, value)| template.replace("{}", &value));
            let noise = "(/[a-zA-Z0-9%._~@:-]{0,10}){0,6}".prop_map(|p| if p.is_empty() { "/".to_owned() } else { p });
            prop_oneof![3 => known, 1 => noise]
        }

        fn method() -> impl Strategy<Value = http::Method> {
            prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "BREW"])
                .prop_map(|m| http::Method::from_bytes(m.as_bytes()).expect("a method"))
        }

        fn body() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..256),
                "\\{(\"[a-z_]{1,8}\": ?(\"[a-z]{0,6}\"|[0-9]{1,3}|true|null|\\{\\}|\\[\\]), ?){0,5}\\}".prop_map(String::into_bytes),
                Just(b"{}".to_vec()),
                (0usize..3).prop_map(|n| vec![b' '; 64 * 1024 + n]),
            ]
        }

        fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
            let name = prop::sample::select(vec!["authorization", "content-type", "content-length", "x-request-id", "if-none-match", "accept"]);
            let value = prop_oneof![
                "Bearer [a-zA-Z0-9]{0,8}".boxed(),
                Just("Bearer valid".to_owned()).boxed(),
                "[ -~]{0,16}".boxed(),
                "[0-9]{1,6}".boxed(),
            ];
            prop::collection::vec((name.prop_map(str::to_owned), value), 0..4)
        }
    }
}

/// The property: any request gets an answer, never a 500, and every 4xx a Matrix error.
fn property(krate: &Ident) -> TokenStream {
    quote! {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn hostile_requests_get_matrix_errors_never_a_panic_or_a_500(
                method in method(),
                path in path(),
                query in "([a-z_]{1,8}=[a-zA-Z0-9%+]{0,8}&?){0,4}",
                headers in headers(),
                body in body(),
            ) {
                // A response to HEAD has no body, by HTTP's rules; only its status is checked.
                let head = method == http::Method::HEAD;
                let uri = if query.is_empty() { path } else { format!("{path}?{query}") };
                let Ok(uri) = uri.parse::<http::Uri>() else { return Ok(()) };
                let mut request = http::Request::builder().method(method).uri(uri);
                for (name, value) in &headers {
                    if let Ok(value) = http::HeaderValue::from_str(value) {
                        request = request.header(name.as_str(), value);
                    }
                }
                let Ok(request) = request.body(axum::body::Body::from(body)) else { return Ok(()) };
                let (status, json) = runtime().block_on(async {
                    let response = #krate::server::router(Calm).oneshot(request).await.expect("the router answers");
                    let status = response.status();
                    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body is read");
                    (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or(serde_json::Value::Null))
                });
                prop_assert_ne!(status.as_u16(), 500, "{}", json);
                if status.is_client_error() && !head {
                    let errcode = json["errcode"].as_str().unwrap_or_default();
                    prop_assert!(errcode.starts_with("M_"), "{} {}", status, json);
                    prop_assert!(json["error"].is_string(), "{} {}", status, json);
                }
            }
        }
    }
}
