//! Faults on demand: `fail_next` and `stall_next_replies` for any operation, and the same over
//! HTTP (`POST /__emulator/faults`) for clients in other languages.

use std::time::Duration;

use jdcloud_vm::{Client, Credentials, ErrorKind, RetryConfig};
use jdcloud_vm_emulator::{Emulator, EmulatorState};
use serde_json::{json, Value};

const STATE: &str = r#"{
  "credentials": [{"access_key": "AK", "secret_key": "SK"}],
  "instances": [{"id": "i-1", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1"}],
  "network_interfaces": [{"id": "port-1", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"}]
}"#;

async fn setup() -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorState::from_json(STATE).unwrap())
        .await
        .unwrap();
    let client = Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    (emulator, client)
}

#[tokio::test]
async fn fail_next_refuses_with_the_documented_error_then_serves_again() {
    let (emulator, client) = setup().await;
    emulator.fail_next("describeInstance", 2, "InternalServerError");
    for _ in 0..2 {
        let e = client
            .describe_instance()
            .region_id("cn-north-1")
            .instance_id("i-1")
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InternalServerError, "{e}");
        assert_eq!(e.http_status(), Some(500));
        assert_eq!(e.message(), Some("Internal server error"));
    }
    client
        .describe_instance()
        .region_id("cn-north-1")
        .instance_id("i-1")
        .send()
        .await
        .unwrap();

    // An operation's own documented error, its `xx` filled in; the call is not applied.
    emulator.fail_next("attachNetworkInterface", 1, "TaskConflict");
    let e = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-1")
        .network_interface_id("port-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskConflict, "{e}");
    assert_eq!(
        e.message(),
        Some("Conflict with underlay task emulator-fault")
    );
    assert_eq!(emulator.attached_to("port-1"), None);
}

#[tokio::test]
#[should_panic(expected = "documents no error")]
async fn fail_next_with_an_undocumented_error_panics() {
    let (emulator, _) = setup().await;
    emulator.fail_next("describeInstance", 1, "NetworkInterfaceInUse");
}

#[tokio::test]
#[should_panic(expected = "unknown operation")]
async fn faults_for_an_unknown_operation_panic() {
    let (emulator, _) = setup().await;
    emulator.stall_next_replies("describeInstancez", 1, Duration::from_secs(1));
}

async fn plan(emulator: &Emulator, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/__emulator/faults", emulator.endpoint()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn faults_over_http_for_other_languages() {
    let (emulator, client) = setup().await;
    let (status, answer) = plan(
        &emulator,
        json!({"operation": "describeInstance", "count": 1, "error": "UnknownServerError"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let e = client
        .describe_instance()
        .region_id("cn-north-1")
        .instance_id("i-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownServerError, "{e}");

    let (status, _) = plan(
        &emulator,
        json!({"operation": "describeInstance", "stall_ms": 300}),
    )
    .await;
    assert_eq!(status, 200);
    let started = std::time::Instant::now();
    client
        .describe_instance()
        .region_id("cn-north-1")
        .instance_id("i-1")
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));

    let (status, answer) = plan(
        &emulator,
        json!({"operation": "nope", "error": "TaskConflict"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["status"].as_str()),
        (400, Some("INVALID_ARGUMENT")),
        "{answer}"
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown operation"));
    let (status, answer) = plan(
        &emulator,
        json!({"operation": "describeInstance", "error": "Bogus"}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("InternalServerError"),
        "{answer}"
    );
}
