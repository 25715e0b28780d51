//! Imports instead of long paths: each `crate::` path of a file (or, in a test file, each path
//! into the crate under test) is shortened to its item (or the module above it) and the file
//! gets one `use` per module, as a person writes a module.
//!
//! Emitters spell every path of the crate out, which is always right wherever the tokens land;
//! this pass, run on every parsed file, makes them read like hand-written code. Which name a
//! path starts at is [`naming::import_starts`]'s to decide: never a name the file uses for
//! anything else (any identifier outside those paths, in macros and attributes too), so no
//! import can shadow or be shadowed.
//!
//! Left whole: paths in `use` items (the emitter wrote those), inside inline modules (another
//! scope: `mod tests { .. }`), in visibilities (`pub(in crate::x)`), under a qualified self
//! (`<T as crate::Trait>::f`) and in macros whose body is not a list of expressions.
//!
//! It works on the `syn` tree rather than the tokens: walking tokens copies every nested group,
//! and that copying cost a quarter of a whole-API run.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};

use crate::naming::{self, ident};

/// Shortens every path of `file` that starts at `root` (`crate`, or the crate a test file
/// tests), then puts the `use` items they need, one per module, among the file's leading
/// `use`s, all sorted as rustfmt sorts them.
pub fn import(file: &mut syn::File, root: &str) -> Result<(), syn::Error> {
    let mut noting = Pass::new(root, None);
    noting.visit_file_mut(file);
    let starts = naming::import_starts(&noting.paths, &noting.taken);
    if starts.is_empty() {
        return Ok(());
    }
    Pass::new(root, Some(&starts)).visit_file_mut(file);
    let uses = use_items(&starts)
        .into_iter()
        .map(syn::parse2)
        .collect::<Result<Vec<syn::Item>, _>>()?;
    let leading = file
        .items
        .iter()
        .take_while(|item| matches!(item, syn::Item::Use(_)))
        .count();
    let all = leading + uses.len();
    file.items.splice(leading..leading, uses);
    file.items[..all].sort_by_cached_key(use_order);
    Ok(())
}

/// Where each path starts (see [`naming::import_starts`]).
type Starts = BTreeMap<Vec<String>, usize>;

/// One walk over a file: without `starts` it notes the paths from the root and every other
/// name; with them it shortens the paths.
struct Pass<'a> {
    root: &'a str,
    starts: Option<&'a Starts>,
    paths: BTreeSet<Vec<String>>,
    taken: BTreeSet<String>,
    /// Inside something whose paths stay whole (an inline module, a qualified self).
    frozen: usize,
}

impl<'a> Pass<'a> {
    fn new(root: &'a str, starts: Option<&'a Starts>) -> Self {
        Self {
            root,
            starts,
            paths: BTreeSet::new(),
            taken: BTreeSet::new(),
            frozen: 0,
        }
    }

    fn take(&mut self, ident: &Ident) {
        if self.starts.is_none() {
            self.taken.insert(ident.to_string());
        }
    }

    /// Every name in `tokens` (a macro's body, an attribute's arguments), at any depth.
    fn take_all(&mut self, tokens: TokenStream) {
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => self.take(&ident),
                TokenTree::Group(group) => self.take_all(group.stream()),
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
            }
        }
    }

    /// The names a `use` brings in: its last segments (`use a::{b::C, D as E}` -> `C`, `D`,
    /// `E`), not the modules it goes through.
    fn take_imported(&mut self, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => self.take_imported(&path.tree),
            syn::UseTree::Name(name) => self.take(&name.ident),
            syn::UseTree::Rename(rename) => {
                self.take(&rename.ident);
                self.take(&rename.rename);
            }
            syn::UseTree::Group(group) => group.items.iter().for_each(|tree| self.take_imported(tree)),
            syn::UseTree::Glob(_) => {}
        }
    }

    fn frozen(&mut self, visit: impl FnOnce(&mut Self)) {
        self.frozen += 1;
        visit(self);
        self.frozen -= 1;
    }
}

impl VisitMut for Pass<'_> {
    fn visit_ident_mut(&mut self, ident: &mut Ident) {
        self.take(ident);
    }

    fn visit_lifetime_mut(&mut self, _: &mut syn::Lifetime) {}

    fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
        self.take_imported(&item.tree);
    }

    fn visit_item_mod_mut(&mut self, item: &mut syn::ItemMod) {
        if item.content.is_some() {
            self.frozen(|pass| visit_mut::visit_item_mod_mut(pass, item));
        } else {
            visit_mut::visit_item_mod_mut(self, item);
        }
    }

    fn visit_vis_restricted_mut(&mut self, vis: &mut syn::VisRestricted) {
        self.frozen(|pass| visit_mut::visit_vis_restricted_mut(pass, vis));
    }

    fn visit_expr_path_mut(&mut self, path: &mut syn::ExprPath) {
        if path.qself.is_some() {
            self.frozen(|pass| visit_mut::visit_expr_path_mut(pass, path));
        } else {
            visit_mut::visit_expr_path_mut(self, path);
        }
    }

    fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
        if path.qself.is_some() {
            self.frozen(|pass| visit_mut::visit_type_path_mut(pass, path));
        } else {
            visit_mut::visit_type_path_mut(self, path);
        }
    }

    /// A macro whose body is a list of expressions (`assert_eq!`, `vec!`, `format!`) is
    /// walked as one; any other body is only read for the names it uses.
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        for segment in &mac.path.segments {
            self.take(&segment.ident);
        }
        let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        match mac.parse_body_with(parser) {
            Ok(mut exprs) => {
                exprs.iter_mut().for_each(|expr| self.visit_expr_mut(expr));
                if self.starts.is_some() {
                    mac.tokens = exprs.to_token_stream();
                }
            }
            Err(_) if self.starts.is_none() => self.take_all(mac.tokens.clone()),
            Err(_) => {}
        }
    }

    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        if self.starts.is_some() {
            return;
        }
        match &attr.meta {
            syn::Meta::Path(path) => path.segments.iter().for_each(|s| self.take(&s.ident)),
            syn::Meta::List(list) => {
                list.path.segments.iter().for_each(|s| self.take(&s.ident));
                self.take_all(list.tokens.clone());
            }
            // `doc = "..."`, `serde(with = "...")`'s kin: a name and a literal.
            syn::Meta::NameValue(value) => value.path.segments.iter().for_each(|s| self.take(&s.ident)),
        }
    }

    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let rooted = self.frozen == 0
            && path.leading_colon.is_none()
            && path.segments.len() > 1
            && path.segments[0].ident == self.root;
        if !rooted {
            return visit_mut::visit_path_mut(self, path);
        }
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(&start) = self.starts.and_then(|starts| starts.get(&segments)) {
            path.segments = std::mem::take(&mut path.segments).into_pairs().skip(start).collect();
        }
        // A shortened path's own names are not taken; its generic arguments are visited.
        for segment in &mut path.segments {
            self.visit_path_arguments_mut(&mut segment.arguments);
        }
        self.paths.insert(segments);
    }
}

/// One `use` per module the shortened paths start in: `use crate::types::{AuthData, MatrixError};`.
fn use_items(starts: &Starts) -> Vec<TokenStream> {
    let mut modules: BTreeMap<&[String], BTreeSet<&str>> = BTreeMap::new();
    for (path, &start) in starts {
        modules.entry(&path[..start]).or_default().insert(&path[start]);
    }
    modules
        .into_iter()
        .map(|(module, names)| {
            let module: Vec<Ident> = module.iter().map(|segment| ident(segment)).collect();
            let names: Vec<Ident> = names.into_iter().map(ident).collect();
            match names.as_slice() {
                [one] => quote! { use #(#module)::*::#one; },
                _ => quote! { use #(#module)::*::{#(#names),*}; },
            }
        })
        .collect()
}

/// Where a `use` goes among the file's first ones: by group (std, other crates, this crate),
/// then by path; a group (`crate::{..}`) after the paths beside it.
fn use_order(item: &syn::Item) -> (u8, String) {
    let syn::Item::Use(item) = item else {
        return (u8::MAX, String::new());
    };
    let tree = &item.tree;
    let path = quote!(#tree).to_string().replace(' ', "");
    (super::path_group(&path), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(tokens: TokenStream, root: &str) -> String {
        let mut file: syn::File = syn::parse2(tokens).expect("parses");
        import(&mut file, root).expect("imports");
        quote!(#file).to_string()
    }

    #[test]
    fn items_are_imported_once_per_module() {
        let tokens = quote! {
            fn f(x: crate::types::MatrixError) -> crate::types::AuthData {
                crate::runtime::http::to_json(&x); crate::types::AuthData::new(crate::Metadata)
            }
        };
        assert_eq!(
            imported(tokens, "crate"),
            "use crate :: Metadata ; use crate :: runtime :: http :: to_json ; \
             use crate :: types :: { AuthData , MatrixError } ; \
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
            imported(tokens, "crate"),
            "use crate :: { endpoints , runtime } ; \
             fn f (request : http :: Request < () >) -> endpoints :: register :: Request { runtime :: http :: request (request) }"
        );
    }

    #[test]
    fn two_items_of_one_name_both_keep_their_module() {
        let tokens = quote! { fn f(a: crate::types::Error, b: crate::Error) {} };
        assert_eq!(
            imported(tokens, "crate"),
            "use crate :: types ; fn f (a : types :: Error , b : crate :: Error) { }"
        );
    }

    #[test]
    fn a_name_used_in_a_macro_or_an_attribute_is_taken() {
        let tokens = quote! {
            #[derive(Clone)]
            struct S;
            fn f() -> crate::a::Clone { let status = 1; assert_eq!(status, crate::b::C); crate::http::status(200) }
        };
        assert_eq!(
            imported(tokens, "crate"),
            "use crate :: b :: C ; use crate :: { a , http } ; # [derive (Clone)] struct S ; \
             fn f () -> a :: Clone { let status = 1 ; assert_eq ! (status , C) ; http :: status (200) }"
        );
    }

    #[test]
    fn generic_arguments_are_shortened_too() {
        let tokens = quote! { fn f() -> Option<crate::types::A> { for p in crate::server::prefixes() {} None } };
        assert_eq!(
            imported(tokens, "crate"),
            "use crate :: server :: prefixes ; use crate :: types :: A ; \
             fn f () -> Option < A > { for p in prefixes () { } None }"
        );
    }

    #[test]
    fn a_test_file_imports_from_the_crate_it_tests() {
        let tokens = quote! { fn t() -> my_api::types::A { my_api::types::A::new(x::my_api::B) } };
        assert_eq!(
            imported(tokens, "my_api"),
            "use my_api :: types :: A ; fn t () -> A { A :: new (x :: my_api :: B) }"
        );
    }

    #[test]
    fn uses_inline_modules_visibilities_qualified_selves_and_macros_stay_whole() {
        let tokens = quote! {
            use crate::runtime::Redacted;
            mod tests { fn g() -> crate::types::A { todo!() } }
            fn f() { crate::m!(); let x = <S as crate::t::Tr>::f(); proptest! { fn p(x in 0..1) { crate::types::B } } }
            pub(in crate::a) fn g() {}
        };
        assert_eq!(imported(tokens.clone(), "crate"), tokens.to_string());
    }
}
