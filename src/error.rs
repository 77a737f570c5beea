//! The one error type of the crate: opaque, classified, carrying the request id.

use std::{fmt, sync::Arc, time::Duration};

/// What went wrong, in terms a caller can act on.
///
/// The documented errors of `attachNetworkInterface` each have their own kind; anything else is
/// classified by its status. [`Error::is_retryable`] tells which kinds are worth another attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 400 `FAILED_PRECONDITION` `Conflict with underlay task …`: the instance is busy with
    /// another task. Retryable.
    TaskConflict,
    /// 400 `FAILED_PRECONDITION` `Invalid instance status …`: the instance is neither running
    /// nor stopped.
    InvalidInstanceStatus,
    /// 400 `FAILED_PRECONDITION` `Flavor constraints. NetworkInterface limit exceeded`.
    NetworkInterfaceLimitExceeded,
    /// 400 `FAILED_PRECONDITION` `NetworkInterface has been attached on other device`.
    NetworkInterfaceInUse,
    /// 400 `FAILED_PRECONDITION` `No NetworkInterface permissions.`
    NetworkInterfacePermissionDenied,
    /// 400 `FAILED_PRECONDITION` `ElasticIp '…' and instance are not in the same az`.
    ElasticIpAzMismatch,
    /// 404 `NOT_FOUND` `Instance '…' not found.`
    InstanceNotFound,
    /// Any other `FAILED_PRECONDITION`.
    FailedPrecondition,
    /// Any other 400 (and any other 4xx without a kind of its own).
    InvalidArgument,
    /// 401: the gateway refused the credentials or the signature (`ACCESS_ERROR`).
    Unauthenticated,
    /// 403.
    PermissionDenied,
    /// Any other 404.
    NotFound,
    /// 429: too many requests. Retryable.
    Throttled,
    /// 500 `INTERNAL`. Retryable.
    InternalServerError,
    /// 500 `UNKNOWN`. Retryable.
    UnknownServerError,
    /// 502, 503, 504 or any other 5xx. Retryable.
    ServiceUnavailable,
    /// Rejected before anything was sent: a bad ID, a missing field, a bad configuration.
    InvalidInput,
    /// An attempt ran past its timeout. Retryable; the request may have been applied.
    Timeout,
    /// A connection, TLS or I/O failure. Retryable; when the connection failed after the
    /// request was sent, the request may have been applied.
    Transport,
    /// A response body that cannot be decoded, or is larger than the limit.
    MalformedResponse,
}

impl ErrorKind {
    /// Whether an error of this kind is worth another attempt.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::TaskConflict
                | Self::Throttled
                | Self::InternalServerError
                | Self::UnknownServerError
                | Self::ServiceUnavailable
                | Self::Timeout
                | Self::Transport
        )
    }
}

/// An error of the SDK: a failed call, or input rejected before anything was sent.
///
/// `Display` is one line: the operation, HTTP status, code, message and request id. It never
/// shows headers, credentials or signatures.
///
/// # Example
///
/// ```no_run
/// # async fn demo(client: jdcloud_vm::Client) {
/// use jdcloud_vm::ErrorKind;
///
/// let result = client
///     .attach_network_interface()
///     .region_id("cn-north-1")
///     .instance_id("i-eumm1234d6")
///     .body_map(|b| b.network_interface_id("port-n2h7abcdse"))
///     .send()
///     .await
///     .map_err(jdcloud_vm::Error::from);
/// if let Err(e) = result {
///     match e.kind() {
///         ErrorKind::NetworkInterfaceInUse => eprintln!("already attached elsewhere"),
///         _ => eprintln!("{e} (request id {:?})", e.request_id()),
///     }
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    operation: Option<&'static str>,
    http_status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    // Cold: every call to it is on a failure path, which the compiler then keeps apart from
    // the success path, so a successful call runs through fewer cache lines.
    #[cold]
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                operation: None,
                http_status: None,
                code: None,
                message: None,
                request_id: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    /// Input rejected before anything was sent; `message` names what is wrong.
    #[cold]
    pub(crate) fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput).with_message(message)
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Error {
        self.inner.message = Some(message.into());
        self
    }

    pub(crate) fn with_code(mut self, code: impl Into<String>) -> Error {
        self.inner.code = Some(code.into());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.http_status = Some(status);
        self
    }

    pub(crate) fn with_request_id(mut self, request_id: Option<String>) -> Error {
        if request_id.is_some() {
            self.inner.request_id = request_id;
        }
        self
    }

    pub(crate) fn with_operation(mut self, operation: &'static str) -> Error {
        self.inner.operation = Some(operation);
        self
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Error {
        self.inner.retry_after = retry_after;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// The classification of this error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The request id: the body's `requestId`, else the `x-jdcloud-request-id` header.
    /// Quote it to JD Cloud support.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// The HTTP status of the response, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        self.inner.http_status
    }

    /// The body's `error.status`, e.g. `"FAILED_PRECONDITION"`.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The body's `error.message`, or what the SDK found wrong.
    pub fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }

    /// The operation that failed, as the generated client names it, e.g.
    /// `"attach_network_interface"`.
    pub fn operation(&self) -> Option<&str> {
        self.inner.operation
    }

    /// Whether another attempt may succeed (see [`ErrorKind::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        self.inner.kind.is_retryable()
    }

    /// How long the server asked to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        if i.kind == ErrorKind::InvalidInput {
            f.write_str("invalid input")?;
        } else {
            write!(f, "{} failed", i.operation.unwrap_or("request"))?;
        }
        if let Some(status) = i.http_status {
            write!(f, ": HTTP {status}")?;
        }
        if let Some(code) = &i.code {
            write!(f, " {code}")?;
        }
        match (&i.message, &i.source) {
            (Some(message), _) => write!(f, ": {}", one_line(message))?,
            (None, Some(source)) => write!(f, ": {:?}: {}", i.kind, one_line(&source.to_string()))?,
            (None, None) => write!(f, ": {:?}", i.kind)?,
        }
        if let Some(id) = &i.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\n', '\r']) {
        s.replace(['\n', '\r'], " ").into()
    } else {
        s.into()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if let Some(op) = i.operation {
            d.field("operation", &op);
        }
        if let Some(s) = i.http_status {
            d.field("http_status", &s);
        }
        if let Some(c) = &i.code {
            d.field("code", c);
        }
        if let Some(m) = &i.message {
            d.field("message", m);
        }
        if let Some(r) = &i.request_id {
            d.field("request_id", r);
        }
        if let Some(s) = &i.source {
            d.field("source", &s.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
