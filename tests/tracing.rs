//! What a call tells `tracing`: a `jdcloud_vm.call` span (operation, region) and, inside it, a
//! `jdcloud_vm.attempt` span per attempt (attempt number, status, request id, elapsed), at
//! DEBUG.

mod common;

use std::time::Duration;

use common::{
    attach, builder, catch_all, credentials, success_example, Captured, SignedBy, ATTACH_PATH,
};
use jdcloud_vm::RetryConfig;
use tracing::Level;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// A server answering one 500 (request id `req-trace-500`), then the spec's success.
async fn one_failure_then_success() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({
            "requestId": "req-trace-500",
            "error": {"code": 500, "status": "INTERNAL", "message": "Internal server error"},
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("a 500")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(credentials()))
        .respond_with(common::success_response())
        .expect(1)
        .named("then a 200")
        .mount(&server)
        .await;
    catch_all(&server, "two signed attaches", 0).await;
    server
}

/// Runs a retried attach with a subscriber at `level` on this thread; what it wrote.
async fn traced_attach(level: Level) -> String {
    let server = one_failure_then_success().await;
    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(captured.writer())
        .finish();
    // A current-thread runtime (tokio::test's default) keeps the whole call on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    attach(&client).await.expect("the retry succeeds");
    // Text fields are written quoted, Display fields bare: compare without the quotes.
    captured.text().replace('"', "")
}

/// The lines an event of `attempt` was logged on.
fn attempt_lines(text: &str, attempt: u32) -> Vec<&str> {
    let marker = format!("jdcloud_vm.attempt{{attempt={attempt} ");
    text.lines().filter(|l| l.contains(&marker)).collect()
}

#[tokio::test]
async fn a_call_has_a_span_with_its_operation_and_region() {
    let text = traced_attach(Level::DEBUG).await;
    assert!(
        text.contains("jdcloud_vm.call{operation=attach_network_interface region=cn-north-1}"),
        "{text}"
    );
}

#[tokio::test]
async fn each_attempt_has_a_span_with_number_status_request_id_and_elapsed() {
    let text = traced_attach(Level::DEBUG).await;
    let first = attempt_lines(&text, 1);
    let second = attempt_lines(&text, 2);
    assert!(!first.is_empty() && !second.is_empty(), "{text}");
    assert!(
        attempt_lines(&text, 3).is_empty(),
        "a third attempt: {text}"
    );
    let success_id = success_example()["requestId"].as_str().unwrap().to_owned();
    for (lines, status, request_id) in [
        (first, "500", "req-trace-500"),
        (second, "200", success_id.as_str()),
    ] {
        let line = lines.last().unwrap();
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains(&format!("request_id={request_id}")), "{line}");
        assert!(line.contains("elapsed_ms="), "{line}");
        // The attempt is inside its call.
        assert!(line.contains("jdcloud_vm.call{"), "{line}");
    }
}

#[tokio::test]
async fn a_failed_attempt_logs_its_kind_and_whether_it_is_retried() {
    let text = traced_attach(Level::DEBUG).await;
    let line = attempt_lines(&text, 1)
        .into_iter()
        .find(|l| l.contains("attempt failed"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("kind=InternalServerError"), "{line}");
    assert!(line.contains("retryable=true"), "{line}");
}

#[tokio::test]
async fn calls_are_silent_at_info() {
    // Debug-level spans: a service logging at INFO does not get a line per call.
    let text = traced_attach(Level::INFO).await;
    assert!(!text.contains("jdcloud_vm"), "{text}");
}

#[tokio::test]
async fn a_wait_has_a_span_naming_the_waiter_and_what_it_awaits() {
    let server = MockServer::start().await;
    let describe = |status: &str| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "requestId": "req-wait",
            "result": {"instance": {"instanceId": common::INSTANCE, "status": status}},
        }))
    };
    Mock::given(method("GET"))
        .respond_with(describe("starting"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(describe("running"))
        .mount(&server)
        .await;
    let client = builder(&server).build().unwrap();
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::DEBUG)
        .with_ansi(false)
        .with_writer(captured.writer())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    client
        .wait_until_instance_running(common::REGION, common::INSTANCE, Duration::from_secs(10))
        .await
        .expect("running at the second poll");
    let text = captured.text().replace('"', "");
    let span = format!(
        "jdcloud_vm.wait{{waiter=wait_until_instance_running awaits=instance {} running",
        common::INSTANCE
    );
    assert!(text.contains(&span), "{text}");
    assert!(text.contains("not yet") && text.contains("done"), "{text}");
}
