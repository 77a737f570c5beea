//! progenitor writes every path parameter into the URL as `encode_path(&value.to_string())`:
//! the value's text in one new `String`, its percent-encoding in another, both copied into the
//! URL and dropped, on every call. Rewritten here to
//! `{ use crate::path_segment::PathSegment as _; (value).path_segment() }`, which writes the same
//! encoded text straight into the URL (src/path_segment.rs); a method call, so that it reaches
//! the value's text through the same auto-deref as `to_string()`.
//!
//! A token-level rewrite, because the calls sit inside `format!`'s arguments, which syn keeps as
//! tokens. Any other form of call is left as progenitor wrote it: still correct, only slower.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;

/// Rewrites every `encode_path(&<expr>.to_string())` in the file; returns how many.
pub fn encode_path_segments_in_place(file: &mut syn::File) -> Result<usize, String> {
    let mut count = 0;
    let tokens = rewrite(file.to_token_stream(), &mut count);
    *file = syn::parse2(tokens)
        .map_err(|e| format!("the path-segment rewrite made code that does not parse: {e}"))?;
    Ok(count)
}

fn rewrite(tokens: TokenStream, count: &mut usize) -> TokenStream {
    let mut out = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match tree {
            TokenTree::Ident(ident) if ident == "encode_path" => {
                let argument = match trees.peek() {
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                        value_of(g.stream())
                    }
                    _ => None,
                };
                match argument {
                    Some(value) => {
                        trees.next();
                        *count += 1;
                        out.extend(segment_of(value));
                    }
                    None => out.push(TokenTree::Ident(ident)),
                }
            }
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), rewrite(group.stream(), count));
                new.set_span(group.span());
                out.push(TokenTree::Group(new));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// `<value>` of an argument `& <value> . to_string ()`, else `None`.
fn value_of(argument: TokenStream) -> Option<Vec<TokenTree>> {
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
    is_to_string.then(|| value.to_vec())
}

/// `{ use crate::path_segment::PathSegment as _; (<value>).path_segment() }`.
fn segment_of(value: Vec<TokenTree>) -> Vec<TokenTree> {
    let value: TokenStream = value.into_iter().collect();
    let block = quote::quote! {
        { use crate::path_segment::PathSegment as _; (#value).path_segment() }
    };
    block.into_iter().collect()
}
