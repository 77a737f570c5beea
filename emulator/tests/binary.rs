//! The binary with no `--state` serves the default world and prints what to paste.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
};

use jdcloud_vm::{Client, Credentials};

#[tokio::test]
async fn no_state_serves_the_default_world_and_prints_the_environment() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jdcloud-vm-emulator"))
        .args(["--quiet", "--task-duration-ms", "10"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let endpoint = first
        .strip_prefix("listening on ")
        .expect(&first)
        .to_owned();
    let env: Vec<String> = lines.by_ref().take(3).map(Result::unwrap).collect();
    assert_eq!(
        env,
        [
            format!("JDCLOUD_ENDPOINT={endpoint}"),
            "JDCLOUD_ACCESS_KEY_ID=AKEMULATOR".to_owned(),
            "JDCLOUD_SECRET_ACCESS_KEY=SKEMULATOR".to_owned(),
        ]
    );
    let client = Client::builder()
        .credentials(Credentials::new("AKEMULATOR", "SKEMULATOR"))
        .endpoint(&endpoint)
        .build()
        .unwrap();
    let listed = client
        .describe_instances()
        .region_id("cn-north-1")
        .send()
        .await;
    child.kill().unwrap();
    let _ = child.wait();
    let listed = listed.unwrap();
    assert!(listed.result.instances.is_empty());
}
