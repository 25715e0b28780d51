//! Emits `tests/http_round_trip.rs`: for every operation, a request with every input filled
//! goes to `http::Request` and back unchanged, and every documented response (plus a Matrix
//! error and a raw body at an undocumented status) goes to `http::Response` and back unchanged.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::samples;
use crate::emit::tokens::ident;
use crate::model::{Api, Auth, Operation, Presence, Status};

/// `tests/http_round_trip.rs`.
pub(in crate::emit) fn tests(api: &Api) -> TokenStream {
    let krate = ident(&api.package.replace('-', "_"));
    let prefix = samples::prefix(api);
    let tests = api.operations.iter().map(|op| {
        let request = request_test(api, op, &krate);
        let responses = response_test(api, op, &krate);
        quote! { #request #responses }
    });
    quote! {
        //! Every operation's request, with every input filled, and every documented response
        //! survive the trip through `http` unchanged.
        #![allow(clippy::unreadable_literal)]

        /// Where the sample requests are sent: the base path with its variables filled.
        const PREFIX: &str = #prefix;

        /// A value of a generated type from JSON.
        #[track_caller]
        fn sample<T: serde::de::DeserializeOwned>(json: &str) -> T {
            serde_json::from_str(json).unwrap_or_else(|e| panic!("the sample does not fit its type: {e}: {json}"))
        }

        #(#tests)*
    }
}

/// The statements that build the sample request of `op` as `request` (shared with the
/// boundary tests).
pub(in crate::emit) fn sample_request(api: &Api, op: &Operation, krate: &proc_macro2::Ident) -> TokenStream {
    let module = ident(&op.name);
    let required = op.params.iter().filter(|p| p.presence == Presence::Required).map(|p| {
        let json = samples::param(api, p).to_string();
        quote! { sample(#json) }
    });
    let body_arg = op
        .body
        .as_ref()
        .filter(|b| b.required)
        .map(|b| samples::expr(api, &b.ty));
    let args = required.chain(body_arg);
    let optional = op.params.iter().filter(|p| p.presence != Presence::Required).map(|p| {
        let field = ident(&p.ident);
        let json = samples::param(api, p).to_string();
        match p.presence {
            Presence::Optional => quote! { request.#field = Some(sample(#json)); },
            _ => quote! { request.#field = sample(#json); },
        }
    });
    let optional_body = op.body.as_ref().filter(|b| !b.required).map(|b| {
        let value = samples::expr(api, &b.ty);
        quote! { request.body = Some(#value); }
    });
    let token = (op.auth != Auth::None).then(|| quote! { request.access_token = Some("valid".to_owned()); });
    let mutable =
        (op.params.iter().any(|p| p.presence != Presence::Required) || optional_body.is_some() || token.is_some())
            .then(|| quote! { mut });
    quote! {
        let #mutable request = #krate::endpoints::#module::Request::new(#(#args),*);
        #(#optional)*
        #optional_body
        #token
    }
}

fn request_test(api: &Api, op: &Operation, krate: &proc_macro2::Ident) -> TokenStream {
    let name = format_ident!("{}_request", crate::naming::unraw(&op.name));
    let module = ident(&op.name);
    let build = sample_request(api, op, krate);
    quote! {
        #[test]
        fn #name() {
            #build
            let http = request.try_into_http(PREFIX).expect("the request converts to HTTP");
            let back = #krate::endpoints::#module::Request::try_from_http(&http).expect("the request reads back");
            assert_eq!(back, request);
        }
    }
}

fn response_test(api: &Api, op: &Operation, krate: &proc_macro2::Ident) -> TokenStream {
    let name = format_ident!("{}_responses", crate::naming::unraw(&op.name));
    let module = ident(&op.name);
    let mut cases: Vec<TokenStream> = op
        .responses
        .iter()
        .map(|r| {
            let variant = ident(&r.variant);
            let body = r.ty.as_ref().map(|ty| samples::expr(api, ty));
            let status = (!matches!(r.status, Status::Code(_))).then(|| {
                let code = Literal::u16_unsuffixed(samples::status_for(op, r.status));
                quote! { http::StatusCode::from_u16(#code).expect("a valid status") }
            });
            if !r.headers.is_empty() {
                let status = status.map(|status| quote! { status: #status, });
                let body = body.map(|body| quote! { body: #body, });
                let headers = r.headers.iter().map(|h| {
                    let name = ident(&h.ident);
                    let value = samples::expr(api, &h.ty);
                    if h.required {
                        quote! { #name: #value, }
                    } else {
                        quote! { #name: Some(#value), }
                    }
                });
                return quote! { Response::#variant { #status #body #(#headers)* } };
            }
            match (status, body) {
                (None, Some(body)) => quote! { Response::#variant(#body) },
                (None, None) => quote! { Response::#variant },
                (Some(status), Some(body)) => quote! { Response::#variant { status: #status, body: #body } },
                (Some(status), None) => quote! { Response::#variant { status: #status } },
            }
        })
        .collect();
    if let Some(code) = samples::undocumented_status(op) {
        let code = Literal::u16_unsuffixed(code);
        let status = quote! { http::StatusCode::from_u16(#code).expect("a valid status") };
        cases.push(quote! { Response::error(#status, "M_UNKNOWN", "a sample error") });
        cases.push(quote! { Response::Unexpected { status: #status, body: bytes::Bytes::from_static(b"<html>not JSON</html>") } });
    }
    quote! {
        #[test]
        fn #name() {
            use #krate::endpoints::#module::Response;
            for response in [#(#cases),*] {
                let http = response.clone().into_http();
                assert_eq!(http.status(), response.status());
                let back = Response::try_from_http(http).expect("the response reads back");
                assert_eq!(back, response);
            }
        }
    }
}
