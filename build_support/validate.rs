//! Checks of the OpenAPI document made before progenitor sees it.
//!
//! progenitor panics, or generates code that does not compile, on documents it cannot handle.
//! Each rule here turns one such case into a single line naming the file and the rule broken.
//! Shared by `build.rs` and the tests (`tests/spec_validation.rs`), which include this file.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, Schema, SchemaKind, StatusCode};

/// The one component schema every error response must use: JD Cloud has a single error body.
pub const ERROR_SCHEMA: &str = "#/components/schemas/ErrorResponse";

/// The vendor extension that marks a query parameter for JD Cloud's indexed encoding
/// (`filters.1.name=…`); build_support/builders.rs writes such parameters that way.
pub const INDEXED: &str = "x-jdcloud-indexed";

/// Parses and validates a spec; `Err` is one line: `FILE: RULE`.
pub fn parse_and_validate(file: &str, text: &str) -> Result<OpenAPI, String> {
    // Read as plain YAML first, so a 3.1 document gets the version rule, not a parse error.
    let raw: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| format!("{file}: not valid YAML: {e}"))?;
    let version = raw.get("openapi").and_then(|v| v.as_str()).unwrap_or("");
    if !version.starts_with("3.0.") {
        return Err(format!(
            "{file}: `openapi` is {version:?}, but only OpenAPI 3.0.x is supported (progenitor cannot read 3.1)"
        ));
    }
    let spec: OpenAPI = yaml_serde::from_value(raw).map_err(|e| {
        format!(
            "{file}: not a valid OpenAPI 3.0 document: {}",
            one_line(&e.to_string())
        )
    })?;
    validate(&spec).map_err(|rule| format!("{file}: {rule}"))?;
    Ok(spec)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Validates a parsed spec; `Err` names the operation and the rule it breaks.
pub fn validate(spec: &OpenAPI) -> Result<(), String> {
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        let item = match item {
            ReferenceOr::Item(item) => item,
            ReferenceOr::Reference { .. } => {
                return Err(format!("path `{path}` is a $ref; write path items inline"))
            }
        };
        for (method, op) in item.iter() {
            let here = format!("{} {path}", method.to_uppercase());
            let id = op
                .operation_id
                .as_deref()
                .ok_or_else(|| format!("{here} has no operationId (every operation needs one: it names the client method)"))?;
            if !operation_ids.insert(id.to_string()) {
                return Err(format!(
                    "operationId `{id}` is used twice (operationIds must be unique)"
                ));
            }
            let here = format!("operation `{id}`");

            let mut successes = 0;
            for (status, response) in &op.responses.responses {
                match status {
                    StatusCode::Code(code) if (200..300).contains(code) => successes += 1,
                    StatusCode::Code(code) => {
                        return Err(format!(
                            "{here} lists response {code}; list errors only as `4XX` or `5XX`, with schema {ERROR_SCHEMA}"
                        ))
                    }
                    StatusCode::Range(range @ (4 | 5)) => {
                        if error_schema_of(spec, response) != Some(ERROR_SCHEMA) {
                            return Err(format!(
                                "{here}: response `{range}XX` must have application/json schema {ERROR_SCHEMA}"
                            ));
                        }
                    }
                    StatusCode::Range(range) => {
                        return Err(format!(
                            "{here} lists response `{range}XX`; only `4XX` and `5XX` ranges are allowed"
                        ))
                    }
                }
            }
            if op.responses.default.is_some() {
                return Err(format!(
                    "{here} has a `default` response; list errors as `4XX`/`5XX` instead (progenitor cannot mix `default` with a 2xx)"
                ));
            }
            if successes != 1 {
                return Err(format!(
                    "{here} has {successes} success (2xx) responses; exactly one is required"
                ));
            }

            let params = item.parameters.iter().chain(op.parameters.iter());
            for param in params {
                let param = match param {
                    ReferenceOr::Item(p) => p,
                    ReferenceOr::Reference { reference } => {
                        return Err(format!(
                            "{here}: parameter {reference} is a $ref; write parameters inline"
                        ))
                    }
                };
                let data = param.parameter_data_ref();
                let indexed = data.extensions.get(INDEXED) == Some(&serde_json::Value::Bool(true));
                let name = &data.name;
                let structured = matches!(
                    schema_of(spec, data).map(|s| &s.schema_kind),
                    Some(SchemaKind::Type(
                        openapiv3::Type::Array(_) | openapiv3::Type::Object(_)
                    ))
                );
                match param {
                    Parameter::Query { .. } if structured && !indexed => {
                        return Err(format!(
                            "{here}: query parameter `{name}` is a list or an object: mark it \
                             `{INDEXED}: true` (JD Cloud's `{name}.1.field=…` form)"
                        ))
                    }
                    Parameter::Query { .. } => {}
                    _ if indexed => {
                        return Err(format!(
                            "{here}: `{INDEXED}` is for query parameters only, not `{name}`"
                        ))
                    }
                    _ => {}
                }
                if let Parameter::Path { parameter_data, .. } = param {
                    let name = &parameter_data.name;
                    if !parameter_data.required {
                        return Err(format!(
                            "{here}: path parameter `{name}` must be `required: true`"
                        ));
                    }
                    if !path.contains(&format!("{{{name}}}")) {
                        return Err(format!(
                            "{here}: path parameter `{name}` does not appear in `{path}`"
                        ));
                    }
                    if pattern_of(spec, parameter_data).is_none() {
                        return Err(format!(
                            "{here}: path parameter `{name}` needs a string schema with a `pattern` (IDs are checked before anything is sent)"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn error_schema_of<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<openapiv3::Response>,
) -> Option<&'a str> {
    let response = resolve_response(spec, response)?;
    match &response.content.get("application/json")?.schema {
        Some(ReferenceOr::Reference { reference }) => Some(reference.as_str()),
        _ => None,
    }
}

/// A response, or the `#/components/responses/…` one it refers to.
pub fn resolve_response<'a>(
    spec: &'a OpenAPI,
    response: &'a ReferenceOr<openapiv3::Response>,
) -> Option<&'a openapiv3::Response> {
    match response {
        ReferenceOr::Item(response) => Some(response),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/responses/")?;
            spec.components.as_ref()?.responses.get(name)?.as_item()
        }
    }
}

fn schema_of<'a>(spec: &'a OpenAPI, data: &'a openapiv3::ParameterData) -> Option<&'a Schema> {
    let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
        return None;
    };
    match schema {
        ReferenceOr::Item(s) => Some(s),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            spec.components.as_ref()?.schemas.get(name)?.as_item()
        }
    }
}

fn pattern_of<'a>(spec: &'a OpenAPI, data: &'a openapiv3::ParameterData) -> Option<&'a str> {
    match &schema_of(spec, data)?.schema_kind {
        SchemaKind::Type(openapiv3::Type::String(s)) => s.pattern.as_deref(),
        _ => None,
    }
}
