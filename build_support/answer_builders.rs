//! No builders for the answers: typify gives every type a builder (`types::builder::X`), but an
//! operation's answer (`<Op>Response`) and its result (`<Op>Result`) are only ever read, never
//! built by a caller. Their builders were about a third of the generated code and of the
//! library's compile time (BENCHMARKS.md, Build cost); the nested types of the answers
//! (`types::Instance`, `types::Image`, …) keep theirs.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr};

use crate::builders::{module_mut, self_name};

/// Drops the builder of every operation's success answer and of its `result`.
pub fn drop(file: &mut syn::File, spec: &OpenAPI) {
    let answers = answer_schemas(spec);
    let Some(types) = module_mut(&mut file.items, "types") else {
        return;
    };
    // `impl X { pub fn builder() -> builder::X { … } }`
    types.retain_mut(|item| match item {
        syn::Item::Impl(block) if block.trait_.is_none() && answers.contains(&self_name(block)) => {
            block
                .items
                .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
            !block.items.is_empty()
        }
        _ => true,
    });
    if let Some(builders) = module_mut(types, "builder") {
        builders.retain(|item| match item {
            syn::Item::Struct(s) => !answers.contains(&s.ident.to_string()),
            syn::Item::Impl(block) => !answers.contains(&self_name(block)),
            _ => true,
        });
    }
}

/// The schema of each operation's success answer, and the schema of that answer's `result`.
fn answer_schemas(spec: &OpenAPI) -> BTreeSet<String> {
    let name = |r: &str| r.rsplit('/').next().unwrap_or_default().to_owned();
    let mut out = BTreeSet::new();
    for (_, _, op) in spec.operations() {
        for (status, response) in &op.responses.responses {
            let openapiv3::StatusCode::Code(200..=299) = status else {
                continue;
            };
            let ReferenceOr::Item(response) = response else {
                continue;
            };
            for media in response.content.values() {
                let Some(ReferenceOr::Reference { reference }) = &media.schema else {
                    continue;
                };
                let answer = name(reference);
                let result = spec
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(&answer))
                    .and_then(ReferenceOr::as_item)
                    .and_then(|s| match &s.schema_kind {
                        openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) => {
                            o.properties.get("result")
                        }
                        _ => None,
                    });
                if let Some(ReferenceOr::Reference { reference }) = result {
                    out.insert(name(reference));
                }
                out.insert(answer);
            }
        }
    }
    out
}
