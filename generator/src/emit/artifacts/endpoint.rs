//! Emits one module per operation: its metadata, its request type and its own types.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{default_expr, items};
use crate::emit::tokens::{
    default_fn, default_support, doc_attrs, doc1, docs, field_type, ident, inner_doc_attrs, rust_type,
};
use crate::model::{Api, Auth, Module, Operation, Param, ParamLocation, Presence, Status};

/// `endpoints/mod.rs`: the list of operation modules.
pub(in crate::emit) fn index(api: &Api) -> TokenStream {
    let mut lines = vec!["One module per operation: its request, its responses and its metadata.".to_owned()];
    let groups = groups(api);
    if groups.len() > 1 {
        lines.push(String::new());
        lines.push("Grouped as the spec tags them; every module is also in the list below, by name.".to_owned());
    }
    for (group, operations) in &groups {
        if groups.len() > 1 {
            lines.push(String::new());
            lines.push(format!("# {group}"));
        }
        lines.push(String::new());
        lines.push("| Module | Method | Path | Summary |".to_owned());
        lines.push("|---|---|---|---|".to_owned());
        lines.extend(operations.iter().copied().map(index_row));
    }
    let doc = inner_doc_attrs(&lines);
    let modules = api.operations.iter().map(|op| {
        let name = ident(&op.name);
        let doc = doc1(&format!("`{} {}`", op.method, op.path));
        quote! { #doc pub mod #name; }
    });
    quote! { #doc #(#modules)* }
}

/// The operations by the spec's first tag, groups and operations sorted by name; untagged
/// ones last, under "Other".
fn groups(api: &Api) -> Vec<(&str, Vec<&Operation>)> {
    let mut groups: BTreeMap<(bool, &str), Vec<&Operation>> = BTreeMap::new();
    for op in &api.operations {
        let key = op.group.as_deref().map_or((true, "Other"), |group| (false, group));
        groups.entry(key).or_default().push(op);
    }
    groups.into_iter().map(|((_, name), ops)| (name, ops)).collect()
}

/// One operation's row in the index: its module, method, path and summary.
fn index_row(op: &Operation) -> String {
    let summary = op
        .summary
        .as_deref()
        .map(|s| crate::docs::doc_lines(s).join(" "))
        .unwrap_or_default();
    let summary = summary.replace('|', "\\|");
    format!("| [`{}`] | `{}` | `{}` | {summary} |", op.name, op.method, op.path)
}

/// `endpoints/<operation>.rs`.
pub(in crate::emit) fn module(api: &Api, op: &Operation) -> TokenStream {
    let module = Module::Operation(op.name.clone());
    let title = format!("`{} {}`", op.method, op.path);
    let mut lines = vec![match &op.summary {
        Some(summary) => format!("{title}: {}", crate::docs::doc_lines(summary).join(" ")),
        None => title.clone(),
    }];
    let description = docs([op.description.as_deref()]);
    if !description.is_empty() {
        lines.push(String::new());
        lines.extend(description);
    }
    let notes = crate::emit::tokens::lifecycle_lines(&op.lifecycle);
    if !notes.is_empty() {
        lines.push(String::new());
        lines.extend(notes);
    }
    lines.extend([String::new(), ORDER.to_owned()]);
    let doc = inner_doc_attrs(&lines);
    let metadata = metadata(op);
    let conversions = super::http::conversions(api, op);
    let request = request(api, op, &module, &conversions.request);
    let response = response(api, op, &conversions.response);
    let endpoint = &conversions.endpoint;
    let types = items(api, &module);
    quote! { #doc #metadata #request #response #endpoint #types }
}

/// How every operation module is laid out, said once in each module's docs.
// Plain code, not links: rustdoc reads a module's docs together with the `pub mod` line's, in
// the parent's scope, where these names do not resolve.
const ORDER: &str = "In order: `METADATA`, `Request` and its one `impl`, `Response` and its one `impl`, \
the `Endpoint` that ties them, then the types only this operation uses.";

fn metadata(op: &Operation) -> TokenStream {
    let method = &op.method;
    let path = &op.path;
    let token = match op.auth {
        Auth::None => quote! { crate::AccessToken::None },
        Auth::Optional => quote! { crate::AccessToken::Optional },
        Auth::Required => quote! { crate::AccessToken::Required },
    };
    let statuses = op.responses.iter().filter_map(|r| match r.status {
        Status::Code(code) => Some(proc_macro2::Literal::u16_unsuffixed(code)),
        Status::Range(_) | Status::Default => None,
    });
    let added_in = match &op.lifecycle.added_in {
        Some(version) => quote! { Some(#version) },
        None => quote! { None },
    };
    let deprecated = op.lifecycle.deprecated;
    let doc = doc1(&format!(
        "How `{method} {path}` is sent: method, path and access token."
    ));
    quote! {
        #doc
        pub const METADATA: crate::Metadata = crate::Metadata {
            method: #method,
            path: #path,
            access_token: #token,
            statuses: &[#(#statuses),*],
            added_in: #added_in,
            deprecated: #deprecated,
        };
    }
}

fn request(api: &Api, op: &Operation, module: &Module, conversions: &TokenStream) -> TokenStream {
    let fields = op.params.iter().map(|p| param_field(api, p, module));
    let body = op.body.as_ref().map(|body| {
        let ty = rust_type(api, &body.ty, module);
        let ty = if body.required {
            ty
        } else {
            quote! { Option<#ty> }
        };
        let mut lines = docs([body.doc.as_deref()]);
        if lines.is_empty() {
            lines.push("The JSON body.".to_owned());
        }
        let doc = doc_attrs(&lines);
        quote! { #doc pub body: #ty, }
    });
    let token = (op.auth != Auth::None).then(|| {
        let doc = doc_attrs(&[
            "The access token, sent as `Authorization: Bearer`.".to_owned(),
            String::new(),
            match op.auth {
                Auth::Required => "The server requires one; `None` lets a client send its own.",
                _ => "Optional: the server may answer differently without one; `None` lets a client send its own.",
            }
            .to_owned(),
        ]);
        quote! { #doc pub access_token: Option<String>, }
    });
    let has_default =
        op.params.iter().all(|p| p.presence != Presence::Required) && op.body.as_ref().is_none_or(|b| !b.required);
    let spec_defaults = op.params.iter().any(|p| matches!(p.presence, Presence::Default(_)));
    let (default, default_impl) = default_support(&ident("Request"), has_default, spec_defaults);
    let secret = op.params.iter().any(|p| p.secret) || token.is_some();
    let debug = (!secret).then(|| quote! { Debug, });
    let doc = doc1(&format!("Every input of `{} {}`.", op.method, op.path));
    let constructor = constructor(api, op, module);
    let debug_impl = secret.then(|| debug_impl(op));
    let defaults = param_defaults(api, op, module);
    quote! {
        #doc
        #[derive(Clone, #debug #default PartialEq)]
        #[non_exhaustive]
        pub struct Request {
            #(#fields)*
            #token
            #body
        }
        impl Request {
            #constructor
            #conversions
        }
        #default_impl
        #debug_impl
        #defaults
    }
}

fn param_field(api: &Api, p: &Param, module: &Module) -> TokenStream {
    let place = match p.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
    };
    let mut lines = crate::emit::tokens::docs_with_lifecycle(p.doc.as_deref(), &p.lifecycle);
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("Sent as the {place} parameter `{}`.", p.wire));
    let doc = doc_attrs(&lines);
    let name = ident(&p.ident);
    let ty = field_type(api, &p.ty, &p.presence, false, module);
    quote! { #doc pub #name: #ty, }
}

fn constructor(api: &Api, op: &Operation, module: &Module) -> TokenStream {
    let required: Vec<&Param> = op.params.iter().filter(|p| p.presence == Presence::Required).collect();
    let mut args: Vec<TokenStream> = required
        .iter()
        .map(|p| {
            let name = ident(&p.ident);
            let ty = rust_type(api, &p.ty, module);
            quote! { #name: #ty }
        })
        .collect();
    let mut inits: Vec<TokenStream> = op
        .params
        .iter()
        .map(|p| {
            let name = ident(&p.ident);
            match &p.presence {
                Presence::Required => quote! { #name },
                Presence::Optional => quote! { #name: None },
                Presence::Default(_) => {
                    let default = default_fn("Request", &p.ident, false);
                    quote! { #name: #default() }
                }
            }
        })
        .collect();
    if op.auth != Auth::None {
        inits.push(quote! { access_token: None });
    }
    if let Some(body) = &op.body {
        if body.required {
            let ty = rust_type(api, &body.ty, module);
            args.push(quote! { body: #ty });
            inits.push(quote! { body });
        } else {
            inits.push(quote! { body: None });
        }
    }
    let allow = (args.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
    quote! {
        /// Creates a request from its required inputs; the others start absent or at their default.
        #[must_use]
        #allow
        pub fn new(#(#args),*) -> Self {
            Self { #(#inits),* }
        }
    }
}

fn debug_impl(op: &Operation) -> TokenStream {
    let fields = op
        .params
        .iter()
        .map(|p| crate::emit::tokens::debug_field(&p.ident, p.secret, &p.presence));
    let token = (op.auth != Auth::None)
        .then(|| quote! { .field("access_token", &self.access_token.as_ref().map(|_| crate::Redacted)) });
    let body = op.body.as_ref().map(|_| quote! { .field("body", &self.body) });
    quote! {
        impl std::fmt::Debug for Request {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Request") #(#fields)* #token #body .finish()
            }
        }
    }
}

fn param_defaults(api: &Api, op: &Operation, module: &Module) -> TokenStream {
    let fns = op.params.iter().filter_map(|p| {
        let Presence::Default(value) = &p.presence else {
            return None;
        };
        let ty = rust_type(api, &p.ty, module);
        let default = default_fn("Request", &p.ident, false);
        let value = default_expr(api, value, module);
        let doc = doc1(&format!("The default of the parameter `{}`.", p.wire));
        Some(quote! {
            #doc
            fn #default() -> #ty { #value }
        })
    });
    quote! { #(#fns)* }
}

/// The response enum: one variant per documented status, plus `Error` (a Matrix error with
/// any status) and `Unexpected` (anything else a server may send).
fn response(api: &Api, op: &Operation, conversions: &TokenStream) -> TokenStream {
    let module = Module::Operation(op.name.clone());
    let error = rust_type(api, &crate::model::TypeRef::Named(api.error), &module);
    let variants = op.responses.iter().map(|r| {
        let variant = ident(&r.variant);
        let heading = match r.status {
            Status::Code(code) => format!("Status `{code}`."),
            Status::Range(class) => format!("A `{class}XX` status."),
            Status::Default => "Any status the spec does not list.".to_owned(),
        };
        let mut lines = vec![heading];
        let description = docs([Some(r.doc.as_str())]);
        if !description.is_empty() {
            lines.push(String::new());
            lines.extend(description);
        }
        let doc = doc_attrs(&lines);
        let body = r.ty.as_ref().map(|ty| rust_type(api, ty, &module));
        if !r.headers.is_empty() {
            let status = (!matches!(r.status, Status::Code(_))).then(|| quote! { status: http::StatusCode, });
            let body = body.map(|body| {
                quote! { /// The body.
                body: #body, }
            });
            let headers = r.headers.iter().map(|h| header_field(api, h, &module));
            return quote! { #doc #variant { #status #body #(#headers)* }, };
        }
        match (r.status, body) {
            (Status::Code(_), Some(body)) => quote! { #doc #variant(#body), },
            (Status::Code(_), None) => quote! { #doc #variant, },
            (_, Some(body)) => quote! { #doc #variant { status: http::StatusCode, body: #body }, },
            (_, None) => quote! { #doc #variant { status: http::StatusCode }, },
        }
    });
    let doc = doc1(&format!(
        "Every answer to `{} {}`: one variant per status the spec documents.",
        op.method, op.path
    ));
    let helpers = response_helpers(api, op, &error);
    let display = response_display(api, op);
    let into_result = into_result(api, op, &module);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        // An answer holds its body as it came: a `/sync` body is large, an error small, and
        // boxing the large ones would make every match on an answer dereference.
        #[allow(clippy::large_enum_variant)]
        pub enum Response {
            #(#variants)*
            /// A Matrix error with its status: a status the spec does not document, or a
            /// documented one whose body is a Matrix error rather than its documented type (a
            /// 401 `M_UNKNOWN_TOKEN` where the spec documents the UIAA body, say).
            Error {
                /// The HTTP status.
                status: http::StatusCode,
                /// The error.
                error: #error,
            },
            /// A status the spec does not document, with a body that is not a Matrix error.
            Unexpected {
                /// The HTTP status.
                status: http::StatusCode,
                /// The raw body.
                body: bytes::Bytes,
            },
        }
        impl Response {
            #helpers
            #into_result
            #conversions
        }
        #display
    }
}

/// A documented response header as a field of its variant: `Option` unless always sent.
fn header_field(api: &Api, header: &crate::model::ResponseHeader, module: &Module) -> TokenStream {
    let mut lines = docs([header.doc.as_deref()]);
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("The `{}` header.", header.wire));
    let doc = doc_attrs(&lines);
    let name = ident(&header.ident);
    let ty = rust_type(api, &header.ty, module);
    let ty = if header.required {
        ty
    } else {
        quote! { Option<#ty> }
    };
    quote! { #doc #name: #ty, }
}

/// The pattern that binds a documented variant's body to `body`.
pub(in crate::emit) fn body_pattern(r: &crate::model::Response) -> TokenStream {
    let variant = ident(&r.variant);
    if matches!(r.status, Status::Code(_)) && r.headers.is_empty() {
        quote! { Self::#variant(body) }
    } else {
        quote! { Self::#variant { body, .. } }
    }
}

/// `Display` (the status, and the error code and message where the body has them) and
/// `Error`, so that an answer that is not a success can travel with `?`. Variants whose bodies
/// have the same type share one arm.
fn response_display(api: &Api, op: &Operation) -> TokenStream {
    let error_type = crate::model::TypeRef::Named(api.error);
    let documented = op
        .responses
        .iter()
        .filter_map(|r| Some((r.ty.as_ref()?, body_pattern(r))));
    let mut arms: Vec<(&crate::model::TypeRef, Vec<TokenStream>)> = Vec::new();
    for (ty, pattern) in documented.chain([(&error_type, quote! { Self::Error { error: body, .. } })]) {
        match arms.iter_mut().find(|(seen, _)| *seen == ty) {
            Some((_, patterns)) => patterns.push(pattern),
            None => arms.push((ty, vec![pattern])),
        }
    }
    let arms = arms.into_iter().filter_map(|(ty, patterns)| {
        let (errcode, message) = error_fields(api, ty, "body")?;
        Some(quote! { #(#patterns)|* => crate::runtime::write_answer(f, status, #errcode, #message), })
    });
    quote! {
        impl std::fmt::Display for Response {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let status = self.status();
                match self {
                    #(#arms)*
                    _ => crate::runtime::write_answer(f, status, None, None),
                }
            }
        }
        impl std::error::Error for Response {}
    }
}

/// Expressions for the `errcode` and `error` of the value bound to `binding` (each an
/// `Option<&str>`), if the model found them in its type.
fn error_fields(api: &Api, ty: &crate::model::TypeRef, binding: &str) -> Option<(TokenStream, TokenStream)> {
    let binding = ident(binding);
    let crate::model::TypeRef::Named(id) = ty else {
        return None;
    };
    let crate::model::TypeKind::Struct(s) = &api.ty(*id).kind else {
        return None;
    };
    let fields = s.matrix_error?;
    let access = |index: usize| {
        let field = &s.fields[index];
        let name = ident(&field.ident);
        match (field.presence == Presence::Required, &field.ty) {
            (true, _) => quote! { Some(#binding.#name.as_str()) },
            (false, crate::model::TypeRef::ErrorCode) => {
                quote! { #binding.#name.as_ref().map(crate::ErrorCode::as_str) }
            }
            (false, _) => quote! { #binding.#name.as_deref() },
        }
    };
    let message = fields.message.map_or_else(|| quote! { None }, access);
    Some((access(fields.errcode), message))
}

/// `into_result`: the success body as `Ok`, any other answer as `Err`, for callers using `?`.
fn into_result(api: &Api, op: &Operation, module: &Module) -> TokenStream {
    let successes: Vec<&crate::model::Response> = op
        .responses
        .iter()
        .filter(|r| matches!(r.status, Status::Code(200..=299)))
        .collect();
    let doc = doc1("The success answer as `Ok`, any other answer as `Err` (boxed: it is an `Error`), for `?`.");
    match successes.as_slice() {
        [only] if only.headers.is_empty() => {
            let variant = ident(&only.variant);
            let (ty, pattern, value) = match &only.ty {
                Some(ty) => (
                    rust_type(api, ty, module),
                    quote! { Self::#variant(body) },
                    quote! { body },
                ),
                None => (quote! { () }, quote! { Self::#variant }, quote! { () }),
            };
            quote! {
                #doc
                ///
                /// # Errors
                /// Every answer that is not the success.
                pub fn into_result(self) -> Result<#ty, Box<Self>> {
                    match self {
                        #pattern => Ok(#value),
                        other => Err(Box::new(other)),
                    }
                }
            }
        }
        _ => quote! {
            #doc
            ///
            /// # Errors
            /// Every answer whose status is not a success.
            pub fn into_result(self) -> Result<Self, Box<Self>> {
                if self.status().is_success() { Ok(self) } else { Err(Box::new(self)) }
            }
        },
    }
}

fn response_helpers(api: &Api, op: &Operation, error: &TokenStream) -> TokenStream {
    let statuses = op.responses.iter().map(|r| {
        let variant = ident(&r.variant);
        match (r.status, &r.ty) {
            (Status::Code(code), _) if !r.headers.is_empty() => {
                let code = proc_macro2::Literal::u16_unsuffixed(code);
                quote! { Self::#variant { .. } => crate::runtime::http::status_code(#code) }
            }
            (Status::Code(code), Some(_)) => {
                let code = proc_macro2::Literal::u16_unsuffixed(code);
                quote! { Self::#variant(_) => crate::runtime::http::status_code(#code) }
            }
            (Status::Code(code), None) => {
                let code = proc_macro2::Literal::u16_unsuffixed(code);
                quote! { Self::#variant => crate::runtime::http::status_code(#code) }
            }
            (_, _) => quote! { Self::#variant { status, .. } => *status },
        }
    });
    let message_field = error_message_field(api);
    // A status the spec documents with the error type gets its own variant, so that an error
    // built here reads back from HTTP as the same value.
    let error_variants: Vec<TokenStream> = op
        .responses
        .iter()
        .filter_map(|r| match (r.status, &r.ty) {
            (Status::Code(code), Some(crate::model::TypeRef::Named(id)))
                if *id == api.error && r.headers.is_empty() =>
            {
                let variant = ident(&r.variant);
                let code = proc_macro2::Literal::u16_unsuffixed(code);
                Some(quote! { #code => Self::#variant(error), })
            }
            _ => None,
        })
        .collect();
    let build = if error_variants.is_empty() {
        quote! { Self::Error { status, error } }
    } else {
        quote! {
            match status.as_u16() {
                #(#error_variants)*
                _ => Self::Error { status, error },
            }
        }
    };
    quote! {
            /// The HTTP status of this answer.
            #[must_use]
            pub fn status(&self) -> http::StatusCode {
                match self {
                    #(#statuses,)*
                    Self::Error { status, .. } | Self::Unexpected { status, .. } => *status,
                }
            }

            /// A Matrix error answer (`{"errcode": ..., "error": ...}`) with its status: the
            /// status's own variant where the spec documents it with the error type, else
            /// [`Response::Error`].
            #[must_use]
            pub fn error(status: http::StatusCode, errcode: impl Into<crate::ErrorCode>, message: &str) -> Self {
                let mut error = #error::new(errcode.into());
                error.#message_field = Some(message.to_owned());
                #build
            }

            /// 404 `M_UNRECOGNIZED`: what a server answers for an operation it does not implement.
            #[must_use]
            pub fn unrecognized() -> Self {
                Self::error(http::StatusCode::NOT_FOUND, "M_UNRECOGNIZED", "Unrecognized request")
            }
    }
}

/// The field of the Matrix error type that holds the message (`error`).
pub(in crate::emit) fn error_message_field(api: &Api) -> proc_macro2::Ident {
    let crate::model::TypeKind::Struct(s) = &api.ty(api.error).kind else {
        return ident("error");
    };
    let index = s.matrix_error.and_then(|fields| fields.message);
    ident(index.map_or("error", |index| s.fields[index].ident.as_str()))
}
