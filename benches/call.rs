//! A whole `attachNetworkInterface` call against a minimal local HTTP server, versus plain
//! reqwest sending the same bytes to the same server: sequentially, and 64 in flight.
//!
//! `cargo bench --bench call`. Report ratios (sdk / reqwest) from one run: the machines are
//! shared and noisy, and only same-run ratios carry over.

#[path = "support/arms.rs"]
mod arms;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use arms::{sdk_call, sdk_client, start_server, Plain};

const IN_FLIGHT: usize = 64;

fn bench(c: &mut Criterion) {
    let endpoint = start_server();
    // One call at a time needs one thread: a current-thread runtime keeps cross-thread wake-ups
    // (scheduler noise on a shared 2-core machine) out of the sequential figures.
    let sequential_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // 64 in flight on one worker: the client on one core, the server's thread on the other, so
    // the figure is what each client costs rather than who wins the scheduler on two cores.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = sdk_client(&endpoint);
    let plain = Plain::new(&endpoint);

    let mut group = c.benchmark_group("call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential/reqwest", |b| {
        b.to_async(&sequential_rt).iter(|| plain.call())
    });
    group.bench_function("sequential/sdk", |b| {
        b.to_async(&sequential_rt).iter(|| sdk_call(&client))
    });
    group.finish();

    // Fresh clients: pooled connections are tasks of the runtime that opened them.
    let client = sdk_client(&endpoint);
    let plain = Plain::new(&endpoint);
    let mut group = c.benchmark_group("in_flight_64");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("reqwest", |b| {
        b.to_async(&rt).iter(|| {
            let plain = plain.clone();
            async move {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let plain = plain.clone();
                    set.spawn(async move { plain.call().await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap();
                }
            }
        })
    });
    group.bench_function("sdk", |b| {
        b.to_async(&rt).iter(|| {
            let client = client.clone();
            async move {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let client = client.clone();
                    set.spawn(async move { sdk_call(&client).await });
                }
                while let Some(r) = set.join_next().await {
                    r.unwrap();
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
