//! Idempotency tokens (Smithy's `@idempotencyToken`): a body field or query parameter marked
//! `x-jdcloud-idempotency-token: true` (the importer marks `clientToken`) gets a fresh UUID
//! when the caller set none.
//!
//! The token is made in `send()`, before the request is built and so before the retry loop
//! (src/hooks.rs), which sends the same bytes on every attempt: once per call, the same on
//! every retry of it. A `createInstances` whose answer was lost and that was retried creates
//! one set of instances.

use heck::ToSnakeCase;
use openapiv3::{OpenAPI, Parameter, ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub const TOKEN: &str = "x-jdcloud-idempotency-token";

/// For an operation with token fields: the step `send()` takes before sending
/// (`.with_idempotency_token()`) and the `impl` block that defines it on the builder.
pub fn fill(
    spec: &OpenAPI,
    op: &openapiv3::Operation,
    block: &syn::ItemImpl,
) -> Option<(TokenStream, syn::Item)> {
    let marked = |value: Option<&serde_json::Value>| value == Some(&serde_json::Value::Bool(true));
    let mut steps = Vec::new();
    for p in op.parameters.iter().filter_map(ReferenceOr::as_item) {
        if let Parameter::Query { parameter_data, .. } = p {
            if marked(parameter_data.extensions.get(TOKEN)) {
                let field = format_ident!("{}", parameter_data.name.to_snake_case());
                steps.push(quote! {
                    if let Ok(None) = &self.#field {
                        self.#field = Ok(crate::idempotency::token().parse().ok());
                    }
                });
            }
        }
    }
    if let Some((type_name, fields)) = body_tokens(spec, op, &marked) {
        let ty = format_ident!("{type_name}");
        let fields = fields
            .iter()
            .map(|f| format_ident!("{}", f.to_snake_case()));
        steps.push(quote! {
            self.body = self.body.and_then(|body| {
                let mut body = types::#ty::try_from(body).map_err(|e| e.to_string())?;
                #(
                    if body.#fields.is_none() {
                        body.#fields = crate::idempotency::token().parse().ok();
                    }
                )*
                Ok(body.into())
            });
        });
    }
    if steps.is_empty() {
        return None;
    }
    let (self_ty, generics) = (&block.self_ty, &block.generics);
    let item = syn::parse_quote! {
        impl #generics #self_ty {
            /// Gives each idempotency token the caller did not set a fresh UUID: once per call,
            /// so every retry of the call carries the same one.
            fn with_idempotency_token(mut self) -> Self {
                #(#steps)*
                self
            }
        }
    };
    Some((quote!(.with_idempotency_token()), item))
}

/// The body's component schema and its marked top-level fields, when it has any.
fn body_tokens(
    spec: &OpenAPI,
    op: &openapiv3::Operation,
    marked: &dyn Fn(Option<&serde_json::Value>) -> bool,
) -> Option<(String, Vec<String>)> {
    let ReferenceOr::Item(body) = op.request_body.as_ref()? else {
        return None;
    };
    let ReferenceOr::Reference { reference } =
        body.content.get("application/json")?.schema.as_ref()?
    else {
        return None;
    };
    let name = reference.strip_prefix("#/components/schemas/")?;
    let schema = spec.components.as_ref()?.schemas.get(name)?.as_item()?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    let fields: Vec<String> = object
        .properties
        .iter()
        // A required token is the caller's to give.
        .filter(|(name, _)| !object.required.contains(name))
        .filter(|(_, p)| match p {
            ReferenceOr::Item(s) => marked(s.schema_data.extensions.get(TOKEN)),
            ReferenceOr::Reference { .. } => false,
        })
        .map(|(name, _)| name.clone())
        .collect();
    (!fields.is_empty()).then(|| (name.to_owned(), fields))
}
