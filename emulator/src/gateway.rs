//! The gateway's checks: who is calling, and whether the request is theirs and fresh.
//!
//! The signature is recomputed the way the real gateway does: over exactly the headers the
//! `Authorization` header's `SignedHeaders` names, with the values received, and over the raw
//! path, query and body. The date of the string to sign is the `x-jdcloud-date` header's,
//! signed or not: the official Python SDK signs only `content-type;host` and sends the date
//! and nonce unsigned, and the real gateway accepts it.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::{
    date,
    nonce::{NonceCache, Seen},
    reply::ApiError,
    state::AccessKey,
};
use jdcloud_vm::signing::{
    sign_with_key, SignableRequest, SigningAlgorithm, SigningKey, CONTENT_SHA256_HEADER,
    DATE_HEADER, NONCE_HEADER, SECURITY_TOKEN_HEADER,
};

/// The service name in the credential scope.
const SERVICE: &str = "vm";
/// Longer nonces are refused, so that the replay cache's memory stays bounded.
const MAX_NONCE_LEN: usize = 128;

/// The request as the gateway sees it.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

pub(crate) struct Gateway {
    keys: HashMap<String, AccessKey>,
    skew_limit: Duration,
    nonces: Mutex<NonceCache>,
}

/// The parts of an `Authorization` header.
struct Authorization<'a> {
    algorithm: SigningAlgorithm,
    access_key: &'a str,
    region: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl Gateway {
    pub(crate) fn new(keys: &[AccessKey], skew_limit: Duration, nonce_capacity: usize) -> Gateway {
        Gateway {
            keys: keys
                .iter()
                .map(|k| (k.access_key.clone(), k.clone()))
                .collect(),
            skew_limit,
            // A request dated up to `skew_limit` ahead stays acceptable for twice that long.
            nonces: Mutex::new(NonceCache::new(
                skew_limit.saturating_mul(2),
                nonce_capacity,
            )),
        }
    }

    /// Checks a request; on success, the caller's access key.
    ///
    /// `now_unix` is the clock's time in seconds since the epoch, `now` the same instant for
    /// the replay window.
    pub(crate) fn authenticate(
        &self,
        request: &Incoming<'_>,
        now_unix: i64,
        now: Instant,
    ) -> Result<String, ApiError> {
        let raw = single(request.headers, "authorization")?
            .ok_or_else(|| ApiError::access("lack of header authorization[gw]"))?;
        let auth = parse_authorization(raw)?;
        let key = self
            .keys
            .get(auth.access_key)
            .ok_or_else(|| ApiError::access("Invalid accessKey[gw]"))?;

        let date_value = single(request.headers, DATE_HEADER)?
            .ok_or_else(|| ApiError::access("lack of header x-jdcloud-date[gw]"))?
            .trim();
        let date = date::parse(date_value).ok_or_else(|| {
            ApiError::access(format!(
                "Invalid x-jdcloud-date {:?}: expected YYYYMMDDTHHMMSSZ in UTC[gw]",
                truncate(date_value, 40)
            ))
        })?;
        if date.abs_diff(now_unix) > self.skew_limit.as_secs() {
            return Err(ApiError::access(format!(
                "x-jdcloud-date {date_value} is more than {} minutes from the server time {}[gw]",
                self.skew_limit.as_secs() / 60,
                date::format(now_unix)
            )));
        }

        let nonce = single(request.headers, NONCE_HEADER)?
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ApiError::access("lack of header x-jdcloud-nonce[gw]"))?;
        if nonce.len() > MAX_NONCE_LEN {
            return Err(ApiError::access(format!(
                "Invalid x-jdcloud-nonce: longer than {MAX_NONCE_LEN} characters[gw]"
            )));
        }

        check_security_token(key, request.headers)?;
        verify_signature(key, &auth, date_value, request)?;

        // Only a request that proved its origin uses up its nonce: otherwise anyone could
        // block a client's next request by sending its nonce first.
        let seen = self
            .nonces
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check_and_remember(nonce, now);
        match seen {
            Seen::New => Ok(auth.access_key.to_owned()),
            Seen::Replayed => Err(ApiError::access(
                "Replayed request: x-jdcloud-nonce has already been used[gw]",
            )),
            Seen::Full(wait) => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "HTTP_RATE_LIMIT_EXCEEDED",
                    "Too many requests within the replay window, retry later[gw]",
                );
                error.retry_after = Some(wait);
                Err(error)
            }
        }
    }
}

/// Parses `ALG Credential=AK/day/region/service/term, SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(raw: &str) -> Result<Authorization<'_>, ApiError> {
    let malformed = || {
        ApiError::access(
            "Invalid authorization header: expected \
             'JDCLOUD2-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…'[gw]",
        )
    };
    let (algorithm, rest) = raw.trim().split_once(' ').ok_or_else(malformed)?;
    let algorithm = SigningAlgorithm::from_name(algorithm).ok_or_else(|| {
        ApiError::access(format!(
            "Invalid signing algorithm {:?}: expected JDCLOUD2-HMAC-SHA256 or JDCLOUD3-HMAC-SHA256[gw]",
            truncate(algorithm, 40)
        ))
    })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v.trim()),
            Some(("SignedHeaders", v)) => signed_headers = Some(v.trim()),
            Some(("Signature", v)) => signature = Some(v.trim()),
            _ => {}
        }
    }
    let (credential, signed_headers, signature) = (
        credential.ok_or_else(malformed)?,
        signed_headers.ok_or_else(malformed)?,
        signature.ok_or_else(malformed)?,
    );
    // Credential=AK/yyyymmdd/region/service/term; the access key itself has no '/'.
    let mut scope = credential.split('/');
    let access_key = scope
        .next()
        .filter(|ak| !ak.is_empty())
        .ok_or_else(malformed)?;
    let _day = scope.next().ok_or_else(malformed)?;
    let region = scope.next().ok_or_else(malformed)?;
    Ok(Authorization {
        algorithm,
        access_key,
        region,
        signed_headers,
        signature,
    })
}

/// A temporary key's requests carry its token; a long-term key's carry none.
fn check_security_token(key: &AccessKey, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = single(headers, SECURITY_TOKEN_HEADER)?.map(str::trim);
    match (&key.security_token, sent) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(ApiError::access(
            "lack of header x-jdcloud-security-token[gw]",
        )),
        (None, Some(_)) => Err(ApiError::access(
            "Invalid x-jdcloud-security-token: this access key is not a temporary one[gw]",
        )),
        (Some(expected), Some(sent)) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(sent)
                .ok()
                .filter(|d| constant_time_eq(d, expected.as_bytes()));
            decoded.map(|_| ()).ok_or_else(|| {
                ApiError::access(
                    "Invalid x-jdcloud-security-token: expected the token base64-encoded[gw]",
                )
            })
        }
    }
}

fn verify_signature(
    key: &AccessKey,
    auth: &Authorization<'_>,
    date: &str,
    request: &Incoming<'_>,
) -> Result<(), ApiError> {
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in auth.signed_headers.split(';') {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let mut values = request.headers.get_all(name).iter().peekable();
        if values.peek().is_none() {
            return Err(ApiError::access(format!(
                "lack of signed header {}[gw]",
                truncate(name, 64)
            )));
        }
        for value in values {
            let value = std::str::from_utf8(value.as_bytes())
                .map_err(|_| ApiError::access("sign result is not same [gw]"))?;
            // A signed body hash stands for the body in the signature: it must be the body's.
            if name.eq_ignore_ascii_case(CONTENT_SHA256_HEADER)
                && !value.trim().eq_ignore_ascii_case(&body_hash(request.body))
            {
                return Err(ApiError::access(
                    "x-jdcloud-content-sha256 is not the SHA-256 of the body[gw]",
                ));
            }
            signed.push((name, value));
        }
    }
    let signing_key = SigningKey::derive(
        auth.algorithm,
        &key.secret_key,
        date.get(..8).unwrap_or_default(),
        auth.region,
        SERVICE,
    );
    let expected = sign_with_key(
        &signing_key,
        &key.access_key,
        date,
        &SignableRequest {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: &signed,
            body: request.body,
        },
    );
    let expected_signature = expected
        .rsplit_once("Signature=")
        .map(|(_, s)| s)
        .unwrap_or_default();
    if constant_time_eq(
        expected_signature.as_bytes(),
        auth.signature.to_ascii_lowercase().as_bytes(),
    ) {
        Ok(())
    } else {
        Err(ApiError::access("sign result is not same [gw]"))
    }
}

/// Lower-case hex of a body's SHA-256, as `x-jdcloud-content-sha256` carries it.
fn body_hash(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The value, as text, of a header the gateway reads, if present and UTF-8; sent twice, it is
/// refused: which of the two was meant, and which one a proxy in front would have used, is
/// anyone's guess, and a guess about credentials or freshness is a way around them.
fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::access(format!("duplicate header {name}[gw]")));
    }
    Ok(first.and_then(|v| std::str::from_utf8(v.as_bytes()).ok()))
}

/// Compares without stopping at the first difference, so timing tells nothing of the secret.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use jdcloud_vm::{signing::sign, Credentials};

    const PATH: &str = "/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface";
    const BODY: &[u8] = br#"{"networkInterfaceId":"port-1"}"#;
    const NOW: i64 = 1_795_774_500; // 20261127T101500Z

    fn gateway() -> Gateway {
        let keys = [
            AccessKey {
                access_key: "AK".into(),
                secret_key: "SK".into(),
                security_token: None,
            },
            AccessKey {
                access_key: "TMP".into(),
                secret_key: "TSK".into(),
                security_token: Some("tok".into()),
            },
        ];
        Gateway::new(&keys, Duration::from_secs(900), 1000)
    }

    /// Headers signed as the given list names, plus `extra` sent unsigned.
    fn signed(
        algorithm: SigningAlgorithm,
        credentials: &Credentials,
        signed: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> HeaderMap {
        let auth = sign(
            algorithm,
            credentials,
            "cn-north-1",
            "vm",
            &SignableRequest {
                method: "POST",
                path: PATH,
                query: "",
                headers: signed,
                body: BODY,
            },
        )
        .unwrap();
        let mut map = HeaderMap::new();
        for (n, v) in signed.iter().chain(extra) {
            map.append(
                axum::http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        map
    }

    fn check(g: &Gateway, headers: &HeaderMap) -> Result<String, ApiError> {
        g.authenticate(
            &Incoming {
                method: "POST",
                path: PATH,
                query: "",
                headers,
                body: BODY,
            },
            NOW,
            Instant::now(),
        )
    }

    const FULL: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("host", "127.0.0.1:8080"),
        ("x-jdcloud-date", "20261127T101500Z"),
        ("x-jdcloud-nonce", "n-1"),
    ];

    #[test]
    fn both_algorithms_pass_and_a_nonce_is_used_once() {
        let g = gateway();
        let c = Credentials::new("AK", "SK");
        let h = signed(SigningAlgorithm::Jdcloud2, &c, FULL, &[]);
        assert_eq!(check(&g, &h).unwrap(), "AK");
        let replay = check(&g, &h).unwrap_err();
        assert!(replay.message.contains("Replayed"), "{}", replay.message);

        let mut three = FULL.to_vec();
        three[3] = ("x-jdcloud-nonce", "n-2");
        let h = signed(SigningAlgorithm::Jdcloud3, &c, &three, &[]);
        assert_eq!(check(&g, &h).unwrap(), "AK");
    }

    #[test]
    fn the_python_sdks_signed_headers_pass() {
        let g = gateway();
        // It signs only content-type and host; the date and nonce travel unsigned.
        let key = SigningKey::derive(
            SigningAlgorithm::Jdcloud3,
            "SK",
            "20261127",
            "cn-north-1",
            "vm",
        );
        let auth = sign_with_key(
            &key,
            "AK",
            "20261127T101500Z",
            &SignableRequest {
                method: "POST",
                path: PATH,
                query: "",
                headers: &[
                    ("content-type", "application/json"),
                    ("host", "127.0.0.1:8080"),
                ],
                body: BODY,
            },
        );
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        h.insert(
            "x-jdcloud-date",
            HeaderValue::from_static("20261127T101500Z"),
        );
        h.insert("x-jdcloud-nonce", HeaderValue::from_static("n-py"));
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        assert_eq!(check(&g, &h).unwrap(), "AK");
    }

    #[test]
    fn refusals_carry_the_gateways_messages() {
        let g = gateway();
        let e = check(&g, &HeaderMap::new()).unwrap_err();
        assert_eq!((e.http.as_u16(), e.status), (401, "ACCESS_ERROR"));
        assert_eq!(e.message, "lack of header authorization[gw]");

        let h = signed(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("NOPE", "SK"),
            FULL,
            &[],
        );
        assert_eq!(check(&g, &h).unwrap_err().message, "Invalid accessKey[gw]");

        let h = signed(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("AK", "WRONG"),
            FULL,
            &[],
        );
        assert_eq!(
            check(&g, &h).unwrap_err().message,
            "sign result is not same [gw]"
        );

        let mut stale = FULL.to_vec();
        stale[2] = ("x-jdcloud-date", "20261127T095959Z");
        let h = signed(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("AK", "SK"),
            &stale,
            &[],
        );
        assert!(check(&g, &h)
            .unwrap_err()
            .message
            .contains("more than 15 minutes"));

        let h = signed(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("AK", "SK"),
            &FULL[..3],
            &[],
        );
        assert_eq!(
            check(&g, &h).unwrap_err().message,
            "lack of header x-jdcloud-nonce[gw]"
        );
    }

    #[test]
    fn a_tampered_header_or_body_fails() {
        let g = gateway();
        let mut h = signed(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("AK", "SK"),
            FULL,
            &[],
        );
        h.insert("host", HeaderValue::from_static("evil:1"));
        assert_eq!(
            check(&g, &h).unwrap_err().message,
            "sign result is not same [gw]"
        );
    }

    #[test]
    fn a_signed_body_hash_must_be_the_bodys() {
        let g = gateway();
        let c = Credentials::new("AK", "SK");
        let right = body_hash(BODY);
        let mut with_hash = FULL.to_vec();
        with_hash.push(("x-jdcloud-content-sha256", &right));
        assert_eq!(
            check(&g, &signed(SigningAlgorithm::Jdcloud2, &c, &with_hash, &[])).unwrap(),
            "AK"
        );

        let wrong = body_hash(b"another body");
        let mut with_hash = FULL.to_vec();
        with_hash[3] = ("x-jdcloud-nonce", "n-other");
        with_hash.push(("x-jdcloud-content-sha256", &wrong));
        let e = check(&g, &signed(SigningAlgorithm::Jdcloud2, &c, &with_hash, &[])).unwrap_err();
        assert!(
            e.message.contains("x-jdcloud-content-sha256"),
            "{}",
            e.message
        );
    }

    #[test]
    fn temporary_keys_need_their_token() {
        let g = gateway();
        let c = Credentials::new("TMP", "TSK");
        let mut with_token = FULL.to_vec();
        with_token.push(("x-jdcloud-security-token", "dG9r")); // base64("tok")
        let h = signed(SigningAlgorithm::Jdcloud2, &c, &with_token, &[]);
        assert_eq!(check(&g, &h).unwrap(), "TMP");

        let h = signed(SigningAlgorithm::Jdcloud2, &c, FULL, &[]);
        assert!(check(&g, &h)
            .unwrap_err()
            .message
            .contains("security-token"));
    }

    #[test]
    fn a_duplicated_gateway_header_is_refused() {
        let g = gateway();
        let c = Credentials::new("AK", "SK");
        for (name, value) in [
            (
                "authorization",
                "JDCLOUD2-HMAC-SHA256 Credential=AK/x/y/vm/z, SignedHeaders=host, Signature=00",
            ),
            ("x-jdcloud-date", "20261127T101500Z"),
            ("x-jdcloud-nonce", "n-dup"),
        ] {
            let mut h = signed(SigningAlgorithm::Jdcloud2, &c, FULL, &[]);
            h.append(name, HeaderValue::from_static(value));
            let e = check(&g, &h).unwrap_err();
            assert_eq!(e.message, format!("duplicate header {name}[gw]"));
        }
        let tmp = Credentials::new("TMP", "TSK");
        let mut h = signed(SigningAlgorithm::Jdcloud2, &tmp, FULL, &[]);
        h.append("x-jdcloud-security-token", HeaderValue::from_static("dG9r"));
        h.append("x-jdcloud-security-token", HeaderValue::from_static("dG9r"));
        assert_eq!(
            check(&g, &h).unwrap_err().message,
            "duplicate header x-jdcloud-security-token[gw]"
        );
    }

    #[test]
    fn garbage_authorization_is_refused_without_panic() {
        let g = gateway();
        for raw in [
            "",
            "x",
            "JDCLOUD2-HMAC-SHA256",
            "JDCLOUD2-HMAC-SHA256 Credential=",
            "FOO a=b",
            "JDCLOUD2-HMAC-SHA256 Credential=/,SignedHeaders=,Signature=",
        ] {
            let mut h = HeaderMap::new();
            h.insert("authorization", HeaderValue::from_str(raw).unwrap());
            let e = check(&g, &h).unwrap_err();
            assert_eq!(e.http.as_u16(), 401, "{raw}");
        }
    }
}
