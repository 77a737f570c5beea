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
    Date::of(time).as_str().to_owned()
}

/// An `x-jdcloud-date` value on the stack: every attempt is dated afresh, and this costs no
/// allocation and no formatting machinery.
#[derive(Clone, Copy)]
pub(crate) struct Date([u8; 16]);

impl Date {
    pub(crate) fn of(time: std::time::SystemTime) -> Date {
        let secs = time
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            // The format has four digits for the year: past 9999, the last second it can say.
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
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u64;
        let mut out = *b"00000000T000000Z";
        let fields = [
            (0, 4, year),
            (4, 2, month as u64),
            (6, 2, day as u64),
            (9, 2, rem / 3600),
            (11, 2, rem % 3600 / 60),
            (13, 2, rem % 60),
        ];
        for (start, width, mut value) in fields {
            for digit in out[start..start + width].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Date(out)
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits, `T` and `Z` are ASCII")
    }
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
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[9..15].iter().all(u8::is_ascii_digit)
}

/// A derived signing key: depends only on (algorithm, secret, day, region, service), so the
/// client caches it and a call costs two SHA-256 and one HMAC.
///
/// It keeps the HMAC already keyed (its inner and outer pads hashed), not just the key bytes:
/// each signature then starts from that state and saves two of its SHA-256 blocks.
#[derive(Clone)]
pub struct SigningKey {
    algorithm: SigningAlgorithm,
    scope: String,
    mac: HmacSha256,
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
        let k_date = {
            // The first key is ALG + secret; build it on the stack when it fits in one block (it
            // always does for JD Cloud's 32-character secrets), so deriving allocates only the
            // scope.
            let prefix = algorithm.key_prefix().as_bytes();
            let mut buf = [0u8; 64];
            let len = prefix.len() + secret_key.len();
            if len <= buf.len() {
                buf[..prefix.len()].copy_from_slice(prefix);
                buf[prefix.len()..len].copy_from_slice(secret_key.as_bytes());
                hmac(&buf[..len], day.as_bytes())
            } else {
                hmac(&[prefix, secret_key.as_bytes()].concat(), day.as_bytes())
            }
        };
        let k_region = hmac(&k_date, region.as_bytes());
        let k_service = hmac(&k_region, service.as_bytes());
        let term = algorithm.terminator();
        let key = hmac(&k_service, term.as_bytes());
        let mac = HmacSha256::new_from_slice(&key).expect("HMAC takes keys of any length");
        let mut scope = String::with_capacity(day.len() + region.len() + service.len() + 19);
        for (i, part) in [day, region, service, term].into_iter().enumerate() {
            if i > 0 {
                scope.push('/');
            }
            scope.push_str(part);
        }
        SigningKey {
            algorithm,
            scope,
            mac,
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
        // The scope is `day/region/service/term`: compare in place rather than splitting it.
        let rest = [day, region, service]
            .into_iter()
            .try_fold(self.scope.as_str(), |rest, part| {
                rest.strip_prefix(part)?.strip_prefix('/')
            });
        self.algorithm == algorithm && rest == Some(algorithm.terminator())
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
    let mut canonical = Vec::with_capacity(canonical_capacity(request));
    let signed_headers = write_canonical_request(key.algorithm, request, &mut canonical);

    let canonical_hash = sha256_hex(&canonical);

    let name = key.algorithm.name();
    const PUNCTUATION: usize =
        " Credential=".len() + "/".len() + ", SignedHeaders=".len() + ", Signature=".len();
    // Written as bytes and made a `String` once at the end: one UTF-8 check instead of one per
    // piece that is not already a `str`.
    let mut out = Vec::with_capacity(
        name.len() + access_key.len() + key.scope.len() + signed_headers.len() + PUNCTUATION + 64,
    );
    for part in [
        name.as_bytes(),
        b" Credential=",
        access_key.as_bytes(),
        b"/",
        key.scope.as_bytes(),
        b", SignedHeaders=",
        &canonical[signed_headers],
    ] {
        out.extend_from_slice(part);
    }

    // The canonical request is hashed and its signed names copied: its buffer now holds the
    // string to sign, which saves an allocation; the keyed HMAC state saves hashing the pads.
    let mut string_to_sign = canonical;
    string_to_sign.clear();
    for part in [
        name.as_bytes(),
        b"\n",
        date.as_bytes(),
        b"\n",
        key.scope.as_bytes(),
        b"\n",
        &canonical_hash,
    ] {
        string_to_sign.extend_from_slice(part);
    }
    let signature = hex_digest(&mac(&key.mac, &string_to_sign));
    out.extend_from_slice(b", Signature=");
    out.extend_from_slice(&signature);
    into_string(out)
}

/// The canonical request, for tests and for debugging a signature mismatch.
pub fn canonical_request(algorithm: SigningAlgorithm, request: &SignableRequest<'_>) -> String {
    let mut out = Vec::with_capacity(canonical_capacity(request));
    write_canonical_request(algorithm, request, &mut out);
    into_string(out)
}

/// Enough room for the canonical request of `request` unless its path or query is mostly
/// percent-encoded, so that building it usually allocates once.
fn canonical_capacity(request: &SignableRequest<'_>) -> usize {
    let headers: usize = request
        .headers
        .iter()
        .map(|(name, value)| 2 * name.len() + value.len() + 3)
        .sum();
    request.method.len() + request.path.len() + request.query.len() + headers + 32 + 64 + 8
}

/// Writes the canonical request into `out` and returns where in `out` the signed header names
/// (`a;b;c`) are, which the `Authorization` header repeats.
///
/// The one implementation behind both [`sign`] and [`canonical_request`], so what a mismatch is
/// debugged with is exactly what was signed. It writes bytes, not a `String`: what is signed is
/// bytes, and the encoders then need no UTF-8 bookkeeping. Everything written is a `str` or
/// ASCII, so the result is UTF-8.
fn write_canonical_request(
    algorithm: SigningAlgorithm,
    request: &SignableRequest<'_>,
    out: &mut Vec<u8>,
) -> std::ops::Range<usize> {
    out.extend_from_slice(request.method.as_bytes());
    out.push(b'\n');
    canonical_path_into(request.path, out);
    out.push(b'\n');
    canonical_query_into(request.query, out);
    out.push(b'\n');
    // The client's headers come lower-case, sorted, distinct and trimmed: then they are their
    // own canonical form, and copying them into a sorted list would be wasted work.
    let (signed, content_sha256) = if is_canonical(algorithm, request.headers) {
        write_headers(request.headers, out)
    } else {
        write_sorted_headers(algorithm, request.headers, out)
    };
    out.push(b'\n');
    match content_sha256 {
        Some(value) => out.extend_from_slice(&value),
        None => out.extend_from_slice(&sha256_hex(request.body)),
    }
    signed
}

/// Writes canonical headers (`name:value` lines, a blank line, `a;b;c`) and returns where the
/// signed names are in `out`, and the value of a signed `x-jdcloud-content-sha256`.
fn write_headers<N: AsRef<str>, V: AsRef<str>>(
    headers: &[(N, V)],
    out: &mut Vec<u8>,
) -> (std::ops::Range<usize>, Option<Vec<u8>>) {
    let mut content_sha256 = None;
    for (name, value) in headers {
        let (name, value) = (name.as_ref(), value.as_ref());
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
        if name == CONTENT_SHA256_HEADER {
            content_sha256 = Some(value.as_bytes().to_vec());
        }
    }
    out.push(b'\n');
    let start = out.len();
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_ref().as_bytes());
    }
    (start..out.len(), content_sha256)
}

/// Sorts and normalises headers, then writes them. Out of line: the client's headers never
/// need it, and its sort would otherwise sit among the lines every signature runs through.
#[inline(never)]
fn write_sorted_headers(
    algorithm: SigningAlgorithm,
    headers: &[(&str, &str)],
    out: &mut Vec<u8>,
) -> (std::ops::Range<usize>, Option<Vec<u8>>) {
    write_headers(&canonical_headers(algorithm, headers), out)
}

/// Whether `headers` are already canonical: names lower-case, trimmed and strictly ascending
/// (so distinct), values as [`normalise_header_value`] would leave them.
fn is_canonical(algorithm: SigningAlgorithm, headers: &[(&str, &str)]) -> bool {
    let mut previous = "";
    for &(name, value) in headers {
        let ordered = previous < name || previous.is_empty();
        if !ordered
            || name.bytes().any(|b| b.is_ascii_uppercase())
            || trim(name).len() != name.len()
            || normalise_value(algorithm, value).len() != value.len()
        {
            return false;
        }
        previous = name;
    }
    true
}

/// Lower-cased, sorted, normalised headers; a repeated name's values joined by `,`.
///
/// Borrows what needs no change (the common case: the client's names are lower-case and its
/// values need no trimming), so signing does not copy every header.
fn canonical_headers<'a>(
    algorithm: SigningAlgorithm,
    headers: &'a [(&'a str, &'a str)],
) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    let mut out: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(headers.len());
    for &(name, value) in headers {
        let name = trim(name);
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(name.to_ascii_lowercase())
        } else {
            Cow::Borrowed(name)
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
    out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
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
    let value = trim(value);
    match algorithm {
        SigningAlgorithm::Jdcloud2 if has_double_space(value.as_bytes()) => {
            let mut out = String::with_capacity(value.len());
            let mut previous_space = false;
            for c in value.chars() {
                if c == ' ' && previous_space {
                    continue;
                }
                previous_space = c == ' ';
                out.push(c);
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(value),
    }
}

/// `str::trim`, skipping its Unicode tables when both ends are plainly not white space (every
/// header the client signs).
fn trim(s: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// Whether `bytes` hold two spaces in a row; a `memchr` for any space first, as most values
/// have none.
fn has_double_space(bytes: &[u8]) -> bool {
    bytes.contains(&b' ') && bytes.windows(2).any(|w| w == b"  ")
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
/// assert_eq!(canonical_path("v1//a+b"), "/v1/a%20b");
/// assert_eq!(canonical_path(""), "/");
/// ```
pub fn canonical_path(path: &str) -> String {
    let mut out = Vec::with_capacity(path.len() + 16);
    canonical_path_into(path, &mut out);
    into_string(out)
}

fn canonical_path_into(path: &str, out: &mut Vec<u8>) {
    // Always rooted, as the Python SDK signs it (`v1` as `/v1`, the empty path as `/`); a
    // leading `/` of the path collapses into this one.
    let start = out.len();
    out.push(b'/');
    // Decoding and encoding in one pass, without a decoded copy. That is exact while every
    // escape decodes to ASCII: the decoded bytes are then UTF-8 as the input is. An escaped
    // byte of 0x80 or more may be part of a sequence that is not UTF-8, signed as U+FFFD, so
    // such a path takes the general way.
    let bytes = path.as_bytes();
    // The common case (the client's paths): nothing to decode, a byte is what it is. Encoded
    // byte by byte into a buffer on the stack, in the same pass that looks for escapes, and
    // appended once: the runs between `/`s are short, and a `memcpy` call for each, or two
    // scans for `%` and `+` first, cost more than the bytes themselves.
    let mut buf = [0u8; 256];
    if bytes.len() * 3 <= buf.len() {
        if let Some(n) = encode_plain_path(bytes, &mut buf) {
            out.extend_from_slice(&buf[..n]);
            return;
        }
    } else if !needs_decoding(bytes) {
        for &b in bytes {
            push_path_byte(b, out);
        }
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = match bytes[i] {
            b'%' => match (hex_value(bytes.get(i + 1)), hex_value(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) if hi < 8 => {
                    i += 2;
                    hi << 4 | lo
                }
                (Some(_), Some(_)) => {
                    out.truncate(start + 1);
                    for &b in percent_decode(path).as_bytes() {
                        push_path_byte(b, out);
                    }
                    return;
                }
                _ => b'%',
            },
            b'+' => b' ',
            b => b,
        };
        push_path_byte(b, out);
        i += 1;
    }
}

/// Encodes a path that needs no decoding into `buf` (room for three bytes each) and returns
/// the length written, or `None` at the first `%` or `+`: that path must be decoded first.
/// Runs of `/` collapse, the root (already written) included.
fn encode_plain_path(bytes: &[u8], buf: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    let mut slash = true;
    for &b in bytes {
        if UNRESERVED[b as usize] {
            buf[n] = b;
            n += 1;
            slash = false;
            continue;
        }
        match b {
            b'/' if slash => {}
            b'/' => {
                buf[n] = b'/';
                n += 1;
                slash = true;
            }
            b'%' | b'+' => return None,
            _ => {
                buf[n..n + 3].copy_from_slice(&percent(b));
                n += 3;
                slash = false;
            }
        }
    }
    Some(n)
}

/// Appends one decoded byte of a path: `/` unless one was just written (runs collapse), an
/// unreserved byte as it is, anything else percent-encoded.
#[inline(always)]
fn push_path_byte(b: u8, out: &mut Vec<u8>) {
    if b == b'/' {
        // Only a `/` written here or the root can end `out`: encoded bytes never end in `/`.
        if out.last() != Some(&b'/') {
            out.push(b'/');
        }
    } else if UNRESERVED[b as usize] {
        out.push(b);
    } else {
        push_percent(b, out);
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
    let mut out = Vec::with_capacity(query.len() + 16);
    canonical_query_into(query, &mut out);
    into_string(out)
}

fn canonical_query_into(query: &str, out: &mut Vec<u8>) {
    if query.is_empty() {
        return;
    }
    // Every pair is encoded once into one buffer; the sort moves ranges, not strings.
    let mut buf = Vec::with_capacity(query.len() + 16);
    let mut pairs: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    for part in query.split('&') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let key_start = buf.len();
        encode_into(percent_decode(key).as_bytes(), &mut buf);
        let key_end = buf.len();
        if key_start == key_end {
            continue;
        }
        encode_into(percent_decode(value).as_bytes(), &mut buf);
        pairs.push((key_start..key_end, key_end..buf.len()));
    }
    // By key, then value: byte order, which for this ASCII is the order of the SDKs' strings.
    pairs.sort_unstable_by(|a, b| {
        (&buf[a.0.clone()], &buf[a.1.clone()]).cmp(&(&buf[b.0.clone()], &buf[b.1.clone()]))
    });
    for (i, (key, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(&buf[key]);
        out.push(b'=');
        out.extend_from_slice(&buf[value]);
    }
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
    let bytes = input.as_bytes();
    if !needs_decoding(bytes) {
        return Cow::Borrowed(input);
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
    Cow::Owned(into_string(out))
}

/// Whether `bytes` hold a `%` or a `+`: two word-at-a-time `memchr` scans, several times
/// faster on a path's length than one byte-by-byte pass testing both.
fn needs_decoding(bytes: &[u8]) -> bool {
    bytes.contains(&b'%') || bytes.contains(&b'+')
}

/// A `String` of bytes that are UTF-8, or with U+FFFD for what is not.
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_value(b: Option<&u8>) -> Option<u8> {
    match *b? {
        c @ b'0'..=b'9' => Some(c - b'0'),
        c @ b'a'..=b'f' => Some(c - b'a' + 10),
        c @ b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The bytes the official SDKs leave unencoded (RFC 3986's unreserved set), as a table: the
/// encoder looks every byte up, and a table beats the chain of range checks.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        i += 1;
    }
    table
};

/// Percent-encodes every byte but the unreserved ones, upper-case hex, copying runs of
/// unreserved bytes at once.
fn encode_into(input: &[u8], out: &mut Vec<u8>) {
    let mut run_start = 0;
    for (i, &b) in input.iter().enumerate() {
        if UNRESERVED[b as usize] {
            continue;
        }
        out.extend_from_slice(&input[run_start..i]);
        push_percent(b, out);
        run_start = i + 1;
    }
    out.extend_from_slice(&input[run_start..]);
}

/// Appends `%XX`, upper-case, as the official SDKs encode.
fn push_percent(b: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(&percent(b));
}

/// `%XX`, upper-case.
fn percent(b: u8) -> [u8; 3] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]
}

/// HMAC-SHA256 under a fresh key: keyed, fed and finished in place (no copy of the state).
fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The HMAC of `data` from an already keyed state (a cached key's), which is copied, not used up.
#[inline(never)]
fn mac(keyed: &HmacSha256, data: &[u8]) -> [u8; 32] {
    let mut mac = keyed.clone();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// SHA-256 as 64 lower-case hex digits. One out-of-line copy for the body and the canonical
/// request alike: fewer instructions to fetch per signature.
#[inline(never)]
fn sha256_hex(data: &[u8]) -> [u8; 64] {
    hex_digest(&Sha256::digest(data).into())
}

/// A SHA-256 digest or HMAC as 64 lower-case hex digits, on the stack: one lookup per byte in
/// a table of the 256 two-digit pairs.
fn hex_digest(digest: &[u8; 32]) -> [u8; 64] {
    const PAIRS: [[u8; 2]; 256] = {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut table = [[0; 2]; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = [HEX[i >> 4], HEX[i & 15]];
            i += 1;
        }
        table
    };
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&PAIRS[b as usize]);
    }
    out
}
