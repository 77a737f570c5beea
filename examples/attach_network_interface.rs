//! The quick start: the life of an elastic network interface on a VM instance.
//!
//! ```text
//! cargo run --example attach_network_interface                         # no account: embedded emulator
//! cargo run --example attach_network_interface -- REGION INSTANCE PORT  # your account
//! ```
//!
//! It attaches the interface, waits until the attachment has taken effect, finds the instance
//! that holds the interface, detaches it and waits again. Against the embedded emulator it also
//! shows two refusals, with their kind, code, message and request id: a second attach of the
//! interface to another instance, and a detach of an instance's primary interface.
//!
//! With credentials in the environment (`JDCLOUD_ACCESS_KEY_ID`/`JDCLOUD_SECRET_ACCESS_KEY`) or
//! the jdcloud CLI's profile (`~/.jdc/config`) and three arguments, it does the same through the
//! real endpoint (without the refusals, which need a second instance and a primary interface).

use std::time::{Duration, Instant};

use jdcloud_vm::{types::Filter, Client, Credentials, Error};
use jdcloud_vm_emulator::{Emulator, EmulatorState};

/// The emulator's demo world: two running instances in one VPC, each with its primary
/// interface, and one free interface.
const DEMO_STATE: &str = r#"{
  "credentials": [{"access_key": "AKDEMO", "secret_key": "SKDEMO"}],
  "instances": [
    {"id": "i-demo00001", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-demo",
     "status": "running", "max_network_interfaces": 3},
    {"id": "i-demo00002", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-demo",
     "status": "running", "max_network_interfaces": 3}
  ],
  "network_interfaces": [
    {"id": "port-demo0001", "region": "cn-north-1", "vpc": "vpc-demo", "owner": "AKDEMO"},
    {"id": "port-primary1", "region": "cn-north-1", "vpc": "vpc-demo", "owner": "AKDEMO",
     "attached_to": "i-demo00001", "primary": true},
    {"id": "port-primary2", "region": "cn-north-1", "vpc": "vpc-demo", "owner": "AKDEMO",
     "attached_to": "i-demo00002", "primary": true}
  ]
}"#;

/// How long to wait for an attachment to take effect: JD Cloud says it may take minutes.
const WAIT: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has_credentials =
        Credentials::from_env().is_ok() || Credentials::from_profile(None).is_ok();
    if let ([region, instance, interface], true) = (args.as_slice(), has_credentials) {
        println!("through JD Cloud, region {region}");
        let client = Client::from_env()?;
        return lifecycle(&client, region, instance, interface).await;
    }
    if !args.is_empty() && !has_credentials {
        eprintln!("no credentials found (environment or ~/.jdc/config): running against the emulator instead");
    }

    // No account: the same client, against the embedded emulator.
    let emulator = Emulator::start(EmulatorState::from_json(DEMO_STATE)?).await?;
    println!("emulator listening on {}", emulator.endpoint());
    let client = Client::builder()
        .credentials(Credentials::new("AKDEMO", "SKDEMO"))
        .endpoint(emulator.endpoint())
        .build()?;
    let (region, instance, interface) = ("cn-north-1", "i-demo00001", "port-demo0001");

    attach_and_wait(&client, region, instance, interface).await?;
    find_holder(&client, region, interface).await?;

    let refused = client
        .attach_network_interface()
        .region_id(region)
        .instance_id("i-demo00002")
        .network_interface_id(interface)
        .send()
        .await;
    show_refusal(
        &format!("attach {interface} to i-demo00002 as well"),
        refused.err(),
    );

    let refused = client
        .detach_network_interface()
        .region_id(region)
        .instance_id(instance)
        .network_interface_id("port-primary1")
        .send()
        .await;
    show_refusal(
        &format!("detach the primary interface of {instance}"),
        refused.err(),
    );

    detach_and_wait(&client, region, instance, interface).await
}

/// Against JD Cloud: attach, wait, find, detach, wait.
async fn lifecycle(
    client: &Client,
    region: &str,
    instance: &str,
    interface: &str,
) -> anyhow::Result<()> {
    attach_and_wait(client, region, instance, interface).await?;
    find_holder(client, region, interface).await?;
    detach_and_wait(client, region, instance, interface).await
}

async fn attach_and_wait(
    client: &Client,
    region: &str,
    instance: &str,
    interface: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let attached = client
        .attach_network_interface()
        .region_id(region)
        .instance_id(instance)
        .network_interface_id(interface)
        .auto_delete(false)
        .send()
        .await?;
    println!(
        "attach {interface} to {instance}: accepted (request id {})",
        attached.request_id
    );
    client
        .wait_until_attached(region, instance, interface, WAIT)
        .await?;
    println!("  attached after {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn find_holder(client: &Client, region: &str, interface: &str) -> anyhow::Result<()> {
    let found = client
        .describe_instances()
        .region_id(region)
        .filters(vec![Filter {
            name: "networkInterfaceId".into(),
            operator: None,
            values: vec![interface.into()],
        }])
        .send()
        .await?;
    for holder in &found.result.instances {
        println!(
            "find the instance holding {interface}: {} ({})",
            holder.instance_id.as_deref().unwrap_or("?"),
            holder.status.as_deref().unwrap_or("?"),
        );
    }
    Ok(())
}

async fn detach_and_wait(
    client: &Client,
    region: &str,
    instance: &str,
    interface: &str,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let detached = client
        .detach_network_interface()
        .region_id(region)
        .instance_id(instance)
        .network_interface_id(interface)
        .send()
        .await?;
    println!(
        "detach {interface} from {instance}: accepted (request id {})",
        detached.request_id
    );
    client
        .wait_until_detached(region, instance, interface, WAIT)
        .await?;
    println!("  detached after {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn show_refusal(what: &str, error: Option<Error>) {
    match error {
        None => println!("{what}: unexpectedly accepted"),
        Some(e) => println!(
            "{what}: refused\n  kind:       {:?}\n  code:       {}\n  message:    {}\n  request id: {}",
            e.kind(),
            e.code().unwrap_or("-"),
            e.message().unwrap_or("-"),
            e.request_id().unwrap_or("-"),
        ),
    }
}
