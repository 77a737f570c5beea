//! Answers lost on the way back, against wiremock: an idempotency token made once per call
//! and kept on every retry (`x-jdcloud-idempotency-token`), and actions without a token whose
//! refusal after a lost answer is resolved by the waiter the spec names
//! (`x-jdcloud-lost-answer`), or still reported when it does not mean "applied".

mod common;

use std::time::Duration;

use common::{builder, INSTANCE, REGION};
use jdcloud_vm::{types, ErrorKind, RetryConfig};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

const CREATE_PATH: &str = "/v1/regions/cn-north-1/instances";
const STOP_PATH: &str = "/v1/regions/cn-north-1/instances/i-eumm1234d6:stopInstance";
const DESCRIBE_PATH: &str = "/v1/regions/cn-north-1/instances/i-eumm1234d6";

/// A client that gives up on an answer after 400 ms and retries at once.
fn impatient(server: &MockServer) -> jdcloud_vm::Client {
    builder(server)
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(1)))
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap()
}

fn refusal(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "requestId": "req-refused",
        "error": {"code": status, "status": code, "message": message}
    }))
}

fn spec() -> types::InstanceSpec {
    serde_json::from_value(json!({"name": "web", "imageId": "img-centos-7"})).unwrap()
}

fn client_tokens(requests: &[wiremock::Request]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["clientToken"].as_str().map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_retried_with_the_same_token() {
    let server = MockServer::start().await;
    let created = json!({"requestId": "req-created", "result": {"instanceIds": ["i-1", "i-2"]}});
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(created.clone())
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(CREATE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(created))
        .mount(&server)
        .await;
    let client = impatient(&server);
    let answer = client
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec())
        .max_count(2)
        .send()
        .await
        .expect("the retry's answer");
    assert_eq!(answer.result.instance_ids, ["i-1", "i-2"]);
    let requests = server.received_requests().await.unwrap();
    let tokens = client_tokens(&requests);
    assert_eq!(tokens.len(), 2, "the lost attempt and its retry");
    let token = tokens[0].clone().expect("a token was made");
    assert_eq!(
        tokens[1].as_deref(),
        Some(token.as_str()),
        "the same on the retry"
    );
    assert!(uuid_like(&token), "{token}");
    // Everything else of the body is the caller's.
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["maxCount"], 2);
    assert_eq!(body["instanceSpec"]["name"], "web");

    // Another call, another token; a caller's own token is sent as it is.
    client
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec())
        .send()
        .await
        .unwrap();
    client
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec())
        .client_token("mine-0001")
        .send()
        .await
        .unwrap();
    let tokens = client_tokens(&server.received_requests().await.unwrap());
    assert_eq!(tokens.len(), 4);
    assert!(tokens[2].as_deref().is_some_and(uuid_like));
    assert_ne!(tokens[2], tokens[0]);
    assert_eq!(tokens[3].as_deref(), Some("mine-0001"));
}

fn uuid_like(token: &str) -> bool {
    token.len() == 36 && token.matches('-').count() == 4
}

/// A server where the first stop is applied but answered too late, then `retry` answers the
/// retry, and describeInstance answers `instance`.
async fn lost_stop(retry: ResponseTemplate, instance: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(STOP_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"requestId": "req-lost"}))
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(STOP_PATH))
        .respond_with(retry)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(DESCRIBE_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "req-describe",
            "result": {"instance": instance}
        })))
        .mount(&server)
        .await;
    server
}

fn stop(client: &jdcloud_vm::Client) -> jdcloud_vm::builder::StopInstance<'_> {
    client
        .stop_instance()
        .region_id(REGION)
        .instance_id(INSTANCE)
}

#[tokio::test]
async fn a_stop_whose_answer_is_lost_is_resolved_as_applied() {
    let server = lost_stop(
        refusal(
            400,
            "FAILED_PRECONDITION",
            "Invalid instance status stopped",
        ),
        json!({"instanceId": INSTANCE, "status": "stopped"}),
    )
    .await;
    let answer = stop(&impatient(&server))
        .send()
        .await
        .expect("no false failure");
    assert_eq!(
        answer.request_id, "req-describe",
        "the describe that showed it"
    );
    let describes = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(describes, 1);
}

#[tokio::test]
async fn refusals_that_do_not_mean_applied_are_still_reported() {
    // A refusal the spec does not list for a lost stop: reported at once, nothing described.
    let server = lost_stop(
        refusal(
            400,
            "FAILED_PRECONDITION",
            "stopCharging only applied to postpaid by duration",
        ),
        json!({"instanceId": INSTANCE, "status": "stopped"}),
    )
    .await;
    let e = stop(&impatient(&server)).send().await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::StopChargingNeedsPostpaid, "{e}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.method.as_str() == "POST"));

    // A listed refusal, but describeInstance shows the instance in `error`: the waiter's
    // failure state, so the refusal stands, at once.
    let server = lost_stop(
        refusal(400, "FAILED_PRECONDITION", "Invalid instance status error"),
        json!({"instanceId": INSTANCE, "status": "error"}),
    )
    .await;
    let started = std::time::Instant::now();
    let e = stop(&impatient(&server)).send().await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus, "{e}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // No answer lost: the refusal as it is, nothing described.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(STOP_PATH))
        .respond_with(refusal(
            400,
            "FAILED_PRECONDITION",
            "Invalid instance status stopped",
        ))
        .mount(&server)
        .await;
    let e = stop(&impatient(&server)).send().await.expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus, "{e}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// A server where the first attachKeypair of `key` is applied but answered too late, its retry
/// is refused as already attached, and describeInstance shows `keys` on each instance.
async fn lost_keypair_attach(keys: &[(&str, &[&str])]) -> MockServer {
    let server = MockServer::start().await;
    let attach = "/v1/regions/cn-north-1/keypairs/k1:attach";
    Mock::given(method("POST"))
        .and(path(attach))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"requestId": "req-lost"}))
                .set_delay(Duration::from_secs(2)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(attach))
        .respond_with(refusal(
            400,
            "FAILED_PRECONDITION",
            "Already attached key pair. instance id i-1",
        ))
        .mount(&server)
        .await;
    for (instance, names) in keys {
        Mock::given(method("GET"))
            .and(path(format!("/v1/regions/cn-north-1/instances/{instance}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "requestId": format!("req-describe-{instance}"),
                "result": {"instance": {"instanceId": instance, "keyNames": names}}
            })))
            .mount(&server)
            .await;
    }
    server
}

async fn attach_k1(server: &MockServer) -> Result<(), jdcloud_vm::Error> {
    impatient(server)
        .attach_keypair()
        .region_id(REGION)
        .key_name("k1")
        .instance_ids(vec!["i-1".to_owned(), "i-2".to_owned()])
        .pass_word_auth("no")
        .send()
        .await
        .map(drop)
}

#[tokio::test]
async fn a_keypair_attach_whose_answer_is_lost_is_resolved_instance_by_instance() {
    let server = lost_keypair_attach(&[("i-1", &["k1"]), ("i-2", &["k0", "k1"])]).await;
    attach_k1(&server).await.expect("k1 is on both instances");

    // On one of the two only: the refusal stands.
    let server = lost_keypair_attach(&[("i-1", &["k1"]), ("i-2", &["k0"])]).await;
    let e = attach_k1(&server).await.expect_err("not on i-2");
    assert_eq!(e.kind(), ErrorKind::KeypairAlreadyAttached, "{e}");
}
