//! The spec's waiters and lost answers against the emulator (its tasks take 300 ms here):
//! each waiter's success, failure state and timeout; a lost `createInstances` answer retried
//! creates one set of instances; lost `stopInstance`, `attachDisk` and `deleteInstance` answers
//! are resolved as applied; a refusal that does not mean "applied" is still reported.

use std::time::Duration;

use jdcloud_vm::{types, Client, Credentials, ErrorKind, RetryConfig};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use serde_json::{json, Value};

const REGION: &str = "cn-north-1";
const TASK: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(20);

/// The default world, plus the instances, images and disks given (JSON, as the state file).
async fn emulator(extra: Value) -> Emulator {
    let mut state: Value =
        serde_json::from_str(&EmulatorState::default().to_json()).expect("the state is JSON");
    for (section, entries) in extra.as_object().into_iter().flatten() {
        let list = state[section.as_str()]
            .as_array_mut()
            .expect("a section of the state");
        list.extend(entries.as_array().unwrap().iter().cloned());
    }
    let state = EmulatorState::from_json(&state.to_string()).expect("a valid state");
    Emulator::start_with(
        state,
        EmulatorConfig::default()
            .task_duration(TASK)
            .log_requests(false),
    )
    .await
    .expect("the emulator starts")
}

fn client(emulator: &Emulator) -> Client {
    Client::builder()
        .credentials(Credentials::new("AKEMULATOR", "SKEMULATOR"))
        .endpoint(emulator.endpoint())
        .build()
        .unwrap()
}

/// A client that gives up on an answer after 500 ms and retries soon.
fn impatient(emulator: &Emulator) -> Client {
    Client::builder()
        .credentials(Credentials::new("AKEMULATOR", "SKEMULATOR"))
        .endpoint(emulator.endpoint())
        .timeout(Duration::from_millis(500))
        .retry(RetryConfig::standard().initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap()
}

fn instance(id: &str, status: &str) -> Value {
    json!({"id": id, "region": REGION, "az": "cn-north-1a", "vpc": "vpc-default",
           "status": status, "max_network_interfaces": 2, "busy": false,
           "owner": "AKEMULATOR", "image_id": "img-centos-7"})
}

fn spec(name: &str) -> types::InstanceSpec {
    serde_json::from_value(json!({
        "name": name, "az": "cn-north-1a", "imageId": "img-centos-7", "instanceType": "g.n2.medium",
        "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default"}}
    }))
    .unwrap()
}

async fn create(client: &Client, name: &str) -> String {
    let created = client
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec(name))
        .send()
        .await
        .expect("created");
    created.result.instance_ids[0].clone()
}

/// The ids of every instance in the region.
async fn all_instances(client: &Client) -> Vec<String> {
    let all = client
        .describe_instances()
        .region_id(REGION)
        .send()
        .await
        .expect("listed");
    all.result
        .instances
        .iter()
        .filter_map(|i| i.instance_id.clone())
        .collect()
}

#[tokio::test]
async fn the_everyday_loop_waits_for_every_task() {
    let emulator = emulator(json!({})).await;
    let client = client(&emulator);
    let id = create(&client, "loop").await;
    client
        .wait_until_instance_running(REGION, &id, LONG)
        .await
        .expect("running");

    client
        .attach_disk()
        .region_id(REGION)
        .instance_id(&id)
        .disk_id("vol-default-1")
        .send()
        .await
        .expect("attach");
    client
        .wait_until_disk_attached(REGION, &id, "vol-default-1", LONG)
        .await
        .expect("disk attached");
    client
        .detach_disk()
        .region_id(REGION)
        .instance_id(&id)
        .disk_id("vol-default-1")
        .send()
        .await
        .expect("detach");
    client
        .wait_until_disk_detached(REGION, &id, "vol-default-1", LONG)
        .await
        .expect("disk detached");

    client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(&id)
        .network_interface_id("port-default-1")
        .send()
        .await
        .expect("attach");
    client
        .wait_until_attached(REGION, &id, "port-default-1", LONG)
        .await
        .expect("interface attached");
    client
        .detach_network_interface()
        .region_id(REGION)
        .instance_id(&id)
        .network_interface_id("port-default-1")
        .send()
        .await
        .expect("detach");
    client
        .wait_until_detached(REGION, &id, "port-default-1", LONG)
        .await
        .expect("interface detached");

    client
        .stop_instance()
        .region_id(REGION)
        .instance_id(&id)
        .send()
        .await
        .expect("stop");
    client
        .wait_until_instance_stopped(REGION, &id, LONG)
        .await
        .expect("stopped");

    let image = client
        .create_image()
        .region_id(REGION)
        .instance_id(&id)
        .name("snap")
        .description("from the loop")
        .send()
        .await
        .expect("image")
        .into_inner()
        .result
        .image_id
        .expect("an image id");
    client
        .wait_until_image_ready(REGION, &image, LONG)
        .await
        .expect("image ready");

    client
        .delete_instance()
        .region_id(REGION)
        .instance_id(&id)
        .send()
        .await
        .expect("delete");
    client
        .wait_until_instance_deleted(REGION, &id, LONG)
        .await
        .expect("deleted");
}

#[tokio::test]
async fn failure_states_end_a_wait_at_once() {
    let emulator = emulator(json!({
        "instances": [instance("i-broken", "error")],
        "images": [{"id": "img-broken", "region": REGION, "name": "broken", "status": "error", "owner": "AKEMULATOR"}],
    }))
    .await;
    let client = client(&emulator);
    let started = std::time::Instant::now();
    for (e, what) in [
        (
            client
                .wait_until_instance_running(REGION, "i-broken", LONG)
                .await,
            "running",
        ),
        (
            client
                .wait_until_instance_stopped(REGION, "i-broken", LONG)
                .await,
            "stopped",
        ),
        (
            client
                .wait_until_image_ready(REGION, "img-broken", LONG)
                .await,
            "ready",
        ),
    ] {
        let e = e.expect_err("a failure state");
        assert_eq!(e.kind(), ErrorKind::WaitFailed, "{e}");
        assert!(
            e.to_string().contains(what) && e.to_string().contains("error"),
            "{e}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn each_waiter_times_out_naming_what_it_awaited() {
    let emulator = emulator(json!({
        "instances": [instance("i-up", "running"), instance("i-down", "stopped")],
        "disks": [{"id": "vol-on", "region": REGION, "az": "cn-north-1a", "owner": "AKEMULATOR",
                   "attached_to": "i-up", "device_name": "vdb"}],
        "network_interfaces": [{"id": "port-on", "region": REGION, "vpc": "vpc-default",
                                "owner": "AKEMULATOR", "elastic_ip_az": null,
                                "attached_to": "i-up", "primary": false}],
    }))
    .await;
    let client = client(&emulator);
    let short = Duration::from_millis(600);
    let waits = [
        (
            "i-down running",
            client
                .wait_until_instance_running(REGION, "i-down", short)
                .await,
        ),
        (
            "vol-on detached from i-up",
            client
                .wait_until_disk_detached(REGION, "i-up", "vol-on", short)
                .await,
        ),
        (
            "port-on detached from i-up",
            client
                .wait_until_detached(REGION, "i-up", "port-on", short)
                .await,
        ),
        (
            "i-up stopped",
            client
                .wait_until_instance_stopped(REGION, "i-up", short)
                .await,
        ),
        (
            "i-up deleted",
            client
                .wait_until_instance_deleted(REGION, "i-up", short)
                .await,
        ),
        (
            "vol-default-1 attached",
            client
                .wait_until_disk_attached(REGION, "i-up", "vol-default-1", short)
                .await,
        ),
        (
            "port-default-1 attached",
            client
                .wait_until_attached(REGION, "i-up", "port-default-1", short)
                .await,
        ),
    ];
    for (awaited, result) in waits {
        let e = result.expect_err("never");
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        let message = e
            .message()
            .unwrap_or_default()
            .replace("disk ", "")
            .replace("instance ", "");
        assert!(message.contains(awaited), "{awaited}: {message}");
    }
    // The image being made: pending for longer than the limit.
    let image = client
        .create_image()
        .region_id(REGION)
        .instance_id("i-up")
        .name("slow")
        .description("pending")
        .send()
        .await;
    if let Ok(image) = image {
        let e = client
            .wait_until_image_ready(
                REGION,
                &image.into_inner().result.image_id.expect("an image id"),
                Duration::from_millis(100),
            )
            .await
            .expect_err("still pending");
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    }
}

#[tokio::test]
async fn a_lost_create_retried_creates_one_set_of_instances() {
    let emulator = emulator(json!({})).await;
    emulator.stall_next_replies("createInstances", 1, Duration::from_secs(2));
    let client = impatient(&emulator);
    let created = client
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec("once"))
        .max_count(2)
        .send()
        .await
        .expect("the retry answers as the lost attempt would have");
    assert_eq!(created.result.instance_ids.len(), 2);
    // The default world has no instances: the two of the lost attempt are all there is.
    let mut ids = all_instances(&client).await;
    ids.sort();
    let mut created = created.into_inner().result.instance_ids;
    created.sort();
    assert_eq!(ids, created, "one set of instances");
}

#[tokio::test]
async fn lost_stop_attach_disk_and_delete_answers_are_resolved_as_applied() {
    let emulator =
        emulator(json!({"instances": [instance("i-a", "running"), instance("i-b", "running")]}))
            .await;
    let client = impatient(&emulator);

    emulator.stall_next_replies("stopInstance", 1, Duration::from_secs(2));
    client
        .stop_instance()
        .region_id(REGION)
        .instance_id("i-a")
        .send()
        .await
        .expect("stop applied");
    client
        .wait_until_instance_stopped(REGION, "i-a", LONG)
        .await
        .unwrap();

    emulator.stall_next_replies("attachDisk", 1, Duration::from_secs(2));
    client
        .attach_disk()
        .region_id(REGION)
        .instance_id("i-b")
        .disk_id("vol-default-2")
        .send()
        .await
        .expect("attach applied");
    client
        .wait_until_disk_attached(REGION, "i-b", "vol-default-2", LONG)
        .await
        .unwrap();

    emulator.stall_next_replies("deleteInstance", 1, Duration::from_secs(2));
    client
        .delete_instance()
        .region_id(REGION)
        .instance_id("i-a")
        .send()
        .await
        .expect("delete applied");
    client
        .wait_until_instance_deleted(REGION, "i-a", LONG)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refusal_that_does_not_mean_applied_is_still_reported() {
    let emulator =
        emulator(json!({"instances": [instance("i-c", "running"), instance("i-d", "stopped")]}))
            .await;
    let client = impatient(&emulator);
    // No answer lost: a stop of a stopped instance is refused as it is, at once.
    let e = client
        .stop_instance()
        .region_id(REGION)
        .instance_id("i-d")
        .send()
        .await
        .expect_err("already stopped");
    assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus, "{e}");

    // A stop whose answer is lost, then a retry refused with what no declaration lists as
    // "applied": the refusal is reported, though the lost attempt did stop the instance.
    emulator.stall_next_replies("stopInstance", 1, Duration::from_secs(2));
    let stop = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .stop_instance()
                .region_id(REGION)
                .instance_id("i-c")
                .send()
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await; // the first attempt is in
    emulator.fail_next("stopInstance", 1, "StopChargingNeedsPostpaid");
    let e = stop.await.unwrap().expect_err("the retry's refusal");
    assert_eq!(e.kind(), ErrorKind::StopChargingNeedsPostpaid, "{e}");

    // Deleting an instance that never was, no answer lost: InstanceNotFound, not success.
    let e = client
        .delete_instance()
        .region_id(REGION)
        .instance_id("i-none")
        .send()
        .await
        .expect_err("no such instance");
    assert_eq!(e.kind(), ErrorKind::InstanceNotFound, "{e}");
}

#[tokio::test]
async fn elastic_ips_resizes_starts_and_reboots_whose_answers_are_lost_are_resolved() {
    let emulator = emulator(json!({})).await;
    let client = client(&emulator);
    let impatient = impatient(&emulator);
    let lost = Duration::from_secs(2);
    let id = create(&client, "eip").await;
    client
        .wait_until_instance_running(REGION, &id, LONG)
        .await
        .unwrap();

    emulator.stall_next_replies("associateElasticIp", 1, lost);
    impatient
        .associate_elastic_ip()
        .region_id(REGION)
        .instance_id(&id)
        .elastic_ip_id("fip-default-1")
        .send()
        .await
        .expect("the lost associate was applied");
    client
        .wait_until_elastic_ip_associated(REGION, &id, "fip-default-1", LONG)
        .await
        .expect("associated");
    emulator.stall_next_replies("disassociateElasticIp", 1, lost);
    impatient
        .disassociate_elastic_ip()
        .region_id(REGION)
        .instance_id(&id)
        .elastic_ip_id("fip-default-1")
        .send()
        .await
        .expect("the lost disassociate was applied");
    client
        .wait_until_elastic_ip_disassociated(REGION, &id, "fip-default-1", LONG)
        .await
        .expect("disassociated");

    client
        .stop_instance()
        .region_id(REGION)
        .instance_id(&id)
        .send()
        .await
        .unwrap();
    client
        .wait_until_instance_stopped(REGION, &id, LONG)
        .await
        .unwrap();
    emulator.stall_next_replies("resizeInstance", 1, lost);
    impatient
        .resize_instance()
        .region_id(REGION)
        .instance_id(&id)
        .instance_type("g.n2.large")
        .send()
        .await
        .expect("the lost resize was applied");
    client
        .wait_until_instance_resized(REGION, &id, "g.n2.large", LONG)
        .await
        .expect("resized");

    emulator.stall_next_replies("startInstance", 1, lost);
    impatient
        .start_instance()
        .region_id(REGION)
        .instance_id(&id)
        .send()
        .await
        .expect("the lost start was applied");
    client
        .wait_until_instance_running(REGION, &id, LONG)
        .await
        .unwrap();
    emulator.stall_next_replies("rebootInstance", 1, lost);
    impatient
        .reboot_instance()
        .region_id(REGION)
        .instance_id(&id)
        .send()
        .await
        .expect("the lost reboot was applied");
}
