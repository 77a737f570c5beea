//! A program with reqwest clients of its own, before and after the SDK's client: none of them
//! may panic, and the SDK's call must go through (see Cargo.toml).

use jdcloud_vm::{Client, Credentials};
use jdcloud_vm_emulator::{Emulator, EmulatorState};

const STATE: &str = r#"{
  "credentials": [{"access_key": "AKCHECK", "secret_key": "SKCHECK"}],
  "instances": [
    {"id": "i-check0001", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-check",
     "status": "running", "max_network_interfaces": 2, "busy": false}
  ],
  "network_interfaces": [
    {"id": "port-check001", "region": "cn-north-1", "vpc": "vpc-check", "owner": "AKCHECK",
     "elastic_ip_az": null, "attached_to": null, "primary": false}
  ]
}"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The program's own client, built before the SDK's.
    let before = reqwest::Client::new();

    let emulator = Emulator::start(EmulatorState::from_json(STATE)?).await?;
    let client = Client::builder()
        .credentials(Credentials::new("AKCHECK", "SKCHECK"))
        .endpoint(emulator.endpoint())
        .build()?;

    // And one built after.
    let after = reqwest::Client::new();

    // Plain HTTP through the program's own clients to a loopback listener (the emulator): any
    // answer will do (the request is not signed).
    for (name, http) in [("before", &before), ("after", &after)] {
        let status = http
            .get(format!(
                "{}/v1/regions/cn-north-1/instances",
                emulator.endpoint()
            ))
            .send()
            .await?
            .status();
        println!("own reqwest client ({name} the SDK's): HTTP {status}");
    }

    let response = client
        .attach_network_interface()
        .region_id("cn-north-1")
        .instance_id("i-check0001")
        .network_interface_id("port-check001")
        .send()
        .await?;
    println!(
        "SDK: attached port-check001 to i-check0001 (request id {})",
        response.into_inner().request_id
    );
    emulator.shutdown().await;
    Ok(())
}
