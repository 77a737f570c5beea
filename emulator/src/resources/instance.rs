//! Instances: create (from a spec or a template), the describes, start, stop, reboot, resize,
//! rebuild, redeploy, suspend, resume, delete, the `modify…` operations, disks and elastic IPs.
//!
//! A change is committed at once and runs as a task on the instance: while it runs the
//! instance shows a transitional status (`pending`, `stopping`, …) and refuses other changes
//! with `Conflict with underlay task …`; then it shows the committed status.

use std::{collections::HashMap, time::Instant};

use serde_json::{json, Map, Value};

use super::{
    done, new_id, not_found, out_of_range, precondition, quota_exceeded, quota_limit, timestamp,
    Args, Ctx, Outcome,
};
use crate::{
    reply::ApiError,
    service::World,
    state::{derived_private_ip, hash, Instance, NetworkInterface},
    world::{Disk, ElasticIp},
};

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    Some(match name {
        "createInstances" => create_instances(w, ctx, a),
        "describeInstance" => describe_instance(w, ctx, a),
        "describeInstances" | "describeBriefInstances" => {
            describe_instances(w, ctx, a, "instances", |v| v)
        }
        "describeInstanceStatus" => describe_instances(
            w,
            ctx,
            a,
            "instanceStatuses",
            |v| json!({"instanceId": v["instanceId"], "status": v["status"]}),
        ),
        "describeInstancePrivateIpAddress" => describe_instances(
            w,
            ctx,
            a,
            "instancePrivateIpAddress",
            |v| json!({"instanceId": v["instanceId"], "privateIpAddress": v["privateIpAddress"]}),
        ),
        "describeInstancesCustomData" => describe_instances(w, ctx, a, "customData", |v| {
            json!({"instanceId": v["instanceId"], "metadata": v["metadata"].as_array().cloned().unwrap_or_default(),
                   "userdata": v["userdata"].as_array().cloned().unwrap_or_default()})
        }),
        "describeInstanceVncUrl" => vnc_url(w, ctx, a),
        "startInstance" => transition(w, ctx, a, &["stopped"], "starting", "running"),
        "stopInstance" => transition(w, ctx, a, &["running"], "stopping", "stopped"),
        "rebootInstance" => transition(w, ctx, a, &["running"], "rebooting", "running"),
        "suspendInstance" => transition(w, ctx, a, &["running"], "suspending", "suspended"),
        "resumeInstance" => transition(w, ctx, a, &["suspended"], "resuming", "running"),
        "redeployInstance" => transition(w, ctx, a, &["running", "stopped"], "redeploying", ""),
        "resizeInstance" => resize(w, ctx, a),
        "rebuildInstance" => rebuild(w, ctx, a),
        "deleteInstance" => delete(w, ctx, a),
        "modifyInstanceAttribute" => modify_attribute(w, ctx, a),
        "modifyInstancePassword" => modify_password(w, ctx, a),
        "modifyInstanceReleaseTime" => modify_release_time(w, ctx, a),
        "modifyInstancePlacement" => modify_placement(w, ctx, a),
        "modifyInstanceVpcAttribute" => modify_vpc(w, ctx, a),
        "modifyInstanceNetworkAttribute" => modify_network(w, ctx, a),
        "modifyInstanceDiskAttribute" => modify_disks(w, ctx, a),
        "attachDisk" => attach_disk(w, ctx, a),
        "detachDisk" => detach_disk(w, ctx, a),
        "associateElasticIp" => associate_eip(w, ctx, a),
        "disassociateElasticIp" => disassociate_eip(w, ctx, a),
        _ => return None,
    })
}

/// The instance of the path, with the checks every change makes, in JD Cloud's order: it
/// exists, its status is one of `allowed` (none: any), no task runs on it.
pub(crate) fn changeable(
    w: &World,
    ctx: &Ctx<'_>,
    a: &Args<'_>,
    allowed: &[&str],
) -> Result<usize, ApiError> {
    let id = a.text("instanceId");
    let at = w.instance_at(ctx.region, &id)?;
    if let Some(task) = w.running_task(at, ctx.now) {
        return Err(precondition(format!(
            "Conflict with underlay task {}",
            task.id
        )));
    }
    let status = &w.state.instances[at].status;
    if !allowed.is_empty() && !allowed.contains(&status.as_str()) {
        return Err(precondition(format!("Invalid instance status {status}")));
    }
    Ok(at)
}

fn transition(
    w: &mut World,
    ctx: &Ctx<'_>,
    a: &Args<'_>,
    allowed: &[&str],
    shows: &str,
    then: &str,
) -> Outcome {
    let at = changeable(w, ctx, a, allowed)?;
    if !then.is_empty() {
        w.state.instances[at].status = then.to_owned();
    }
    w.start_status_task(at, shows, ctx.now);
    done()
}

/// JD Cloud's password rule: 8 to 30 characters, at least three of upper-case letters,
/// lower-case letters, digits and these specials, and nothing else.
pub(crate) fn check_password(password: &str) -> Result<(), ApiError> {
    let specials = "()`~!@#$%^&*_-+=|{}[]:;\"'<>,.?/ ";
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| specials.contains(c)),
    ];
    let ok = (8..=30).contains(&password.chars().count())
        && classes.iter().filter(|c| **c).count() >= 3
        && password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || specials.contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_argument("Invalid password"))
    }
}

fn create_instances(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let token = a
        .str("clientToken")
        .map(|t| (ctx.op.name.clone(), format!("{}/{t}", ctx.caller)));
    if let Some(answer) = token.as_ref().and_then(|t| w.tokens.get(t)) {
        return Ok(Some(answer.clone()));
    }
    // A template's data first, then what the call says.
    let mut spec = a.get("instanceSpec").cloned().unwrap_or_else(|| json!({}));
    if let Some(template_id) = spec.get("instanceTemplateId").and_then(Value::as_str) {
        let template = w
            .state
            .templates
            .iter()
            .find(|t| t.id == template_id && t.region == ctx.region)
            .ok_or_else(|| not_found(format!("Instance Template '{template_id}' not found")))?;
        let mut merged = template.data.as_object().cloned().unwrap_or_default();
        for (k, v) in spec.as_object().cloned().unwrap_or_default() {
            merged.insert(k, v);
        }
        spec = Value::Object(merged);
    }
    let s = Args(spec.as_object().unwrap_or(&Map::new())).owned();
    let s = Args(&s);
    let count = a.int("maxCount").unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(out_of_range("Maxcount out of range"));
    }
    let image_id = s
        .str("imageId")
        .ok_or_else(|| ApiError::invalid_argument("Parameter InstanceSpec.ImageId missing"))?;
    let type_name = s.text("instanceType");
    let itype = w
        .state
        .instance_types
        .iter()
        .find(|t| t.name == type_name)
        .cloned()
        .ok_or_else(|| not_found(format!("InstanceType '{type_name}' not found")))?;
    let image = super::image::visible(w, ctx, image_id)
        .ok_or_else(|| not_found(format!("Image '{image_id}' not found")))?;
    if image.status != "ready" || w.image_tasks.get(&image.id).is_some_and(|t| *t > ctx.now) {
        return Err(precondition(format!("Image '{image_id}' not ready")));
    }
    let subnet_id = s
        .str("primaryNetworkInterface/networkInterface/subnetId")
        .unwrap_or("subnet-default")
        .to_owned();
    let subnet = w
        .state
        .subnets
        .iter()
        .find(|n| n.id == subnet_id && n.region == ctx.region)
        .cloned()
        .ok_or_else(|| not_found(format!("Subnet '{subnet_id}' not found")))?;
    let groups = s.strings("primaryNetworkInterface/networkInterface/securityGroups");
    for g in &groups {
        if !w
            .state
            .security_groups
            .iter()
            .any(|d| &d.id == g && d.region == ctx.region)
        {
            return Err(not_found(format!("SecurityGroups '{g}' not found")));
        }
    }
    let key_names = s.strings("keyNames");
    for k in &key_names {
        if !super::keypair::exists(w, ctx, k) {
            return Err(not_found(format!("KeyPair '{k}' not found")));
        }
    }
    if let Some(password) = s.str("password") {
        check_password(password)?;
    }
    let system_size = s
        .int("systemDisk/cloudDiskSpec/diskSizeGB")
        .unwrap_or(image.system_disk_size_gb);
    if s.str("systemDisk/diskCategory").unwrap_or("cloud") == "cloud"
        && !(image.system_disk_size_gb.min(40)..=500).contains(&system_size)
    {
        return Err(out_of_range(
            "InstanceSpec.SystemDisk.CloudDiskSpec.DiskSizeGB out of range",
        ));
    }
    let az = s.str("az").unwrap_or("cn-north-1a").to_owned();
    let owned = w
        .state
        .instances
        .iter()
        .enumerate()
        .filter(|(at, i)| i.region == ctx.region && w.exists(*at, ctx.now))
        .count() as i64;
    if owned + count > quota_limit(w, "instance") {
        return Err(quota_exceeded("Instance quota limit exceeded"));
    }

    let mut ids = Vec::new();
    for n in 0..count {
        let id = new_id("i");
        let port = new_id("port");
        let name = s.text("name");
        let nic = NetworkInterface {
            id: port.clone(),
            region: ctx.region.to_owned(),
            vpc: subnet.vpc.clone(),
            owner: ctx.caller.to_owned(),
            elastic_ip_az: None,
            elastic_ip_id: None,
            attached_to: Some(id.clone()),
            primary: true,
            auto_delete: true,
            elastic_ip_address: None,
            mac: None,
            subnet: Some(subnet_id.clone()),
            private_ip: s
                .str("primaryNetworkInterface/networkInterface/primaryIpAddress")
                .map(str::to_owned),
            security_groups: groups
                .iter()
                .map(|g| crate::state::SecurityGroup {
                    id: g.clone(),
                    name: None,
                })
                .collect(),
        };
        let mut nic = nic;
        if s.get("elasticIp").is_some() {
            let eip = ElasticIp {
                id: new_id("fip"),
                region: ctx.region.to_owned(),
                az: az.clone(),
                address: eip_address(&port),
                owner: Some(ctx.caller.to_owned()),
            };
            nic.elastic_ip_az = Some(eip.az.clone());
            nic.elastic_ip_id = Some(eip.id.clone());
            nic.elastic_ip_address = Some(eip.address.clone());
            w.state.elastic_ips.push(eip);
        }
        let at_nic = w.state.network_interfaces.len();
        w.interface_index.insert(port.clone(), at_nic);
        w.state.network_interfaces.push(nic);
        w.attach_seq.push(w.next_seq);
        w.next_seq += 1;

        if s.str("systemDisk/diskCategory").unwrap_or("cloud") == "cloud" {
            w.state.disks.push(Disk {
                id: new_id("vol"),
                region: ctx.region.to_owned(),
                az: az.clone(),
                size_gb: system_size,
                disk_type: s
                    .str("systemDisk/cloudDiskSpec/diskType")
                    .unwrap_or("ssd.gp1")
                    .to_owned(),
                owner: Some(ctx.caller.to_owned()),
                attached_to: Some(id.clone()),
                device_name: Some("vda".into()),
                auto_delete: s.bool("systemDisk/autoDelete").unwrap_or(true),
                system: true,
                name: None,
            });
        }
        for (i, d) in s.list("dataDisks").iter().enumerate() {
            let d = Args(d.as_object().unwrap_or(&Map::new())).owned();
            let d = Args(&d);
            w.state.disks.push(Disk {
                id: new_id("vol"),
                region: ctx.region.to_owned(),
                az: az.clone(),
                size_gb: d.int("cloudDiskSpec/diskSizeGB").unwrap_or(20),
                disk_type: d
                    .str("cloudDiskSpec/diskType")
                    .unwrap_or("ssd.gp1")
                    .to_owned(),
                owner: Some(ctx.caller.to_owned()),
                attached_to: Some(id.clone()),
                device_name: Some(
                    d.str("deviceName")
                        .map_or_else(|| device_name(i + 1), str::to_owned),
                ),
                auto_delete: d.bool("autoDelete").unwrap_or(true),
                system: false,
                name: d.str("cloudDiskSpec/name").map(str::to_owned),
            });
        }
        let instance = Instance {
            id: id.clone(),
            region: ctx.region.to_owned(),
            az: az.clone(),
            vpc: subnet.vpc.clone(),
            status: "running".into(),
            max_network_interfaces: u32::try_from(itype.nic_limit).unwrap_or(2),
            busy: false,
            name: Some(if name.is_empty() {
                id.clone()
            } else if count > 1 {
                format!("{name}{}", n + 1)
            } else {
                name
            }),
            instance_type: Some(itype.name.clone()),
            subnet: Some(subnet_id.clone()),
            private_ip: None,
            image_id: Some(image.id.clone()),
            key_names: key_names.clone(),
            hostname: s.str("hostname").map(str::to_owned),
            description: s.str("description").map(str::to_owned),
            launch_time: Some(timestamp()),
            charge_mode: Some(
                s.str("charge/chargeMode")
                    .unwrap_or("postpaid_by_duration")
                    .to_owned(),
            ),
            tags: s
                .list("userTags")
                .iter()
                .filter_map(|t| {
                    Some((
                        t.get("key")?.as_str()?.to_owned(),
                        t.get("value")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                    ))
                })
                .collect(),
            user_data: custom_data(&s),
            auto_release_time: None,
            client_token: a.str("clientToken").map(str::to_owned),
            owner: Some(ctx.caller.to_owned()),
            deleted: false,
        };
        let at = w.state.instances.len();
        w.instance_index.insert(id.clone(), at);
        w.state.instances.push(instance);
        w.start_status_task(at, "pending", ctx.now);
        ids.push(id);
    }
    let answer = json!({ "instanceIds": ids });
    if let Some(t) = token {
        w.tokens.insert(t, answer.clone());
    }
    Ok(Some(answer))
}

impl Args<'_> {
    fn owned(&self) -> Map<String, Value> {
        self.0.clone()
    }
}

fn custom_data(s: &Args<'_>) -> Option<String> {
    let metadata = s.get("metadata").cloned().unwrap_or_else(|| json!([]));
    let userdata = s.get("userdata").cloned().unwrap_or_else(|| json!([]));
    if metadata == json!([]) && userdata == json!([]) {
        return None;
    }
    Some(json!({"metadata": metadata, "userdata": userdata}).to_string())
}

fn device_name(index: usize) -> String {
    format!(
        "vd{}",
        (b'a' + u8::try_from(index.min(25)).unwrap_or(25)) as char
    )
}

fn eip_address(seed: &str) -> String {
    let h = hash(seed);
    format!("116.196.{}.{}", (h >> 8) & 0xff, 2 + (h & 0xff) % 253)
}

/// An instance as the describes show it: the interface view of [`crate::view`] with the
/// status of a running task, then what the instance has beyond interfaces (keys without a
/// value omitted, as JD Cloud does).
pub(crate) fn instance_json(
    w: &World,
    at: usize,
    attachments: &HashMap<String, Vec<(u64, usize, bool)>>,
    now: Instant,
) -> Value {
    let mut instance = w.state.instances[at].clone();
    instance.status = w.visible_status(at, now);
    let mut v = serde_json::to_value(w.view(&instance, attachments)).unwrap_or_default();
    let Some(o) = v.as_object_mut() else { return v };
    let i = &w.state.instances[at];
    let mut put = |k: &str, value: Option<Value>| {
        if let Some(value) = value {
            o.insert(k.to_owned(), value);
        }
    };
    put("imageId", i.image_id.clone().map(Value::from));
    put("hostname", i.hostname.clone().map(Value::from));
    put("description", i.description.clone().map(Value::from));
    put("launchTime", i.launch_time.clone().map(Value::from));
    put(
        "autoReleaseTime",
        i.auto_release_time.clone().map(Value::from),
    );
    if !i.key_names.is_empty() {
        put("keyNames", Some(json!(i.key_names)));
    }
    if let Some(mode) = &i.charge_mode {
        put(
            "charge",
            Some(json!({"chargeMode": mode, "chargeStatus": "normal",
            "chargeStartTime": i.launch_time})),
        );
    }
    if !i.tags.is_empty() {
        put(
            "tags",
            Some(Value::Array(
                i.tags
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect(),
            )),
        );
    }
    if let Some(image) = i
        .image_id
        .as_ref()
        .and_then(|id| w.state.images.iter().find(|m| &m.id == id))
    {
        put(
            "osType",
            Some(json!(if image.platform.starts_with("Windows") {
                "windows"
            } else {
                "linux"
            })),
        );
    }
    if let Some(data) = i
        .user_data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
    {
        put("metadata", data.get("metadata").cloned());
        put("userdata", data.get("userdata").cloned());
    }
    let mut data_disks = Vec::new();
    for d in &w.state.disks {
        let change = w.disk_change(&d.id, now);
        let status = match (d.attached_to.as_deref() == Some(&i.id), change) {
            (true, Some((_, true))) => "attaching",
            (true, _) => "attached",
            (false, Some((on, false))) if on == i.id => "detaching",
            (false, _) => continue,
        };
        if d.system {
            put("systemDisk", Some(disk_attachment(d, status)));
        } else {
            data_disks.push(disk_attachment(d, status));
        }
    }
    if !data_disks.is_empty() {
        data_disks.sort_by(|x, y| x["deviceName"].as_str().cmp(&y["deviceName"].as_str()));
        put("dataDisks", Some(Value::Array(data_disks)));
    }
    v
}

fn disk_attachment(d: &Disk, status: &str) -> Value {
    json!({
        "diskCategory": "cloud",
        "autoDelete": d.auto_delete,
        "deviceName": d.device_name,
        "status": status,
        "cloudDisk": {"diskId": d.id, "az": d.az, "name": d.name.clone().unwrap_or_else(|| d.id.clone()),
                      "diskType": d.disk_type, "diskSizeGB": d.size_gb, "status": "in-use"},
    })
}

fn describe_instance(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let attachments = w.visible_attachments(ctx.now);
    Ok(Some(
        json!({ "instance": instance_json(w, at, &attachments, ctx.now) }),
    ))
}

fn describe_instances(
    w: &mut World,
    ctx: &Ctx<'_>,
    a: &Args<'_>,
    key: &str,
    shape: impl Fn(Value) -> Value,
) -> Outcome {
    let page = a.page(20, 100)?;
    let filters = a.filters_of(&[
        "instanceId",
        "privateIpAddress",
        "az",
        "vpcId",
        "status",
        "name",
        "imageId",
        "networkInterfaceId",
        "subnetId",
        "agId",
        "faultDomain",
        "dedicatedHostId",
        "dedicatedPoolId",
        "instanceType",
        "elasticIpAddress",
        "chargeOnStopped",
        "spotStatus",
    ])?;
    let tags: Vec<(String, Vec<String>)> = a
        .list("tags")
        .iter()
        .map(|t| {
            let key = t
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let values = t
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            (key, values)
        })
        .collect();
    let attachments = w.visible_attachments(ctx.now);
    let mut out = Vec::new();
    for at in 0..w.state.instances.len() {
        let i = &w.state.instances[at];
        if i.region != ctx.region || !w.exists(at, ctx.now) {
            continue;
        }
        let tags_match = tags.iter().all(|(k, values)| {
            i.tags
                .get(k)
                .is_some_and(|v| values.is_empty() || values.contains(v))
        });
        if !tags_match {
            continue;
        }
        let v = instance_json(w, at, &attachments, ctx.now);
        let nics = || {
            v["primaryNetworkInterface"]
                .as_object()
                .into_iter()
                .map(|a| Value::Object(a.clone()))
                .chain(
                    v["secondaryNetworkInterfaces"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                )
                .collect::<Vec<Value>>()
        };
        let one = |k: &str| Some(vec![v[k].as_str().unwrap_or_default().to_owned()]);
        // Fuzzy fields: `name` and `privateIpAddress` match by substring.
        let fuzzy_ok = filters.0.iter().all(|(n, _, values)| match n.as_str() {
            "name" => values.iter().any(|x| {
                v["instanceName"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(x.as_str())
            }),
            "privateIpAddress" => nics().iter().any(|nic| {
                values.iter().any(|x| {
                    nic["networkInterface"]["primaryIp"]["privateIpAddress"]
                        .as_str()
                        .unwrap_or_default()
                        .contains(x.as_str())
                })
            }),
            _ => true,
        });
        let exact_fields_ok = Filters(
            filters
                .0
                .iter()
                .filter(|(n, _, _)| n != "name" && n != "privateIpAddress")
                .cloned()
                .collect(),
        )
        .matches(|name| match name {
            "instanceId" | "status" | "az" | "vpcId" | "subnetId" | "instanceType" | "imageId"
            | "elasticIpAddress" => one(name),
            "networkInterfaceId" => Some(
                nics()
                    .iter()
                    .filter_map(|n| {
                        n["networkInterface"]["networkInterfaceId"]
                            .as_str()
                            .map(str::to_owned)
                    })
                    .collect(),
            ),
            _ => None,
        });
        if fuzzy_ok && exact_fields_ok {
            out.push(shape(v));
        }
    }
    Ok(Some(super::paged(key, out, page)))
}

use super::Filters;

fn vnc_url(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let id = a.text("instanceId");
    let at = w.instance_at(ctx.region, &id)?;
    if w.running_task(at, ctx.now).is_some() {
        return Err(precondition("Conflict with underlay task"));
    }
    if w.state.instances[at].status != "running" {
        return Err(precondition("Invalid instance status"));
    }
    Ok(Some(
        json!({"vncUrl": format!("https://cvnc.jdcloud.com/vnc_auto.html?token={}", new_id("vnc"))}),
    ))
}

fn resize(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &[])?;
    let status = w.state.instances[at].status.clone();
    if status == "running" {
        return Err(precondition("Please stop the instance first."));
    }
    if status != "stopped" {
        return Err(precondition(format!("Invalid instance status '{status}'")));
    }
    let name = a.text("instanceType");
    let itype = w
        .state
        .instance_types
        .iter()
        .find(|t| t.name == name)
        .cloned()
        .ok_or_else(|| not_found(format!("InstanceType '{name}' not found")))?;
    let id = w.state.instances[at].id.clone();
    let nics = w
        .state
        .network_interfaces
        .iter()
        .filter(|n| n.attached_to.as_deref() == Some(&id))
        .count() as i64;
    if nics > itype.nic_limit {
        return Err(precondition(
            "InstanceType constraints. NetworkInterface limit exceeded",
        ));
    }
    let disks = w
        .state
        .disks
        .iter()
        .filter(|d| d.attached_to.as_deref() == Some(&id) && !d.system)
        .count() as i64;
    if disks > itype.disk_limit {
        return Err(precondition(
            "InstanceType constraints. CloudDisk limit exceeded",
        ));
    }
    let i = &mut w.state.instances[at];
    i.instance_type = Some(itype.name);
    i.max_network_interfaces = u32::try_from(itype.nic_limit).unwrap_or(2);
    w.start_status_task(at, "resizing", ctx.now);
    done()
}

fn rebuild(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &[])?;
    let status = w.state.instances[at].status.clone();
    if status == "running" {
        return Err(precondition("Please stop the instance first."));
    }
    if status != "stopped" {
        return Err(precondition(format!("Invalid instance status '{status}'")));
    }
    if let Some(password) = a.str("password") {
        check_password(password)?;
    }
    if let Some(image_id) = a.str("imageId") {
        if super::image::visible(w, ctx, image_id).is_none() {
            return Err(not_found(format!("Image '{image_id}' not found")));
        }
        w.state.instances[at].image_id = Some(image_id.to_owned());
    }
    let keys = a.strings("keyNames");
    for k in &keys {
        if !super::keypair::exists(w, ctx, k) {
            return Err(not_found(format!("Keypair '{k}' not found")));
        }
    }
    if !keys.is_empty() {
        w.state.instances[at].key_names = keys;
    }
    if let Some(h) = a.str("hostname") {
        w.state.instances[at].hostname = Some(h.to_owned());
    }
    w.start_status_task(at, "rebuilding", ctx.now);
    done()
}

fn delete(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &[])?;
    let i = &w.state.instances[at];
    if i.charge_mode.as_deref() == Some("prepaid_by_duration") {
        return Err(precondition(
            "Can't delete 'prepaid_by_duration' instance which isn't overdue",
        ));
    }
    let id = i.id.clone();
    w.state.instances[at].deleted = true;
    for nic in &mut w.state.network_interfaces {
        if nic.attached_to.as_deref() == Some(&id) {
            nic.attached_to = None;
            if nic.primary || nic.auto_delete {
                // Gone with the instance: no region finds it any more.
                nic.region = String::new();
            }
            nic.auto_delete = false;
        }
    }
    w.state
        .disks
        .retain(|d| !(d.attached_to.as_deref() == Some(&id) && d.auto_delete));
    for d in &mut w.state.disks {
        if d.attached_to.as_deref() == Some(&id) {
            d.attached_to = None;
            d.device_name = None;
        }
    }
    w.state.keypairs.iter().for_each(|_| ());
    w.start_status_task(at, "deleting", ctx.now);
    done()
}

fn modify_attribute(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let fields = ["name", "description", "hostname", "metadata", "userdata"];
    if fields.iter().all(|f| a.get(f).is_none()) {
        return Err(ApiError::invalid_argument(
            "There are no modifiable properties in the parameter",
        ));
    }
    let i = &mut w.state.instances[at];
    if let Some(v) = a.str("name") {
        i.name = Some(v.to_owned());
    }
    if let Some(v) = a.str("description") {
        i.description = Some(v.to_owned());
    }
    if let Some(v) = a.str("hostname") {
        i.hostname = Some(v.to_owned());
    }
    if a.get("metadata").is_some() || a.get("userdata").is_some() {
        i.user_data = custom_data(a);
    }
    done()
}

fn modify_password(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    check_password(&a.text("password"))?;
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    if let Some(task) = w.running_task(at, ctx.now) {
        return Err(precondition(format!(
            "Conflict with underlay task '{}'",
            task.id
        )));
    }
    let status = &w.state.instances[at].status;
    if status != "running" && status != "stopped" {
        return Err(precondition(format!("Invalid instance status '{status}'")));
    }
    done()
}

/// `POST /regions/{regionId}/instances:modifyInstanceReleaseTime`: the instances of the body.
fn modify_release_time(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let time = a
        .str("autoReleaseTime")
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let mut ids = a.strings("instanceIds");
    ids.extend(a.str("instanceId").map(str::to_owned));
    let found = ids
        .iter()
        .map(|id| w.instance_at(ctx.region, id))
        .collect::<Result<Vec<_>, _>>()?;
    for at in found {
        w.state.instances[at].auto_release_time = time.clone();
    }
    done()
}

/// Into (or out of) an availability group: the instance must be running or stopped, idle.
fn modify_placement(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let allowed: &[&str] = if a.bool("balance") == Some(true) {
        &["stopped"]
    } else {
        &["running", "stopped"]
    };
    changeable(w, ctx, a, allowed)?;
    done()
}

fn modify_vpc(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    if let Some(task) = w.running_task(at, ctx.now) {
        return Err(precondition(format!(
            "Conflict with underlay task '{}'",
            task.id
        )));
    }
    let status = w.state.instances[at].status.clone();
    if status != "stopped" {
        return Err(precondition(format!("Invalid instance status {status}")));
    }
    let subnet_id = a.text("subnetId");
    let subnet = w
        .state
        .subnets
        .iter()
        .find(|s| s.id == subnet_id && s.region == ctx.region)
        .cloned()
        .ok_or_else(|| not_found(format!("Subnet '{subnet_id}' not found")))?;
    let groups = a.strings("securityGroups");
    if groups.len() >= 5 {
        return Err(precondition("too many securityGroup. less than 5"));
    }
    let id = w.state.instances[at].id.clone();
    let secondary = w
        .state
        .network_interfaces
        .iter()
        .any(|n| n.attached_to.as_deref() == Some(&id) && !n.primary);
    if secondary {
        return Err(precondition(format!(
            "'{id}' have multi port, Not allowed to change vpc"
        )));
    }
    for nic in w
        .state
        .network_interfaces
        .iter_mut()
        .filter(|n| n.attached_to.as_deref() == Some(&id))
    {
        nic.vpc = subnet.vpc.clone();
        nic.subnet = Some(subnet.id.clone());
        if let Some(ip) = a.str("privateIpAddress") {
            nic.private_ip = Some(ip.to_owned());
        }
        if !groups.is_empty() {
            nic.security_groups = groups
                .iter()
                .map(|g| crate::state::SecurityGroup {
                    id: g.clone(),
                    name: None,
                })
                .collect();
        }
    }
    let i = &mut w.state.instances[at];
    i.vpc = subnet.vpc;
    i.subnet = Some(subnet.id);
    i.private_ip = a
        .str("privateIpAddress")
        .map(str::to_owned)
        .or_else(|| Some(derived_private_ip(&format!("{id}{subnet_id}"))));
    done()
}

fn modify_network(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let id = w.state.instances[at].id.clone();
    for n in a.list("networks") {
        let nic_id = n
            .get("networkInterfaceId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let nic = w
            .state
            .network_interfaces
            .iter_mut()
            .find(|x| x.id == nic_id && x.attached_to.as_deref() == Some(&id))
            .ok_or_else(|| {
                precondition(format!(
                    "NetworkInterface '{nic_id}' not mounted on instance"
                ))
            })?;
        if nic.primary {
            return Err(precondition("Can't modify primaryNetworkInterface"));
        }
        if let Some(auto) = n.get("autoDelete").and_then(Value::as_bool) {
            nic.auto_delete = auto;
        }
    }
    done()
}

fn modify_disks(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let id = w.state.instances[at].id.clone();
    for d in a.list("dataDisks") {
        let disk_id = d.get("diskId").and_then(Value::as_str).unwrap_or_default();
        let disk = w
            .state
            .disks
            .iter_mut()
            .find(|x| x.id == disk_id && x.attached_to.as_deref() == Some(&id))
            .ok_or_else(|| precondition(format!("disk '{disk_id}' not mounted on instance")))?;
        if let Some(auto) = d.get("autoDelete").and_then(Value::as_bool) {
            disk.auto_delete = auto;
        }
    }
    done()
}

/// The index of the disk `disk_id` of the caller's region, or the documented `404`.
fn disk_in_region(w: &World, ctx: &Ctx<'_>, disk_id: &str) -> Result<usize, ApiError> {
    w.state
        .disks
        .iter()
        .position(|d| d.id == disk_id && d.region == ctx.region)
        .ok_or_else(|| not_found(format!("Disk '{disk_id}' not found.")))
}

fn attach_disk(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &["running", "stopped"])?;
    let disk_id = a.text("diskId");
    let disk_at = disk_in_region(w, ctx, &disk_id)?;
    let i = &w.state.instances[at];
    let disk = &w.state.disks[disk_at];
    if disk.attached_to.is_some() {
        return Err(precondition(format!("Disk '{disk_id}' already attached")));
    }
    // Detached from another instance by a task still running there.
    if let Some((other, false)) = w.disk_change(&disk_id, ctx.now) {
        return Err(precondition(format!("Disk busy in '{other}'")));
    }
    if disk.az != i.az {
        return Err(precondition("The instance and disk are not in the same az"));
    }
    let limit = i
        .instance_type
        .as_ref()
        .and_then(|t| w.state.instance_types.iter().find(|x| &x.name == t))
        .map_or(8, |t| t.disk_limit);
    let id = i.id.clone();
    let used: Vec<String> = w
        .state
        .disks
        .iter()
        .filter(|d| d.attached_to.as_deref() == Some(&id))
        .filter_map(|d| d.device_name.clone())
        .collect();
    let data = w
        .state
        .disks
        .iter()
        .filter(|d| d.attached_to.as_deref() == Some(&id) && !d.system)
        .count() as i64;
    if data >= limit {
        return Err(precondition("Disk attachment limit exceeded"));
    }
    let device = match a.str("deviceName") {
        Some(name) if used.iter().any(|u| u == name) => {
            return Err(precondition(format!("DeviceName '{name}' has been used")))
        }
        Some(name) => name.to_owned(),
        None => (1..26)
            .map(device_name)
            .find(|n| !used.contains(n))
            .unwrap_or_else(|| "vdz".into()),
    };
    let disk = &mut w.state.disks[disk_at];
    disk.attached_to = Some(id.clone());
    disk.device_name = Some(device);
    disk.auto_delete = a.bool("autoDelete").unwrap_or(false);
    let shows = w.visible_status(at, ctx.now);
    let task = w.start_status_task(at, &shows, ctx.now);
    w.disk_changes.insert(disk_id, (id, true, task));
    done()
}

fn detach_disk(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &["running", "stopped"])?;
    let disk_id = a.text("diskId");
    let disk_at = disk_in_region(w, ctx, &disk_id)?;
    let id = w.state.instances[at].id.clone();
    let disk = &mut w.state.disks[disk_at];
    if disk.attached_to.as_deref() != Some(&id) {
        return Err(precondition(format!(
            "Invalid disk status '{}'",
            if disk.attached_to.is_some() {
                "in-use"
            } else {
                "available"
            }
        )));
    }
    if disk.system {
        return Err(precondition("Please stop the instance first"));
    }
    disk.attached_to = None;
    disk.auto_delete = false;
    let shows = w.visible_status(at, ctx.now);
    let task = w.start_status_task(at, &shows, ctx.now);
    w.disk_changes.insert(disk_id, (id, false, task));
    done()
}

fn primary_nic(w: &World, instance_id: &str) -> Option<usize> {
    w.state
        .network_interfaces
        .iter()
        .position(|n| n.primary && n.attached_to.as_deref() == Some(instance_id))
}

fn associate_eip(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let eip_id = a.text("elasticIpId");
    let eip = w
        .state
        .elastic_ips
        .iter()
        .find(|e| e.id == eip_id && e.region == ctx.region)
        .cloned()
        .ok_or_else(|| not_found(format!("ElasticIpId {eip_id} not found")))?;
    if w.state.network_interfaces.iter().any(|n| {
        n.elastic_ip_az.is_some()
            && n.elastic_ip_id.as_deref() == Some(&eip_id)
            && !n.region.is_empty()
    }) {
        return Err(precondition(format!("ElasticIp {eip_id} already in use")));
    }
    let i = &w.state.instances[at];
    if eip.az != "*" && eip.az != i.az {
        return Err(precondition(format!(
            "The instance and elasticIp '{eip_id}' are in different azs"
        )));
    }
    let id = i.id.clone();
    let nic_at =
        primary_nic(w, &id).ok_or_else(|| precondition("NetworkInterface already in use"))?;
    let nic = &mut w.state.network_interfaces[nic_at];
    if nic.elastic_ip_az.is_some() {
        return Err(precondition("NetworkInterface already in use"));
    }
    nic.elastic_ip_az = Some(eip.az);
    nic.elastic_ip_id = Some(eip.id);
    nic.elastic_ip_address = Some(eip.address);
    done()
}

fn disassociate_eip(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = w.instance_at(ctx.region, &a.text("instanceId"))?;
    let eip_id = a.text("elasticIpId");
    if !w
        .state
        .elastic_ips
        .iter()
        .any(|e| e.id == eip_id && e.region == ctx.region)
    {
        return Err(not_found(format!("ElasticIpId {eip_id} not found")));
    }
    let id = w.state.instances[at].id.clone();
    let nic_at = primary_nic(w, &id)
        .filter(|&n| {
            w.state.network_interfaces[n].elastic_ip_az.is_some()
                && w.state.network_interfaces[n].elastic_ip_id.as_deref() == Some(&eip_id)
        })
        .ok_or_else(|| {
            precondition("Elastic ip isn't associated to this instance's primary network interface")
        })?;
    let nic = &mut w.state.network_interfaces[nic_at];
    nic.elastic_ip_az = None;
    nic.elastic_ip_id = None;
    nic.elastic_ip_address = None;
    done()
}
