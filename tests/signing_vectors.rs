//! The signer against the official SDKs' published vectors, and the behaviours they rest on.
//!
//! JD Cloud's gateway refuses a signature that differs by one byte and there is no account to try
//! against, so these vectors (copied from `../shared/vectors/` into `tests/data/`) are the ground
//! truth: every one must reproduce exactly.

mod vectors;

use jdcloud_vm::signing::{
    canonical_path, canonical_query, canonical_request, normalise_header_value, percent_decode,
    sign, SignableRequest, SigningAlgorithm, SigningKey,
};
use jdcloud_vm::{Credentials, ErrorKind};
use vectors::{load, Vector};

const PUBLISHED: &str = include_str!("data/signing-published.json");
const ATTACH: &str = include_str!("data/attach.json");

/// How many vectors each file holds: a truncated or emptied file must fail, not pass vacuously.
const PUBLISHED_COUNT: usize = 27;
const ATTACH_COUNT: usize = 4;

impl Vector {
    /// Signs the vector; `Err` carries what to print when it does not reproduce.
    fn check(&self) -> Result<(), String> {
        let headers = self.headers();
        let request = self.request(&headers);
        let credentials = Credentials::new(&self.access_key, &self.secret_key);
        let got = sign(
            self.algorithm(),
            &credentials,
            &self.region,
            &self.service,
            &request,
        )
        .map_err(|e| format!("{}: sign failed: {e}", self.id))?;
        if got != self.expected_authorization {
            return Err(format!(
                "{}:\n  expected {}\n  got      {}\n  canonical request:\n{}",
                self.id,
                self.expected_authorization,
                got,
                canonical_request(self.algorithm(), &request)
            ));
        }
        if let Some(expected) = &self.canonical_request {
            let got = canonical_request(self.algorithm(), &request);
            if &got != expected {
                return Err(format!(
                    "{}: canonical request differs\n  expected {expected:?}\n  got      {got:?}",
                    self.id
                ));
            }
        }
        Ok(())
    }
}

/// Checks every vector and reports all failures at once, so one run shows the whole picture.
fn check_all(vectors: &[Vector]) {
    let failures: Vec<String> = vectors.iter().filter_map(|v| v.check().err()).collect();
    for failure in &failures {
        eprintln!("FAILED {failure}\n");
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors do not reproduce",
        failures.len(),
        vectors.len()
    );
}

#[test]
fn every_published_vector_reproduces() {
    let vectors = load(PUBLISHED);
    assert_eq!(vectors.len(), PUBLISHED_COUNT, "signing-published.json");
    check_all(&vectors);
}

#[test]
fn every_attach_vector_reproduces_with_its_canonical_request() {
    let vectors = load(ATTACH);
    assert_eq!(vectors.len(), ATTACH_COUNT, "attach.json");
    // The canonical request is what check() compares besides the signature; make sure the file
    // really carries it, or that half of the test would silently be skipped.
    assert!(vectors.iter().all(|v| v.canonical_request.is_some()));
    check_all(&vectors);
}

#[test]
fn the_published_vectors_cover_both_algorithms() {
    // If someone "fixes" the file to a single algorithm, the other would go untested.
    let vectors = load(PUBLISHED);
    for alg in [SigningAlgorithm::Jdcloud2, SigningAlgorithm::Jdcloud3] {
        assert!(vectors.iter().any(|v| v.algorithm() == alg), "{alg:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Focused behaviours. A small request whose parts each test varies.

const DATE: &str = "20261127T101500Z";

fn credentials() -> Credentials {
    Credentials::new("AKEXAMPLE0123456789", "SKEXAMPLEabcdefghijklmnopqrstuvwxyz")
}

fn request<'a>(path: &'a str, headers: &'a [(&'a str, &'a str)]) -> SignableRequest<'a> {
    SignableRequest {
        method: "POST",
        path,
        query: "",
        headers,
        body: b"{}",
    }
}

fn sign_with(alg: SigningAlgorithm, req: &SignableRequest<'_>) -> String {
    sign(alg, &credentials(), "cn-north-1", "vm", req).expect("signs")
}

fn signature(authorization: &str) -> &str {
    authorization
        .rsplit_once("Signature=")
        .expect("has a signature")
        .1
}

#[test]
fn the_colon_of_the_action_is_signed_as_percent_3a() {
    let path = "/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface";
    assert_eq!(
        canonical_path(path),
        "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface"
    );
    // Raw and pre-encoded forms of the same path are the same request to the gateway.
    let headers = [("host", "vm.jdcloud-api.com"), ("x-jdcloud-date", DATE)];
    let raw = sign_with(SigningAlgorithm::Jdcloud2, &request(path, &headers));
    let encoded = sign_with(
        SigningAlgorithm::Jdcloud2,
        &request(
            "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface",
            &headers,
        ),
    );
    assert_eq!(raw, encoded);
    let canonical = canonical_request(SigningAlgorithm::Jdcloud2, &request(path, &headers));
    assert!(
        canonical
            .starts_with("POST\n/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface\n"),
        "{canonical}"
    );
}

#[test]
fn a_missing_date_is_invalid_input_not_a_panic() {
    let headers = [("host", "vm.jdcloud-api.com")];
    let err = sign(
        SigningAlgorithm::Jdcloud2,
        &credentials(),
        "cn-north-1",
        "vm",
        &request("/", &headers),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("x-jdcloud-date"), "{err}");
}

#[test]
fn a_malformed_date_is_invalid_input_not_a_panic() {
    // Short, long, wrong separators, non-digits, and a multi-byte character where slicing the
    // day out by bytes would panic on a char boundary.
    for date in [
        "",
        "2026",
        "20261127",
        "20261127T101500",
        "20261127T101500ZZ",
        "2026-11-27T10:15:00Z",
        "20261127X101500Z",
        "2026112aT101500Z",
        "20261127T1015 0Z",
        "2026112é101500Z",
        "日日日日日T1Z",
        "Wed, 27 Nov 2026 10:15:00 GMT",
    ] {
        let headers = [("host", "vm.jdcloud-api.com"), ("x-jdcloud-date", date)];
        for alg in [SigningAlgorithm::Jdcloud2, SigningAlgorithm::Jdcloud3] {
            let err = sign(
                alg,
                &credentials(),
                "cn-north-1",
                "vm",
                &request("/", &headers),
            )
            .expect_err(date);
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{date:?}");
        }
    }
}

#[test]
fn the_date_header_is_found_whatever_its_case() {
    let headers = [("X-JdCloud-Date", DATE)];
    let auth = sign_with(SigningAlgorithm::Jdcloud2, &request("/", &headers));
    assert!(
        auth.contains("/20261127/cn-north-1/vm/jdcloud2_request"),
        "{auth}"
    );
}

#[test]
fn repeated_header_names_are_signed_once_with_values_joined_by_commas() {
    let repeated = [
        ("x-jdcloud-date", DATE),
        ("x-a", "one"),
        ("x-b", "b"),
        ("x-a", " two "),
    ];
    let canonical = canonical_request(SigningAlgorithm::Jdcloud2, &request("/", &repeated));
    assert!(canonical.contains("\nx-a:one,two\nx-b:b\n"), "{canonical}");
    assert!(
        canonical.contains("\nx-a;x-b;x-jdcloud-date\n"),
        "{canonical}"
    );
    // And the signature is that of the joined value given once.
    let joined = [("x-jdcloud-date", DATE), ("x-a", "one,two"), ("x-b", "b")];
    assert_eq!(
        sign_with(SigningAlgorithm::Jdcloud2, &request("/", &repeated)),
        sign_with(SigningAlgorithm::Jdcloud2, &request("/", &joined)),
    );
}

#[test]
fn header_names_are_case_insensitive_and_signed_lower_case() {
    let lower = [
        ("content-type", "application/json"),
        ("x-jdcloud-date", DATE),
    ];
    let mixed = [
        ("Content-Type", "application/json"),
        ("X-JDCLOUD-DATE", DATE),
    ];
    let a = sign_with(SigningAlgorithm::Jdcloud3, &request("/", &lower));
    let b = sign_with(SigningAlgorithm::Jdcloud3, &request("/", &mixed));
    assert_eq!(a, b);
    assert!(
        a.contains("SignedHeaders=content-type;x-jdcloud-date,"),
        "{a}"
    );
    // Two spellings of one name are one header, values joined.
    let twice = [("X-A", "1"), ("x-a", "2"), ("x-jdcloud-date", DATE)];
    let canonical = canonical_request(SigningAlgorithm::Jdcloud2, &request("/", &twice));
    assert!(canonical.contains("\nx-a:1,2\n"), "{canonical}");
}

#[test]
fn headers_are_signed_sorted_whatever_their_order() {
    let one = [
        ("x-jdcloud-date", DATE),
        ("host", "h"),
        ("content-type", "c"),
    ];
    let two = [
        ("content-type", "c"),
        ("x-jdcloud-date", DATE),
        ("host", "h"),
    ];
    let a = sign_with(SigningAlgorithm::Jdcloud2, &request("/", &one));
    assert_eq!(
        a,
        sign_with(SigningAlgorithm::Jdcloud2, &request("/", &two))
    );
    assert!(
        a.contains("SignedHeaders=content-type;host;x-jdcloud-date,"),
        "{a}"
    );
}

#[test]
fn a_signed_content_sha256_header_replaces_the_body_hash() {
    let declared = "0000000000000000000000000000000000000000000000000000000000000000";
    let headers = [
        ("x-jdcloud-date", DATE),
        ("x-jdcloud-content-sha256", declared),
    ];
    let mut req = request("/", &headers);
    let canonical = canonical_request(SigningAlgorithm::Jdcloud2, &req);
    assert!(canonical.ends_with(&format!("\n{declared}")), "{canonical}");
    // The body no longer takes part: changing it leaves the signature alone.
    let before = sign_with(SigningAlgorithm::Jdcloud2, &req);
    req.body = b"something else entirely";
    assert_eq!(before, sign_with(SigningAlgorithm::Jdcloud2, &req));

    // Without the header the hash is the body's (hex SHA-256 of "{}").
    let plain = [("x-jdcloud-date", DATE)];
    let canonical = canonical_request(SigningAlgorithm::Jdcloud2, &request("/", &plain));
    assert!(
        canonical.ends_with("\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
        "{canonical}"
    );
}

#[test]
fn jdcloud2_collapses_inner_spaces_while_jdcloud3_does_not() {
    assert_eq!(
        normalise_header_value(SigningAlgorithm::Jdcloud2, "  a   b  c "),
        "a b c"
    );
    assert_eq!(
        normalise_header_value(SigningAlgorithm::Jdcloud3, "  a   b  c "),
        "a   b  c"
    );
    let headers = [("x-jdcloud-date", DATE), ("x-a", " a   b ")];
    let c2 = canonical_request(SigningAlgorithm::Jdcloud2, &request("/", &headers));
    let c3 = canonical_request(SigningAlgorithm::Jdcloud3, &request("/", &headers));
    assert!(c2.contains("\nx-a:a b\n"), "{c2}");
    assert!(c3.contains("\nx-a:a   b\n"), "{c3}");
}

#[test]
fn a_plus_in_the_path_decodes_to_a_space() {
    assert_eq!(canonical_path("/a+b"), "/a%20b");
    // An encoded plus is a real plus.
    assert_eq!(canonical_path("/a%2Bb"), "/a%2Bb");
    assert_eq!(percent_decode("a+b%2B"), "a b+");
}

#[test]
fn invalid_utf8_percent_sequences_become_the_replacement_character() {
    assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    assert_eq!(percent_decode("a%C3"), "a\u{FFFD}");
    // U+FFFD is EF BF BD in UTF-8, so that is what is signed.
    assert_eq!(canonical_path("/%FF"), "/%EF%BF%BD");
    assert_eq!(canonical_query("k=%FF"), "k=%EF%BF%BD");
}

#[test]
fn non_ascii_characters_are_encoded_as_their_utf8_bytes() {
    // Each byte of a multi-byte character is encoded on its own; an encoder that copies runs of
    // safe bytes must not slice inside the character while doing so.
    assert_eq!(canonical_path("/中文:GET"), "/%E4%B8%AD%E6%96%87%3AGET");
    assert_eq!(canonical_path("/é~"), "/%C3%A9~");
    assert_eq!(canonical_query("中=€"), "%E4%B8%AD=%E2%82%AC");
}

#[test]
fn a_percent_without_two_hex_digits_stays_a_percent() {
    assert_eq!(percent_decode("%2/%g1%"), "%2/%g1%");
    assert_eq!(canonical_path("/%2/"), "/%252/");
}

#[test]
fn runs_of_slashes_collapse_and_empty_is_root() {
    assert_eq!(canonical_path("//a///b//"), "/a/b/");
    assert_eq!(canonical_path("/a%2F%2Fb"), "/a/b");
    assert_eq!(canonical_path(""), "/");
}

#[test]
fn a_path_without_a_leading_slash_gets_one() {
    // The Python SDK's testSign_path_nullSlashes: `v1` is signed as `/v1`.
    assert_eq!(canonical_path("v1"), "/v1");
    assert_eq!(canonical_path("v1/"), "/v1/");
}

#[test]
fn query_parts_without_a_key_or_an_equals_sign_are_dropped_and_the_rest_sorted() {
    assert_eq!(canonical_query("b=2&=x&flag&a=1&&="), "a=1&b=2");
    // Sorting is on the encoded key, then the encoded value.
    assert_eq!(canonical_query("a=2&a=1&A=3"), "A=3&a=1&a=2");
    // Only the first `=` splits; later ones are part of the value, encoded.
    assert_eq!(canonical_query("a=b=c"), "a=b%3Dc");
    // `/` is encoded in the query, unlike in the path.
    assert_eq!(canonical_query("p=/x"), "p=%2Fx");
}

#[test]
fn the_debug_of_a_signing_key_shows_no_key_material() {
    let secret = "SKEXAMPLEabcdefghijklmnopqrstuvwxyz";
    let key = SigningKey::derive(
        SigningAlgorithm::Jdcloud2,
        secret,
        "20261127",
        "cn-north-1",
        "vm",
    );
    let debug = format!("{key:?}");
    assert!(!debug.contains(secret), "{debug}");
    // The derived key of this vector, as bytes in any common rendering, must not be there either.
    let derived = derived_key_hex(secret);
    assert!(!debug.to_lowercase().contains(&derived[..16]), "{debug}");
    let first_byte = u8::from_str_radix(&derived[..2], 16).unwrap();
    let second_byte = u8::from_str_radix(&derived[2..4], 16).unwrap();
    assert!(
        !debug.contains(&format!("[{first_byte}, {second_byte},")),
        "{debug}"
    );
    // The scope is not secret and helps debugging.
    assert!(
        debug.contains("20261127/cn-north-1/vm/jdcloud2_request"),
        "{debug}"
    );
}

/// The JDCLOUD2 signing key for 20261127/cn-north-1/vm, computed independently of the crate.
fn derived_key_hex(secret: &str) -> String {
    use hmac::{KeyInit, Mac};
    fn h(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
    let k = h(format!("JDCLOUD2{secret}").as_bytes(), b"20261127");
    let k = h(&k, b"cn-north-1");
    let k = h(&k, b"vm");
    let k = h(&k, b"jdcloud2_request");
    k.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_two_algorithms_sign_the_same_request_differently() {
    let headers = [("x-jdcloud-date", DATE)];
    let req = request("/", &headers);
    let two = sign_with(SigningAlgorithm::Jdcloud2, &req);
    let three = sign_with(SigningAlgorithm::Jdcloud3, &req);
    assert!(two.starts_with("JDCLOUD2-HMAC-SHA256 Credential=AKEXAMPLE0123456789/20261127/cn-north-1/vm/jdcloud2_request, "));
    assert!(three.starts_with("JDCLOUD3-HMAC-SHA256 Credential=AKEXAMPLE0123456789/20261127/cn-north-1/vm/jdcloud3_request, "));
    assert_ne!(signature(&two), signature(&three));
}

#[test]
fn signing_is_deterministic_and_depends_on_the_secret() {
    let headers = [("x-jdcloud-date", DATE)];
    let req = request("/", &headers);
    assert_eq!(
        sign_with(SigningAlgorithm::Jdcloud2, &req),
        sign_with(SigningAlgorithm::Jdcloud2, &req)
    );
    let other = sign(
        SigningAlgorithm::Jdcloud2,
        &Credentials::new("AKEXAMPLE0123456789", "another secret"),
        "cn-north-1",
        "vm",
        &req,
    )
    .unwrap();
    assert_ne!(
        signature(&other),
        signature(&sign_with(SigningAlgorithm::Jdcloud2, &req))
    );
}
