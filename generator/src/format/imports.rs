//! Imports instead of long paths: each `crate::` path of a file (or, in a test file, each path
//! into the crate under test) is shortened to its item (or the module above it) and the file
//! gets one `use` per module, as a person writes a module.
//!
//! Emitters spell every path of the crate out, which is always right wherever the tokens land;
//! this pass, run on every file before it is parsed, makes them read like hand-written code.
//! Which name a path starts at is [`naming::import_starts`]'s to decide: never a name the file
//! uses for anything else, so no import can shadow or be shadowed.
//!
//! Left whole: paths in `use` statements (the emitter wrote those), inside inline modules
//! (another scope: `mod tests { .. }`), after `in` (`pub(in crate::x)`) and macro paths.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

use crate::naming;

/// `tokens` with every path that starts at `root` (`crate`, or the crate a test file tests)
/// shortened, and the `use` items the shortened paths need, one per module, sorted.
pub fn shorten(tokens: TokenStream, root: &str) -> (TokenStream, Vec<TokenStream>) {
    let mut seen = Seen::default();
    walk(tokens.clone(), root, None, &mut seen);
    let starts = naming::import_starts(&seen.paths, &seen.taken);
    if starts.is_empty() {
        return (tokens, Vec::new());
    }
    let shortened = walk(tokens, root, Some(&starts), &mut Seen::default());
    (shortened, use_items(&starts))
}

/// What a file's tokens hold: its paths from the root, and every other name it uses.
#[derive(Default)]
struct Seen {
    paths: BTreeSet<Vec<String>>,
    taken: BTreeSet<String>,
}

/// Where each path starts (see [`naming::import_starts`]).
type Starts = BTreeMap<Vec<String>, usize>;

/// Goes through `tokens` once: notes paths and names in `seen`, and, given `starts`, returns
/// the tokens with each path shortened (else nothing: only noting, it copies no token).
fn walk(tokens: TokenStream, root: &str, starts: Option<&Starts>, seen: &mut Seen) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Out {
        tokens: Vec::with_capacity(if starts.is_some() { tokens.len() } else { 0 }),
        building: starts.is_some(),
    };
    let mut i = 0;
    while i < tokens.len() {
        let kept = kept_whole(&tokens, i);
        if kept > 0 {
            let is_use = matches!(&tokens[i], TokenTree::Ident(ident) if ident == "use");
            if is_use {
                imported(&tokens[i..i + kept], &mut seen.taken);
            } else {
                names(&tokens[i..i + kept], &mut seen.taken);
            }
            out.extend(&tokens[i..i + kept]);
            i += kept;
            continue;
        }
        match &tokens[i] {
            TokenTree::Ident(ident) if ident == root && !after_in(&tokens, i) => {
                if let Some(path) = rooted_path(&tokens, i, root) {
                    let len = path.len() * 3 - 2;
                    match starts.and_then(|starts| starts.get(&path)) {
                        Some(&start) => out.extend(&path_tokens(&path[start..])),
                        None => out.extend(&tokens[i..i + len]),
                    }
                    seen.paths.insert(path);
                    i += len;
                    continue;
                }
                out.extend(&tokens[i..=i]);
            }
            TokenTree::Ident(ident) => {
                seen.taken.insert(ident.to_string());
                out.extend(&tokens[i..=i]);
            }
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), walk(group.stream(), root, starts, seen));
                inner.set_span(group.span());
                out.extend(&[TokenTree::Group(inner)]);
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => out.extend(&tokens[i..=i]),
        }
        i += 1;
    }
    out.tokens.into_iter().collect()
}

/// The tokens [`walk`] writes, when it writes any.
struct Out {
    tokens: Vec<TokenTree>,
    building: bool,
}

impl Out {
    fn extend(&mut self, tokens: &[TokenTree]) {
        if self.building {
            self.tokens.extend_from_slice(tokens);
        }
    }
}

/// How many tokens from `i` are left whole: a `use` statement up to its `;`, or an inline
/// module (`mod name { .. }`); 0 for anything else.
fn kept_whole(tokens: &[TokenTree], i: usize) -> usize {
    match &tokens[i] {
        TokenTree::Ident(ident) if ident == "use" => tokens[i..]
            .iter()
            .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
            .map_or(tokens.len() - i, |end| end + 1),
        TokenTree::Ident(ident) if ident == "mod" => match (tokens.get(i + 1), tokens.get(i + 2)) {
            (Some(TokenTree::Ident(_)), Some(TokenTree::Group(g))) if g.delimiter() == Delimiter::Brace => 3,
            _ => 0,
        },
        _ => 0,
    }
}

/// Every name in `tokens`, at any depth.
fn names(tokens: &[TokenTree], taken: &mut BTreeSet<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                taken.insert(ident.to_string());
            }
            TokenTree::Group(group) => names(&group.stream().into_iter().collect::<Vec<_>>(), taken),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// The names a `use` statement brings in: its last segments (`use a::{b::C, D as E}` -> `C`,
/// `D`, `E`), not the modules it goes through.
fn imported(tokens: &[TokenTree], taken: &mut BTreeSet<String>) {
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if !matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':') => {
                taken.insert(ident.to_string());
            }
            TokenTree::Group(group) => imported(&group.stream().into_iter().collect::<Vec<_>>(), taken),
            _ => {}
        }
    }
}

/// Whether the path at `i` is a visibility's, `pub(in crate::x)`: the group opens with `in`.
fn after_in(tokens: &[TokenTree], i: usize) -> bool {
    i == 1 && matches!(&tokens[0], TokenTree::Ident(ident) if ident == "in")
}

/// The segments of the path that starts at `root` at `i` (`crate::a::B`), if it is one: at
/// least one segment after the root, not the path of a macro (`crate::m!`), and not a
/// segment of a longer path (`other::crate_name::a`).
fn rooted_path(tokens: &[TokenTree], i: usize, root: &str) -> Option<Vec<String>> {
    let colon = |at: usize, spacing: Spacing| matches!(&tokens[at], TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == spacing);
    let after_colons = i > 1 && colon(i - 2, Spacing::Joint) && colon(i - 1, Spacing::Alone);
    if after_colons {
        return None;
    }
    let mut path = vec![root.to_owned()];
    let mut at = i + 1;
    while let (Some(TokenTree::Punct(first)), Some(TokenTree::Punct(second)), Some(TokenTree::Ident(segment))) =
        (tokens.get(at), tokens.get(at + 1), tokens.get(at + 2))
    {
        if first.as_char() != ':' || first.spacing() != Spacing::Joint || second.as_char() != ':' {
            break;
        }
        path.push(segment.to_string());
        at += 3;
    }
    let is_macro = matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    (path.len() > 1 && !is_macro).then_some(path)
}

/// The tokens of a path: its segments joined by `::`.
fn path_tokens(segments: &[String]) -> Vec<TokenTree> {
    let mut tokens = Vec::with_capacity(segments.len() * 3);
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            tokens.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
            tokens.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
        }
        tokens.push(TokenTree::Ident(ident(segment)));
    }
    tokens
}

/// An identifier as it was written, raw (`r#type`) or not.
fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// One `use` per module the shortened paths start in: `use crate::types::{AuthData, MatrixError};`.
fn use_items(starts: &Starts) -> Vec<TokenStream> {
    let mut modules: BTreeMap<&[String], BTreeSet<&str>> = BTreeMap::new();
    for (path, &start) in starts {
        modules.entry(&path[..start]).or_default().insert(&path[start]);
    }
    // Sorted by what each `use` reads as, a group (`crate::{..}`) after the paths beside it.
    let mut items: Vec<(String, TokenStream)> = modules
        .into_iter()
        .map(|(module, names)| {
            let tokens = path_tokens(module);
            let idents: Vec<Ident> = names.iter().copied().map(ident).collect();
            match idents.as_slice() {
                [one] => (
                    format!("{}::{one}", module.join("::")),
                    quote! { use #(#tokens)*::#one; },
                ),
                _ => (
                    format!("{}::{{", module.join("::")),
                    quote! { use #(#tokens)*::{#(#idents),*}; },
                ),
            }
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items.into_iter().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shortened(tokens: TokenStream) -> String {
        let (tokens, uses) = shorten(tokens, "crate");
        let uses: Vec<String> = uses.iter().map(ToString::to_string).collect();
        format!("{} | {}", uses.join(" "), tokens)
    }

    #[test]
    fn items_are_imported_once_per_module() {
        let tokens = quote! {
            fn f(x: crate::types::MatrixError) -> crate::types::AuthData {
                crate::runtime::http::to_json(&x); crate::types::AuthData::new(crate::Metadata)
            }
        };
        assert_eq!(
            shortened(tokens),
            "use crate :: Metadata ; use crate :: runtime :: http :: to_json ; \
             use crate :: types :: { AuthData , MatrixError } ; | \
             fn f (x : MatrixError) -> AuthData { to_json (& x) ; AuthData :: new (Metadata) }"
        );
    }

    #[test]
    fn a_taken_name_imports_the_module_above() {
        let tokens = quote! {
            fn f(request: http::Request<()>) -> crate::endpoints::register::Request {
                crate::runtime::http::request(request)
            }
        };
        assert_eq!(
            shortened(tokens),
            "use crate :: endpoints :: register ; use crate :: runtime ; | \
             fn f (request : http :: Request < () >) -> register :: Request { runtime :: http :: request (request) }"
        );
    }

    #[test]
    fn two_items_of_one_name_both_keep_their_module() {
        let tokens = quote! { fn f(a: crate::types::Error, b: crate::Error) {} };
        assert_eq!(
            shortened(tokens),
            "use crate :: types ; | fn f (a : types :: Error , b : crate :: Error) { }"
        );
    }

    #[test]
    fn a_loop_over_a_function_of_the_crate_is_shortened() {
        let tokens = quote! { for p in crate::runtime::server::prefixes() {} };
        assert_eq!(
            shortened(tokens),
            "use crate :: runtime :: server :: prefixes ; | for p in prefixes () { }"
        );
    }

    #[test]
    fn a_test_file_imports_from_the_crate_it_tests() {
        let tokens = quote! { fn t() -> my_api::types::A { my_api::types::A::new(x::my_api::B) } };
        let (after, uses) = shorten(tokens, "my_api");
        let uses: Vec<String> = uses.iter().map(ToString::to_string).collect();
        assert_eq!(uses, ["use my_api :: types :: A ;"]);
        assert_eq!(after.to_string(), "fn t () -> A { A :: new (x :: my_api :: B) }");
    }

    #[test]
    fn uses_inline_modules_visibilities_and_macro_paths_stay_whole() {
        let tokens = quote! {
            use crate::runtime::Redacted;
            mod tests { fn g() -> crate::types::A { todo!() } }
            fn f() { crate::m!(); }
            pub(in crate::a) fn g() {}
        };
        let (after, uses) = shorten(tokens.clone(), "crate");
        assert!(uses.is_empty());
        assert_eq!(after.to_string(), tokens.to_string());
    }
}
