//! Every operation of the spec, called with valid input in the default world, gets a success
//! or one of the errors it documents, in JD Cloud's format; and every operation is called.

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::{call, documented, spec_ops, SpecOp};
use jdcloud_vm::Credentials;
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use serde_json::{json, Value};

struct Run {
    emulator: Emulator,
    credentials: Credentials,
    ops: Vec<SpecOp>,
    called: BTreeSet<String>,
    problems: Vec<String>,
}

impl Run {
    /// Calls `name` if the spec has it; the answer's result, `Value::Null` after an error.
    async fn go(&mut self, name: &str, params: &[(&str, &str)], query: &str, body: Value) -> Value {
        let Some(op) = self.ops.iter().find(|o| o.name == name) else {
            return Value::Null;
        };
        self.called.insert(name.to_owned());
        let (status, answer) =
            call(&self.emulator, &self.credentials, op, params, query, &body).await;
        assert!(
            answer["requestId"]
                .as_str()
                .is_some_and(|id| id.len() == 32),
            "{name}: {answer}"
        );
        if status == 200 {
            assert!(answer.get("error").is_none(), "{name}: {answer}");
            return answer.get("result").cloned().unwrap_or(json!({}));
        }
        let error = &answer["error"];
        eprintln!("{name}: {status} {}", error["message"]);
        assert_eq!(error["code"], status, "{name}: {answer}");
        let (s, m) = (
            error["status"].as_str().unwrap(),
            error["message"].as_str().unwrap(),
        );
        if !op
            .errors
            .iter()
            .any(|(ds, dm)| ds == s && documented(dm, m))
        {
            self.problems.push(format!(
                "{name} answered {status} {s} {m:?}, which it does not document ({:?})",
                op.errors
            ));
        }
        Value::Null
    }
}

const PUBLIC_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAABADDoQE= test@emulator";

#[tokio::test]
async fn every_operation_answers_a_success_or_a_documented_error() {
    let emulator = Emulator::start_with(
        EmulatorState::default(),
        EmulatorConfig::default().task_duration(Duration::ZERO),
    )
    .await
    .unwrap();
    let mut run = Run {
        emulator,
        credentials: Credentials::new("AKEMULATOR", "SKEMULATOR"),
        ops: spec_ops(),
        called: BTreeSet::new(),
        problems: Vec::new(),
    };
    let r = &mut run;

    r.go("describeImages", &[], "imageSource=public", json!({}))
        .await;
    r.go("describeInstanceTypes", &[], "", json!({})).await;
    r.go("describeQuotas", &[], "", json!({})).await;
    r.go("createKeypair", &[], "", json!({"keyName": "k1"}))
        .await;
    r.go(
        "importKeypair",
        &[],
        "",
        json!({"keyName": "k2", "publicKey": PUBLIC_KEY}),
    )
    .await;
    r.go("describeKeypairs", &[], "", json!({})).await;

    let spec = json!({
        "az": "cn-north-1a", "instanceType": "g.n2.medium", "imageId": "img-centos-7", "name": "web",
        "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default", "securityGroups": ["sg-default"]}},
        "keyNames": ["k1"],
    });
    let created = r
        .go(
            "createInstances",
            &[],
            "",
            json!({"instanceSpec": spec, "maxCount": 2, "clientToken": "every-op"}),
        )
        .await;
    let ids: Vec<String> = created["instanceIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let a = ids.first().cloned().unwrap_or_else(|| "i-none".into());
    let b = ids.get(1).cloned().unwrap_or_else(|| "i-none".into());
    let (a, b) = (a.as_str(), b.as_str());

    let template = r.go("createInstanceTemplate", &[], "", json!({"name": "tpl", "instanceTemplateData": {
        "instanceType": "g.n2.medium", "imageId": "img-centos-7",
        "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default", "securityGroups": ["sg-default"]}},
        "systemDisk": {"diskCategory": "cloud", "cloudDiskSpec": {"diskType": "ssd.gp1", "diskSizeGB": 40}},
        "elasticIp": {"bandwidthMbps": 1, "provider": "bgp", "chargeMode": "bandwith"}}})).await;
    let tpl = template["instanceTemplateId"]
        .as_str()
        .unwrap_or("it-none")
        .to_owned();
    let tpl = tpl.as_str();
    r.go(
        "describeInstanceTemplate",
        &[("instanceTemplateId", tpl)],
        "",
        json!({}),
    )
    .await;
    r.go("describeInstanceTemplates", &[], "", json!({})).await;
    r.go("describeInstanceTemplatesCustomdata", &[], "", json!({}))
        .await;
    r.go(
        "updateInstanceTemplate",
        &[("instanceTemplateId", tpl)],
        "",
        json!({"description": "updated"}),
    )
    .await;
    r.go(
        "verifyInstanceTemplate",
        &[("instanceTemplateId", tpl)],
        "",
        json!({}),
    )
    .await;
    let from_template = r.go("createInstances", &[], "", json!({"instanceSpec": {"instanceTemplateId": tpl, "az": "cn-north-1a", "name": "from-tpl"}})).await;
    let c = from_template["instanceIds"][0]
        .as_str()
        .unwrap_or("i-none")
        .to_owned();

    for (op, query) in [
        ("describeInstances", ""),
        ("describeBriefInstances", ""),
        ("describeInstanceStatus", ""),
        ("describeInstancePrivateIpAddress", ""),
        ("describeInstancesCustomData", ""),
    ] {
        r.go(op, &[], query, json!({})).await;
    }
    let p = |id: &str| [("instanceId", id.to_owned())];
    macro_rules! on {
        ($op:expr, $id:expr, $body:expr) => {{
            let id: &str = $id;
            r.go($op, &[("instanceId", id)], "", $body).await
        }};
    }
    let _ = p;
    on!("describeInstance", a, json!({}));
    on!("describeInstanceVncUrl", a, json!({}));
    on!(
        "modifyInstanceAttribute",
        a,
        json!({"description": "web server"})
    );
    on!(
        "modifyInstancePassword",
        a,
        json!({"password": "Passw0rd!x"})
    );
    on!(
        "modifyInstanceReleaseTime",
        a,
        json!({"autoReleaseTime": "2030-01-01 00:00:00"})
    );
    on!(
        "attachDisk",
        a,
        json!({"diskId": "vol-default-1", "autoDelete": false})
    );
    on!(
        "modifyInstanceDiskAttribute",
        a,
        json!({"dataDisks": [{"diskId": "vol-default-1", "autoDelete": true}]})
    );
    on!("detachDisk", a, json!({"diskId": "vol-default-1"}));
    on!(
        "associateElasticIp",
        a,
        json!({"elasticIpId": "fip-default-1"})
    );
    on!(
        "disassociateElasticIp",
        a,
        json!({"elasticIpId": "fip-default-1"})
    );
    on!(
        "attachNetworkInterface",
        a,
        json!({"networkInterfaceId": "port-default-1", "autoDelete": false})
    );
    on!(
        "modifyInstanceNetworkAttribute",
        a,
        json!({"networks": [{"networkInterfaceId": "port-default-1", "autoDelete": true}]})
    );
    on!(
        "detachNetworkInterface",
        a,
        json!({"networkInterfaceId": "port-default-1"})
    );
    r.go(
        "detachKeypair",
        &[("keyName", "k1")],
        "",
        json!({"instanceIds": [b]}),
    )
    .await;
    r.go(
        "attachKeypair",
        &[("keyName", "k2")],
        "",
        json!({"instanceIds": [b], "passWordAuth": "yes"}),
    )
    .await;
    on!("rebootInstance", a, json!({}));
    on!("suspendInstance", b, json!({}));
    on!("resumeInstance", b, json!({}));
    on!("redeployInstance", b, json!({}));
    on!("stopInstance", a, json!({}));
    on!("resizeInstance", a, json!({"instanceType": "g.n2.large"}));
    on!(
        "rebuildInstance",
        a,
        json!({"imageId": "img-ubuntu-2204", "password": "Passw0rd!x"})
    );
    on!(
        "modifyInstanceVpcAttribute",
        a,
        json!({"subnetId": "subnet-default", "securityGroups": ["sg-default"]})
    );
    on!("modifyInstancePlacement", a, json!({"agId": "ag-default"}));
    on!("startInstance", a, json!({}));

    let image = on!(
        "createImage",
        a,
        json!({"name": "web-image", "description": "from a"})
    );
    let img = image["imageId"].as_str().unwrap_or("img-none").to_owned();
    let img = img.as_str();
    let m = |id: &str| [("imageId", id.to_owned())];
    let _ = m;
    macro_rules! img {
        ($op:expr, $body:expr) => {
            r.go($op, &[("imageId", img)], "", $body).await
        };
    }
    img!("describeImage", json!({}));
    img!("describeImageConstraints", json!({}));
    r.go(
        "describeImageConstraintsBatch",
        &[],
        &format!("ids.1={img}"),
        json!({}),
    )
    .await;
    img!("modifyImageAttribute", json!({"name": "web-image-2"}));
    img!("describeImageMembers", json!({}));
    img!("shareImage", json!({"pins": ["AKEMULATOR"]}));
    img!("unShareImage", json!({"pins": ["AKEMULATOR"]}));
    img!("releaseImage", json!({}));
    img!("unReleaseImage", json!({}));
    r.go(
        "copyImages",
        &[],
        "",
        json!({"sourceImageIds": [img], "destinationRegion": "cn-east-2"}),
    )
    .await;
    img!(
        "exportImage",
        json!({"roleName": "jdc-export", "ossUrl": "https://oss.example/bucket", "clientToken": "export-1"})
    );
    img!("convertImage", json!({}));
    r.go("importImage", &[], "", json!({"architecture": "x86_64", "osType": "linux", "platform": "CentOS",
        "diskFormat": "qcow2", "systemDiskSizeGB": 40, "imageUrl": "https://oss.example/img.qcow2", "imageName": "imported"})).await;
    r.go(
        "createImageFromSnapshots",
        &[],
        "",
        json!({"name": "from-snapshots", "platform": "CentOS", "architecture": "x86_64", "bootMode": "bios", "cloudDisks": [], "clientToken": "snap-1"}),
    )
    .await;
    r.go("imageTasks", &[], "taskAction=ImportImage", json!({}))
        .await;
    img!("deleteImage", json!({}));

    on!("deleteInstance", a, json!({}));
    on!("deleteInstance", b, json!({}));
    on!("deleteInstance", &c, json!({}));
    r.go(
        "deleteInstanceTemplate",
        &[("instanceTemplateId", tpl)],
        "",
        json!({}),
    )
    .await;
    r.go("deleteKeypair", &[("keyName", "k1")], "", json!({}))
        .await;

    assert!(run.problems.is_empty(), "{}", run.problems.join("\n"));
    let missing: Vec<&str> = run
        .ops
        .iter()
        .map(|o| o.name.as_str())
        .filter(|n| !run.called.contains(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "operations of the spec this test does not call: {missing:?}"
    );
}
