//! Faults on demand, for any operation: answers held back ([`Emulator::stall_next_replies`])
//! and documented refusals ([`Emulator::fail_next`]), from Rust or over HTTP for clients in
//! other languages:
//!
//! ```text
//! POST /__emulator/faults
//! {"operation": "createInstances", "count": 1, "error": "InternalServerError"}
//! {"operation": "createInstances", "count": 1, "stall_ms": 30000}
//! ```
//!
//! The endpoint is the emulator's own, not JD Cloud's: it takes no signature. It answers
//! `{"requestId": …}`, or `400 INVALID_ARGUMENT` naming an unknown operation or error (with
//! the names the operation documents).
//!
//! [`Emulator::stall_next_replies`]: crate::Emulator::stall_next_replies
//! [`Emulator::fail_next`]: crate::Emulator::fail_next

use std::time::Duration;

use axum::{extract::Request, http::Method, http::StatusCode};
use serde::Deserialize;

use crate::{handlers::App, reply::ApiError, spec::spec};

/// The path of the fault endpoint.
pub(crate) const PATH: &str = "/__emulator/faults";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    operation: String,
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    stall_ms: Option<u64>,
}

fn one() -> usize {
    1
}

/// The operation of a name, as the spec has it.
pub(crate) fn operation(name: &str) -> Result<&'static str, String> {
    spec().op(name).map(|op| op.name.as_str()).ok_or_else(|| {
        format!(
            "unknown operation {name:?}; the emulator serves {} operations, e.g. {}",
            spec().ops.len(),
            spec()
                .ops
                .iter()
                .take(5)
                .map(|op| op.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The documented error `error` of `operation`, as JD Cloud answers it: the doc's `xx`
/// placeholders filled in.
pub(crate) fn documented(operation: &str, error: &str) -> Result<ApiError, String> {
    let op = spec()
        .op(operation)
        .ok_or_else(|| format!("unknown operation {operation:?}"))?;
    let doc = spec().error(op, error).ok_or_else(|| {
        format!(
            "{operation} documents no error {error:?}; it documents {}",
            spec().error_names(op).join(", ")
        )
    })?;
    let message = doc
        .message
        .replace("'xx'", "'emulator-fault'")
        .replace("xxx", "emulator-fault")
        .replace("xx", "emulator-fault");
    let status = Box::leak(doc.status.into_boxed_str());
    Ok(ApiError::new(
        StatusCode::from_u16(doc.http).unwrap_or(StatusCode::BAD_REQUEST),
        status,
        message,
    ))
}

/// `POST /__emulator/faults`.
pub(crate) async fn serve(
    app: &App,
    request: Request,
) -> Result<Option<serde_json::Value>, ApiError> {
    if request.method() != Method::POST {
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("use POST {PATH}"),
        );
        e.allow = Some("POST".into());
        return Err(e);
    }
    let (parts, body) = request.into_parts();
    let bytes = crate::body::read(&parts.headers, body).await?;
    let plan: Plan = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid_argument(format!("Malformed fault plan: {e}")))?;
    let op = operation(&plan.operation).map_err(ApiError::invalid_argument)?;
    match (&plan.error, plan.stall_ms) {
        (Some(error), None) => {
            let error = documented(op, error).map_err(ApiError::invalid_argument)?;
            app.faults.set(op, plan.count, error);
        }
        (None, Some(ms)) => app.stalls.set(op, plan.count, Duration::from_millis(ms)),
        _ => {
            return Err(ApiError::invalid_argument(
                "A fault plan has either \"error\" (a documented error's name) or \"stall_ms\"",
            ))
        }
    }
    Ok(None)
}
