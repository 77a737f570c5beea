//! A local emulator of the VM service's `attachNetworkInterface`, behind the `emulator` feature.
//!
//! No JD Cloud SDK offers a stand-in for the service, so code that attaches interfaces could
//! only be tested against a real account. [`Emulator`] is a real HTTP server on `127.0.0.1` that
//! behaves like JD Cloud's gateway and VM service for this one operation: it checks signatures,
//! dates and nonces like the gateway, and applies the documented preconditions, with the
//! documented messages, to a small in-memory world described by an [`EmulatorState`]. Any
//! client can use it: this crate's [`Client`](crate::Client), the official SDKs of other
//! languages, or `curl`, through the `jdcloud-vm-emulator` binary.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), jdcloud_vm::Error> {
//! use jdcloud_vm::emulator::{Emulator, EmulatorState};
//! use jdcloud_vm::{Client, Credentials, RetryConfig};
//!
//! let state = EmulatorState::from_json(r#"{
//!   "credentials": [{"access_key": "AK", "secret_key": "SK"}],
//!   "instances": [{"id": "i-eumm1234d6", "region": "cn-north-1", "az": "cn-north-1a",
//!                  "vpc": "vpc-1", "status": "running", "max_network_interfaces": 2, "busy": false}],
//!   "network_interfaces": [{"id": "port-n2h7abcdse", "region": "cn-north-1", "vpc": "vpc-1",
//!                           "owner": "AK", "elastic_ip_az": null, "attached_to": null, "primary": false}]
//! }"#)?;
//! let emulator = Emulator::start(state).await?;
//! let client = Client::builder()
//!     .credentials(Credentials::new("AK", "SK"))
//!     .endpoint(emulator.endpoint())
//!     .retry(RetryConfig::disabled())
//!     .build()?;
//! client
//!     .attach_network_interface()
//!     .region_id("cn-north-1")
//!     .instance_id("i-eumm1234d6")
//!     .body_map(|b| b.network_interface_id("port-n2h7abcdse"))
//!     .send()
//!     .await
//!     .map_err(jdcloud_vm::Error::from)?;
//! assert_eq!(emulator.attached_to("port-n2h7abcdse").as_deref(), Some("i-eumm1234d6"));
//! # Ok(())
//! # }
//! ```
//!
//! # What the gateway checks
//!
//! In this order, each failure a `401` with status `ACCESS_ERROR`:
//!
//! 1. an `Authorization` header (`lack of header authorization[gw]`) of the form
//!    `JDCLOUD2-HMAC-SHA256 Credential=AK/scope, SignedHeaders=…, Signature=…` (or `JDCLOUD3`);
//! 2. a known access key (`Invalid accessKey[gw]`);
//! 3. an `x-jdcloud-date` of the form `YYYYMMDDTHHMMSSZ`, at most 15 minutes from the
//!    emulator's clock ([`EmulatorConfig::clock_skew_limit`]);
//! 4. an `x-jdcloud-nonce`;
//! 5. for an access key whose state entry has a `security_token`, an
//!    `x-jdcloud-security-token` header carrying it base64-encoded (and no such header for
//!    other keys);
//! 6. the signature, recomputed over exactly the headers that `SignedHeaders` names, with the
//!    values received, the raw path, query and body (`sign result is not same [gw]`); a signed
//!    `x-jdcloud-content-sha256` must be the body's hash. Like the
//!    real gateway, it accepts the official Python SDK, which signs only `content-type;host`
//!    and sends the date and nonce unsigned;
//! 7. a nonce not seen within the replay window (twice the clock skew limit).
//!
//! `Authorization`, `x-jdcloud-date`, `x-jdcloud-nonce` and `x-jdcloud-security-token` must
//! each come at most once (`duplicate header NAME[gw]`): with two, which one counts would be
//! a guess.
//!
//! The headers' size limit (16 KiB in all, `431`), routing (`404`, `405`) and the body size
//! limit (64 KiB, `413`) come before the gateway, so a wrong endpoint or path shows up as such
//! rather than as a signature error.
//!
//! A client must start a request within 30 s of connecting or of its last answer, and send
//! it whole within 30 s of its first byte; otherwise its connection is closed, so that a
//! stalled or trickling client holds nothing for long, [`Emulator::shutdown`] included.
//!
//! # What the service checks
//!
//! After the body is parsed (`400 INVALID_ARGUMENT` when it is not JSON or lacks
//! `networkInterfaceId`; unknown fields such as the official SDKs' `regionId`, `instanceId`
//! are ignored), in this order, mirroring a real service (existence, then permission, then
//! state):
//!
//! | check | HTTP | status | message |
//! | --- | --- | --- | --- |
//! | the instance exists in the path's region | 404 | `NOT_FOUND` | `Instance 'ID' not found.` |
//! | the interface exists in the path's region | 404 | `NOT_FOUND` | `NetworkInterface 'ID' not found.` |
//! | the interface's `owner` is the caller's access key | 400 | `FAILED_PRECONDITION` | `No NetworkInterface permissions.` |
//! | the instance is `running` or `stopped` | 400 | `FAILED_PRECONDITION` | `Invalid instance status STATUS` |
//! | the instance has no task in progress | 400 | `FAILED_PRECONDITION` | `Conflict with underlay task TASKID` |
//! | the interface is not a primary one | 400 | `FAILED_PRECONDITION` | `NetworkInterface 'ID' is a primary network interface and cannot be attached` |
//! | the interface is attached nowhere | 400 | `FAILED_PRECONDITION` | `NetworkInterface has been attached on other device` |
//! | same VPC | 400 | `FAILED_PRECONDITION` | `NetworkInterface 'ID' and instance are not in the same vpc` |
//! | the elastic IP is in the instance's AZ, or `"*"` | 400 | `FAILED_PRECONDITION` | `ElasticIp 'EIP' and instance are not in the same az` |
//! | fewer interfaces attached than `max_network_interfaces` | 400 | `FAILED_PRECONDITION` | `Flavor constraints. NetworkInterface limit exceeded` |
//!
//! `max_network_interfaces` is the flavor's limit on all of an instance's interfaces: every
//! interface of the state whose `attached_to` is the instance counts, a primary one included
//! when it is listed there.
//!
//! A successful attach changes the state under one lock (so of many concurrent attaches of one
//! interface exactly one wins) and starts a task on the instance lasting
//! [`EmulatorConfig::task_duration`], during which further attaches to that instance get
//! `Conflict with underlay task`, as on the real service.
//!
//! Every answer carries a `requestId` in its body and the `x-jdcloud-request-id` header.

mod body;
mod date;
mod gateway;
mod handlers;
mod headers;
mod listener;
mod nonce;
mod query;
mod reply;
mod route;
mod server;
mod service;
mod state;
mod view;

pub use server::{Emulator, EmulatorConfig};
pub use state::EmulatorState;
