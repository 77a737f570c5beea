//! The behaviours, called as the handler calls them (arguments already read and checked),
//! in the default world; the same through the SDK and HTTP is in the crate's `tests/`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{reply::ApiError, service::Service, spec::spec, state::EmulatorState};

const AK: &str = "AKEMULATOR";
const TASK: Duration = Duration::from_secs(2);

fn world() -> Service {
    Service::new(EmulatorState::default(), TASK)
}

fn run(s: &Service, op: &str, args: Value, now: Instant) -> Result<Value, ApiError> {
    let mut args = args.as_object().cloned().unwrap_or_default();
    args.insert("regionId".into(), json!("cn-north-1"));
    s.call(spec().op_or_bare(op), AK, &args, now)
        .map(Option::unwrap_or_default)
}

fn refused(r: Result<Value, ApiError>) -> (u16, &'static str, String) {
    let e = r.expect_err("refused");
    (e.http.as_u16(), e.status, e.message)
}

fn spec_of(name: &str) -> Value {
    json!({"az": "cn-north-1a", "instanceType": "g.n2.medium", "imageId": "img-centos-7", "name": name,
           "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default", "securityGroups": ["sg-default"]}}})
}

fn status(s: &Service, id: &str, now: Instant) -> String {
    run(s, "describeInstance", json!({"instanceId": id}), now).unwrap()["instance"]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn create(s: &Service, count: i64, token: Option<&str>, now: Instant) -> Vec<String> {
    let mut body = json!({"instanceSpec": spec_of("web"), "maxCount": count});
    if let Some(t) = token {
        body["clientToken"] = json!(t);
    }
    run(s, "createInstances", body, now).unwrap()["instanceIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn created_instances_are_pending_then_running_and_busy_meanwhile() {
    let s = world();
    let t0 = Instant::now();
    let ids = create(&s, 2, None, t0);
    assert_eq!(ids.len(), 2);
    assert_eq!(status(&s, &ids[0], t0), "pending");
    let (http, code, message) = refused(run(&s, "stopInstance", json!({"instanceId": ids[0]}), t0));
    assert_eq!((http, code), (400, "FAILED_PRECONDITION"));
    assert!(
        message.starts_with("Conflict with underlay task task-"),
        "{message}"
    );
    let later = t0 + TASK;
    assert_eq!(status(&s, &ids[0], later), "running");
    let instance = run(&s, "describeInstance", json!({"instanceId": ids[0]}), later).unwrap()
        ["instance"]
        .clone();
    assert_eq!(instance["imageId"], "img-centos-7");
    assert_eq!(
        instance["primaryNetworkInterface"]["networkInterface"]["subnetId"],
        "subnet-default"
    );
    assert_eq!(instance["systemDisk"]["cloudDisk"]["diskSizeGB"], 40);
}

#[test]
fn the_same_client_token_gives_the_same_instances_and_creates_none() {
    let s = world();
    let t0 = Instant::now();
    let first = create(&s, 2, Some("token-1"), t0);
    let again = create(&s, 2, Some("token-1"), t0);
    assert_eq!(first, again);
    let listed = run(&s, "describeInstances", json!({}), t0).unwrap();
    assert_eq!(listed["totalCount"], 2);
    assert_ne!(create(&s, 1, Some("token-2"), t0), first);
}

#[test]
fn quotas_are_429_quota_exceeded() {
    let s = world();
    let t0 = Instant::now();
    create(&s, 20, None, t0);
    let refusal = refused(run(
        &s,
        "createInstances",
        json!({"instanceSpec": spec_of("x"), "maxCount": 1}),
        t0,
    ));
    assert_eq!(
        refusal,
        (
            429,
            "QUOTA_EXCEEDED",
            "Instance quota limit exceeded".into()
        )
    );
    let quotas = run(&s, "describeQuotas", json!({}), t0).unwrap();
    let instance = quotas["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["resourceType"] == "instance")
        .unwrap()
        .clone();
    assert_eq!(
        instance,
        json!({"resourceType": "instance", "limit": 20, "used": 20})
    );
}

#[test]
fn documented_refusals_of_create() {
    let s = world();
    let t0 = Instant::now();
    let mut bad = spec_of("x");
    bad["instanceType"] = json!("g.n9.huge");
    assert_eq!(
        refused(run(&s, "createInstances", json!({"instanceSpec": bad}), t0)),
        (
            404,
            "NOT_FOUND",
            "InstanceType 'g.n9.huge' not found".into()
        )
    );
    let mut bad = spec_of("x");
    bad["imageId"] = json!("img-nope");
    assert_eq!(
        refused(run(&s, "createInstances", json!({"instanceSpec": bad}), t0)),
        (404, "NOT_FOUND", "Image 'img-nope' not found".into())
    );
    let mut bad = spec_of("x");
    bad.as_object_mut().unwrap().remove("imageId");
    assert_eq!(
        refused(run(&s, "createInstances", json!({"instanceSpec": bad}), t0)),
        (
            400,
            "INVALID_ARGUMENT",
            "Parameter InstanceSpec.ImageId missing".into()
        )
    );
    let mut bad = spec_of("x");
    bad["password"] = json!("short");
    assert_eq!(
        refused(run(&s, "createInstances", json!({"instanceSpec": bad}), t0)),
        (400, "INVALID_ARGUMENT", "Invalid password".into())
    );
    assert_eq!(
        refused(run(
            &s,
            "createInstances",
            json!({"instanceSpec": spec_of("x"), "maxCount": 101}),
            t0
        )),
        (400, "OUT_OF_RANGE", "Maxcount out of range".into())
    );
    let mut bad = spec_of("x");
    bad["keyNames"] = json!(["nokey"]);
    assert_eq!(
        refused(run(&s, "createInstances", json!({"instanceSpec": bad}), t0)),
        (404, "NOT_FOUND", "KeyPair 'nokey' not found".into())
    );
}

#[test]
fn stop_resize_start_reboot_delete() {
    let s = world();
    let t0 = Instant::now();
    let id = create(&s, 1, None, t0).remove(0);
    let i = json!({"instanceId": id});
    let mut t = t0 + TASK;
    assert_eq!(
        refused(run(
            &s,
            "resizeInstance",
            json!({"instanceId": id, "instanceType": "g.n2.large"}),
            t
        ))
        .2,
        "Please stop the instance first."
    );
    assert_eq!(
        refused(run(&s, "startInstance", i.clone(), t)).2,
        "Invalid instance status running"
    );
    run(&s, "stopInstance", i.clone(), t).unwrap();
    assert_eq!(status(&s, &id, t), "stopping");
    t += TASK;
    assert_eq!(status(&s, &id, t), "stopped");
    run(
        &s,
        "resizeInstance",
        json!({"instanceId": id, "instanceType": "g.n2.large"}),
        t,
    )
    .unwrap();
    assert_eq!(status(&s, &id, t), "resizing");
    t += TASK;
    run(&s, "startInstance", i.clone(), t).unwrap();
    t += TASK;
    let instance = run(&s, "describeInstance", i.clone(), t).unwrap()["instance"].clone();
    assert_eq!(
        (
            instance["status"].as_str(),
            instance["instanceType"].as_str()
        ),
        (Some("running"), Some("g.n2.large"))
    );
    run(&s, "rebootInstance", i.clone(), t).unwrap();
    assert_eq!(status(&s, &id, t), "rebooting");
    t += TASK;
    run(&s, "deleteInstance", i.clone(), t).unwrap();
    assert_eq!(status(&s, &id, t), "deleting");
}

#[test]
fn deleted_instances_are_not_found_once_their_task_ends_and_take_their_autodelete_disks() {
    let s = Service::new(EmulatorState::default(), Duration::from_millis(30));
    let id = create(&s, 1, None, Instant::now()).remove(0);
    std::thread::sleep(Duration::from_millis(40));
    run(
        &s,
        "attachDisk",
        json!({"instanceId": id, "diskId": "vol-default-1", "autoDelete": true}),
        Instant::now(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(40));
    run(
        &s,
        "deleteInstance",
        json!({"instanceId": id}),
        Instant::now(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(40));
    assert_eq!(
        refused(run(
            &s,
            "describeInstance",
            json!({"instanceId": id}),
            Instant::now()
        )),
        (404, "NOT_FOUND", format!("Instance '{id}' not found."))
    );
    let world = s.world();
    assert!(!world.state.disks.iter().any(|d| d.id == "vol-default-1"));
    assert!(world.state.disks.iter().any(|d| d.id == "vol-default-2"));
}

#[test]
fn disks_attach_and_detach_as_tasks() {
    let s = world();
    let t0 = Instant::now();
    let a = create(&s, 1, None, t0).remove(0);
    let mut t = t0 + TASK;
    run(
        &s,
        "attachDisk",
        json!({"instanceId": a, "diskId": "vol-default-1"}),
        t,
    )
    .unwrap();
    let disks = |t| {
        run(&s, "describeInstance", json!({"instanceId": a}), t).unwrap()["instance"]["dataDisks"]
            .clone()
    };
    assert_eq!(disks(t)[0]["status"], "attaching");
    t += TASK;
    assert_eq!(disks(t)[0]["status"], "attached");
    assert_eq!(disks(t)[0]["deviceName"], "vdb");
    assert_eq!(
        refused(run(
            &s,
            "attachDisk",
            json!({"instanceId": a, "diskId": "vol-default-1"}),
            t
        ))
        .2,
        "Disk 'vol-default-1' already attached"
    );
    assert_eq!(
        refused(run(
            &s,
            "attachDisk",
            json!({"instanceId": a, "diskId": "vol-nope"}),
            t
        )),
        (404, "NOT_FOUND", "Disk 'vol-nope' not found.".into())
    );
    run(
        &s,
        "detachDisk",
        json!({"instanceId": a, "diskId": "vol-default-1"}),
        t,
    )
    .unwrap();
    assert_eq!(disks(t)[0]["status"], "detaching");
    t += TASK;
    assert_eq!(disks(t), Value::Null);
}

#[test]
fn elastic_ips_associate_once() {
    let s = Service::new(EmulatorState::default(), Duration::ZERO);
    let t = Instant::now();
    let ids = create(&s, 2, None, t);
    run(
        &s,
        "associateElasticIp",
        json!({"instanceId": ids[0], "elasticIpId": "fip-default-1"}),
        t,
    )
    .unwrap();
    let i =
        run(&s, "describeInstance", json!({"instanceId": ids[0]}), t).unwrap()["instance"].clone();
    assert_eq!(
        (i["elasticIpId"].as_str(), i["elasticIpAddress"].as_str()),
        (Some("fip-default-1"), Some("116.196.1.10"))
    );
    assert_eq!(
        refused(run(
            &s,
            "associateElasticIp",
            json!({"instanceId": ids[1], "elasticIpId": "fip-default-1"}),
            t
        ))
        .2,
        "ElasticIp fip-default-1 already in use"
    );
    assert_eq!(
        refused(run(
            &s,
            "disassociateElasticIp",
            json!({"instanceId": ids[1], "elasticIpId": "fip-default-1"}),
            t
        ))
        .2,
        "Elastic ip isn't associated to this instance's primary network interface"
    );
    run(
        &s,
        "disassociateElasticIp",
        json!({"instanceId": ids[0], "elasticIpId": "fip-default-1"}),
        t,
    )
    .unwrap();
    assert_eq!(
        refused(run(
            &s,
            "associateElasticIp",
            json!({"instanceId": ids[0], "elasticIpId": "fip-nope"}),
            t
        )),
        (404, "NOT_FOUND", "ElasticIpId fip-nope not found".into())
    );
}

#[test]
fn keypairs_create_import_attach_detach_delete() {
    let s = Service::new(EmulatorState::default(), Duration::ZERO);
    let t = Instant::now();
    let created = run(&s, "createKeypair", json!({"keyName": "k1"}), t).unwrap();
    assert!(created["privateKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
    assert_eq!(created["keyFingerprint"].as_str().unwrap().len(), 47);
    assert_eq!(
        refused(run(&s, "createKeypair", json!({"keyName": "k1"}), t)).2,
        "KeyName 'k1' already in use"
    );
    let good = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAABADDoQE= me@host";
    let imported = run(
        &s,
        "importKeypair",
        json!({"keyName": "k2", "publicKey": good}),
        t,
    )
    .unwrap();
    assert!(imported.get("privateKey").is_none());
    for bad in [
        "",
        "ssh-rsa",
        "ssh-rsa !!!",
        "ssh-rsa AAAAB3NzaC1lZDI1NTE5AAAA",
        "rsa AAAA",
    ] {
        assert_eq!(
            refused(run(
                &s,
                "importKeypair",
                json!({"keyName": "k3", "publicKey": bad}),
                t
            ))
            .2,
            "Malformed PublicKey k3",
            "{bad}"
        );
    }
    let id = create(&s, 1, None, t).remove(0);
    let attached = run(
        &s,
        "attachKeypair",
        json!({"keyName": "k1", "instanceIds": [id]}),
        t,
    )
    .unwrap();
    assert_eq!(attached["successInstanceId"], json!([id]));
    assert_eq!(
        refused(run(
            &s,
            "attachKeypair",
            json!({"keyName": "k2", "instanceIds": [id]}),
            t
        ))
        .2,
        format!("Already attached key pair. instance id {id}")
    );
    let listed = run(&s, "describeKeypairs", json!({}), t).unwrap();
    assert_eq!(listed["totalCount"], 2);
    assert_eq!(listed["keypairs"][0]["instanceIds"], json!([id]));
    run(
        &s,
        "detachKeypair",
        json!({"keyName": "k1", "instanceIds": [id]}),
        t,
    )
    .unwrap();
    run(&s, "deleteKeypair", json!({"keyName": "k1"}), t).unwrap();
    assert_eq!(
        refused(run(&s, "deleteKeypair", json!({"keyName": "k1"}), t)),
        (404, "NOT_FOUND", "Keypair 'k1' not found".into())
    );
}

#[test]
fn images_are_created_as_tasks_and_shared_released_deleted() {
    let s = world();
    let t0 = Instant::now();
    let id = create(&s, 1, None, t0).remove(0);
    let mut t = t0 + TASK;
    let image = run(
        &s,
        "createImage",
        json!({"instanceId": id, "name": "mine"}),
        t,
    )
    .unwrap()["imageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = json!({"imageId": image});
    let status = |t| run(&s, "describeImage", m.clone(), t).unwrap()["image"]["status"].clone();
    assert_eq!(status(t), "pending");
    assert_eq!(
        refused(run(&s, "deleteImage", m.clone(), t)).2,
        format!("The image '{image}' is busy")
    );
    t += TASK;
    assert_eq!(status(t), "ready");
    let private = run(&s, "describeImages", json!({"imageSource": "private"}), t).unwrap();
    assert_eq!(private["totalCount"], 1);
    let public = run(&s, "describeImages", json!({"imageSource": "public"}), t).unwrap();
    assert_eq!(public["totalCount"], 3);
    assert_eq!(
        refused(run(&s, "describeImages", json!({}), t)).2,
        "Parameter ImageSource missing"
    );
    assert_eq!(
        refused(run(
            &s,
            "shareImage",
            json!({"imageId": image, "pins": ["AKOTHER"]}),
            t
        ))
        .2,
        "Pin 'AKOTHER' not found"
    );
    assert_eq!(
        refused(run(
            &s,
            "shareImage",
            json!({"imageId": "img-centos-7", "pins": ["AKOTHER"]}),
            t
        ))
        .2,
        "Can't use this image"
    );
    assert_eq!(
        refused(run(
            &s,
            "deleteImage",
            json!({"imageId": "img-centos-7"}),
            t
        ))
        .2,
        "Can't delete this image"
    );
    run(&s, "releaseImage", m.clone(), t).unwrap();
    assert_eq!(
        refused(run(
            &s,
            "shareImage",
            json!({"imageId": image, "pins": ["AKOTHER"]}),
            t
        ))
        .2,
        "Community image can't be shared"
    );
    run(&s, "unReleaseImage", m.clone(), t).unwrap();
    assert_eq!(
        refused(run(&s, "modifyImageAttribute", m.clone(), t)).2,
        "Parameter name、description missing"
    );
    run(
        &s,
        "modifyImageAttribute",
        json!({"imageId": image, "name": "renamed"}),
        t,
    )
    .unwrap();
    let copied = run(
        &s,
        "copyImages",
        json!({"sourceImageIds": [image], "destinationRegion": "cn-east-2"}),
        t,
    )
    .unwrap();
    assert_eq!(copied["copyImages"][0]["sourceImageId"], image.as_str());
    assert_eq!(
        refused(run(
            &s,
            "copyImages",
            json!({"sourceImageIds": [image], "destinationRegion": "mars-1"}),
            t
        )),
        (400, "INVALID_ARGUMENT", "Invalid region 'mars-1'".into())
    );
    assert_eq!(
        refused(run(&s, "convertImage", m.clone(), t)).2,
        "Only support localDisk image"
    );
    let export = run(
        &s,
        "exportImage",
        json!({"imageId": image, "roleName": "r", "ossUrl": "u", "clientToken": "e1"}),
        t,
    )
    .unwrap();
    assert_eq!(
        run(
            &s,
            "exportImage",
            json!({"imageId": image, "roleName": "r", "ossUrl": "u", "clientToken": "e1"}),
            t
        )
        .unwrap(),
        export
    );
    let tasks = run(&s, "imageTasks", json!({"taskAction": "ExportImage"}), t).unwrap();
    assert_eq!(tasks["totalCount"], 1);
    run(&s, "deleteImage", m.clone(), t).unwrap();
    assert_eq!(
        refused(run(&s, "describeImage", m, t)),
        (404, "NOT_FOUND", format!("Image '{image}' not found"))
    );
}

#[test]
fn templates_create_instances() {
    let s = Service::new(EmulatorState::default(), Duration::ZERO);
    let t = Instant::now();
    let mut data = spec_of("x");
    data.as_object_mut().unwrap().remove("az");
    let id = run(
        &s,
        "createInstanceTemplate",
        json!({"name": "tpl", "instanceTemplateData": data}),
        t,
    )
    .unwrap()["instanceTemplateId"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = run(
        &s,
        "describeInstanceTemplate",
        json!({"instanceTemplateId": id}),
        t,
    )
    .unwrap();
    assert_eq!(
        described["instanceTemplate"]["instanceTemplateData"]["vpcId"],
        "vpc-default"
    );
    let ids = run(
        &s,
        "createInstances",
        json!({"instanceSpec": {"instanceTemplateId": id, "az": "cn-north-1b", "name": "t"}}),
        t,
    )
    .unwrap();
    let instance = run(
        &s,
        "describeInstance",
        json!({"instanceId": ids["instanceIds"][0]}),
        t,
    )
    .unwrap()["instance"]
        .clone();
    assert_eq!(
        (instance["az"].as_str(), instance["imageId"].as_str()),
        (Some("cn-north-1b"), Some("img-centos-7"))
    );
    assert_eq!(
        refused(run(
            &s,
            "updateInstanceTemplate",
            json!({"instanceTemplateId": id}),
            t
        ))
        .2,
        "Parameter name and description missing"
    );
    let mut bad = data.clone();
    bad["imageId"] = json!("img-nope");
    assert_eq!(
        refused(run(
            &s,
            "createInstanceTemplate",
            json!({"name": "bad", "instanceTemplateData": bad}),
            t
        ))
        .2,
        "Image 'img-nope' not found"
    );
    run(
        &s,
        "deleteInstanceTemplate",
        json!({"instanceTemplateId": id}),
        t,
    )
    .unwrap();
    assert_eq!(
        refused(run(
            &s,
            "describeInstanceTemplate",
            json!({"instanceTemplateId": id}),
            t
        )),
        (
            404,
            "NOT_FOUND",
            format!("Instance Template '{id}' not found")
        )
    );
}

#[test]
fn creates_racing_on_one_token_create_one_set() {
    let s = std::sync::Arc::new(world());
    let answers: Vec<Vec<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let s = s.clone();
                scope.spawn(move || create(&s, 3, Some("race"), Instant::now()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| a == &answers[0] && a.len() == 3));
    let listed = run(&s, "describeInstances", json!({}), Instant::now()).unwrap();
    assert_eq!(listed["totalCount"], 3);
}

#[test]
fn a_disk_being_detached_is_busy_and_another_task_does_not_show_it_attaching() {
    let s = world();
    let t0 = Instant::now();
    let ids = create(&s, 2, None, t0);
    let mut t = t0 + TASK;
    run(
        &s,
        "attachDisk",
        json!({"instanceId": ids[0], "diskId": "vol-default-2"}),
        t,
    )
    .unwrap();
    t += TASK;
    run(&s, "stopInstance", json!({"instanceId": ids[0]}), t).unwrap();
    let disks = run(&s, "describeInstance", json!({"instanceId": ids[0]}), t).unwrap()["instance"]
        ["dataDisks"]
        .clone();
    assert_eq!(disks[0]["status"], "attached", "a stop is no attach");
    t += TASK;
    run(
        &s,
        "detachDisk",
        json!({"instanceId": ids[0], "diskId": "vol-default-2"}),
        t,
    )
    .unwrap();
    assert_eq!(
        refused(run(
            &s,
            "attachDisk",
            json!({"instanceId": ids[1], "diskId": "vol-default-2"}),
            t
        ))
        .2,
        format!("Disk busy in '{}'", ids[0])
    );
    t += TASK;
    run(
        &s,
        "attachDisk",
        json!({"instanceId": ids[1], "diskId": "vol-default-2"}),
        t,
    )
    .unwrap();
}
