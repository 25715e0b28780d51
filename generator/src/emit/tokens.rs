//! Token helpers every emitter shares: identifiers, doc attributes, Rust types of the model's
//! types, and the small pieces of generated code that many files repeat.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::model::{Api, Module, Presence, TypeRef};

pub(crate) use crate::naming::ident;

/// `#[doc = "..."]` attributes for the lines of a doc comment.
pub(crate) fn doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines
        .iter()
        .map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote! { #(#[doc = #lines])* }
}

/// One `#[doc]` line.
pub(crate) fn doc1(line: &str) -> TokenStream {
    doc_attrs(&[line.to_owned()])
}

/// `#![doc = "..."]` attributes (module docs) for the lines of a doc comment.
pub(crate) fn inner_doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines
        .iter()
        .map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote! { #(#![doc = #lines])* }
}

/// Doc lines from optional sources (title, summary, description), rustdoc-safe.
pub(crate) fn docs<'a>(sources: impl IntoIterator<Item = Option<&'a str>>) -> Vec<String> {
    crate::docs::join_docs(sources)
}

/// Doc lines saying when the spec added, changed or deprecated something, each a paragraph;
/// empty when it says nothing.
pub(crate) fn lifecycle_lines(lifecycle: &crate::model::Lifecycle) -> Vec<String> {
    let mut paragraphs: Vec<Vec<String>> = Vec::new();
    if let Some(version) = &lifecycle.added_in {
        paragraphs.push(vec![format!("Added in Matrix {version}.")]);
    }
    for (version, what) in &lifecycle.changed_in {
        let mut lines = crate::docs::doc_lines(what);
        match lines.first_mut() {
            Some(first) => first.insert_str(0, &format!("Changed in Matrix {version}: ")),
            None => lines.push(format!("Changed in Matrix {version}.")),
        }
        paragraphs.push(lines);
    }
    if lifecycle.deprecated {
        paragraphs.push(vec!["**Deprecated** in the spec.".to_owned()]);
    }
    paragraphs.join(&String::new())
}

/// `docs` followed by the lifecycle paragraphs, separated by a blank line.
pub(crate) fn docs_with_lifecycle(doc: Option<&str>, lifecycle: &crate::model::Lifecycle) -> Vec<String> {
    let mut lines = docs([doc]);
    let notes = lifecycle_lines(lifecycle);
    if !lines.is_empty() && !notes.is_empty() {
        lines.push(String::new());
    }
    lines.extend(notes);
    lines
}

/// The doc of an operation's method (server or client): `METHOD path`, then its summary.
pub(crate) fn operation_doc(op: &crate::model::Operation) -> Vec<String> {
    let mut lines = vec![format!("`{} {}`", op.method, op.path)];
    let summary = docs([op.summary.as_deref()]);
    if !summary.is_empty() {
        lines.push(String::new());
        lines.extend(summary);
    }
    lines
}

/// One `.field(...)` of a hand-written `Debug`: a secret prints as `<redacted>` (an absent
/// optional one as `None`).
pub(crate) fn debug_field(field: &str, secret: bool, presence: &Presence) -> TokenStream {
    let name = ident(field);
    let shown = crate::naming::unraw(field);
    match (secret, presence) {
        (true, Presence::Optional) => quote! { .field(#shown, &self.#name.as_ref().map(|_| crate::Redacted)) },
        (true, _) => quote! { .field(#shown, &crate::Redacted) },
        (false, _) => quote! { .field(#shown, &self.#name) },
    }
}

/// The path to a generated module, from `root` (`crate`, or the crate's name outside it).
pub(crate) fn module_path(module: &Module, root: &TokenStream) -> TokenStream {
    match module {
        Module::Shared => quote! { #root::types },
        Module::Operation(name) => {
            let name = ident(name);
            quote! { #root::endpoints::#name }
        }
    }
}

/// The Rust type of a value, written from inside module `from`.
pub(crate) fn rust_type(api: &Api, ty: &TypeRef, from: &Module) -> TokenStream {
    type_in(api, ty, Some(from), &quote! { crate })
}

/// The Rust type of a value, written outside the crate, whose name is `root`.
pub(crate) fn external_type(api: &Api, ty: &TypeRef, root: &TokenStream) -> TokenStream {
    type_in(api, ty, None, root)
}

fn type_in(api: &Api, ty: &TypeRef, from: Option<&Module>, root: &TokenStream) -> TokenStream {
    match ty {
        TypeRef::Bytes => quote! { bytes::Bytes },
        TypeRef::Named(id) => {
            let def = api.ty(*id);
            let name = ident(&def.name);
            if Some(&def.module) == from {
                quote! { #name }
            } else {
                let module = module_path(&def.module, root);
                quote! { #module::#name }
            }
        }
        TypeRef::String => quote! { String },
        TypeRef::Bool => quote! { bool },
        TypeRef::I32 => quote! { i32 },
        TypeRef::I64 => quote! { i64 },
        TypeRef::F32 => quote! { f32 },
        TypeRef::F64 => quote! { f64 },
        TypeRef::ErrorCode => quote! { #root::ErrorCode },
        TypeRef::Json => quote! { serde_json::Value },
        TypeRef::JsonObject => quote! { serde_json::Map<String, serde_json::Value> },
        TypeRef::Array(item) => {
            let item = type_in(api, item, from, root);
            quote! { Vec<#item> }
        }
        TypeRef::Map(value) => {
            let value = type_in(api, value, from, root);
            quote! { std::collections::BTreeMap<String, #value> }
        }
        TypeRef::Nullable(inner) => {
            let inner = type_in(api, inner, from, root);
            quote! { Option<#inner> }
        }
    }
}

/// The type of a field: `Option` when it may be absent, `Box` when recursion needs it.
pub(crate) fn field_type(api: &Api, ty: &TypeRef, presence: &Presence, boxed: bool, from: &Module) -> TokenStream {
    let inner = rust_type(api, ty, from);
    let inner = if boxed {
        quote! { Box<#inner> }
    } else {
        inner
    };
    match presence {
        Presence::Optional => quote! { Option<#inner> },
        Presence::Required | Presence::Default(_) => inner,
    }
}

/// `Default` for a type whose fields may all be absent: derived, unless a field has a spec
/// default that `new()` sets (a derived one would be `false`, `0` or empty instead). Returns the
/// derive entry and the impl.
pub(crate) fn default_support(name: &Ident, all_optional: bool, spec_defaults: bool) -> (TokenStream, TokenStream) {
    match (all_optional, spec_defaults) {
        (false, _) => (quote! {}, quote! {}),
        (true, false) => (quote! { Default, }, quote! {}),
        (true, true) => (
            quote! {},
            quote! {
                impl Default for #name {
                    fn default() -> Self {
                        Self::new()
                    }
                }
            },
        ),
    }
}

/// The name of a private function that gives a field's default, or says whether a value is it.
pub(crate) fn default_fn(type_name: &str, field: &str, is: bool) -> Ident {
    format_ident!("{}", crate::naming::default_fn(type_name, field, is))
}
