//! Emits generated types: serde structs and enums, their constructors, defaults and `Debug`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::emit::tokens::{
    default_fn, default_support, doc_attrs, doc1, docs, field_type, ident, inner_doc_attrs, rust_type,
};
use crate::model::{
    Api, DefaultValue, Enum, EnumValue, Field, Module, Presence, Struct, TypeDef, TypeKind, TypeRef, Union,
};

/// The `types` module: every type the spec names, shared between operations.
pub(in crate::emit) fn module(api: &Api, module: &Module) -> TokenStream {
    let doc = inner_doc_attrs(&[
        "Types the spec names, shared between operations.".to_owned(),
        String::new(),
        "Each keeps the spec's wire names; optional fields are `Option`s that are left out".to_owned(),
        "when `None`, and keys the spec allows beyond its properties are kept in a map.".to_owned(),
    ]);
    let items = items(api, module);
    quote! { #doc #items }
}

/// Every type of one module, in the order the model made them.
pub(in crate::emit) fn items(api: &Api, module: &Module) -> TokenStream {
    let defs = api.types.iter().filter(|d| &d.module == module);
    let items = defs.map(|def| type_def(api, def));
    quote! { #(#items)* }
}

fn type_def(api: &Api, def: &TypeDef) -> TokenStream {
    // The role is the generator's own Markdown (it links types), so it skips the spec-text
    // conversion; an inline type with a title is described well enough by it.
    let mut lines: Vec<String> = def.role.iter().filter(|_| def.title.is_none()).cloned().collect();
    let spec = docs([def.title.as_deref(), def.description.as_deref()]);
    if !lines.is_empty() && !spec.is_empty() {
        lines.push(String::new());
    }
    lines.extend(spec);
    if lines.is_empty() {
        lines.push(format!("`{}` from the spec.", def.name));
    }
    let doc = doc_attrs(&lines);
    match &def.kind {
        TypeKind::Struct(s) => structure(api, def, s, doc),
        TypeKind::Enum(e) => enumeration(def, e, doc),
        TypeKind::Union(u) => union(api, def, u, doc),
    }
}

fn structure(api: &Api, def: &TypeDef, s: &Struct, doc: TokenStream) -> TokenStream {
    let name = ident(&def.name);
    let custom_debug = s.fields.iter().any(|f| f.secret) || s.extra.is_some();
    let debug = if custom_debug {
        quote! {}
    } else {
        quote! { Debug, }
    };
    let spec_defaults = s.fields.iter().any(|f| matches!(f.presence, Presence::Default(_)));
    let (default, default_impl) = default_support(&name, s.has_default, spec_defaults);
    let fields = s.fields.iter().map(|f| field(api, def, f));
    let extra = s.extra.as_ref().map(|extra| {
        let ident = ident(&extra.ident);
        let ty = rust_type(api, &extra.ty, &def.module);
        let mut lines = docs([extra.doc.as_deref()]);
        lines.extend([
            "".to_owned(),
            "Every key that is not a field above, with its value.".to_owned(),
        ]);
        let lines: Vec<String> = lines.into_iter().skip_while(String::is_empty).collect();
        let doc = doc_attrs(&lines);
        quote! { #doc #[serde(flatten)] pub #ident: std::collections::BTreeMap<String, #ty>, }
    });
    let constructor = constructor(api, def, s);
    let debug_impl = custom_debug.then(|| debug_impl(def, s));
    let defaults = defaults(api, def, s);
    quote! {
        #doc
        #[derive(Clone, #debug #default PartialEq, serde::Serialize, serde::Deserialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
            #extra
        }
        #constructor
        #default_impl
        #debug_impl
        #defaults
    }
}

fn field(api: &Api, def: &TypeDef, f: &Field) -> TokenStream {
    let doc = doc_attrs(&crate::emit::tokens::docs_with_lifecycle(
        f.doc.as_deref(),
        &f.lifecycle,
    ));
    let name = ident(&f.ident);
    let ty = field_type(api, &f.ty, &f.presence, f.boxed, &def.module);
    // A nullable field keeps `null` apart from absence: one `Option` more.
    let ty = if f.nullable { nullable_type(ty, &f.presence) } else { ty };
    let rename = (crate::naming::unraw(&f.ident) != f.wire).then(|| {
        let wire = &f.wire;
        quote! { #[serde(rename = #wire)] }
    });
    let presence = match &f.presence {
        Presence::Required => quote! {},
        Presence::Optional if f.nullable => quote! {
            #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::runtime::nullable")]
        },
        Presence::Optional => quote! { #[serde(default, skip_serializing_if = "Option::is_none")] },
        // A default is what an absent field means, so it is left out when sent.
        Presence::Default(_) => {
            let default = default_fn(&def.name, &f.ident, false).to_string();
            let is_default = default_fn(&def.name, &f.ident, true).to_string();
            quote! { #[serde(default = #default, skip_serializing_if = #is_default)] }
        }
    };
    quote! { #doc #rename #presence pub #name: #ty, }
}

/// The type of a nullable field: `Option<T>` when required (`null` is its absence of a value),
/// `Option<Option<T>>` when optional.
fn nullable_type(ty: TokenStream, presence: &Presence) -> TokenStream {
    match presence {
        Presence::Required | Presence::Optional => quote! { Option<#ty> },
        Presence::Default(_) => ty,
    }
}

/// `new` taking the required fields; every other field starts absent or at its default.
fn constructor(api: &Api, def: &TypeDef, s: &Struct) -> TokenStream {
    let name = ident(&def.name);
    let required: Vec<&Field> = s.fields.iter().filter(|f| f.presence == Presence::Required).collect();
    let args = required.iter().map(|f| {
        let arg = ident(&f.ident);
        let ty = rust_type(api, &f.ty, &def.module);
        let ty = if f.nullable {
            quote! { Option<#ty> }
        } else {
            ty
        };
        quote! { #arg: #ty }
    });
    let inits = s.fields.iter().map(|f| {
        let field = ident(&f.ident);
        match &f.presence {
            Presence::Required if f.boxed && f.nullable => quote! { #field: #field.map(Box::new) },
            Presence::Required if f.boxed => quote! { #field: Box::new(#field) },
            Presence::Required => quote! { #field },
            Presence::Optional => quote! { #field: None },
            Presence::Default(_) => {
                let default = default_fn(&def.name, &f.ident, false);
                quote! { #field: #default() }
            }
        }
    });
    let extra = s.extra.as_ref().map(|e| {
        let e = ident(&e.ident);
        quote! { #e: std::collections::BTreeMap::new(), }
    });
    let doc = doc1(&if required.is_empty() {
        "Creates a value with every field absent or at its default.".to_owned()
    } else {
        let names: Vec<String> = required.iter().map(|f| format!("`{}`", f.wire)).collect();
        format!(
            "Creates a value from its required fields ({}); the others start absent or at their default.",
            names.join(", ")
        )
    });
    let must_use = quote! { #[must_use] };
    let allow = (required.len() > 7).then(|| quote! { #[allow(clippy::too_many_arguments)] });
    quote! {
        impl #name {
            #doc
            #must_use
            #allow
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits,)* #extra }
            }
        }
    }
}

/// `Debug` that prints `<redacted>` for secret fields and secret keys of the extra map.
fn debug_impl(def: &TypeDef, s: &Struct) -> TokenStream {
    let name = ident(&def.name);
    let text = &def.name;
    let fields = s
        .fields
        .iter()
        .map(|f| crate::emit::tokens::debug_field(&f.ident, f.secret, &f.presence));
    let extra = s.extra.as_ref().map(|e| {
        let field = ident(&e.ident);
        let shown = crate::naming::unraw(&e.ident);
        quote! { .field(#shown, &crate::RedactedMap(&self.#field)) }
    });
    quote! {
        impl std::fmt::Debug for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#text) #(#fields)* #extra .finish()
            }
        }
    }
}

/// Private functions giving each defaulted field's default and recognising it.
fn defaults(api: &Api, def: &TypeDef, s: &Struct) -> TokenStream {
    let fns = s.fields.iter().filter_map(|f| {
        let Presence::Default(value) = &f.presence else {
            return None;
        };
        let ty = rust_type(api, &f.ty, &def.module);
        let default = default_fn(&def.name, &f.ident, false);
        let is_default = default_fn(&def.name, &f.ident, true);
        let value = default_expr(api, value, &def.module);
        let doc = doc1(&format!("The default of `{}.{}`.", def.name, f.wire));
        let is_doc = doc1(&format!(
            "Whether `{}.{}` is its default, which is then left out.",
            def.name, f.wire
        ));
        Some(quote! {
            #doc
            fn #default() -> #ty { #value }
            #is_doc
            fn #is_default(value: &#ty) -> bool { *value == #default() }
        })
    });
    quote! { #(#fns)* }
}

/// A default value as a Rust expression.
pub(in crate::emit) fn default_expr(api: &Api, value: &DefaultValue, from: &Module) -> TokenStream {
    match value {
        DefaultValue::Bool(b) => quote! { #b },
        DefaultValue::Int(i) => {
            let lit = Literal::i64_unsuffixed(*i);
            quote! { #lit }
        }
        DefaultValue::Float(f) => {
            let lit = Literal::f64_unsuffixed(*f);
            quote! { #lit }
        }
        DefaultValue::Str(s) => quote! { #s.to_owned() },
        DefaultValue::Variant(id, index) => {
            let ty = rust_type(api, &TypeRef::Named(*id), from);
            let TypeKind::Enum(e) = &api.ty(*id).kind else {
                return quote! { Default::default() };
            };
            let variant = ident(&e.variants[*index].ident);
            quote! { #ty::#variant }
        }
    }
}

/// An untagged enum: serde tries the variants in order, the model's decoding order.
fn union(api: &Api, def: &TypeDef, u: &Union, doc: TokenStream) -> TokenStream {
    let name = ident(&def.name);
    let variants = u.variants.iter().map(|v| {
        let variant = ident(&v.ident);
        let ty = rust_type(api, &v.ty, &def.module);
        let ty = if v.boxed {
            quote! { Box<#ty> }
        } else {
            ty
        };
        let doc = doc1(&format!("A value of the `{}` case.", v.ident));
        quote! { #doc #variant(#ty), }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #name { #(#variants)* }
    }
}

fn enumeration(def: &TypeDef, e: &Enum, doc: TokenStream) -> TokenStream {
    let integer = e.variants.iter().any(|v| matches!(v.wire, EnumValue::Int(_)));
    if integer {
        return integer_enumeration(def, e, doc);
    }
    let name = ident(&def.name);
    let default = e.default.is_some().then(|| quote! { Default, });
    let variants = enum_variants(e);
    let other = ident(&other_variant(e));
    let wire_impls = string_impls(def, e);
    quote! {
        #doc
        #[derive(Clone, Debug, #default PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the spec does not list (a later one may), kept as it came.
            #other(String),
        }
        #wire_impls
    }
}

/// The listed values as variants, each documented with its value and what it means.
fn enum_variants(e: &Enum) -> Vec<TokenStream> {
    let variants = e.variants.iter().enumerate().map(|(i, v)| {
        let variant = ident(&v.ident);
        let is_default = (e.default == Some(i)).then(|| quote! { #[default] });
        let doc = doc_attrs(&variant_doc(v));
        quote! { #doc #is_default #variant, }
    });
    variants.collect()
}

/// A variant's doc opens with its value as code: the meaning alone where it starts with the
/// value (`` `guest` accounts. ... ``), else the value, then the meaning as a paragraph; the
/// value alone where the spec says nothing.
fn variant_doc(v: &crate::model::Variant) -> Vec<String> {
    let value = match &v.wire {
        EnumValue::Str(s) => format!("`{s}`"),
        EnumValue::Int(n) => format!("`{n}`"),
    };
    let meaning = docs([v.doc.as_deref()]);
    match meaning.first() {
        None => vec![value],
        Some(first) if first.starts_with(&value) => meaning,
        Some(_) => [vec![value, String::new()], meaning].concat(),
    }
}

/// The variant that keeps an unknown value: `Other`, unless the spec has a value by that name.
fn other_variant(e: &Enum) -> String {
    let taken: Vec<&str> = e.variants.iter().map(|v| v.ident.as_str()).collect();
    crate::naming::other_variant(&taken)
}

/// An integer enum: a closed set of numbers, with serde through `i64`.
fn integer_enumeration(def: &TypeDef, e: &Enum, doc: TokenStream) -> TokenStream {
    let name = ident(&def.name);
    let default = e.default.is_some().then(|| quote! { Default, });
    let variants = enum_variants(e);
    let wire_impls = integer_impls(def, e);
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, #default PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum #name { #(#variants)* }
        #wire_impls
    }
}

fn string_impls(def: &TypeDef, e: &Enum) -> TokenStream {
    let name = ident(&def.name);
    let text = &def.name;
    let other = ident(&other_variant(e));
    let arms = e.variants.iter().filter_map(|v| {
        let variant = ident(&v.ident);
        let EnumValue::Str(s) = &v.wire else { return None };
        Some((quote! { Self::#variant => #s }, quote! { #s => Some(Self::#variant) }))
    });
    let (to_str, known): (Vec<_>, Vec<_>) = arms.unzip();
    let lenient_doc = doc1(&format!(
        "Lenient: a value a later spec adds decodes as [`{text}::{other}`]."
    ));
    quote! {
        impl #name {
            /// The value on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str,)*
                    Self::#other(value) => value,
                }
            }

            /// The value the spec lists for `value`, if it lists one.
            fn known(value: &str) -> Option<Self> {
                match value {
                    #(#known,)*
                    _ => None,
                }
            }
        }
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        /// Strict: a request parameter the server must check refuses a value the spec does not
        /// list (`M_INVALID_PARAM`); bodies keep it instead (see `Deserialize`).
        impl std::str::FromStr for #name {
            type Err = crate::UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::known(value).ok_or_else(|| crate::UnknownValue::new(#text, value))
            }
        }
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        #lenient_doc
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::known(&value).unwrap_or(Self::#other(value)))
            }
        }
    }
}

fn integer_impls(def: &TypeDef, e: &Enum) -> TokenStream {
    let name = ident(&def.name);
    let text = &def.name;
    let pairs: Vec<(proc_macro2::Ident, Literal)> = e
        .variants
        .iter()
        .filter_map(|v| match v.wire {
            EnumValue::Int(n) => Some((ident(&v.ident), Literal::i64_unsuffixed(n))),
            EnumValue::Str(_) => None,
        })
        .collect();
    let to_int = pairs.iter().map(|(v, n)| quote! { Self::#v => #n });
    let from_int = pairs.iter().map(|(v, n)| quote! { #n => Some(Self::#v) });
    quote! {
        impl #name {
            /// The value on the wire.
            #[must_use]
            pub const fn value(self) -> i64 {
                match self { #(#to_int,)* }
            }
            /// The variant for a value on the wire.
            #[must_use]
            pub const fn from_value(value: i64) -> Option<Self> {
                match value { #(#from_int,)* _ => None }
            }
        }
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.value())
            }
        }
        impl std::str::FromStr for #name {
            type Err = crate::UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                value.parse().ok().and_then(Self::from_value).ok_or_else(|| crate::UnknownValue::new(#text, value))
            }
        }
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = i64::deserialize(deserializer)?;
                Self::from_value(value).ok_or_else(|| serde::de::Error::custom(crate::UnknownValue::new(#text, &value.to_string())))
            }
        }
    }
}
