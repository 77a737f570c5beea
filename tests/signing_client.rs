//! Signing as the client does it, per attempt: a whole call pinned to the published attach
//! vectors, a wrong secret refused, a retry signed afresh, and no secret in any `Debug`.

mod common;

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, UNIX_EPOCH},
};

use common::{
    attach, builder, catch_all, credentials, success_example, verify, SignedBy, ATTACH_PATH,
    INSTANCE, INTERFACE, REGION,
};
use jdcloud_vm::{Client, Credentials, RetryConfig, SigningAlgorithm};
use serde::Deserialize;
use wiremock::{
    matchers::{body_string, method, path},
    Mock, MockServer, ResponseTemplate,
};

/// One case of `tests/data/attach.json` (a copy of the shared vectors; tests never read
/// `../shared`).
#[derive(Debug, Deserialize)]
struct Vector {
    id: String,
    algorithm: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    access_key: String,
    secret_key: String,
    expected_authorization: String,
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/attach.json"
    ))
    .expect("tests/data/attach.json");
    serde_json::from_str(&text).expect("the attach vectors")
}

/// The vectors' instant, 20261127T101500Z.
const VECTOR_TIME: u64 = 1_795_774_500;
/// The vectors' nonce.
const VECTOR_NONCE: &str = "6f1c2e5a-3b7d-4c9e-8a1f-0d2b4c6e8a10";
/// The vectors' token, `dG9rLTEyMw==` once base64-encoded.
const VECTOR_TOKEN: &str = "tok-123";

/// Environment variables set until dropped, then restored to what they were.
struct EnvGuard(Vec<(&'static str, Option<std::ffi::OsString>)>);

impl EnvGuard {
    /// Sets `vars` in order.
    fn set(vars: &[(&'static str, &str)]) -> EnvGuard {
        let saved = vars
            .iter()
            .map(|(name, _)| (*name, std::env::var_os(name)))
            .collect();
        for (name, value) in vars {
            std::env::set_var(name, value);
        }
        EnvGuard(saved)
    }
}

impl Drop for EnvGuard {
    fn drop(&mut self) {
        // In reverse: the proxy goes before the exemption that keeps other tests off it.
        for (name, value) in self.0.iter().rev() {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

/// Matches a request carrying `name` once, with exactly `value` (wiremock's `header` splits
/// values at commas, and an `Authorization` has two).
fn raw_header(name: &str, value: &str) -> impl Fn(&wiremock::Request) -> bool + Send + Sync {
    let (name, value) = (name.to_owned(), value.to_owned());
    move |request: &wiremock::Request| {
        let mut values = request.headers.get_all(name.as_str()).iter();
        matches!((values.next(), values.next()), (Some(v), None) if v.as_bytes() == value.as_bytes())
    }
}

/// A received request as text: request line, headers, body.
fn describe(request: &wiremock::Request) -> String {
    let mut text = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        text += &format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes()));
    }
    text + &String::from_utf8_lossy(&request.body)
}

// The vectors sign `host: vm.jdcloud-api.com`, with no port, so the client must believe it talks
// to that host on its default port. reqwest reads `HTTP_PROXY` when a client is built: pointed
// at a wiremock server, the request arrives there in absolute form with its headers untouched,
// and nothing leaves the machine. `http://` rather than the vectors' `https://`: the scheme is
// not signed, and a proxied https request would be an opaque TLS tunnel. All four cases live in
// this one test because the environment is the process's; `NO_PROXY` is set first, so the other
// tests' clients (for 127.0.0.1) that are built meanwhile still go direct.
#[tokio::test]
async fn a_pinned_call_carries_exactly_the_vector_authorization() {
    let vectors = vectors();
    assert_eq!(
        vectors.len(),
        4,
        "JDCLOUD2 and JDCLOUD3, each with and without a token"
    );
    let proxy = MockServer::start().await;
    for vector in &vectors {
        let mut mock = Mock::given(method(vector.method.as_str()))
            .and(path(vector.path.as_str()))
            .and(body_string(vector.body.clone()))
            .and(raw_header("authorization", &vector.expected_authorization));
        for (name, value) in &vector.headers {
            mock = mock.and(raw_header(name, value));
        }
        mock.respond_with(ResponseTemplate::new(200).set_body_json(success_example()))
            .expect(1)
            .named(vector.id.as_str())
            .mount(&proxy)
            .await;
    }
    catch_all(
        &proxy,
        "a request carrying one vector's exact headers and body",
        0,
    )
    .await;

    let clients: Vec<(&Vector, Client)> = {
        let _proxy = EnvGuard::set(&[
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("HTTP_PROXY", &proxy.uri()),
        ]);
        vectors
            .iter()
            .map(|vector| {
                let mut credentials = Credentials::new(&vector.access_key, &vector.secret_key);
                let has_token = vector
                    .headers
                    .iter()
                    .any(|(n, _)| n == "x-jdcloud-security-token");
                if has_token {
                    credentials = credentials.with_security_token(VECTOR_TOKEN);
                }
                let mut builder = Client::builder()
                    .credentials(credentials)
                    .endpoint("http://vm.jdcloud-api.com")
                    .retry(RetryConfig::disabled())
                    .clock(|| UNIX_EPOCH + Duration::from_secs(VECTOR_TIME))
                    .nonce_source(|| VECTOR_NONCE.into());
                // JDCLOUD2 cases leave the algorithm unset: it is the default.
                match vector.algorithm.as_str() {
                    "JDCLOUD2" => {}
                    "JDCLOUD3" => builder = builder.signing_algorithm(SigningAlgorithm::Jdcloud3),
                    other => panic!("{}: unknown algorithm {other}", vector.id),
                }
                (vector, builder.build().expect("a valid client"))
            })
            .collect()
    };

    for (vector, client) in &clients {
        let sent = client
            .attach_network_interface()
            .region_id(REGION)
            .instance_id(INSTANCE)
            .network_interface_id(INTERFACE)
            .auto_delete(false)
            .send()
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) => {
                // Show what arrived beside what the vector wants, to find the byte that differs.
                let received = proxy.received_requests().await.unwrap_or_default();
                let last = received.last().map(describe).unwrap_or_default();
                panic!("{}: {e}\nsent:\n{last}\nwanted: {vector:#?}", vector.id)
            }
        };
        assert_eq!(
            answer.into_inner().request_id,
            success_example()["requestId"].as_str().unwrap()
        );
    }
    // Each vector's mock was hit once, by the request of its own client, through the proxy.
    let received = proxy.received_requests().await.unwrap();
    assert_eq!(received.len(), clients.len());
    for ((vector, _), request) in clients.iter().zip(&received) {
        let sent = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(sent, vector.expected_authorization, "{}", vector.id);
        assert_eq!(request.url.host_str(), Some("vm.jdcloud-api.com"));
    }
}

#[tokio::test]
async fn a_wrong_secret_does_not_verify() {
    let server = MockServer::start().await;
    Mock::given(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_example()))
        .expect(0)
        .named("a request signed by the right secret")
        .mount(&server)
        .await;
    catch_all(&server, "a request signed by the right secret", 1).await;

    let client = builder(&server)
        .credentials(Credentials::new(
            common::ACCESS_KEY,
            "SKWRONGabcdefghijklmnopqrstuvwxyz",
        ))
        .build()
        .unwrap();
    let error = attach(&client)
        .await
        .expect_err("the catch-all answers 500");
    assert_eq!(error.http_status(), Some(500), "{error}");

    // The same access key, the same scope: only the signature differs.
    let received = server.received_requests().await.unwrap();
    let why = verify(&credentials(), &received[0]).expect_err("a wrong secret must not verify");
    assert!(why.starts_with("signature mismatch"), "{why}");
}

#[tokio::test]
async fn a_retry_is_signed_afresh() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "requestId": "r",
            "error": {"code": 500, "status": "INTERNAL", "message": "Internal server error"},
        })))
        .up_to_n_times(1)
        .expect(1)
        .named("the first attempt, signed, answered 500 INTERNAL")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(success_example()))
        .expect(1)
        .named("the second attempt, signed")
        .mount(&server)
        .await;
    catch_all(&server, "two signed attempts", 0).await;

    // A clock that moves one second per reading, so the two attempts' dates must differ even
    // though the backoff is a millisecond.
    let tick = Arc::new(AtomicU64::new(VECTOR_TIME));
    let clock = {
        let tick = tick.clone();
        move || UNIX_EPOCH + Duration::from_secs(tick.fetch_add(1, Ordering::SeqCst))
    };
    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .clock(clock)
        .build()
        .unwrap();
    attach(&client).await.expect("the retry succeeds");

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    let header = |i: usize, name: &str| {
        received[i]
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    for (i, request) in received.iter().enumerate() {
        verify(&credentials(), request).unwrap_or_else(|why| panic!("attempt {}: {why}", i + 1));
    }
    assert_ne!(header(0, "x-jdcloud-nonce"), header(1, "x-jdcloud-nonce"));
    assert_ne!(header(0, "x-jdcloud-date"), header(1, "x-jdcloud-date"));
    assert_ne!(header(0, "authorization"), header(1, "authorization"));
    // Each attempt read the clock once: dated from the clock, not from a cached first date.
    assert_eq!(header(0, "x-jdcloud-date"), "20261127T101500Z");
    assert_eq!(header(1, "x-jdcloud-date"), "20261127T101501Z");
    assert_eq!(tick.load(Ordering::SeqCst), VECTOR_TIME + 2);
}

#[test]
fn debug_never_shows_the_secret_or_the_token() {
    const SECRET: &str = "SKsecret-never-printed-0123456789";
    const TOKEN: &str = "token-never-printed-0123456789";
    // The token as it travels, base64-encoded, must not show either.
    const TOKEN_BASE64: &str = "dG9rZW4tbmV2ZXItcHJpbnRlZC0wMTIzNDU2Nzg5";
    let credentials = Credentials::new("AKVISIBLE", SECRET).with_security_token(TOKEN);
    let builder = Client::builder()
        .credentials(credentials.clone())
        .endpoint("http://127.0.0.1:1");
    let client = builder.clone().build().unwrap();
    let printed = [
        (
            "Credentials",
            format!("{credentials:?}"),
            format!("{credentials:#?}"),
        ),
        (
            "ClientBuilder",
            format!("{builder:?}"),
            format!("{builder:#?}"),
        ),
        ("Client", format!("{client:?}"), format!("{client:#?}")),
    ];
    for (what, plain, pretty) in &printed {
        for text in [plain, pretty] {
            for secret in [SECRET, TOKEN, TOKEN_BASE64] {
                assert!(!text.contains(secret), "{what} shows {secret}: {text}");
            }
        }
        // Redacted, not empty: the access key names the key pair and helps debugging.
        assert!(plain.contains("AKVISIBLE"), "{what}: {plain}");
    }
}

#[test]
fn the_vectors_describe_this_call() {
    // Guards the pinned test above against a vector set that no longer describes this call.
    for vector in vectors() {
        assert_eq!(vector.path, ATTACH_PATH, "{}", vector.id);
        assert_eq!(
            vector.body,
            format!(r#"{{"networkInterfaceId":"{INTERFACE}","autoDelete":false}}"#),
            "{}",
            vector.id
        );
        let date = vector.headers.iter().find(|(n, _)| n == "x-jdcloud-date");
        assert_eq!(date.map(|(_, v)| v.as_str()), Some("20261127T101500Z"));
        let nonce = vector.headers.iter().find(|(n, _)| n == "x-jdcloud-nonce");
        assert_eq!(nonce.map(|(_, v)| v.as_str()), Some(VECTOR_NONCE));
        if let Some((_, token)) = vector
            .headers
            .iter()
            .find(|(n, _)| n == "x-jdcloud-security-token")
        {
            assert_eq!(token, "dG9rLTEyMw==", "base64 of {VECTOR_TOKEN}");
        }
    }
}
