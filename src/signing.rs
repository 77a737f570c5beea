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

use std::{borrow::Cow, fmt};

use hmac::{KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
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
    Ok(sign_with_key(&key, credentials.access_key(), date, request))
}

/// Signs with an already derived key; `date` is the request's `x-jdcloud-date`, whose day must
/// be the key's. For the emulator's gateway (crate `jdcloud-vm-emulator`); not part of the API.
#[doc(hidden)]
pub fn sign_with_key(
    key: &SigningKey,
    access_key: &str,
    date: &str,
    request: &SignableRequest<'_>,
) -> String {
    let (canonical, signed_headers) = canonical(key.algorithm, request);
    let name = key.algorithm.name();
    let canonical_hash = hex(&Sha256::digest(canonical.as_bytes()));
    let string_to_sign = [name, "\n", date, "\n", &key.scope, "\n", &canonical_hash].concat();
    let signature = hex(&hmac(&key.key, string_to_sign.as_bytes()));
    [
        name,
        " Credential=",
        access_key,
        "/",
        &key.scope,
        ", SignedHeaders=",
        &signed_headers,
        ", Signature=",
        &signature,
    ]
    .concat()
}

/// The canonical request, for tests and for debugging a signature mismatch.
pub fn canonical_request(algorithm: SigningAlgorithm, request: &SignableRequest<'_>) -> String {
    canonical(algorithm, request).0
}

/// The canonical request, and the signed header names (`a;b;c`) the `Authorization` repeats.
/// The one implementation behind [`sign`] and [`canonical_request`], so what a mismatch is
/// debugged with is exactly what was signed.
fn canonical(algorithm: SigningAlgorithm, request: &SignableRequest<'_>) -> (String, String) {
    let headers = canonical_headers(algorithm, request.headers);
    let signed = headers
        .iter()
        .map(|(name, _)| name.as_ref())
        .collect::<Vec<&str>>()
        .join(";");
    let payload_hash = match headers
        .iter()
        .find(|(name, _)| name == CONTENT_SHA256_HEADER)
    {
        Some((_, value)) => value.to_string(),
        None => hex(&Sha256::digest(request.body)),
    };
    let path = canonical_path(request.path);
    let query = canonical_query(request.query);
    let mut out = String::with_capacity(256 + request.path.len() + request.query.len());
    for part in [request.method, "\n", &path, "\n", &query, "\n"] {
        out.push_str(part);
    }
    for (name, value) in &headers {
        for part in [name.as_ref(), ":", value, "\n"] {
            out.push_str(part);
        }
    }
    for part in ["\n", &signed, "\n", &payload_hash] {
        out.push_str(part);
    }
    (out, signed)
}

/// The `x-jdcloud-date` value of an instant: `YYYYMMDDTHHMMSSZ` in UTC (an instant past the
/// year 9999, which the format cannot hold, as its last second).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use jdcloud_vm::signing::format_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(1_795_774_500);
/// assert_eq!(format_date(t), "20261127T101500Z");
/// ```
pub fn format_date(time: std::time::SystemTime) -> String {
    let secs = time
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .min(253_402_300_799);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm), for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Finds and checks the `x-jdcloud-date` header.
pub(crate) fn request_date<'a>(headers: &[(&str, &'a str)]) -> Result<&'a str, Error> {
    let date = headers
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(DATE_HEADER))
        .map(|(_, value)| value.trim())
        .ok_or_else(|| Error::invalid_input("cannot sign: the x-jdcloud-date header is missing"))?;
    let b = date.as_bytes();
    let valid = b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit);
    if !valid {
        return Err(Error::invalid_input(format!(
            "cannot sign: x-jdcloud-date {date:?} is not of the form YYYYMMDDTHHMMSSZ"
        )));
    }
    Ok(date)
}

/// A derived signing key: it depends only on (algorithm, secret, day, region, service), so the
/// client caches it.
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
        let first = format!("{}{secret_key}", algorithm.key_prefix());
        let k_date = hmac(first.as_bytes(), day.as_bytes());
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let term = algorithm.terminator();
        SigningKey {
            algorithm,
            scope: format!("{day}/{region}/{service}/{term}"),
            key: hmac(&k_service, term.as_bytes()),
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
    pub(crate) fn matches(
        &self,
        algorithm: SigningAlgorithm,
        day: &str,
        region: &str,
        service: &str,
    ) -> bool {
        self.algorithm == algorithm
            && self
                .scope
                .split('/')
                .eq([day, region, service, algorithm.terminator()])
    }
}

/// Lower-cased, trimmed, normalised headers sorted by name; a repeated name's values joined
/// by `,`.
fn canonical_headers<'a>(
    algorithm: SigningAlgorithm,
    headers: &'a [(&'a str, &'a str)],
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let mut out: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(headers.len());
    for &(name, value) in headers {
        let name = name.trim();
        let name = match name.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Owned(name.to_ascii_lowercase()),
            false => Cow::Borrowed(name),
        };
        let value = normalise_value(algorithm, value);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                let existing = existing.to_mut();
                existing.push(',');
                existing.push_str(&value);
            }
            None => out.push((name, value)),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Trims a header value; `Jdcloud2` also collapses runs of spaces inside it.
///
/// ```
/// use jdcloud_vm::signing::{normalise_header_value, SigningAlgorithm};
/// assert_eq!(normalise_header_value(SigningAlgorithm::Jdcloud2, " a   b "), "a b");
/// assert_eq!(normalise_header_value(SigningAlgorithm::Jdcloud3, " a   b "), "a   b");
/// ```
pub fn normalise_header_value(algorithm: SigningAlgorithm, value: &str) -> String {
    normalise_value(algorithm, value).into_owned()
}

fn normalise_value(algorithm: SigningAlgorithm, value: &str) -> Cow<'_, str> {
    let value = value.trim();
    if algorithm == SigningAlgorithm::Jdcloud2 && value.contains("  ") {
        let mut out = String::with_capacity(value.len());
        for c in value.chars() {
            if !(c == ' ' && out.ends_with(' ')) {
                out.push(c);
            }
        }
        return Cow::Owned(out);
    }
    Cow::Borrowed(value)
}

/// What the official SDKs leave unencoded: RFC 3986's unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// In a path, `/` too.
const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// The canonical form of a path: decoded, runs of `/` collapsed, re-encoded, rooted (`v1`
/// becomes `/v1`, empty becomes `/`).
///
/// ```
/// use jdcloud_vm::signing::canonical_path;
/// assert_eq!(
///     canonical_path("/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface"),
///     "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface",
/// );
/// assert_eq!(canonical_path("v1//a+b"), "/v1/a%20b");
/// assert_eq!(canonical_path(""), "/");
/// ```
pub fn canonical_path(path: &str) -> String {
    let decoded = percent_decode(path);
    // Rooted, as the Python SDK signs it; a leading `/` of the path collapses into this one.
    let mut collapsed = String::with_capacity(decoded.len() + 1);
    collapsed.push('/');
    for c in decoded.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    utf8_percent_encode(&collapsed, PATH).to_string()
}

/// The canonical form of a query string: each `key=value` decoded and re-encoded, parts with an
/// empty key or without `=` dropped, sorted, joined by `&`.
///
/// ```
/// use jdcloud_vm::signing::canonical_query;
/// assert_eq!(canonical_query("b=2&a=x y&flag"), "a=x%20y&b=2");
/// ```
pub fn canonical_query(query: &str) -> String {
    let encode = |s: &str| utf8_percent_encode(&percent_decode(s), UNRESERVED).to_string();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|part| part.split_once('='))
        .map(|(key, value)| (encode(key), encode(value)))
        .filter(|(key, _)| !key.is_empty())
        .collect();
    pairs.sort();
    let pairs: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

/// Percent-decodes, `+` as a space; a `%` not followed by two hex digits stays as it is;
/// bytes that are not UTF-8 become U+FFFD.
///
/// ```
/// use jdcloud_vm::signing::percent_decode;
/// assert_eq!(percent_decode("a+b%2B%3a"), "a b+:");
/// assert_eq!(percent_decode("%FF%2"), "\u{FFFD}%2");
/// ```
pub fn percent_decode(input: &str) -> Cow<'_, str> {
    if !input.contains(['%', '+']) {
        return Cow::Borrowed(input);
    }
    // `+` first: an encoded `%2B` must stay a `+`.
    let spaced = input.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex. By table: the formatting machinery, three 32-byte digests per signature,
/// was most of what signing cost beyond its cryptography.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}
