//! Building a [`Client`]: credentials, endpoint, timeouts, retries, TLS.

use std::{fmt, sync::Arc, sync::Mutex, time::Duration, time::SystemTime};

use base64::Engine as _;
use reqwest::header::HeaderValue;

use crate::{
    credentials::Credentials,
    hooks::{self, Clock, NonceSource, Shared, SigningContext},
    meta,
    signing::SigningAlgorithm,
    Client, Error, RetryConfig,
};

/// The default per-attempt timeout, as the official SDKs use.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default limit on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

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
    /// [`ErrorKind::MalformedResponse`](crate::ErrorKind::MalformedResponse) and is read no further. Default 16 MiB.
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

    /// Builds the client: [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) when credentials are missing or the
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
        let origin =
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
        let context = SigningContext(Arc::new(Shared {
            credentials,
            security_token,
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
        "JdcloudSdkRust/{} {}/{}",
        env!("CARGO_PKG_VERSION"),
        hooks::SERVICE,
        meta::API_VERSION
    )
}

/// Checks an endpoint and returns it as `scheme://host[:port]`.
fn normalise_endpoint(endpoint: &str) -> Result<String, Error> {
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
    Ok(url.as_str().trim_end_matches('/').to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised() {
        assert_eq!(
            normalise_endpoint("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalise_endpoint("https://vm.jdcloud-api.com").unwrap(),
            "https://vm.jdcloud-api.com"
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
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
        let e = normalise_endpoint("http://user:hunter2@x/v1").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
