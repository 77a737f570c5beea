//! One classification of an HTTP answer: success, or which [`ErrorKind`] of failure.
//!
//! Used by the retry loop (to decide whether to try again) and for the final error alike, so
//! the two can never disagree. Works from the raw status, headers and body bytes: an HTML page
//! from a proxy, an empty body or a truncated one are classified, never a panic.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::{Error, ErrorKind};

/// The response header carrying the request id when the body has none.
pub const REQUEST_ID_HEADER: &str = "x-jdcloud-request-id";

/// The part of any JD Cloud answer that tells success from failure. The request id is read
/// only for a failure (see [`request_id`]): a success then allocates nothing here.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Classifies an answer: `Ok(())` for a success, else the error it carries.
///
/// A JSON body with a non-null `error` object is an error whatever the HTTP status.
pub fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
    let envelope = serde_json::from_slice::<Envelope>(body).ok();
    let success = (200..300).contains(&status);
    if success && envelope.as_ref().is_some_and(|e| e.error.is_none()) {
        return Ok(());
    }

    let Some(envelope) = envelope else {
        let header_request_id = header_request_id(headers);
        if success {
            return Err(Error::new(ErrorKind::MalformedResponse)
                .with_status(status)
                .with_message(describe_unparsable(body))
                .with_request_id(header_request_id));
        }
        let kind = kind_for(status, None, "");
        return Err(Error::new(kind)
            .with_status(status)
            .with_message(describe_unparsable(body))
            .with_request_id(header_request_id)
            .with_retry_after(retry_after(headers)));
    };

    let request_id = request_id(headers, body);
    match envelope.error {
        None => Err(Error::new(kind_for(status, None, ""))
            .with_status(status)
            .with_request_id(request_id)
            .with_retry_after(retry_after(headers))),
        Some(error) => {
            // A 200 carrying an error: the body's own `code` says which status it means.
            let effective = if success {
                error
                    .code
                    .as_ref()
                    .and_then(serde_json::Value::as_u64)
                    .and_then(|c| u16::try_from(c).ok())
                    .filter(|c| *c >= 400)
                    .unwrap_or(status)
            } else {
                status
            };
            let message = error.message.unwrap_or_default();
            let kind = kind_for(effective, error.status.as_deref(), &message);
            let mut e = Error::new(kind)
                .with_status(status)
                .with_request_id(request_id)
                .with_retry_after(retry_after(headers));
            if let Some(code) = error.status {
                e = e.with_code(printable(code));
            }
            if !message.is_empty() {
                e = e.with_message(message);
            }
            Err(e)
        }
    }
}

/// The request id of an answer: the body's `requestId`, else the `x-jdcloud-request-id` header.
pub(crate) fn request_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        #[serde(rename = "requestId", default)]
        request_id: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Id>(body)
        .ok()
        .and_then(|b| b.request_id)
    {
        Some(serde_json::Value::String(id)) if !id.is_empty() => Some(printable(id)),
        _ => header_request_id(headers),
    }
}

/// A code or request id from a body, which an error's one-line `Display` shows as it is:
/// control characters (a `\r` in a status, found by fuzzing) become spaces, so that no server
/// can break the line, or forge another one in a log. Messages keep theirs: `Display` folds
/// them, and a multi-line message may be worth reading as sent.
fn printable(text: String) -> String {
    if text.contains(char::is_control) {
        text.replace(char::is_control, " ")
    } else {
        text
    }
}

fn header_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A documented error of the spec (generated into `crate::error::DOCUMENTED` by build.rs).
pub(crate) struct Documented {
    pub(crate) kind: ErrorKind,
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    /// As the doc writes it: `xx` marks a variable part.
    pub(crate) message: &'static str,
    pub(crate) retryable: bool,
}

/// The kind for a status, the body's `error.status` and `error.message`: a documented error of
/// the spec when one matches all three, else by code, else by status.
pub(crate) fn kind_for(status: u16, code: Option<&str>, message: &str) -> ErrorKind {
    use ErrorKind::*;
    if let Some(code) = code {
        let documented = crate::error::DOCUMENTED
            .iter()
            .find(|d| d.status == status && d.code == code && message_matches(d.message, message));
        if let Some(d) = documented {
            return d.kind;
        }
    }
    match code {
        Some("FAILED_PRECONDITION") => return FailedPrecondition,
        Some("NOT_FOUND") => return NotFound,
        Some("ACCESS_ERROR" | "UNAUTHENTICATED") => return Unauthenticated,
        Some("PERMISSION_DENIED" | "FORBIDDEN") => return PermissionDenied,
        Some("RATE_LIMIT" | "HTTP_RATE_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED") if status == 429 => {
            return Throttled
        }
        Some("UNAVAILABLE") => return ServiceUnavailable,
        // A quota is not a rate: another attempt fails the same way.
        Some("QUOTA_EXCEEDED") => return QuotaExceeded,
        _ => {}
    }
    match status {
        401 => Unauthenticated,
        403 => PermissionDenied,
        404 => NotFound,
        429 => Throttled,
        500..=599 => ServiceUnavailable,
        400..=499 => InvalidArgument,
        // An answer outside 2xx/4xx/5xx (a 3xx the client did not follow, a 1xx): not JD Cloud's.
        _ => MalformedResponse,
    }
}

/// Whether `message` is the documented `pattern`, in which a word `xx` or `xxx` stands for any
/// text (the doc's `Instance 'xx' not found.`). Pages write one error several ways, so case,
/// quotes, surrounding white space and a final period do not count, and a placeholder at the
/// end may stand for nothing (`Conflict with underlay task`).
pub(crate) fn message_matches(pattern: &str, message: &str) -> bool {
    let message = comparable(message);
    let pattern = comparable(pattern);
    let parts: Vec<&str> = split_on_placeholders(&pattern)
        .into_iter()
        .map(str::trim)
        .collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return message == first;
    }
    if message.len() < first.len() + last.len()
        || !message.starts_with(first)
        || !message.ends_with(last)
    {
        return false;
    }
    let mut between = &message[first.len()..message.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match between.find(part) {
            Some(at) => between = &between[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Lower case, without quotes, surrounding white space or a final period.
fn comparable(text: &str) -> String {
    let text = text.to_ascii_lowercase().replace(['\'', '"'], "");
    text.trim().trim_end_matches('.').trim_end().to_owned()
}

/// The fixed parts of a pattern, between the placeholder words `xx` and `xxx`.
fn split_on_placeholders(pattern: &str) -> Vec<&str> {
    let bytes = pattern.as_bytes();
    let word = |i: usize| i < bytes.len() && bytes[i].is_ascii_alphanumeric();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(at) = pattern[i..].find("xx").map(|at| at + i) {
        let end = if bytes.get(at + 2) == Some(&b'x') {
            at + 3
        } else {
            at + 2
        };
        if (at == 0 || !word(at - 1)) && !word(end) {
            parts.push(&pattern[start..at]);
            start = end;
        }
        i = end;
    }
    parts.push(&pattern[start..]);
    parts
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn describe_unparsable(body: &[u8]) -> String {
    if body.is_empty() {
        "empty response body".to_owned()
    } else if std::str::from_utf8(body).is_err() {
        format!("response body of {} bytes is not UTF-8", body.len())
    } else {
        format!(
            "response body of {} bytes is not a JD Cloud JSON answer",
            body.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> Error {
        classify(status, &HeaderMap::new(), body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_200_with_an_error_object_is_an_error() {
        let e = err(
            200,
            r#"{"requestId":"r1","error":{"code":400,"status":"FAILED_PRECONDITION","message":"Invalid instance status stopping"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus);
        assert_eq!(e.http_status(), Some(200));
        assert_eq!(e.request_id(), Some("r1"));
    }

    #[test]
    fn a_200_with_a_null_error_is_a_success() {
        assert!(classify(200, &HeaderMap::new(), br#"{"requestId":"r","error":null}"#).is_ok());
    }

    #[test]
    fn an_html_502_is_service_unavailable_with_the_header_request_id() {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID_HEADER, "hdr-id".parse().unwrap());
        let e = classify(502, &h, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
        assert_eq!(e.http_status(), Some(502));
        assert_eq!(e.request_id(), Some("hdr-id"));
    }

    #[test]
    fn truncated_json_on_200_is_malformed() {
        assert_eq!(
            err(200, r#"{"requestId":"r"#).kind(),
            ErrorKind::MalformedResponse
        );
    }

    #[test]
    fn gateway_errors_are_classified_by_status() {
        assert_eq!(
            err(401, r#"{"requestId":"r","error":{"code":401,"status":"ACCESS_ERROR","message":"sign result is not same [gw]"}}"#).kind(),
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            err(429, r#"{"requestId":"r","error":{"code":429,"status":"HTTP_RATE_LIMIT_EXCEEDED","message":"slow down"}}"#).kind(),
            ErrorKind::Throttled
        );
        assert_eq!(err(503, "").kind(), ErrorKind::ServiceUnavailable);
        assert_eq!(err(504, "oops").kind(), ErrorKind::ServiceUnavailable);
        assert_eq!(err(403, "").kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn documented_messages_match_with_their_variable_parts() {
        assert!(message_matches(
            "Instance 'xx' not found.",
            "Instance 'i-abc' not found."
        ));
        assert!(!message_matches(
            "Instance 'xx' not found.",
            "Instance 'i-abc' not found. Or is it"
        ));
        assert!(!message_matches(
            "Instance 'xx' not found.",
            "NetworkInterface 'p' not found."
        ));
        assert!(message_matches(
            "Conflict with underlay task xx",
            "Conflict with underlay task t-1"
        ));
        assert!(message_matches(
            "Conflict with underlay task xx",
            "conflict with underlay task"
        ));
        assert!(message_matches(
            "ElasticIp 'xx' and instance are not in the same az",
            "ElasticIp 'fip-1' and instance are not in the same az"
        ));
        assert!(message_matches(
            "PageSize out of range",
            "PageSize out of range"
        ));
        assert!(!message_matches(
            "PageSize out of range",
            "PageSize out of range!"
        ));
        // `xx` inside a word is text, not a placeholder.
        assert!(!message_matches("0xxff", "0abff"));
    }

    #[test]
    fn one_error_written_several_ways_matches_each_way() {
        // A final period, quotes and case do not count; `xxx` is a placeholder too.
        assert!(message_matches(
            "Instance 'xx' not found",
            "Instance 'i-abc' not found."
        ));
        assert!(message_matches(
            "Instance 'xx' not found.",
            "Instance i-abc not found"
        ));
        assert!(message_matches(
            "ElasticIpId xxx not found",
            "ElasticIpId fip-1 not found"
        ));
        assert!(message_matches(
            "KeyPair 'xx' not found",
            "Keypair 'k1' not found"
        ));
        assert!(message_matches(
            "Conflict with underlay task 'xx'",
            "Conflict with underlay task"
        ));
        assert!(!message_matches(
            "Conflict with underlay task 'xx'",
            "Conflict with underlay image task 'img-1'"
        ));
    }

    #[test]
    fn a_quota_error_is_no_throttling_and_not_retried() {
        let e = err(
            429,
            r#"{"requestId":"r","error":{"code":429,"status":"QUOTA_EXCEEDED","message":"Some quota we never documented"}}"#,
        );
        assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
        assert!(!e.is_retryable());
        assert_eq!(e.request_id(), Some("r"));
    }

    #[test]
    fn an_undocumented_message_falls_back_to_its_code_then_its_status() {
        let kind = |s, c, m| kind_for(s, Some(c), m);
        assert_eq!(
            kind(400, "FAILED_PRECONDITION", "something new"),
            ErrorKind::FailedPrecondition
        );
        assert_eq!(
            kind(404, "NOT_FOUND", "NetworkInterface 'p' not found."),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(500, "INTERNAL", "another text"),
            ErrorKind::ServiceUnavailable
        );
        assert_eq!(kind_for(418, None, ""), ErrorKind::InvalidArgument);
    }

    #[test]
    fn retry_after_reads_seconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
    }
}
