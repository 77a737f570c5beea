//! typify sorts struct fields by name, and serde writes fields in struct order; put them back in
//! the spec's order, so a body goes on the wire as the API documents it (and as the official SDKs
//! send it: `{"networkInterfaceId":…,"autoDelete":…}`).

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};

pub fn keep_spec_order(file: &mut syn::File, spec: &OpenAPI) {
    let Some(components) = &spec.components else {
        return;
    };
    let types = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    });
    for item in types.into_iter().flatten() {
        let syn::Item::Struct(s) = item else { continue };
        let Some(ReferenceOr::Item(schema)) = components.schemas.get(&s.ident.to_string()) else {
            continue;
        };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
            continue;
        };
        let syn::Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        let mut sorted: Vec<syn::Field> = fields.named.iter().cloned().collect();
        sorted.sort_by_key(|f| {
            object
                .properties
                .get_index_of(&json_name(f))
                .unwrap_or(usize::MAX)
        });
        fields.named = sorted.into_iter().collect();
    }
}

/// A field's JSON name: its `#[serde(rename = "…")]`, else its Rust name.
pub fn json_name(field: &syn::Field) -> String {
    let mut renamed = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // Other serde arguments (`skip_serializing_if = …`, `default`) are read and ignored.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                renamed = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    renamed
        .or_else(|| field.ident.as_ref().map(ToString::to_string))
        .unwrap_or_default()
}
