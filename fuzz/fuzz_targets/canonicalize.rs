//! The canonicaliser and signer on any path, query, header value and body: no panic, and the
//! canonical forms are fixed points.
#![no_main]

use jdcloud_vm::signing::{
    canonical_path, canonical_query, normalise_header_value, sign, SignableRequest,
    SigningAlgorithm,
};
use jdcloud_vm::Credentials;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{0}');
    let path = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let value = parts.next().unwrap_or("");

    let p = canonical_path(path);
    assert_eq!(canonical_path(&p), p, "canonical path is not a fixed point");
    let q = canonical_query(query);
    assert_eq!(
        canonical_query(&q),
        q,
        "canonical query is not a fixed point"
    );
    for algorithm in [SigningAlgorithm::Jdcloud2, SigningAlgorithm::Jdcloud3] {
        let v = normalise_header_value(algorithm, value);
        assert_eq!(normalise_header_value(algorithm, &v), v);
        let _ = sign(
            algorithm,
            &Credentials::new("ak", "sk"),
            "cn-north-1",
            "vm",
            &SignableRequest {
                method: "POST",
                path,
                query,
                headers: &[("x-jdcloud-date", "20261127T101500Z"), ("x-custom", value)],
                body: data,
            },
        );
    }
});
