//! Images: describe (with filters, constraints, members), `createImage` and the other ways in
//! (`createImageFromSnapshots`, `copyImages`, `importImage`) as tasks that show `pending` then
//! `ready`, delete, share, release, modify, export, convert, and the image tasks.
//!
//! Pins (JD Cloud's user names, to share with) are access keys of the world.

use serde_json::{json, Value};

use super::{
    done, instance::changeable, new_id, not_found, out_of_range, precondition, quota_exceeded,
    quota_limit, timestamp, Args, Ctx, Outcome,
};
use crate::{
    reply::ApiError,
    service::World,
    world::{Image, ImageTask},
};

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    Some(match name {
        "describeImage" => describe_image(w, ctx, a),
        "describeImages" => describe_images(w, ctx, a),
        "describeImageConstraints" => {
            let id = a.text("imageId");
            visible(w, ctx, &id)
                .ok_or_else(|| image_not_found(&id))
                .map(|_| Some(json!({"imageConstraints": constraint(&id)})))
        }
        "describeImageConstraintsBatch" => Ok(Some(json!({"imageConstraints":
            a.strings("ids").iter().filter(|id| visible(w, ctx, id).is_some()).map(|id| constraint(id)).collect::<Vec<_>>()}))),
        "describeImageMembers" => owned(w, ctx, &a.text("imageId"))
            .map(|at| Some(json!({"pins": w.state.images[at].shared_with}))),
        "createImage" => create_image(w, ctx, a),
        "createImageFromSnapshots" => create_from_snapshots(w, ctx, a),
        "deleteImage" => delete_image(w, ctx, a),
        "shareImage" => share(w, ctx, a, true),
        "unShareImage" => share(w, ctx, a, false),
        "releaseImage" => release(w, ctx, a, true),
        "unReleaseImage" => release(w, ctx, a, false),
        "modifyImageAttribute" => modify(w, ctx, a),
        "copyImages" => copy(w, ctx, a),
        "importImage" => import(w, ctx, a),
        "exportImage" => export(w, ctx, a),
        "convertImage" => convert(w, ctx, a),
        "imageTasks" => tasks(w, ctx, a),
        _ => return None,
    })
}

fn image_not_found(id: &str) -> ApiError {
    not_found(format!("Image '{id}' not found"))
}

/// The image of an id the caller may see in the region: public, its own, shared with it or
/// released to the community.
pub(crate) fn visible(w: &World, ctx: &Ctx<'_>, id: &str) -> Option<Image> {
    w.state
        .images
        .iter()
        .find(|m| m.id == id && m.region == ctx.region && can_see(m, ctx.caller))
        .cloned()
}

fn can_see(m: &Image, caller: &str) -> bool {
    m.source != "private"
        || m.owner.as_deref() == Some(caller)
        || m.shared_with.iter().any(|p| p == caller)
        || m.released
}

/// The caller's own image: 404 when it cannot see it, `Can't use this image` when it is not its.
fn owned(w: &World, ctx: &Ctx<'_>, id: &str) -> Result<usize, ApiError> {
    let at = w
        .state
        .images
        .iter()
        .position(|m| m.id == id && m.region == ctx.region && can_see(m, ctx.caller))
        .ok_or_else(|| image_not_found(id))?;
    let m = &w.state.images[at];
    if m.source != "private" || m.owner.as_deref() != Some(ctx.caller) {
        return Err(precondition("Can't use this image"));
    }
    Ok(at)
}

/// Whether an image's task (its creation, copy or import) still runs.
fn busy(w: &World, ctx: &Ctx<'_>, id: &str) -> bool {
    w.image_tasks.get(id).is_some_and(|until| *until > ctx.now)
}

fn not_busy(w: &World, ctx: &Ctx<'_>, id: &str) -> Result<(), ApiError> {
    if busy(w, ctx, id) {
        return Err(precondition(format!(
            "Conflict with underlay image task '{id}'"
        )));
    }
    Ok(())
}

fn constraint(id: &str) -> Value {
    json!({"imageId": id, "imageInstanceTypeConstraint": {"constraintsType": "excludes", "instanceTypes": []}})
}

fn image_json(w: &World, ctx: &Ctx<'_>, m: &Image) -> Value {
    let status = if busy(w, ctx, &m.id) {
        "pending"
    } else {
        m.status.as_str()
    };
    let mut v = json!({
        "imageId": m.id,
        "name": m.name,
        "platform": m.platform,
        "osVersion": m.os_version,
        "architecture": m.architecture,
        "systemDiskSizeGB": m.system_disk_size_gb,
        "imageSource": if m.source == "private" && m.owner.as_deref() != Some(ctx.caller) {
            if m.shared_with.iter().any(|p| p == ctx.caller) { "shared" } else { "community" }
        } else { m.source.as_str() },
        "osType": if m.platform.starts_with("Windows") { "windows" } else { "linux" },
        "status": status,
        "sizeMB": m.system_disk_size_gb * 1024,
        "desc": m.description,
        "rootDeviceType": m.root_device_type,
        "launchPermission": if m.released { "all" } else { "" },
        "progress": if status == "pending" { "50" } else { "100" },
    });
    if let Some(o) = v.as_object_mut() {
        if let Some(t) = &m.create_time {
            o.insert("createTime".into(), json!(t));
        }
        if let Some(owner) = &m.owner {
            o.insert("ownerPin".into(), json!(owner));
        }
    }
    v
}

fn describe_image(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let id = a.text("imageId");
    let m = visible(w, ctx, &id).ok_or_else(|| image_not_found(&id))?;
    Ok(Some(json!({"image": image_json(w, ctx, &m)})))
}

fn describe_images(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let page = a.page(20, 100)?;
    let ids = a.strings("ids");
    let source = a.str("imageSource");
    if source.is_none() && ids.is_empty() {
        return Err(precondition("Parameter ImageSource missing"));
    }
    let list: Vec<Value> = w
        .state
        .images
        .iter()
        .filter(|m| m.region == ctx.region && can_see(m, ctx.caller))
        .filter(|m| ids.is_empty() || ids.contains(&m.id))
        .filter(|m| match source {
            None => true,
            Some("private") => m.source == "private" && m.owner.as_deref() == Some(ctx.caller),
            Some("shared") => {
                m.source == "private" && m.shared_with.iter().any(|p| p == ctx.caller)
            }
            Some("community") => m.released,
            Some(s) => m.source == s,
        })
        .filter(|m| a.str("platform").is_none_or(|p| m.platform == p))
        .filter(|m| a.str("imageName").is_none_or(|n| m.name.contains(n)))
        .filter(|m| {
            a.str("rootDeviceType")
                .is_none_or(|r| m.root_device_type == r)
        })
        .map(|m| image_json(w, ctx, m))
        .filter(|v| a.str("status").is_none_or(|s| v["status"] == s))
        .collect();
    Ok(Some(super::paged("images", list, page)))
}

fn check_quota(w: &World, ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let mine = w
        .state
        .images
        .iter()
        .filter(|m| {
            m.region == ctx.region
                && m.source == "private"
                && m.owner.as_deref() == Some(ctx.caller)
        })
        .count() as i64;
    if mine >= quota_limit(w, "image") {
        return Err(quota_exceeded("Image quota limit exceeded"));
    }
    Ok(())
}

/// A new private image of the caller's, `pending` for a task's duration.
fn new_image(
    w: &mut World,
    ctx: &Ctx<'_>,
    region: &str,
    name: String,
    template: Option<&Image>,
) -> String {
    let id = new_id("img");
    let mut m = template.cloned().unwrap_or(Image {
        id: String::new(),
        region: String::new(),
        name: String::new(),
        platform: "Linux".into(),
        os_version: String::new(),
        source: "private".into(),
        status: "ready".into(),
        owner: None,
        system_disk_size_gb: 40,
        root_device_type: "cloudDisk".into(),
        description: String::new(),
        created_from: None,
        shared_with: Vec::new(),
        released: false,
        architecture: "x86_64".into(),
        create_time: None,
    });
    m.id = id.clone();
    m.region = region.to_owned();
    m.name = name;
    m.source = "private".into();
    m.status = "ready".into();
    m.owner = Some(ctx.caller.to_owned());
    m.shared_with.clear();
    m.released = false;
    m.create_time = Some(timestamp());
    w.state.images.push(m);
    if let Some(until) = ctx.now.checked_add(w.task_duration) {
        w.image_tasks.insert(id.clone(), until);
    }
    id
}

fn create_image(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let at = changeable(w, ctx, a, &["running", "stopped"])?;
    let i = w.state.instances[at].clone();
    if !w
        .state
        .disks
        .iter()
        .any(|d| d.system && d.attached_to.as_deref() == Some(&i.id))
        && i.image_id.is_some()
    {
        return Err(precondition("System disk not found"));
    }
    check_quota(w, ctx)?;
    let base = i
        .image_id
        .as_deref()
        .and_then(|id| w.state.images.iter().find(|m| m.id == id))
        .cloned();
    let id = new_image(w, ctx, ctx.region, a.text("name"), base.as_ref());
    if let Some(m) = w.state.images.last_mut() {
        m.description = a.text("description");
        m.created_from = Some(i.id.clone());
    }
    let shows = w.visible_status(at, ctx.now);
    w.start_status_task(at, &shows, ctx.now);
    Ok(Some(json!({"imageId": id})))
}

fn create_from_snapshots(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    if let Some(answer) = token_answer(w, ctx, a) {
        return Ok(Some(answer));
    }
    check_quota(w, ctx)?;
    let id = new_image(w, ctx, ctx.region, a.text("name"), None);
    if let Some(m) = w.state.images.last_mut() {
        m.description = a.text("description");
        if let Some(os) = a.str("osType") {
            m.platform = if os == "windows" {
                "Windows Server".into()
            } else {
                "Linux".into()
            };
        }
    }
    let answer = json!({"imageId": id});
    remember_token(w, ctx, a, &answer);
    Ok(Some(answer))
}

fn token_answer(w: &World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Value> {
    let token = a.str("clientToken")?;
    w.tokens
        .get(&(ctx.op.name.clone(), format!("{}/{token}", ctx.caller)))
        .cloned()
}

fn remember_token(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>, answer: &Value) {
    if let Some(token) = a.str("clientToken") {
        w.tokens.insert(
            (ctx.op.name.clone(), format!("{}/{token}", ctx.caller)),
            answer.clone(),
        );
    }
}

fn delete_image(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let id = a.text("imageId");
    let m = visible(w, ctx, &id).ok_or_else(|| image_not_found(&id))?;
    if m.source != "private" {
        return Err(precondition("Can't delete this image"));
    }
    if m.owner.as_deref() != Some(ctx.caller) {
        return Err(precondition(if m.released {
            "Can't delete community image"
        } else {
            "Can't delete shared image"
        }));
    }
    if busy(w, ctx, &id) {
        return Err(precondition(format!("The image '{id}' is busy")));
    }
    w.state.images.retain(|x| x.id != id);
    done()
}

fn share(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>, on: bool) -> Outcome {
    let id = a.text("imageId");
    let at = owned(w, ctx, &id)?;
    if on && w.state.images[at].released {
        return Err(precondition("Community image can't be shared"));
    }
    not_busy(w, ctx, &id)?;
    let pins = a.strings("pins");
    for pin in &pins {
        if pin.is_empty() || pin == ctx.caller {
            return Err(precondition(format!("Invalid pin '{pin}'")));
        }
        if !w.state.credentials.iter().any(|c| &c.access_key == pin) {
            return Err(precondition(format!("Pin '{pin}' not found")));
        }
        if !on && !w.state.images[at].shared_with.contains(pin) {
            return Err(precondition(format!("Invalid pin '{pin}'")));
        }
    }
    let m = &mut w.state.images[at];
    if on {
        for pin in pins {
            if !m.shared_with.contains(&pin) {
                m.shared_with.push(pin);
            }
        }
        let limit = quota_limit(w, "imageShare");
        if w.state.images[at].shared_with.len() as i64 > limit {
            let m = &mut w.state.images[at];
            m.shared_with.truncate(usize::try_from(limit).unwrap_or(0));
            return Err(quota_exceeded("Image share quota limit exceeded"));
        }
    } else {
        m.shared_with.retain(|p| !pins.contains(p));
    }
    done()
}

fn release(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>, on: bool) -> Outcome {
    let id = a.text("imageId");
    let at = match owned(w, ctx, &id) {
        Err(e) if on && e.message == "Can't use this image" => {
            return Err(precondition("Can't use non-private image"))
        }
        other => other?,
    };
    not_busy(w, ctx, &id)?;
    if on && w.state.images[at].root_device_type != "cloudDisk" {
        return Err(precondition("Only cloud disk can be released"));
    }
    w.state.images[at].released = on;
    done()
}

fn modify(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    if a.get("name").is_none() && a.get("description").is_none() {
        return Err(ApiError::invalid_argument(
            "Parameter name、description missing",
        ));
    }
    let id = a.text("imageId");
    let at = owned(w, ctx, &id)?;
    not_busy(w, ctx, &id)?;
    let m = &mut w.state.images[at];
    if let Some(n) = a.str("name") {
        m.name = n.to_owned();
    }
    if let Some(d) = a.str("description") {
        m.description = d.to_owned();
    }
    done()
}

fn copy(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let destination = a.text("destinationRegion");
    let known = w.state.azs.iter().any(|z| z.region == destination)
        || w.state.instances.iter().any(|i| i.region == destination);
    if !known || destination == ctx.region {
        return Err(ApiError::invalid_argument(format!(
            "Invalid region '{destination}'"
        )));
    }
    let mut copies = Vec::new();
    let ids = a.strings("sourceImageIds");
    for id in &ids {
        let at = owned(w, ctx, id)?;
        if w.state.images[at].root_device_type != "cloudDisk" {
            return Err(precondition("Only support cloudDisk image"));
        }
        not_busy(w, ctx, id)?;
    }
    check_quota(w, ctx)?;
    for id in ids {
        let source = w.state.images.iter().find(|m| m.id == id).cloned();
        let name = source.as_ref().map(|m| m.name.clone()).unwrap_or_default();
        let copy = new_image(w, ctx, &destination, name, source.as_ref());
        copies.push(json!({"sourceImageId": id, "destinationImageId": copy}));
    }
    Ok(Some(json!({"copyImages": copies})))
}

fn next_task_id(w: &World) -> i64 {
    w.state
        .image_tasks
        .iter()
        .map(|t| t.id)
        .max()
        .unwrap_or(1000)
        + 1
}

fn import(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    if let Some(answer) = token_answer(w, ctx, a) {
        return Ok(Some(answer));
    }
    let size = a.int("systemDiskSizeGB").unwrap_or(40);
    if size % 10 != 0 {
        return Err(out_of_range("SystemDiskSizeGB must be multiple of 10"));
    }
    check_quota(w, ctx)?;
    let id = new_image(w, ctx, ctx.region, a.text("imageName"), None);
    if let Some(m) = w.state.images.last_mut() {
        m.platform = a.text("platform");
        m.os_version = a.text("osVersion");
        m.architecture = a.text("architecture");
        m.system_disk_size_gb = size;
        m.description = a.text("description");
    }
    let task = next_task_id(w);
    w.state.image_tasks.push(ImageTask {
        id: task,
        region: ctx.region.to_owned(),
        action: "ImportImage".into(),
        image_id: id.clone(),
        status: String::new(),
        message: a.text("imageUrl"),
        create_time: Some(timestamp()),
        client_token: a.str("clientToken").map(str::to_owned),
    });
    let answer = json!({"imageId": id, "importTaskId": task});
    remember_token(w, ctx, a, &answer);
    Ok(Some(answer))
}

fn export(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    if let Some(answer) = token_answer(w, ctx, a) {
        return Ok(Some(answer));
    }
    let id = a.text("imageId");
    let at = owned(w, ctx, &id)?;
    let m = &w.state.images[at];
    if m.platform.starts_with("Windows") {
        return Err(precondition("Windows image can't export"));
    }
    if busy(w, ctx, &id) {
        return Err(precondition(format!(
            "Invalid image status '{}'",
            "pending"
        )));
    }
    // Object storage is outside the VM service: the export is recorded as a task that ends.
    let task = next_task_id(w);
    w.state.image_tasks.push(ImageTask {
        id: task,
        region: ctx.region.to_owned(),
        action: "ExportImage".into(),
        image_id: id,
        status: String::new(),
        message: format!("{}{}", a.text("ossUrl"), a.text("ossPrefix")),
        create_time: Some(timestamp()),
        client_token: a.str("clientToken").map(str::to_owned),
    });
    let answer = json!({"taskId": task.to_string()});
    remember_token(w, ctx, a, &answer);
    Ok(Some(answer))
}

fn convert(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let id = a.text("imageId");
    let at = owned(w, ctx, &id)?;
    not_busy(w, ctx, &id)?;
    if w.state.images[at].root_device_type != "localDisk" {
        return Err(precondition("Only support localDisk image"));
    }
    check_quota(w, ctx)?;
    let source = w.state.images[at].clone();
    let new = new_image(w, ctx, ctx.region, source.name.clone(), Some(&source));
    if let Some(m) = w.state.images.last_mut() {
        m.root_device_type = "cloudDisk".into();
    }
    Ok(Some(json!({"imageId": new})))
}

fn tasks(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let page = a.page(10, 100)?;
    let action = a.text("taskAction");
    let ids = a.strings("taskIds");
    let list: Vec<Value> = w
        .state
        .image_tasks
        .iter()
        .filter(|t| t.region == ctx.region && t.action == action)
        .filter(|t| ids.is_empty() || ids.contains(&t.id.to_string()))
        .map(|t| {
            let running = busy(w, ctx, &t.image_id) && t.action == "ImportImage";
            json!({
                "taskId": t.id.to_string(),
                "action": t.action,
                "taskStatus": if running { "running" } else { "finished" },
                "progress": if running { 50 } else { 100 },
                "message": t.message,
                "createdTime": t.create_time,
                "finishedTime": if running { Value::Null } else { json!(t.create_time) },
            })
        })
        .filter(|v| a.str("taskStatus").is_none_or(|s| v["taskStatus"] == s))
        .collect();
    Ok(Some(super::paged("taskSet", list, page)))
}
