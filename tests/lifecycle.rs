//! The interface lifecycle through the SDK against the embedded emulator: attach, detach,
//! describeInstance and describeInstances as a caller uses them, each documented refusal of
//! the new operations with its kind and exact message, filters and paging as typed values,
//! the waiters, and answers lost on purpose that must not become false failures.
//!
//! Task durations are short (about a second where a task must be seen in progress), so that
//! the file stays fast while a loaded machine running unoptimised code still sees the task.

mod common;

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use common::Captured;
use jdcloud_vm::{types, Client, Credentials, Error, ErrorKind, RetryConfig};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};

const REGION: &str = "cn-north-1";
/// Long enough that a few unoptimised requests on a loaded machine fit inside it.
const TASK: Duration = Duration::from_millis(1200);
/// For the lost-answer tests: over before a client's 500 ms timeout has run out.
const SHORT_TASK: Duration = Duration::from_millis(200);

/// The name of `i-named`: a space, `+`, `/`, `&`, `=` and non-ASCII, for the `name` filter,
/// which matches by substring.
const ODD_NAME: &str = "web/app+1 京东 a&b=c%41";

const STATE: &str = r#"{
  "credentials": [
    {"access_key": "AK", "secret_key": "SK"},
    {"access_key": "OTHER", "secret_key": "OSK"}
  ],
  "instances": [
    {"id": "i-run", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "max_network_interfaces": 6},
    {"id": "i-stopped", "region": "cn-north-1", "az": "cn-north-1b", "vpc": "vpc-1", "status": "stopped", "max_network_interfaces": 4},
    {"id": "i-starting", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "starting"},
    {"id": "i-busy", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "busy": true},
    {"id": "i-vpc2", "region": "cn-north-1", "az": "cn-north-1c", "vpc": "vpc-2", "instance_type": "g.n2.large"},
    {"id": "i-named", "region": "cn-north-1", "az": "cn-north-1c", "vpc": "vpc-1", "name": "NAME",
     "subnet": "subnet-web", "private_ip": "10.9.0.9"},
    {"id": "i-other", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1"},
    {"id": "i-south", "region": "cn-south-1", "az": "cn-south-1a", "vpc": "vpc-1"}
  ],
  "network_interfaces": [
    {"id": "port-run-p", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-run", "primary": true,
     "mac": "fa:16:3e:00:00:01", "private_ip": "10.0.0.1"},
    {"id": "port-theirs", "region": "cn-north-1", "vpc": "vpc-1", "owner": "OTHER", "attached_to": "i-run"},
    {"id": "port-a", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"},
    {"id": "port-b", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"},
    {"id": "port-c", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"},
    {"id": "port-s", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-stopped"},
    {"id": "port-s2", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-starting"},
    {"id": "port-busy", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-busy"},
    {"id": "port-taken", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-other"},
    {"id": "port-vpc2", "region": "cn-north-1", "vpc": "vpc-2", "owner": "AK", "attached_to": "i-vpc2"}
  ]
}"#;

/// The instances of cn-north-1, in the state's order.
const ALL: [&str; 7] = [
    "i-run",
    "i-stopped",
    "i-starting",
    "i-busy",
    "i-vpc2",
    "i-named",
    "i-other",
];

fn state() -> String {
    let name = serde_json::to_string(ODD_NAME).unwrap();
    STATE.replace("\"NAME\"", &name)
}

async fn emulator_with(task: Duration) -> Emulator {
    emulator_of(&state(), task).await
}

async fn emulator_of(state: &str, task: Duration) -> Emulator {
    Emulator::start_with(
        EmulatorState::from_json(state).expect("the test state parses"),
        EmulatorConfig::default().task_duration(task),
    )
    .await
    .expect("the emulator starts")
}

/// A client of `AK`, retries off, so that each call is one request.
fn client(emulator: &Emulator) -> Client {
    client_of(&emulator.endpoint())
}

fn client_of(endpoint: &str) -> Client {
    Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(endpoint)
        .retry(RetryConfig::disabled())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a valid client")
}

/// A client whose attempts time out after 500 ms, with 3 attempts and a short backoff: the one
/// the lost-answer tests need.
fn impatient_client(emulator: &Emulator) -> Client {
    Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(10)))
        .timeout(Duration::from_millis(500))
        .build()
        .expect("a valid client")
}

fn filter(name: &str, values: &[&str]) -> types::Filter {
    types::Filter {
        name: name.to_owned(),
        operator: None,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

async fn attach(client: &Client, instance: &str, nic: &str) -> Result<String, Error> {
    client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(instance)
        .network_interface_id(nic)
        .auto_delete(false)
        .send()
        .await
        .map(|r| r.into_inner().request_id)
}

async fn detach(client: &Client, instance: &str, nic: &str) -> Result<String, Error> {
    client
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(instance)
        .network_interface_id(nic)
        .send()
        .await
        .map(|r| r.into_inner().request_id)
}

async fn describe(client: &Client, instance: &str) -> Result<types::Instance, Error> {
    client
        .describe_instance()
        .region_id(REGION)
        .instance_id(instance)
        .send()
        .await
        .map(|r| r.into_inner().result.instance)
}

fn secondary_ids(instance: &types::Instance) -> Vec<String> {
    instance
        .secondary_network_interfaces
        .iter()
        .map(|a| {
            a.network_interface
                .as_ref()
                .and_then(|n| n.network_interface_id.clone())
                .expect("an attachment names its interface")
        })
        .collect()
}

async fn secondaries(client: &Client, instance: &str) -> Vec<String> {
    secondary_ids(&describe(client, instance).await.expect("describe works"))
}

/// The ids of the first page of describeInstances with `filters`, and `totalCount`.
async fn list(client: &Client, filters: Vec<types::Filter>) -> (Vec<String>, u64) {
    let answer = client
        .describe_instances()
        .region_id(REGION)
        .page_size(100)
        .filters(filters.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{filters:?}: {e}"));
    ids_and_total(&answer.result)
}

fn ids_and_total(result: &types::DescribeInstancesResult) -> (Vec<String>, u64) {
    let ids = result
        .instances
        .iter()
        .map(|i| i.instance_id.clone().expect("an instance has an id"))
        .collect();
    (ids, u64::try_from(result.total_count).expect("a count"))
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// Checks a refusal: its kind, HTTP status, code, exact message, and that it has a request id.
#[track_caller]
fn assert_refused(error: &Error, kind: ErrorKind, http: u16, code: &str, message: &str) {
    assert_eq!(error.kind(), kind, "{error}");
    assert_eq!(error.http_status(), Some(http), "{error}");
    assert_eq!(error.code(), Some(code), "{error}");
    assert_eq!(error.message(), Some(message), "{error}");
    assert!(
        error.request_id().is_some_and(|id| !id.is_empty()),
        "{error}"
    );
}

// ---------------------------------------------------------------- the four operations

#[tokio::test]
async fn an_attach_shows_in_describe_once_its_task_ends_and_the_waiter_returns_then() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    assert_eq!(secondaries(&client, "i-run").await, ["port-theirs"]);

    let started = Instant::now();
    let request_id = attach(&client, "i-run", "port-a")
        .await
        .expect("the attach is accepted");
    assert!(!request_id.is_empty());
    // Committed at once, shown when the task ends.
    assert_eq!(emulator.attached_to("port-a").as_deref(), Some("i-run"));
    assert_eq!(secondaries(&client, "i-run").await, ["port-theirs"]);

    client
        .wait_until_attached(REGION, "i-run", "port-a", Duration::from_secs(10))
        .await
        .expect("the waiter sees the attach");
    let waited = started.elapsed();
    assert!(waited >= TASK - Duration::from_millis(50), "{waited:?}");
    assert!(waited < TASK + Duration::from_secs(3), "{waited:?}");

    let instance = describe(&client, "i-run").await.unwrap();
    assert_eq!(secondary_ids(&instance), ["port-theirs", "port-a"]);
    let attached = &instance.secondary_network_interfaces[1];
    assert_eq!(attached.auto_delete, Some(false));
    assert_eq!(attached.device_index, Some(3));
    let nic = attached.network_interface.as_ref().unwrap();
    assert_eq!(nic.vpc_id.as_deref(), Some("vpc-1"));
    assert!(nic.mac_address.as_deref().unwrap().starts_with("fa:16:3e:"));
    // And describeInstances' networkInterfaceId filter finds it there.
    assert_eq!(
        list(&client, vec![filter("networkInterfaceId", &["port-a"])]).await,
        (strings(&["i-run"]), 1)
    );
}

#[tokio::test]
async fn a_detach_takes_the_interface_off_once_its_task_ends_and_the_waiter_returns_then() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    assert_eq!(secondaries(&client, "i-stopped").await, ["port-s"]);

    let started = Instant::now();
    let request_id = detach(&client, "i-stopped", "port-s")
        .await
        .expect("the detach is accepted");
    assert!(!request_id.is_empty());
    assert_eq!(emulator.attached_to("port-s"), None);
    assert_eq!(secondaries(&client, "i-stopped").await, ["port-s"]);

    client
        .wait_until_detached(REGION, "i-stopped", "port-s", Duration::from_secs(10))
        .await
        .expect("the waiter sees the detach");
    let waited = started.elapsed();
    assert!(waited >= TASK - Duration::from_millis(50), "{waited:?}");

    let instance = describe(&client, "i-stopped").await.unwrap();
    assert!(
        instance.secondary_network_interfaces.is_empty(),
        "{instance:?}"
    );
    assert_eq!(
        list(&client, vec![filter("networkInterfaceId", &["port-s"])]).await,
        (vec![], 0)
    );
}

#[tokio::test]
async fn describe_instance_answers_the_instance_as_jdcloud_does() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let answer = client
        .describe_instance()
        .region_id(REGION)
        .instance_id("i-run")
        .send()
        .await
        .expect("describe works");
    assert_eq!(answer.status().as_u16(), 200);
    assert!(!answer.request_id.is_empty());
    let i = &answer.result.instance;
    assert_eq!(i.instance_id.as_deref(), Some("i-run"));
    assert_eq!(i.instance_name.as_deref(), Some("i-run"));
    assert_eq!(i.instance_type.as_deref(), Some("g.n2.medium"));
    assert_eq!(i.status.as_deref(), Some("running"));
    assert_eq!(i.az.as_deref(), Some("cn-north-1a"));
    assert_eq!(i.vpc_id.as_deref(), Some("vpc-1"));
    assert_eq!(i.private_ip_address.as_deref(), Some("10.0.0.1"));
    let primary = i.primary_network_interface.as_ref().expect("a primary");
    assert_eq!(primary.device_index, Some(1));
    assert_eq!(primary.auto_delete, Some(true));
    let nic = primary.network_interface.as_ref().unwrap();
    assert_eq!(nic.network_interface_id.as_deref(), Some("port-run-p"));
    assert_eq!(nic.mac_address.as_deref(), Some("fa:16:3e:00:00:01"));
    assert_eq!(secondary_ids(i), ["port-theirs"]);
    assert_eq!(i.secondary_network_interfaces[0].device_index, Some(2));

    // No primary and no secondary interface: both absent.
    let named = describe(&client, "i-named").await.unwrap();
    assert_eq!(named.instance_name.as_deref(), Some(ODD_NAME));
    assert!(named.primary_network_interface.is_none());
    assert!(named.secondary_network_interfaces.is_empty());
    assert_eq!(named.subnet_id.as_deref(), Some("subnet-web"));
}

#[tokio::test]
async fn describe_instances_lists_the_regions_instances_in_order() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let answer = client
        .describe_instances()
        .region_id(REGION)
        .send()
        .await
        .expect("describeInstances works");
    assert!(!answer.request_id.is_empty());
    assert_eq!(ids_and_total(&answer.result), (strings(&ALL), 7));
    // Each as describeInstance shows it.
    let listed = &answer.result.instances[0];
    let single = describe(&client, "i-run").await.unwrap();
    assert_eq!(
        serde_json::to_value(listed).unwrap(),
        serde_json::to_value(&single).unwrap()
    );
    // Another region's instances are not there, and are there in their own region.
    let south = client
        .describe_instances()
        .region_id("cn-south-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ids_and_total(&south.result), (strings(&["i-south"]), 1));
}

// ---------------------------------------------------------------- documented refusals

#[tokio::test]
async fn each_documented_detach_refusal_has_its_kind_and_exact_message() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let cases: [(&str, &str, ErrorKind, u16, &str, &str); 6] = [
        (
            "i-run",
            "port-run-p",
            ErrorKind::CannotDetachPrimary,
            400,
            "FAILED_PRECONDITION",
            "Can't detach primaryNetworkInterface",
        ),
        (
            "i-run",
            "port-theirs",
            ErrorKind::NetworkInterfacePermissionDenied,
            400,
            "FAILED_PRECONDITION",
            "No NetworkInterface permissions.",
        ),
        (
            "i-starting",
            "port-s2",
            ErrorKind::InvalidInstanceStatus,
            400,
            "FAILED_PRECONDITION",
            "Invalid instance status starting",
        ),
        (
            "i-busy",
            "port-busy",
            ErrorKind::TaskConflict,
            400,
            "FAILED_PRECONDITION",
            "Conflict with underlay task task-busy",
        ),
        (
            "i-nope",
            "port-a",
            ErrorKind::InstanceNotFound,
            404,
            "NOT_FOUND",
            "Instance 'i-nope' not found.",
        ),
        // Another region's instance is not found in this one.
        (
            "i-south",
            "port-a",
            ErrorKind::InstanceNotFound,
            404,
            "NOT_FOUND",
            "Instance 'i-south' not found.",
        ),
    ];
    for (instance, nic, kind, http, code, message) in cases {
        let error = detach(&client, instance, nic)
            .await
            .expect_err(&format!("detach {nic} from {instance}"));
        assert_refused(&error, kind, http, code, message);
        assert_eq!(error.operation(), Some("detach_network_interface"));
    }
    assert!(ErrorKind::TaskConflict.is_retryable());
    // Nothing refused changed anything.
    assert_eq!(emulator.attached_to("port-run-p").as_deref(), Some("i-run"));
    assert_eq!(
        emulator.attached_to("port-theirs").as_deref(),
        Some("i-run")
    );
    assert_eq!(
        emulator.attached_to("port-s2").as_deref(),
        Some("i-starting")
    );
    assert_eq!(emulator.attached_to("port-busy").as_deref(), Some("i-busy"));
}

#[tokio::test]
async fn a_detach_during_a_task_of_the_instance_is_a_task_conflict() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    attach(&client, "i-run", "port-a").await.unwrap();
    let error = detach(&client, "i-run", "port-a")
        .await
        .expect_err("the instance is busy");
    assert_eq!(error.kind(), ErrorKind::TaskConflict, "{error}");
    assert!(error.is_retryable());
    let message = error.message().unwrap();
    assert!(
        message.starts_with("Conflict with underlay task task-"),
        "{message}"
    );
    // The emulator's own refusal for an interface that is not there: a plain precondition.
    let error = detach(&client, "i-stopped", "port-a")
        .await
        .expect_err("not attached there");
    assert_refused(
        &error,
        ErrorKind::FailedPrecondition,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface 'port-a' is not attached to instance 'i-stopped'",
    );
}

#[tokio::test]
async fn describe_instance_of_an_unknown_instance_is_instance_not_found() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    for id in ["i-nope", "i-south"] {
        let error = describe(&client, id).await.expect_err(id);
        assert_refused(
            &error,
            ErrorKind::InstanceNotFound,
            404,
            "NOT_FOUND",
            &format!("Instance '{id}' not found."),
        );
        assert_eq!(error.operation(), Some("describe_instance"));
    }
}

/// A listener nothing connects to unless a request is made: the proof that none was.
fn silent_endpoint() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    (listener, endpoint)
}

#[track_caller]
fn assert_no_connection(listener: &TcpListener) {
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("accept: {e}"),
        Ok((_, from)) => panic!("a connection was made from {from}"),
    }
}

#[tokio::test]
async fn a_page_size_or_number_out_of_range_is_refused_before_anything_is_sent() {
    // The server would answer 400 OUT_OF_RANGE `PageSize out of range`, but the client checks
    // the spec's bounds first: the SDK cannot send such a request (see lifecycle_contract.rs
    // for the server's refusal, classified as PageSizeOutOfRange).
    let (listener, endpoint) = silent_endpoint();
    let offline = client_of(&endpoint);
    for size in [5, 9, 101, 0, -1] {
        let error = offline
            .describe_instances()
            .region_id(REGION)
            .page_size(size)
            .send()
            .await
            .expect_err("out of range");
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{size}: {error}");
        assert!(!error.is_retryable());
        let message = error.message().unwrap_or_default();
        assert!(message.contains("page_size"), "{size}: {message}");
        assert!(
            message.contains("10") && message.contains("100"),
            "{message}"
        );
        assert_eq!(error.http_status(), None);
    }
    let error = offline
        .describe_instances()
        .region_id(REGION)
        .page_number(0)
        .send()
        .await
        .expect_err("page 0");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(
        error.message().unwrap_or_default().contains("page_number"),
        "{error}"
    );
    // Nor through the pages.
    let mut pages = offline
        .describe_instances()
        .region_id(REGION)
        .page_size(5)
        .into_pages();
    let error = pages.next().await.expect("one item").expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(pages.next().await.is_none());
    assert_no_connection(&listener);

    // The bounds themselves are accepted, by the emulator too.
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    for size in [10, 100] {
        let answer = client
            .describe_instances()
            .region_id(REGION)
            .page_size(size)
            .page_number(1)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{size}: {e}"));
        assert_eq!(answer.result.total_count, 7);
    }
}

// ---------------------------------------------------------------- filters

#[tokio::test]
async fn each_supported_filter_name_selects_its_instances() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let cases: [(types::Filter, &[&str]); 10] = [
        (filter("instanceId", &["i-busy"]), &["i-busy"]),
        (filter("status", &["stopped"]), &["i-stopped"]),
        (filter("az", &["cn-north-1b"]), &["i-stopped"]),
        (filter("vpcId", &["vpc-2"]), &["i-vpc2"]),
        (filter("networkInterfaceId", &["port-taken"]), &["i-other"]),
        // The primary interface counts too.
        (filter("networkInterfaceId", &["port-run-p"]), &["i-run"]),
        (filter("subnetId", &["subnet-web"]), &["i-named"]),
        (filter("instanceType", &["g.n2.large"]), &["i-vpc2"]),
        (filter("privateIpAddress", &["10.0.0.1"]), &["i-run"]),
        (filter("name", &["web/app"]), &["i-named"]),
    ];
    for (f, expected) in cases {
        let (ids, total) = list(&client, vec![f.clone()]).await;
        assert_eq!(ids, strings(expected), "{f:?}");
        assert_eq!(total, expected.len() as u64, "{f:?}");
    }
    // A value that matches nothing, and an unknown instance id.
    assert_eq!(
        list(&client, vec![filter("instanceId", &["i-nope"])]).await,
        (vec![], 0)
    );
}

#[tokio::test]
async fn values_of_one_filter_are_or_ed_and_filters_and_ed() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    // Two values in one filter: either, in the state's order whatever the values' order.
    assert_eq!(
        list(&client, vec![filter("instanceId", &["i-named", "i-run"])]).await,
        (strings(&["i-run", "i-named"]), 2)
    );
    assert_eq!(
        list(&client, vec![filter("status", &["stopped", "starting"])]).await,
        (strings(&["i-stopped", "i-starting"]), 2)
    );
    // Two filters: both.
    assert_eq!(
        list(
            &client,
            vec![
                filter("az", &["cn-north-1a"]),
                filter("status", &["starting", "stopped"]),
            ]
        )
        .await,
        (strings(&["i-starting"]), 1)
    );
    assert_eq!(
        list(
            &client,
            vec![filter("vpcId", &["vpc-1"]), filter("az", &["cn-north-1c"])]
        )
        .await,
        (strings(&["i-named"]), 1)
    );
    // Two filters that exclude each other: nothing.
    assert_eq!(
        list(
            &client,
            vec![filter("vpcId", &["vpc-2"]), filter("az", &["cn-north-1a"])]
        )
        .await,
        (vec![], 0)
    );
    // An explicit operator.
    let mut like = filter("instanceId", &["i-s"]);
    like.operator = Some("like".to_owned());
    assert_eq!(
        list(&client, vec![like]).await,
        (strings(&["i-stopped", "i-starting"]), 2)
    );
    let mut eq = filter("instanceId", &["i-s"]);
    eq.operator = Some("eq".to_owned());
    assert_eq!(list(&client, vec![eq]).await, (vec![], 0));
}

#[tokio::test]
async fn eleven_filters_are_each_applied() {
    // filters.10 and filters.11 sort before filters.2 as strings; each is a filter of its own.
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let mut filters: Vec<types::Filter> = (0..9).map(|_| filter("vpcId", &["vpc-1"])).collect();
    filters.push(filter("az", &["cn-north-1a"]));
    filters.push(filter("status", &["running"]));
    assert_eq!(
        list(&client, filters.clone()).await,
        (strings(&["i-run", "i-busy", "i-other"]), 3)
    );
    // The eleventh alone narrows it further.
    filters[10] = filter("instanceId", &["i-other"]);
    assert_eq!(list(&client, filters).await, (strings(&["i-other"]), 1));
}

#[tokio::test]
async fn filter_values_with_spaces_plus_slash_ampersand_and_non_ascii_travel_intact() {
    // `name` matches by substring: each of these parts of i-named's name must arrive exactly
    // as typed (a `+` sent raw would arrive as a space, an `&` raw would split the query).
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    for part in [
        ODD_NAME, "web/app", "app+1", "+1 京", "京东", "a&b=c", "=c", "%41", " ",
    ] {
        assert_eq!(
            list(&client, vec![filter("name", &[part])]).await,
            (strings(&["i-named"]), 1),
            "{part:?}"
        );
    }
    // Near misses match nothing: the `+` stayed a `+`, the `%41` was not decoded.
    for miss in ["app 1", "app%2B1", "A", "a&b=d", "京东云"] {
        assert_eq!(
            list(&client, vec![filter("name", &[miss])]).await,
            (vec![], 0),
            "{miss:?}"
        );
    }
    // Exact-match filters accept such values, and match nothing.
    assert_eq!(
        list(&client, vec![filter("instanceId", &["i run/+é&x=y"])]).await,
        (vec![], 0)
    );
}

// ---------------------------------------------------------------- paging

/// 26 instances, `i-p00` to `i-p25`, in that order.
fn paging_state() -> String {
    let instances: Vec<String> = (0..26)
        .map(|n| {
            format!(
                r#"{{"id": "i-p{n:02}", "region": "{REGION}", "az": "{REGION}a", "vpc": "vpc-1"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"credentials": [{{"access_key": "AK", "secret_key": "SK"}}],
            "instances": [{}], "network_interfaces": []}}"#,
        instances.join(",")
    )
}

fn paged_ids() -> Vec<String> {
    (0..26).map(|n| format!("i-p{n:02}")).collect()
}

#[tokio::test]
async fn pages_of_ten_by_number_are_10_10_6_of_26() {
    let emulator = emulator_of(&paging_state(), TASK).await;
    let client = client(&emulator);
    let mut seen = Vec::new();
    for (page, expected) in [(1u64, 10usize), (2, 10), (3, 6), (4, 0)] {
        let answer = client
            .describe_instances()
            .region_id(REGION)
            .page_number(page)
            .page_size(10)
            .send()
            .await
            .unwrap_or_else(|e| panic!("page {page}: {e}"));
        let (ids, total) = ids_and_total(&answer.result);
        assert_eq!(total, 26, "page {page}");
        assert_eq!(ids.len(), expected, "page {page}: {ids:?}");
        seen.extend(ids);
    }
    assert_eq!(seen, paged_ids(), "every instance once, in order");
    // Without paging parameters: the first 20.
    let answer = client
        .describe_instances()
        .region_id(REGION)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids_and_total(&answer.result),
        (paged_ids()[..20].to_vec(), 26)
    );
}

#[tokio::test]
async fn into_pages_gives_three_pages_with_every_instance_once_in_order() {
    let emulator = emulator_of(&paging_state(), TASK).await;
    let client = client(&emulator);
    let mut pages = client
        .describe_instances()
        .region_id(REGION)
        .page_size(10)
        .into_pages();
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("a page");
        assert_eq!(page.result.total_count, 26);
        let (ids, _) = ids_and_total(&page.result);
        sizes.push(ids.len());
        seen.extend(ids);
        assert!(sizes.len() <= 3, "more than three pages: {sizes:?}");
    }
    assert_eq!(sizes, [10, 10, 6]);
    assert_eq!(seen, paged_ids());
    assert!(pages.next().await.is_none(), "done stays done");

    // From a given page on, and with a filter: the filter goes with every page.
    let mut pages = client
        .describe_instances()
        .region_id(REGION)
        .page_size(10)
        .page_number(2)
        .into_pages();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        seen.extend(ids_and_total(&page.unwrap().result).0);
    }
    assert_eq!(seen, paged_ids()[10..]);

    let wanted: Vec<String> = paged_ids().into_iter().step_by(2).collect();
    let values: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let mut pages = client
        .describe_instances()
        .region_id(REGION)
        .page_size(10)
        .filters(vec![filter("instanceId", &values)])
        .into_pages();
    let mut sizes = Vec::new();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert_eq!(page.result.total_count, 13);
        let (ids, _) = ids_and_total(&page.result);
        sizes.push(ids.len());
        seen.extend(ids);
    }
    assert_eq!(sizes, [10, 3]);
    assert_eq!(seen, wanted);
}

#[tokio::test]
async fn into_pages_from_a_later_page_ends_with_the_last_page() {
    let emulator = emulator_of(&paging_state(), TASK).await;
    let client = client(&emulator);
    let mut pages = client
        .describe_instances()
        .region_id(REGION)
        .page_size(10)
        .page_number(2)
        .into_pages();
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await {
        sizes.push(page.unwrap().result.instances.len());
    }
    // Pages 2 and 3; no request for a page 4, no empty page.
    assert_eq!(sizes, [10, 6]);
}

// ---------------------------------------------------------------- waiters

#[tokio::test]
async fn a_waiter_past_its_timeout_is_a_timeout_naming_what_it_awaited() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let timeout = Duration::from_millis(700);

    // port-b is never attached to i-run.
    let started = Instant::now();
    let error = client
        .wait_until_attached(REGION, "i-run", "port-b", timeout)
        .await
        .expect_err("never attached");
    let waited = started.elapsed();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    assert!(error.is_retryable());
    let message = error.message().unwrap_or_default().to_owned();
    for part in ["port-b", "i-run", "attached"] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert!(waited >= timeout, "{waited:?}");
    assert!(waited < timeout + Duration::from_secs(2), "{waited:?}");

    // port-theirs is never detached from i-run.
    let error = client
        .wait_until_detached(REGION, "i-run", "port-theirs", timeout)
        .await
        .expect_err("never detached");
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error}");
    let message = error.message().unwrap_or_default();
    for part in ["port-theirs", "i-run", "detached"] {
        assert!(message.contains(part), "{part}: {message}");
    }
}

#[tokio::test]
async fn a_waiter_returns_at_once_when_the_state_is_already_there_or_the_instance_is_unknown() {
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    let started = Instant::now();
    client
        .wait_until_attached(REGION, "i-run", "port-theirs", Duration::from_secs(10))
        .await
        .expect("already attached");
    client
        .wait_until_detached(REGION, "i-run", "port-a", Duration::from_secs(10))
        .await
        .expect("never was attached");
    // The primary interface is not a secondary one: never "attached" in the waiter's sense.
    client
        .wait_until_detached(REGION, "i-run", "port-run-p", Duration::from_secs(10))
        .await
        .expect("the primary is not among the secondaries");
    // An unknown instance is not waited out.
    let error = client
        .wait_until_attached(REGION, "i-nope", "port-a", Duration::from_secs(10))
        .await
        .expect_err("no such instance");
    assert_eq!(error.kind(), ErrorKind::InstanceNotFound, "{error}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_waiter_on_a_busy_instance_just_waits() {
    // describeInstance answers while a task runs (the emulator never refuses it with a task
    // conflict; the waiter's tolerance of that answer is tested against wiremock in
    // lifecycle_contract.rs). An attach and a waiter while another call meets the conflict.
    let emulator = emulator_with(TASK).await;
    let client = client(&emulator);
    attach(&client, "i-run", "port-a").await.unwrap();
    let error = attach(&client, "i-run", "port-b")
        .await
        .expect_err("the instance is busy");
    assert_eq!(error.kind(), ErrorKind::TaskConflict, "{error}");
    client
        .wait_until_attached(REGION, "i-run", "port-a", Duration::from_secs(10))
        .await
        .expect("the waiter sees the attach");
    // Once the task is over, the next attach is accepted.
    attach(&client, "i-run", "port-b")
        .await
        .expect("no task any more");
}

// ---------------------------------------------------------------- lost answers

/// Runs `call` with a DEBUG subscriber on this thread (the test's current-thread runtime keeps
/// the client and the emulator on it); what it logged, quotes removed.
async fn traced<T>(call: impl std::future::Future<Output = T>) -> (T, String) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(captured.writer())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let out = call.await;
    (out, captured.text().replace('"', ""))
}

const RESOLVED: &str = "an earlier attempt was applied though its answer was lost";

#[tokio::test]
async fn an_attach_whose_answer_is_lost_succeeds_and_attaches_once() {
    let emulator = emulator_with(SHORT_TASK).await;
    let client = impatient_client(&emulator);
    let before = secondaries(&client, "i-run").await;
    emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(2));

    let started = Instant::now();
    let (result, log) = traced(attach(&client, "i-run", "port-a")).await;
    let request_id = result.unwrap_or_else(|e| panic!("no false failure: {e}\n{log}"));
    assert!(!request_id.is_empty());
    // The held answer was not awaited.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(log.contains(RESOLVED), "{log}");
    assert!(log.contains("refused=NetworkInterfaceInUse"), "{log}");
    // The first attempt timed out; it is the one that was applied.
    assert!(log.contains("kind=Timeout"), "{log}");
    // The request id is that of the describeInstance that found the attach applied.
    assert!(
        log.contains(&format!("describe_request_id={request_id}")),
        "{request_id}: {log}"
    );

    assert_eq!(emulator.attached_to("port-a").as_deref(), Some("i-run"));
    client
        .wait_until_attached(REGION, "i-run", "port-a", Duration::from_secs(5))
        .await
        .unwrap();
    let after = secondaries(&client, "i-run").await;
    assert_eq!(after.len(), before.len() + 1, "{after:?}");
    assert_eq!(after.iter().filter(|id| *id == "port-a").count(), 1);
    // Only the first attempt changed anything: every other interface is where it was.
    for (nic, at) in [
        ("port-run-p", Some("i-run")),
        ("port-theirs", Some("i-run")),
        ("port-b", None),
        ("port-c", None),
        ("port-s", Some("i-stopped")),
        ("port-taken", Some("i-other")),
    ] {
        assert_eq!(emulator.attached_to(nic).as_deref(), at, "{nic}");
    }
}

#[tokio::test]
async fn a_detach_whose_answer_is_lost_succeeds_and_detaches_once() {
    let emulator = emulator_with(SHORT_TASK).await;
    let client = impatient_client(&emulator);
    emulator.stall_next_replies("detachNetworkInterface", 1, Duration::from_secs(2));

    let started = Instant::now();
    let (result, log) = traced(detach(&client, "i-stopped", "port-s")).await;
    let request_id = result.unwrap_or_else(|e| panic!("no false failure: {e}\n{log}"));
    assert!(!request_id.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(log.contains(RESOLVED), "{log}");
    assert!(log.contains("refused=FailedPrecondition"), "{log}");

    assert_eq!(emulator.attached_to("port-s"), None);
    client
        .wait_until_detached(REGION, "i-stopped", "port-s", Duration::from_secs(5))
        .await
        .unwrap();
    assert!(secondaries(&client, "i-stopped").await.is_empty());
    // The interface is free for another instance: it was detached, not left half-way.
    let client = self::client(&emulator);
    attach(&client, "i-run", "port-s")
        .await
        .expect("port-s is free");
}

#[tokio::test]
async fn an_interface_taken_by_another_instance_still_fails_as_in_use() {
    let emulator = emulator_with(SHORT_TASK).await;
    let client = impatient_client(&emulator);
    // No answer lost: the refusal as it is, at once.
    let error = attach(&client, "i-run", "port-taken")
        .await
        .expect_err("taken");
    assert_refused(
        &error,
        ErrorKind::NetworkInterfaceInUse,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface has been attached on other device",
    );

    // The refusal's answer lost too: the retry is refused the same way, and describeInstance
    // shows the interface is not on i-run, so the refusal stands.
    emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(2));
    let (result, log) = traced(attach(&client, "i-run", "port-taken")).await;
    let error = result.expect_err("still taken");
    assert_refused(
        &error,
        ErrorKind::NetworkInterfaceInUse,
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface has been attached on other device",
    );
    assert!(!log.contains(RESOLVED), "{log}");
    assert_eq!(
        emulator.attached_to("port-taken").as_deref(),
        Some("i-other")
    );
    assert_eq!(secondaries(&client, "i-run").await, ["port-theirs"]);
}

#[tokio::test]
async fn a_lost_answer_does_not_turn_other_refusals_into_success() {
    let emulator = emulator_with(SHORT_TASK).await;
    let client = impatient_client(&emulator);
    // A detach of the primary interface, whose refusal is lost once.
    emulator.stall_next_replies("detachNetworkInterface", 1, Duration::from_secs(2));
    let (result, log) = traced(detach(&client, "i-run", "port-run-p")).await;
    let error = result.expect_err("never detachable");
    assert_refused(
        &error,
        ErrorKind::CannotDetachPrimary,
        400,
        "FAILED_PRECONDITION",
        "Can't detach primaryNetworkInterface",
    );
    assert!(!log.contains(RESOLVED), "{log}");
    // An attach to an instance that does not exist, whose refusal is lost once.
    emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(2));
    let (result, log) = traced(attach(&client, "i-nope", "port-a")).await;
    let error = result.expect_err("no such instance");
    assert_eq!(error.kind(), ErrorKind::InstanceNotFound, "{error}");
    assert!(!log.contains(RESOLVED), "{log}");
    assert_eq!(emulator.attached_to("port-a"), None);
    assert_eq!(emulator.attached_to("port-run-p").as_deref(), Some("i-run"));
}

#[tokio::test]
async fn an_attach_whose_answer_is_lost_during_a_long_task_is_no_false_failure() {
    // The task (1.5 s) outlasts the client's three attempts of 300 ms.
    let emulator = emulator_with(Duration::from_millis(1500)).await;
    let client = Client::builder()
        .credentials(Credentials::new("AK", "SK"))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(10)))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(2));
    let result = attach(&client, "i-run", "port-a").await;
    // Applied all the same.
    assert_eq!(emulator.attached_to("port-a").as_deref(), Some("i-run"));
    // Today: Err(TaskConflict "Conflict with underlay task task-…"); and a caller who tries
    // again once the task is over gets NetworkInterfaceInUse.
    result.expect("the attach was applied: no false failure");
}
