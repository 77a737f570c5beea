//! Calls by operation name, signed, over HTTP, their paths from the spec's templates: for
//! tests that go through every operation whatever the SDK's builders look like.
#![allow(dead_code)]

use std::time::SystemTime;

use jdcloud_vm::{
    signing::{format_date, sign, SignableRequest, SigningAlgorithm},
    Credentials,
};
use jdcloud_vm_emulator::Emulator;
use serde_json::Value;

pub const REGION: &str = "cn-north-1";

/// An operation of the spec: its method and path template.
pub struct SpecOp {
    pub name: String,
    pub method: String,
    pub template: String,
    /// Its documented errors: `(status, message)`, `xx` for a variable part.
    pub errors: Vec<(String, String)>,
}

/// The spec's operations.
pub fn spec_ops() -> Vec<SpecOp> {
    let doc: Value = yaml_serde::from_str(jdcloud_vm::SPEC_YAML).unwrap();
    let mut out = Vec::new();
    let server_errors: Vec<(String, String)> = errors_of(
        doc.pointer("/components/responses/ServerError/content/application~1json/examples"),
    );
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(name) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut errors =
                errors_of(op.pointer("/responses/4XX/content/application~1json/examples"));
            errors.extend(server_errors.clone());
            out.push(SpecOp {
                name: name.to_owned(),
                method: method.to_uppercase(),
                template: template.clone(),
                errors,
            });
        }
    }
    out
}

fn errors_of(examples: Option<&Value>) -> Vec<(String, String)> {
    examples
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, e)| {
            let error = e.pointer("/value/error")?;
            Some((
                error["status"].as_str()?.to_owned(),
                error["message"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Whether `message` is the documented `pattern`, its `xx`/`xxx` a variable part.
pub fn documented(pattern: &str, message: &str) -> bool {
    let norm = |s: &str| s.trim_end_matches('.').to_lowercase();
    let parts: Vec<String> = norm(pattern)
        .replace("xxx", "xx")
        .split("xx")
        .map(str::to_owned)
        .collect();
    let message = norm(message);
    let mut rest = message.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part.as_str()) else {
                return false;
            };
            rest = r;
        } else if i + 1 == parts.len() {
            return rest.ends_with(part.as_str());
        } else {
            let Some(at) = rest.find(part.as_str()) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    rest.is_empty()
}

/// Calls `op` with its path parameters (besides `regionId`), its query and its body.
pub async fn call(
    emulator: &Emulator,
    credentials: &Credentials,
    op: &SpecOp,
    path_params: &[(&str, &str)],
    query: &str,
    body: &Value,
) -> (u16, Value) {
    let mut path = format!("/v1{}", op.template.replace("{regionId}", REGION));
    for (name, value) in path_params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let body = if op.method == "GET" || op.method == "DELETE" {
        Vec::new()
    } else {
        serde_json::to_vec(body).unwrap()
    };
    let host = emulator.local_addr().to_string();
    let date = format_date(SystemTime::now());
    let nonce = uuid::Uuid::new_v4().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("host", host.as_str()),
        ("x-jdcloud-date", date.as_str()),
        ("x-jdcloud-nonce", nonce.as_str()),
    ];
    let authorization = sign(
        SigningAlgorithm::Jdcloud2,
        credentials,
        REGION,
        "vm",
        &SignableRequest {
            method: &op.method,
            path: &path,
            query,
            headers: &headers,
            body: &body,
        },
    )
    .unwrap();
    let mut url = format!("{}{path}", emulator.endpoint());
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(op.method.as_bytes()).unwrap(),
            url,
        )
        .header("content-type", "application/json")
        .header("x-jdcloud-date", date)
        .header("x-jdcloud-nonce", nonce)
        .header("authorization", authorization)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}
