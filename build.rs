//! Validates `spec/vm.yaml` and generates the client from it with progenitor.
//!
//! The generated code lands in `$OUT_DIR/vm.rs` and is included by `src/generated.rs`; it is
//! never checked in, so editing the spec and rebuilding is all an API update takes.

#[path = "build_support/api_version.rs"]
mod api_version;
#[path = "build_support/cheaper_calls.rs"]
mod cheaper_calls;
#[path = "build_support/validate.rs"]
mod validate;

use std::{env, fs, path::PathBuf, process};

const SPEC: &str = "spec/vm.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build_support/validate.rs");
    println!("cargo:rerun-if-changed=build_support/api_version.rs");
    println!("cargo:rerun-if-changed=build_support/cheaper_calls.rs");
    if let Err(line) = generate() {
        // One readable line instead of a generator panic or a wall of compile errors.
        eprintln!("error: {line}");
        process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("{SPEC}: cannot read: {e}"))?;
    let spec = validate::parse_and_validate(SPEC, &text)?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(
            "crate::client::SigningContext"
                .parse()
                .expect("a type path"),
        );
    if env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("{SPEC}: progenitor cannot generate a client: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("{SPEC}: generated code does not parse: {e}"))?;
    keep_spec_property_order(&mut file, &spec);
    api_version::drop_api_version_header(&mut file, SPEC)?;
    cheaper_calls::rewrite(&mut file).map_err(|e| format!("{SPEC}: {e}"))?;
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // typify checks `pattern`s with `regress`; `crate::pattern::Pattern` has the same two
    // methods, and matches simple patterns without a regex engine (see src/pattern.rs).
    let code = prettyplease::unparse(&file).replace("::regress::Regex", "crate::pattern::Pattern");
    write(&out_dir.join("vm.rs"), &code)?;

    // Facts of the spec the hand-written layer needs: the default server and its base path.
    let server = spec
        .servers
        .first()
        .map(|s| s.url.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            format!("{SPEC}: `servers` is empty; the first server is the default endpoint")
        })?;
    let url_start = server.find("://").map(|i| i + 3).unwrap_or(0);
    let base_path = server[url_start..]
        .find('/')
        .map(|i| &server[url_start + i..])
        .unwrap_or("");
    let origin = &server[..server.len() - base_path.len()];
    write(
        &out_dir.join("meta.rs"),
        &format!(
            "/// The default endpoint, from the spec's first server.\n\
             pub const DEFAULT_ENDPOINT: &str = {origin:?};\n\
             /// The base path every operation's path is appended to, from the spec's first server.\n\
             pub(crate) const BASE_PATH: &str = {base_path:?};\n\
             /// The API revision, the spec's `info.version`.\n\
             pub const API_VERSION: &str = {:?};\n",
            spec.info.version
        ),
    )
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// typify sorts struct fields by name, and serde writes fields in struct order; put them back
/// in the spec's order, so a body goes on the wire as the API documents it (and as the
/// official SDKs send it: `{"networkInterfaceId":…,"autoDelete":…}`).
fn keep_spec_property_order(file: &mut syn::File, spec: &openapiv3::OpenAPI) {
    use quote::ToTokens;
    let Some(components) = &spec.components else {
        return;
    };
    for item in &mut file.items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.ident != "types" {
            continue;
        }
        let Some((_, items)) = &mut module.content else {
            continue;
        };
        for item in items {
            let syn::Item::Struct(s) = item else { continue };
            let Some(openapiv3::ReferenceOr::Item(schema)) =
                components.schemas.get(&s.ident.to_string())
            else {
                continue;
            };
            let openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) = &schema.schema_kind
            else {
                continue;
            };
            let order: Vec<&String> = object.properties.keys().collect();
            let syn::Fields::Named(fields) = &mut s.fields else {
                continue;
            };
            let mut sorted: Vec<syn::Field> = fields.named.iter().cloned().collect();
            // A field's JSON name: its `#[serde(rename = "…")]`, else its Rust name.
            let json_name = |f: &syn::Field| {
                f.attrs
                    .iter()
                    .find_map(|a| {
                        let text = a.to_token_stream().to_string();
                        let start = text.find("rename = \"")? + "rename = \"".len();
                        let len = text[start..].find('"')?;
                        Some(text[start..start + len].to_owned())
                    })
                    .or_else(|| f.ident.as_ref().map(|i| i.to_string()))
                    .unwrap_or_default()
            };
            sorted.sort_by_key(|f| {
                let name = json_name(f);
                order.iter().position(|p| **p == name).unwrap_or(usize::MAX)
            });
            fields.named = sorted.into_iter().collect();
        }
    }
}
