//! The operations the emulator serves, read from the SDK's OpenAPI document
//! (`jdcloud_vm::SPEC_YAML`, the `spec/vm.yaml` the client is generated from) once, at start:
//! each operation's method and path template, its parameters with their schemas, its body's
//! schema, whether it answers a result, and its documented errors by name.
//!
//! Nothing here names an operation: a new operation in the spec is routed, parsed and checked
//! with no change to this file.

use std::{collections::BTreeMap, sync::OnceLock};

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::reply::ApiError;
use jdcloud_vm::signing::percent_decode;

/// The whole spec.
pub(crate) struct Spec {
    pub(crate) ops: Vec<Op>,
    /// `components/schemas`.
    pub(crate) schemas: Map<String, Value>,
    /// `components/responses/ServerError`'s examples, documented for every operation.
    server_errors: Vec<DocError>,
    /// The server's base path, `/v1`.
    base: String,
}

/// One operation.
#[allow(dead_code)] // `tag` and `template`: for tests and for what comes
pub(crate) struct Op {
    pub(crate) name: String,
    pub(crate) tag: String,
    pub(crate) method: Method,
    pub(crate) template: String,
    segments: Vec<Segment>,
    pub(crate) params: Vec<Param>,
    /// The JSON body's schema (POST, PATCH, PUT).
    pub(crate) body: Option<Value>,
    /// The documented errors (`4XX` examples), by name.
    pub(crate) errors: Vec<DocError>,
    /// The schema of the answer's `result`, if it has one.
    pub(crate) result: Option<Value>,
}

#[derive(Clone, Debug)]
enum Segment {
    Literal(String),
    Param(String),
    /// `{instanceId}:attachNetworkInterface`.
    ParamAction(String, String),
}

/// A path or query parameter.
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) in_path: bool,
    pub(crate) required: bool,
    pub(crate) schema: Value,
    /// `x-jdcloud-filters`: the filter names the page documents.
    pub(crate) filters: Option<Vec<String>>,
}

/// A documented error: its name, status, code and message (`xx` for a variable part).
#[derive(Clone, Debug)]
pub(crate) struct DocError {
    pub(crate) name: String,
    pub(crate) http: u16,
    pub(crate) status: String,
    pub(crate) message: String,
}

/// The spec, parsed once.
pub(crate) fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let doc: Value =
            yaml_serde::from_str(jdcloud_vm::SPEC_YAML).expect("the SDK's spec is valid YAML");
        Spec::from_document(&doc)
    })
}

impl Spec {
    fn from_document(doc: &Value) -> Spec {
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let server_errors = doc
            .pointer("/components/responses/ServerError/content/application~1json/examples")
            .map(doc_errors)
            .unwrap_or_default();
        let base = doc
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .and_then(|url| url.split_once("://"))
            .and_then(|(_, rest)| {
                rest.find('/')
                    .map(|at| rest[at..].trim_end_matches('/').to_owned())
            })
            .unwrap_or_default();
        let mut ops = Vec::new();
        for (template, item) in doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let shared: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let Some(name) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut params = Vec::new();
                for p in shared.iter().chain(
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                ) {
                    let p = resolve_param(doc, p);
                    let Some(pname) = p.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let location = p.get("in").and_then(Value::as_str).unwrap_or("query");
                    if location != "path" && location != "query" {
                        continue;
                    }
                    params.push(Param {
                        name: pname.to_owned(),
                        in_path: location == "path",
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        schema: p.get("schema").cloned().unwrap_or(Value::Null),
                        filters: p
                            .get("x-jdcloud-filters")
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_owned)
                                    .collect()
                            }),
                    });
                }
                let body = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .cloned();
                let errors = op
                    .pointer("/responses/4XX/content/application~1json/examples")
                    .map(doc_errors)
                    .unwrap_or_default();
                let result = op
                    .pointer("/responses/200/content/application~1json/schema")
                    .map(|schema| resolve_in(doc, schema))
                    .and_then(|schema| schema.pointer("/properties/result"))
                    .cloned();
                ops.push(Op {
                    result,
                    name: name.to_owned(),
                    tag: op
                        .pointer("/tags/0")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    method,
                    template: template.clone(),
                    segments: segments(template),
                    params,
                    body,
                    errors,
                });
            }
        }
        Spec {
            ops,
            schemas,
            server_errors,
            base,
        }
    }

    /// The operation of a name.
    pub(crate) fn op(&self, name: &str) -> Option<&Op> {
        self.ops.iter().find(|op| op.name == name)
    }

    /// An operation of that name as the spec has it, else a bare one (for unit tests of
    /// behaviours the SDK's spec may not have yet).
    #[cfg(test)]
    pub(crate) fn op_or_bare(&'static self, name: &str) -> &'static Op {
        self.op(name).unwrap_or_else(|| {
            Box::leak(Box::new(Op {
                name: name.to_owned(),
                tag: String::new(),
                method: Method::POST,
                template: String::new(),
                segments: Vec::new(),
                params: Vec::new(),
                body: None,
                errors: Vec::new(),
                result: None,
            }))
        })
    }

    /// The schema a `$ref` points to (`#/components/schemas/X`), else the schema itself.
    pub(crate) fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..8 {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => match r
                    .strip_prefix("#/components/schemas/")
                    .and_then(|name| self.schemas.get(name))
                {
                    Some(next) => schema = next,
                    None => return schema,
                },
                None => return schema,
            }
        }
        schema
    }

    /// The documented error `name` of `op` (its `4XX` examples, then the server errors every
    /// operation documents).
    pub(crate) fn error(&self, op: &Op, name: &str) -> Option<DocError> {
        op.errors
            .iter()
            .chain(&self.server_errors)
            .find(|e| e.name == name)
            .cloned()
    }

    /// The names of the errors `op` documents.
    pub(crate) fn error_names(&self, op: &Op) -> Vec<String> {
        op.errors
            .iter()
            .chain(&self.server_errors)
            .map(|e| e.name.clone())
            .collect()
    }

    /// The operation a request calls, with its path parameters (percent-decoded): `404` for a
    /// path that no operation has, `405` (with `Allow`) for another method on one that has.
    pub(crate) fn route(
        &self,
        method: &Method,
        raw_path: &str,
    ) -> Result<(&Op, BTreeMap<String, String>), ApiError> {
        let path = percent_decode(raw_path);
        let rest = path.strip_prefix(self.base.as_str()).unwrap_or("");
        let parts: Vec<&str> = rest.split('/').skip(1).collect();
        let mut allowed: Vec<&str> = Vec::new();
        let mut best: Option<(&Op, BTreeMap<String, String>)> = None;
        if rest.starts_with('/') {
            for op in &self.ops {
                let Some(params) = matches(&op.segments, &parts) else {
                    continue;
                };
                if op.method == *method {
                    // A template with fewer parameters (more literals) wins over one whose
                    // parameter happens to match a literal.
                    let better = best.as_ref().is_none_or(|(_, p)| params.len() < p.len());
                    if better {
                        best = Some((op, params));
                    }
                } else {
                    allowed.push(op.method.as_str());
                }
            }
        }
        if let Some(found) = best {
            return Ok(found);
        }
        if allowed.is_empty() {
            return Err(ApiError::not_found(format!(
                "No API matches {method} {}: the emulator serves the {} operations of the VM API \
                 under {}/regions/{{regionId}}/…",
                crate::route::shorten(raw_path),
                self.ops.len(),
                self.base
            )));
        }
        allowed.sort_unstable();
        allowed.dedup();
        let allow = allowed.join(", ");
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!(
                "Method {method} is not allowed for {}: use {allow}",
                crate::route::shorten(raw_path)
            ),
        );
        error.allow = Some(allow);
        Err(error)
    }
}

fn resolve_in<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    resolve_param(doc, schema)
}

fn resolve_param<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    match p.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(p),
        None => p,
    }
}

fn doc_errors(examples: &Value) -> Vec<DocError> {
    examples
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, example)| {
            let error = example.pointer("/value/error")?;
            Some(DocError {
                name: name.clone(),
                http: u16::try_from(error.get("code")?.as_u64()?).ok()?,
                status: error.get("status")?.as_str()?.to_owned(),
                message: error.get("message")?.as_str()?.to_owned(),
            })
        })
        .collect()
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .skip(1)
        .map(|s| {
            if let Some(inner) = s.strip_prefix('{') {
                if let Some((name, action)) = inner.split_once("}:") {
                    return Segment::ParamAction(name.to_owned(), action.to_owned());
                }
                if let Some(name) = inner.strip_suffix('}') {
                    return Segment::Param(name.to_owned());
                }
            }
            Segment::Literal(s.to_owned())
        })
        .collect()
}

fn matches(segments: &[Segment], parts: &[&str]) -> Option<BTreeMap<String, String>> {
    if segments.len() != parts.len() {
        return None;
    }
    let mut params = BTreeMap::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(l) => {
                if l != part {
                    return None;
                }
            }
            Segment::Param(name) => {
                if part.is_empty() || part.contains(':') {
                    return None;
                }
                params.insert(name.clone(), (*part).to_owned());
            }
            Segment::ParamAction(name, action) => {
                let (value, act) = part.rsplit_once(':')?;
                if act != action || value.is_empty() {
                    return None;
                }
                params.insert(name.clone(), value.to_owned());
            }
        }
    }
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_routed_by_its_template() {
        let spec = spec();
        assert!(spec.ops.len() >= 4);
        for op in &spec.ops {
            let path = op
                .template
                .replace("{regionId}", "cn-north-1")
                .split('/')
                .map(|s| match s.split_once('}') {
                    Some((_, rest)) if s.starts_with('{') => format!("x-1{rest}"),
                    _ => s.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            let (found, _) = spec
                .route(&op.method, &format!("/v1{path}"))
                .unwrap_or_else(|e| panic!("{}: {e:?}", op.name));
            assert_eq!(found.name, op.name, "{path}");
        }
    }
}
