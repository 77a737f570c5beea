//! `sign` against the bare cost of its cryptography, on the attachNetworkInterface request.
//!
//! `sign/crypto_floor` is what no signer can avoid for an uncached key: SHA-256 of the body,
//! SHA-256 of a canonical request's worth of bytes, the four HMAC-SHA256 of the key derivation
//! and the one of the signature. `sign/jdcloud2` and `sign/jdcloud3` pay that plus
//! canonicalisation and formatting; issue 6 wants them within 1.5x of the floor.
//!
//! Run: `cargo bench --bench signing -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

#[path = "../tests/vectors/mod.rs"]
mod vectors;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{KeyInit, Mac};
use jdcloud_vm::signing::{canonical_path, canonical_request, sign, SigningAlgorithm};
use jdcloud_vm::Credentials;
use sha2::{Digest, Sha256};
use vectors::{load, Vector};

/// The same request the client tests pin, so the bench measures what a real call signs.
const ATTACH: &str = include_str!("../tests/data/attach.json");

/// The attach vector of `algorithm` without a security token: the client's common case.
fn attach_vector(algorithm: &str) -> Vector {
    load(ATTACH)
        .into_iter()
        .find(|v| v.algorithm == algorithm && v.headers.len() == 4)
        .expect("attach.json has the vector")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn bench_sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");

    for (name, alg_name, alg) in [
        ("jdcloud2", "JDCLOUD2", SigningAlgorithm::Jdcloud2),
        ("jdcloud3", "JDCLOUD3", SigningAlgorithm::Jdcloud3),
    ] {
        let v = attach_vector(alg_name);
        let headers = v.headers();
        let request = v.request(&headers);
        let credentials = Credentials::new(&v.access_key, &v.secret_key);
        // A bench of a wrong signer measures nothing: check before timing.
        let authorization = sign(alg, &credentials, &v.region, &v.service, &request).unwrap();
        assert_eq!(authorization, v.expected_authorization);

        group.bench_function(name, |b| {
            b.iter(|| {
                sign(
                    alg,
                    black_box(&credentials),
                    black_box(&v.region),
                    black_box(&v.service),
                    black_box(&request),
                )
                .unwrap()
            })
        });
    }

    // The floor, on inputs of the real sizes: the body, a canonical request as long as the real
    // one, and a string to sign as long as the real one.
    let v = attach_vector("JDCLOUD2");
    let headers = v.headers();
    let request = v.request(&headers);
    let canonical_len = canonical_request(SigningAlgorithm::Jdcloud2, &request).len();
    let canonical_bytes = vec![b'c'; canonical_len];
    // "JDCLOUD2-HMAC-SHA256\n<date>\n<scope>\n<64 hex>"
    let scope = format!("20261127/{}/{}/jdcloud2_request", v.region, v.service);
    let string_to_sign = vec![b's'; 20 + 1 + 16 + 1 + scope.len() + 1 + 64];
    let secret = format!("JDCLOUD2{}", v.secret_key);
    let body = v.body.as_bytes();
    group.bench_function("crypto_floor", |b| {
        b.iter(|| {
            let body_hash = Sha256::digest(black_box(body));
            let canonical_hash = Sha256::digest(black_box(&canonical_bytes));
            let k = hmac_sha256(black_box(secret.as_bytes()), b"20261127");
            let k = hmac_sha256(&k, black_box(v.region.as_bytes()));
            let k = hmac_sha256(&k, black_box(v.service.as_bytes()));
            let k = hmac_sha256(&k, b"jdcloud2_request");
            let signature = hmac_sha256(&k, black_box(&string_to_sign));
            (body_hash, canonical_hash, signature)
        })
    });
    group.finish();

    c.bench_function("canonical_path/attach", |b| {
        b.iter(|| canonical_path(black_box(&v.path)))
    });
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
