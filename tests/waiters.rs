//! The waiters the spec declares (`x-jdcloud-waiters`), run by the one generic runner, against
//! a wiremock `describeInstance`: success, a failure state ending the wait at once, a timeout
//! naming what was awaited, `Conflict with underlay task` waited out, an error acceptor
//! (deleted = not found), list filters (disks), and cancel-safety (the trace: tests/tracing.rs).

mod common;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{client, INSTANCE, REGION};
use jdcloud_vm::ErrorKind;
use serde_json::{json, Value};
use wiremock::{matchers::method, Mock, MockServer, Request, Respond, ResponseTemplate};

fn describe(instance: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "requestId": "req-describe",
        "result": {"instance": instance}
    }))
}

fn conflict() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "requestId": "req-conflict",
        "error": {"code": 400, "status": "FAILED_PRECONDITION",
                  "message": "Conflict with underlay task xx"}
    }))
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "requestId": "req-gone",
        "error": {"code": 404, "status": "NOT_FOUND",
                  "message": format!("Instance '{INSTANCE}' not found.")}
    }))
}

/// Answers the `i`-th poll with `answers[i]`, the last one for ever after; counts the polls.
#[derive(Clone)]
struct Sequence {
    answers: Arc<Vec<ResponseTemplate>>,
    polls: Arc<AtomicUsize>,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.polls.fetch_add(1, Ordering::SeqCst);
        self.answers[i.min(self.answers.len() - 1)].clone()
    }
}

async fn serve(answers: Vec<ResponseTemplate>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let polls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .respond_with(Sequence {
            answers: Arc::new(answers),
            polls: polls.clone(),
        })
        .mount(&server)
        .await;
    (server, polls)
}

fn status(s: &str) -> ResponseTemplate {
    describe(json!({"instanceId": INSTANCE, "status": s}))
}

#[tokio::test]
async fn running_after_pending_and_a_task_conflict() {
    let (server, polls) = serve(vec![status("pending"), conflict(), status("running")]).await;
    client(&server)
        .wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(10))
        .await
        .expect("running on the third poll");
    assert_eq!(polls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_failure_state_ends_the_wait_at_once_naming_it() {
    let (server, polls) = serve(vec![status("starting"), status("error")]).await;
    let started = Instant::now();
    let e = client(&server)
        .wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(60))
        .await
        .expect_err("an instance in error never runs");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(e.kind(), ErrorKind::WaitFailed, "{e}");
    assert!(!e.is_retryable());
    let message = e.message().unwrap_or_default();
    assert!(
        message.contains(INSTANCE) && message.contains("running"),
        "{message}"
    );
    assert!(message.contains("\"error\""), "{message}");
    assert_eq!(e.request_id(), Some("req-describe"));
    assert!(e.to_string().contains("wait_until_instance_running"), "{e}");
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn past_its_limit_a_waiter_times_out_naming_what_it_awaited() {
    let (server, polls) = serve(vec![status("stopping")]).await;
    let started = Instant::now();
    let e = client(&server)
        .wait_until_instance_stopped(REGION, INSTANCE, Duration::from_millis(800))
        .await
        .expect_err("never stopped");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(800) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let message = e.message().unwrap_or_default();
    assert!(
        message.contains(&format!("instance {INSTANCE} stopped")),
        "{message}"
    );
    assert!(message.contains("describe_instance"), "{message}");
    assert!(e.to_string().contains("wait_until_instance_stopped"), "{e}");
    assert!(polls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn a_zero_limit_still_polls_once() {
    let (server, polls) = serve(vec![status("stopped")]).await;
    client(&server)
        .wait_until_instance_stopped(REGION, INSTANCE, Duration::ZERO)
        .await
        .expect("stopped at the first poll");
    assert_eq!(polls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn deleted_is_an_instance_not_found_and_other_refusals_end_the_wait() {
    let (server, _) = serve(vec![status("deleting"), conflict(), not_found()]).await;
    client(&server)
        .wait_until_instance_deleted(REGION, INSTANCE, Duration::from_secs(10))
        .await
        .expect("gone on the third poll");

    // For `running`, not found is no acceptor's and not retryable: returned as it is.
    let (server, polls) = serve(vec![not_found()]).await;
    let e = client(&server)
        .wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(10))
        .await
        .expect_err("a deleted instance never runs");
    assert_eq!(e.kind(), ErrorKind::InstanceNotFound, "{e}");
    assert_eq!(polls.load(Ordering::SeqCst), 1);
}

fn disks(list: Value) -> ResponseTemplate {
    describe(json!({"instanceId": INSTANCE, "status": "running", "dataDisks": list}))
}

fn disk(id: &str, status: &str) -> Value {
    json!({"diskCategory": "cloud", "autoDelete": false, "cloudDisk": {"diskId": id}, "status": status})
}

#[tokio::test]
async fn disks_are_found_by_their_id_among_the_data_disks() {
    let (server, polls) = serve(vec![
        disks(json!([disk("vol-other", "attached")])),
        disks(json!([
            disk("vol-other", "attached"),
            disk("vol-1", "attaching")
        ])),
        disks(json!([
            disk("vol-other", "attached"),
            disk("vol-1", "attached")
        ])),
    ])
    .await;
    client(&server)
        .wait_until_disk_attached(REGION, INSTANCE, "vol-1", Duration::from_secs(10))
        .await
        .expect("attached on the third poll");
    assert_eq!(polls.load(Ordering::SeqCst), 3);

    let (server, _) = serve(vec![
        disks(json!([disk("vol-1", "detaching")])),
        disks(json!([disk("vol-other", "attached")])),
    ])
    .await;
    client(&server)
        .wait_until_disk_detached(REGION, INSTANCE, "vol-1", Duration::from_secs(10))
        .await
        .expect("gone from the list on the second poll");

    let (server, _) = serve(vec![disks(json!([disk("vol-1", "error_attach")]))]).await;
    let e = client(&server)
        .wait_until_disk_attached(REGION, INSTANCE, "vol-1", Duration::from_secs(10))
        .await
        .expect_err("a failed attach ends the wait");
    assert_eq!(e.kind(), ErrorKind::WaitFailed, "{e}");
    assert!(
        e.message().unwrap_or_default().contains("error_attach"),
        "{e}"
    );
}

#[tokio::test]
async fn dropping_a_wait_stops_its_polling() {
    let (server, polls) = serve(vec![status("pending")]).await;
    let client = client(&server);
    let wait = client.wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(60));
    // Dropped while it sleeps between polls, or while a poll is in flight.
    assert!(tokio::time::timeout(Duration::from_millis(700), wait)
        .await
        .is_err());
    let after_drop = polls.load(Ordering::SeqCst);
    assert!(after_drop >= 2, "{after_drop}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        polls.load(Ordering::SeqCst),
        after_drop,
        "no poll after the drop"
    );

    // Dropped in the middle of a poll: the server is slow to answer.
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(status("pending").set_delay(Duration::from_millis(500)))
        .mount(&slow)
        .await;
    let client = common::client(&slow);
    let wait = client.wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(60));
    assert!(tokio::time::timeout(Duration::from_millis(200), wait)
        .await
        .is_err());
    // The same client works on after the drop.
    let (server, _) = serve(vec![status("running")]).await;
    common::client(&server)
        .wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(5))
        .await
        .expect("a fresh wait");
}

#[test]
fn a_wait_can_be_spawned() {
    fn send<T: Send>(_: &T) {}
    let client = jdcloud_vm::Client::builder()
        .credentials(jdcloud_vm::Credentials::new("AK", "SK"))
        .build()
        .unwrap();
    let wait = client.wait_until_instance_running(REGION, INSTANCE, Duration::from_secs(1));
    send(&wait);
    let wait = client.wait_until_disk_detached(REGION, INSTANCE, "vol-1", Duration::from_secs(1));
    send(&wait);
}
