//! The emulator's interface lifecycle over real HTTP, signed by hand with the crate's public
//! signer: attach and detach as tasks that show in the describes when they end, detach's
//! documented refusals with their exact messages, describeInstances' filters and paging, and
//! an answer lost on purpose.

mod plain_http;

use std::time::{Duration, Instant, SystemTime};

use jdcloud_vm::{
    signing::{format_date, sign, SignableRequest, SigningAlgorithm},
    Credentials,
};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use serde_json::{json, Value};

const REGION: &str = "cn-north-1";
/// Short, so that the tests are fast, and long enough to be seen on a loaded machine: a few
/// unoptimised requests fit in it.
const TASK: Duration = Duration::from_millis(1500);

const STATE: &str = r#"{
  "credentials": [
    {"access_key": "AK", "secret_key": "SK"},
    {"access_key": "OTHER", "secret_key": "OSK"}
  ],
  "instances": [
    {"id": "i-run", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "max_network_interfaces": 4},
    {"id": "i-stopped", "region": "cn-north-1", "az": "cn-north-1b", "vpc": "vpc-1", "status": "stopped", "max_network_interfaces": 4},
    {"id": "i-starting", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "status": "starting"},
    {"id": "i-busy", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1", "busy": true},
    {"id": "i-vpc2", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-2"},
    {"id": "i-named", "region": "cn-north-1", "az": "cn-north-1c", "vpc": "vpc-1", "name": "web server 京东云",
     "instance_type": "g.n2.large", "subnet": "subnet-web", "private_ip": "10.0.0.9"},
    {"id": "i-south", "region": "cn-south-1", "az": "cn-south-1a", "vpc": "vpc-1"}
  ],
  "network_interfaces": [
    {"id": "port-run-p", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-run", "primary": true,
     "mac": "fa:16:3e:00:00:01", "private_ip": "10.0.0.1", "security_groups": [{"id": "sg-1", "name": "default"}]},
    {"id": "port-a", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"},
    {"id": "port-b", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "elastic_ip_az": "*"},
    {"id": "port-s", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-stopped"},
    {"id": "port-s2", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-starting"},
    {"id": "port-theirs", "region": "cn-north-1", "vpc": "vpc-1", "owner": "OTHER", "attached_to": "i-run"},
    {"id": "port-busy", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK", "attached_to": "i-busy"},
    {"id": "port-south", "region": "cn-south-1", "vpc": "vpc-1", "owner": "AK"}
  ]
}"#;

async fn emulator() -> Emulator {
    emulator_of(STATE, TASK).await
}

async fn emulator_of(state: &str, task: Duration) -> Emulator {
    Emulator::start_with(
        EmulatorState::from_json(state).expect("the test state parses"),
        EmulatorConfig::default().task_duration(task),
    )
    .await
    .expect("the emulator starts")
}

/// A request to sign and send.
struct Call<'a> {
    method: &'a str,
    path: String,
    query: String,
    body: Vec<u8>,
    credentials: Credentials,
    timeout: Duration,
}

impl Call<'_> {
    fn get(path: String, query: &str) -> Call<'static> {
        Call {
            method: "GET",
            path,
            query: query.to_owned(),
            body: Vec::new(),
            credentials: Credentials::new("AK", "SK"),
            timeout: Duration::from_secs(5),
        }
    }

    fn post(path: String, body: Value) -> Call<'static> {
        Call {
            method: "POST",
            body: body.to_string().into_bytes(),
            ..Call::get(path, "")
        }
    }
}

/// The region of a `/v1/regions/{regionId}/…` path, as the signer's scope wants it.
fn region_of(path: &str) -> &str {
    path.strip_prefix("/v1/regions/")
        .and_then(|rest| rest.split('/').next())
        .expect("a regional path")
}

/// The headers the SDK signs, and the `authorization` over them.
fn signed_headers(emulator: &Emulator, call: &Call<'_>, query: &str) -> Vec<(String, String)> {
    let host = emulator.local_addr().to_string();
    let date = format_date(SystemTime::now());
    let nonce = uuid::Uuid::new_v4().to_string();
    let headers = [
        ("content-type", "application/json"),
        ("host", host.as_str()),
        ("x-jdcloud-date", date.as_str()),
        ("x-jdcloud-nonce", nonce.as_str()),
    ];
    let authorization = sign(
        SigningAlgorithm::Jdcloud2,
        &call.credentials,
        region_of(&call.path),
        "vm",
        &SignableRequest {
            method: call.method,
            path: &call.path,
            query,
            headers: &headers,
            body: &call.body,
        },
    )
    .expect("signable");
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .chain([("authorization".to_owned(), authorization)])
        .collect()
}

/// Sends `call` signed over `signed_query` but with its own query on the wire.
async fn send_signed_over(
    emulator: &Emulator,
    call: Call<'_>,
    signed_query: &str,
) -> Result<(u16, Value), reqwest::Error> {
    let headers = signed_headers(emulator, &call, signed_query);
    let mut url = format!("{}{}", emulator.endpoint(), call.path);
    if !call.query.is_empty() {
        url = format!("{url}?{}", call.query);
    }
    let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
    let mut request = plain_http::plain_http()
        .request(method, url)
        .timeout(call.timeout)
        .body(call.body.clone());
    for (name, value) in &headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let header_id = response
        .headers()
        .get("x-jdcloud-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("an x-jdcloud-request-id header");
    let body: Value = serde_json::from_slice(&response.bytes().await?).expect("a JSON body");
    assert_eq!(body["requestId"], header_id.as_str(), "{body}");
    Ok((status, body))
}

async fn send(emulator: &Emulator, call: Call<'_>) -> (u16, Value) {
    let query = call.query.clone();
    send_signed_over(emulator, call, &query)
        .await
        .expect("an answer")
}

fn instance_path(region: &str, instance: &str) -> String {
    format!("/v1/regions/{region}/instances/{instance}")
}

async fn attach(emulator: &Emulator, instance: &str, nic: &str) -> (u16, Value) {
    let path = format!("{}:attachNetworkInterface", instance_path(REGION, instance));
    send(
        emulator,
        Call::post(path, json!({"networkInterfaceId": nic, "autoDelete": true})),
    )
    .await
}

fn detach_call(instance: &str, nic: &str) -> Call<'static> {
    let path = format!("{}:detachNetworkInterface", instance_path(REGION, instance));
    // As the official SDKs send it: the path parameters in the body too.
    Call::post(
        path,
        json!({"regionId": REGION, "instanceId": instance, "networkInterfaceId": nic}),
    )
}

async fn detach(emulator: &Emulator, instance: &str, nic: &str) -> (u16, Value) {
    send(emulator, detach_call(instance, nic)).await
}

async fn describe(emulator: &Emulator, instance: &str) -> (u16, Value) {
    send(emulator, Call::get(instance_path(REGION, instance), "")).await
}

/// The instance `describeInstance` answers with.
async fn instance(emulator: &Emulator, instance: &str) -> Value {
    let (status, body) = describe(emulator, instance).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    body["result"]["instance"].clone()
}

fn secondary_ids(instance: &Value) -> Vec<String> {
    instance["secondaryNetworkInterfaces"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    a["networkInterface"]["networkInterfaceId"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// describeInstances with `query`; the ids of the page and `totalCount`.
async fn list(emulator: &Emulator, query: &str) -> (Vec<String>, u64) {
    let (status, body) = send(
        emulator,
        Call::get(format!("/v1/regions/{REGION}/instances"), query),
    )
    .await;
    assert_eq!(status, 200, "{query}: {body}");
    let ids = body["result"]["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| i["instanceId"].as_str().unwrap().to_owned())
        .collect();
    (
        ids,
        body["result"]["totalCount"].as_u64().expect("totalCount"),
    )
}

fn assert_ok(answer: &(u16, Value)) {
    let (status, body) = answer;
    assert_eq!(*status, 200, "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
}

fn assert_error(answer: &(u16, Value), http: u16, status: &str, message: &str) {
    let (code, body) = answer;
    assert_eq!(*code, http, "{body}");
    assert_eq!(body["error"]["code"], http, "{body}");
    assert_eq!(body["error"]["status"], status, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
}

fn assert_precondition(answer: &(u16, Value), message: &str) {
    assert_error(answer, 400, "FAILED_PRECONDITION", message);
}

/// Polls `describeInstance` until `done` holds of the instance; how long that took.
async fn until(emulator: &Emulator, id: &str, done: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    while !done(&instance(emulator, id).await) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{id} never got there"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

// ---------------------------------------------------------------- attach, detach, describe

#[tokio::test]
async fn describe_shows_an_attach_once_its_task_ends() {
    let emulator = emulator().await;
    let before = instance(&emulator, "i-run").await;
    assert_eq!(secondary_ids(&before), ["port-theirs"]);

    let started = Instant::now();
    assert_ok(&attach(&emulator, "i-run", "port-b").await);
    // Committed at once, shown when the task ends.
    assert_eq!(emulator.attached_to("port-b").as_deref(), Some("i-run"));
    assert_eq!(
        secondary_ids(&instance(&emulator, "i-run").await),
        ["port-theirs"]
    );
    let filter = "filters.1.name=networkInterfaceId&filters.1.values.1=port-b";
    assert_eq!(list(&emulator, filter).await, (vec![], 0));

    until(&emulator, "i-run", |i| secondary_ids(i).len() == 2).await;
    assert!(
        started.elapsed() >= TASK - Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );
    let after = instance(&emulator, "i-run").await;
    assert_eq!(secondary_ids(&after), ["port-theirs", "port-b"]);
    let attached = &after["secondaryNetworkInterfaces"][1];
    assert_eq!(attached["deviceIndex"], 3, "{after}");
    assert_eq!(attached["autoDelete"], true, "{after}");
    let nic = &attached["networkInterface"];
    assert_eq!(nic["vpcId"], "vpc-1");
    assert_eq!(nic["subnetId"], "subnet-1");
    assert!(nic["macAddress"].as_str().unwrap().starts_with("fa:16:3e:"));
    assert!(nic["primaryIp"]["privateIpAddress"]
        .as_str()
        .unwrap()
        .starts_with("10."));
    assert_eq!(nic["primaryIp"]["elasticIpId"], "fip-b");
    assert_eq!(list(&emulator, filter).await, (vec!["i-run".to_owned()], 1));
}

#[tokio::test]
async fn the_instance_answer_has_jdclouds_fields() {
    let emulator = emulator().await;
    let i = instance(&emulator, "i-run").await;
    assert_eq!(i["instanceId"], "i-run");
    assert_eq!(i["instanceName"], "i-run");
    assert_eq!(i["instanceType"], "g.n2.medium");
    assert_eq!(i["status"], "running");
    assert_eq!(i["az"], "cn-north-1a");
    assert_eq!(i["vpcId"], "vpc-1");
    assert_eq!(i["subnetId"], "subnet-1");
    assert_eq!(i["privateIpAddress"], "10.0.0.1");
    assert_eq!(
        i["primaryNetworkInterface"],
        json!({"deviceIndex": 1, "autoDelete": true, "networkInterface": {
            "networkInterfaceId": "port-run-p", "macAddress": "fa:16:3e:00:00:01",
            "vpcId": "vpc-1", "subnetId": "subnet-1",
            "securityGroups": [{"groupId": "sg-1", "groupName": "default"}],
            "primaryIp": {"privateIpAddress": "10.0.0.1"}}})
    );
    assert_eq!(i["secondaryNetworkInterfaces"][0]["deviceIndex"], 2);
    assert_eq!(i["secondaryNetworkInterfaces"][0]["autoDelete"], false);

    let named = instance(&emulator, "i-named").await;
    assert_eq!(named["instanceName"], "web server 京东云");
    assert_eq!(named["instanceType"], "g.n2.large");
    assert_eq!(named["subnetId"], "subnet-web");
    assert_eq!(named["privateIpAddress"], "10.0.0.9");
    // Empty keys are omitted, as JD Cloud omits them.
    assert!(named.get("primaryNetworkInterface").is_none(), "{named}");
    assert!(named.get("secondaryNetworkInterfaces").is_none(), "{named}");
}

#[tokio::test]
async fn a_detach_takes_the_interface_off_once_its_task_ends() {
    let emulator = emulator().await;
    assert_eq!(
        secondary_ids(&instance(&emulator, "i-stopped").await),
        ["port-s"]
    );
    assert_ok(&detach(&emulator, "i-stopped", "port-s").await);
    assert_eq!(emulator.attached_to("port-s"), None);
    assert_eq!(
        secondary_ids(&instance(&emulator, "i-stopped").await),
        ["port-s"]
    );
    // During the task: the instance is busy, and the interface is not free yet.
    let (_, body) = &detach(&emulator, "i-stopped", "port-s").await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Conflict with underlay task task-"),
        "{message}"
    );
    assert_precondition(
        &attach(&emulator, "i-run", "port-s").await,
        "NetworkInterface has been attached on other device",
    );

    until(&emulator, "i-stopped", |i| {
        i.get("secondaryNetworkInterfaces").is_none()
    })
    .await;
    let filter = "filters.1.name=networkInterfaceId&filters.1.values.1=port-s";
    assert_eq!(list(&emulator, filter).await, (vec![], 0));
    assert_ok(&attach(&emulator, "i-run", "port-s").await);
}

#[tokio::test]
async fn each_documented_detach_refusal_has_its_exact_message() {
    let emulator = emulator().await;
    assert_error(
        &detach(&emulator, "i-nope", "port-a").await,
        404,
        "NOT_FOUND",
        "Instance 'i-nope' not found.",
    );
    let south = format!(
        "{}:detachNetworkInterface",
        instance_path(REGION, "i-south")
    );
    assert_error(
        &send(
            &emulator,
            Call::post(south, json!({"networkInterfaceId": "port-south"})),
        )
        .await,
        404,
        "NOT_FOUND",
        "Instance 'i-south' not found.",
    );
    assert_error(
        &detach(&emulator, "i-run", "port-nope").await,
        404,
        "NOT_FOUND",
        "NetworkInterface 'port-nope' not found.",
    );
    assert_precondition(
        &detach(&emulator, "i-run", "port-theirs").await,
        "No NetworkInterface permissions.",
    );
    assert_precondition(
        &detach(&emulator, "i-starting", "port-s2").await,
        "Invalid instance status starting",
    );
    assert_precondition(
        &detach(&emulator, "i-busy", "port-busy").await,
        "Conflict with underlay task task-busy",
    );
    assert_precondition(
        &detach(&emulator, "i-run", "port-run-p").await,
        "Can't detach primaryNetworkInterface",
    );
    assert_precondition(
        &detach(&emulator, "i-run", "port-a").await,
        "NetworkInterface 'port-a' is not attached to instance 'i-run'",
    );
    assert_precondition(
        &detach(&emulator, "i-run", "port-s").await,
        "NetworkInterface 'port-s' is not attached to instance 'i-run'",
    );
    // A task in progress after an attach of this instance.
    assert_ok(&attach(&emulator, "i-run", "port-a").await);
    let (_, body) = &detach(&emulator, "i-run", "port-a").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Conflict with underlay task task-"),
        "{body}"
    );
    // The body: networkInterfaceId is required.
    let path = format!("{}:detachNetworkInterface", instance_path(REGION, "i-run"));
    assert_error(
        &send(
            &emulator,
            Call::post(path, json!({"regionId": REGION, "instanceId": "i-run"})),
        )
        .await,
        400,
        "INVALID_ARGUMENT",
        "networkInterfaceId is required",
    );
    // Nothing refused changed anything.
    assert_eq!(emulator.attached_to("port-run-p").as_deref(), Some("i-run"));
    assert_eq!(
        emulator.attached_to("port-theirs").as_deref(),
        Some("i-run")
    );
}

#[tokio::test]
async fn describe_instance_of_an_unknown_id_or_another_region_is_not_found() {
    let emulator = emulator().await;
    assert_error(
        &describe(&emulator, "i-nope").await,
        404,
        "NOT_FOUND",
        "Instance 'i-nope' not found.",
    );
    assert_error(
        &describe(&emulator, "i-south").await,
        404,
        "NOT_FOUND",
        "Instance 'i-south' not found.",
    );
    let (status, body) = send(
        &emulator,
        Call::get(instance_path("cn-south-1", "i-south"), ""),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["instance"]["az"], "cn-south-1a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_16_concurrent_detaches_of_one_interface_exactly_one_wins() {
    let emulator = std::sync::Arc::new(emulator().await);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let emulator = emulator.clone();
            tokio::spawn(async move { detach(&emulator, "i-stopped", "port-s").await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == 200 {
            won += 1;
        } else {
            assert_eq!(body["error"]["status"], "FAILED_PRECONDITION", "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Conflict with underlay task task-"),
                "{body}"
            );
        }
    }
    assert_eq!(won, 1);
    assert_eq!(emulator.attached_to("port-s"), None);
}

// ---------------------------------------------------------------- describeInstances

#[tokio::test]
async fn describe_instances_filters_by_each_supported_name() {
    let emulator = emulator().await;
    let ids = |query: &'static str| {
        let emulator = &emulator;
        async move { list(emulator, query).await }
    };
    let all = [
        "i-run",
        "i-stopped",
        "i-starting",
        "i-busy",
        "i-vpc2",
        "i-named",
    ];
    assert_eq!(ids("").await, (all.map(String::from).to_vec(), 6));

    let cases: [(&str, &[&str]); 9] = [
        ("filters.1.name=instanceId&filters.1.values.1=i-busy", &["i-busy"]),
        // Two values: either.
        (
            "filters.1.name=instanceId&filters.1.values.1=i-named&filters.1.values.2=i-run",
            &["i-run", "i-named"],
        ),
        (
            "filters.1.name=status&filters.1.values.1=stopped&filters.1.values.2=starting",
            &["i-stopped", "i-starting"],
        ),
        ("filters.1.name=az&filters.1.values.1=cn-north-1b", &["i-stopped"]),
        ("filters.1.name=vpcId&filters.1.values.1=vpc-2", &["i-vpc2"]),
        (
            "filters.1.name=networkInterfaceId&filters.1.values.1=port-theirs",
            &["i-run"],
        ),
        // The primary interface counts too; two values.
        (
            "filters.1.name=networkInterfaceId&filters.1.values.1=port-run-p&filters.1.values.2=port-busy",
            &["i-run", "i-busy"],
        ),
        // Two filters: both.
        (
            "filters.1.name=az&filters.1.values.1=cn-north-1a&filters.2.name=status&filters.2.operator=eq\
             &filters.2.values.1=starting&filters.2.values.2=stopped",
            &["i-starting"],
        ),
        // filters.10 is the tenth filter, not a part of the first; sorted by string, as
        // the signers sort it, it comes first.
        (
            "filters.10.name=vpcId&filters.10.values.1=vpc-1&filters.1.name=az&filters.1.values.1=cn-north-1a",
            &["i-run", "i-starting", "i-busy"],
        ),
    ];
    for (query, expected) in cases {
        let (got, total) = ids(query).await;
        assert_eq!(got, expected, "{query}");
        assert_eq!(total, expected.len() as u64, "{query}");
    }
}

#[tokio::test]
async fn filter_values_are_percent_decoded_plus_as_space_and_may_be_non_ascii() {
    let emulator = emulator().await;
    for query in [
        "filters.1.name=name&filters.1.values.1=web%20server",
        "filters.1.name=name&filters.1.values.1=web+server",
        "filters.1.name=name&filters.1.values.1=%E4%BA%AC%E4%B8%9C%E4%BA%91",
        "filters.1.name=instanceId&filters.1.values.1=i%2Dnamed",
        "filters%2E1%2Ename=subnetId&filters.1.values.1=subnet-web",
    ] {
        assert_eq!(
            list(&emulator, query).await,
            (vec!["i-named".to_owned()], 1),
            "{query}"
        );
    }
    // A `+` that is meant as a plus is sent encoded.
    assert_eq!(
        list(
            &emulator,
            "filters.1.name=name&filters.1.values.1=web%2Bserver"
        )
        .await,
        (vec![], 0)
    );
}

#[tokio::test]
async fn unknown_filters_and_parameters_are_refused_by_name() {
    let emulator = emulator().await;
    let path = format!("/v1/regions/{REGION}/instances");
    let answer = send(
        &emulator,
        Call::get(
            path.clone(),
            "filters.1.name=bogusName&filters.1.values.1=img-1",
        ),
    )
    .await;
    assert_eq!(answer.0, 400, "{}", answer.1);
    assert_eq!(answer.1["error"]["status"], "INVALID_ARGUMENT");
    assert!(answer.1["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Unsupported filter name 'bogusName' in filters.1"));
    let answer = send(&emulator, Call::get(path, "bogus=1")).await;
    assert_eq!(
        answer.1["error"]["status"], "INVALID_ARGUMENT",
        "{}",
        answer.1
    );
}

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

#[tokio::test]
async fn pages_of_ten_over_26_instances() {
    let emulator = emulator_of(&paging_state(), TASK).await;
    let mut seen = Vec::new();
    for (page, expected) in [(1, 10), (2, 10), (3, 6), (4, 0)] {
        let (ids, total) = list(&emulator, &format!("pageNumber={page}&pageSize=10")).await;
        assert_eq!(total, 26, "page {page}");
        assert_eq!(ids.len(), expected, "page {page}: {ids:?}");
        seen.extend(ids);
    }
    let all: Vec<String> = (0..26).map(|n| format!("i-p{n:02}")).collect();
    assert_eq!(seen, all, "every instance once, in the state file's order");
    // The default page is 20 long.
    let (ids, total) = list(&emulator, "").await;
    assert_eq!((ids.len(), total), (20, 26));
    let (ids, _) = list(&emulator, "pageNumber=2").await;
    assert_eq!(ids, all[20..]);
}

#[tokio::test]
async fn a_page_size_outside_10_to_100_is_out_of_range() {
    let emulator = emulator_of(&paging_state(), TASK).await;
    for size in [5, 9, 101] {
        let answer = send(
            &emulator,
            Call::get(
                format!("/v1/regions/{REGION}/instances"),
                &format!("pageSize={size}"),
            ),
        )
        .await;
        assert_error(&answer, 400, "OUT_OF_RANGE", "PageSize out of range");
    }
    for size in [10, 100] {
        let (ids, total) = list(&emulator, &format!("pageSize={size}")).await;
        assert_eq!((ids.len(), total), (size.min(26), 26));
    }
}

// ---------------------------------------------------------------- the gateway on GET

#[tokio::test]
async fn the_query_is_part_of_the_signature() {
    let emulator = emulator().await;
    let path = format!("/v1/regions/{REGION}/instances");
    let signed = "filters.1.name=instanceId&filters.1.values.1=i-run";
    let tampered = Call::get(
        path.clone(),
        "filters.1.name=instanceId&filters.1.values.1=i-busy",
    );
    let answer = send_signed_over(&emulator, tampered, signed).await.unwrap();
    assert_error(&answer, 401, "ACCESS_ERROR", "sign result is not same [gw]");
    // Signed without the query, sent with it.
    let answer = send_signed_over(&emulator, Call::get(path.clone(), "pageSize=10"), "")
        .await
        .unwrap();
    assert_error(&answer, 401, "ACCESS_ERROR", "sign result is not same [gw]");
    // The wire order does not matter (the Python SDK does not sort).
    let answer = send_signed_over(
        &emulator,
        Call::get(path, "pageSize=10&pageNumber=1"),
        "pageNumber=1&pageSize=10",
    )
    .await
    .unwrap();
    assert_eq!(answer.0, 200, "{}", answer.1);
    // describeInstance too needs a valid signature.
    let wrong = Call {
        credentials: Credentials::new("AK", "not-the-secret"),
        ..Call::get(instance_path(REGION, "i-run"), "")
    };
    assert_error(
        &send(&emulator, wrong).await,
        401,
        "ACCESS_ERROR",
        "sign result is not same [gw]",
    );
}

#[tokio::test]
async fn other_methods_on_the_describe_paths_are_405_with_allow_get() {
    let emulator = emulator().await;
    // The spec's other operations on the same paths: deleteInstance, createInstances.
    for (path, allow) in [
        (instance_path(REGION, "i-run"), &b"DELETE, GET"[..]),
        (format!("/v1/regions/{REGION}/instances"), &b"GET, POST"[..]),
    ] {
        let response = plain_http::plain_http()
            .put(format!("{}{path}", emulator.endpoint()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{path}");
        assert_eq!(
            response.headers().get("allow").map(|v| v.as_bytes()),
            Some(allow)
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["status"], "METHOD_NOT_ALLOWED");
    }
    let response = plain_http::plain_http()
        .get(format!(
            "{}{}:detachNetworkInterface",
            emulator.endpoint(),
            instance_path(REGION, "i-run")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(
        response.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
}

// ---------------------------------------------------------------- losing an answer

#[tokio::test]
async fn a_stalled_answer_comes_late_but_the_attach_was_made() {
    let emulator = emulator().await;
    emulator.stall_next_replies("attachNetworkInterface", 1, Duration::from_secs(2));
    let path = format!("{}:attachNetworkInterface", instance_path(REGION, "i-run"));
    let lost = Call {
        timeout: Duration::from_millis(300),
        ..Call::post(path, json!({"networkInterfaceId": "port-a"}))
    };
    let started = Instant::now();
    let query = lost.query.clone();
    let error = send_signed_over(&emulator, lost, &query)
        .await
        .expect_err("the answer is held past the client's timeout");
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Applied all the same: committed, then visible once the task ends.
    assert_eq!(emulator.attached_to("port-a").as_deref(), Some("i-run"));
    until(&emulator, "i-run", |i| {
        secondary_ids(i).contains(&"port-a".to_owned())
    })
    .await;
    // A retry of the attach meets its own success; only one answer was held.
    let started = Instant::now();
    assert_precondition(
        &attach(&emulator, "i-run", "port-a").await,
        "NetworkInterface has been attached on other device",
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn stalls_count_per_operation_and_the_held_answer_is_the_real_one() {
    let emulator = emulator().await;
    emulator.stall_next_replies("describeInstance", 2, Duration::from_millis(2000));
    // Other operations are not held.
    let started = Instant::now();
    list(&emulator, "").await;
    assert!(started.elapsed() < Duration::from_millis(1500));
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(instance(&emulator, "i-run").await["instanceId"], "i-run");
        assert!(started.elapsed() >= Duration::from_millis(2000));
    }
    let started = Instant::now();
    instance(&emulator, "i-run").await;
    assert!(started.elapsed() < Duration::from_millis(1500));
    // A count of 0 cancels.
    emulator.stall_next_replies("describeInstance", 5, Duration::from_secs(10));
    emulator.stall_next_replies("describeInstance", 0, Duration::from_secs(10));
    let started = Instant::now();
    instance(&emulator, "i-run").await;
    assert!(started.elapsed() < Duration::from_millis(1500));
}

#[tokio::test]
async fn a_held_answer_is_sent_at_once_when_the_emulator_shuts_down() {
    let emulator = emulator().await;
    emulator.stall_next_replies("detachNetworkInterface", 1, Duration::from_secs(60));
    let call = detach_call("i-stopped", "port-s");
    let headers = signed_headers(&emulator, &call, "");
    let url = format!("{}{}", emulator.endpoint(), call.path);
    let mut request = plain_http::plain_http().post(url).body(call.body.clone());
    for (name, value) in &headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let pending = tokio::spawn(request.send());
    // Wait until the detach is applied (its answer is then being held).
    let started = Instant::now();
    while emulator.attached_to("port-s").is_some() {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), emulator.shutdown())
        .await
        .expect("shutdown does not wait out the held answer");
    let response = pending.await.unwrap().expect("the held answer");
    assert_eq!(response.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
#[should_panic(expected = "unknown operation \"attach\"")]
fn stalling_an_unknown_operation_panics() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime.block_on(emulator());
    emulator.stall_next_replies("attach", 1, Duration::from_secs(1));
}
