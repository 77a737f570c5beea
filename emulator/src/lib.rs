//! A local emulator of JD Cloud's VM API, for testing code that creates, waits for, changes
//! and deletes instances, disks, images, keypairs and templates, in Rust or in any language,
//! with no JD Cloud account.
//!
//! [`Emulator`] is a real HTTP server on `127.0.0.1` that behaves like JD Cloud's gateway and
//! VM service: it checks signatures, dates and nonces like the gateway, then serves **every
//! operation of the spec** (`spec/vm.yaml` of the `jdcloud-vm` crate, embedded in it as
//! `jdcloud_vm::SPEC_YAML`):
//!
//! - **routing** by the operation's method and path template (`/{instanceId}:stopInstance`
//!   included), from the spec: a path of no operation is `404`, another method `405` with
//!   `Allow`;
//! - **reading and checking** the path, the query (JD Cloud's indexed form,
//!   `filters.1.name=…&filters.1.values.1=…`) and the JSON body against the spec's schemas:
//!   types, `required`, `pattern`, lengths, ranges, `enum`, list sizes; a request the SDK would
//!   refuse gets JD Cloud's `400 INVALID_ARGUMENT` naming the field (`instanceSpec.name is
//!   required`, `pageSize must be an integer, not 'x'`). A query parameter the operation does
//!   not take, or a filter it does not document, is refused by name too. The body is then read
//!   into the SDK's generated type of it (`jdcloud_vm::types::<Op>Request`), whose own checks
//!   must agree;
//! - **behaviour**, the only hand-written part of an operation (`src/resources/`, one file per
//!   resource): the documented preconditions with the documented messages, tasks that take a
//!   while, describes that reflect the world with the documented filters and paging, quotas
//!   (`429 QUOTA_EXCEEDED`), and `clientToken` idempotency;
//! - **answers** in JD Cloud's format, `{"requestId", "result"}` or `{"requestId", "error":
//!   {"code", "status", "message"}}`, with the `x-jdcloud-request-id` header. In debug builds
//!   (tests) every `result` is held to the spec's schema and must be readable by the SDK's
//!   generated type of it (`jdcloud_vm::types::<Op>Result`): a behaviour that answers a field
//!   of the wrong type gets a `500` naming it.
//!
//! Any client can use it: `jdcloud_vm`'s [`Client`](jdcloud_vm::Client), the official SDKs of
//! other languages or `curl`, through the `jdcloud-vm-emulator` binary.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), jdcloud_vm::Error> {
//! use jdcloud_vm_emulator::{Emulator, EmulatorState};
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
//!     .network_interface_id("port-n2h7abcdse")
//!     .send()
//!     .await?;
//! assert_eq!(emulator.attached_to("port-n2h7abcdse").as_deref(), Some("i-eumm1234d6"));
//! # Ok(())
//! # }
//! ```
//!
//! # The default world
//!
//! [`EmulatorState::default()`], and the binary with no `--state`:
//!
//! - credentials: access key `AKEMULATOR`, secret key `SKEMULATOR` (the binary prints
//!   `listening on http://ADDR`, then `JDCLOUD_ENDPOINT=…`, `JDCLOUD_ACCESS_KEY_ID=AKEMULATOR`
//!   and `JDCLOUD_SECRET_ACCESS_KEY=SKEMULATOR`, to paste);
//! - region `cn-north-1`, availability zones `cn-north-1a` and `cn-north-1b` (and `cn-east-2`
//!   with `cn-east-2a`, to copy images to); VPC `vpc-default`, subnet `subnet-default`,
//!   security group `sg-default`;
//! - public images `img-centos-7` (CentOS 7.9), `img-ubuntu-2204` (Ubuntu 22.04) and
//!   `img-windows-2019` (Windows Server 2019), ready, 40 GiB system disks;
//! - instance types `g.n2.medium` (1 vCPU, 4 GiB, 2 interfaces, 8 data disks), `g.n2.large`
//!   (2, 8 GiB, 3, 8), `g.n2.xlarge` (4, 16 GiB, 4, 16), `c.n2.large` (2, 4 GiB, 3, 8), in stock
//!   in every zone;
//! - quotas: 20 instances, 10 keypairs, 10 images, 10 instance templates, 10 shares per image;
//! - data disks `vol-default-1` and `vol-default-2` (cloud, `ssd.gp1`, 20 GiB, available,
//!   `cn-north-1a`), elastic IP `fip-default-1` (`cn-north-1a`, `116.196.1.10`), network
//!   interface `port-default-1` (secondary, free, `vpc-default`), all owned by `AKEMULATOR`;
//! - no instances, keypairs or templates.
//!
//! # The state file
//!
//! JSON, every section but `credentials` optional
//! (`credentials`, `instances` and `network_interfaces` as in the interface lifecycle's file, see [`EmulatorState`]); a field not
//! listed is refused, so that a misspelt one does not silently take its default:
//!
//! | section | entries  |
//! | --- | --- |
//! | `azs` | `region` (default `cn-north-1`), `az` |
//! | `subnets` | `id`, `region`, `vpc` |
//! | `security_groups` | `id`, `region`, `vpc`, `name` |
//! | `images` | `id`, `region`, `name`, `platform` (default `Linux`), `os_version`, `source` (default `private`; `public`, …), `status` (default `ready`), `owner` (an access key), `system_disk_size_gb` (default 40), `root_device_type` (default `cloudDisk`), `description`, `shared_with` (access keys), `released`, `architecture` (default `x86_64`), `create_time` |
//! | `instance_types` | `name`, `family`, `cpu`, `memory_mb`, `nic_limit` (default 2), `disk_limit` (default 8), `gpu` |
//! | `quotas` | `resource_type` (`instance`, `keypair`, `image`, `instanceTemplate`, `imageShare`), `limit`; a type without one is unlimited |
//! | `disks` | `id`, `region`, `az` (default `cn-north-1a`), `size_gb` (default 20), `disk_type` (default `ssd.gp1`), `owner`, `attached_to`, `device_name`, `auto_delete`, `system`, `name` |
//! | `elastic_ips` | `id`, `region`, `az` (`"*"`: all), `address`, `owner` |
//! | `keypairs` | `name`, `region`, `owner`, `public_key`, `fingerprint`, `create_time` |
//! | `templates` | `id`, `region`, `name`, `description`, `data` (an `InstanceTemplateData`), `owner` |
//! | `image_tasks` | `id`, `region`, `action`, `image_id`, … |
//!
//! Instances take, besides the interface lifecycle's fields, `image_id`, `key_names`,
//! `hostname`, `description`, `launch_time`, `charge_mode`, `tags` (an object), `owner`.
//! [`Emulator::snapshot`] then [`EmulatorState::to_json`] saves a running world.
//!
//! # Tasks
//!
//! A change runs as a task on its instance, [`EmulatorConfig::task_duration`] long (2 s by
//! default; `--task-duration-ms` for the binary): the change is committed at once, the
//! describes show a transitional status while the task runs (`pending` after
//! `createInstances`, `starting`, `stopping`, `rebooting`, `resizing`, `rebuilding`,
//! `deleting`, …; a disk `attaching` or `detaching`), and the instance refuses other changes
//! with `400 FAILED_PRECONDITION Conflict with underlay task task-…`. A deleted instance is
//! `404 Instance '…' not found.` once its task ends, and its `autoDelete` disks and interfaces
//! go with it. Images made by `createImage`, `copyImages`, `importImage`,
//! `createImageFromSnapshots` show `pending` for a task's duration, then `ready`.
//!
//! # Idempotency
//!
//! A `clientToken` (`createInstances`, `importImage`, `exportImage`, `createImageFromSnapshots`)
//! is remembered with its answer, per access key and operation: the same token again answers
//! the same (the same instance ids) and creates nothing, however many calls race on it (every
//! operation runs under the world's one lock).
//!
//! # Faults on demand
//!
//! For any operation, by the name JD Cloud gives it: [`Emulator::stall_next_replies`] applies
//! calls and holds their answers back (an answer lost to a client's timeout);
//! [`Emulator::fail_next`] refuses calls, unapplied, with an error the operation documents
//! (`"TaskConflict"`, `"InternalServerError"`, …). Clients in other languages get the same
//! from the emulator's own endpoint, which takes no signature:
//!
//! ```text
//! curl -X POST http://127.0.0.1:8000/__emulator/faults \
//!      -d '{"operation": "createInstances", "count": 2, "error": "InternalServerError"}'
//! curl -X POST http://127.0.0.1:8000/__emulator/faults \
//!      -d '{"operation": "describeInstance", "count": 1, "stall_ms": 30000}'
//! ```
//!
//! It answers `{"requestId": …}`, or `400 INVALID_ARGUMENT` naming an unknown operation or
//! error (with the names the operation documents).
//!
//! # A new operation
//!
//! A new operation in the spec is routed, read, checked and answered with no change here; its
//! behaviour is a function in the file of its resource (`src/resources/`), matched by name in
//! that file's `call`, taking the checked arguments as one JSON object and returning its
//! `result`. Until it has one, the emulator accepts it and answers an empty result.
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
//!    values received, the raw path, query and body (`sign result is not same [gw]`), so a
//!    `describeInstances` whose filters were changed on the way fails here; a signed
//!    `x-jdcloud-content-sha256` must be the body's hash. Like the
//!    real gateway, it accepts the official Python SDK, which signs only `content-type;host`
//!    and sends the date and nonce unsigned;
//! 7. a nonce not seen within the replay window (twice the clock skew limit).
//!
//! `Authorization`, `x-jdcloud-date`, `x-jdcloud-nonce` and `x-jdcloud-security-token` must
//! each come at most once (`duplicate header NAME[gw]`): with two, which one counts would be
//! a guess.
//!
//! The headers' size limit (16 KiB in all, `431`), the URL's (8 KiB of path and query, `414`,
//! the real gateway's limit), routing (`404` for an unknown path; `405` with `Allow` for
//! another method on a known one: `POST` for attach and detach, `GET` for the describes) and
//! the body size limit (64 KiB, `413`) come before the gateway, so a wrong endpoint or path
//! shows up as such rather than as a signature error.
//!
//! A client must start a request within 30 s of connecting or of its last answer, and send
//! it whole within 30 s of its first byte; otherwise its connection is closed, so that a
//! stalled or trickling client holds nothing for long, [`Emulator::shutdown`] included.
//!
//! # What the service checks
//!
//! ## attachNetworkInterface
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
//! | the interface is attached nowhere, and no task in progress is detaching it | 400 | `FAILED_PRECONDITION` | `NetworkInterface has been attached on other device` |
//! | same VPC | 400 | `FAILED_PRECONDITION` | `NetworkInterface 'ID' and instance are not in the same vpc` |
//! | the elastic IP is in the instance's AZ, or `"*"` | 400 | `FAILED_PRECONDITION` | `ElasticIp 'EIP' and instance are not in the same az` |
//! | fewer interfaces attached than `max_network_interfaces` | 400 | `FAILED_PRECONDITION` | `Flavor constraints. NetworkInterface limit exceeded` |
//!
//! `max_network_interfaces` is the flavor's limit on all of an instance's interfaces: every
//! interface of the state whose `attached_to` is the instance counts, a primary one included
//! when it is listed there. An interface attached to the same instance already gets `has been
//! attached on other device` too (JD Cloud does not document that case).
//!
//! ## detachNetworkInterface
//!
//! After the body is parsed (as for attach: `networkInterfaceId` required, other fields
//! ignored), in this order:
//!
//! | check | HTTP | status | message |
//! | --- | --- | --- | --- |
//! | the instance exists in the path's region | 404 | `NOT_FOUND` | `Instance 'ID' not found.` |
//! | the interface exists in the path's region | 404 | `NOT_FOUND` | `NetworkInterface 'ID' not found.` |
//! | the interface's `owner` is the caller's access key | 400 | `FAILED_PRECONDITION` | `No NetworkInterface permissions.` |
//! | the instance is `running` or `stopped` | 400 | `FAILED_PRECONDITION` | `Invalid instance status STATUS` |
//! | the instance has no task in progress | 400 | `FAILED_PRECONDITION` | `Conflict with underlay task TASKID` |
//! | the interface is not the instance's primary one | 400 | `FAILED_PRECONDITION` | `Can't detach primaryNetworkInterface` |
//! | the interface is attached to the instance | 400 | `FAILED_PRECONDITION` | `NetworkInterface 'NIC' is not attached to instance 'ID'` |
//!
//! The last message is the emulator's own (JD Cloud documents none for that case). A detach
//! clears the interface's `auto_delete`.
//!
//! ## describeInstance
//!
//! `404 NOT_FOUND` `Instance 'ID' not found.` for an instance that is not in the path's
//! region; otherwise the instance. A query, which the operation does not take, is ignored
//! (it is signed like any other). Every valid access key sees every instance.
//!
//! ## describeInstances
//!
//! The path's region's instances, in the state file's order, those matching every filter,
//! then one page of them; `totalCount` is how many matched, whatever the page.
//!
//! - `pageNumber`: from 1, default 1 (`0` or less: `400 OUT_OF_RANGE` `PageNumber out of
//!   range`); a page past the last is empty.
//! - `pageSize`: 10 to 100, default 20; outside: `400 OUT_OF_RANGE` `PageSize out of range`.
//!   Not an integer (either of them): `400 INVALID_ARGUMENT` `pageSize must be an integer, not
//!   'VALUE'`.
//! - `filters`, in JD Cloud's indexed form: `filters.N.name`, `filters.N.operator` (optional),
//!   `filters.N.values.M`, with `N` and `M` numbers from 1 (so `filters.10.*` is the tenth
//!   filter, whatever the order of the query). Names and values are percent-decoded, `+` as a
//!   space, bytes that are not UTF-8 as U+FFFD. The values of one filter are OR-ed, filters
//!   AND-ed. Filters see what the describe answers show, so a change shows in them when its
//!   task ends.
//!
//! | filter name | matches |
//! | --- | --- |
//! | `instanceId` | the instance's id |
//! | `status` | its status |
//! | `az` | its availability zone |
//! | `vpcId` | its VPC |
//! | `networkInterfaceId` | the id of its primary or of one of its secondary interfaces |
//! | `subnetId` | its subnet |
//! | `instanceType` | its instance type |
//! | `name` | its name, by substring (JD Cloud's `模糊匹配`) |
//! | `privateIpAddress` | the primary IP of one of its interfaces, by substring |
//!
//! Operators: `eq` (the default) and `in` compare exactly (by substring for `name` and
//! `privateIpAddress`), `like` by substring. Where JD Cloud might ignore something, the
//! emulator refuses it with `400 INVALID_ARGUMENT` naming it, so that a misspelt filter cannot
//! silently match every instance: another filter name (`Unsupported filter name 'X' in
//! filters.N: the emulator supports …`; JD Cloud knows more, e.g. `imageId`, which the state
//! has nothing for), another operator, a filter without `name` or without values, any other
//! query parameter (`tags.*` included: instances have no tags here), a parameter given twice.
//!
//! # Instances as the describes show them
//!
//! As JD Cloud's `Instance`, keys without a value omitted (no `secondaryNetworkInterfaces`
//! key for an instance without secondary interfaces, no `primaryNetworkInterface` for one
//! whose state lists no primary interface, no `elasticIpId` without an elastic IP):
//!
//! ```json
//! {"instanceId": "i-1", "instanceName": "i-1", "instanceType": "g.n2.medium", "status": "running",
//!  "az": "cn-north-1a", "vpcId": "vpc-1", "subnetId": "subnet-1", "privateIpAddress": "10.…",
//!  "primaryNetworkInterface": {"deviceIndex": 1, "autoDelete": true, "networkInterface": {
//!      "networkInterfaceId": "port-p", "macAddress": "fa:16:3e:…", "vpcId": "vpc-1",
//!      "subnetId": "subnet-1", "primaryIp": {"privateIpAddress": "10.…"}}},
//!  "secondaryNetworkInterfaces": [{"deviceIndex": 2, "autoDelete": false, "networkInterface": {…}}]}
//! ```
//!
//! - `primaryNetworkInterface` is the interface marked `primary` attached to the instance
//!   (`autoDelete` always true: it goes with the instance); `secondaryNetworkInterfaces` are
//!   the others attached to it, in attach order (those the state file lists as attached
//!   first, in its order), numbered from `deviceIndex` 2.
//! - An interface shows `securityGroups` when its state has some, and `elasticIpId`,
//!   `elasticIpAddress` in its `primaryIp` when it has an elastic IP; the instance's own
//!   `elasticIpId`, `elasticIpAddress` are its primary interface's.
//! - The instance's `subnetId` and `privateIpAddress` are its state's, else its primary
//!   interface's, else derived; names, types, MACs, subnets and IPs missing from the state are
//!   derived from the ids (see [`EmulatorState`]), the same from run to run.
//!
//! # Attaches and detaches as tasks
//!
//! A successful attach or detach starts a task on the instance lasting
//! [`EmulatorConfig::task_duration`] (2 s by default), as JD Cloud applies both as a task:
//!
//! - During it, other attaches and detaches of that instance get `Conflict with underlay task
//!   TASKID`; an instance that is `busy` in the state file has a task that never ends, with
//!   the id `task-` followed by the instance id without its `i-` prefix.
//! - The change is committed at once, under the one lock that every operation takes (so of
//!   many concurrent attaches of one interface exactly one wins, and each operation happens
//!   exactly once): [`Emulator::attached_to`] and [`Emulator::snapshot`] show the committed
//!   state, and the checks see it. An interface whose attach is pending is taken (`has been
//!   attached on other device` for another instance); one whose detach is pending is not free
//!   until the task ends (the same message).
//! - `describeInstance` and `describeInstances`, their filters included, show the interface as
//!   it was until the task ends, and the change from then on.
//!
//! A task duration of zero makes changes visible at once.
//!
//! # Losing answers on purpose
//!
//! [`Emulator::stall_next_replies`]`(operation, count, delay)` makes the emulator apply the
//! next `count` requests of an operation as usual, then hold each answer for `delay` before
//! sending it: past a client's timeout, it is an answer lost after the change was made, for
//! tests that a client reports no false failure then (a retried attach gets `NetworkInterface
//! has been attached on other device`, a poll of `describeInstance` sees the interface after
//! the task). Held answers are sent at once when the emulator shuts down.
//!
//! # Logs
//!
//! With [`EmulatorConfig::log_requests`] (the binary's default), one line per request on
//! standard error, naming the operation (`-` when no route matched):
//!
//! ```text
//! attachNetworkInterface POST /v1/regions/cn-north-1/instances/i-1:attachNetworkInterface 200 request_id=… 0.4ms
//! ```
//!
//! and, always, a `tracing` event at debug level on the target `jdcloud_vm::emulator` with
//! the fields `operation`, `method`, `path`, `status`, `request_id` and `held_ms`.
//!
//! Every answer carries a `requestId` in its body and the `x-jdcloud-request-id` header.

mod body;
mod date;
mod faults;
mod gateway;
mod handlers;
mod headers;
mod input;
mod listener;
mod nonce;
mod reply;
mod resources;
mod route;
mod server;
mod service;
mod spec;
mod state;
mod view;
mod world;

pub use server::{Emulator, EmulatorConfig};
pub use state::EmulatorState;
