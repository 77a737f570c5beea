//! Validates `spec/vm.yaml` and generates the client from it with progenitor.
//!
//! The generated code lands in `$OUT_DIR/vm.rs` and is included by `src/generated.rs`; it is
//! never checked in, so editing the spec and rebuilding is all an API update takes.

#[path = "build_support/answer_builders.rs"]
mod answer_builders;
#[allow(dead_code)]
#[path = "src/answer_path.rs"]
mod answer_path;
#[path = "build_support/api_version.rs"]
mod api_version;
#[path = "build_support/builders.rs"]
mod builders;
#[path = "build_support/documented_errors.rs"]
mod documented_errors;
#[path = "build_support/idempotency.rs"]
mod idempotency;
#[path = "build_support/operations.rs"]
mod operations;
#[path = "build_support/property_order.rs"]
mod property_order;
#[path = "build_support/validate.rs"]
mod validate;
#[path = "build_support/waiters.rs"]
mod waiters;

use std::{env, fs, path::PathBuf, process};

const SPEC: &str = "spec/vm.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build_support");
    println!("cargo:rerun-if-changed=src/answer_path.rs");
    if let Err(line) = generate() {
        // One readable line instead of a generator panic or a wall of compile errors.
        eprintln!("error: {line}");
        process::exit(1);
    }
}

fn generate() -> Result<(), String> {
    let text = fs::read_to_string(SPEC).map_err(|e| format!("{SPEC}: cannot read: {e}"))?;
    let spec = validate::parse_and_validate(SPEC, &text)?;
    let errors = documented_errors::collect(&spec).map_err(|e| format!("{SPEC}: {e}"))?;

    let mut settings = progenitor::GenerationSettings::default();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        // Its default: an empty `impl ClientHooks for &Client`. The generated requests never
        // reach progenitor's hooks: build_support/builders.rs cuts each `send` before them and
        // hands the request to `crate::hooks::send`.
        .with_hooks(progenitor::HooksMode::Optional)
        .with_inner_type("crate::hooks::SigningContext".parse().expect("a type path"));
    if env::var_os("CARGO_FEATURE_SCHEMARS").is_some() {
        settings.with_derive("schemars::JsonSchema");
    }
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("{SPEC}: progenitor cannot generate a client: {e}"))?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("{SPEC}: generated code does not parse: {e}"))?;
    property_order::keep_spec_order(&mut file, &spec);
    api_version::drop_api_version_header(&mut file, SPEC)?;
    builders::finish(&mut file, &spec, &errors).map_err(|e| format!("{SPEC}: {e}"))?;
    answer_builders::drop(&mut file, &spec);
    file.items
        .extend(waiters::generate(&spec, &errors).map_err(|e| format!("{SPEC}: {e}"))?);
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    write(&out_dir.join("vm.rs"), &prettyplease::unparse(&file))?;
    write(
        &out_dir.join("documented_errors.rs"),
        &documented_errors::rust_source(&errors),
    )?;

    write(
        &out_dir.join("operations.rs"),
        &operations::rust_source(&spec),
    )?;

    // For tests/schema_drift.rs: the generated type of every object schema, so that the
    // comparison covers exactly the spec's schemas.
    let objects: Vec<String> = spec
        .components
        .iter()
        .flat_map(|c| &c.schemas)
        .filter(|(_, s)| {
            matches!(
                s.as_item().map(|s| &s.schema_kind),
                Some(openapiv3::SchemaKind::Type(openapiv3::Type::Object(_)))
            )
        })
        .map(|(name, _)| format!("({name:?}, json(schemars::schema_for!(types::{name}))),\n"))
        .collect();
    write(
        &out_dir.join("object_schemas.rs"),
        &format!("vec![\n{}]\n", objects.concat()),
    )?;

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
