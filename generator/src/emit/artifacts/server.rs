//! Emits `server.rs`: the `Server` trait (one async method per operation, each with a default
//! that answers `M_UNRECOGNIZED`) and the axum router that reads requests, applies the Matrix
//! conventions, calls the trait and writes responses.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::tokens::{doc_attrs, doc1, ident, inner_doc_attrs};
use crate::model::{Api, Auth, Operation};

/// `src/server.rs` (compiled with the `server` feature).
pub(in crate::emit) fn module(api: &Api) -> TokenStream {
    let has_auth = api.operations.iter().any(|op| op.auth != Auth::None);
    let checked = if has_auth {
        "checked with [`Server::authenticate`]"
    } else {
        "checked"
    };
    let doc = inner_doc_attrs(&[
        "The server side: implement [`Server`], then serve [`router`] with axum.".to_owned(),
        String::new(),
        "Everything between the wire and your method is done here: the body is read under a".to_owned(),
        "limit (413 `M_TOO_LARGE`), parsed (400 `M_NOT_JSON`, `M_BAD_JSON` naming the field,".to_owned(),
        "`M_INVALID_PARAM`, `M_MISSING_PARAM`), the access token taken from `Authorization: Bearer`".to_owned(),
        format!("or `?access_token=` and {checked} (401 `M_MISSING_TOKEN`,"),
        "`M_UNKNOWN_TOKEN`); unknown paths answer 404 and wrong methods 405 `M_UNRECOGNIZED`; a".to_owned(),
        "method that fails or panics answers 500 `M_UNKNOWN` and the cause is logged, never sent.".to_owned(),
        String::new(),
        "A method returns a Matrix error of its own with `?` ([`crate::Error`]: its code and status),".to_owned(),
        "and sees its request's [`RequestContext`]: the client's address, the headers, and the".to_owned(),
        "extensions your layers set. Every answer carries the CORS headers of [`ServerOptions::cors`]".to_owned(),
        "and every `OPTIONS` preflight is answered, so that web clients work (on by default).".to_owned(),
    ]);
    let trait_def = server_trait(api, has_auth);
    let router = router(api);
    let handlers = handlers(api);
    let identity = identity_helpers(api);
    quote! {
        #doc
        use std::future::Future;
        use std::sync::Arc;

        pub use crate::runtime::server::{Cors, HandlerError, RequestContext, ServerOptions};

        #trait_def
        #router
        #handlers
        #identity
    }
}

fn server_trait(api: &Api, has_auth: bool) -> TokenStream {
    let auth = has_auth.then(|| {
        quote! {
            /// Who an access token belongs to (your user and device, say); the methods of
            /// operations with an access token receive it.
            type Identity: Send + Sync + 'static;

            /// Finds who `token` belongs to; `None` answers 401 `M_UNKNOWN_TOKEN`. Called
            /// before every operation that was sent a token. Compare tokens in constant time.
            fn authenticate(&self, token: &str) -> impl Future<Output = Result<Option<Self::Identity>, HandlerError>> + Send;
        }
    });
    let methods = api.operations.iter().map(trait_method);
    quote! {
        /// One async method per operation. Each has a default that answers 404
        /// `M_UNRECOGNIZED`, so a server implements what it supports and still compiles when
        /// a spec bump adds operations.
        pub trait Server: Send + Sync + 'static {
            #auth
            #(#methods)*
        }
    }
}

fn trait_method(op: &Operation) -> TokenStream {
    let name = ident(&op.name);
    let module = ident(&op.name);
    let mut lines = crate::emit::tokens::operation_doc(op);
    lines.extend([String::new(), format!("See [`crate::endpoints::{}`].", op.name)]);
    let doc = doc_attrs(&lines);
    let identity = match op.auth {
        Auth::None => quote! {},
        Auth::Optional => quote! { , identity: Option<Self::Identity> },
        Auth::Required => quote! { , identity: Self::Identity },
    };
    let discard = match op.auth {
        Auth::None => quote! { let _ = (request, context); },
        Auth::Optional | Auth::Required => quote! { let _ = (request, identity, context); },
    };
    quote! {
        #doc
        fn #name(&self, request: crate::endpoints::#module::Request #identity, context: RequestContext)
            -> impl Future<Output = Result<crate::endpoints::#module::Response, HandlerError>> + Send {
            #discard
            async { Ok(crate::endpoints::#module::Response::unrecognized()) }
        }
    }
}

fn router(api: &Api) -> TokenStream {
    // Operations sharing a path share one route, with a method each.
    let mut by_path: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in &api.operations {
        by_path.entry(op.path.as_str()).or_default().push(op);
    }
    let routes = by_path.iter().map(|(path, ops)| {
        let methods = same_route(ops).into_iter().map(|ops| {
            let method = format_ident!("{}", ops[0].method.to_ascii_lowercase());
            let handler = handler_name(&ops);
            quote! { .#method(#handler::<S>) }
        });
        quote! {
            router = router.route(
                &crate::runtime::server::route(&prefix, #path),
                axum::routing::MethodRouter::new() #(#methods)* .fallback(crate::runtime::server::method_not_allowed),
            );
        }
    });
    quote! {
        /// The state every handler shares.
        struct State<S> {
            server: S,
            options: ServerOptions,
        }

        /// The API as an axum router, under every value of the base path's variables, with the
        /// default [`ServerOptions`]. Add layers (tracing, timeouts) with `Router::layer`.
        pub fn router<S: Server>(server: S) -> axum::Router {
            router_with(server, ServerOptions::default())
        }

        /// [`router`] with options.
        pub fn router_with<S: Server>(server: S, options: ServerOptions) -> axum::Router {
            let cors = options.cors.clone();
            let state = Arc::new(State { server, options });
            let mut router = axum::Router::new();
            for prefix in crate::runtime::server::prefixes() {
                #(#routes)*
            }
            let router = router.fallback(crate::runtime::server::unrecognized).with_state(state);
            crate::runtime::server::with_cors(router, cors)
        }
    }
}

/// The operations of one path grouped by method. The Matrix spec has methods and paths
/// that two operations share, told apart by their bodies (`POST /rooms/{roomId}/invite`: a
/// user, or a third-party identifier): they are one route.
fn same_route<'a>(ops: &[&'a Operation]) -> Vec<Vec<&'a Operation>> {
    let mut by_method: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in ops {
        by_method.entry(op.method.as_str()).or_default().push(op);
    }
    by_method.into_values().map(in_trial_order).collect()
}

/// Operations sharing a route in the order they are tried: what the spec has not deprecated
/// first, then what reads more inputs.
fn in_trial_order(mut ops: Vec<&Operation>) -> Vec<&Operation> {
    ops.sort_by_key(|op| (op.lifecycle.deprecated, std::cmp::Reverse(op.params.len())));
    ops
}

fn handler_name(ops: &[&Operation]) -> proc_macro2::Ident {
    let names: Vec<&str> = ops.iter().map(|op| crate::naming::unraw(&op.name)).collect();
    format_ident!("handle_{}", names.join("_or_"))
}

/// Every route's handler, in the order of the operations: one per operation, and one for
/// operations sharing a route, where the first of them comes.
fn handlers(api: &Api) -> TokenStream {
    let mut done: Vec<&str> = Vec::new();
    let mut handlers = Vec::new();
    for op in &api.operations {
        if done.contains(&op.name.as_str()) {
            continue;
        }
        let shared: Vec<&Operation> = api
            .operations
            .iter()
            .filter(|o| o.method == op.method && o.path == op.path)
            .collect();
        done.extend(shared.iter().map(|o| o.name.as_str()));
        handlers.push(handler(&in_trial_order(shared)));
    }
    quote! { #(#handlers)* }
}

/// The handler of a route: its operation's, or for operations sharing a method and path, the
/// first whose request reads is called (when none reads, the last one's error answers).
fn handler(ops: &[&Operation]) -> TokenStream {
    let handler = handler_name(ops);
    let Some((last, first)) = ops.split_last() else {
        return quote! {};
    };
    let tries = first.iter().map(|op| {
        let name = ident(&op.name);
        let call = call(op);
        quote! {
            if let Ok(request) = crate::endpoints::#name::Request::try_from_http(&incoming) {
                let context = crate::runtime::server::context(incoming);
                let response = #call.await?;
                return Ok(response.into_http());
            }
        }
    });
    let last_name = ident(&last.name);
    let last_call = call(last);
    let doc = doc1(&if first.is_empty() {
        format!("Serves `{} {}`.", last.method, last.path)
    } else {
        format!(
            "Serves `{} {}`, which several operations share: the first whose request reads.",
            last.method, last.path
        )
    });
    let limit = body_limit(last);
    quote! {
        #doc
        async fn #handler<S: Server>(
            axum::extract::State(state): axum::extract::State<Arc<State<S>>>,
            request: axum::extract::Request,
        ) -> axum::response::Response {
            let limit = state.options.#limit;
            crate::runtime::server::handle(request, limit, |incoming| async move {
                #(#tries)*
                let request = crate::endpoints::#last_name::Request::try_from_http(&incoming)?;
                let context = crate::runtime::server::context(incoming);
                let response = #last_call.await?;
                Ok(response.into_http())
            })
            .await
        }
    }
}

/// The limit of an operation's body: uploads have their own.
fn body_limit(op: &Operation) -> TokenStream {
    if op.body.as_ref().is_some_and(crate::model::Body::is_raw) {
        quote! { upload_limit }
    } else {
        quote! { body_limit }
    }
}

/// The call of an operation's method on a read `request`, its identity checked first.
fn call(op: &Operation) -> TokenStream {
    let name = ident(&op.name);
    match op.auth {
        Auth::None => quote! { state.server.#name(request, context) },
        Auth::Optional => quote! {{
            let identity = optional_identity(&state.server, request.access_token.as_deref()).await?;
            state.server.#name(request, identity, context)
        }},
        Auth::Required => quote! {{
            let identity = required_identity(&state.server, request.access_token.as_deref()).await?;
            state.server.#name(request, identity, context)
        }},
    }
}

/// The helpers that check tokens, each only if an operation needs it.
fn identity_helpers(api: &Api) -> TokenStream {
    let required = api.operations.iter().any(|op| op.auth == Auth::Required).then(|| {
        quote! {
        /// The identity behind a required token: 401 `M_MISSING_TOKEN` without one,
        /// `M_UNKNOWN_TOKEN` for one the server does not know.
        async fn required_identity<S: Server>(server: &S, token: Option<&str>) -> Result<S::Identity, crate::runtime::server::Failure> {
            let token = token.ok_or_else(crate::RequestError::missing_token)?;
            server.authenticate(token).await?.ok_or_else(|| crate::RequestError::unknown_token().into())
        }
        }
    });
    let optional = api.operations.iter().any(|op| op.auth == Auth::Optional).then(|| {
        quote! {
        /// The identity behind an optional token: `None` without one, 401 `M_UNKNOWN_TOKEN`
        /// for one the server does not know.
        async fn optional_identity<S: Server>(server: &S, token: Option<&str>) -> Result<Option<S::Identity>, crate::runtime::server::Failure> {
            match token {
                None => Ok(None),
                Some(token) => server.authenticate(token).await?.map(Some).ok_or_else(|| crate::RequestError::unknown_token().into()),
            }
        }
        }
    });
    quote! { #required #optional }
}
