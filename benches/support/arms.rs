//! The two arms every call bench compares, and the server they call: a whole
//! `attachNetworkInterface` through the SDK, and plain reqwest sending the same bytes.
#![allow(dead_code)]

use std::{sync::Arc, time::Duration};

use jdcloud_vm::{Client, Credentials, RetryConfig};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

pub const BODY: &[u8] = br#"{"networkInterfaceId":"port-n2h7abcdse","autoDelete":false}"#;
pub const ANSWER: &[u8] = br#"{"requestId":"c2hmmaan8w06w19qcdfuic4w03f7ft2d"}"#;

/// A keep-alive HTTP/1.1 server that answers every request with the same 200, as cheaply as
/// possible, so the figures are the clients' cost. Runs on its own thread and runtime.
pub fn start_server() -> String {
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

pub fn sdk_client(endpoint: &str) -> Client {
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

/// The hand-written caller the SDK is measured against: plain reqwest, the same URL, headers and
/// body, the signature included (computed once: plain reqwest is the floor).
#[derive(Clone)]
pub struct Plain {
    http: reqwest::Client,
    url: String,
    host: String,
}

impl Plain {
    /// The client a hand-written caller would build: the SDK's timeouts and its `user-agent`,
    /// so that both arms put the same bytes on the wire.
    pub fn new(endpoint: &str) -> Plain {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(jdcloud_vm::user_agent())
            .build()
            .unwrap();
        Plain {
            http,
            url: format!(
                "{endpoint}/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface"
            ),
            host: endpoint.trim_start_matches("http://").to_owned(),
        }
    }

    pub async fn call(&self) {
        let request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("host", &self.host)
            .header("x-jdcloud-date", "20261127T101500Z")
            .header("x-jdcloud-nonce", "6f1c2e5a-3b7d-4c9e-8a1f-0d2b4c6e8a10")
            .header(
                "authorization",
                "JDCLOUD2-HMAC-SHA256 Credential=AKEXAMPLE0123456789/20261127/cn-north-1/vm/jdcloud2_request, SignedHeaders=content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=7392e5f06e8ed90155cbdeea5f00f7ff05c4d42e8115d61479a6ba87817fd712",
            );
        send_checked(request).await;
    }
}

/// Sends a hand-built call with the attach body and checks its answer, as the SDK's typed
/// decoding does.
async fn send_checked(request: reqwest::RequestBuilder) {
    let response = request.body(BODY).send().await.expect("the call succeeds");
    assert!(response.status().is_success());
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(body["requestId"].is_string());
}

/// plain reqwest as a caller who writes the client by hand must use it against the real gateway:
/// every call dated, given a fresh nonce and signed (with this crate's pure `signing::sign`, the
/// key derived each time, as a straightforward hand-written client does). What the SDK replaces.
#[derive(Clone)]
pub struct HandSigned {
    plain: Plain,
    path: String,
    credentials: Credentials,
}

impl HandSigned {
    pub fn new(endpoint: &str) -> HandSigned {
        let plain = Plain::new(endpoint);
        let path = reqwest::Url::parse(&plain.url).unwrap().path().to_owned();
        HandSigned {
            plain,
            path,
            credentials: Credentials::new(
                "AKEXAMPLE0123456789",
                "SKEXAMPLEabcdefghijklmnopqrstuvwxyz",
            ),
        }
    }

    pub async fn call(&self) {
        use jdcloud_vm::signing::{format_date, sign, SignableRequest, SigningAlgorithm};
        let date = format_date(std::time::SystemTime::now());
        let nonce = uuid::Uuid::new_v4().to_string();
        let headers = [
            ("content-type", "application/json"),
            ("host", self.plain.host.as_str()),
            ("x-jdcloud-date", date.as_str()),
            ("x-jdcloud-nonce", nonce.as_str()),
        ];
        let authorization = sign(
            SigningAlgorithm::Jdcloud2,
            &self.credentials,
            "cn-north-1",
            "vm",
            &SignableRequest {
                method: "POST",
                path: &self.path,
                query: "",
                headers: &headers,
                body: BODY,
            },
        )
        .unwrap();
        let mut request = self.plain.http.post(&self.plain.url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        send_checked(
            request
                .header("accept", "application/json")
                .header("authorization", authorization),
        )
        .await;
    }
}

pub async fn sdk_call(client: &Client) {
    let response = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-eumm1234d6")
        .network_interface_id("port-n2h7abcdse")
        .auto_delete(false)
        .send()
        .await
        .expect("the call succeeds");
    assert!(!response.into_inner().request_id.is_empty());
}

/// The three callers every paired bench compares, with the server they call and the one-thread
/// runtime they run on (the server has a thread of its own: the figures are each client's).
pub struct Callers {
    pub rt: tokio::runtime::Runtime,
    pub sdk: Client,
    pub plain: Plain,
    pub hand_signed: HandSigned,
}

/// The arms, as [`call`] numbers them.
pub const ARMS: usize = 3;
pub const SDK: usize = 0;
pub const PLAIN: usize = 1;
pub const HAND_SIGNED: usize = 2;

impl Callers {
    pub fn start() -> Callers {
        let endpoint = start_server();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Callers {
            rt,
            sdk: sdk_client(&endpoint),
            plain: Plain::new(&endpoint),
            hand_signed: HandSigned::new(&endpoint),
        }
    }
}

/// One call by arm `arm` ([`SDK`], [`PLAIN`] or [`HAND_SIGNED`]).
pub async fn call(arm: usize, sdk: &Client, plain: &Plain, hand_signed: &HandSigned) {
    match arm {
        SDK => sdk_call(sdk).await,
        PLAIN => plain.call().await,
        _ => hand_signed.call().await,
    }
}
