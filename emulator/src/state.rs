//! The emulator's world as a file: access keys, instances and network interfaces.

use std::{collections::HashSet, fmt};

use serde::{Deserialize, Serialize};

use jdcloud_vm::Error;

/// What the emulator knows: the access keys it accepts, the instances and the network
/// interfaces, as read from the state file of the `jdcloud-vm-emulator` binary.
///
/// ```json
/// {
///   "credentials": [{"access_key": "AK", "secret_key": "SK"}],
///   "instances": [{"id": "i-eumm1234d6", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1",
///                  "status": "running", "max_network_interfaces": 2, "busy": false}],
///   "network_interfaces": [{"id": "port-n2h7abcdse", "region": "cn-north-1", "vpc": "vpc-1",
///                           "owner": "AK", "elastic_ip_az": "cn-north-1a", "attached_to": null,
///                           "primary": false}]
/// }
/// ```
///
/// Fields beyond the required ones, with their defaults:
///
/// - a credential's `security_token` (none): makes the key a temporary one, whose requests must
///   carry the token, base64-encoded, in `x-jdcloud-security-token`;
/// - an instance's `status` (`"running"`), `max_network_interfaces` (2: the limit on all its
///   interfaces, a listed primary one included) and `busy` (false: true means a task that never
///   ends is in progress);
/// - an instance's `name` (its id), `instance_type` (`"g.n2.medium"`), `subnet` (its primary
///   interface's subnet, else the VPC's default subnet: `subnet-` followed by the VPC id
///   without its `vpc-` prefix) and `private_ip` (its primary interface's, else an address
///   `10.x.y.z` derived from the instance id);
/// - an interface's `elastic_ip_az` (none; `"*"` for an all-AZ elastic IP), `elastic_ip_id`
///   (`fip-` followed by the interface id without its `port-` prefix), `elastic_ip_address`
///   (an address `116.196.y.z` derived from the interface id), `attached_to` (none), `primary`
///   (false) and `auto_delete` (false; set by a successful attach, cleared by a detach);
/// - an interface's `mac` (`fa:16:3e:` and three bytes derived from the interface id),
///   `subnet` (the VPC's default subnet, as above), `private_ip` (an address `10.x.y.z`
///   derived from the interface id) and `security_groups` (none; a list of
///   `{"id": "sg-…", "name": "…"}`, the name defaulting to the id).
///
/// The derived values depend only on the ids, so a minimal state file gives full describe
/// answers that are the same from run to run.
///
/// Unknown fields are refused, so that a misspelt field does not silently take its default.
///
/// `Debug` never shows secret keys or tokens.
///
/// # Example
///
/// ```
/// use jdcloud_vm_emulator::EmulatorState;
///
/// let state = EmulatorState::from_json(r#"{
///   "credentials": [{"access_key": "AK", "secret_key": "SK"}],
///   "instances": [{"id": "i-1", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1"}],
///   "network_interfaces": [{"id": "port-1", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"}]
/// }"#)?;
/// assert_eq!(state.attached_to("port-1"), None);
///
/// let misspelt = EmulatorState::from_json(r#"{"credentials": [], "instances": [], "network_interfaces": [], "instance": []}"#);
/// assert!(misspelt.unwrap_err().to_string().contains("unknown field `instance`"));
/// # Ok::<(), jdcloud_vm::Error>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorState {
    pub(crate) credentials: Vec<AccessKey>,
    #[serde(default)]
    pub(crate) instances: Vec<Instance>,
    #[serde(default)]
    pub(crate) network_interfaces: Vec<NetworkInterface>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) azs: Vec<crate::world::Az>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) subnets: Vec<crate::world::Subnet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) security_groups: Vec<crate::world::SecurityGroupDef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) images: Vec<crate::world::Image>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) instance_types: Vec<crate::world::InstanceType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) quotas: Vec<crate::world::Quota>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) disks: Vec<crate::world::Disk>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) elastic_ips: Vec<crate::world::ElasticIp>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) keypairs: Vec<crate::world::Keypair>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) templates: Vec<crate::world::Template>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) image_tasks: Vec<crate::world::ImageTask>,
}

impl Default for EmulatorState {
    /// The default world, which the binary serves with no `--state`; see the crate's docs.
    fn default() -> Self {
        crate::world::default_world()
    }
}

/// An access key pair the gateway accepts.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessKey {
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) security_token: Option<String>,
}

/// A VM instance.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Instance {
    pub(crate) id: String,
    pub(crate) region: String,
    pub(crate) az: String,
    pub(crate) vpc: String,
    #[serde(default = "default_status")]
    pub(crate) status: String,
    #[serde(default = "default_max_network_interfaces")]
    pub(crate) max_network_interfaces: u32,
    #[serde(default)]
    pub(crate) busy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) instance_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) private_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) key_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) launch_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) charge_mode: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) tags: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) auto_release_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) owner: Option<String>,
    /// Deleted by `deleteInstance`: gone once its task ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) deleted: bool,
}

/// An elastic network interface.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkInterface {
    pub(crate) id: String,
    pub(crate) region: String,
    pub(crate) vpc: String,
    pub(crate) owner: String,
    #[serde(default)]
    pub(crate) elastic_ip_az: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) elastic_ip_id: Option<String>,
    #[serde(default)]
    pub(crate) attached_to: Option<String>,
    #[serde(default)]
    pub(crate) primary: bool,
    #[serde(default)]
    pub(crate) auto_delete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) elastic_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) private_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) security_groups: Vec<SecurityGroup>,
}

/// A security group of an interface.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SecurityGroup {
    pub(crate) id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

fn default_status() -> String {
    "running".to_owned()
}

fn default_max_network_interfaces() -> u32 {
    2
}

impl NetworkInterface {
    /// The id of the interface's elastic IP: the state's, else one derived from the interface's
    /// id, so that messages are the same from run to run.
    pub(crate) fn elastic_ip_id(&self) -> String {
        match &self.elastic_ip_id {
            Some(id) => id.clone(),
            None => format!("fip-{}", self.id.strip_prefix("port-").unwrap_or(&self.id)),
        }
    }

    /// The public address of the interface's elastic IP: the state's, else one derived from
    /// the interface's id.
    pub(crate) fn elastic_ip_address(&self) -> String {
        match &self.elastic_ip_address {
            Some(address) => address.clone(),
            None => {
                let h = hash(&self.id);
                format!("116.196.{}.{}", (h >> 8) & 0xff, host_byte(h))
            }
        }
    }

    /// The MAC address: the state's, else `fa:16:3e:` and three bytes derived from the id.
    pub(crate) fn mac(&self) -> String {
        match &self.mac {
            Some(mac) => mac.clone(),
            None => {
                let h = hash(&self.id);
                format!(
                    "fa:16:3e:{:02x}:{:02x}:{:02x}",
                    (h >> 16) & 0xff,
                    (h >> 8) & 0xff,
                    h & 0xff
                )
            }
        }
    }

    /// The subnet: the state's, else the VPC's default subnet.
    pub(crate) fn subnet(&self) -> String {
        self.subnet
            .clone()
            .unwrap_or_else(|| default_subnet(&self.vpc))
    }

    /// The primary private IP address: the state's, else one derived from the id.
    pub(crate) fn private_ip(&self) -> String {
        self.private_ip
            .clone()
            .unwrap_or_else(|| derived_private_ip(&self.id))
    }
}

impl Instance {
    /// The instance's name: the state's, else its id.
    pub(crate) fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// The instance type: the state's, else `g.n2.medium`.
    pub(crate) fn instance_type(&self) -> &str {
        self.instance_type.as_deref().unwrap_or("g.n2.medium")
    }

    /// The subnet: the state's, else the primary interface's, else the VPC's default subnet.
    pub(crate) fn subnet(&self, primary: Option<&NetworkInterface>) -> String {
        match (&self.subnet, primary) {
            (Some(subnet), _) => subnet.clone(),
            (None, Some(nic)) => nic.subnet(),
            (None, None) => default_subnet(&self.vpc),
        }
    }

    /// The private IP address: the state's, else the primary interface's, else one derived
    /// from the id.
    pub(crate) fn private_ip(&self, primary: Option<&NetworkInterface>) -> String {
        match (&self.private_ip, primary) {
            (Some(ip), _) => ip.clone(),
            (None, Some(nic)) => nic.private_ip(),
            (None, None) => derived_private_ip(&self.id),
        }
    }
}

impl SecurityGroup {
    pub(crate) fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A VPC's default subnet: `subnet-` and the VPC id without its `vpc-` prefix.
pub(crate) fn default_subnet(vpc: &str) -> String {
    format!("subnet-{}", vpc.strip_prefix("vpc-").unwrap_or(vpc))
}

/// `10.x.y.z` from an id's hash, `z` from 2 to 254.
pub(crate) fn derived_private_ip(id: &str) -> String {
    let h = hash(id);
    format!(
        "10.{}.{}.{}",
        (h >> 16) & 0xff,
        (h >> 8) & 0xff,
        host_byte(h)
    )
}

/// A last address byte from 2 to 254: neither the network, the gateway nor broadcast.
fn host_byte(h: u32) -> u32 {
    2 + (h & 0xff) % 253
}

/// FNV-1a: the same for an id from run to run and platform to platform, unlike `std`'s hasher.
pub(crate) fn hash(id: &str) -> u32 {
    id.bytes().fold(0x811c_9dc5, |h: u32, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl EmulatorState {
    /// Reads a state file's JSON.
    ///
    /// An error of kind [`InvalidInput`](jdcloud_vm::ErrorKind::InvalidInput) names what is wrong:
    /// bad JSON, a missing or unknown field (with its line and column), or an id given twice.
    pub fn from_json(json: &str) -> Result<EmulatorState, Error> {
        let state: EmulatorState = serde_json::from_str(json)
            .map_err(|e| Error::invalid_input(format!("emulator state: {e}")).with_source(e))?;
        state.validate()?;
        Ok(state)
    }

    /// The state as the JSON of a state file (secret keys included: it is the emulator's own
    /// data, not a log).
    ///
    /// [`Emulator::snapshot`](crate::Emulator::snapshot) then `to_json` saves a running
    /// emulator's world; instances with a task in progress are written as `"busy": true`.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and booleans cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The instance a network interface is attached to, if the interface exists and is attached.
    pub fn attached_to(&self, network_interface_id: &str) -> Option<&str> {
        self.network_interfaces
            .iter()
            .find(|n| n.id == network_interface_id)
            .and_then(|n| n.attached_to.as_deref())
    }

    /// Refuses what the service could not have: empty ids, ids given twice.
    fn validate(&self) -> Result<(), Error> {
        unique(
            "credentials",
            "access_key",
            self.credentials.iter().map(|c| c.access_key.as_str()),
        )?;
        unique(
            "instances",
            "id",
            self.instances.iter().map(|i| i.id.as_str()),
        )?;
        unique(
            "network_interfaces",
            "id",
            self.network_interfaces.iter().map(|n| n.id.as_str()),
        )?;
        let mut with_primary = HashSet::new();
        for nic in self.network_interfaces.iter().filter(|n| n.primary) {
            if let Some(instance) = &nic.attached_to {
                if !with_primary.insert(instance.as_str()) {
                    return Err(Error::invalid_input(format!(
                        "emulator state: network_interfaces: instance {instance:?} has two primary \
                         interfaces (the second is {:?})",
                        nic.id
                    )));
                }
            }
        }
        if let Some(c) = self.credentials.iter().find(|c| c.secret_key.is_empty()) {
            return Err(Error::invalid_input(format!(
                "emulator state: credentials: access key {:?} has an empty secret_key",
                c.access_key
            )));
        }
        Ok(())
    }
}

fn unique<'a>(list: &str, field: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty() {
            return Err(Error::invalid_input(format!(
                "emulator state: {list}: an entry has an empty {field}"
            )));
        }
        if !seen.insert(id) {
            return Err(Error::invalid_input(format!(
                "emulator state: {list}: {field} {id:?} is given twice"
            )));
        }
    }
    Ok(())
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key", &self.access_key)
            .field("secret_key", &"** redacted **")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

impl fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorState")
            .field("credentials", &self.credentials)
            .field("instances", &self.instances)
            .field("network_interfaces", &self.network_interfaces)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "credentials": [{"access_key": "AK", "secret_key": "SK-SECRET"}],
      "instances": [{"id": "i-1", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1"}],
      "network_interfaces": [{"id": "port-abc", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"}]
    }"#;

    #[test]
    fn defaults_fill_the_optional_fields() {
        let s = EmulatorState::from_json(MINIMAL).unwrap();
        assert_eq!(s.instances[0].status, "running");
        assert_eq!(s.instances[0].max_network_interfaces, 2);
        assert!(!s.instances[0].busy);
        assert_eq!(s.network_interfaces[0].elastic_ip_id(), "fip-abc");
        assert_eq!(s.attached_to("port-abc"), None);
    }

    #[test]
    fn derived_values_depend_only_on_the_ids() {
        let s = EmulatorState::from_json(MINIMAL).unwrap();
        let (instance, nic) = (&s.instances[0], &s.network_interfaces[0]);
        assert_eq!(instance.name(), "i-1");
        assert_eq!(instance.instance_type(), "g.n2.medium");
        assert_eq!(instance.subnet(None), "subnet-1");
        assert_eq!(nic.subnet(), "subnet-1");
        // FNV-1a of the ids, computed independently.
        assert_eq!(hash("port-abc"), 0x0ace_970f);
        assert_eq!(nic.mac(), "fa:16:3e:ce:97:0f");
        assert_eq!(nic.private_ip(), "10.206.151.17");
        assert_eq!(instance.private_ip(Some(nic)), nic.private_ip());
        assert_eq!(instance.subnet(Some(nic)), "subnet-1");
        assert!(nic.elastic_ip_address().starts_with("116.196.151."));
        let again = EmulatorState::from_json(MINIMAL).unwrap();
        assert_eq!(
            again.instances[0].private_ip(None),
            instance.private_ip(None)
        );
    }

    #[test]
    fn the_optional_fields_are_read_and_written_back() {
        let full = r#"{
          "credentials": [],
          "instances": [{"id": "i-1", "region": "r", "az": "ra", "vpc": "vpc-1", "name": "web",
                         "instance_type": "c.n3.large", "subnet": "subnet-x", "private_ip": "10.1.2.3"}],
          "network_interfaces": [{"id": "port-1", "region": "r", "vpc": "vpc-1", "owner": "AK",
                                  "mac": "fa:16:3e:00:00:01", "subnet": "subnet-y", "private_ip": "10.1.2.4",
                                  "elastic_ip_address": "1.2.3.4",
                                  "security_groups": [{"id": "sg-1", "name": "default"}, {"id": "sg-2"}]}]
        }"#;
        let s = EmulatorState::from_json(full).unwrap();
        let (instance, nic) = (&s.instances[0], &s.network_interfaces[0]);
        assert_eq!(instance.name(), "web");
        assert_eq!(instance.instance_type(), "c.n3.large");
        assert_eq!(instance.subnet(Some(nic)), "subnet-x");
        assert_eq!(instance.private_ip(Some(nic)), "10.1.2.3");
        assert_eq!(nic.mac(), "fa:16:3e:00:00:01");
        assert_eq!(nic.subnet(), "subnet-y");
        assert_eq!(nic.private_ip(), "10.1.2.4");
        assert_eq!(nic.elastic_ip_address(), "1.2.3.4");
        assert_eq!(nic.security_groups[1].name(), "sg-2");
        let again = EmulatorState::from_json(&s.to_json()).unwrap();
        assert_eq!(again.to_json(), s.to_json());
        // A minimal state writes none of them back.
        let minimal = EmulatorState::from_json(MINIMAL).unwrap().to_json();
        for field in ["\"name\"", "mac", "subnet", "private_ip", "security_groups"] {
            assert!(!minimal.contains(field), "{field} in {minimal}");
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        let e = EmulatorState::from_json(
            r#"{"credentials": [], "instances": [{"id": "i", "region": "r", "az": "a", "vpc": "v", "stauts": "x"}], "network_interfaces": []}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), jdcloud_vm::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("unknown field `stauts`"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let e = EmulatorState::from_json(
            r#"{"credentials": [], "instances": [
                {"id": "i", "region": "r", "az": "a", "vpc": "v"},
                {"id": "i", "region": "r", "az": "a", "vpc": "v"}], "network_interfaces": []}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"i\" is given twice"), "{e}");
    }

    #[test]
    fn an_instance_has_one_primary_interface_at_most() {
        let e = EmulatorState::from_json(
            r#"{"credentials": [], "instances": [{"id": "i", "region": "r", "az": "a", "vpc": "v"}],
                "network_interfaces": [
                  {"id": "p1", "region": "r", "vpc": "v", "owner": "AK", "attached_to": "i", "primary": true},
                  {"id": "p2", "region": "r", "vpc": "v", "owner": "AK", "attached_to": "i", "primary": true}]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("\"i\" has two primary interfaces"),
            "{e}"
        );
    }

    #[test]
    fn debug_and_errors_hide_secrets() {
        let s = EmulatorState::from_json(MINIMAL).unwrap();
        assert!(!format!("{s:?}").contains("SK-SECRET"));
    }

    #[test]
    fn to_json_round_trips() {
        let s = EmulatorState::from_json(MINIMAL).unwrap();
        let again = EmulatorState::from_json(&s.to_json()).unwrap();
        assert_eq!(again.to_json(), s.to_json());
    }
}
