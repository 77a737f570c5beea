//! Building a [`Client`], and the hooks that sign, send, classify and retry every request.
//!
//! Data flows one way: the generated builder makes a `reqwest::Request`; [`ClientHooks::exec`]
//! signs each attempt afresh, sends it, classifies the answer and retries what is safe; the
//! generated code then decodes a success, and a failure reaches the caller as [`Error`].

use std::{
    borrow::Cow,
    cell::RefCell,
    fmt,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use base64::Engine as _;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{
    header::{HeaderMap, HeaderName, HeaderValue},
    ResponseBuilderExt as _,
};
use tracing::Instrument as _;

use crate::{
    classify,
    credentials::Credentials,
    meta,
    signing::{self, SignableRequest, SigningAlgorithm, SigningKey},
    Client, Error, ErrorKind, RetryConfig,
};

/// The service name in the credential scope.
const SERVICE: &str = "vm";
/// Scope region for a request whose path names none (JD Cloud's global pseudo-region).
const GLOBAL_REGION: &str = "jdcloud-api";
/// Distinct signing keys kept (one per day and region in use).
const KEY_CACHE_SIZE: usize = 16;
/// Header names as constants, so that no request parses them again.
const DATE_HEADER: HeaderName = HeaderName::from_static(signing::DATE_HEADER);
const NONCE_HEADER: HeaderName = HeaderName::from_static(signing::NONCE_HEADER);
const SECURITY_TOKEN_HEADER: HeaderName = HeaderName::from_static(signing::SECURITY_TOKEN_HEADER);
/// Status of the stand-in response that carries a failure through progenitor to [`Error`]:
/// outside 2xx/4xx/5xx, so the generated code passes it on untouched as `UnexpectedResponse`.
const FAILURE_STATUS: u16 = 999;

/// The default per-attempt timeout, as the official SDKs use.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// A clock for the `x-jdcloud-date` header; replaceable so tests can pin a signature.
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;
/// A source of `x-jdcloud-nonce` values; replaceable so tests can pin a signature.
pub(crate) type NonceSource = Arc<dyn Fn() -> String + Send + Sync>;

/// Builds a [`Client`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use jdcloud_vm::{Client, Credentials, RetryConfig};
///
/// let client = Client::builder()
///     .credentials(Credentials::new("AK", "SK"))
///     .endpoint("http://127.0.0.1:8080/")
///     .timeout(Duration::from_secs(5))
///     .retry(RetryConfig::standard().max_attempts(5))
///     .build()?;
/// # Ok::<(), jdcloud_vm::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    endpoint: Option<String>,
    algorithm: SigningAlgorithm,
    retry: RetryConfig,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    clock: Option<Clock>,
    nonce: Option<NonceSource>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint)
            .field("algorithm", &self.algorithm)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            credentials: None,
            endpoint: None,
            algorithm: SigningAlgorithm::default(),
            retry: RetryConfig::standard(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clock: None,
            nonce: None,
        }
    }
}

impl ClientBuilder {
    /// The credentials to sign with. Required.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// `scheme://host[:port]`, no path; the spec's base path (`/v1`) is appended, and a
    /// trailing `/` is tolerated. Default `https://vm.jdcloud-api.com`; inside a VPC,
    /// `http://vm.internal.<region>.jdcloud-api.com`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The signing algorithm; default [`SigningAlgorithm::Jdcloud2`].
    pub fn signing_algorithm(mut self, algorithm: SigningAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// How failed attempts are retried; default [`RetryConfig::standard()`].
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The limit on each attempt, from sending to the last byte of the answer; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The limit on opening a connection; default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body read; a larger one is
    /// [`ErrorKind::MalformedResponse`] and is read no further. Default 16 MiB.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Replaces the clock that dates each attempt (for tests that pin a signature).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Replaces the source of nonces, one per attempt (for tests that pin a signature).
    /// The default is a random UUID v4; never reuse a nonce against the real gateway.
    pub fn nonce_source(mut self, nonce: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.nonce = Some(Arc::new(nonce));
        self
    }

    /// Builds the client: [`ErrorKind::InvalidInput`] when credentials are missing or the
    /// endpoint does not parse.
    ///
    /// TLS needs nothing from the application and changes nothing in it: it is reqwest's own.
    /// With the `rustls` feature (the default), reqwest's `rustls` (rustls with its aws-lc-rs
    /// provider, or the process-wide default provider if the application installed one, and
    /// the platform's certificate verifier); with `native-tls` (alone or with `rustls`), the
    /// platform's TLS library.
    pub fn build(self) -> Result<Client, Error> {
        let credentials = self.credentials.ok_or_else(|| {
            Error::invalid_input(
                "client: no credentials (call ClientBuilder::credentials, or use Client::from_env)",
            )
        })?;
        let (origin, host) =
            normalise_endpoint(self.endpoint.as_deref().unwrap_or(meta::DEFAULT_ENDPOINT))?;
        let security_token = credentials.security_token().map(|token| {
            let mut value =
                HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(token))
                    .expect("base64 is a valid header value");
            // Shown as `Sensitive` by any `Debug` of the request's headers.
            value.set_sensitive(true);
            value
        });
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(user_agent())
            // A redirect would re-send a signature made for another path or host: refuse them;
            // a 3xx then comes back as an error.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::invalid_input("client: cannot build the HTTP client").with_source(e)
            })?;
        let base_url = format!("{origin}{}", meta::BASE_PATH);
        let host_value = header_value(&host, "host")?;
        let context = SigningContext(Arc::new(Shared {
            credentials,
            security_token,
            host: (host, host_value),
            algorithm: self.algorithm,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
            nonce: self.nonce,
            keys: Mutex::new(Vec::new()),
        }));
        Ok(Client::new_with_client(&base_url, http, context))
    }
}

/// `JdcloudSdkRust/<crate version> vm/<api version>`, in the form of JD Cloud's other SDKs.
pub fn user_agent() -> String {
    format!(
        "JdcloudSdkRust/{} {SERVICE}/{}",
        env!("CARGO_PKG_VERSION"),
        meta::API_VERSION
    )
}

/// Checks an endpoint and returns it as `scheme://host[:port]`, and its `host` header.
fn normalise_endpoint(endpoint: &str) -> Result<(String, String), Error> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    // An endpoint may carry `user:password@`: never echo those.
    let shown = if endpoint.contains('@') {
        "(not shown: it contains user info)"
    } else {
        endpoint
    };
    let bad = |why: &str| Error::invalid_input(format!("endpoint {shown:?}: {why}"));
    let url = reqwest::Url::parse(trimmed).map_err(|e| bad(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(bad(
            "give scheme://host[:port] only; the API's base path is added",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("give scheme://host[:port] only"));
    }
    Ok((
        url.as_str().trim_end_matches('/').to_owned(),
        host_header(&url).into_owned(),
    ))
}

impl Client {
    /// A builder for a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: credentials by [`Credentials::from_env`], else
    /// [`Credentials::from_profile(None)`](Credentials::from_profile); the endpoint from
    /// `JDCLOUD_ENDPOINT` when set.
    pub fn from_env() -> Result<Client, Error> {
        // A half-set pair in the environment is a mistake to report, not a reason to fall back.
        let credentials = match Credentials::from_env_if_set()? {
            Some(c) => c,
            None => Credentials::from_profile(None).map_err(|profile_error| {
                Error::invalid_input(format!(
                    "credentials: none in the environment, and {}",
                    profile_error
                        .message()
                        .unwrap_or("no CLI profile")
                        .trim_start_matches("credentials: ")
                ))
            })?,
        };
        let mut builder = Client::builder().credentials(credentials);
        if let Some(endpoint) = std::env::var("JDCLOUD_ENDPOINT")
            .ok()
            .filter(|e| !e.trim().is_empty())
        {
            builder = builder.endpoint(endpoint);
        }
        builder.build()
    }

    /// The signing algorithm this client uses.
    pub fn signing_algorithm(&self) -> SigningAlgorithm {
        self.inner.0.algorithm
    }
}

/// What a [`Client`] carries besides its HTTP client: credentials, signing and retry settings,
/// and the cache of signing keys. Opaque; its `Debug` never shows a secret.
#[derive(Clone)]
pub struct SigningContext(Arc<Shared>);

struct Shared {
    credentials: Credentials,
    security_token: Option<HeaderValue>,
    /// The `host` header of the endpoint, as text and as a header value: every request goes
    /// there, so it is worked out once rather than per attempt.
    host: (String, HeaderValue),
    algorithm: SigningAlgorithm,
    retry: RetryConfig,
    max_response_bytes: usize,
    clock: Clock,
    /// `None`: a random UUID v4 from [`random_nonce`].
    nonce: Option<NonceSource>,
    keys: Mutex<Vec<Arc<SigningKey>>>,
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
    /// The cached key for (day, region), derived on first use.
    fn key(&self, day: &str, region: &str) -> Arc<SigningKey> {
        let s = &self.0;
        let mut keys = s
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
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

    /// Adds date, nonce, host, content type and token headers, then the `Authorization`.
    fn sign(&self, request: &mut reqwest::Request, region: &str) -> Result<(), Error> {
        let s = &self.0;
        let date = signing::Date::of((s.clock)());
        let date = date.as_str();
        let mut nonce_buffer = [0; uuid::fmt::Hyphenated::LENGTH];
        let chosen_nonce;
        let nonce = match &s.nonce {
            Some(source) => {
                chosen_nonce = source();
                chosen_nonce.as_str()
            }
            None => random_nonce(&mut nonce_buffer),
        };
        // Every request goes to the client's endpoint, whose host header is ready; anything else
        // (no generated path does that) gets its own.
        let (host, host_value) = match host_header(request.url()) {
            host if host == s.host.0 => (Cow::Borrowed(s.host.0.as_str()), s.host.1.clone()),
            host => {
                let value = header_value(&host, "host")?;
                (Cow::Owned(host.into_owned()), value)
            }
        };
        let date_value = header_value(date, "date")?;
        let nonce_value = header_value(nonce, "nonce")?;
        let headers = request.headers_mut();
        if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        headers.insert(reqwest::header::HOST, host_value);
        headers.insert(DATE_HEADER, date_value);
        headers.insert(NONCE_HEADER, nonce_value);
        if let Some(token) = &s.security_token {
            headers.insert(SECURITY_TOKEN_HEADER, token.clone());
        }

        // Everything signed is borrowed from the request as it now stands.
        let content_type = request
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json");
        let url = request.url();
        let token = s.security_token.as_ref().and_then(|t| t.to_str().ok());
        let signed = [
            ("content-type", content_type),
            ("host", &host),
            (signing::DATE_HEADER, date),
            (signing::NONCE_HEADER, nonce),
            (signing::SECURITY_TOKEN_HEADER, token.unwrap_or_default()),
        ];
        let signed = if token.is_some() {
            &signed[..]
        } else {
            &signed[..4]
        };
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or(&[]);
        let key = self.key(&date[..8], region);
        let authorization = signing::sign_with_key(
            &key,
            s.credentials.access_key(),
            date,
            &SignableRequest {
                method: request.method().as_str(),
                path: url.path(),
                query: url.query().unwrap_or(""),
                headers: signed,
                body,
            },
        );
        // The header takes the string's buffer rather than a copy of it.
        let mut value = HeaderValue::from_maybe_shared(bytes::Bytes::from(authorization))
            .map_err(|_| Error::invalid_input("the access key is not a valid header value"))?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// A header value, or an error naming which. Out of line: one copy of the check for the three
/// values each attempt sets, not three inlined ones.
#[inline(never)]
fn header_value(value: &str, what: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::invalid_input(format!("{what} is not a valid header value")))
}

/// A random UUID v4, written into `buffer`.
///
/// Its bytes come from the OS's CSPRNG as `Uuid::new_v4` does, but through a per-thread pool
/// filled 64 nonces at a time: one `getrandom` system call per 64 attempts instead of one per
/// attempt. Every nonce still gets 122 fresh random bits, never bytes used before. (Like any
/// user-space pool of randomness, the pool would be duplicated by `fork`; an async runtime does
/// not survive a fork either.)
fn random_nonce(buffer: &mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &str {
    const POOL: usize = 64 * 16;
    thread_local! {
        // The pool, and how many of its bytes have been handed out.
        static RANDOM: RefCell<([u8; POOL], usize)> = const { RefCell::new(([0; POOL], POOL)) };
    }
    let bytes = RANDOM.with_borrow_mut(|(pool, used)| {
        if *used == POOL {
            getrandom::fill(pool).expect("the OS random number generator failed");
            *used = 0;
        }
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&pool[*used..*used + 16]);
        *used += 16;
        bytes
    });
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .encode_lower(buffer)
}

/// `host[:port]`, the port only when not the scheme's default, as it goes on the wire.
fn host_header(url: &reqwest::Url) -> Cow<'_, str> {
    // The URL's authority is exactly that (the parser drops a default port), unless it holds
    // user info, which is never sent.
    let authority = url.authority();
    if !authority.contains('@') {
        return Cow::Borrowed(authority);
    }
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => Cow::Owned(format!("{host}:{port}")),
        None => Cow::Borrowed(host),
    }
}

/// The region of the scope: the `regionId` path segment after `regions`.
fn region_of(url: &reqwest::Url) -> Cow<'_, str> {
    let mut segments = url.path().split('/');
    while let Some(segment) = segments.next() {
        if segment == "regions" {
            if let Some(region) = segments.next().filter(|r| !r.is_empty()) {
                return signing::percent_decode(region);
            }
        }
    }
    Cow::Borrowed(GLOBAL_REGION)
}

/// A failure on its way through progenitor's generated code to [`Error::from`].
#[derive(Clone)]
pub(crate) struct Failure(pub(crate) Error);

/// A successful answer, read whole.
struct Answer {
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: HeaderMap,
    body: bytes::Bytes,
}

impl ClientHooks<SigningContext> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // The URL asked, for the rebuilt response as reqwest's own responses have it; without
        // one, reqwest would parse a placeholder URL for every response.
        let url = request.url().clone();
        let result = {
            let region = region_of(&url);
            let span = tracing::debug_span!("jdcloud_vm.call", operation = info.operation_id, region = %region);
            // Boxed: every attempt's state (the request, reqwest's future, the answer) would
            // otherwise sit inline in the generated `send()` future, ~3 KB that the caller's task
            // holds and moves; boxed, it is one allocation made here. With many calls in flight
            // this measured ~10% of a call's CPU (README, Performance).
            Box::pin(self.call(request, &region, info.operation_id))
                .instrument(span)
                .await
        };
        Ok(match result {
            Ok(answer) => {
                let mut response = http::Response::builder()
                    .status(answer.status)
                    .version(answer.version)
                    .url(url)
                    .body(answer.body)
                    .expect("the status and version come from a response");
                *response.headers_mut() = answer.headers;
                reqwest::Response::from(response)
            }
            Err(error) => {
                let mut response = http::Response::new(bytes::Bytes::new());
                *response.status_mut() =
                    reqwest::StatusCode::from_u16(FAILURE_STATUS).expect("a valid status code");
                response
                    .extensions_mut()
                    .insert(Failure(error.with_operation(info.operation_id)));
                reqwest::Response::from(response)
            }
        })
    }
}

impl Client {
    /// Every attempt of one call: sign, send, classify, and retry what is safe.
    ///
    /// Not an `async fn`: one of those keeps its arguments in its state beside the locals they
    /// move into, and this state is boxed (and so copied whole) once per call; here the request
    /// is held once, as `original`.
    fn call<'a>(
        &'a self,
        request: reqwest::Request,
        region: &'a str,
        operation: &'static str,
    ) -> impl Future<Output = Result<Answer, Error>> + Send + 'a {
        let mut original = Some(request);
        async move {
            let context = self.inner();
            let retry = &context.0.retry;
            // Signing hashes the body, and a retry sends it again: both need it in memory.
            if original
                .as_ref()
                .and_then(reqwest::Request::body)
                .is_some_and(|body| body.as_bytes().is_none())
            {
                return Err(Error::invalid_input(
                    "a streaming body cannot be signed or retried",
                ));
            }
            let mut attempt = 1;
            loop {
                let span = tracing::debug_span!(
                    "jdcloud_vm.attempt",
                    attempt,
                    status = tracing::field::Empty,
                    request_id = tracing::field::Empty,
                    elapsed_ms = tracing::field::Empty,
                );
                // In a block of its own, so that the state of this future keeps no place for the
                // attempt's request, which the attempt's future holds.
                let sent = {
                    // Each attempt signs a copy of its own, kept from the original only while
                    // another attempt may follow: the last one possible takes the original.
                    let mut this = if attempt < retry.get_max_attempts() {
                        original.as_ref().and_then(reqwest::Request::try_clone)
                    } else {
                        original.take()
                    }
                    .expect(
                        "a body in memory clones, and no attempt follows the last possible one",
                    );
                    context.sign(&mut this, region)?;
                    self.attempt(this)
                };
                // Timing and recording cost a clock read and code on every call: only when traced.
                let started = (!span.is_disabled()).then(Instant::now);
                let outcome = sent.instrument(span.clone()).await;
                if let Some(started) = started {
                    record_attempt(&span, &outcome, started);
                }
                let error = match outcome {
                    Ok(answer) => return Ok(answer),
                    Err(error) => error,
                };
                span.in_scope(|| tracing::debug!(kind = ?error.kind(), retryable = error.is_retryable(), "attempt failed"));
                if !error.is_retryable() {
                    return Err(error);
                }
                match retry.delay(attempt, error.retry_after()) {
                    Some(delay) => {
                        tracing::debug!(
                            operation,
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            "retrying"
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    None => return Err(error),
                }
            }
        }
    }

    /// One attempt: send, read at most the body limit, classify.
    ///
    /// Not an `async fn`, for the same reason as [`Client::call`]: the request goes straight to
    /// reqwest, whose future is all the state keeps of it.
    fn attempt(
        &self,
        request: reqwest::Request,
    ) -> impl Future<Output = Result<Answer, Error>> + Send + '_ {
        let sent = self.client().execute(request);
        async move {
            let limit = self.inner().0.max_response_bytes;
            let mut response = sent.await.map_err(transport_error)?;
            let status = response.status();
            let version = response.version();
            let headers = std::mem::take(response.headers_mut());
            let too_large = || {
                Error::new(ErrorKind::MalformedResponse)
                    .with_status(status.as_u16())
                    .with_message(format!(
                        "response body larger than the limit of {limit} bytes"
                    ))
                    .with_request_id(
                        headers
                            .get(classify::REQUEST_ID_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned),
                    )
            };
            if response.content_length().is_some_and(|n| n > limit as u64) {
                return Err(too_large());
            }
            let read_failed = |e| transport_error(e).with_status(status.as_u16());
            // A declared length was checked above; a chunked body is counted as it comes.
            let body = crate::response_body::read(&mut response, limit)
                .await
                .map_err(read_failed)?
                .ok_or_else(too_large)?;
            classify::classify(status.as_u16(), &headers, &body)?;
            Ok(Answer {
                status,
                version,
                headers,
                body,
            })
        }
    }
}

/// Fills an attempt's span: status, request id, elapsed time; and says how it went. Out of line,
/// so that an untraced call does not carry this code through the cache.
#[inline(never)]
fn record_attempt(span: &tracing::Span, outcome: &Result<Answer, Error>, started: Instant) {
    let status = match outcome {
        Ok(answer) => Some(answer.status.as_u16()),
        Err(e) => e.http_status(),
    };
    if let Some(status) = status {
        span.record("status", status);
    }
    // A success's request id is in its body: worth this second parse only when traced.
    let request_id = match outcome {
        Ok(answer) => classify::request_id(&answer.headers, &answer.body),
        Err(e) => e.request_id().map(str::to_owned),
    };
    if let Some(id) = request_id {
        span.record("request_id", id.as_str());
    }
    span.record("elapsed_ms", started.elapsed().as_millis() as u64);
    if outcome.is_ok() {
        span.in_scope(|| tracing::debug!("attempt succeeded"));
    }
}

/// A transport failure: `Timeout` when a limit ran out, else `Transport`.
#[cold]
pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Transport
    };
    // reqwest's message names the URL, never headers; drop the URL anyway.
    let e = e.without_url();
    // reqwest's own message is only "error sending request": the cause is further down.
    Error::new(kind).with_message(causes(&e)).with_source(e)
}

/// An error and its causes on one line: `error sending request: …: Connection refused`.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Some layers repeat their cause's text in their own.
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_in_utc() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_774_500);
        assert_eq!(signing::format_date(t), "20261127T101500Z");
        assert_eq!(
            signing::format_date(SystemTime::UNIX_EPOCH),
            "19700101T000000Z"
        );
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(signing::format_date(leap), "20000229T000000Z");
        let far = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
        assert_eq!(signing::format_date(far), "99991231T235959Z");
        let end_of_day = SystemTime::UNIX_EPOCH + Duration::from_secs(86_399);
        assert_eq!(signing::format_date(end_of_day), "19700101T235959Z");
    }

    #[test]
    fn endpoints_are_normalised() {
        assert_eq!(
            normalise_endpoint("http://127.0.0.1:8080/").unwrap().0,
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalise_endpoint("https://vm.jdcloud-api.com").unwrap().0,
            "https://vm.jdcloud-api.com"
        );
        assert_eq!(
            normalise_endpoint("https://vm.jdcloud-api.com:443/")
                .unwrap()
                .1,
            "vm.jdcloud-api.com"
        );
        for bad in [
            "",
            "vm.jdcloud-api.com",
            "ftp://x",
            "http://x/v1",
            "http://x?a=b",
            "http://",
        ] {
            let e = normalise_endpoint(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        let e = normalise_endpoint("http://user:hunter2@x/v1").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

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
        assert_eq!(host_header(&u("http://u@h/v1")), "h");
    }

    #[test]
    fn random_nonces_are_distinct_uuid_v4s() {
        let mut seen = std::collections::HashSet::new();
        // More than one pool's worth, so that refilling is exercised.
        for _ in 0..200 {
            let mut buffer = [0; uuid::fmt::Hyphenated::LENGTH];
            let nonce = random_nonce(&mut buffer).to_owned();
            let uuid = uuid::Uuid::parse_str(&nonce).unwrap();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
            assert_eq!(uuid.hyphenated().to_string(), nonce);
            assert!(seen.insert(nonce), "a nonce came twice");
        }
    }

    #[test]
    fn the_region_comes_from_the_path() {
        let u = reqwest::Url::parse(
            "https://h/v1/regions/cn-east-2/instances/i-1:attachNetworkInterface",
        )
        .unwrap();
        assert_eq!(region_of(&u), "cn-east-2");
    }
}
