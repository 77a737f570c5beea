//! Answers in JD Cloud's format: `{"requestId": …}` on success (`{"requestId": …, "result":
//! …}` for an operation with a result), `{"requestId": …, "error": {"code": HTTP, "status": …,
//! "message": …}}` otherwise, and the request id in the `x-jdcloud-request-id` header of every
//! answer.

use std::time::Duration;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use jdcloud_vm::REQUEST_ID_HEADER;

/// A refusal, by the gateway or the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) http: StatusCode,
    pub(crate) status: &'static str,
    pub(crate) message: String,
    /// Sent as `Retry-After` (whole seconds, rounded up).
    pub(crate) retry_after: Option<Duration>,
    /// Sent as `Allow`, for 405.
    pub(crate) allow: Option<String>,
}

impl ApiError {
    pub(crate) fn new(http: StatusCode, status: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            http,
            status,
            message: message.into(),
            retry_after: None,
            allow: None,
        }
    }

    /// A gateway refusal: 401 `ACCESS_ERROR`.
    pub(crate) fn access(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "ACCESS_ERROR", message)
    }

    /// 400 `FAILED_PRECONDITION`.
    pub(crate) fn precondition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "FAILED_PRECONDITION", message)
    }

    /// 400 `INVALID_ARGUMENT`.
    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", message)
    }

    /// 404 `NOT_FOUND`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
}

/// A fresh request id: 32 lower-case letters and digits, like the gateway's
/// (`c2hmmaan8w06w19qcdfuic4w03f7ft2d`).
pub(crate) fn new_request_id() -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..32)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// The body of an answer; a struct rather than `json!` so that fields keep the gateway's order.
#[derive(Serialize)]
struct Body<'a, R: Serialize = ()> {
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a R>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    status: &'a str,
    message: &'a str,
}

/// The success answer of an action without a result.
pub(crate) fn success(request_id: &str) -> Response {
    json(
        StatusCode::OK,
        request_id,
        Body::<()> {
            request_id,
            error: None,
            result: None,
        },
    )
}

/// The success answer of an operation with a result.
pub(crate) fn success_with<R: Serialize>(request_id: &str, result: &R) -> Response {
    json(
        StatusCode::OK,
        request_id,
        Body {
            request_id,
            error: None,
            result: Some(result),
        },
    )
}

/// The error answer.
pub(crate) fn failure(request_id: &str, error: &ApiError) -> Response {
    let mut response = json(
        error.http,
        request_id,
        Body::<()> {
            request_id,
            error: Some(ErrorBody {
                code: error.http.as_u16(),
                status: error.status,
                message: &error.message,
            }),
            result: None,
        },
    );
    if let Some(wait) = error.retry_after {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    if let Some(allow) = error
        .allow
        .as_deref()
        .and_then(|a| HeaderValue::from_str(a).ok())
    {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

fn json<R: Serialize>(status: StatusCode, request_id: &str, body: Body<'_, R>) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    // The id is made of letters and digits only, so it is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_look_like_the_gateways() {
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(id, new_request_id());
    }

    #[test]
    fn error_bodies_keep_the_gateways_field_order() {
        let error = ApiError::access("lack of header authorization[gw]");
        let response = failure("abc", &error);
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[REQUEST_ID_HEADER], "abc");
        let body = serde_json::to_string(&Body::<()> {
            request_id: "abc",
            error: Some(ErrorBody {
                code: 401,
                status: error.status,
                message: &error.message,
            }),
            result: None,
        })
        .unwrap();
        assert_eq!(
            body,
            r#"{"requestId":"abc","error":{"code":401,"status":"ACCESS_ERROR","message":"lack of header authorization[gw]"}}"#
        );
    }

    #[test]
    fn results_follow_the_request_id() {
        #[derive(Serialize)]
        struct R {
            n: u8,
        }
        let body = serde_json::to_string(&Body {
            request_id: "abc",
            error: None,
            result: Some(&R { n: 1 }),
        })
        .unwrap();
        assert_eq!(body, r#"{"requestId":"abc","result":{"n":1}}"#);
        assert_eq!(success_with("abc", &R { n: 1 }).status(), StatusCode::OK);
    }
}
