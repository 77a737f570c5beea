//! A whole `attachNetworkInterface` call against a minimal local HTTP server, versus plain
//! reqwest sending the same bytes to the same server: sequentially, and 64 in flight.
//!
//! `cargo bench --bench call`. Report ratios (sdk / reqwest) from one run: the machines are
//! shared and noisy, and only same-run ratios carry over.

#[path = "../tests/plain_http/mod.rs"]
mod plain_http;

use std::{sync::Arc, time::Duration};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jdcloud_vm::{Client, Credentials, RetryConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

const BODY: &[u8] = br#"{"networkInterfaceId":"port-n2h7abcdse","autoDelete":false}"#;
const ANSWER: &[u8] = br#"{"requestId":"c2hmmaan8w06w19qcdfuic4w03f7ft2d"}"#;
const IN_FLIGHT: usize = 64;

/// A keep-alive HTTP/1.1 server that answers every request with the same 200, as cheaply as
/// possible, so the figures are the clients' cost. Runs on its own thread and runtime.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let response: Arc<Vec<u8>> = Arc::new(
                [
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-jdcloud-request-id: c2hmmaan8w06w19qcdfuic4w03f7ft2d\r\ncontent-length: {}\r\n\r\n",
                        ANSWER.len()
                    )
                    .as_bytes(),
                    ANSWER,
                ]
                .concat(),
            );
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let response = response.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::with_capacity(4096);
                    let mut chunk = [0u8; 4096];
                    loop {
                        // Serve every complete request in the buffer.
                        while let Some(end) = find(&buf, b"\r\n\r\n") {
                            let head = std::str::from_utf8(&buf[..end]).unwrap_or("").to_ascii_lowercase();
                            let length: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if buf.len() < end + 4 + length {
                                break;
                            }
                            buf.drain(..end + 4 + length);
                            if socket.write_all(&response).await.is_err() {
                                return;
                            }
                        }
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                });
            }
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn sdk_client(endpoint: &str) -> Client {
    Client::builder()
        .credentials(Credentials::new(
            "AKEXAMPLE0123456789",
            "SKEXAMPLEabcdefghijklmnopqrstuvwxyz",
        ))
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

/// The HTTP client a hand-written caller would build: the SDK's timeouts, and its
/// `user-agent`, so that both arms put the same bytes on the wire.
fn plain_client() -> reqwest::Client {
    plain_http::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(jdcloud_vm::user_agent())
        .build()
        .unwrap()
}

/// What a hand-written caller would send: the same URL, headers and body, signature included
/// (computed once: plain reqwest is the floor the SDK is measured against).
fn plain_request(http: &reqwest::Client, url: &str, host: &str) -> reqwest::RequestBuilder {
    http.post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("host", host)
        .header("x-jdcloud-date", "20261127T101500Z")
        .header("x-jdcloud-nonce", "6f1c2e5a-3b7d-4c9e-8a1f-0d2b4c6e8a10")
        .header(
            "authorization",
            "JDCLOUD2-HMAC-SHA256 Credential=AKEXAMPLE0123456789/20261127/cn-north-1/vm/jdcloud2_request, SignedHeaders=content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=7392e5f06e8ed90155cbdeea5f00f7ff05c4d42e8115d61479a6ba87817fd712",
        )
        .body(BODY)
}

async fn sdk_call(client: &Client) {
    let response = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-eumm1234d6")
        .body_map(|b| b.network_interface_id("port-n2h7abcdse").auto_delete(false))
        .send()
        .await
        .expect("the call succeeds");
    assert!(!response.into_inner().request_id.is_empty());
}

async fn plain_call(http: &reqwest::Client, url: &str, host: &str) {
    let response = plain_request(http, url, host)
        .send()
        .await
        .expect("the call succeeds");
    assert!(response.status().is_success());
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(body["requestId"].is_string());
}

fn bench(c: &mut Criterion) {
    let endpoint = start_server();
    let host = endpoint.trim_start_matches("http://").to_owned();
    let url =
        format!("{endpoint}/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface");
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
    let http = plain_client();

    let mut group = c.benchmark_group("call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential/reqwest", |b| {
        b.to_async(&sequential_rt)
            .iter(|| plain_call(&http, &url, &host))
    });
    group.bench_function("sequential/sdk", |b| {
        b.to_async(&sequential_rt).iter(|| sdk_call(&client))
    });
    group.finish();

    // Fresh clients: pooled connections are tasks of the runtime that opened them.
    let client = sdk_client(&endpoint);
    let http = plain_client();
    let mut group = c.benchmark_group("in_flight_64");
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("reqwest", |b| {
        b.to_async(&rt).iter(|| {
            let (http, url, host) = (http.clone(), url.clone(), host.clone());
            async move {
                let mut set = tokio::task::JoinSet::new();
                for _ in 0..IN_FLIGHT {
                    let (http, url, host) = (http.clone(), url.clone(), host.clone());
                    set.spawn(async move { plain_call(&http, &url, &host).await });
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
