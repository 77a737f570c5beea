//! A request the SDK would refuse, sent by another client, gets JD Cloud's `400
//! INVALID_ARGUMENT` naming the field and the rule the spec sets.

mod common;

use common::{call, spec_ops};
use jdcloud_vm::Credentials;
use jdcloud_vm_emulator::{Emulator, EmulatorState};
use serde_json::json;

#[tokio::test]
async fn requests_the_sdk_would_refuse_are_invalid_arguments_naming_the_field() {
    let emulator = Emulator::start(EmulatorState::default()).await.unwrap();
    let credentials = Credentials::new("AKEMULATOR", "SKEMULATOR");
    let ops = spec_ops();
    let op = |name: &str| ops.iter().find(|o| o.name == name).unwrap();
    let spec = json!({"az": "cn-north-1a", "instanceType": "g.n2.medium", "imageId": "img-centos-7", "name": "web",
                      "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default"}}});
    let mut without_name = spec.clone();
    without_name.as_object_mut().unwrap().remove("name");
    let mut bad_enum = spec.clone();
    bad_enum["chargeOnStopped"] = json!("sometimes");
    let mut short = spec.clone();
    short["name"] = json!("w");
    for (name, query, body, message) in [
        (
            "createInstances",
            "",
            json!({}),
            "instanceSpec is required".to_owned(),
        ),
        (
            "createInstances",
            "",
            json!({"instanceSpec": without_name}),
            "instanceSpec.name is required".to_owned(),
        ),
        (
            "createInstances",
            "",
            json!({"instanceSpec": spec, "maxCount": 0}),
            "maxCount must be at least 1".to_owned(),
        ),
        (
            "createInstances",
            "",
            json!({"instanceSpec": spec, "maxCount": "2"}),
            "maxCount must be an integer".to_owned(),
        ),
        (
            "createInstances",
            "",
            json!({"instanceSpec": short}),
            "instanceSpec.name must be at least 2 characters".to_owned(),
        ),
        (
            "createInstances",
            "",
            json!({"instanceSpec": bad_enum}),
            "instanceSpec.chargeOnStopped must be one of \"keepCharging\", \"stopCharging\""
                .to_owned(),
        ),
        (
            "describeImages",
            "pageSize=ten",
            json!(null),
            "pageSize must be an integer, not 'ten'".to_owned(),
        ),
        (
            "describeImages",
            "imageSource=public&colour=blue",
            json!(null),
            "Unknown parameter 'colour'".to_owned(),
        ),
        (
            "describeInstances",
            "filters.1.name=colour&filters.1.values.1=blue",
            json!(null),
            "Unsupported filter name 'colour' in filters.1".to_owned(),
        ),
        (
            "describeImages",
            "imageSource=public&imageSource=private",
            json!(null),
            "Parameter 'imageSource' is given twice or conflicts with another".to_owned(),
        ),
    ] {
        let (status, answer) = call(&emulator, &credentials, op(name), &[], query, &body).await;
        assert_eq!(
            (status, answer["error"]["status"].as_str()),
            (400, Some("INVALID_ARGUMENT")),
            "{name} {body}: {answer}"
        );
        let got = answer["error"]["message"].as_str().unwrap();
        assert!(got.starts_with(&message), "{name} {body}: {got}");
    }
    // A path parameter breaking its pattern.
    let (status, answer) = call(
        &emulator,
        &credentials,
        op("describeInstance"),
        &[("instanceId", "-bad")],
        "",
        &json!(null),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("instanceId must match"),
        "{answer}"
    );
}
