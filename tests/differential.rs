//! The differential test of issue 18: one request per operation of `spec/vm.yaml`, sent through
//! the official JD Cloud Python SDK (pip package `jdcloud-sdk` 1.6.354) and through this crate to
//! capturing servers on loopback; for every operation the method, the path, the query (a multiset
//! of decoded pairs: JD Cloud's indexed form `filters.1.name=…`) and the JSON body (parsed,
//! compared as JSON values) must agree.
//!
//! The values come from the spec, not from this file: `scripts/python_sdk_differential.py` makes
//! one for every parameter and every body field of every operation (nested types included, every
//! property; lists of two) that satisfies the spec's constraints, sends each operation through the
//! official SDK, and writes the values out. Here each operation is called as a user writes it
//! (`client.create_instances().region_id(..).instance_spec(..).send().await`), one block per
//! operation, each value read from the script's JSON by name (`v.s("regionId")`;
//! `v.get::<types::InstanceSpec>("instanceSpec")` for nested types). The test fails when the spec
//! has an operation this file does not call, or a value the call does not set.
//!
//! Each operation is sent three times by each SDK: with every parameter and field set; with the
//! required ones only (nested types too); with every one, but nested types with their required
//! properties only. The last two show what an SDK sends on its own for what the caller left unset.
//!
//! What the comparison tolerates, each a habit of the Python SDK that JD Cloud's gateway ignores,
//! and each counted in the report: its JSON body carries the path parameters too, and every
//! attribute it has no value for as `null`; a POST whose parameters are all in the path has the
//! body `{}` where this SDK sends none; it writes booleans in the query as Python prints them
//! (`True`, `False`). And one of this SDK's: the idempotency token it makes when the caller sets
//! none (API.md, Idempotency). Nothing else is normalised.
//!
//! An operation the official SDK does not have (`convertImage`) runs the Rust half only, and must
//! be one that `spec/overlay.yaml`'s `sdk_differences` say it lacks (`what: extra`), with the reason.
//!
//! When `python3` cannot import `jdcloud_sdk` (or PyYAML) the comparison is skipped with a message
//! (the Rust half still runs: every operation called, every value set, every answer decoded);
//! with `JDCLOUD_DIFFERENTIAL_REQUIRED=1` (`.ci/run` sets it) that is a failure instead.
//!
//! `DIFFERENTIAL_DUMP=1 cargo test --test differential -- --nocapture` prints both requests of
//! every operation, as captured. A new operation in the spec: `python3 scripts/python_sdk_differential.py --rust-draft <op>`
//! prints a draft of its block.

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Command,
};

use jdcloud_vm::{types, Client, Credentials, RetryConfig};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wiremock::{matchers::any, Mock, MockServer, Request, ResponseTemplate};

const REQUIRED_ENV: &str = "JDCLOUD_DIFFERENTIAL_REQUIRED";
/// The header the script sends with each request, naming its operation (not compared).
const OPERATION_HEADER: &str = "x-differential-operation";

// ---------------------------------------------------------------- the sampled values

/// The values of one operation, by the spec's names; remembers which were read.
struct V {
    op: String,
    values: Map<String, Value>,
    used: RefCell<BTreeSet<String>>,
}

impl V {
    fn raw(&self, name: &str) -> Value {
        self.used.borrow_mut().insert(name.to_owned());
        self.values.get(name).cloned().unwrap_or_else(|| {
            panic!(
                "{}: the script made no value for `{name}` (not in the spec?)",
                self.op
            )
        })
    }

    fn get<T: DeserializeOwned>(&self, name: &str) -> T {
        let raw = self.raw(name);
        serde_json::from_value(raw.clone()).unwrap_or_else(|e| {
            panic!(
                "{}: `{name}` = {raw} does not deserialize into {}: {e}",
                self.op,
                std::any::type_name::<T>()
            )
        })
    }

    fn s(&self, name: &str) -> String {
        self.get(name)
    }

    fn i(&self, name: &str) -> i64 {
        self.get(name)
    }

    /// For `number` fields (none in today's requests; `--rust-draft` writes `v.f(..)` for them).
    #[allow(dead_code)]
    fn f(&self, name: &str) -> f64 {
        self.get(name)
    }

    fn b(&self, name: &str) -> bool {
        self.get(name)
    }

    fn strs(&self, name: &str) -> Vec<String> {
        self.get(name)
    }

    fn unused(&self) -> Vec<String> {
        let used = self.used.borrow();
        self.values
            .keys()
            .filter(|k| !used.contains(*k))
            .cloned()
            .collect()
    }
}

// ---------------------------------------------------------------- the calls, as a user writes them

/// Sends `op` through the SDK with the values of `v`, every parameter and field set (`Pass::Full`)
/// or the required ones only (`Pass::Required`); `None` when this file has no call for `op`.
async fn call(client: &Client, op: &str, pass: Pass, v: &V) -> Option<Result<(), String>> {
    macro_rules! calls {
        ($($op:literal => $call:expr;)*) => {
            match op {
                $($op => Some($call.send().await.map(|_| ()).map_err(|e| e.to_string())),)*
                _ => None,
            }
        };
    }
    match pass {
        Pass::Full | Pass::Sparse => calls! {
            "describeImageConstraintsBatch" => client
                .describe_image_constraints_batch()
                .region_id(v.s("regionId"))
                .ids(v.strs("ids"));
            "imageTasks" => client
                .image_tasks()
                .region_id(v.s("regionId"))
                .task_action(v.s("taskAction"))
                .task_ids(v.strs("taskIds"))
                .task_status(v.s("taskStatus"))
                .start_time(v.s("startTime"))
                .end_time(v.s("endTime"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"));
            "describeImages" => client
                .describe_images()
                .region_id(v.s("regionId"))
                .image_source(v.s("imageSource"))
                .offline(v.b("offline"))
                .platform(v.s("platform"))
                .ids(v.strs("ids"))
                .image_name(v.s("imageName"))
                .root_device_type(v.s("rootDeviceType"))
                .launch_permission(v.s("launchPermission"))
                .status(v.s("status"))
                .service_code(v.s("serviceCode"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .architecture(v.s("architecture"))
                .instance_ids(v.strs("instanceIds"))
                .boot_mode(v.s("bootMode"));
            "describeImage" => client
                .describe_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "deleteImage" => client
                .delete_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .delete_snapshot(v.b("deleteSnapshot"));
            "describeImageConstraints" => client
                .describe_image_constraints()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "describeImageMembers" => client
                .describe_image_members()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "convertImage" => client
                .convert_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "exportImage" => client
                .export_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .role_name(v.s("roleName"))
                .oss_url(v.s("ossUrl"))
                .oss_prefix(v.s("ossPrefix"))
                .client_token(v.s("clientToken"))
                .is_all_disk(v.b("isAllDisk"));
            "modifyImageAttribute" => client
                .modify_image_attribute()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .name(v.s("name"))
                .description(v.s("description"));
            "releaseImage" => client
                .release_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "shareImage" => client
                .share_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .pins(v.strs("pins"))
                .login_names(v.strs("loginNames"));
            "unReleaseImage" => client
                .un_release_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "unShareImage" => client
                .un_share_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .pins(v.strs("pins"))
                .login_names(v.strs("loginNames"));
            "copyImages" => client
                .copy_images()
                .region_id(v.s("regionId"))
                .source_image_ids(v.strs("sourceImageIds"))
                .destination_region(v.s("destinationRegion"))
                .name(v.s("name"))
                .description(v.s("description"));
            "createImageFromSnapshots" => client
                .create_image_from_snapshots()
                .region_id(v.s("regionId"))
                .name(v.s("name"))
                .description(v.s("description"))
                .platform(v.s("platform"))
                .os_version(v.s("osVersion"))
                .architecture(v.s("architecture"))
                .cloud_disks(v.get::<Vec<types::CloudDiskSpec>>("cloudDisks"))
                .client_token(v.s("clientToken"))
                .boot_mode(v.s("bootMode"));
            "importImage" => client
                .import_image()
                .region_id(v.s("regionId"))
                .architecture(v.s("architecture"))
                .os_type(v.s("osType"))
                .platform(v.s("platform"))
                .disk_format(v.s("diskFormat"))
                .system_disk_size_gb(v.i("systemDiskSizeGB"))
                .image_url(v.s("imageUrl"))
                .os_version(v.s("osVersion"))
                .image_name(v.s("imageName"))
                .description(v.s("description"))
                .force_import(v.b("forceImport"))
                .client_token(v.s("clientToken"))
                .boot_mode(v.s("bootMode"));
            "describeInstancePrivateIpAddress" => client
                .describe_instance_private_ip_address()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "describeInstanceStatus" => client
                .describe_instance_status()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "describeInstanceTemplates" => client
                .describe_instance_templates()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "createInstanceTemplate" => client
                .create_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_data(v.get::<types::InstanceTemplateSpec>("instanceTemplateData"))
                .name(v.s("name"))
                .description(v.s("description"));
            "describeInstanceTemplate" => client
                .describe_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "deleteInstanceTemplate" => client
                .delete_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "updateInstanceTemplate" => client
                .update_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"))
                .name(v.s("name"))
                .description(v.s("description"))
                .instance_template_data(v.get::<types::UpdateInstanceTemplateSpec>("instanceTemplateData"));
            "verifyInstanceTemplate" => client
                .verify_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "describeInstanceTemplatesCustomdata" => client
                .describe_instance_templates_customdata()
                .region_id(v.s("regionId"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "describeInstanceTypes" => client
                .describe_instance_types()
                .region_id(v.s("regionId"))
                .service_name(v.s("serviceName"))
                .filters(v.get::<Vec<types::Filter>>("filters"))
                .charge_mode(v.s("chargeMode"));
            "describeInstances" => client
                .describe_instances()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"))
                .tags(v.get::<Vec<types::TagFilter>>("tags"));
            "createInstances" => client
                .create_instances()
                .region_id(v.s("regionId"))
                .instance_spec(v.get::<types::InstanceSpec>("instanceSpec"))
                .max_count(v.i("maxCount"))
                .client_token(v.s("clientToken"));
            "describeInstance" => client
                .describe_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "deleteInstance" => client
                .delete_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .delete_primary_network_interface_all_elastic_ip(v.b("deletePrimaryNetworkInterfaceAllElasticIp"));
            "describeInstanceVncUrl" => client
                .describe_instance_vnc_url()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "associateElasticIp" => client
                .associate_elastic_ip()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .elastic_ip_id(v.s("elasticIpId"));
            "attachDisk" => client
                .attach_disk()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .disk_id(v.s("diskId"))
                .device_name(v.s("deviceName"))
                .auto_delete(v.b("autoDelete"));
            "attachNetworkInterface" => client
                .attach_network_interface()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .network_interface_id(v.s("networkInterfaceId"))
                .auto_delete(v.b("autoDelete"));
            "createImage" => client
                .create_image()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .name(v.s("name"))
                .description(v.s("description"))
                .data_disks(v.get::<Vec<types::InstanceDiskAttachmentSpec>>("dataDisks"));
            "detachDisk" => client
                .detach_disk()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .disk_id(v.s("diskId"))
                .force(v.b("force"));
            "detachNetworkInterface" => client
                .detach_network_interface()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .network_interface_id(v.s("networkInterfaceId"));
            "disassociateElasticIp" => client
                .disassociate_elastic_ip()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .elastic_ip_id(v.s("elasticIpId"));
            "modifyInstanceAttribute" => client
                .modify_instance_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .name(v.s("name"))
                .description(v.s("description"))
                .hostname(v.s("hostname"))
                .metadata(v.get::<Vec<types::Metadata>>("metadata"))
                .userdata(v.get::<Vec<types::Userdata>>("userdata"));
            "modifyInstanceDiskAttribute" => client
                .modify_instance_disk_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .data_disks(v.get::<Vec<types::InstanceDiskAttribute>>("dataDisks"));
            "modifyInstanceNetworkAttribute" => client
                .modify_instance_network_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .networks(v.get::<Vec<types::InstanceNetworkAttribute>>("networks"));
            "modifyInstancePassword" => client
                .modify_instance_password()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .password(v.s("password"));
            "modifyInstancePlacement" => client
                .modify_instance_placement()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .ag_id(v.s("agId"))
                .balance(v.b("balance"))
                .clear_local_disk(v.b("clearLocalDisk"))
                .is_managed(v.b("isManaged"));
            "modifyInstanceVpcAttribute" => client
                .modify_instance_vpc_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .subnet_id(v.s("subnetId"))
                .assign_ipv6(v.b("assignIpv6"))
                .private_ip_address(v.s("privateIpAddress"))
                .security_groups(v.strs("securityGroups"))
                .ipv6_address(v.s("ipv6Address"));
            "rebootInstance" => client
                .reboot_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "rebuildInstance" => client
                .rebuild_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .password(v.s("password"))
                .image_id(v.s("imageId"))
                .key_names(v.strs("keyNames"))
                .hostname(v.s("hostname"))
                .metadata(v.get::<Vec<types::Metadata>>("metadata"))
                .userdata(v.get::<Vec<types::Userdata>>("userdata"))
                .pass_word_auth(v.s("passWordAuth"))
                .image_inherit(v.s("imageInherit"));
            "redeployInstance" => client
                .redeploy_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "resizeInstance" => client
                .resize_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .instance_type(v.s("instanceType"))
                .force(v.b("force"));
            "resumeInstance" => client
                .resume_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "startInstance" => client
                .start_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "stopInstance" => client
                .stop_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .charge_on_stopped(v.s("chargeOnStopped"));
            "suspendInstance" => client
                .suspend_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "describeBriefInstances" => client
                .describe_brief_instances()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .tags(v.get::<Vec<types::TagFilter>>("tags"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "modifyInstanceReleaseTime" => client
                .modify_instance_release_time()
                .region_id(v.s("regionId"))
                .instance_ids(v.strs("instanceIds"))
                .auto_release_time(v.s("autoReleaseTime"));
            "describeInstancesCustomData" => client
                .describe_instances_custom_data()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "describeKeypairs" => client
                .describe_keypairs()
                .region_id(v.s("regionId"))
                .page_number(v.i("pageNumber"))
                .page_size(v.i("pageSize"))
                .filters(v.get::<Vec<types::Filter>>("filters"));
            "createKeypair" => client
                .create_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"));
            "deleteKeypair" => client
                .delete_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"));
            "attachKeypair" => client
                .attach_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .instance_ids(v.strs("instanceIds"))
                .pass_word_auth(v.s("passWordAuth"));
            "detachKeypair" => client
                .detach_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .instance_ids(v.strs("instanceIds"));
            "importKeypair" => client
                .import_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .public_key(v.s("publicKey"));
            "describeQuotas" => client
                .describe_quotas()
                .region_id(v.s("regionId"))
                .filters(v.get::<Vec<types::Filter>>("filters"))
                .image_id(v.s("imageId"));
        },
        Pass::Required => calls! {
            "describeImageConstraintsBatch" => client
                .describe_image_constraints_batch()
                .region_id(v.s("regionId"));
            "imageTasks" => client
                .image_tasks()
                .region_id(v.s("regionId"))
                .task_action(v.s("taskAction"));
            "describeImages" => client
                .describe_images()
                .region_id(v.s("regionId"));
            "describeImage" => client
                .describe_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "deleteImage" => client
                .delete_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "describeImageConstraints" => client
                .describe_image_constraints()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "describeImageMembers" => client
                .describe_image_members()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "convertImage" => client
                .convert_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "exportImage" => client
                .export_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .role_name(v.s("roleName"))
                .oss_url(v.s("ossUrl"));
            "modifyImageAttribute" => client
                .modify_image_attribute()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "releaseImage" => client
                .release_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "shareImage" => client
                .share_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .pins(v.strs("pins"));
            "unReleaseImage" => client
                .un_release_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"));
            "unShareImage" => client
                .un_share_image()
                .region_id(v.s("regionId"))
                .image_id(v.s("imageId"))
                .pins(v.strs("pins"));
            "copyImages" => client
                .copy_images()
                .region_id(v.s("regionId"))
                .source_image_ids(v.strs("sourceImageIds"))
                .destination_region(v.s("destinationRegion"));
            "createImageFromSnapshots" => client
                .create_image_from_snapshots()
                .region_id(v.s("regionId"))
                .name(v.s("name"))
                .platform(v.s("platform"))
                .architecture(v.s("architecture"))
                .boot_mode(v.s("bootMode"));
            "importImage" => client
                .import_image()
                .region_id(v.s("regionId"))
                .architecture(v.s("architecture"))
                .os_type(v.s("osType"))
                .platform(v.s("platform"))
                .disk_format(v.s("diskFormat"))
                .system_disk_size_gb(v.i("systemDiskSizeGB"))
                .image_url(v.s("imageUrl"))
                .image_name(v.s("imageName"));
            "describeInstancePrivateIpAddress" => client
                .describe_instance_private_ip_address()
                .region_id(v.s("regionId"));
            "describeInstanceStatus" => client
                .describe_instance_status()
                .region_id(v.s("regionId"));
            "describeInstanceTemplates" => client
                .describe_instance_templates()
                .region_id(v.s("regionId"));
            "createInstanceTemplate" => client
                .create_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_data(v.get::<types::InstanceTemplateSpec>("instanceTemplateData"))
                .name(v.s("name"));
            "describeInstanceTemplate" => client
                .describe_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "deleteInstanceTemplate" => client
                .delete_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "updateInstanceTemplate" => client
                .update_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "verifyInstanceTemplate" => client
                .verify_instance_template()
                .region_id(v.s("regionId"))
                .instance_template_id(v.s("instanceTemplateId"));
            "describeInstanceTemplatesCustomdata" => client
                .describe_instance_templates_customdata()
                .region_id(v.s("regionId"));
            "describeInstanceTypes" => client
                .describe_instance_types()
                .region_id(v.s("regionId"));
            "describeInstances" => client
                .describe_instances()
                .region_id(v.s("regionId"));
            "createInstances" => client
                .create_instances()
                .region_id(v.s("regionId"))
                .instance_spec(v.get::<types::InstanceSpec>("instanceSpec"));
            "describeInstance" => client
                .describe_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "deleteInstance" => client
                .delete_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "describeInstanceVncUrl" => client
                .describe_instance_vnc_url()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "associateElasticIp" => client
                .associate_elastic_ip()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .elastic_ip_id(v.s("elasticIpId"));
            "attachDisk" => client
                .attach_disk()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .disk_id(v.s("diskId"));
            "attachNetworkInterface" => client
                .attach_network_interface()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .network_interface_id(v.s("networkInterfaceId"));
            "createImage" => client
                .create_image()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .name(v.s("name"));
            "detachDisk" => client
                .detach_disk()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .disk_id(v.s("diskId"));
            "detachNetworkInterface" => client
                .detach_network_interface()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .network_interface_id(v.s("networkInterfaceId"));
            "disassociateElasticIp" => client
                .disassociate_elastic_ip()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .elastic_ip_id(v.s("elasticIpId"));
            "modifyInstanceAttribute" => client
                .modify_instance_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "modifyInstanceDiskAttribute" => client
                .modify_instance_disk_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "modifyInstanceNetworkAttribute" => client
                .modify_instance_network_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .networks(v.get::<Vec<types::InstanceNetworkAttribute>>("networks"));
            "modifyInstancePassword" => client
                .modify_instance_password()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .password(v.s("password"));
            "modifyInstancePlacement" => client
                .modify_instance_placement()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "modifyInstanceVpcAttribute" => client
                .modify_instance_vpc_attribute()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .subnet_id(v.s("subnetId"));
            "rebootInstance" => client
                .reboot_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "rebuildInstance" => client
                .rebuild_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "redeployInstance" => client
                .redeploy_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "resizeInstance" => client
                .resize_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"))
                .instance_type(v.s("instanceType"));
            "resumeInstance" => client
                .resume_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "startInstance" => client
                .start_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "stopInstance" => client
                .stop_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "suspendInstance" => client
                .suspend_instance()
                .region_id(v.s("regionId"))
                .instance_id(v.s("instanceId"));
            "describeBriefInstances" => client
                .describe_brief_instances()
                .region_id(v.s("regionId"));
            "modifyInstanceReleaseTime" => client
                .modify_instance_release_time()
                .region_id(v.s("regionId"));
            "describeInstancesCustomData" => client
                .describe_instances_custom_data()
                .region_id(v.s("regionId"));
            "describeKeypairs" => client
                .describe_keypairs()
                .region_id(v.s("regionId"));
            "createKeypair" => client
                .create_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"));
            "deleteKeypair" => client
                .delete_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"));
            "attachKeypair" => client
                .attach_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .instance_ids(v.strs("instanceIds"))
                .pass_word_auth(v.s("passWordAuth"));
            "detachKeypair" => client
                .detach_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .instance_ids(v.strs("instanceIds"));
            "importKeypair" => client
                .import_keypair()
                .region_id(v.s("regionId"))
                .key_name(v.s("keyName"))
                .public_key(v.s("publicKey"));
            "describeQuotas" => client
                .describe_quotas()
                .region_id(v.s("regionId"));
        },
    }
}

// ---------------------------------------------------------------- what went on the wire

/// One request as compared: the path and the query decoded, the body parsed.
#[derive(Clone, Debug)]
struct Wire {
    method: String,
    path: String,
    /// Sorted: a multiset.
    query: Vec<(String, String)>,
    /// `None` for an empty body; a body that is not JSON is kept as a string.
    body: Option<Value>,
}

impl Wire {
    fn of(request: &Request) -> Wire {
        let path = percent_encoding::percent_decode_str(request.url.path())
            .decode_utf8_lossy()
            .into_owned();
        let mut query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        query.sort();
        let body = if request.body.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(&request.body).unwrap_or_else(|_| {
                Value::String(format!(
                    "(not JSON) {}",
                    String::from_utf8_lossy(&request.body)
                ))
            }))
        };
        Wire {
            method: request.method.to_string(),
            path,
            query,
            body,
        }
    }
}

/// What the Python SDK's habits were forgiven, summed over the operations.
#[derive(Default, Debug)]
struct Tolerated {
    path_parameters_in_body: usize,
    nulls_in_body: usize,
    python_booleans_in_query: usize,
    /// `{}` from Python where the SDK sends no body (a POST with every parameter in the path).
    python_empty_bodies: usize,
    /// Rust's own idempotency token, sent when the caller set none (API.md, Idempotency).
    rust_idempotency_tokens: usize,
}

/// The Python SDK's request, its tolerated habits undone (see the module's docs).
fn normalise_python(mut wire: Wire, path_params: &[String], tolerated: &mut Tolerated) -> Wire {
    for (_, value) in &mut wire.query {
        if value == "True" || value == "False" {
            *value = value.to_lowercase();
            tolerated.python_booleans_in_query += 1;
        }
    }
    wire.query.sort();
    if let Some(Value::Object(body)) = &mut wire.body {
        for name in path_params {
            if body.remove(name).is_some() {
                tolerated.path_parameters_in_body += 1;
            }
        }
    }
    if let Some(body) = &mut wire.body {
        tolerated.nulls_in_body += drop_nulls(body);
    }
    wire
}

/// Removes object members whose value is `null`, at every depth; how many.
fn drop_nulls(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|_, v| !v.is_null());
            let mut n = before - map.len();
            for v in map.values_mut() {
                n += drop_nulls(v);
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(drop_nulls).sum(),
        _ => 0,
    }
}

/// Where two JSON values differ, one line each (`at`: a JSON path).
fn json_differences(at: &str, python: &Value, rust: &Value, out: &mut Vec<String>) {
    match (python, rust) {
        (Value::Object(p), Value::Object(r)) => {
            for (k, pv) in p {
                let here = format!("{at}.{k}");
                match r.get(k) {
                    Some(rv) => json_differences(&here, pv, rv, out),
                    None => out.push(format!("{here}: Python sends {pv}, Rust nothing")),
                }
            }
            for (k, rv) in r {
                if !p.contains_key(k) {
                    out.push(format!("{at}.{k}: Rust sends {rv}, Python nothing"));
                }
            }
        }
        (Value::Array(p), Value::Array(r)) if p.len() == r.len() => {
            for (i, (pv, rv)) in p.iter().zip(r).enumerate() {
                json_differences(&format!("{at}[{i}]"), pv, rv, out);
            }
        }
        _ if python == rust => {}
        _ => out.push(format!("{at}: Python sends {python}, Rust {rust}")),
    }
}

/// Every difference between the two requests of one operation, one line each.
fn differences(python: &Wire, rust: &Wire) -> Vec<String> {
    let mut out = Vec::new();
    if python.method != rust.method {
        out.push(format!(
            "method: Python {}, Rust {}",
            python.method, rust.method
        ));
    }
    if python.path != rust.path {
        out.push(format!("path: Python {}, Rust {}", python.path, rust.path));
    }
    let mut rust_pairs = rust.query.clone();
    let mut python_only = Vec::new();
    for pair in &python.query {
        match rust_pairs.iter().position(|p| p == pair) {
            Some(i) => {
                rust_pairs.remove(i);
            }
            None => python_only.push(pair),
        }
    }
    for (k, v) in python_only {
        out.push(format!("query: Python sends {k}={v:?}, Rust does not"));
    }
    for (k, v) in &rust_pairs {
        out.push(format!("query: Rust sends {k}={v:?}, Python does not"));
    }
    match (&python.body, &rust.body) {
        (None, None) => {}
        (Some(p), None) => out.push(format!("body: Python sends {p}, Rust none")),
        (None, Some(r)) => out.push(format!("body: Rust sends {r}, Python none")),
        (Some(p), Some(r)) => json_differences("body", p, r, &mut out),
    }
    out
}

// ---------------------------------------------------------------- running the script

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn python_can_import(module: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the script: the values of every operation and, with an endpoint, the Python SDK's
/// requests sent there.
fn run_script(endpoint: Option<&str>) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out: PathBuf = std::env::temp_dir().join(format!(
        "jdcloud-vm-differential-{}-{}.json",
        std::process::id(),
        endpoint.is_some()
    ));
    let mut command = Command::new(python());
    command
        .arg(root.join("scripts/python_sdk_differential.py"))
        .arg("--spec")
        .arg(root.join("spec/vm.yaml"))
        .arg("--out")
        .arg(&out);
    if let Some(endpoint) = endpoint {
        command.args(["--endpoint", endpoint]);
    }
    let output = command.output().expect("python3 runs");
    assert!(
        output.status.success(),
        "scripts/python_sdk_differential.py failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("the script's output");
    let _ = std::fs::remove_file(&out);
    serde_json::from_str(&text).expect("the script writes JSON")
}

fn skip_or_fail(why: &str) {
    if std::env::var(REQUIRED_ENV).is_ok_and(|v| v == "1") {
        panic!("{why}, and {REQUIRED_ENV}=1: the differential test must run");
    }
    eprintln!(
        "SKIPPED the comparison with the official SDK: {why} \
         (python3 -m pip install jdcloud-sdk==1.6.354 pyyaml to run it)"
    );
}

// ---------------------------------------------------------------- the test

/// Every parameter and field set, the required ones only, or every one with nested types sparse:
/// the last two show what an SDK sends on its own (defaults, tokens) for what the caller left
/// unset.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pass {
    Full,
    Required,
    /// Every parameter and field, but nested types with their required properties only: the
    /// calls of `Full`, with other values.
    Sparse,
}

impl Pass {
    /// The script's name of the pass (its header, its record), and of its values.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Pass::Full => ("full", "values"),
            Pass::Required => ("required", "required"),
            Pass::Sparse => ("sparse", "sparse"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_goes_on_the_wire_as_the_official_python_sdk_sends_it() {
    if !python_can_import("yaml") {
        skip_or_fail("python3 cannot import yaml (PyYAML), which the script reads the spec with");
        return;
    }
    let with_sdk = python_can_import("jdcloud_sdk");

    // The Python SDK's requests, captured by the operation and pass named in their header.
    let python_server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "requestId": "differential"
        })))
        .mount(&python_server)
        .await;
    let endpoint = with_sdk.then(|| python_server.uri());
    let script = tokio::task::spawn_blocking(move || run_script(endpoint.as_deref()))
        .await
        .unwrap();
    let mut python_requests: BTreeMap<String, Vec<Wire>> = BTreeMap::new();
    for request in python_server.received_requests().await.unwrap_or_default() {
        let tag = request
            .headers
            .get(OPERATION_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("(no operation header)")
            .to_owned();
        python_requests
            .entry(tag)
            .or_default()
            .push(Wire::of(&request));
    }

    let order: Vec<String> = serde_json::from_value(script["order"].clone()).unwrap();
    let operations = script["operations"].as_object().unwrap();
    assert_eq!(order.len(), operations.len());
    assert!(!order.is_empty(), "the spec has no operations?");

    let rust_server = MockServer::start().await;
    let client = Client::builder()
        .credentials(Credentials::new("AKDIFFERENTIAL", "SKDIFFERENTIAL"))
        .endpoint(rust_server.uri())
        .retry(RetryConfig::disabled())
        .build()
        .unwrap();

    let mut report: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut notes: Vec<String> = Vec::new();
    let mut tolerated = Tolerated::default();
    for op in &order {
        let spec = &operations[op.as_str()];
        let path_params: Vec<String> = spec["in"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, place)| *place == "path")
            .map(|(name, _)| name.clone())
            .collect();
        for pass in [Pass::Full, Pass::Required, Pass::Sparse] {
            let (pass_name, values_key) = pass.names();
            let label = match pass {
                Pass::Full => op.clone(),
                Pass::Required => format!("{op} (required only)"),
                Pass::Sparse => format!("{op} (nested types sparse)"),
            };
            let mut problems = Vec::new();

            // The Rust half.
            rust_server.reset().await;
            Mock::given(any())
                .respond_with(ResponseTemplate::new(200).set_body_json(spec["answer"].clone()))
                .mount(&rust_server)
                .await;
            let v = V {
                op: label.clone(),
                values: spec[values_key].as_object().unwrap().clone(),
                used: RefCell::default(),
            };
            match call(&client, op, pass, &v).await {
                None => problems.push(format!(
                    "tests/differential.rs has no call for it (draft: python3 \
                     scripts/python_sdk_differential.py --rust-draft{} {op})",
                    if pass == Pass::Required {
                        " --required"
                    } else {
                        ""
                    }
                )),
                Some(Err(e)) => problems.push(format!("Rust send() failed: {e}")),
                Some(Ok(())) => {
                    let unused = v.unused();
                    if !unused.is_empty() {
                        problems.push(format!("the Rust call sets none of {unused:?}"));
                    }
                }
            }
            let mut rust: Vec<Wire> = rust_server
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .map(Wire::of)
                .collect();

            // The Python half.
            let record = &spec["python"][pass_name];
            let absent = record["absent"].as_bool() == Some(true);
            // An operation the SDK lacks is one spec/overlay.yaml says it lacks, with the reason.
            let explained = script["notInTheOfficialSdk"].get(op.as_str());
            if with_sdk && absent != explained.is_some() {
                problems.push(if absent {
                    "the official SDK has no such operation, and spec/overlay.yaml's \
                     sdk_differences do not say so (`at: <op>`, `what: extra`)"
                        .to_owned()
                } else {
                    "the official SDK has it, but spec/overlay.yaml's sdk_differences say it \
                     does not"
                        .to_owned()
                });
            }
            if !with_sdk || absent {
                if rust.len() != 1 {
                    problems.push(format!(
                        "requests captured from Rust: {} (one expected)",
                        rust.len()
                    ));
                }
                if absent && problems.is_empty() && pass == Pass::Full {
                    notes.push(format!(
                        "{op}: not in the official SDK ({}): the Rust half only",
                        explained.and_then(Value::as_str).unwrap_or_default()
                    ));
                }
                report.insert(label, problems);
                continue;
            }
            if let Some(error) = record["error"].as_str() {
                problems.push(format!("the Python SDK raised: {error}"));
            }
            for note in record["notes"].as_array().into_iter().flatten() {
                notes.push(format!("{label}: {}", note.as_str().unwrap_or_default()));
            }
            let python = python_requests
                .remove(&format!("{op} {pass_name}"))
                .unwrap_or_default();
            match (python.as_slice(), rust.as_mut_slice()) {
                ([p], [r]) => {
                    if std::env::var_os("DIFFERENTIAL_DUMP").is_some() {
                        eprintln!("{label}\n  Python: {p:?}\n  Rust:   {r:?}");
                    }
                    let mut p = normalise_python(p.clone(), &path_params, &mut tolerated);
                    // A POST whose parameters are all in the path: Python's body is the object
                    // of its parameters, `{}` without them; the SDK sends none.
                    if r.body.is_none()
                        && p.body
                            .as_ref()
                            .is_some_and(|b| *b == Value::Object(Map::new()))
                    {
                        p.body = None;
                        tolerated.python_empty_bodies += 1;
                    }
                    // The token the SDK makes when the caller sets none (API.md, Idempotency).
                    if let Some(token) = spec["idempotencyToken"].as_str() {
                        if !v.values.contains_key(token) {
                            if drop_made_token(r, &p, token) {
                                tolerated.rust_idempotency_tokens += 1;
                            } else {
                                // Not this test's to fail (issue 20's), but worth saying.
                                notes.push(format!(
                                    "{label}: the SDK sent no {token} of its own (API.md, \
                                     Idempotency: it makes one when the caller sets none)"
                                ));
                            }
                        }
                    }
                    problems.extend(differences(&p, r));
                }
                (p, r) => problems.push(format!(
                    "requests captured: {} from Python, {} from Rust (one each expected)",
                    p.len(),
                    r.len()
                )),
            }
            report.insert(label, problems);
        }
    }
    for (tag, requests) in &python_requests {
        report
            .entry("(unexpected Python requests)".to_owned())
            .or_default()
            .push(format!("{} request(s) tagged {tag:?}", requests.len()));
    }

    let mut text = String::new();
    let agreeing = report.values().filter(|p| p.is_empty()).count();
    let _ = writeln!(
        text,
        "{agreeing} of {} requests ({} operations, each with every parameter set, with the \
         required ones only, and with every one but nested types sparse) {}",
        report.len(),
        order.len(),
        if with_sdk {
            "agree with the official Python SDK's"
        } else {
            "sent (the comparison was skipped)"
        }
    );
    for (label, problems) in &report {
        if problems.is_empty() {
            let _ = writeln!(text, "  ok   {label}");
        } else {
            for problem in problems {
                let _ = writeln!(text, "  DIFF {label}: {problem}");
            }
        }
    }
    if with_sdk {
        let _ = writeln!(text, "tolerated: {tolerated:?}");
    }
    for note in &notes {
        let _ = writeln!(text, "  note {note}");
    }
    eprintln!("{text}");
    if !with_sdk {
        skip_or_fail("python3 cannot import jdcloud_sdk");
    }
    assert_eq!(agreeing, report.len(), "differences:\n{text}");
}

/// Removes from the Rust request the idempotency token `token` when the Python one has none
/// (the caller set none; the SDK made one, as API.md says it must); whether it did.
fn drop_made_token(rust: &mut Wire, python: &Wire, token: &str) -> bool {
    let in_python = python.query.iter().any(|(k, _)| k == token)
        || python.body.as_ref().is_some_and(|b| b.get(token).is_some());
    if in_python {
        return false;
    }
    let before = rust.query.len();
    rust.query.retain(|(k, v)| k != token || v.is_empty());
    if rust.query.len() != before {
        return true;
    }
    if let Some(Value::Object(body)) = &mut rust.body {
        if body
            .get(token)
            .is_some_and(|t| t.as_str().is_some_and(|t| !t.is_empty()))
        {
            body.remove(token);
            return true;
        }
    }
    false
}

// ---------------------------------------------------------------- the comparison itself

fn wire(method: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Wire {
    let mut query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    query.sort();
    Wire {
        method: method.to_owned(),
        path: path.to_owned(),
        query,
        body,
    }
}

#[test]
fn the_comparison_sees_every_kind_of_difference_and_forgives_only_the_python_habits() {
    use serde_json::json;
    let mut tolerated = Tolerated::default();
    // The habits: path parameters and nulls in the body, `True` in the query.
    let python = normalise_python(
        wire(
            "POST",
            "/v1/regions/r/instances/i:x",
            &[("force", "True")],
            Some(
                json!({"regionId": "r", "instanceId": "i", "a": {"b": null, "c": [1, 2]}, "d": null}),
            ),
        ),
        &["regionId".to_owned(), "instanceId".to_owned()],
        &mut tolerated,
    );
    let rust = wire(
        "POST",
        "/v1/regions/r/instances/i:x",
        &[("force", "true")],
        Some(json!({"a": {"c": [1, 2]}})),
    );
    assert_eq!(differences(&python, &rust), Vec::<String>::new());
    assert_eq!(tolerated.path_parameters_in_body, 2);
    assert_eq!(tolerated.nulls_in_body, 2);
    assert_eq!(tolerated.python_booleans_in_query, 1);

    // Anything else is a difference: method, path, a pair repeated once more, a value, a member.
    let python = wire(
        "GET",
        "/v1/regions/r/images",
        &[("ids.1", "a"), ("ids.2", "b"), ("ids.2", "b")],
        Some(json!({"a": {"c": [1, 2]}, "e": 1})),
    );
    let rust = wire(
        "POST",
        "/v1/regions/r/images:x",
        &[("ids.1", "a"), ("ids.2", "b")],
        Some(json!({"a": {"c": [1, 3]}, "f": 1})),
    );
    let found = differences(&python, &rust);
    assert_eq!(
        found,
        [
            "method: Python GET, Rust POST",
            "path: Python /v1/regions/r/images, Rust /v1/regions/r/images:x",
            "query: Python sends ids.2=\"b\", Rust does not",
            "body.a.c[1]: Python sends 2, Rust 3",
            "body.e: Python sends 1, Rust nothing",
            "body.f: Rust sends 1, Python nothing",
        ],
        "{found:#?}"
    );
    // An empty body against none.
    let found = differences(
        &wire("POST", "/p", &[], None),
        &wire("POST", "/p", &[], Some(json!({}))),
    );
    assert_eq!(found, ["body: Rust sends {}, Python none"]);
}
