//! The quick start: attach an elastic network interface to a VM instance.
//!
//! ```text
//! cargo run --features emulator --example attach_network_interface                      # no account: embedded emulator
//! cargo run --features emulator --example attach_network_interface -- REGION INSTANCE PORT  # your account
//! ```
//!
//! With credentials in the environment (`JDCLOUD_ACCESS_KEY_ID`/`JDCLOUD_SECRET_ACCESS_KEY`) or
//! the jdcloud CLI's profile (`~/.jdc/config`) and three arguments, it attaches the interface
//! through the real endpoint. Otherwise it starts the embedded emulator with a small demo state,
//! attaches an interface, then tries a second attach that the service refuses.

use jdcloud_vm::{
    emulator::{Emulator, EmulatorState},
    Client, Credentials, Error,
};

/// The emulator's demo world: two running instances in one VPC, one free interface.
const DEMO_STATE: &str = r#"{
  "credentials": [{"access_key": "AKDEMO", "secret_key": "SKDEMO"}],
  "instances": [
    {"id": "i-demo00001", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-demo",
     "status": "running", "max_network_interfaces": 2, "busy": false},
    {"id": "i-demo00002", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-demo",
     "status": "running", "max_network_interfaces": 2, "busy": false}
  ],
  "network_interfaces": [
    {"id": "port-demo0001", "region": "cn-north-1", "vpc": "vpc-demo", "owner": "AKDEMO",
     "elastic_ip_az": null, "attached_to": null, "primary": false}
  ]
}"#;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has_credentials =
        Credentials::from_env().is_ok() || Credentials::from_profile(None).is_ok();

    if let ([region, instance, interface], true) = (args.as_slice(), has_credentials) {
        let client = Client::from_env()?;
        println!("attaching {interface} to {instance} in {region} through JD Cloud…");
        let response = client
            .attach_network_interface()
            .region_id(region.as_str())
            .instance_id(instance.as_str())
            .body_map(|b| b.network_interface_id(interface.as_str()))
            .send()
            .await?;
        println!("attached: request id {}", response.into_inner().request_id);
        return Ok(());
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

    let first = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-demo00001")
        .body_map(|b| b.network_interface_id("port-demo0001").auto_delete(false))
        .send()
        .await?;
    println!(
        "1. attach port-demo0001 to i-demo00001: ok (request id {})",
        first.into_inner().request_id
    );

    let second = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-demo00002")
        .body_map(|b| b.network_interface_id("port-demo0001"))
        .send()
        .await
        .map_err(Error::from);
    match second {
        Ok(r) => println!("2. unexpectedly attached twice (request id {})", r.into_inner().request_id),
        Err(e) => println!(
            "2. attach port-demo0001 to i-demo00002: refused\n   kind:       {:?}\n   code:       {}\n   message:    {}\n   request id: {}",
            e.kind(),
            e.code().unwrap_or("-"),
            e.message().unwrap_or("-"),
            e.request_id().unwrap_or("-"),
        ),
    }
    Ok(())
}
