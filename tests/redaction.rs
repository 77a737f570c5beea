//! A canary secret key and token, run through every path that formats or logs something:
//! neither may ever show, nor may a signature.

mod common;

use std::{sync::OnceLock, time::Duration};

use base64::Engine as _;
use common::{attach, catch_all, Captured, ATTACH_PATH};
use jdcloud_vm::{Client, ClientBuilder, Credentials, Error, ErrorKind, RetryConfig};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

const SECRET: &str = "SK-CANARY-5f1e0c2a9b7d4e36";
const TOKEN: &str = "TOKEN-CANARY-8c3d7a1f2e9b";

fn canary_credentials() -> Credentials {
    Credentials::new("AK-CANARY-ACCESS", SECRET).with_security_token(TOKEN)
}

/// What must never appear: the secret, the token as given and as sent, and any signature.
fn forbidden() -> Vec<String> {
    vec![
        SECRET.to_owned(),
        TOKEN.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(TOKEN),
        "Signature=".to_owned(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} shows {secret:?}:\n{text}");
    }
}

/// Everything the process logs, at TRACE, from every crate (the `log` records of reqwest
/// and others included): installed once for this test binary.
fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(captured.writer())
            .try_init()
            .expect("the only subscriber of this test binary");
        captured
    })
}

fn canary_builder(endpoint: &str) -> ClientBuilder {
    Client::builder()
        .credentials(canary_credentials())
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
}

/// Display, Debug and the source chain of an error.
fn assert_error_clean(what: &str, e: &Error) {
    assert_clean(what, &format!("{e}"));
    assert_clean(what, &format!("{e:?}"));
    assert_clean(what, &format!("{e:#?}"));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        assert_clean(what, &format!("{s} {s:?}"));
        source = s.source();
    }
}

/// An error from each path: a gateway 401, a timeout, a refused connection, bad input,
/// an unusable endpoint and a malformed answer.
async fn errors_from_every_path() -> Vec<(&'static str, Error)> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "requestId": "req-canary-401",
            "error": {"code": 401, "status": "ACCESS_ERROR", "message": "sign result is not same [gw]"},
        })))
        .expect(1)
        .named("a 401 for the canary")
        .mount(&server)
        .await;
    catch_all(&server, "one attach for the canary", 0).await;
    let mut errors = vec![(
        "a 401",
        attach(&canary_builder(&server.uri()).build().unwrap())
            .await
            .unwrap_err(),
    )];

    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .expect(1)
        .named("a slow answer for the canary")
        .mount(&slow)
        .await;
    let client = canary_builder(&slow.uri())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    errors.push(("a timeout", attach(&client).await.unwrap_err()));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = canary_builder(&format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    errors.push(("a refused connection", attach(&client).await.unwrap_err()));

    let client = canary_builder(&server.uri()).build().unwrap();
    let bad = client
        .attach_network_interface()
        .region_id("a/../b")
        .instance_id(common::INSTANCE)
        .network_interface_id(common::INTERFACE)
        .send()
        .await
        .unwrap_err();
    errors.push(("a bad ID", bad));

    let no_endpoint = canary_builder("ftp://user:pass@example.com/v1")
        .build()
        .unwrap_err();
    errors.push(("an unusable endpoint", no_endpoint));

    let malformed = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"requestId\":"))
        .expect(1)
        .named("a truncated answer for the canary")
        .mount(&malformed)
        .await;
    let client = canary_builder(&malformed.uri()).build().unwrap();
    errors.push(("a malformed answer", attach(&client).await.unwrap_err()));

    let kinds: Vec<ErrorKind> = errors.iter().map(|(_, e)| e.kind()).collect();
    assert_eq!(
        kinds,
        [
            ErrorKind::Unauthenticated,
            ErrorKind::Timeout,
            ErrorKind::Transport,
            ErrorKind::InvalidInput,
            ErrorKind::InvalidInput,
            ErrorKind::MalformedResponse,
        ],
        "each path gives the error it is meant to exercise"
    );
    errors
}

#[tokio::test]
async fn no_error_shows_the_secret_the_token_or_a_signature() {
    logs();
    for (what, e) in errors_from_every_path().await {
        assert_error_clean(what, &e);
    }
}

#[test]
fn credentials_clients_and_builders_never_show_the_secret_or_the_token() {
    let credentials = canary_credentials();
    let builder = canary_builder("http://127.0.0.1:1");
    let client = builder.clone().build().unwrap();
    for (what, text) in [
        ("Credentials", format!("{credentials:?} {credentials:#?}")),
        ("ClientBuilder", format!("{builder:?} {builder:#?}")),
        ("Client", format!("{client:?} {client:#?}")),
    ] {
        assert_clean(what, &text);
        // Redacted, not absent: the reader can tell a secret is set.
        assert!(text.contains("redacted"), "{what}: {text}");
    }
}

#[tokio::test]
async fn nothing_logged_at_trace_shows_the_secret_the_token_or_a_signature() {
    let logs = logs();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("a 500 to retry")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(common::success_response())
        .expect(1)
        .named("then a 200")
        .mount(&server)
        .await;
    catch_all(&server, "two attaches for the canary", 0).await;
    let client = canary_builder(&server.uri())
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    attach(&client).await.expect("the retry succeeds");
    errors_from_every_path().await;

    // The fmt subscriber writes as events happen: the attempts above are in already.
    let text = logs.text();
    // Something was captured: the check below would pass vacuously on an empty log.
    assert!(
        text.contains("jdcloud_vm.attempt") && text.contains("attempt=2"),
        "{text}"
    );
    assert_clean("the TRACE log", &text);
    assert!(
        !text.to_ascii_lowercase().contains("authorization: jdcloud"),
        "{text}"
    );
}
