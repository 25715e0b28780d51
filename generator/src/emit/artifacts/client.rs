//! Emits `client.rs`: one async method per operation on the runtime's reqwest `Client`, and an
//! `_interactive` method for each operation driven by User-Interactive Authentication.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::tokens::{doc_attrs, external_type, ident, inner_doc_attrs};
use crate::model::{Api, Operation, TypeRef, Uiaa};
use crate::naming;

/// `src/client.rs` (compiled with the `client` feature).
pub(in crate::emit) fn module(api: &Api) -> TokenStream {
    let doc = inner_doc_attrs(&[
        "The client side: [`Client`] has one async method per operation, returning the".to_owned(),
        "operation's response enum; an error status is an answer, not an `Err`.".to_owned(),
        String::new(),
        "`Err` is for transport failures and answers that cannot be read ([`ClientError`]). Use".to_owned(),
        "`into_result` on an answer to get the success body or the answer as an error, for `?`.".to_owned(),
    ]);
    let methods = api.operations.iter().map(|op| method(api, op));
    quote! {
        #doc
        pub use crate::runtime::client::{
            Client, ClientError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_STAGE_LIMIT, RateLimitRetry,
        };

        impl Client {
            #(#methods)*
        }
    }
}

fn method(api: &Api, op: &Operation) -> TokenStream {
    let name = format_ident!("{}", naming::unraw(&naming::client_method(&op.name)));
    let module = ident(&op.name);
    let doc = doc_attrs(&crate::emit::tokens::operation_doc(op));
    let interactive = op.uiaa.as_ref().map(|uiaa| interactive(api, op, uiaa));
    quote! {
        #doc
        ///
        /// # Errors
        /// Transport failures and answers that cannot be read.
        pub async fn #name(&self, request: &crate::endpoints::#module::Request)
            -> Result<crate::endpoints::#module::Response, ClientError> {
            self.send(request).await
        }
        #interactive
    }
}

fn interactive(api: &Api, op: &Operation, uiaa: &Uiaa) -> TokenStream {
    let base = naming::client_method(&op.name);
    let name = format_ident!("{}_interactive", naming::unraw(&base));
    let module_ident = ident(&op.name);
    let root = quote! { crate };
    let state = external_type(api, &TypeRef::Named(uiaa.state), &root);
    let auth = external_type(api, &TypeRef::Named(uiaa.auth), &root);
    let variant = ident(&uiaa.variant);
    let state_session = ident(&uiaa.state_session);
    let auth_field = ident(&uiaa.auth_field);
    let auth_session = ident(&uiaa.auth_session);
    let doc = doc_attrs(&[
        format!("`{} {}` through User-Interactive Authentication.", op.method, op.path),
        String::new(),
        "Sends `request`; while the server answers with the authentication state (flows, params,".to_owned(),
        "completed stages, session, error), `next` returns the next stage to complete (the session".to_owned(),
        "is filled in) or `None` to give up, and the request is sent again. Returns the first".to_owned(),
        "answer that is not the authentication state, or the one `next` gave up on.".to_owned(),
        String::new(),
        "`next` is async, so a stage that waits on a person (an email link, a captcha, terms)".to_owned(),
        "awaits there: `|state| async move { ... }`.".to_owned(),
        String::new(),
        "# Errors".to_owned(),
        "Transport failures, unreadable answers, and more stages than the client's limit.".to_owned(),
    ]);
    quote! {
        #doc
        pub async fn #name<F>(
            &self,
            request: crate::endpoints::#module_ident::Request,
            next: impl FnMut(#state) -> F,
        ) -> Result<crate::endpoints::#module_ident::Response, ClientError>
        where
            F: std::future::Future<Output = Option<#auth>>,
        {
            let uiaa: crate::runtime::client::Interactive<crate::endpoints::#module_ident::Request, #state, #auth> =
                crate::runtime::client::Interactive {
                    state: |response| match response {
                        crate::endpoints::#module_ident::Response::#variant(state) => Some(state),
                        _ => None,
                    },
                    session: |state| state.#state_session.as_deref(),
                    set_auth: |request, mut auth, session| {
                        if auth.#auth_session.is_none() {
                            auth.#auth_session = session;
                        }
                        request.body.#auth_field = Some(auth);
                    },
                };
            self.interactive(request, uiaa, next).await
        }
    }
}
