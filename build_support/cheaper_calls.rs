//! Two calls progenitor's generated code makes on every request, pointed at cheaper equivalents
//! in the hand-written layer. Same results; fewer allocations and copies per call.
//!
//! - `encode_path(&value.to_string())` writes a path parameter: the value's text in one new
//!   `String`, its percent-encoding in another, both copied into the URL and dropped. It becomes
//!   `{ use crate::path_segment::PathSegment as _; (value).path_segment() }`, which writes the
//!   same encoded text straight into the URL (src/path_segment.rs); a method call, so that it
//!   reaches the value's text through the same auto-deref as `to_string()`.
//! - `ResponseValue::from_response(response)` decodes an answer after copying all its headers.
//!   It becomes `crate::response_body::from_response(response)`, which moves them instead and
//!   reads the body as the hooks do (src/response_body.rs).
//!
//! A token-level rewrite, because the first kind sits inside `format!`'s arguments, which syn
//! keeps as tokens. Any other form of call is left as progenitor wrote it: still correct, only
//! slower.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;

/// Rewrites both calls throughout the file.
pub fn rewrite(file: &mut syn::File) -> Result<(), String> {
    let tokens = rewrite_stream(file.to_token_stream());
    *file = syn::parse2(tokens).map_err(|e| {
        format!("build_support/cheaper_calls.rs made code that does not parse: {e}")
    })?;
    Ok(())
}

fn rewrite_stream(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Ident(ident) if ident == "encode_path" => {
                let value = match trees.peek() {
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                        value_of(g.stream())
                    }
                    _ => None,
                };
                match value {
                    Some(value) => {
                        trees.next();
                        out.extend(quote::quote! {
                            { use crate::path_segment::PathSegment as _; (#value).path_segment() }
                        });
                    }
                    None => out.push(TokenTree::Ident(ident)),
                }
            }
            TokenTree::Ident(ident) if ident == "from_response" && follows_response_value(&out) => {
                // `ResponseValue ::` is already out: replace it with the path of ours.
                out.truncate(out.len() - 3);
                out.extend(quote::quote! { crate::response_body::from_response });
            }
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), rewrite_stream(group.stream()));
                new.set_span(group.span());
                out.push(TokenTree::Group(new));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// `<value>` of an argument `& <value> . to_string ()`, else `None`.
fn value_of(argument: TokenStream) -> Option<TokenStream> {
    let trees: Vec<TokenTree> = argument.into_iter().collect();
    let [TokenTree::Punct(and), value @ .., TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(call)] =
        trees.as_slice()
    else {
        return None;
    };
    let is_to_string = and.as_char() == '&'
        && dot.as_char() == '.'
        && method == "to_string"
        && call.delimiter() == Delimiter::Parenthesis
        && call.stream().is_empty()
        && !value.is_empty();
    is_to_string.then(|| value.iter().cloned().collect())
}

/// Whether the tokens so far end in `ResponseValue ::` (not preceded by another `::`, which would
/// make it some other path's `ResponseValue`).
fn follows_response_value(out: &[TokenTree]) -> bool {
    let [rest @ .., TokenTree::Ident(name), TokenTree::Punct(c1), TokenTree::Punct(c2)] = out
    else {
        return false;
    };
    let qualified = matches!(rest.last(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
    name == "ResponseValue" && c1.as_char() == ':' && c2.as_char() == ':' && !qualified
}
