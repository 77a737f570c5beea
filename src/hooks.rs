//! What every call goes through once the generated code has built its request: sign each
//! attempt afresh, send it, classify the answer, retry what is safe, decode a success.
//!
//! Data flows one way: the generated builder makes a `reqwest::Request` (progenitor's code,
//! cut before its hooks: build_support/builders.rs); [`execute`] runs the attempts, [`decode`]
//! reads the answer as the operation's response type; a failure is an [`Error`] from the start.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Instant, SystemTime},
};

use progenitor_client::{ClientInfo, ResponseValue};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument as _;

use crate::{
    classify,
    credentials::Credentials,
    signing::{self, SignableRequest, SigningAlgorithm, SigningKey},
    Client, Error, ErrorKind, RetryConfig,
};

/// The service name in the credential scope.
pub(crate) const SERVICE: &str = "vm";
/// Scope region for a request whose path names none (JD Cloud's global pseudo-region).
const GLOBAL_REGION: &str = "jdcloud-api";
/// Distinct signing keys kept (one per day and region in use).
const KEY_CACHE_SIZE: usize = 16;

/// A clock for the `x-jdcloud-date` header; replaceable so tests can pin a signature.
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;
/// A source of `x-jdcloud-nonce` values; replaceable so tests can pin a signature.
pub(crate) type NonceSource = Arc<dyn Fn() -> String + Send + Sync>;

/// What a [`Client`] carries besides its HTTP client: credentials, signing and retry settings,
/// and the cache of signing keys. Opaque; its `Debug` never shows a secret.
#[derive(Clone)]
pub struct SigningContext(pub(crate) Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) credentials: Credentials,
    /// The token's header value (base64), marked sensitive.
    pub(crate) security_token: Option<HeaderValue>,
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) retry: RetryConfig,
    pub(crate) max_response_bytes: usize,
    pub(crate) clock: Clock,
    /// `None`: a random UUID v4.
    pub(crate) nonce: Option<NonceSource>,
    pub(crate) keys: Mutex<Vec<Arc<SigningKey>>>,
}

impl fmt::Debug for SigningContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        f.debug_struct("SigningContext")
            .field("credentials", &s.credentials)
            .field("algorithm", &s.algorithm)
            .field("retry", &s.retry)
            .field("max_response_bytes", &s.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl SigningContext {
    /// The cached key for (day, region), derived on first use: it depends on nothing else.
    fn key(&self, day: &str, region: &str) -> Arc<SigningKey> {
        let s = &self.0;
        let mut keys = s.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = keys
            .iter()
            .find(|k| k.matches(s.algorithm, day, region, SERVICE))
        {
            return key.clone();
        }
        let key = Arc::new(SigningKey::derive(
            s.algorithm,
            s.credentials.secret_key(),
            day,
            region,
            SERVICE,
        ));
        if keys.len() >= KEY_CACHE_SIZE {
            keys.remove(0);
        }
        keys.push(key.clone());
        key
    }

    /// Adds the date, nonce, host, content type and token headers, then the `Authorization`.
    fn sign(&self, request: &mut reqwest::Request, region: &str) -> Result<(), Error> {
        let s = &self.0;
        let date = signing::format_date((s.clock)());
        let nonce = match &s.nonce {
            Some(source) => source(),
            None => uuid::Uuid::new_v4().to_string(),
        };
        // reqwest adds `host` only when it sends: sign the one it will send, from the URL.
        let host = host_header(request.url());
        let headers = request.headers_mut();
        headers
            .entry(reqwest::header::CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("application/json"));
        headers.insert(reqwest::header::HOST, header_value(&host, "host")?);
        headers.insert(
            HeaderName::from_static(signing::DATE_HEADER),
            header_value(&date, "date")?,
        );
        headers.insert(
            HeaderName::from_static(signing::NONCE_HEADER),
            header_value(&nonce, "nonce")?,
        );
        if let Some(token) = &s.security_token {
            headers.insert(
                HeaderName::from_static(signing::SECURITY_TOKEN_HEADER),
                token.clone(),
            );
        }

        let content_type = request
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        let mut signed = vec![
            ("content-type", content_type),
            ("host", host.as_str()),
            (signing::DATE_HEADER, date.as_str()),
            (signing::NONCE_HEADER, nonce.as_str()),
        ];
        if let Some(token) = s.security_token.as_ref().and_then(|t| t.to_str().ok()) {
            signed.push((signing::SECURITY_TOKEN_HEADER, token));
        }
        let key = self.key(&date[..8], region);
        let authorization = signing::sign_with_key(
            &key,
            s.credentials.access_key(),
            &date,
            &SignableRequest {
                method: request.method().as_str(),
                path: request.url().path(),
                query: request.url().query().unwrap_or(""),
                headers: &signed,
                body: request
                    .body()
                    .and_then(reqwest::Body::as_bytes)
                    .unwrap_or(&[]),
            },
        );
        let mut value = HeaderValue::try_from(authorization)
            .map_err(|_| Error::invalid_input("the access key is not a valid header value"))?;
        // Shown as `Sensitive` by any `Debug` of the request's headers.
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// A header value, or an error naming which.
pub(crate) fn header_value(value: &str, what: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::invalid_input(format!("{what} is not a valid header value")))
}

/// `host[:port]`, the port only when not the scheme's default, as it goes on the wire.
pub(crate) fn host_header(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The region of the scope: the `regionId` path segment after `regions`.
fn region_of(url: &reqwest::Url) -> String {
    let mut segments = url.path().split('/');
    while let Some(segment) = segments.next() {
        if segment == "regions" {
            if let Some(region) = segments.next().filter(|r| !r.is_empty()) {
                return signing::percent_decode(region).into_owned();
            }
        }
    }
    GLOBAL_REGION.to_owned()
}

/// A successful answer, read whole.
pub(crate) struct Answer {
    status: reqwest::StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Sends a request the generated `send()` built: every attempt of the call ([`Client::call`]) in
/// a `jdcloud_vm.call` span. Not generic: one future for every operation; the generated
/// `send()` then decodes the answer with [`decode`] (build_support/builders.rs,
/// `only_build_the_request`).
pub(crate) async fn execute(
    client: &Client,
    request: reqwest::Request,
    operation: &'static str,
) -> Result<Answer, Error> {
    let region = region_of(request.url());
    let span = tracing::debug_span!("jdcloud_vm.call", operation, region = %region);
    // Boxed: the attempts' state is most of a call's future (3.4 KB unboxed, 1.9 KB so), which
    // a caller's task holds and moves: fewer instructions per call 64 in flight (cachegrind,
    // BENCHMARKS.md).
    Box::pin(client.call(request, &region, operation).instrument(span))
        .await
        .map_err(|e| e.with_operation(operation))
}

/// The answer of a call as the operation's response type `T`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    answer: Answer,
    operation: &'static str,
) -> Result<ResponseValue<T>, Error> {
    let status = answer.status.as_u16();
    let failed = |kind, message: String| {
        Err(Error::new(kind)
            .with_status(status)
            .with_message(message)
            .with_request_id(classify::request_id(&answer.headers, &answer.body))
            .with_operation(operation))
    };
    // Every operation of the spec has one success answer, `200` (build.rs checks).
    if answer.status != reqwest::StatusCode::OK {
        return failed(
            classify::kind_for(status, None, ""),
            "an answer the API does not describe".to_owned(),
        );
    }
    match serde_json::from_slice(&answer.body) {
        Ok(inner) => Ok(ResponseValue::new(inner, answer.status, answer.headers)),
        Err(e) => failed(
            ErrorKind::MalformedResponse,
            format!("the answer does not match the API's schema: {e}"),
        ),
    }
}

impl Client {
    /// Every attempt of one call: sign, send, classify, and retry what is safe.
    async fn call(
        &self,
        original: reqwest::Request,
        region: &str,
        operation: &str,
    ) -> Result<Answer, Error> {
        let retry = &self.inner().0.retry;
        // Signing hashes the body, and a retry sends it again: both need it in memory.
        if original
            .body()
            .is_some_and(|body| body.as_bytes().is_none())
        {
            return Err(Error::invalid_input(
                "a streaming body cannot be signed or retried",
            ));
        }
        let mut attempt = 1;
        // Whether an earlier attempt may have reached the service although its answer was lost.
        let mut maybe_applied = false;
        // Kept while another attempt, or the resolution of a lost answer, may need it: the last
        // attempt sends it as it is (with retries off, the only one).
        let mut original = Some(original);
        loop {
            let last = attempt >= retry.get_max_attempts() && !maybe_applied;
            let mut request = match original.take_if(|_| last) {
                Some(request) => request,
                None => original
                    .as_ref()
                    .and_then(reqwest::Request::try_clone)
                    .expect("a body in memory can be cloned"),
            };
            self.inner().sign(&mut request, region)?;
            let span = tracing::debug_span!(
                "jdcloud_vm.attempt",
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                elapsed_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let outcome = self.attempt(request).instrument(span.clone()).await;
            record_attempt(&span, &outcome, started);
            let error = match outcome {
                Ok(answer) => return Ok(answer),
                Err(error) => error,
            };
            let delay = match error.is_retryable() {
                true => retry.delay(attempt, error.retry_after()),
                false => None,
            };
            let Some(delay) = delay else {
                if let Some(original) = original.as_ref().filter(|_| maybe_applied) {
                    if let Some(request_id) =
                        crate::lost_answers::resolve(self, operation, original, &error).await
                    {
                        return Ok(Answer::resolved(&request_id));
                    }
                }
                return Err(error);
            };
            maybe_applied |= may_have_been_applied(&error);
            tracing::debug!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                kind = ?error.kind(),
                "retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt: send, read at most the body limit, classify.
    async fn attempt(&self, request: reqwest::Request) -> Result<Answer, Error> {
        let limit = self.inner().0.max_response_bytes;
        let mut response = self
            .client()
            .execute(request)
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let too_large = || {
            Error::new(ErrorKind::MalformedResponse)
                .with_status(status.as_u16())
                .with_message(format!(
                    "response body larger than the limit of {limit} bytes"
                ))
                .with_request_id(classify::request_id(&headers, b""))
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        // A declared length was checked above; a chunked body is counted as it comes.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e).with_status(status.as_u16()))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        classify::classify(status.as_u16(), &headers, &body)?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

impl Answer {
    /// The success of a call whose own answer was lost, found applied by the describe whose
    /// request id is `request_id`: that id, and an empty `result` (build.rs checks that every
    /// operation with a lost-answer declaration has a result with no required field).
    fn resolved(request_id: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Answer {
            status: reqwest::StatusCode::OK,
            headers,
            body: serde_json::json!({ "requestId": request_id, "result": {} })
                .to_string()
                .into_bytes(),
        }
    }
}

/// Whether a failed attempt may have reached the service: it timed out, or its connection
/// failed after it was opened (a refused connection sent nothing).
fn may_have_been_applied(error: &Error) -> bool {
    let connect = std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<reqwest::Error>())
        .is_some_and(reqwest::Error::is_connect);
    matches!(error.kind(), ErrorKind::Timeout | ErrorKind::Transport) && !connect
}

/// Fills an attempt's span (status, request id, elapsed time) and says how it went.
fn record_attempt(span: &tracing::Span, outcome: &Result<Answer, Error>, started: Instant) {
    if span.is_disabled() {
        return;
    }
    let (status, request_id) = match outcome {
        Ok(answer) => (
            Some(answer.status.as_u16()),
            classify::request_id(&answer.headers, &answer.body),
        ),
        Err(e) => (e.http_status(), e.request_id().map(str::to_owned)),
    };
    if let Some(status) = status {
        span.record("status", status);
    }
    if let Some(id) = request_id {
        span.record("request_id", id.as_str());
    }
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    span.in_scope(|| match outcome {
        Ok(_) => tracing::debug!("attempt succeeded"),
        Err(e) => {
            tracing::debug!(kind = ?e.kind(), retryable = e.is_retryable(), "attempt failed")
        }
    });
}

/// A transport failure: `Timeout` when a limit ran out, else `Transport`. reqwest's error is
/// the cause (without the URL), not repeated in this error's own line.
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    Error::new(kind).with_source(e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_has_the_port_only_when_not_default() {
        let u = |s: &str| reqwest::Url::parse(s).unwrap();
        assert_eq!(
            host_header(&u("https://vm.jdcloud-api.com/v1")),
            "vm.jdcloud-api.com"
        );
        assert_eq!(
            host_header(&u("http://127.0.0.1:8080/v1")),
            "127.0.0.1:8080"
        );
        assert_eq!(host_header(&u("https://h:443/v1")), "h");
        assert_eq!(host_header(&u("http://[::1]:8080/v1")), "[::1]:8080");
        assert_eq!(host_header(&u("http://:pw@h:8080/v1")), "h:8080");
    }

    #[test]
    fn the_region_comes_from_the_path() {
        let u = reqwest::Url::parse(
            "https://h/v1/regions/cn-east-2/instances/i-1:attachNetworkInterface",
        )
        .unwrap();
        assert_eq!(region_of(&u), "cn-east-2");
        let global = reqwest::Url::parse("https://h/v1/instanceTypes").unwrap();
        assert_eq!(region_of(&global), "jdcloud-api");
    }
}
