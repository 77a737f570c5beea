//! The JSON of describe answers, with JD Cloud's field names (`Instance`,
//! `InstanceNetworkInterfaceAttachment`, `InstanceNetworkInterface`,
//! `NetworkInterfacePrivateIp`). Empty keys are omitted, as in JD Cloud's answers: no
//! `secondaryNetworkInterfaces` key for an instance without secondary interfaces.

use serde::Serialize;

use crate::state::{Instance, NetworkInterface};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceView {
    instance_id: String,
    instance_name: String,
    instance_type: String,
    status: String,
    az: String,
    vpc_id: String,
    subnet_id: String,
    private_ip_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    elastic_ip_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    elastic_ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_network_interface: Option<AttachmentView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    secondary_network_interfaces: Vec<AttachmentView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttachmentView {
    device_index: u32,
    auto_delete: bool,
    network_interface: NetworkInterfaceView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkInterfaceView {
    network_interface_id: String,
    mac_address: String,
    vpc_id: String,
    subnet_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    security_groups: Vec<SecurityGroupView>,
    primary_ip: PrivateIpView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecurityGroupView {
    group_id: String,
    group_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrivateIpView {
    private_ip_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    elastic_ip_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    elastic_ip_address: Option<String>,
}

/// An interface attached to the instance, as the describe answers show it.
pub(crate) struct Attached<'a> {
    pub(crate) interface: &'a NetworkInterface,
    pub(crate) auto_delete: bool,
}

impl InstanceView {
    /// The instance with its primary interface (device index 1) and its secondary ones
    /// (device indexes from 2, in the order given).
    pub(crate) fn new(
        instance: &Instance,
        primary: Option<&NetworkInterface>,
        secondaries: &[Attached<'_>],
    ) -> InstanceView {
        let primary_ip = primary.map(private_ip);
        let (elastic_ip_id, elastic_ip_address) = match primary_ip {
            Some(PrivateIpView {
                elastic_ip_id,
                elastic_ip_address,
                ..
            }) => (elastic_ip_id, elastic_ip_address),
            None => (None, None),
        };
        InstanceView {
            instance_id: instance.id.clone(),
            instance_name: instance.name().to_owned(),
            instance_type: instance.instance_type().to_owned(),
            status: instance.status.clone(),
            az: instance.az.clone(),
            vpc_id: instance.vpc.clone(),
            subnet_id: instance.subnet(primary),
            private_ip_address: instance.private_ip(primary),
            elastic_ip_id,
            elastic_ip_address,
            // The primary interface goes with its instance: JD Cloud shows it as auto-deleted.
            primary_network_interface: primary.map(|nic| attachment(nic, 1, true)),
            secondary_network_interfaces: secondaries
                .iter()
                .zip(2..)
                .map(|(a, index)| attachment(a.interface, index, a.auto_delete))
                .collect(),
        }
    }
}

fn attachment(nic: &NetworkInterface, device_index: u32, auto_delete: bool) -> AttachmentView {
    AttachmentView {
        device_index,
        auto_delete,
        network_interface: NetworkInterfaceView {
            network_interface_id: nic.id.clone(),
            mac_address: nic.mac(),
            vpc_id: nic.vpc.clone(),
            subnet_id: nic.subnet(),
            security_groups: nic
                .security_groups
                .iter()
                .map(|g| SecurityGroupView {
                    group_id: g.id.clone(),
                    group_name: g.name().to_owned(),
                })
                .collect(),
            primary_ip: private_ip(nic),
        },
    }
}

/// The interface's primary IP, with its elastic IP when it has one.
fn private_ip(nic: &NetworkInterface) -> PrivateIpView {
    let elastic = nic.elastic_ip_az.is_some();
    PrivateIpView {
        private_ip_address: nic.private_ip(),
        elastic_ip_id: elastic.then(|| nic.elastic_ip_id()),
        elastic_ip_address: elastic.then(|| nic.elastic_ip_address()),
    }
}
