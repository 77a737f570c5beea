//! The emulator, through the SDK's client and through raw HTTP: the documented preconditions
//! with their exact messages, the gateway's checks, and one winner under concurrency.

mod plain_http;

use std::time::{Duration, SystemTime};

use jdcloud_vm::{
    signing::{sign, SignableRequest, SigningAlgorithm},
    Client, Credentials, Error, ErrorKind, RetryConfig,
};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};

const REGION: &str = "cn-north-1";

/// One world with an instance and an interface for each case.
const STATE: &str = r#"{
  "credentials": [
    {"access_key": "AK", "secret_key": "SK"},
    {"access_key": "OTHER", "secret_key": "OSK"},
    {"access_key": "TMP", "secret_key": "TSK", "security_token": "session-token-1"}
  ],
  "instances": [
    {"id": "i-run", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "running", "max_network_interfaces": 4, "busy": false},
    {"id": "i-stopped", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "stopped", "max_network_interfaces": 4, "busy": false},
    {"id": "i-starting", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "starting", "max_network_interfaces": 4, "busy": false},
    {"id": "i-busy", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "running", "max_network_interfaces": 4, "busy": true},
    {"id": "i-full", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "running", "max_network_interfaces": 2, "busy": false},
    {"id": "i-south", "region": "cn-south-1", "az": "cn-south-1a", "vpc": "vpc-1", "status": "running", "max_network_interfaces": 4, "busy": false}
  ],
  "network_interfaces": [
    {"id": "port-free", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": false},
    {"id": "port-free2", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": false},
    {"id": "port-tmp", "region": "cn-north-1", "vpc": "vpc-1", "owner": "TMP", "elastic_ip_az": null, "attached_to": null, "primary": false},
    {"id": "port-used", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": "i-elsewhere", "primary": false},
    {"id": "port-theirs", "region": "cn-north-1", "vpc": "vpc-1", "owner": "OTHER", "elastic_ip_az": null, "attached_to": null, "primary": false},
    {"id": "port-eip-b", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "cn-north-1b", "attached_to": null, "primary": false},
    {"id": "port-eip-a", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "cn-north-1a", "attached_to": null, "primary": false},
    {"id": "port-eip-all", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "*", "attached_to": null, "primary": false},
    {"id": "port-named-eip", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "cn-north-1c", "elastic_ip_id": "fip-custom1", "attached_to": null, "primary": false},
    {"id": "port-vpc2", "region": "cn-north-1", "vpc": "vpc-2", "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": false},
    {"id": "port-full-primary", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": "i-full", "primary": true},
    {"id": "port-full-second", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": "i-full", "primary": false},
    {"id": "port-primary-free", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": true},
    {"id": "port-south", "region": "cn-south-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": false}
  ]
}"#;

async fn emulator() -> Emulator {
    emulator_with(EmulatorConfig::default()).await
}

async fn emulator_with(config: EmulatorConfig) -> Emulator {
    let state = EmulatorState::from_json(STATE).expect("the test state parses");
    Emulator::start_with(state, config)
        .await
        .expect("the emulator starts")
}

fn client_for(emulator: &Emulator, credentials: Credentials) -> Client {
    builder_for(emulator, credentials)
        .build()
        .expect("a client")
}

fn builder_for(emulator: &Emulator, credentials: Credentials) -> jdcloud_vm::ClientBuilder {
    Client::builder()
        .credentials(credentials)
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
}

fn client(emulator: &Emulator) -> Client {
    client_for(emulator, Credentials::new("AK", "SK"))
}

/// Attaches through the SDK; on success, the request id.
async fn attach(client: &Client, region: &str, instance: &str, nic: &str) -> Result<String, Error> {
    let response = client
        .attach_network_interface()
        .region_id(region)
        .instance_id(instance)
        .network_interface_id(nic)
        .send()
        .await?;
    Ok(response.into_inner().request_id)
}

/// Asserts a refusal's kind, HTTP status, code and exact message, and that it has a request id.
fn assert_refused(
    result: Result<String, Error>,
    kind: ErrorKind,
    http: u16,
    code: &str,
    message: &str,
) {
    let err = result.expect_err("the attach is refused");
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(err.http_status(), Some(http), "{err}");
    assert_eq!(err.code(), Some(code), "{err}");
    assert_eq!(err.message(), Some(message), "{err}");
    let id = err.request_id().expect("a request id");
    assert!(is_request_id(id), "{id}");
}

fn is_request_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn an_attach_succeeds_and_changes_the_state() {
    let emulator = emulator().await;
    let request_id = attach(&client(&emulator), REGION, "i-run", "port-free")
        .await
        .unwrap();
    assert!(is_request_id(&request_id), "{request_id}");
    assert_eq!(emulator.attached_to("port-free").as_deref(), Some("i-run"));

    let saved = EmulatorState::from_json(&emulator.snapshot().to_json()).unwrap();
    assert_eq!(saved.attached_to("port-free"), Some("i-run"));
    assert!(emulator.snapshot().to_json().contains(r#""busy": true"#));
}

#[tokio::test]
async fn a_stopped_instance_accepts_an_attach_and_auto_delete_is_recorded() {
    let emulator = emulator().await;
    client(&emulator)
        .attach_network_interface()
        .region_id(REGION)
        .instance_id("i-stopped")
        .network_interface_id("port-free")
        .auto_delete(true)
        .send()
        .await
        .unwrap();
    assert!(emulator
        .snapshot()
        .to_json()
        .contains(r#""auto_delete": true"#));
}

#[tokio::test]
async fn elastic_ips_in_the_instances_az_or_all_azs_are_accepted() {
    let emulator = emulator().await;
    let c = client(&emulator);
    attach(&c, REGION, "i-run", "port-eip-a").await.unwrap();
    attach(&c, REGION, "i-stopped", "port-eip-all")
        .await
        .unwrap();
}

// ---------------------------------------------------------------- documented preconditions

#[tokio::test]
async fn an_unknown_instance_is_not_found() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-nope", "port-free").await;
    assert_refused(
        result,
        ErrorKind::InstanceNotFound,
        404,
        "NOT_FOUND",
        "Instance 'i-nope' not found.",
    );
}

#[tokio::test]
async fn an_instance_of_another_region_is_not_found() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-south", "port-free").await;
    assert_refused(
        result,
        ErrorKind::InstanceNotFound,
        404,
        "NOT_FOUND",
        "Instance 'i-south' not found.",
    );
}

#[tokio::test]
async fn an_instance_neither_running_nor_stopped_is_refused() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-starting", "port-free").await;
    assert_refused(
        result,
        ErrorKind::InvalidInstanceStatus,
        400,
        "FAILED_PRECONDITION",
        "Invalid instance status starting",
    );
}

#[tokio::test]
async fn a_busy_instance_conflicts_with_its_task() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-busy", "port-free").await;
    assert_refused(
        result,
        ErrorKind::TaskConflict,
        400,
        "FAILED_PRECONDITION",
        "Conflict with underlay task task-busy",
    );
}

#[tokio::test]
async fn an_attach_keeps_the_instance_busy_until_its_task_ends() {
    let emulator =
        emulator_with(EmulatorConfig::default().task_duration(Duration::from_millis(300))).await;
    let c = client(&emulator);
    attach(&c, REGION, "i-run", "port-free").await.unwrap();

    let err = attach(&c, REGION, "i-run", "port-free2").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TaskConflict, "{err}");
    assert!(err.is_retryable());
    let message = err.message().unwrap();
    let task = message
        .strip_prefix("Conflict with underlay task ")
        .expect(message);
    assert!(task.starts_with("task-") && task.len() > 5, "{message}");

    tokio::time::sleep(Duration::from_millis(400)).await;
    attach(&c, REGION, "i-run", "port-free2").await.unwrap();
}

#[tokio::test]
async fn an_instance_at_its_flavors_limit_is_refused() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-full", "port-free").await;
    assert_refused(
        result,
        ErrorKind::NetworkInterfaceLimitExceeded,
        400,
        "FAILED_PRECONDITION",
        "Flavor constraints. NetworkInterface limit exceeded",
    );
}

#[tokio::test]
async fn an_interface_attached_elsewhere_is_in_use() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-run", "port-used").await;
    assert_refused(
        result,
        ErrorKind::NetworkInterfaceInUse,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface has been attached on other device",
    );
}

#[tokio::test]
async fn a_second_attach_of_an_interface_is_refused() {
    let emulator = emulator().await;
    let c = client(&emulator);
    attach(&c, REGION, "i-run", "port-free").await.unwrap();
    let result = attach(&c, REGION, "i-stopped", "port-free").await;
    assert_refused(
        result,
        ErrorKind::NetworkInterfaceInUse,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface has been attached on other device",
    );
    assert_eq!(emulator.attached_to("port-free").as_deref(), Some("i-run"));
}

#[tokio::test]
async fn an_interface_of_another_owner_is_refused() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-run", "port-theirs").await;
    assert_refused(
        result,
        ErrorKind::NetworkInterfacePermissionDenied,
        400,
        "FAILED_PRECONDITION",
        "No NetworkInterface permissions.",
    );
}

#[tokio::test]
async fn an_elastic_ip_in_another_az_is_refused() {
    let emulator = emulator().await;
    let c = client(&emulator);
    let result = attach(&c, REGION, "i-run", "port-eip-b").await;
    assert_refused(
        result,
        ErrorKind::ElasticIpAzMismatch,
        400,
        "FAILED_PRECONDITION",
        "ElasticIp 'fip-eip-b' and instance are not in the same az",
    );
    let result = attach(&c, REGION, "i-run", "port-named-eip").await;
    assert_refused(
        result,
        ErrorKind::ElasticIpAzMismatch,
        400,
        "FAILED_PRECONDITION",
        "ElasticIp 'fip-custom1' and instance are not in the same az",
    );
}

// ---------------------------------------------------------------- undocumented refusals

#[tokio::test]
async fn an_interface_of_another_vpc_is_refused() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-run", "port-vpc2").await;
    assert_refused(
        result,
        ErrorKind::FailedPrecondition,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface 'port-vpc2' and instance are not in the same vpc",
    );
}

#[tokio::test]
async fn a_primary_interface_is_refused() {
    let emulator = emulator().await;
    let result = attach(&client(&emulator), REGION, "i-run", "port-primary-free").await;
    assert_refused(
        result,
        ErrorKind::FailedPrecondition,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface 'port-primary-free' is a primary network interface and cannot be attached",
    );
}

#[tokio::test]
async fn an_unknown_interface_or_one_of_another_region_is_not_found() {
    let emulator = emulator().await;
    let c = client(&emulator);
    for nic in ["port-nope", "port-south"] {
        let result = attach(&c, REGION, "i-run", nic).await;
        assert_refused(
            result,
            ErrorKind::NotFound,
            404,
            "NOT_FOUND",
            &format!("NetworkInterface '{nic}' not found."),
        );
    }
}

// ---------------------------------------------------------------- the gateway, through the SDK

#[tokio::test]
async fn a_wrong_secret_key_is_unauthenticated() {
    let emulator = emulator().await;
    let c = client_for(&emulator, Credentials::new("AK", "not-the-secret"));
    let result = attach(&c, REGION, "i-run", "port-free").await;
    assert_refused(
        result,
        ErrorKind::Unauthenticated,
        401,
        "ACCESS_ERROR",
        "sign result is not same [gw]",
    );
    assert_eq!(emulator.attached_to("port-free"), None);
}

#[tokio::test]
async fn an_unknown_access_key_is_unauthenticated() {
    let emulator = emulator().await;
    let c = client_for(&emulator, Credentials::new("NOBODY", "SK"));
    let result = attach(&c, REGION, "i-run", "port-free").await;
    assert_refused(
        result,
        ErrorKind::Unauthenticated,
        401,
        "ACCESS_ERROR",
        "Invalid accessKey[gw]",
    );
}

#[tokio::test]
async fn both_signing_algorithms_are_accepted() {
    let emulator = emulator().await;
    let jdcloud3 = builder_for(&emulator, Credentials::new("AK", "SK"))
        .signing_algorithm(SigningAlgorithm::Jdcloud3)
        .build()
        .unwrap();
    attach(&jdcloud3, REGION, "i-run", "port-free")
        .await
        .unwrap();
    let jdcloud2 = builder_for(&emulator, Credentials::new("AK", "SK"))
        .signing_algorithm(SigningAlgorithm::Jdcloud2)
        .build()
        .unwrap();
    attach(&jdcloud2, REGION, "i-stopped", "port-free2")
        .await
        .unwrap();
}

#[tokio::test]
async fn temporary_credentials_are_accepted_with_their_token_only() {
    let emulator = emulator().await;
    let with_token = client_for(
        &emulator,
        Credentials::new("TMP", "TSK").with_security_token("session-token-1"),
    );
    attach(&with_token, REGION, "i-run", "port-tmp")
        .await
        .unwrap();

    let wrong_token = client_for(
        &emulator,
        Credentials::new("TMP", "TSK").with_security_token("stolen"),
    );
    let err = attach(&wrong_token, REGION, "i-stopped", "port-tmp")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");

    let no_token = client_for(&emulator, Credentials::new("TMP", "TSK"));
    let err = attach(&no_token, REGION, "i-stopped", "port-tmp")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(
        err.message(),
        Some("lack of header x-jdcloud-security-token[gw]")
    );
}

#[tokio::test]
async fn a_reused_nonce_is_refused_as_a_replay() {
    let emulator = emulator().await;
    let c = builder_for(&emulator, Credentials::new("AK", "SK"))
        .nonce_source(|| "always-the-same-nonce".to_owned())
        .build()
        .unwrap();
    attach(&c, REGION, "i-run", "port-free").await.unwrap();
    let err = attach(&c, REGION, "i-stopped", "port-free2")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(
        err.message(),
        Some("Replayed request: x-jdcloud-nonce has already been used[gw]")
    );
}

#[tokio::test]
async fn a_client_clock_20_minutes_late_is_refused() {
    let emulator = emulator().await;
    let c = builder_for(&emulator, Credentials::new("AK", "SK"))
        .clock(|| SystemTime::now() - Duration::from_secs(20 * 60))
        .build()
        .unwrap();
    let err = attach(&c, REGION, "i-run", "port-free").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(
        err.message()
            .unwrap()
            .contains("more than 15 minutes from the server time"),
        "{err}"
    );
}

// ---------------------------------------------------------------- concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_64_concurrent_attaches_of_one_interface_exactly_one_wins() {
    let emulator = Emulator::start(many(64, 1, 4)).await.unwrap();
    let results = all_at_once(
        &client(&emulator),
        64,
        |i| format!("i-m{i}"),
        |_| "port-m0".into(),
    )
    .await;
    let mut winners = Vec::new();
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Ok(_) => winners.push(format!("i-m{i}")),
            Err(e) => assert_eq!(e.kind(), ErrorKind::NetworkInterfaceInUse, "{e}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(emulator.attached_to("port-m0"), winners.pop());
}

/// A state of `instances` instances and `interfaces` interfaces, all in one VPC and AZ.
fn many(instances: usize, interfaces: usize, max_network_interfaces: usize) -> EmulatorState {
    let instances: Vec<String> = (0..instances)
        .map(|i| {
            format!(
                r#"{{"id": "i-m{i}", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1",
                    "max_network_interfaces": {max_network_interfaces}}}"#
            )
        })
        .collect();
    let interfaces: Vec<String> = (0..interfaces)
        .map(|n| {
            format!(
                r#"{{"id": "port-m{n}", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"}}"#
            )
        })
        .collect();
    EmulatorState::from_json(&format!(
        r#"{{"credentials": [{{"access_key": "AK", "secret_key": "SK"}}],
            "instances": [{}], "network_interfaces": [{}]}}"#,
        instances.join(","),
        interfaces.join(",")
    ))
    .unwrap()
}

/// Runs `attempts` attaches at once, the `i`th of `interface(i)` to `instance(i)`.
async fn all_at_once(
    client: &Client,
    attempts: usize,
    instance: impl Fn(usize) -> String,
    interface: impl Fn(usize) -> String,
) -> Vec<Result<String, Error>> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(attempts));
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let (c, barrier, instance, interface) =
                (client.clone(), barrier.clone(), instance(i), interface(i));
            tokio::spawn(async move {
                barrier.wait().await;
                attach(&c, REGION, &instance, &interface).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(attempts);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_64_concurrent_attaches_to_one_instance_one_wins_and_the_rest_meet_its_task() {
    let emulator = Emulator::start(many(1, 64, 100)).await.unwrap();
    let results = all_at_once(
        &client(&emulator),
        64,
        |_| "i-m0".into(),
        |n| format!("port-m{n}"),
    )
    .await;
    let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(won.len(), 1);
    for e in lost.into_iter().filter_map(Result::err) {
        assert_eq!(e.kind(), ErrorKind::TaskConflict, "{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attaches_never_exceed_the_flavors_limit() {
    let emulator = Emulator::start_with(
        many(1, 64, 3),
        EmulatorConfig::default().task_duration(Duration::ZERO),
    )
    .await
    .unwrap();
    let results = all_at_once(
        &client(&emulator),
        64,
        |_| "i-m0".into(),
        |n| format!("port-m{n}"),
    )
    .await;
    let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(won.len(), 3);
    for e in lost.into_iter().filter_map(Result::err) {
        assert_eq!(e.kind(), ErrorKind::NetworkInterfaceLimitExceeded, "{e}");
    }
    let attached = (0..64)
        .filter(|n| emulator.attached_to(&format!("port-m{n}")).is_some())
        .count();
    assert_eq!(attached, 3);
}

// ---------------------------------------------------------------- lifecycle

#[test]
fn the_emulator_can_be_started_from_any_task() {
    fn assert_send<T: Send>(_: &T) {}
    let state = EmulatorState::from_json(STATE).unwrap();
    assert_send(&Emulator::start(state));
}

#[tokio::test]
async fn a_shut_down_emulator_refuses_connections() {
    let emulator = emulator().await;
    let c = client(&emulator);
    attach(&c, REGION, "i-run", "port-free").await.unwrap();
    emulator.shutdown().await;
    let err = attach(&c, REGION, "i-stopped", "port-free2")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

#[tokio::test]
async fn a_dropped_emulator_stops_serving() {
    let emulator = emulator().await;
    let addr = emulator.local_addr();
    drop(emulator);
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "still listening on {addr}");
}

// ---------------------------------------------------------------- raw HTTP: the gateway's answers

const ATTACH_PATH: &str = "/v1/regions/cn-north-1/instances/i-run:attachNetworkInterface";

struct Raw<'a> {
    algorithm: SigningAlgorithm,
    date: String,
    nonce: Option<&'a str>,
    body: &'a [u8],
    /// Whether date and nonce are signed (the Python SDK signs only content-type and host).
    sign_date_and_nonce: bool,
}

impl Default for Raw<'_> {
    fn default() -> Self {
        Raw {
            algorithm: SigningAlgorithm::Jdcloud2,
            date: jdcloud_vm::signing::format_date(SystemTime::now()),
            nonce: Some("raw-nonce-1"),
            body: br#"{"networkInterfaceId":"port-free"}"#,
            sign_date_and_nonce: true,
        }
    }
}

/// Sends a hand-signed attach; the status and the decoded body, after checking the request id
/// header matches the body's.
async fn send_raw(emulator: &Emulator, raw: Raw<'_>) -> (u16, serde_json::Value) {
    let host = emulator.local_addr().to_string();
    let mut signed: Vec<(&str, &str)> = vec![("content-type", "application/json"), ("host", &host)];
    let mut unsigned: Vec<(&str, &str)> = Vec::new();
    let dated = if raw.sign_date_and_nonce {
        &mut signed
    } else {
        &mut unsigned
    };
    dated.push(("x-jdcloud-date", &raw.date));
    if let Some(nonce) = raw.nonce {
        dated.push(("x-jdcloud-nonce", nonce));
    }
    let authorization = if raw.sign_date_and_nonce {
        sign(
            raw.algorithm,
            &Credentials::new("AK", "SK"),
            REGION,
            "vm",
            &SignableRequest {
                method: "POST",
                path: ATTACH_PATH,
                query: "",
                headers: &signed,
                body: raw.body,
            },
        )
        .unwrap()
    } else {
        python_style_authorization(&host, &raw)
    };
    let mut request = plain_http::plain_http()
        .post(format!("{}{ATTACH_PATH}", emulator.endpoint()))
        .header("authorization", authorization)
        .body(raw.body.to_vec());
    for (name, value) in signed.iter().chain(&unsigned) {
        if *name != "host" {
            request = request.header(*name, *value);
        }
    }
    decode(request.send().await.unwrap()).await
}

/// What the Python SDK sends: JDCLOUD3 over `content-type;host` only, the date from its
/// unsigned header. `sign` needs the date among the headers it signs, so the canonical request
/// is built here by hand, as the Python SDK does.
fn python_style_authorization(host: &str, raw: &Raw<'_>) -> String {
    use hmac::{KeyInit, Mac};
    use sha2::{Digest, Sha256};
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mac = |k: &[u8], d: &str| {
        let mut m = hmac::Hmac::<Sha256>::new_from_slice(k).unwrap();
        m.update(d.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let canonical = format!(
        "POST\n{}\n\ncontent-type:application/json\nhost:{host}\n\ncontent-type;host\n{}",
        jdcloud_vm::signing::canonical_path(ATTACH_PATH),
        hex(&Sha256::digest(raw.body))
    );
    let day = &raw.date[..8];
    let scope = format!("{day}/{REGION}/vm/jdcloud3_request");
    let to_sign = format!(
        "JDCLOUD3-HMAC-SHA256\n{}\n{scope}\n{}",
        raw.date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = mac(
        &mac(&mac(&mac(b"JDCLOUD3SK", day), REGION), "vm"),
        "jdcloud3_request",
    );
    format!(
        "JDCLOUD3-HMAC-SHA256 Credential=AK/{scope}, SignedHeaders=content-type;host, Signature={}",
        hex(&mac(&key, &to_sign))
    )
}

async fn decode(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let header_id = response
        .headers()
        .get("x-jdcloud-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("an x-jdcloud-request-id header");
    let body: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.unwrap()).expect("a JSON body");
    assert_eq!(
        body["requestId"].as_str(),
        Some(header_id.as_str()),
        "{body}"
    );
    assert!(is_request_id(&header_id), "{header_id}");
    (status, body)
}

fn assert_error(answer: &(u16, serde_json::Value), http: u16, status: &str, message: &str) {
    let (code, body) = answer;
    assert_eq!(*code, http, "{body}");
    assert_eq!(body["error"]["code"], http, "{body}");
    assert_eq!(body["error"]["status"], status, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
}

#[tokio::test]
async fn raw_a_missing_authorization_is_refused() {
    let emulator = emulator().await;
    let response = plain_http::plain_http()
        .post(format!("{}{ATTACH_PATH}", emulator.endpoint()))
        .header("content-type", "application/json")
        .body(r#"{"networkInterfaceId":"port-free"}"#)
        .send()
        .await
        .unwrap();
    assert_error(
        &decode(response).await,
        401,
        "ACCESS_ERROR",
        "lack of header authorization[gw]",
    );
}

#[tokio::test]
async fn raw_a_replayed_request_is_refused() {
    let emulator = emulator().await;
    let raw = || Raw {
        nonce: Some("replayed-nonce"),
        ..Raw::default()
    };
    let (status, body) = send_raw(&emulator, raw()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only requestId: {body}"
    );
    let again = send_raw(&emulator, raw()).await;
    assert_error(
        &again,
        401,
        "ACCESS_ERROR",
        "Replayed request: x-jdcloud-nonce has already been used[gw]",
    );
}

#[tokio::test]
async fn raw_stale_future_missing_and_malformed_dates_are_refused() {
    let emulator = emulator().await;
    for offset in [-16 * 60i64, 16 * 60] {
        let t = if offset < 0 {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        } else {
            SystemTime::now() + Duration::from_secs(offset as u64)
        };
        let (status, body) = send_raw(
            &emulator,
            Raw {
                date: jdcloud_vm::signing::format_date(t),
                ..Raw::default()
            },
        )
        .await;
        assert_eq!(
            (status, body["error"]["status"].as_str()),
            (401, Some("ACCESS_ERROR")),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("more than 15 minutes") && message.ends_with("[gw]"),
            "{message}"
        );
    }
    // A malformed date cannot be signed by `sign`: send it unsigned, as the Python SDK would.
    let (status, body) = send_raw(
        &emulator,
        Raw {
            date: "2026-11-27T10:15:00Z".into(),
            sign_date_and_nonce: false,
            ..Raw::default()
        },
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid x-jdcloud-date"),
        "{body}"
    );
}

#[tokio::test]
async fn raw_a_missing_nonce_is_refused() {
    let emulator = emulator().await;
    let answer = send_raw(
        &emulator,
        Raw {
            nonce: None,
            ..Raw::default()
        },
    )
    .await;
    assert_error(
        &answer,
        401,
        "ACCESS_ERROR",
        "lack of header x-jdcloud-nonce[gw]",
    );
}

#[tokio::test]
async fn raw_the_python_sdks_signature_over_content_type_and_host_is_accepted() {
    let emulator = emulator().await;
    let body = br#"{"regionId": "cn-north-1", "instanceId": "i-run", "networkInterfaceId": "port-free", "autoDelete": null}"#;
    let raw = Raw {
        algorithm: SigningAlgorithm::Jdcloud3,
        sign_date_and_nonce: false,
        nonce: Some("python-nonce"),
        body,
        ..Raw::default()
    };
    let (status, body) = send_raw(&emulator, raw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(emulator.attached_to("port-free").as_deref(), Some("i-run"));
}

#[tokio::test]
async fn raw_unknown_routes_and_methods_have_jdcloud_errors() {
    let emulator = emulator().await;
    let http = plain_http::plain_http();
    let response = http
        .post(format!(
            "{}/v1/regions/cn-north-1/instances/i-run:bogusAction",
            emulator.endpoint()
        ))
        .send()
        .await
        .unwrap();
    let (status, body) = decode(response).await;
    assert_eq!(
        (status, body["error"]["status"].as_str()),
        (404, Some("NOT_FOUND")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("No API matches POST"),
        "{body}"
    );

    let response = http
        .get(format!("{}{ATTACH_PATH}", emulator.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    let (status, body) = decode(response).await;
    assert_eq!(status, 405, "{body}");
}

#[tokio::test]
async fn raw_bad_bodies_are_invalid_arguments() {
    let emulator = emulator().await;
    let cases: [(&[u8], &str); 3] = [
        (b"{not json", "Malformed JSON body"),
        (b"{}", "networkInterfaceId is required"),
        (
            br#"{"networkInterfaceId": 42}"#,
            "networkInterfaceId must be a string",
        ),
    ];
    for (i, (body, message)) in cases.into_iter().enumerate() {
        let nonce = format!("bad-body-{i}");
        let (status, answer) = send_raw(
            &emulator,
            Raw {
                body,
                nonce: Some(&nonce),
                ..Raw::default()
            },
        )
        .await;
        assert_eq!(
            (status, answer["error"]["status"].as_str()),
            (400, Some("INVALID_ARGUMENT")),
            "{answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(message),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn raw_a_body_over_64_kib_is_refused() {
    let emulator = emulator().await;
    let big = format!(
        r#"{{"networkInterfaceId":"port-free","pad":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let (status, body) = send_raw(
        &emulator,
        Raw {
            body: big.as_bytes(),
            ..Raw::default()
        },
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Request body is larger than 65536 bytes"
    );
}
