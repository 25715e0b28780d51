//! Emits one module per operation: its metadata, its request type and its own types.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{default_expr, items};
use super::{default_fn, default_support, doc_attrs, doc1, docs, field_type, ident, inner_doc_attrs, rust_type};
use crate::model::{Api, Auth, Module, Operation, Param, ParamLocation, Presence, Status};

/// `endpoints/mod.rs`: the list of operation modules.
pub(super) fn index(api: &Api) -> TokenStream {
    let mut lines = vec![
        "One module per operation: its request, its responses and its metadata.".to_owned(),
        String::new(),
        "| Module | Method | Path | Summary |".to_owned(),
        "|---|---|---|---|".to_owned(),
    ];
    for op in &api.operations {
        let summary = op
            .summary
            .as_deref()
            .map(|s| crate::docs::doc_lines(s).join(" "))
            .unwrap_or_default();
        let summary = summary.replace('|', "\\|");
        lines.push(format!(
            "| [`{}`] | `{}` | `{}` | {summary} |",
            op.name, op.method, op.path
        ));
    }
    let doc = inner_doc_attrs(&lines);
    let modules = api.operations.iter().map(|op| {
        let name = ident(&op.name);
        let doc = doc1(&format!("`{} {}`", op.method, op.path));
        quote! { #doc pub mod #name; }
    });
    quote! { #doc #(#modules)* }
}

/// `endpoints/<operation>.rs`.
pub(super) fn module(api: &Api, op: &Operation) -> TokenStream {
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
    if op.deprecated {
        lines.extend([String::new(), "**Deprecated** in the spec.".to_owned()]);
    }
    let doc = inner_doc_attrs(&lines);
    let metadata = metadata(op);
    let request = request(api, op, &module);
    let types = items(api, &module);
    quote! { #doc #metadata #request #types }
}

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
        };
    }
}

fn request(api: &Api, op: &Operation, module: &Module) -> TokenStream {
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
    let has_default =
        op.params.iter().all(|p| p.presence != Presence::Required) && op.body.as_ref().is_none_or(|b| !b.required);
    let spec_defaults = op.params.iter().any(|p| matches!(p.presence, Presence::Default(_)));
    let (default, default_impl) = default_support(&ident("Request"), has_default, spec_defaults);
    let secret = op.params.iter().any(|p| p.secret);
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
            #body
        }
        #constructor
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
    let mut lines = docs([p.doc.as_deref()]);
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
        impl Request {
            /// Creates a request from its required inputs; the others start absent or at their default.
            #[must_use]
            #allow
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits),* }
            }
        }
    }
}

fn debug_impl(op: &Operation) -> TokenStream {
    let fields = op.params.iter().map(|p| {
        let name = ident(&p.ident);
        let shown = crate::naming::unraw(&p.ident);
        match (p.secret, &p.presence) {
            (true, Presence::Optional) => quote! { .field(#shown, &self.#name.as_ref().map(|_| crate::Redacted)) },
            (true, _) => quote! { .field(#shown, &crate::Redacted) },
            (false, _) => quote! { .field(#shown, &self.#name) },
        }
    });
    let body = op.body.as_ref().map(|_| quote! { .field("body", &self.body) });
    quote! {
        impl std::fmt::Debug for Request {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Request") #(#fields)* #body .finish()
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
