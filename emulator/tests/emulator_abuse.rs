//! The emulator under abuse: malformed and oversized requests, missing and duplicated gateway
//! headers, unknown routes, dot segments and encoded slashes, huge headers and slow clients.
//! Each gets a clear 4xx in JD Cloud's format (or, for a stalled client, a closed connection),
//! and afterwards the emulator still serves a correctly signed attach from the SDK.

mod plain_http;

use std::time::{Duration, Instant, SystemTime};

use jdcloud_vm::{
    signing::{sign, SignableRequest, SigningAlgorithm},
    Client, Credentials, RetryConfig,
};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const REGION: &str = "cn-north-1";
/// How many instance and interface pairs the state has: one per check that the emulator still
/// serves.
const PAIRS: usize = 16;

fn state() -> EmulatorState {
    let instances: Vec<String> = (0..PAIRS)
        .map(|n| {
            format!(r#"{{"id": "i-{n}", "region": "{REGION}", "az": "{REGION}a", "vpc": "vpc-1"}}"#)
        })
        .collect();
    let interfaces: Vec<String> = (0..PAIRS)
        .map(|n| {
            format!(r#"{{"id": "port-{n}", "region": "{REGION}", "vpc": "vpc-1", "owner": "AK"}}"#)
        })
        .collect();
    EmulatorState::from_json(&format!(
        r#"{{"credentials": [{{"access_key": "AK", "secret_key": "SK"}}],
            "instances": [{}], "network_interfaces": [{}]}}"#,
        instances.join(","),
        interfaces.join(",")
    ))
    .expect("the test state parses")
}

async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start_with(state(), config)
        .await
        .expect("the emulator starts")
}

/// Asserts that the SDK still attaches `port-N` to `i-N`. A fresh client each time: a pooled
/// connection that the emulator closed for idleness is not what these tests are about.
async fn assert_still_serves(emulator: &Emulator, n: usize) {
    let client = Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client");
    let instance = format!("i-{n}");
    let interface = format!("port-{n}");
    client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(instance.as_str())
        .network_interface_id(interface.as_str())
        .send()
        .await
        .unwrap_or_else(|e| panic!("the emulator no longer serves the SDK: {e}"));
    assert_eq!(
        emulator.attached_to(&interface).as_deref(),
        Some(instance.as_str())
    );
}

// ---------------------------------------------------------------- raw requests

fn attach_path(instance: &str) -> String {
    format!("/v1/regions/{REGION}/instances/{instance}:attachNetworkInterface")
}

/// The headers of a request to `path` with `body`, signed as the SDK signs (content type,
/// host, date, nonce), the `authorization` last.
fn signed_headers(emulator: &Emulator, path: &str, body: &[u8]) -> Vec<(String, String)> {
    let host = emulator.local_addr().to_string();
    let date = jdcloud_vm::signing::format_date(SystemTime::now());
    let nonce = uuid::Uuid::new_v4().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("host", host.as_str()),
        ("x-jdcloud-date", date.as_str()),
        ("x-jdcloud-nonce", nonce.as_str()),
    ];
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let authorization = sign(
        SigningAlgorithm::Jdcloud2,
        &Credentials::new("AK", "SK"),
        REGION,
        "vm",
        &SignableRequest {
            method: "POST",
            path,
            query,
            headers: &headers,
            body,
        },
    )
    .expect("signable");
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .chain([("authorization".to_owned(), authorization)])
        .collect()
}

/// An HTTP/1.1 request as bytes, asking the server to close the connection after answering.
fn raw_request(method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n").into_bytes();
    if !headers.iter().any(|(n, _)| n == "host") {
        out.extend_from_slice(b"host: emulator\r\n");
    }
    for (name, value) in headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// An answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body, after checking that its `requestId` is the header's.
    fn json(&self) -> serde_json::Value {
        let body: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the {} answer is not JSON ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        });
        let id = self
            .header("x-jdcloud-request-id")
            .expect("an x-jdcloud-request-id header");
        assert_eq!(body["requestId"].as_str(), Some(id), "{body}");
        assert_eq!(id.len(), 32, "{id}");
        body
    }
}

/// Parses a whole answer (the server closed the connection after it).
fn parse_answer(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete answer: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// Sends `request` on a fresh connection and reads everything until the server closes it.
async fn exchange(emulator: &Emulator, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("an answer within 10 s")
        .expect("an answer, not a reset");
    parse_answer(&raw)
}

/// Asserts an answer in JD Cloud's error format with these status, code and message.
fn assert_error(answer: &Answer, http: u16, status: &str, message: &str) {
    let body = answer.json();
    assert_eq!(answer.status, http, "{body}");
    assert_eq!(body["error"]["code"], http, "{body}");
    assert_eq!(body["error"]["status"], status, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
}

// ---------------------------------------------------------------- malformed bodies

#[tokio::test]
async fn malformed_json_bodies_are_invalid_arguments() {
    let emulator = emulator().await;
    let deep = "[".repeat(60_000);
    let cases: [(&str, &[u8]); 6] = [
        ("truncated", br#"{"networkInterfaceId": "port-0""#),
        ("not UTF-8", b"{\"networkInterfaceId\": \"\xff\xfe\"}"),
        ("trailing garbage", br#"{"networkInterfaceId": "port-0"} x"#),
        ("nested past serde's recursion limit", deep.as_bytes()),
        ("a NUL", b"\0"),
        ("a lone surrogate", br#"{"networkInterfaceId": "\ud800"}"#),
    ];
    for (what, body) in cases {
        let path = attach_path("i-0");
        let headers = signed_headers(&emulator, &path, body);
        let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
        let json = answer.json();
        assert_eq!(answer.status, 400, "{what}: {json}");
        assert_eq!(
            json["error"]["status"], "INVALID_ARGUMENT",
            "{what}: {json}"
        );
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Malformed JSON body"),
            "{what}: {message}"
        );
    }
    assert_eq!(emulator.attached_to("port-0"), None);
    assert_still_serves(&emulator, 0).await;
}

// ---------------------------------------------------------------- bodies over the limit

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let emulator = emulator().await;
    // Only the head is sent: the refusal must not wait for a gigabyte that never comes.
    let request = format!(
        "POST {} HTTP/1.1\r\nhost: emulator\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        attach_path("i-0"),
        1u64 << 30
    );
    let answer = exchange(&emulator, request.as_bytes()).await;
    assert_error(
        &answer,
        413,
        "INVALID_ARGUMENT",
        "Request body is larger than 65536 bytes",
    );
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused() {
    let emulator = emulator().await;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nhost: emulator\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n",
        attach_path("i-0")
    )
    .into_bytes();
    for _ in 0..5 {
        request.extend_from_slice(format!("{:x}\r\n", 16 * 1024).as_bytes());
        request.extend_from_slice(&[b'x'; 16 * 1024]);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let answer = exchange(&emulator, &request).await;
    assert_error(
        &answer,
        413,
        "INVALID_ARGUMENT",
        "Request body is larger than 65536 bytes",
    );
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_client_still_uploading_a_large_body_reads_the_413() {
    let emulator = emulator().await;
    // 8 MiB is more than the socket buffers hold: the emulator answers while the client is
    // still writing, and the client must get that answer rather than a reset connection.
    let big = vec![b'x'; 8 << 20];
    let path = attach_path("i-0");
    let headers = signed_headers(&emulator, &path, &big);
    let mut request = plain_http::plain_http()
        .post(format!("{}{path}", emulator.endpoint()))
        .body(big);
    for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .expect("the 413, not a reset connection");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.bytes().await.unwrap().to_vec();
    assert_error(
        &Answer {
            status,
            headers,
            body,
        },
        413,
        "INVALID_ARGUMENT",
        "Request body is larger than 65536 bytes",
    );
    assert_still_serves(&emulator, 0).await;
}

// ---------------------------------------------------------------- missing and duplicated headers

#[tokio::test]
async fn each_missing_gateway_header_is_named_in_the_refusal() {
    let emulator = emulator().await;
    let body = br#"{"networkInterfaceId":"port-0"}"#;
    let path = attach_path("i-0");
    for (dropped, message) in [
        ("authorization", "lack of header authorization[gw]"),
        ("x-jdcloud-date", "lack of header x-jdcloud-date[gw]"),
        ("x-jdcloud-nonce", "lack of header x-jdcloud-nonce[gw]"),
        ("content-type", "lack of signed header content-type[gw]"),
    ] {
        let headers: Vec<_> = signed_headers(&emulator, &path, body)
            .into_iter()
            .filter(|(n, _)| n != dropped)
            .collect();
        let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
        assert_error(&answer, 401, "ACCESS_ERROR", message);
    }
    assert_eq!(emulator.attached_to("port-0"), None);
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_duplicated_authorization_date_or_nonce_is_refused_whichever_copy_is_valid() {
    let emulator = emulator().await;
    let body = br#"{"networkInterfaceId":"port-0"}"#;
    let path = attach_path("i-0");
    let garbage = [
        (
            "authorization",
            "JDCLOUD2-HMAC-SHA256 Credential=AK/20200101/cn-north-1/vm/jdcloud2_request, \
             SignedHeaders=host, Signature=00",
        ),
        ("x-jdcloud-date", "20200101T000000Z"),
        ("x-jdcloud-nonce", "another-nonce"),
    ];
    for (name, other) in garbage {
        for valid_first in [true, false] {
            let mut headers = signed_headers(&emulator, &path, body);
            let extra = (name.to_owned(), other.to_owned());
            if valid_first {
                headers.push(extra);
            } else {
                headers.insert(0, extra);
            }
            let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
            assert_error(
                &answer,
                401,
                "ACCESS_ERROR",
                &format!("duplicate header {name}[gw]"),
            );
        }
    }
    // Even two identical copies: a proxy in front might have merged, dropped or kept either.
    let mut headers = signed_headers(&emulator, &path, body);
    let authorization = headers.last().cloned().unwrap();
    headers.push(authorization);
    let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
    assert_error(
        &answer,
        401,
        "ACCESS_ERROR",
        "duplicate header authorization[gw]",
    );
    assert_eq!(emulator.attached_to("port-0"), None);
    assert_still_serves(&emulator, 0).await;
}

// ---------------------------------------------------------------- routes, methods and paths

#[tokio::test]
async fn unknown_routes_are_404_and_other_methods_405() {
    let emulator = emulator().await;
    let attach = attach_path("i-0");
    for (method, path, http, status) in [
        ("POST", "/", 404, "NOT_FOUND"),
        ("POST", "/v1", 404, "NOT_FOUND"),
        (
            "POST",
            "/v1/regions/cn-north-1/instances/i-0/interfaces",
            404,
            "NOT_FOUND",
        ),
        (
            "POST",
            "/v1/regions/cn-north-1/instances/i-0:bogusAction",
            404,
            "NOT_FOUND",
        ),
        ("GET", "/v1/regions", 404, "NOT_FOUND"),
        ("GET", &attach, 405, "METHOD_NOT_ALLOWED"),
        ("PUT", &attach, 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", &attach, 405, "METHOD_NOT_ALLOWED"),
        ("PATCH", &attach, 405, "METHOD_NOT_ALLOWED"),
        ("OPTIONS", &attach, 405, "METHOD_NOT_ALLOWED"),
        ("BREW", &attach, 405, "METHOD_NOT_ALLOWED"),
    ] {
        let answer = exchange(&emulator, &raw_request(method, path, &[], b"")).await;
        let json = answer.json();
        assert_eq!(answer.status, http, "{method} {path}: {json}");
        assert_eq!(json["error"]["code"], http, "{json}");
        assert_eq!(json["error"]["status"], status, "{json}");
        if http == 405 {
            assert_eq!(answer.header("allow"), Some("POST"), "{method}");
        }
    }
    // HEAD: the same 405 and request id, without a body, as HTTP requires.
    let answer = exchange(&emulator, &raw_request("HEAD", &attach, &[], b"")).await;
    assert_eq!(answer.status, 405);
    assert_eq!(
        answer.header("x-jdcloud-request-id").map(str::len),
        Some(32)
    );
    assert!(answer.body.is_empty());
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn dot_segments_and_encoded_slashes_never_reach_another_instance() {
    let emulator = emulator().await;
    let body = br#"{"networkInterfaceId":"port-1"}"#;
    // Signed over the raw path, so that only routing can refuse them.
    for path in [
        "/v1/regions/cn-north-1/instances/../instances/i-1:attachNetworkInterface",
        "/v1/regions/cn-north-1/instances/./i-1:attachNetworkInterface",
        "/v1/regions/cn-north-1/instances/x%2F..%2Fi-1:attachNetworkInterface",
        "/v1/regions/cn-north-1/instances/i-9%2F..%2F..%2Fi-1:attachNetworkInterface",
        "/v1/regions/cn-north-1%2Finstances%2Fi-9/instances/i-1:attachNetworkInterface",
        "/v1/regions/../regions/cn-north-1/instances/i-1:attachNetworkInterface",
        "//v1/regions/cn-north-1/instances/i-1:attachNetworkInterface",
        "/v1/regions/cn-north-1/instances/i-1%2F:attachNetworkInterface",
    ] {
        let headers = signed_headers(&emulator, path, body);
        let answer = exchange(&emulator, &raw_request("POST", path, &headers, body)).await;
        let json = answer.json();
        assert_eq!(
            (answer.status, json["error"]["status"].as_str()),
            (404, Some("NOT_FOUND")),
            "{path}: {json}"
        );
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("No API matches POST"),
            "{path}: {json}"
        );
    }
    // A dot segment as the whole id is an id the spec's pattern refuses, as the SDK does.
    let path = attach_path("..");
    let headers = signed_headers(&emulator, &path, body);
    let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
    assert_error(
        &answer,
        400,
        "INVALID_ARGUMENT",
        "instanceId must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    );

    assert_eq!(emulator.attached_to("port-1"), None);
    assert_still_serves(&emulator, 1).await;
}

// ---------------------------------------------------------------- huge headers

#[tokio::test]
async fn a_huge_header_is_refused_with_431_even_on_a_signed_request() {
    let emulator = emulator().await;
    let body = br#"{"networkInterfaceId":"port-0"}"#;
    let path = attach_path("i-0");
    let mut headers = signed_headers(&emulator, &path, body);
    headers.push(("x-padding".to_owned(), "x".repeat(64 * 1024)));
    let answer = exchange(&emulator, &raw_request("POST", &path, &headers, body)).await;
    assert_error(
        &answer,
        431,
        "INVALID_ARGUMENT",
        "Request headers are larger than 16384 bytes",
    );
    assert_eq!(emulator.attached_to("port-0"), None);
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn headers_beyond_hypers_own_limits_get_its_431_and_the_server_goes_on() {
    let emulator = emulator().await;
    // Over about 400 KiB, or over 100 headers, hyper answers before the emulator sees the
    // request: a bare 431 without JD Cloud's body (the emulator cannot reach hyper's limits
    // through axum::serve). What matters here: an answer, and no harm done.
    let huge = vec![("x-padding".to_owned(), "x".repeat(1 << 20))];
    let many: Vec<_> = (0..150)
        .map(|n| (format!("x-h{n}"), "v".to_owned()))
        .collect();
    for headers in [huge, many] {
        let answer = exchange(&emulator, &raw_request("POST", "/", &headers, b"")).await;
        assert_eq!(answer.status, 431, "{answer:?}");
    }
    assert_still_serves(&emulator, 0).await;
}

// ---------------------------------------------------------------- slow clients

/// Short, so that these tests do not wait the default 30 s.
const SLOW: Duration = Duration::from_millis(600);

async fn slow_emulator() -> Emulator {
    emulator_with(EmulatorConfig::default().slow_client_timeout(SLOW)).await
}

/// Waits for the server to close `stream`; what it sent before, and how long it took.
async fn until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let closed = tokio::time::timeout(SLOW * 10, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {:?}",
        SLOW * 10
    );
    (received, started.elapsed())
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_timeout() {
    let emulator = slow_emulator().await;
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let (received, waited) = until_closed(&mut stream).await;
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    assert!(waited >= SLOW.mul_f32(0.8), "closed too early: {waited:?}");
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn half_a_request_then_a_stall_is_closed_after_the_timeout() {
    let emulator = slow_emulator().await;
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream
        .write_all(b"POST /v1/regions/cn-north-1/instances/i-0:attachNetworkInterface HTTP/1.1\r\nhost: e\r\ncontent-le")
        .await
        .unwrap();
    let (received, waited) = until_closed(&mut stream).await;
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    assert!(waited >= SLOW.mul_f32(0.8), "closed too early: {waited:?}");
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_body_that_stalls_is_closed_or_refused_in_jdcloud_format() {
    let emulator = slow_emulator().await;
    let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stream
        .write_all(b"POST /v1/regions/cn-north-1/instances/i-0:attachNetworkInterface HTTP/1.1\r\nhost: e\r\ncontent-length: 100\r\n\r\n{\"networkInt")
        .await
        .unwrap();
    let (received, _) = until_closed(&mut stream).await;
    // Closed, perhaps after saying why: if anything came, it is a 4xx in JD Cloud's format.
    if !received.is_empty() {
        let answer = parse_answer(&received);
        let json = answer.json();
        assert!((400..500).contains(&answer.status), "{json}");
        assert_eq!(json["error"]["code"], answer.status, "{json}");
    }
    assert_eq!(emulator.attached_to("port-0"), None);
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_client_trickling_a_byte_at_a_time_is_cut_off_within_the_timeout() {
    let emulator = slow_emulator().await;
    let stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // Progress every 50 ms never resets the clock: the request must arrive whole in time.
    let request = raw_request("POST", &attach_path("i-0"), &[], b"{}");
    let trickle = tokio::spawn(async move {
        for byte in request {
            if writer.write_all(&[byte]).await.is_err() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    });
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(SLOW * 10, async {
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after {:?}", SLOW * 10);
    assert!(
        started.elapsed() < SLOW * 3,
        "closed only after {:?}",
        started.elapsed()
    );
    trickle.abort();
    assert_still_serves(&emulator, 0).await;
}

#[tokio::test]
async fn a_stalled_client_holds_up_neither_other_clients_nor_shutdown() {
    let emulator =
        emulator_with(EmulatorConfig::default().slow_client_timeout(Duration::from_secs(2))).await;
    let mut stalled = TcpStream::connect(emulator.local_addr()).await.unwrap();
    stalled.write_all(b"POST / HTTP/1.1\r\nhost").await.unwrap();

    let started = Instant::now();
    assert_still_serves(&emulator, 0).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // Graceful shutdown waits for connections in flight, so without a timeout the stalled
    // one would keep it waiting forever.
    tokio::time::timeout(Duration::from_secs(10), emulator.shutdown())
        .await
        .expect("shutdown finishes despite a stalled client");
    drop(stalled);
}
