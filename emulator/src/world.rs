//! The resources of a world beyond instances and interfaces, as a state file gives them:
//! subnets, security groups, images, instance types, quotas, disks, elastic IPs, keypairs,
//! instance templates; and the default world.
//!
//! Every field but the id has a default, so a state file names only what a test needs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::{AccessKey, EmulatorState, NetworkInterface};

/// A subnet, in a VPC.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Subnet {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    pub(crate) vpc: String,
}

/// A security group, in a VPC.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroupDef {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    pub(crate) vpc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// An image.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Image {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    #[serde(default)]
    pub(crate) name: String,
    /// `Linux` or `Windows` (JD Cloud's `osType`: `linux`, `windows`).
    #[serde(default = "linux")]
    pub(crate) platform: String,
    #[serde(default)]
    pub(crate) os_version: String,
    /// `public`, `shared`, `thirdparty`, `private`, `community`.
    #[serde(default = "private")]
    pub(crate) source: String,
    /// `ready`, `pending`, `error`, …
    #[serde(default = "ready")]
    pub(crate) status: String,
    /// The access key that owns a private image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(default = "forty")]
    pub(crate) system_disk_size_gb: i64,
    /// `cloudDisk` or `localDisk`.
    #[serde(default = "cloud_disk")]
    pub(crate) root_device_type: String,
    #[serde(default)]
    pub(crate) description: String,
    /// The instance it was made from (`createImage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) created_from: Option<String>,
    /// The pins (JD Cloud user names) it is shared with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) shared_with: Vec<String>,
    /// Released to the community.
    #[serde(default)]
    pub(crate) released: bool,
    #[serde(default = "x86_64")]
    pub(crate) architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_time: Option<String>,
}

/// An instance type.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstanceType {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) family: String,
    pub(crate) cpu: i64,
    pub(crate) memory_mb: i64,
    /// Interfaces in all, the primary one included.
    #[serde(default = "two")]
    pub(crate) nic_limit: i64,
    /// Cloud data disks.
    #[serde(default = "eight")]
    pub(crate) disk_limit: i64,
    #[serde(default)]
    pub(crate) gpu: i64,
}

/// A quota of the caller's resources in a region.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Quota {
    /// `instance`, `keypair`, `image`, `instanceTemplate`, `imageShare`.
    pub(crate) resource_type: String,
    pub(crate) limit: i64,
}

/// A cloud disk.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Disk {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    #[serde(default = "az")]
    pub(crate) az: String,
    #[serde(default = "twenty")]
    pub(crate) size_gb: i64,
    #[serde(default = "ssd")]
    pub(crate) disk_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) attached_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) device_name: Option<String>,
    #[serde(default)]
    pub(crate) auto_delete: bool,
    /// The system disk of its instance.
    #[serde(default)]
    pub(crate) system: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// An elastic IP.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ElasticIp {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    /// Its availability zone, `"*"` for all of the region's.
    #[serde(default = "az")]
    pub(crate) az: String,
    #[serde(default)]
    pub(crate) address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
}

/// A keypair.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Keypair {
    pub(crate) name: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(default)]
    pub(crate) public_key: String,
    #[serde(default)]
    pub(crate) fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_time: Option<String>,
}

/// An instance template: its `instanceTemplateData` as given.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Template {
    pub(crate) id: String,
    #[serde(default = "region")]
    pub(crate) region: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_time: Option<String>,
}

/// An image task (`importImage`, `exportImage`, `copyImages`, …).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageTask {
    pub(crate) id: i64,
    #[serde(default = "region")]
    pub(crate) region: String,
    /// `ImportImage`, `ExportImage`.
    pub(crate) action: String,
    pub(crate) image_id: String,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) create_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_token: Option<String>,
}

fn region() -> String {
    "cn-north-1".into()
}
fn az() -> String {
    "cn-north-1a".into()
}
fn linux() -> String {
    "Linux".into()
}
fn private() -> String {
    "private".into()
}
fn ready() -> String {
    "ready".into()
}
fn cloud_disk() -> String {
    "cloudDisk".into()
}
fn x86_64() -> String {
    "x86_64".into()
}
fn ssd() -> String {
    "ssd.gp1".into()
}
fn forty() -> i64 {
    40
}
fn twenty() -> i64 {
    20
}
fn two() -> i64 {
    2
}
fn eight() -> i64 {
    8
}

/// The default world's access key.
pub(crate) const DEFAULT_AK: &str = "AKEMULATOR";

/// The default world: see [`EmulatorState::default`].
pub(crate) fn default_world() -> EmulatorState {
    let public = |id: &str, name: &str, platform: &str, os: &str| Image {
        id: id.into(),
        region: region(),
        name: name.into(),
        platform: platform.into(),
        os_version: os.into(),
        source: "public".into(),
        status: ready(),
        owner: None,
        system_disk_size_gb: 40,
        root_device_type: cloud_disk(),
        description: format!("{name}, JD Cloud's public image"),
        created_from: None,
        shared_with: Vec::new(),
        released: false,
        architecture: x86_64(),
        create_time: Some("2026-01-01T00:00:00Z".into()),
    };
    let itype = |name: &str, cpu, memory_mb, nic_limit, disk_limit| InstanceType {
        name: name.into(),
        family: name.rsplit_once('.').map_or(name, |(f, _)| f).into(),
        cpu,
        memory_mb,
        nic_limit,
        disk_limit,
        gpu: 0,
    };
    let disk = |id: &str| Disk {
        id: id.into(),
        region: region(),
        az: az(),
        size_gb: 20,
        disk_type: ssd(),
        owner: Some(DEFAULT_AK.into()),
        attached_to: None,
        device_name: None,
        auto_delete: false,
        system: false,
        name: Some(id.into()),
    };
    EmulatorState {
        credentials: vec![AccessKey {
            access_key: DEFAULT_AK.into(),
            secret_key: "SKEMULATOR".into(),
            security_token: None,
        }],
        instances: Vec::new(),
        network_interfaces: vec![NetworkInterface {
            id: "port-default-1".into(),
            region: region(),
            vpc: "vpc-default".into(),
            owner: DEFAULT_AK.into(),
            elastic_ip_az: None,
            elastic_ip_id: None,
            attached_to: None,
            primary: false,
            auto_delete: false,
            elastic_ip_address: None,
            mac: None,
            subnet: Some("subnet-default".into()),
            private_ip: None,
            security_groups: Vec::new(),
        }],
        azs: vec![
            Az {
                region: region(),
                az: "cn-north-1a".into(),
            },
            Az {
                region: region(),
                az: "cn-north-1b".into(),
            },
            // A second region, for `copyImages`.
            Az {
                region: "cn-east-2".into(),
                az: "cn-east-2a".into(),
            },
        ],
        subnets: vec![Subnet {
            id: "subnet-default".into(),
            region: region(),
            vpc: "vpc-default".into(),
        }],
        security_groups: vec![SecurityGroupDef {
            id: "sg-default".into(),
            region: region(),
            vpc: "vpc-default".into(),
            name: Some("default".into()),
        }],
        images: vec![
            public("img-centos-7", "CentOS 7.9 64位", "Linux", "7.9"),
            public("img-ubuntu-2204", "Ubuntu 22.04 64位", "Ubuntu", "22.04"),
            public(
                "img-windows-2019",
                "Windows Server 2019 数据中心版 64位中文版",
                "Windows Server",
                "2019",
            ),
        ],
        instance_types: vec![
            itype("g.n2.medium", 1, 4096, 2, 8),
            itype("g.n2.large", 2, 8192, 3, 8),
            itype("g.n2.xlarge", 4, 16384, 4, 16),
            itype("c.n2.large", 2, 4096, 3, 8),
        ],
        quotas: vec![
            Quota {
                resource_type: "instance".into(),
                limit: 20,
            },
            Quota {
                resource_type: "keypair".into(),
                limit: 10,
            },
            Quota {
                resource_type: "image".into(),
                limit: 10,
            },
            Quota {
                resource_type: "instanceTemplate".into(),
                limit: 10,
            },
            Quota {
                resource_type: "imageShare".into(),
                limit: 10,
            },
        ],
        disks: vec![disk("vol-default-1"), disk("vol-default-2")],
        elastic_ips: vec![ElasticIp {
            id: "fip-default-1".into(),
            region: region(),
            az: az(),
            address: "116.196.1.10".into(),
            owner: Some(DEFAULT_AK.into()),
        }],
        keypairs: Vec::new(),
        templates: Vec::new(),
        image_tasks: Vec::new(),
    }
}

/// An availability zone of a region.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Az {
    #[serde(default = "region")]
    pub(crate) region: String,
    pub(crate) az: String,
}
