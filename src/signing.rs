//! JD Cloud request signing (`JDCLOUD2` and `JDCLOUD3`), as a pure function.
//!
//! JD Cloud's gateway refuses any request whose signature differs by one byte. [`sign`] takes
//! everything it needs as arguments (no clock, no randomness), so it is checked bit for bit
//! against the official SDKs' published vectors (`tests/data/signing-published.json`).
//!
//! The scheme is JD Cloud's variant of AWS SigV4:
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalPath \n CanonicalQuery \n (name:value\n)* \n SignedHeaders \n hex(sha256(body))
//! StringToSign     = ALG-HMAC-SHA256 \n <x-jdcloud-date> \n <yyyymmdd>/<region>/<service>/<term> \n hex(sha256(CanonicalRequest))
//! key              = HMAC(HMAC(HMAC(HMAC(ALG + secret, yyyymmdd), region), service), term)
//! Authorization    = ALG-HMAC-SHA256 Credential=<ak>/<scope>, SignedHeaders=<names>, Signature=<hex(HMAC(key, StringToSign))>
//! ```
//!
//! # Example
//!
//! ```
//! use jdcloud_vm::signing::{sign, SignableRequest, SigningAlgorithm};
//! use jdcloud_vm::Credentials;
//!
//! let credentials = Credentials::new("AKEXAMPLE0123456789", "SKEXAMPLEabcdefghijklmnopqrstuvwxyz");
//! let authorization = sign(
//!     SigningAlgorithm::Jdcloud2,
//!     &credentials,
//!     "cn-north-1",
//!     "vm",
//!     &SignableRequest {
//!         method: "POST",
//!         path: "/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface",
//!         query: "",
//!         headers: &[
//!             ("content-type", "application/json"),
//!             ("host", "vm.jdcloud-api.com"),
//!             ("x-jdcloud-date", "20261127T101500Z"),
//!             ("x-jdcloud-nonce", "6f1c2e5a-3b7d-4c9e-8a1f-0d2b4c6e8a10"),
//!         ],
//!         body: br#"{"networkInterfaceId":"port-n2h7abcdse","autoDelete":false}"#,
//!     },
//! )?;
//! assert!(authorization.ends_with("Signature=7392e5f06e8ed90155cbdeea5f00f7ff05c4d42e8115d61479a6ba87817fd712"));
//! # Ok::<(), jdcloud_vm::Error>(())
//! ```

use std::fmt;

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::{Credentials, Error};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The header carrying the request time, `YYYYMMDDTHHMMSSZ` in UTC; the scope's date comes from it.
pub const DATE_HEADER: &str = "x-jdcloud-date";
/// The header carrying a fresh random value per attempt, so a captured request cannot be replayed.
pub const NONCE_HEADER: &str = "x-jdcloud-nonce";
/// The header carrying a temporary credential's token, base64-encoded.
pub const SECURITY_TOKEN_HEADER: &str = "x-jdcloud-security-token";
/// When signed, its value replaces the hash of the body (for bodies hashed elsewhere).
pub const CONTENT_SHA256_HEADER: &str = "x-jdcloud-content-sha256";

/// The two signing algorithms JD Cloud's gateway accepts.
///
/// They differ only in their names and in how header values are normalised: `Jdcloud2` trims
/// each value and collapses runs of spaces inside it, `Jdcloud3` only trims.
///
/// # Example
///
/// ```
/// use jdcloud_vm::signing::SigningAlgorithm;
/// assert_eq!(SigningAlgorithm::default(), SigningAlgorithm::Jdcloud2);
/// assert_eq!(SigningAlgorithm::Jdcloud3.name(), "JDCLOUD3-HMAC-SHA256");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// `JDCLOUD2-HMAC-SHA256`: the documented scheme, used by the Go, Java, .NET, Node and PHP SDKs.
    #[default]
    Jdcloud2,
    /// `JDCLOUD3-HMAC-SHA256`: the scheme of the official Python SDK.
    Jdcloud3,
}

impl SigningAlgorithm {
    /// The algorithm's name as it appears in the `Authorization` header.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jdcloud2 => "JDCLOUD2-HMAC-SHA256",
            Self::Jdcloud3 => "JDCLOUD3-HMAC-SHA256",
        }
    }

    fn key_prefix(self) -> &'static str {
        match self {
            Self::Jdcloud2 => "JDCLOUD2",
            Self::Jdcloud3 => "JDCLOUD3",
        }
    }

    fn terminator(self) -> &'static str {
        match self {
            Self::Jdcloud2 => "jdcloud2_request",
            Self::Jdcloud3 => "jdcloud3_request",
        }
    }

    /// Parses `JDCLOUD2`/`JDCLOUD3`, with or without the `-HMAC-SHA256` suffix, any case.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim();
        let base = name
            .get(..8)
            .filter(|_| name.len() == 8 || name[8..].eq_ignore_ascii_case("-HMAC-SHA256"))?;
        if base.eq_ignore_ascii_case("JDCLOUD2") {
            Some(Self::Jdcloud2)
        } else if base.eq_ignore_ascii_case("JDCLOUD3") {
            Some(Self::Jdcloud3)
        } else {
            None
        }
    }
}

/// A request to sign, borrowed: exactly what goes on the wire.
///
/// `headers` are exactly the headers to sign, in any order and case. A name given twice is
/// signed once, its values joined by `,`.
#[derive(Clone, Copy, Debug)]
pub struct SignableRequest<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path as sent, possibly percent-encoded; `:attachNetworkInterface` may travel raw.
    pub path: &'a str,
    /// The raw query string, without the leading `?`.
    pub query: &'a str,
    /// The headers to sign, as `(name, value)` pairs.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as sent.
    pub body: &'a [u8],
}

/// Signs a request and returns the value of its `Authorization` header.
///
/// Pure: the date of the scope is read from the `x-jdcloud-date` header among `request.headers`,
/// which must be present and of the form `YYYYMMDDTHHMMSSZ`; otherwise the result is an
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error.
///
/// The credentials' security token is not added here: sign an `x-jdcloud-security-token`
/// header (base64 of the token) among `headers`, as the client does.
pub fn sign(
    algorithm: SigningAlgorithm,
    credentials: &Credentials,
    region: &str,
    service: &str,
    request: &SignableRequest<'_>,
) -> Result<String, Error> {
    let date = request_date(request.headers)?;
    let key = SigningKey::derive(
        algorithm,
        credentials.secret_key(),
        &date[..8],
        region,
        service,
    );
    Ok(sign_with_key(
        &key,
        credentials.access_key(),
        date,
        request,
    ))
}

/// Finds and checks the `x-jdcloud-date` header.
pub(crate) fn request_date<'a>(headers: &[(&str, &'a str)]) -> Result<&'a str, Error> {
    let date = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(DATE_HEADER))
        .map(|(_, value)| value.trim())
        .ok_or_else(|| Error::invalid_input("cannot sign: the x-jdcloud-date header is missing"))?;
    if !is_valid_date(date) {
        return Err(Error::invalid_input(format!(
            "cannot sign: x-jdcloud-date {date:?} is not of the form YYYYMMDDTHHMMSSZ"
        )));
    }
    Ok(date)
}

fn is_valid_date(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// A derived signing key: depends only on (algorithm, secret, day, region, service), so the
/// client caches it and a call costs two SHA-256 and one HMAC.
#[derive(Clone)]
pub struct SigningKey {
    algorithm: SigningAlgorithm,
    scope: String,
    key: [u8; 32],
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("scope", &self.scope)
            .field("key", &"** redacted **")
            .finish()
    }
}

impl SigningKey {
    /// Derives the key for one day (`yyyymmdd`), region and service.
    pub fn derive(
        algorithm: SigningAlgorithm,
        secret_key: &str,
        day: &str,
        region: &str,
        service: &str,
    ) -> Self {
        let mut secret = Vec::with_capacity(8 + secret_key.len());
        secret.extend_from_slice(algorithm.key_prefix().as_bytes());
        secret.extend_from_slice(secret_key.as_bytes());
        let k_date = hmac(&secret, day.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let key = hmac(&k_service, algorithm.terminator().as_bytes());
        let scope = format!("{day}/{region}/{service}/{}", algorithm.terminator());
        SigningKey {
            algorithm,
            scope,
            key,
        }
    }

    /// The credential scope `yyyymmdd/region/service/term` this key signs for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The algorithm this key was derived for.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// Whether this key signs for the given day, region and service.
    pub(crate) fn matches(&self, algorithm: SigningAlgorithm, day: &str, region: &str, service: &str) -> bool {
        let mut parts = self.scope.split('/');
        self.algorithm == algorithm
            && parts.next() == Some(day)
            && parts.next() == Some(region)
            && parts.next() == Some(service)
    }
}

/// Signs with an already derived key; `date` is the request's `x-jdcloud-date`, whose day must
/// be the key's.
pub(crate) fn sign_with_key(
    key: &SigningKey,
    access_key: &str,
    date: &str,
    request: &SignableRequest<'_>,
) -> String {
    let headers = canonical_headers(key.algorithm, request.headers);
    let payload_hash = match headers.iter().find(|(name, _)| name == CONTENT_SHA256_HEADER) {
        Some((_, value)) => value.clone(),
        None => hex(&Sha256::digest(request.body)),
    };

    let mut canonical = String::with_capacity(256 + request.path.len() + request.query.len());
    canonical.push_str(request.method);
    canonical.push('\n');
    canonical_path_into(request.path, &mut canonical);
    canonical.push('\n');
    canonical_query_into(request.query, &mut canonical);
    canonical.push('\n');
    for (name, value) in &headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
    }
    canonical.push('\n');
    let signed_start = canonical.len();
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            canonical.push(';');
        }
        canonical.push_str(name);
    }
    let signed_end = canonical.len();
    canonical.push('\n');
    canonical.push_str(&payload_hash);

    let mut string_to_sign = String::with_capacity(160);
    string_to_sign.push_str(key.algorithm.name());
    string_to_sign.push('\n');
    string_to_sign.push_str(date);
    string_to_sign.push('\n');
    string_to_sign.push_str(&key.scope);
    string_to_sign.push('\n');
    string_to_sign.push_str(&hex(&Sha256::digest(canonical.as_bytes())));
    let signature = hex(&hmac(&key.key, string_to_sign.as_bytes()));

    let signed_headers = &canonical[signed_start..signed_end];
    let mut out = String::with_capacity(128 + access_key.len() + signed_headers.len());
    out.push_str(key.algorithm.name());
    out.push_str(" Credential=");
    out.push_str(access_key);
    out.push('/');
    out.push_str(&key.scope);
    out.push_str(", SignedHeaders=");
    out.push_str(signed_headers);
    out.push_str(", Signature=");
    out.push_str(&signature);
    out
}

/// The canonical request, for tests and for debugging a signature mismatch.
pub fn canonical_request(algorithm: SigningAlgorithm, request: &SignableRequest<'_>) -> String {
    let headers = canonical_headers(algorithm, request.headers);
    let payload_hash = match headers.iter().find(|(name, _)| name == CONTENT_SHA256_HEADER) {
        Some((_, value)) => value.clone(),
        None => hex(&Sha256::digest(request.body)),
    };
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    let mut out = format!(
        "{}\n{}\n{}\n",
        request.method,
        canonical_path(request.path),
        canonical_query(request.query)
    );
    for (name, value) in &headers {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push_str(&format!("\n{}\n{payload_hash}", names.join(";")));
    out
}

/// Lower-cased, sorted, normalised headers; a repeated name's values joined by `,`.
fn canonical_headers(algorithm: SigningAlgorithm, headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.trim().to_ascii_lowercase();
        let value = normalise_header_value(algorithm, value);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => out.push((name, value)),
        }
    }
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Trims a header value; `Jdcloud2` also collapses runs of spaces inside it.
pub fn normalise_header_value(algorithm: SigningAlgorithm, value: &str) -> String {
    let value = value.trim();
    match algorithm {
        SigningAlgorithm::Jdcloud3 => value.to_owned(),
        SigningAlgorithm::Jdcloud2 => {
            let mut out = String::with_capacity(value.len());
            let mut previous_space = false;
            for c in value.chars() {
                if c == ' ' && previous_space {
                    continue;
                }
                previous_space = c == ' ';
                out.push(c);
            }
            out
        }
    }
}

/// The canonical form of a path: decoded, runs of `/` collapsed, re-encoded, rooted (`v1`
/// becomes `/v1`, empty becomes `/`).
///
/// ```
/// use jdcloud_vm::signing::canonical_path;
/// assert_eq!(
///     canonical_path("/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface"),
///     "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface",
/// );
/// assert_eq!(canonical_path(""), "/");
/// ```
pub fn canonical_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    canonical_path_into(path, &mut out);
    out
}

fn canonical_path_into(path: &str, out: &mut String) {
    // Always rooted, as the Python SDK signs it (`v1` → `/v1`, `` → `/`); a leading `/` of the
    // path collapses into this one.
    out.push('/');
    let decoded = percent_decode(path);
    let mut previous_slash = true;
    for &b in decoded.as_bytes() {
        if b == b'/' {
            if !previous_slash {
                out.push('/');
            }
            previous_slash = true;
        } else {
            previous_slash = false;
            encode_byte_into(b, true, out);
        }
    }
}

/// The canonical form of a query string: each `key=value` decoded and re-encoded, parts with an
/// empty key or without `=` dropped, sorted, joined by `&`.
///
/// ```
/// use jdcloud_vm::signing::canonical_query;
/// assert_eq!(canonical_query("b=2&a=x y&flag"), "a=x%20y&b=2");
/// ```
pub fn canonical_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 16);
    canonical_query_into(query, &mut out);
    out
}

fn canonical_query_into(query: &str, out: &mut String) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|part| {
            let (key, value) = part.split_once('=')?;
            let key = encode(&percent_decode(key), false);
            if key.is_empty() {
                return None;
            }
            Some((key, encode(&percent_decode(value), false)))
        })
        .collect();
    pairs.sort_unstable();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(value);
    }
}

/// Percent-decodes, `+` as a space; a `%` not followed by two hex digits stays as it is;
/// bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(input: &str) -> std::borrow::Cow<'_, str> {
    let bytes = input.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => std::borrow::Cow::Owned(s),
        Err(e) => std::borrow::Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match *b? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        encode_byte_into(b, keep_slash, &mut out);
    }
    out
}

fn encode_byte_into(b: u8, keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') || (keep_slash && b == b'/') {
        out.push(b as char);
    } else {
        out.push('%');
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}
