//! What is retried, how often, how long between, and that every attempt is signed afresh.

mod common;

use std::{
    collections::HashSet,
    net::TcpListener,
    time::{Duration, Instant},
};

use common::{
    attach, builder, catch_all, credentials, documented_errors, success_response, verify, SignedBy,
    ATTACH_PATH,
};
use jdcloud_vm::{Client, ErrorKind, RetryConfig};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// Standard retries with millisecond backoffs, so sequences run fast.
fn fast_retries() -> RetryConfig {
    RetryConfig::standard()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_secs(2))
}

fn retrying_client(server: &MockServer, retry: RetryConfig) -> Client {
    builder(server).retry(retry).build().unwrap()
}

/// The documented answer `name` as a response.
fn documented(name: &str) -> ResponseTemplate {
    let doc = documented_errors()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap();
    ResponseTemplate::new(doc.http_status).set_body_json(doc.body)
}

/// A mock of the attach path, signed by the test credentials, answering `template` at most
/// `times` times and expected exactly that often.
fn attach_mock(template: ResponseTemplate, times: u64, name: &str) -> Mock {
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(credentials()))
        .respond_with(template)
        .up_to_n_times(times)
        .expect(times)
        .named(name)
}

/// A server that answers `InternalServerError` twice, then the spec's success.
async fn two_failures_then_success() -> MockServer {
    let server = MockServer::start().await;
    attach_mock(documented("InternalServerError"), 2, "two 500s")
        .with_priority(1)
        .mount(&server)
        .await;
    attach_mock(success_response(), 1, "then a 200")
        .mount(&server)
        .await;
    catch_all(&server, "a signed attach: at most three in all", 0).await;
    server
}

#[tokio::test]
async fn two_server_errors_then_a_success_take_exactly_three_requests() {
    let server = two_failures_then_success().await;
    let resp = attach(&retrying_client(&server, fast_retries()))
        .await
        .expect("the third attempt succeeds");
    assert_eq!(
        resp.request_id,
        common::success_example()["requestId"].as_str().unwrap()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_retry_is_signed_afresh() {
    let server = two_failures_then_success().await;
    attach(&retrying_client(&server, fast_retries()))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3);
    let nonces: HashSet<&str> = requests
        .iter()
        .map(|r| {
            r.headers
                .get("x-jdcloud-nonce")
                .expect("a nonce")
                .to_str()
                .unwrap()
        })
        .collect();
    assert_eq!(nonces.len(), 3, "a nonce was reused: {nonces:?}");
    for (i, r) in requests.iter().enumerate() {
        // A replayed Authorization would fail here: it would not cover the new nonce.
        verify(&credentials(), r).unwrap_or_else(|why| panic!("attempt {}: {why}", i + 1));
        assert!(
            r.headers.contains_key("x-jdcloud-date"),
            "attempt {} is undated",
            i + 1
        );
    }
}

#[tokio::test]
async fn an_invalid_instance_status_is_sent_exactly_once() {
    let server = MockServer::start().await;
    attach_mock(documented("InvalidInstanceStatus"), 1, "one refusal")
        .mount(&server)
        .await;
    catch_all(
        &server,
        "no second attempt after Invalid instance status",
        0,
    )
    .await;
    let e = attach(&retrying_client(&server, fast_retries()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus);
}

#[tokio::test]
async fn a_task_conflict_is_retried() {
    // Terraform users retry this by matching the message; the SDK does it for them.
    let server = MockServer::start().await;
    attach_mock(documented("TaskConflict"), 1, "one conflict")
        .with_priority(1)
        .mount(&server)
        .await;
    attach_mock(success_response(), 1, "then a 200")
        .mount(&server)
        .await;
    catch_all(&server, "a signed attach: two in all", 0).await;
    attach(&retrying_client(&server, fast_retries()))
        .await
        .expect("the retry succeeds");
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = MockServer::start().await;
    attach_mock(documented("InternalServerError"), 1, "one 500")
        .mount(&server)
        .await;
    catch_all(&server, "no retry when retries are disabled", 0).await;
    let e = attach(&retrying_client(&server, RetryConfig::disabled()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServerError);
}

#[tokio::test]
async fn max_attempts_bounds_the_requests() {
    let server = MockServer::start().await;
    attach_mock(ResponseTemplate::new(503), 4, "four 503s")
        .mount(&server)
        .await;
    catch_all(&server, "no fifth attempt with max_attempts(4)", 0).await;
    let e = attach(&retrying_client(&server, fast_retries().max_attempts(4)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
    assert_eq!(e.http_status(), Some(503));
}

fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("retry-after", retry_after)
        .set_body_json(serde_json::json!({
            "requestId": "req-throttled",
            "error": {"code": 429, "status": "HTTP_RATE_LIMIT_EXCEEDED", "message": "rate limit exceeded [gw]"},
        }))
}

#[tokio::test]
async fn a_retry_after_is_waited_for() {
    let server = MockServer::start().await;
    attach_mock(throttled("1"), 1, "a 429 asking for 1 s")
        .with_priority(1)
        .mount(&server)
        .await;
    attach_mock(success_response(), 1, "then a 200")
        .mount(&server)
        .await;
    catch_all(&server, "a signed attach: two in all", 0).await;
    let started = Instant::now();
    attach(&retrying_client(&server, fast_retries()))
        .await
        .expect("the retry succeeds");
    // The backoff alone is at most 5 ms: only Retry-After explains a second's wait.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_max_backoff_gives_the_error_back() {
    let server = MockServer::start().await;
    attach_mock(throttled("60"), 1, "a 429 asking for a minute")
        .mount(&server)
        .await;
    catch_all(&server, "no retry when Retry-After exceeds max_backoff", 0).await;
    let started = Instant::now();
    let e = attach(&retrying_client(&server, fast_retries()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_slow_server_fails_as_a_timeout_within_the_attempt_limit() {
    let server = MockServer::start().await;
    attach_mock(
        success_response().set_delay(Duration::from_secs(3)),
        1,
        "a slow 200",
    )
    .mount(&server)
    .await;
    catch_all(&server, "one slow attempt", 0).await;
    let client = builder(&server)
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = attach(&client).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.is_retryable());
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[tokio::test]
async fn a_timed_out_attempt_is_retried() {
    let server = MockServer::start().await;
    attach_mock(
        success_response().set_delay(Duration::from_secs(3)),
        1,
        "a slow 200",
    )
    .with_priority(1)
    .mount(&server)
    .await;
    attach_mock(success_response(), 1, "then a quick 200")
        .mount(&server)
        .await;
    catch_all(&server, "a signed attach: two in all", 0).await;
    let client = builder(&server)
        .retry(fast_retries())
        .timeout(Duration::from_millis(1000))
        .build()
        .unwrap();
    attach(&client)
        .await
        .expect("the second attempt is in time");
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .credentials(credentials())
        .endpoint(format!("http://127.0.0.1:{port}"))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let e = attach(&client).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.is_retryable());
    // The cause is in the error's sources, once, and not repeated in its own line.
    assert!(!e.to_string().to_lowercase().contains("refused"), "{e}");
    let mut report = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        report.push_str(&format!("\n{cause}"));
        source = cause.source();
    }
    assert_eq!(
        report.to_lowercase().matches("refused").count(),
        1,
        "{report}"
    );
    assert_eq!(e.http_status(), None);
}
