//! The one HTTP handler: route, read the body, pass the gateway, run the service, answer,
//! log.
//!
//! It takes every request (as axum's fallback) because the action path cannot be matched by
//! axum's router (see [`super::route`]), and because every answer, a 404 included, must be
//! in JD Cloud's format with a request id.

use std::{
    sync::Arc,
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
};

use super::{
    body,
    gateway::{Gateway, Incoming},
    headers,
    reply::{self, ApiError},
    route::{self, shorten},
    service::Service,
};

/// What the handler shares across requests.
pub(crate) struct App {
    pub(crate) gateway: Gateway,
    pub(crate) service: Service,
    pub(crate) log_requests: bool,
}

pub(crate) async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let request_id = reply::new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let outcome = serve(&app, request, started).await;
    let response = match &outcome {
        Ok(()) => reply::success(&request_id),
        Err(error) => reply::failure(&request_id, error),
    };

    if app.log_requests {
        // One line per request; never the headers, which carry the signature.
        let elapsed = started.elapsed();
        let detail = match &outcome {
            Ok(()) => String::new(),
            Err(e) => format!(" {} {:?}", e.status, e.message),
        };
        eprintln!(
            "{method} {} {}{detail} request_id={request_id} {:.1}ms",
            shorten(&path),
            response.status().as_u16(),
            elapsed.as_secs_f64() * 1000.0
        );
    }
    tracing::debug!(
        target: "jdcloud_vm::emulator",
        %method,
        path = %shorten(&path),
        status = response.status().as_u16(),
        request_id = %request_id,
        "request"
    );
    response
}

async fn serve(app: &App, request: Request, now: Instant) -> Result<(), ApiError> {
    let (parts, body) = request.into_parts();
    headers::check_size(&parts.headers)?;
    let route = route::route(&parts.method, parts.uri.path())?;
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
    let caller = app.gateway.authenticate(
        &Incoming {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &bytes,
        },
        now_unix,
        now,
    )?;

    let attach = body::parse_attach(&bytes)?;
    app.service.attach(
        &caller,
        &route.region_id,
        &route.instance_id,
        &attach,
        Instant::now(),
    )
}
