//! The one HTTP handler: route, read the body, pass the gateway, run the service, answer
//! (or hold the answer, when told to stall it), log.
//!
//! It takes every request (as axum's fallback) because the action path cannot be matched by
//! axum's router (see [`crate::route`]), and because every answer, a 404 included, must be
//! in JD Cloud's format with a request id.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
};
use tokio::sync::watch;

use crate::{
    body,
    gateway::{Gateway, Incoming},
    headers, input,
    reply::{self, ApiError},
    route::shorten,
    service::Service,
    spec::spec,
};

/// An operation, by the name JD Cloud gives it.
type Operation = &'static str;

/// The longest request target (path and query) accepted, in bytes: the real gateway's limit
/// for a URL.
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;

/// What the handler shares across requests.
pub(crate) struct App {
    pub(crate) gateway: Gateway,
    pub(crate) service: Service,
    pub(crate) log_requests: bool,
    pub(crate) stalls: Stalls,
    pub(crate) faults: Faults,
    /// Turns true when the emulator stops: held answers are sent at once.
    pub(crate) stopping: watch::Sender<bool>,
}

/// Answers to hold back, by operation: how many more, and for how long each.
#[derive(Default)]
pub(crate) struct Stalls {
    plans: Mutex<HashMap<Operation, (usize, Duration)>>,
}

impl Stalls {
    /// Holds the answers to the next `count` requests of `operation` for `delay` each,
    /// replacing what was planned for it before; a `count` of 0 holds none.
    pub(crate) fn set(&self, operation: Operation, count: usize, delay: Duration) {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if count == 0 {
            plans.remove(&operation);
        } else {
            plans.insert(operation, (count, delay));
        }
    }

    /// How long to hold this answer to `operation`, counting it.
    fn take(&self, operation: Operation) -> Option<Duration> {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        let (remaining, delay) = plans.get_mut(&operation)?;
        let delay = *delay;
        *remaining -= 1;
        if *remaining == 0 {
            plans.remove(&operation);
        }
        Some(delay)
    }
}

/// Refusals to make, by operation: how many more, and with which documented error.
#[derive(Default)]
pub(crate) struct Faults {
    plans: Mutex<HashMap<Operation, (usize, ApiError)>>,
}

impl Faults {
    /// Refuses the next `count` requests of `operation` with `error`, replacing what was
    /// planned for it before; a `count` of 0 refuses none.
    pub(crate) fn set(&self, operation: Operation, count: usize, error: ApiError) {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if count == 0 {
            plans.remove(&operation);
        } else {
            plans.insert(operation, (count, error));
        }
    }

    fn take(&self, operation: Operation) -> Option<ApiError> {
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        let (remaining, error) = plans.get_mut(&operation)?;
        let error = error.clone();
        *remaining -= 1;
        if *remaining == 0 {
            plans.remove(&operation);
        }
        Some(error)
    }
}

/// A successful outcome: the `result`, if the operation has one.
type Answer = Option<serde_json::Value>;

pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = reply::new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut operation = None;

    let outcome = if request.uri().path() == crate::faults::PATH {
        crate::faults::serve(&app, request).await
    } else {
        serve(&app, request, started, &mut operation).await
    };
    let response = match &outcome {
        Ok(None) => reply::success(&request_id),
        Ok(Some(result)) => reply::success_with(&request_id, result),
        Err(error) => reply::failure(&request_id, error),
    };

    // The request is applied; its answer may be held back, as a network losing it would.
    let held = match operation.and_then(|op| app.stalls.take(op)) {
        Some(delay) => {
            let mut stopping = app.stopping.subscribe();
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stopping.wait_for(|stop| *stop) => {}
            }
            Some(delay)
        }
        None => None,
    };

    let operation_name = operation.unwrap_or("-");
    if app.log_requests {
        // One line per request; never the headers, which carry the signature.
        let elapsed = started.elapsed();
        let detail = match &outcome {
            Ok(_) => String::new(),
            Err(e) => format!(" {} {:?}", e.status, e.message),
        };
        let held = held.map_or(String::new(), |d| {
            format!(" (answer held {:.0}ms)", d.as_secs_f64() * 1000.0)
        });
        eprintln!(
            "{operation_name} {method} {} {}{detail} request_id={request_id} {:.1}ms{held}",
            shorten(&path),
            response.status().as_u16(),
            elapsed.as_secs_f64() * 1000.0
        );
    }
    tracing::debug!(
        target: "jdcloud_vm::emulator",
        operation = operation_name,
        %method,
        path = %shorten(&path),
        status = response.status().as_u16(),
        request_id = %request_id,
        held_ms = held.map(|d| d.as_millis() as u64),
        "request"
    );
    response
}

async fn serve(
    app: &App,
    request: Request,
    now: Instant,
    operation: &mut Option<Operation>,
) -> Result<Answer, ApiError> {
    let (parts, body) = request.into_parts();
    headers::check_size(&parts.headers)?;
    let target = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target > MAX_URI_BYTES {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "INVALID_ARGUMENT",
            format!("Request URI is longer than {MAX_URI_BYTES} bytes"),
        ));
    }
    let spec = spec();
    let (op, path) = spec.route(&parts.method, parts.uri.path())?;
    *operation = Some(op.name.as_str());
    let bytes = body::read(&parts.headers, body).await?;

    let now_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal server error",
            )
        })?;
    let query = parts.uri.query().unwrap_or("");
    let caller = app.gateway.authenticate(
        &Incoming {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query,
            headers: &parts.headers,
            body: &bytes,
        },
        now_unix,
        now,
    )?;
    // A refusal planned by `fail_next`: the request is not applied.
    if let Some(error) = app.faults.take(op.name.as_str()) {
        return Err(error);
    }
    let args = input::read(spec, op, &path, query, &bytes)?;
    let answer = app.service.call(op, &caller, &args, Instant::now())?;
    // In tests (debug builds), every answer is held to the spec's schema of its result: a
    // behaviour that answers a field of the wrong type shows as a 500 naming it.
    if cfg!(debug_assertions) {
        if let (Some(result), Some(schema)) = (&answer, &op.result) {
            input::check(spec, result, schema, "result").map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    format!(
                        "emulator bug: the answer of {} is not what the spec says: {}",
                        op.name, e.message
                    ),
                )
            })?;
        }
    }
    // And the SDK's generated type of the result must read it. The answer is served as the
    // behaviour wrote it, not re-serialised from that type: the generated types leave out
    // empty lists, which JD Cloud sends (`"instances": []`) and other languages' clients index.
    if cfg!(debug_assertions) {
        if let Some(Err(e)) = answer.as_ref().and_then(|r| typed_result(&op.name, r)) {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                format!(
                    "emulator bug: the SDK's type cannot read the answer of {}: {e}",
                    op.name
                ),
            ));
        }
    }
    Ok(answer)
}

/// Reads a result into the SDK's generated type of the operation's result: `None` for an
/// operation whose answer has no result type.
macro_rules! typed_results {
    ($(($name:literal, $ty:ident)),* $(,)?) => {
        fn typed_result(
            operation: &str,
            result: &serde_json::Value,
        ) -> Option<Result<(), serde_json::Error>> {
            use serde::Deserialize as _;
            match operation {
                $($name => Some(jdcloud_vm::types::$ty::deserialize(result).map(drop)),)*
                _ => None,
            }
        }
    };
}
jdcloud_vm::__operations_with_results!(typed_results);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_count_down_per_operation() {
        let stalls = Stalls::default();
        let second = Duration::from_secs(1);
        stalls.set("attachNetworkInterface", 2, second);
        assert_eq!(stalls.take("detachNetworkInterface"), None);
        assert_eq!(stalls.take("attachNetworkInterface"), Some(second));
        assert_eq!(stalls.take("attachNetworkInterface"), Some(second));
        assert_eq!(stalls.take("attachNetworkInterface"), None);
        stalls.set("describeInstance", 5, second);
        stalls.set("describeInstance", 0, second);
        assert_eq!(stalls.take("describeInstance"), None);
    }
}
