//! The wire contract of the operations around attach: `detachNetworkInterface`,
//! `describeInstance` and `describeInstances`, pinned against a wiremock server, one per test:
//! the exact request each sends (method, path, indexed query, body, signature), how the answers
//! and the spec's documented errors of these operations are read, and the waiters' and the
//! lost-answer logic's use of `describeInstance`.

mod common;

use std::{collections::BTreeMap, time::Duration};

use common::{
    builder, catch_all, client, credentials, documented_errors, SignedBy, INSTANCE, INTERFACE,
    REGION,
};
use jdcloud_vm::{signing::canonical_query, types, Client, Error, ErrorKind, RetryConfig};
use serde_json::{json, Value};
use wiremock::{
    matchers::{body_string, header, method, path},
    Mock, MockServer, Request, ResponseTemplate,
};

const DETACH_PATH: &str = "/v1/regions/cn-north-1/instances/i-eumm1234d6:detachNetworkInterface";
const DESCRIBE_PATH: &str = "/v1/regions/cn-north-1/instances/i-eumm1234d6";
const LIST_PATH: &str = "/v1/regions/cn-north-1/instances";

/// The one request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut received = server.received_requests().await.expect("recording is on");
    assert_eq!(received.len(), 1, "exactly one request was sent");
    received.remove(0)
}

/// The decoded `(name, value)` pairs of a request's query, sorted: a multiset, since the
/// order on the wire does not matter to the gateway.
fn pairs_of(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    pairs
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pairs.sort();
    pairs
}

fn filter(name: &str, operator: Option<&str>, values: &[&str]) -> types::Filter {
    types::Filter {
        name: name.to_owned(),
        operator: operator.map(str::to_owned),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// The spec's example of an operation's 200 answer, else (the imported spec leaves the pages'
/// examples out) the answer the page documents for an action: a request id.
fn spec_success_example(route: &str, verb: &str) -> Value {
    let spec = serde_json::to_value(common::spec()).unwrap();
    match spec["paths"][route][verb]["responses"]["200"]["content"]["application/json"]["example"]
        .clone()
    {
        Value::Null => serde_json::json!({"requestId": "a0633f72670e59f8c6db36b1ee257011"}),
        example => example,
    }
}

/// The doc's describeInstance example (reference §2.2), abridged as the reference gives it,
/// with its quirks: `hostName` for `hostname`, two time formats, no secondary interfaces key.
fn doc_instance() -> Value {
    json!({
        "az": "cn-north-1c", "instanceId": "i-eumm1234d6", "instanceType": "g.n2.large",
        "status": "stopped", "vpcId": "vpc-z9r3abcdp8", "subnetId": "subnet-c2p3abcd9o",
        "privateIpAddress": "127.0.0.1", "elasticIpId": "fip-z1z1abcdja",
        "elasticIpAddress": "116.111.11.1", "hostName": "test1",
        "launchTime": "2021-07-19 20:33:17", "chargeOnStopped": "keepCharging",
        "charge": {"chargeMode": "postpaid_by_duration", "chargeStartTime": "2021-07-19T12:33:17Z",
                   "chargeStatus": "normal"},
        "primaryNetworkInterface": {"autoDelete": true, "deviceIndex": 1, "networkInterface": {
            "macAddress": "fa:16:3e:a8:a4:01", "networkInterfaceId": "port-n2h7abcdpp",
            "primaryIp": {"elasticIpAddress": "116.111.11.1", "elasticIpId": "fip-z1z1abcdja",
                          "privateIpAddress": "127.0.0.1"},
            "securityGroups": [{"groupId": "sg-p2d1abcdya", "groupName": "test1"}],
            "subnetId": "subnet-c2p3abcd9o", "vpcId": "vpc-z9r3abcdp8"}},
        "systemDisk": {"diskCategory": "local", "autoDelete": true, "deviceName": "vda"}
    })
}

/// `doc_instance()` with `INTERFACE` attached as a secondary interface.
fn doc_instance_with_interface() -> Value {
    let mut instance = doc_instance();
    instance["secondaryNetworkInterfaces"] = json!([{
        "autoDelete": false, "deviceIndex": 2,
        "networkInterface": {"networkInterfaceId": INTERFACE, "macAddress": "fa:16:3e:a8:a4:02",
                             "vpcId": "vpc-z9r3abcdp8", "subnetId": "subnet-c2p3abcd9o",
                             "primaryIp": {"privateIpAddress": "10.0.0.2"}}
    }]);
    instance
}

fn describe_answer(instance: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "requestId": "f2cbc5b2d4e94ee6aa36b1ee2570aaaa",
        "result": {"instance": instance},
    }))
}

/// The spec's documented error `name` of `operation`.
fn documented(operation: &str, name: &str) -> common::DocumentedError {
    documented_errors()
        .into_iter()
        .find(|d| d.operation == operation && d.name == name)
        .unwrap_or_else(|| panic!("the spec documents {name} for {operation}"))
}

fn error_answer(doc: &common::DocumentedError) -> ResponseTemplate {
    ResponseTemplate::new(doc.http_status).set_body_json(&doc.body)
}

// ---------------------------------------------------------------- detachNetworkInterface

#[tokio::test]
async fn detach_is_a_signed_post_to_the_action_path_with_only_the_interface_in_its_body() {
    let server = MockServer::start().await;
    let expectation = format!("a signed POST {DETACH_PATH} with body networkInterfaceId only");
    let example = spec_success_example(
        "/regions/{regionId}/instances/{instanceId}:detachNetworkInterface",
        "post",
    );
    Mock::given(method("POST"))
        .and(path(DETACH_PATH))
        .and(body_string(r#"{"networkInterfaceId":"port-n2h7abcdse"}"#))
        .and(header("content-type", "application/json"))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(&example))
        .expect(1)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;

    let answer = client(&server)
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .network_interface_id(INTERFACE)
        .send()
        .await
        .expect("the detach succeeds");
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(
        answer.request_id,
        example["requestId"].as_str().expect("an example requestId")
    );

    let request = only_request(&server).await;
    // The `:` travels raw; no query at all.
    assert_eq!(request.url.path(), DETACH_PATH);
    assert_eq!(request.url.query(), None);
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        r#"{"networkInterfaceId":"port-n2h7abcdse"}"#
    );
}

#[tokio::test]
async fn detach_with_the_body_setter_or_body_map_sends_the_same_bytes() {
    let server = MockServer::start().await;
    let expectation = "two identical signed detaches";
    Mock::given(method("POST"))
        .and(path(DETACH_PATH))
        .and(body_string(r#"{"networkInterfaceId":"port-n2h7abcdse"}"#))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"requestId": "r"})))
        .expect(2)
        .named(expectation)
        .mount(&server)
        .await;
    catch_all(&server, expectation, 0).await;
    let client = client(&server);
    client
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .body_map(|b| b.network_interface_id(INTERFACE))
        .send()
        .await
        .expect("body_map");
    client
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .body(types::DetachNetworkInterfaceRequest {
            network_interface_id: INTERFACE.parse().unwrap(),
        })
        .send()
        .await
        .expect("body");
}

#[tokio::test]
async fn a_detach_without_an_interface_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server, "no request at all", 0).await;
    let error = client(&server)
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .send()
        .await
        .expect_err("networkInterfaceId is required");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    for bad in ["", "port/1", "port 1", "-port"] {
        let error = client(&server)
            .detach_network_interface()
            .region_id(REGION)
            .instance_id(INSTANCE)
            .network_interface_id(bad)
            .send()
            .await
            .expect_err(bad);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}: {error}");
    }
}

// ---------------------------------------------------------------- describeInstance

#[tokio::test]
async fn describe_instance_is_a_signed_get_without_query_or_body() {
    let server = MockServer::start().await;
    let expectation = format!("a signed GET {DESCRIBE_PATH}");
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .and(SignedBy(credentials()))
        .respond_with(describe_answer(doc_instance()))
        .expect(1)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;

    let answer = client(&server)
        .describe_instance()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .send()
        .await
        .expect("the describe succeeds");

    let request = only_request(&server).await;
    assert_eq!(request.url.query(), None);
    assert!(request.body.is_empty(), "a GET has no body");
    assert!(request
        .headers
        .get("content-length")
        .is_none_or(|v| v == "0"));

    // The doc's example, read into the typed Instance.
    assert_eq!(answer.request_id, "f2cbc5b2d4e94ee6aa36b1ee2570aaaa");
    let i = &answer.result.instance;
    assert_eq!(i.instance_id.as_deref(), Some(INSTANCE));
    assert_eq!(i.status.as_deref(), Some("stopped"));
    assert_eq!(i.az.as_deref(), Some("cn-north-1c"));
    assert_eq!(i.vpc_id.as_deref(), Some("vpc-z9r3abcdp8"));
    assert_eq!(i.launch_time.as_deref(), Some("2021-07-19 20:33:17"));
    assert_eq!(i.elastic_ip_address.as_deref(), Some("116.111.11.1"));
    let primary = i.primary_network_interface.as_ref().expect("a primary");
    assert_eq!(primary.device_index, Some(1));
    assert_eq!(primary.auto_delete, Some(true));
    assert_eq!(
        primary
            .network_interface
            .as_ref()
            .and_then(|n| n.network_interface_id.as_deref()),
        Some("port-n2h7abcdpp")
    );
    // The key JD Cloud omits when there are none.
    assert!(i.secondary_network_interfaces.is_empty());
}

// ---------------------------------------------------------------- describeInstances

#[tokio::test]
async fn describe_instances_sends_paging_and_filters_in_the_indexed_form() {
    // The worked example of the reference (§4.3).
    let server = MockServer::start().await;
    let expectation = format!("a signed GET {LIST_PATH}");
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "list-1",
            "result": {"instances": [doc_instance()], "totalCount": 51},
        })))
        .expect(1)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;

    let answer = client(&server)
        .describe_instances()
        .region_id(REGION)
        .filters(vec![
            filter("instanceId", None, &["i-aaa", "i-bbb"]),
            filter("status", None, &["running"]),
        ])
        .page_number(2)
        .page_size(50)
        .send()
        .await
        .expect("the list succeeds");
    assert_eq!(answer.result.total_count, 51);
    assert_eq!(answer.result.instances.len(), 1);
    assert_eq!(
        answer.result.instances[0].instance_id.as_deref(),
        Some(INSTANCE)
    );

    let request = only_request(&server).await;
    assert!(request.body.is_empty(), "a GET has no body");
    assert_eq!(
        pairs_of(&request),
        pairs(&[
            ("filters.1.name", "instanceId"),
            ("filters.1.values.1", "i-aaa"),
            ("filters.1.values.2", "i-bbb"),
            ("filters.2.name", "status"),
            ("filters.2.values.1", "running"),
            ("pageNumber", "2"),
            ("pageSize", "50"),
        ])
    );
    // What is signed is what both official SDKs sign for it.
    assert_eq!(
        canonical_query(request.url.query().unwrap()),
        "filters.1.name=instanceId&filters.1.values.1=i-aaa&filters.1.values.2=i-bbb\
         &filters.2.name=status&filters.2.values.1=running&pageNumber=2&pageSize=50"
    );
}

#[tokio::test]
async fn describe_instances_without_parameters_sends_no_query() {
    let server = MockServer::start().await;
    let expectation = format!("a signed GET {LIST_PATH}");
    // No instance matching: JD Cloud may leave `instances` out.
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "list-0", "result": {"totalCount": 0},
        })))
        .expect(2)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;
    let client = client(&server);
    let answer = client
        .describe_instances()
        .region_id(REGION)
        .send()
        .await
        .expect("the list succeeds");
    assert!(answer.result.instances.is_empty());
    assert_eq!(answer.result.total_count, 0);
    // An empty list of filters sends nothing either.
    client
        .describe_instances()
        .region_id(REGION)
        .filters(Vec::<types::Filter>::new())
        .send()
        .await
        .expect("the list succeeds");
    for request in server.received_requests().await.unwrap() {
        assert!(
            request.url.query().is_none_or(str::is_empty),
            "{:?}",
            request.url.query()
        );
    }
}

#[tokio::test]
async fn operators_and_odd_values_are_sent_encoded_and_decode_to_what_was_given() {
    let server = MockServer::start().await;
    let expectation = format!("a signed GET {LIST_PATH}");
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "list-2", "result": {"instances": [], "totalCount": 0},
        })))
        .expect(1)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;
    let odd = [
        "web 01",
        "a+b",
        "10.0.0.0/24",
        "京东云",
        "a&b=c",
        "100%",
        "~_.-",
    ];
    client(&server)
        .describe_instances()
        .region_id(REGION)
        .filters(vec![
            filter("name", Some("like"), &odd),
            filter("privateIpAddress", Some("eq"), &["10.0.0.1"]),
        ])
        .send()
        .await
        .expect("the list succeeds");

    let request = only_request(&server).await;
    let mut expected = vec![
        ("filters.1.name", "name"),
        ("filters.1.operator", "like"),
        ("filters.2.name", "privateIpAddress"),
        ("filters.2.operator", "eq"),
        ("filters.2.values.1", "10.0.0.1"),
    ];
    let keys: Vec<String> = (1..=odd.len())
        .map(|j| format!("filters.1.values.{j}"))
        .collect();
    expected.extend(keys.iter().map(String::as_str).zip(odd));
    assert_eq!(pairs_of(&request), pairs(&expected));
    // Every pair is one `&`-separated part: no `&` or `=` of a value travels raw.
    let raw = request.url.query().unwrap();
    assert_eq!(raw.split('&').count(), expected.len(), "{raw}");
    assert!(
        raw.split('&').all(|part| part.matches('=').count() == 1),
        "{raw}"
    );
    // Nothing but unreserved characters, `%XX`, `+` (a space), `=` and `&`.
    assert!(
        raw.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%+=&*".contains(&b)),
        "{raw}"
    );
}

#[tokio::test]
async fn eleven_filters_are_numbered_from_1_to_11() {
    let server = MockServer::start().await;
    let expectation = format!("a signed GET {LIST_PATH}");
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(SignedBy(credentials()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "list-3", "result": {"instances": [], "totalCount": 0},
        })))
        .expect(1)
        .named(&expectation)
        .mount(&server)
        .await;
    catch_all(&server, &expectation, 0).await;
    let ids: Vec<String> = (1..=11).map(|n| format!("i-{n:02}")).collect();
    client(&server)
        .describe_instances()
        .region_id(REGION)
        .filters(
            ids.iter()
                .map(|id| filter("instanceId", None, &[id.as_str()]))
                .collect::<Vec<_>>(),
        )
        .send()
        .await
        .expect("the list succeeds");
    let request = only_request(&server).await;
    let got: BTreeMap<String, String> = pairs_of(&request).into_iter().collect();
    assert_eq!(got.len(), 22);
    for (n, id) in (1..=11).zip(&ids) {
        assert_eq!(got[&format!("filters.{n}.name")], "instanceId");
        assert_eq!(&got[&format!("filters.{n}.values.1")], id);
    }
    // Signed sorted as strings: filters.10 and filters.11 before filters.2.
    let canonical = canonical_query(request.url.query().unwrap());
    let order: Vec<&str> = canonical
        .split('&')
        .map(|p| p.split('=').next().unwrap())
        .collect();
    assert_eq!(
        &order[..6],
        [
            "filters.1.name",
            "filters.1.values.1",
            "filters.10.name",
            "filters.10.values.1",
            "filters.11.name",
            "filters.11.values.1"
        ]
    );
    assert_eq!(order[6], "filters.2.name");
}

// ---------------------------------------------------------------- documented errors

/// Calls `operation` against `server` with the usual IDs.
async fn call(client: &Client, operation: &str) -> Result<(), Error> {
    match operation {
        "detachNetworkInterface" => client
            .detach_network_interface()
            .region_id(REGION)
            .instance_id(INSTANCE)
            .network_interface_id(INTERFACE)
            .send()
            .await
            .map(drop),
        "describeInstance" => client
            .describe_instance()
            .region_id(REGION)
            .instance_id(INSTANCE)
            .send()
            .await
            .map(drop),
        "describeInstances" => client
            .describe_instances()
            .region_id(REGION)
            .page_size(20)
            .send()
            .await
            .map(drop),
        other => panic!("not an operation of this file: {other}"),
    }
}

fn route_of(operation: &str) -> (&'static str, &'static str) {
    match operation {
        "detachNetworkInterface" => ("POST", DETACH_PATH),
        "describeInstance" => ("GET", DESCRIBE_PATH),
        "describeInstances" => ("GET", LIST_PATH),
        other => panic!("not an operation of this file: {other}"),
    }
}

/// Every documented error of the three operations, answered by the operation's own route, is
/// the kind of its example's name, with its status, code, message, request id and
/// retryability. The list is the spec's.
#[tokio::test]
async fn each_documented_error_of_detach_and_the_describes_is_the_kind_of_its_name() {
    let operations = [
        "detachNetworkInterface",
        "describeInstance",
        "describeInstances",
    ];
    let documented: Vec<_> = documented_errors()
        .into_iter()
        .filter(|d| operations.contains(&d.operation.as_str()))
        .collect();
    // Sorted: the examples' order is not kept when the spec is read.
    let names = |op: &str| -> Vec<String> {
        let mut names: Vec<String> = documented
            .iter()
            .filter(|d| d.operation == op)
            .map(|d| d.name.clone())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names("detachNetworkInterface"),
        [
            "CannotDetachPrimary",
            "InstanceNotFound",
            "InternalServerError",
            "InvalidInstanceStatus",
            "NetworkInterfacePermissionDenied",
            "TaskConflict",
            "UnknownServerError"
        ]
    );
    assert_eq!(
        names("describeInstance"),
        [
            "InstanceNotFound",
            "InternalServerError",
            "UnknownServerError"
        ]
    );
    assert_eq!(
        names("describeInstances"),
        [
            "InternalServerError",
            "PageSizeOutOfRange",
            "UnknownServerError"
        ]
    );

    for doc in &documented {
        let here = format!("{} of {}", doc.name, doc.operation);
        let (verb, route) = route_of(&doc.operation);
        let server = MockServer::start().await;
        Mock::given(method(verb))
            .and(path(route))
            .and(SignedBy(credentials()))
            .respond_with(error_answer(doc))
            .expect(1)
            .named(&here)
            .mount(&server)
            .await;
        catch_all(&server, &format!("a signed {verb} {route} ({here})"), 0).await;
        // Retries off: one answer, classified as it is.
        let e = call(&client(&server), &doc.operation)
            .await
            .expect_err(&here);
        assert_eq!(format!("{:?}", e.kind()), doc.name, "{here}: {e}");
        assert_eq!(e.http_status(), Some(doc.http_status), "{here}");
        assert_eq!(e.code(), Some(doc.status.as_str()), "{here}");
        assert_eq!(e.message(), Some(doc.message.as_str()), "{here}");
        assert_eq!(e.request_id(), Some(doc.request_id.as_str()), "{here}");
        assert_eq!(e.is_retryable(), doc.retryable, "{here}");
        let operation = e.operation().unwrap_or_default().replace('_', "");
        assert_eq!(
            operation,
            doc.operation.to_lowercase(),
            "{here}: the error names its operation"
        );
    }
}

#[tokio::test]
async fn the_servers_page_size_refusal_is_page_size_out_of_range_and_not_retried() {
    // The client never sends an out-of-range pageSize; a server that still refuses one (say a
    // smaller limit than the spec's) is classified as documented, and not retried.
    let doc = documented("describeInstances", "PageSizeOutOfRange");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(error_answer(&doc))
        .expect(1)
        .named("PageSizeOutOfRange, once")
        .mount(&server)
        .await;
    catch_all(&server, "one GET", 0).await;
    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let e = client
        .describe_instances()
        .region_id(REGION)
        .page_size(100)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::PageSizeOutOfRange, "{e}");
    assert_eq!(e.code(), Some("OUT_OF_RANGE"));
    assert_eq!(e.message(), Some("PageSize out of range"));
    assert_eq!(e.http_status(), Some(400));
    // Through the pages too: the error once, then the end.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(error_answer(&doc))
        .expect(1)
        .named("PageSizeOutOfRange, once, through the pages")
        .mount(&server)
        .await;
    catch_all(&server, "one GET", 0).await;
    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let mut pages = client
        .describe_instances()
        .region_id(REGION)
        .page_size(100)
        .into_pages();
    let e = pages.next().await.expect("one item").expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::PageSizeOutOfRange, "{e}");
    assert!(pages.next().await.is_none());
}

// ---------------------------------------------------------------- the waiters

/// A server whose describeInstance answers `conflicts` task conflicts (the spec's example for
/// detach), then `then`, for ever.
async fn conflicts_then(conflicts: u64, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let conflict = documented("detachNetworkInterface", "TaskConflict");
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .and(SignedBy(credentials()))
        .respond_with(error_answer(&conflict))
        .up_to_n_times(conflicts)
        .with_priority(1)
        .expect(conflicts)
        .named("task conflicts first")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .and(SignedBy(credentials()))
        .respond_with(then)
        .expect(1..)
        .named("then the instance")
        .mount(&server)
        .await;
    catch_all(&server, &format!("signed GETs of {DESCRIBE_PATH}"), 0).await;
    server
}

#[tokio::test]
async fn wait_until_attached_waits_out_task_conflicts() {
    let server = conflicts_then(2, describe_answer(doc_instance_with_interface())).await;
    // Retries off: the waiter itself, not the client's retries, must wait the conflicts out.
    let client = client(&server);
    tokio::time::timeout(
        Duration::from_secs(10),
        client.wait_until_attached(REGION, INSTANCE, INTERFACE, Duration::from_secs(8)),
    )
    .await
    .expect("the waiter returns")
    .expect("attached once the conflicts are over");
}

#[tokio::test]
async fn wait_until_detached_waits_out_task_conflicts() {
    let server = conflicts_then(1, describe_answer(doc_instance())).await;
    client(&server)
        .wait_until_detached(REGION, INSTANCE, INTERFACE, Duration::from_secs(8))
        .await
        .expect("detached once the conflict is over");
}

#[tokio::test]
async fn a_waiter_waits_out_a_server_error_but_returns_instance_not_found() {
    let internal = documented("describeInstance", "InternalServerError");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(error_answer(&internal))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("a 500 first")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(describe_answer(doc_instance_with_interface()))
        .expect(1)
        .named("then the instance")
        .mount(&server)
        .await;
    catch_all(&server, "two GETs", 0).await;
    client(&server)
        .wait_until_attached(REGION, INSTANCE, INTERFACE, Duration::from_secs(8))
        .await
        .expect("a 500 is waited out");

    let not_found = documented("describeInstance", "InstanceNotFound");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(error_answer(&not_found))
        .expect(1)
        .named("not found, once")
        .mount(&server)
        .await;
    catch_all(&server, "one GET", 0).await;
    let e = client(&server)
        .wait_until_attached(REGION, INSTANCE, INTERFACE, Duration::from_secs(8))
        .await
        .expect_err("not found is not waited out");
    assert_eq!(e.kind(), ErrorKind::InstanceNotFound, "{e}");
    assert_eq!(e.message(), Some("Instance 'xx' not found."));
}

#[tokio::test]
async fn a_waiter_that_only_meets_conflicts_times_out_naming_what_it_awaited() {
    let server = MockServer::start().await;
    let conflict = documented("detachNetworkInterface", "TaskConflict");
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(error_answer(&conflict))
        .expect(1..)
        .named("conflicts for ever")
        .mount(&server)
        .await;
    catch_all(&server, "GETs", 0).await;
    let started = std::time::Instant::now();
    let e = client(&server)
        .wait_until_attached(REGION, INSTANCE, INTERFACE, Duration::from_millis(600))
        .await
        .expect_err("never attached");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let message = e.message().unwrap_or_default();
    assert!(
        message.contains(INTERFACE) && message.contains(INSTANCE),
        "{message}"
    );
}

// ---------------------------------------------------------------- a lost answer

#[tokio::test]
async fn a_lost_attach_answer_is_resolved_by_one_signed_describe_instance() {
    let server = MockServer::start().await;
    let attach_path = common::ATTACH_PATH;
    // The first attach is applied, but its answer comes after the client's timeout.
    Mock::given(method("POST"))
        .and(path(attach_path))
        .and(SignedBy(credentials()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"requestId": "lost"}))
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("the attach whose answer is lost")
        .mount(&server)
        .await;
    let in_use = documented_errors()
        .into_iter()
        .find(|d| d.operation == "attachNetworkInterface" && d.name == "NetworkInterfaceInUse")
        .expect("documented");
    Mock::given(method("POST"))
        .and(path(attach_path))
        .and(SignedBy(credentials()))
        .respond_with(error_answer(&in_use))
        .expect(1)
        .named("the retry, refused as in use")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .and(SignedBy(credentials()))
        .respond_with(describe_answer(doc_instance_with_interface()))
        .expect(1)
        .named("one describeInstance, showing the interface")
        .mount(&server)
        .await;
    catch_all(&server, "two attaches and one describe", 0).await;

    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let answer = client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .network_interface_id(INTERFACE)
        .send()
        .await
        .expect("no false failure");
    assert_eq!(answer.request_id, "f2cbc5b2d4e94ee6aa36b1ee2570aaaa");

    // Where the interface is not, the refusal stands.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(attach_path))
        .respond_with(error_answer(&in_use).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("a refusal whose answer is lost")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(attach_path))
        .respond_with(error_answer(&in_use))
        .expect(1)
        .named("the retry, refused as in use")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(describe_answer(doc_instance()))
        .expect(1)
        .named("one describeInstance, without the interface")
        .mount(&server)
        .await;
    catch_all(&server, "two attaches and one describe", 0).await;
    let client = builder(&server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let e = client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .network_interface_id(INTERFACE)
        .send()
        .await
        .expect_err("genuinely in use");
    assert_eq!(e.kind(), ErrorKind::NetworkInterfaceInUse, "{e}");
}
