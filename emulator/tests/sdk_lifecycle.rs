//! Each resource's lifecycle through the SDK against the default world, and the documented
//! refusals the emulator makes, with their exact messages and error kinds.

use std::time::Duration;

use jdcloud_vm::{types, Client, Credentials, Error, ErrorKind, RetryConfig};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};
use serde_json::json;

const R: &str = "cn-north-1";
const TASK: Duration = Duration::from_millis(150);

async fn setup() -> (Emulator, Client) {
    let emulator = Emulator::start_with(
        EmulatorState::default(),
        EmulatorConfig::default().task_duration(TASK),
    )
    .await
    .unwrap();
    let client = Client::builder()
        .credentials(Credentials::new("AKEMULATOR", "SKEMULATOR"))
        .endpoint(emulator.endpoint())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();
    (emulator, client)
}

fn spec(name: &str) -> types::InstanceSpec {
    serde_json::from_value(json!({
        "az": "cn-north-1a", "instanceType": "g.n2.medium", "imageId": "img-centos-7", "name": name,
        "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default", "securityGroups": ["sg-default"]}},
    }))
    .unwrap()
}

/// A value as JSON: fields read the same whether the SDK makes them `Option`s or not.
fn j<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

/// The error's kind, status code and message.
fn refusal(e: Error) -> (ErrorKind, String, String) {
    (
        e.kind(),
        e.code().unwrap_or_default().to_owned(),
        e.message().unwrap_or_default().to_owned(),
    )
}

async fn status(client: &Client, id: &str) -> Option<String> {
    match client
        .describe_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
    {
        Ok(r) => j(&r.result)["instance"]["status"]
            .as_str()
            .map(str::to_owned),
        Err(e) if e.kind() == ErrorKind::InstanceNotFound => None,
        Err(e) => panic!("{e}"),
    }
}

async fn wait_status(client: &Client, id: &str, wanted: Option<&str>) {
    for _ in 0..100 {
        if status(client, id).await.as_deref() == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never reached {wanted:?}");
}

async fn create(client: &Client, name: &str, count: i64, token: &str) -> Vec<String> {
    client
        .create_instances()
        .region_id(R)
        .instance_spec(spec(name))
        .max_count(count)
        .client_token(token)
        .send()
        .await
        .unwrap()
        .result
        .instance_ids
        .clone()
}

#[tokio::test]
async fn instances_from_create_to_delete() {
    let (_emulator, client) = setup().await;
    let ids = create(&client, "web", 2, "token-a").await;
    assert_eq!(ids.len(), 2);
    assert_eq!(
        create(&client, "web", 2, "token-a").await,
        ids,
        "the same token, the same instances"
    );
    let listed = client
        .describe_instances()
        .region_id(R)
        .send()
        .await
        .unwrap();
    assert_eq!(j(&listed.result)["totalCount"], 2);
    let id = ids[0].as_str();
    assert_eq!(status(&client, id).await.as_deref(), Some("pending"));
    let e = client
        .stop_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskConflict, "{e}");
    wait_status(&client, id, Some("running")).await;

    let e = client
        .resize_instance()
        .region_id(R)
        .instance_id(id)
        .instance_type("g.n2.large")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Please stop the instance first.");
    client
        .stop_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap();
    wait_status(&client, id, Some("stopped")).await;
    client
        .resize_instance()
        .region_id(R)
        .instance_id(id)
        .instance_type("g.n2.large")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(TASK).await;
    client
        .start_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap();
    wait_status(&client, id, Some("running")).await;
    let instance = client
        .describe_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        j(&instance.result)["instance"]["instanceType"],
        "g.n2.large"
    );
    client
        .reboot_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap();
    wait_status(&client, id, Some("running")).await;

    client
        .modify_instance_attribute()
        .region_id(R)
        .instance_id(id)
        .description("web server")
        .send()
        .await
        .unwrap();
    let e = client
        .modify_instance_attribute()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e).2,
        "There are no modifiable properties in the parameter"
    );
    client
        .modify_instance_password()
        .region_id(R)
        .instance_id(id)
        .password("Passw0rd!x")
        .send()
        .await
        .unwrap();
    let e = client
        .modify_instance_password()
        .region_id(R)
        .instance_id(id)
        .password("password")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Invalid password");
    let statuses = client
        .describe_instance_status()
        .region_id(R)
        .send()
        .await
        .unwrap();
    assert_eq!(statuses.result.instance_statuses.len(), 2);
    let vnc = client
        .describe_instance_vnc_url()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap();
    assert!(j(&vnc.result)["vncUrl"]
        .as_str()
        .unwrap()
        .starts_with("https://"));

    for id in &ids {
        client
            .delete_instance()
            .region_id(R)
            .instance_id(id)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(status(&client, id).await.as_deref(), Some("deleting"));
    wait_status(&client, id, None).await;
    let e = client
        .describe_instance()
        .region_id(R)
        .instance_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e),
        (
            ErrorKind::InstanceNotFound,
            "NOT_FOUND".into(),
            format!("Instance '{id}' not found.")
        )
    );
}

#[tokio::test]
async fn quotas_and_documented_refusals_of_create() {
    let (_emulator, client) = setup().await;
    let e = client
        .create_instances()
        .region_id(R)
        .instance_spec(spec("q-test"))
        .max_count(21)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InstanceQuotaExceeded, "{e}");
    assert_eq!(e.http_status(), Some(429));
    assert_eq!(e.message(), Some("Instance quota limit exceeded"));
    let quotas = client.describe_quotas().region_id(R).send().await.unwrap();
    assert!(j(&quotas.result)["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .any(|q| q["resourceType"] == "instance"));

    let mut bad = serde_json::to_value(spec("q-test")).unwrap();
    bad["imageId"] = json!("img-nope");
    let e = client
        .create_instances()
        .region_id(R)
        .instance_spec(serde_json::from_value::<types::InstanceSpec>(bad).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).1.as_str(), "NOT_FOUND");
    let mut bad = serde_json::to_value(spec("q-test")).unwrap();
    bad["instanceType"] = json!("g.n9.huge");
    let e = client
        .create_instances()
        .region_id(R)
        .instance_spec(serde_json::from_value::<types::InstanceSpec>(bad).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "InstanceType 'g.n9.huge' not found");
}

#[tokio::test]
async fn disks_attach_and_detach() {
    let (_emulator, client) = setup().await;
    let id = create(&client, "disks", 1, "t-disks").await.remove(0);
    wait_status(&client, &id, Some("running")).await;
    client
        .attach_disk()
        .region_id(R)
        .instance_id(&id)
        .disk_id("vol-default-1")
        .send()
        .await
        .unwrap();
    let e = client
        .attach_disk()
        .region_id(R)
        .instance_id(&id)
        .disk_id("vol-default-2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TaskConflict, "{e}");
    tokio::time::sleep(TASK).await;
    let instance = client
        .describe_instance()
        .region_id(R)
        .instance_id(&id)
        .send()
        .await
        .unwrap();
    let disks = j(&instance.result)["instance"]["dataDisks"].clone();
    assert_eq!(disks.as_array().unwrap().len(), 1);
    assert_eq!(disks[0]["status"], "attached");
    let e = client
        .attach_disk()
        .region_id(R)
        .instance_id(&id)
        .disk_id("vol-default-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Disk 'vol-default-1' already attached");
    let e = client
        .attach_disk()
        .region_id(R)
        .instance_id(&id)
        .disk_id("vol-nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Disk 'vol-nope' not found.");
    client
        .detach_disk()
        .region_id(R)
        .instance_id(&id)
        .disk_id("vol-default-1")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(TASK).await;
    let instance = client
        .describe_instance()
        .region_id(R)
        .instance_id(&id)
        .send()
        .await
        .unwrap();
    assert!(j(&instance.result)["instance"]["dataDisks"]
        .as_array()
        .is_none_or(Vec::is_empty));
}

#[tokio::test]
async fn elastic_ips_and_interfaces() {
    let (_emulator, client) = setup().await;
    let ids = create(&client, "net", 2, "t-net").await;
    wait_status(&client, &ids[1], Some("running")).await;
    client
        .associate_elastic_ip()
        .region_id(R)
        .instance_id(&ids[0])
        .elastic_ip_id("fip-default-1")
        .send()
        .await
        .unwrap();
    let e = client
        .associate_elastic_ip()
        .region_id(R)
        .instance_id(&ids[1])
        .elastic_ip_id("fip-default-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "ElasticIp fip-default-1 already in use");
    let instance = client
        .describe_instance()
        .region_id(R)
        .instance_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(
        j(&instance.result)["instance"]["elasticIpId"],
        "fip-default-1"
    );
    client
        .disassociate_elastic_ip()
        .region_id(R)
        .instance_id(&ids[0])
        .elastic_ip_id("fip-default-1")
        .send()
        .await
        .unwrap();
    client
        .attach_network_interface()
        .region_id(R)
        .instance_id(&ids[0])
        .network_interface_id("port-default-1")
        .send()
        .await
        .unwrap();
    let e = client
        .attach_network_interface()
        .region_id(R)
        .instance_id(&ids[1])
        .network_interface_id("port-default-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NetworkInterfaceInUse, "{e}");
}

#[tokio::test]
async fn keypairs() {
    let (_emulator, client) = setup().await;
    let created = client
        .create_keypair()
        .region_id(R)
        .key_name("k1")
        .send()
        .await
        .unwrap();
    assert!(j(&created.result)["privateKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let e = client
        .create_keypair()
        .region_id(R)
        .key_name("k1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "KeyName 'k1' already in use");
    let e = client
        .import_keypair()
        .region_id(R)
        .key_name("k2")
        .public_key("ssh-rsa nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Malformed PublicKey k2");
    client
        .import_keypair()
        .region_id(R)
        .key_name("k2")
        .public_key("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAABADDoQE= me@host")
        .send()
        .await
        .unwrap();
    let id = create(&client, "keys", 1, "t-keys").await.remove(0);
    client
        .attach_keypair()
        .region_id(R)
        .key_name("k1")
        .instance_ids(vec![id.clone()])
        .pass_word_auth("yes")
        .send()
        .await
        .unwrap();
    let e = client
        .attach_keypair()
        .region_id(R)
        .key_name("k2")
        .instance_ids(vec![id.clone()])
        .pass_word_auth("yes")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e).2,
        format!("Already attached key pair. instance id {id}")
    );
    let listed = client
        .describe_keypairs()
        .region_id(R)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.result.keypairs.len(), 2);
    client
        .detach_keypair()
        .region_id(R)
        .key_name("k1")
        .instance_ids(vec![id])
        .send()
        .await
        .unwrap();
    client
        .delete_keypair()
        .region_id(R)
        .key_name("k1")
        .send()
        .await
        .unwrap();
    let e = client
        .delete_keypair()
        .region_id(R)
        .key_name("k1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Keypair 'k1' not found");
}

#[tokio::test]
async fn images() {
    let (_emulator, client) = setup().await;
    let public = client
        .describe_images()
        .region_id(R)
        .image_source("public")
        .send()
        .await
        .unwrap();
    assert!(public.result.images.len() >= 2);
    let id = create(&client, "img", 1, "t-img").await.remove(0);
    wait_status(&client, &id, Some("running")).await;
    let image = client
        .create_image()
        .region_id(R)
        .instance_id(&id)
        .name("mine")
        .send()
        .await
        .unwrap();
    let image = j(&image.result)["imageId"].as_str().unwrap().to_owned();
    let described = client
        .describe_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap();
    assert_eq!(j(&described.result)["image"]["status"], "pending");
    tokio::time::sleep(TASK).await;
    let described = client
        .describe_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap();
    assert_eq!(j(&described.result)["image"]["status"], "ready");
    let e = client
        .share_image()
        .region_id(R)
        .image_id(&image)
        .pins(vec!["nobody".to_string()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Pin 'nobody' not found");
    client
        .release_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap();
    client
        .un_release_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap();
    let e = client
        .delete_image()
        .region_id(R)
        .image_id("img-centos-7")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, "Can't delete this image");
    client
        .delete_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap();
    let e = client
        .describe_image()
        .region_id(R)
        .image_id(&image)
        .send()
        .await
        .unwrap_err();
    assert_eq!(refusal(e).2, format!("Image '{image}' not found"));
}

#[tokio::test]
async fn templates_and_instance_types() {
    let (_emulator, client) = setup().await;
    let types_ = client
        .describe_instance_types()
        .region_id(R)
        .send()
        .await
        .unwrap();
    assert!(types_.result.instance_types.len() >= 3);
    let data: types::InstanceTemplateSpec = serde_json::from_value(json!({
        "instanceType": "g.n2.medium", "imageId": "img-centos-7",
        "primaryNetworkInterface": {"networkInterface": {"subnetId": "subnet-default", "securityGroups": ["sg-default"]}},
        "systemDisk": {"diskCategory": "cloud", "cloudDiskSpec": {"diskType": "ssd.gp1", "diskSizeGB": 40}},
        "elasticIp": {"bandwidthMbps": 1, "provider": "bgp", "chargeMode": "bandwith"},
    }))
    .unwrap();
    let template = client
        .create_instance_template()
        .region_id(R)
        .name("tpl")
        .instance_template_data(data)
        .send()
        .await
        .unwrap();
    let template = j(&template.result)["instanceTemplateId"]
        .as_str()
        .unwrap()
        .to_owned();
    let from: types::InstanceSpec = serde_json::from_value(
        json!({"instanceTemplateId": template, "az": "cn-north-1b", "name": "from-tpl"}),
    )
    .unwrap();
    let ids = client
        .create_instances()
        .region_id(R)
        .instance_spec(from)
        .send()
        .await
        .unwrap();
    let instance = client
        .describe_instance()
        .region_id(R)
        .instance_id(&ids.result.instance_ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(j(&instance.result)["instance"]["az"], "cn-north-1b");
    client
        .delete_instance_template()
        .region_id(R)
        .instance_template_id(&template)
        .send()
        .await
        .unwrap();
    let e = client
        .describe_instance_template()
        .region_id(R)
        .instance_template_id(&template)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        refusal(e).2,
        format!("Instance Template '{template}' not found")
    );
}

#[tokio::test]
async fn describes_filter_and_page() {
    let (_emulator, client) = setup().await;
    let web = create(&client, "web", 12, "t-web").await;
    let db = create(&client, "db", 3, "t-db").await;
    let filter = |name: &str, values: &[&str]| -> types::Filter {
        serde_json::from_value(json!({"name": name, "values": values})).unwrap()
    };

    // Pages of ten: 15 instances, two pages, each instance once.
    let mut pages = client
        .describe_instances()
        .region_id(R)
        .page_size(10)
        .into_pages();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert_eq!(page.result.total_count, 15);
        seen.extend(
            page.result
                .instances
                .iter()
                .map(|i| j(i)["instanceId"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen.len(), 15);

    // `name` by substring, `instanceId` exactly, AND-ed.
    let named = client
        .describe_instances()
        .region_id(R)
        .filters(vec![filter("name", &["db"])])
        .send()
        .await
        .unwrap();
    assert_eq!(named.result.total_count, 3);
    let both = client
        .describe_instances()
        .region_id(R)
        .filters(vec![
            filter("name", &["web"]),
            filter("instanceId", &[&web[0], &db[0]]),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(both.result.total_count, 1);
    let statuses = client
        .describe_instance_status()
        .region_id(R)
        .filters(vec![filter("instanceId", &[&db[1]])])
        .send()
        .await
        .unwrap();
    assert_eq!(
        j(&statuses.result)["instanceStatuses"][0]["instanceId"],
        db[1].as_str()
    );
    let brief = client
        .describe_brief_instances()
        .region_id(R)
        .page_size(10)
        .send()
        .await
        .unwrap();
    assert_eq!(j(&brief.result)["instances"].as_array().unwrap().len(), 10);
    let ips = client
        .describe_instance_private_ip_address()
        .region_id(R)
        .send()
        .await
        .unwrap();
    assert_eq!(j(&ips.result)["totalCount"], 15);

    // Images by source and ids; instance types by name.
    let one = client
        .describe_images()
        .region_id(R)
        .ids(vec!["img-windows-2019".to_string()])
        .send()
        .await
        .unwrap();
    assert_eq!(j(&one.result)["images"][0]["osType"], "windows");
    let medium = client
        .describe_instance_types()
        .region_id(R)
        .filters(vec![filter("instanceTypes", &["g.n2.medium"])])
        .send()
        .await
        .unwrap();
    assert_eq!(j(&medium.result)["instanceTypes"][0]["nicLimit"], 2);

    // The documented refusal of a page size out of range, over HTTP: the SDK refuses it first.
    let e = client
        .describe_instances()
        .region_id(R)
        .page_size(5)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}
