//! The everyday loop of a VM instance: create, wait until running, attach a disk, stop, resize,
//! start, detach, delete, wait until gone.
//!
//! ```text
//! cargo run --example instance_lifecycle                                # no account: the emulator
//! cargo run --example instance_lifecycle -- REGION AZ SUBNET_ID DISK_ID # your account (billed!)
//! ```
//!
//! With no credentials it runs against the emulator's default world (`EmulatorState::default()`:
//! public images, instance types, the subnet `subnet-default`, the disk `vol-default-1`), with
//! tasks of half a second. With credentials in the environment or `~/.jdc/config` and four
//! arguments it does the same through JD Cloud: it creates a pay-as-you-go instance (billed
//! while it lives) and deletes it at the end.

use std::time::Duration;

use jdcloud_vm::{types, Client, Credentials, ErrorKind};
use jdcloud_vm_emulator::{Emulator, EmulatorConfig, EmulatorState};

/// JD Cloud runs each change as a task of seconds to minutes.
const WAIT: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has_credentials =
        Credentials::from_env().is_ok() || Credentials::from_profile(None).is_ok();
    if let ([region, az, subnet, disk], true) = (args.as_slice(), has_credentials) {
        println!("through JD Cloud, region {region}: this creates a billed instance");
        return lifecycle(&Client::from_env()?, region, az, subnet, disk).await;
    }
    let config = EmulatorConfig::default().task_duration(Duration::from_millis(500));
    let emulator = Emulator::start_with(EmulatorState::default(), config).await?;
    println!("emulator listening on {}", emulator.endpoint());
    let client = Client::builder()
        .credentials(Credentials::new("AKEMULATOR", "SKEMULATOR"))
        .endpoint(emulator.endpoint())
        .build()?;
    lifecycle(
        &client,
        "cn-north-1",
        "cn-north-1a",
        "subnet-default",
        "vol-default-1",
    )
    .await
}

async fn lifecycle(
    client: &Client,
    region: &str,
    az: &str,
    subnet: &str,
    disk: &str,
) -> anyhow::Result<()> {
    // A public CentOS image and the smallest instance type on sale.
    let images = client
        .describe_images()
        .region_id(region)
        .image_source("public")
        .platform("CentOS")
        .send()
        .await?;
    let image = images
        .result
        .images
        .first()
        .and_then(|i| i.image_id.clone());
    let image = image.ok_or_else(|| anyhow::anyhow!("no public CentOS image in {region}"))?;
    let types = client
        .describe_instance_types()
        .region_id(region)
        .send()
        .await?;
    let instance_type = types
        .result
        .instance_types
        .iter()
        .filter_map(|t| Some((t.cpu?, t.memory_mb?, t.instance_type.clone()?)))
        .min()
        .map(|(_, _, name)| name)
        .ok_or_else(|| anyhow::anyhow!("no instance type in {region}"))?;
    println!("image {image}, instance type {instance_type}");

    // createInstances carries a client token: the SDK makes one per call, the same on every
    // retry, so a lost answer never creates a second instance.
    let spec = types::InstanceSpec::builder()
        .az(az)
        .instance_type(instance_type)
        .image_id(image)
        .name("web-1")
        .description("created by jdcloud-vm's example")
        .primary_network_interface(
            types::InstanceNetworkInterfaceAttachmentSpec::builder()
                .network_interface(types::NetworkInterfaceSpec::builder().subnet_id(subnet)),
        )
        .system_disk(
            types::InstanceDiskAttachmentSpec::builder()
                .disk_category("cloud")
                .cloud_disk_spec(
                    types::DiskSpec::builder()
                        .disk_type("ssd.gp1")
                        .disk_size_gb(40),
                ),
        );
    let created = client
        .create_instances()
        .region_id(region)
        .instance_spec(spec)
        .max_count(1)
        .send()
        .await?;
    let instance = created.result.instance_ids[0].as_str();
    println!("created {instance} (request id {})", created.request_id);
    client
        .wait_until_instance_running(region, instance, WAIT)
        .await?;
    println!("{instance} is running");

    client
        .attach_disk()
        .region_id(region)
        .instance_id(instance)
        .disk_id(disk)
        .auto_delete(false)
        .send()
        .await?;
    client
        .wait_until_disk_attached(region, instance, disk, WAIT)
        .await?;
    println!("{disk} attached");

    // A documented refusal has a kind of its own: resizing needs a stopped instance
    // (`Please stop the instance first`).
    let refused = client
        .resize_instance()
        .region_id(region)
        .instance_id(instance)
        .instance_type("g.n2.large")
        .send()
        .await
        .expect_err("a running instance cannot be resized");
    assert_eq!(refused.kind(), ErrorKind::PleaseStopInstanceFirst);
    println!("refused, as documented ({:?}): {refused}", refused.kind());

    client
        .stop_instance()
        .region_id(region)
        .instance_id(instance)
        .send()
        .await?;
    client
        .wait_until_instance_stopped(region, instance, WAIT)
        .await?;
    println!("{instance} stopped");
    client
        .resize_instance()
        .region_id(region)
        .instance_id(instance)
        .instance_type("g.n2.large")
        .send()
        .await?;
    client
        .wait_until_instance_resized(region, instance, "g.n2.large", WAIT)
        .await?;
    client
        .start_instance()
        .region_id(region)
        .instance_id(instance)
        .send()
        .await?;
    client
        .wait_until_instance_running(region, instance, WAIT)
        .await?;
    let described = client
        .describe_instance()
        .region_id(region)
        .instance_id(instance)
        .send()
        .await?;
    println!(
        "{instance} resized to {} and running again",
        described
            .result
            .instance
            .instance_type
            .as_deref()
            .unwrap_or("?")
    );

    client
        .detach_disk()
        .region_id(region)
        .instance_id(instance)
        .disk_id(disk)
        .send()
        .await?;
    client
        .wait_until_disk_detached(region, instance, disk, WAIT)
        .await?;
    client
        .delete_instance()
        .region_id(region)
        .instance_id(instance)
        .send()
        .await?;
    client
        .wait_until_instance_deleted(region, instance, WAIT)
        .await?;
    println!("{instance} deleted");
    Ok(())
}
