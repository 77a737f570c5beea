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
    headers, query,
    reply::{self, ApiError},
    route::{self, shorten, Operation},
    service::Service,
    view::{DescribeInstanceResult, DescribeInstancesResult},
};

/// The longest request target (path and query) accepted, in bytes: the real gateway's limit
/// for a URL.
pub(crate) const MAX_URI_BYTES: usize = 8 * 1024;

/// What the handler shares across requests.
pub(crate) struct App {
    pub(crate) gateway: Gateway,
    pub(crate) service: Service,
    pub(crate) log_requests: bool,
    pub(crate) stalls: Stalls,
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

/// A successful outcome.
enum Answer {
    Done,
    Instance(Box<DescribeInstanceResult>),
    Instances(DescribeInstancesResult),
}

pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = reply::new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut operation = None;

    let outcome = serve(&app, request, started, &mut operation).await;
    let response = match &outcome {
        Ok(Answer::Done) => reply::success(&request_id),
        Ok(Answer::Instance(result)) => reply::success_with(&request_id, result),
        Ok(Answer::Instances(result)) => reply::success_with(&request_id, result),
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

    let operation_name = operation.map_or("-", Operation::name);
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
    let route = route::route(&parts.method, parts.uri.path())?;
    *operation = Some(route.operation);
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

    let service = &app.service;
    let region = &route.region_id;
    match route.operation {
        Operation::AttachNetworkInterface => {
            let attach = body::parse_attach(&bytes)?;
            service.attach(
                &caller,
                region,
                route.instance_id(),
                &attach,
                Instant::now(),
            )?;
            Ok(Answer::Done)
        }
        Operation::DetachNetworkInterface => {
            let interface = body::parse_detach(&bytes)?;
            service.detach(
                &caller,
                region,
                route.instance_id(),
                &interface,
                Instant::now(),
            )?;
            Ok(Answer::Done)
        }
        // A GET's body, if any, is signed but means nothing; so does describeInstance's query.
        Operation::DescribeInstance => service
            .describe_instance(region, route.instance_id(), Instant::now())
            .map(|result| Answer::Instance(Box::new(result))),
        Operation::DescribeInstances => {
            let list = query::parse_list(query)?;
            Ok(Answer::Instances(service.describe_instances(
                region,
                &list,
                Instant::now(),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_count_down_per_operation() {
        let stalls = Stalls::default();
        let second = Duration::from_secs(1);
        stalls.set(Operation::AttachNetworkInterface, 2, second);
        assert_eq!(stalls.take(Operation::DetachNetworkInterface), None);
        assert_eq!(stalls.take(Operation::AttachNetworkInterface), Some(second));
        assert_eq!(stalls.take(Operation::AttachNetworkInterface), Some(second));
        assert_eq!(stalls.take(Operation::AttachNetworkInterface), None);
        stalls.set(Operation::DescribeInstance, 5, second);
        stalls.set(Operation::DescribeInstance, 0, second);
        assert_eq!(stalls.take(Operation::DescribeInstance), None);
    }
}
