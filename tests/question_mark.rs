//! What a user sees who writes `send().await?` in a function returning `anyhow::Result`: the
//! classified error, in one line per cause, never progenitor's stand-in response.

use std::net::TcpListener;

use jdcloud_vm::{Client, Credentials, ErrorKind, RetryConfig};
use jdcloud_vm_emulator::{Emulator, EmulatorState};

const STATE: &str = r#"{
  "credentials": [{"access_key": "AK", "secret_key": "SK"}],
  "instances": [
    {"id": "i-one", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "running"},
    {"id": "i-two", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "running"}
  ],
  "network_interfaces": [
    {"id": "port-taken", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-one"}
  ]
}"#;

fn client(endpoint: String) -> Client {
    Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
}

/// As a user writes it: `?` on every call.
async fn attach(client: &Client, instance: &str, interface: &str) -> anyhow::Result<String> {
    let response = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id(instance)
        .network_interface_id(interface)
        .auto_delete(false)
        .send()
        .await?;
    Ok(response.into_inner().request_id)
}

#[tokio::test]
async fn a_refused_attach_reports_the_documented_error_through_anyhow() {
    let emulator = Emulator::start(EmulatorState::from_json(STATE).unwrap())
        .await
        .unwrap();
    let e = attach(&client(emulator.endpoint()), "i-two", "port-taken")
        .await
        .unwrap_err();
    let report = format!("{e:?}");
    assert!(
        report.contains("NetworkInterface has been attached on other device"),
        "{report}"
    );
    assert!(report.contains("FAILED_PRECONDITION"), "{report}");
    assert!(!report.contains("999"), "{report}");
    assert!(!report.contains("Unexpected Response"), "{report}");

    let sdk = e
        .downcast_ref::<jdcloud_vm::Error>()
        .expect("the SDK's error inside anyhow");
    assert_eq!(sdk.kind(), ErrorKind::NetworkInterfaceInUse);
    let id = sdk.request_id().expect("a request id");
    assert!(report.contains(id), "{report}");
    assert_eq!(format!("{e}"), sdk.to_string());
}

#[tokio::test]
async fn a_refused_connection_appears_once_in_the_report() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = attach(
        &client(format!("http://127.0.0.1:{port}")),
        "i-one",
        "port-x",
    )
    .await
    .unwrap_err();
    let report = format!("{e:?}");
    assert_eq!(
        report.to_lowercase().matches("connection refused").count(),
        1,
        "{report}"
    );
    let sdk = e.downcast_ref::<jdcloud_vm::Error>().unwrap();
    assert_eq!(sdk.kind(), ErrorKind::Transport);
    assert!(
        report.starts_with("attach_network_interface failed"),
        "{report}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_sending_and_says_why() {
    // Nothing listens here: a request that went out would be a transport error instead.
    let client = client("http://127.0.0.1:9".to_owned());
    let e = attach(&client, "i one", "port-x").await.unwrap_err();
    let sdk = e.downcast_ref::<jdcloud_vm::Error>().unwrap();
    assert_eq!(sdk.kind(), ErrorKind::InvalidInput, "{e:?}");
    assert!(
        e.to_string()
            .starts_with("invalid input to attach_network_interface: instance_id: "),
        "{e}"
    );
    assert!(e.to_string().contains("pattern"), "{e}");
}
