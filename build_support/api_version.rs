//! progenitor gives every request an `api-version` header carrying the spec's `info.version`.
//! JD Cloud's gateway neither documents nor needs it, and the official SDKs do not send it.
//!
//! Removing it from each request at run time cost a header map built, merged and searched on
//! every call. Instead, the generated code is edited once, here: the `header_map.append` of
//! `api-version` goes, and when no other header is left, so do the map and its `.headers(…)`.

use quote::ToTokens;

/// Drops the `api-version` header from every generated operation. Errs when there was none to
/// drop: progenitor's output changed, and this step must be looked at again.
pub fn drop_api_version_header(file: &mut syn::File, spec: &str) -> Result<(), String> {
    let mut dropped = 0;
    for item in &mut file.items {
        visit_item(item, &mut dropped);
    }
    if dropped == 0 {
        return Err(format!(
            "{spec}: the generated client sets no `api-version` header any more; \
             build_support/api_version.rs expects progenitor 0.15's code and needs updating"
        ));
    }
    Ok(())
}

fn visit_item(item: &mut syn::Item, dropped: &mut usize) {
    match item {
        syn::Item::Mod(module) => {
            if let Some((_, items)) = &mut module.content {
                for item in items {
                    visit_item(item, dropped);
                }
            }
        }
        syn::Item::Impl(block) => {
            for item in &mut block.items {
                if let syn::ImplItem::Fn(function) = item {
                    *dropped += edit_body(&mut function.block.stmts);
                }
            }
        }
        _ => {}
    }
}

/// Edits one function body; returns how many `api-version` headers it dropped.
fn edit_body(stmts: &mut Vec<syn::Stmt>) -> usize {
    let before = stmts.len();
    stmts.retain(|stmt| !(is_header_append(stmt) && mentions(stmt, "\"api-version\"")));
    let dropped = before - stmts.len();
    if dropped == 0 || stmts.iter().any(is_header_append) {
        return dropped;
    }
    // No header left: no map to build, and nothing to merge into the request.
    stmts.retain(
        |stmt| !matches!(stmt, syn::Stmt::Local(local) if mentions(&local.pat, "header_map")),
    );
    for stmt in stmts.iter_mut() {
        if let syn::Stmt::Local(syn::Local {
            init: Some(init), ..
        }) = stmt
        {
            strip_headers_call(&mut init.expr);
        }
    }
    dropped
}

/// `header_map.append(…);`
fn is_header_append(stmt: &syn::Stmt) -> bool {
    match stmt {
        syn::Stmt::Expr(syn::Expr::MethodCall(call), _) => {
            call.method == "append" && mentions(&call.receiver, "header_map")
        }
        _ => false,
    }
}

/// Removes `.headers(header_map)` from a builder chain such as `client.post(url)….build()?`.
fn strip_headers_call(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(inner) => strip_headers_call(&mut inner.expr),
        syn::Expr::MethodCall(call)
            if call.method == "headers"
                && call.args.len() == 1
                && mentions(&call.args[0], "header_map") =>
        {
            let receiver = (*call.receiver).clone();
            *expr = receiver;
            strip_headers_call(expr);
        }
        syn::Expr::MethodCall(call) => strip_headers_call(&mut call.receiver),
        _ => {}
    }
}

fn mentions(node: &impl ToTokens, text: &str) -> bool {
    node.to_token_stream().to_string().contains(text)
}
