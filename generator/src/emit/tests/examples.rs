//! Emits `tests/spec_examples.rs`: every example of the spec goes through its generated type
//! and comes back as the same JSON; a known spec error is asserted to still be wrong.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::tokens::{external_type, ident};
use crate::model::{Api, EnumValue, TypeId, TypeKind, TypeRef};
use crate::naming::{self, Scope};

/// `tests/spec_examples.rs`.
pub(in crate::emit) fn tests(api: &Api) -> TokenStream {
    let krate = ident(&api.package.replace('-', "_"));
    let root = quote! { #krate };
    let mut scope = Scope::default();
    let tests = api.examples.iter().map(|example| {
        let test = format_ident!("{}", scope.claim(&[test_name(&example.name)]));
        let ty = external_type(api, &example.ty, &root);
        let name = &example.name;
        let json = serde_json::to_string(&example.value).unwrap_or_default();
        let expected = serde_json::to_string(&example.expected).unwrap_or_default();
        match &example.known_error {
            None if example.expected != example.value => quote! {
                #[test]
                fn #test() {
                    round_trip_without_defaults::<#ty>(#name, #json, #expected);
                }
            },
            None => quote! {
                #[test]
                fn #test() {
                    round_trip::<#ty>(#name, #json);
                }
            },
            Some(reason) => quote! {
                #[test]
                fn #test() {
                    still_wrong::<#ty>(#name, #json, #reason);
                }
            },
        }
    });
    let tests: Vec<TokenStream> = tests.collect();
    let enums = unknown_values(api, &root, &mut scope);
    let known = api.examples.iter().any(|e| e.known_error.is_some());
    let fitting = api
        .examples
        .iter()
        .any(|e| e.known_error.is_none() && e.expected == e.value);
    let defaulted = api
        .examples
        .iter()
        .any(|e| e.known_error.is_none() && e.expected != e.value);
    let helpers = (fitting || known || defaulted).then(|| helpers(fitting || defaulted, defaulted, known));
    let import = (fitting || known || defaulted).then(|| quote! { use serde_json::Value; });
    quote! {
        //! Every example in the spec fits the generated type it documents, and comes back
        //! unchanged; examples the spec gets wrong are listed in the codegen config and
        //! checked to still be wrong.
        #import
        #(#tests)*
        #(#enums)*
        #helpers
    }
}

/// For each string enum: a value a later spec may add decodes into the variant that keeps it and
/// goes back out unchanged, while parsing it as a parameter (what a server checks) still fails.
fn unknown_values(api: &Api, root: &TokenStream, scope: &mut Scope) -> Vec<TokenStream> {
    let string_enums = api.types.iter().enumerate().filter(|(_, def)| match &def.kind {
        TypeKind::Enum(e) => e.variants.iter().all(|v| matches!(v.wire, EnumValue::Str(_))),
        _ => false,
    });
    string_enums
        .map(|(index, def)| {
            let ty = external_type(api, &TypeRef::Named(TypeId(index)), root);
            let place = format!("{}::{}", Api::module_name(&def.module), def.name);
            let test = format_ident!(
                "{}",
                scope.claim(&[format!("{}_keeps_an_unknown_value", test_name(&place))])
            );
            quote! {
                #[test]
                fn #test() {
                    let value: #ty = serde_json::from_str("\"org.example.later\"").expect("an unknown value decodes");
                    assert_eq!(value.as_str(), "org.example.later");
                    assert_eq!(serde_json::to_string(&value).expect("it encodes"), "\"org.example.later\"");
                    assert!("org.example.later".parse::<#ty>().is_err(), "a parameter stays strict");
                }
            }
        })
        .collect()
}

fn test_name(example: &str) -> String {
    let name = naming::snake(example);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("example_{name}")
    } else {
        name
    }
}

/// The assertions the tests use (only those used, so that none is dead code).
fn helpers(fitting: bool, defaulted: bool, known: bool) -> TokenStream {
    let without_defaults = defaulted.then(|| quote! {
        /// Like `round_trip`, for an example holding defaults: they are left out on the way back.
        #[track_caller]
        fn round_trip_without_defaults<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, json: &str, expected: &str) {
            let value: T = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("{name}: the spec's example does not fit the generated type: {e}"));
            let expected: Value = serde_json::from_str(expected).expect("an example is JSON");
            let actual = serde_json::to_value(&value).expect("a generated type serializes");
            assert!(
                same_json(&actual, &expected),
                "{name}: the example changed on its way through the generated type\n expected:  {expected}\n generated: {actual}"
            );
        }
    });
    let round_trip = fitting.then(|| quote! {
            /// Reads `json` as a `T` and writes it back: it must come back as the same JSON.
            #[track_caller]
            fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, json: &str) {
                let expected: Value = serde_json::from_str(json).expect("an example is JSON");
                let value: T = serde_json::from_value(expected.clone())
                    .unwrap_or_else(|e| panic!("{name}: the spec's example does not fit the generated type: {e}"));
                let actual = serde_json::to_value(&value).expect("a generated type serializes");
                assert!(
                    same_json(&actual, &expected),
                    "{name}: the example changed on its way through the generated type\n spec:      {expected}\n generated: {actual}"
                );
            }

    });
    let still_wrong = known.then(|| quote! {
            /// A known spec error must still fail to fit; when it fits, the config entry is stale.
            #[track_caller]
            fn still_wrong<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, json: &str, reason: &str) {
                let expected: Value = serde_json::from_str(json).expect("an example is JSON");
                let back = serde_json::from_value::<T>(expected.clone()).ok().and_then(|v| serde_json::to_value(v).ok());
                assert!(
                    !back.is_some_and(|actual| same_json(&actual, &expected)),
                    "{name}: listed as a known spec error ({reason}), but it fits now: remove it from [[known_example_error]] in codegen.toml"
                );
            }

    });
    quote! {
    #round_trip
    #without_defaults
    #still_wrong
        /// JSON equality where `1` and `1.0` are the same number.
        fn same_json(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => x.as_f64() == y.as_f64(),
                (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y)),
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
                }
                _ => a == b,
            }
        }
    }
}
