//! `sign` against the bare cost of its cryptography, on the attachNetworkInterface request.
//!
//! `sign/crypto_floor` is what no signer can avoid for an uncached key: SHA-256 of the body,
//! SHA-256 of a canonical request's worth of bytes, the four HMAC-SHA256 of the key derivation
//! and the one of the signature. `sign/jdcloud2` and `sign/jdcloud3` pay that plus
//! canonicalisation and formatting; the bar is within 2.0x of the floor.
//!
//! After criterion's figures, the same three are measured again in alternating rounds and the
//! median of the per-round ratios printed: the steadier figure on a shared machine.
//!
//! Run: `cargo bench --bench signing -- --warm-up-time 1 --measurement-time 3`

use std::{hint::black_box, time::Instant};

#[path = "../tests/vectors/mod.rs"]
mod vectors;

use criterion::{criterion_group, Criterion};
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

/// One thing measured: its name, and a closure doing it once.
type Arm = (&'static str, Box<dyn Fn() -> usize>);

/// The three things measured, each a closure over inputs built once: `sign` for each algorithm
/// and the floor. Shared by the criterion bench and the paired rounds.
fn arms() -> Vec<Arm> {
    let mut arms: Vec<Arm> = Vec::new();
    for (name, alg_name, alg) in [
        ("jdcloud2", "JDCLOUD2", SigningAlgorithm::Jdcloud2),
        ("jdcloud3", "JDCLOUD3", SigningAlgorithm::Jdcloud3),
    ] {
        // Leaked: the closures borrow it for the rest of the bench.
        let v: &'static Vector = Box::leak(Box::new(attach_vector(alg_name)));
        let headers: &'static [(&str, &str)] = v.headers().leak();
        let request = v.request(headers);
        let credentials = Credentials::new(&v.access_key, &v.secret_key);
        // A bench of a wrong signer measures nothing: check before timing.
        let authorization = sign(alg, &credentials, &v.region, &v.service, &request).unwrap();
        assert_eq!(authorization, v.expected_authorization);
        arms.push((
            name,
            Box::new(move || {
                sign(
                    alg,
                    black_box(&credentials),
                    black_box(&v.region),
                    black_box(&v.service),
                    black_box(&request),
                )
                .unwrap()
                .len()
            }),
        ));
    }

    // The floor, on inputs of the real sizes: the body, a canonical request as long as the real
    // one, and a string to sign as long as the real one.
    let v = attach_vector("JDCLOUD2");
    let headers = v.headers();
    let canonical_len = canonical_request(SigningAlgorithm::Jdcloud2, &v.request(&headers)).len();
    let canonical_bytes = vec![b'c'; canonical_len];
    // "JDCLOUD2-HMAC-SHA256\n<date>\n<scope>\n<64 hex>"
    let scope = format!("20261127/{}/{}/jdcloud2_request", v.region, v.service);
    let string_to_sign = vec![b's'; 20 + 1 + 16 + 1 + scope.len() + 1 + 64];
    let secret = format!("JDCLOUD2{}", v.secret_key);
    let (region, service, body) = (v.region.clone(), v.service.clone(), v.body.clone());
    arms.push((
        "crypto_floor",
        Box::new(move || {
            let body_hash = Sha256::digest(black_box(body.as_bytes()));
            let canonical_hash = Sha256::digest(black_box(&canonical_bytes));
            let k = hmac_sha256(black_box(secret.as_bytes()), b"20261127");
            let k = hmac_sha256(&k, black_box(region.as_bytes()));
            let k = hmac_sha256(&k, black_box(service.as_bytes()));
            let k = hmac_sha256(&k, b"jdcloud2_request");
            let signature = hmac_sha256(&k, black_box(&string_to_sign));
            black_box((body_hash, canonical_hash, signature));
            0
        }),
    ));
    arms
}

fn bench_sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");
    for (name, arm) in arms() {
        group.bench_function(name, |b| b.iter(&arm));
    }
    group.finish();

    let v = attach_vector("JDCLOUD2");
    c.bench_function("canonical_path/attach", |b| {
        b.iter(|| canonical_path(black_box(&v.path)))
    });
}

/// `sign` against the floor with the arms taking turns: criterion measures each for seconds in
/// turn, and on a shared machine its ratios move by 10–20% between runs; here every round of a
/// few milliseconds gives one ratio per algorithm, and the figure is their median.
fn paired(rounds: usize, iterations: usize) {
    let arms = arms();
    let floor = arms.len() - 1;
    let mut ratios = vec![Vec::new(); floor];
    for round in 0..rounds {
        let mut ns = vec![0.0; arms.len()];
        for i in 0..arms.len() {
            // A different arm goes first each round.
            let arm = (i + round) % arms.len();
            let started = Instant::now();
            for _ in 0..iterations {
                black_box(arms[arm].1());
            }
            ns[arm] = started.elapsed().as_secs_f64() * 1e9 / iterations as f64;
        }
        for (arm, ratio) in ratios.iter_mut().enumerate() {
            ratio.push(ns[arm] / ns[floor]);
        }
    }
    for (arm, mut ratio) in ratios.into_iter().enumerate() {
        ratio.sort_by(f64::total_cmp);
        let median = ratio[rounds / 2];
        println!(
            "sign/{} / crypto_floor, paired: median of {rounds} rounds {median:.3}x (quartiles {:.3}-{:.3}; bar: at most 2.0x, {})",
            arms[arm].0,
            ratio[rounds / 4],
            ratio[rounds * 3 / 4],
            if median <= 2.0 { "met" } else { "NOT met" }
        );
    }
}

criterion_group!(benches, bench_sign);

fn main() {
    benches();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and wants it quick.
    if std::env::args().any(|a| a == "--bench") {
        paired(201, 2000);
    } else {
        paired(3, 10);
    }
    Criterion::default().configure_from_args().final_summary();
}
