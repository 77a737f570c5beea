//! Instance templates: create, describe, update, verify, delete; `createInstances` takes one
//! through `instanceSpec.instanceTemplateId` (see `instance.rs`).

use serde_json::{json, Map, Value};

use super::{
    done, instance::check_password, new_id, not_found, precondition, quota_exceeded, quota_limit,
    timestamp, Args, Ctx, Outcome,
};
use crate::{reply::ApiError, service::World, world::Template};

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    Some(match name {
        "createInstanceTemplate" => create(w, ctx, a),
        "describeInstanceTemplate" => {
            let id = a.text("instanceTemplateId");
            find(w, ctx, &id).map(|at| {
                Some(json!({"instanceTemplate": template_json(w, &w.state.templates[at])}))
            })
        }
        "describeInstanceTemplates" => describe(w, ctx, a),
        "describeInstanceTemplatesCustomdata" => custom_data(w, ctx, a),
        "updateInstanceTemplate" => update(w, ctx, a),
        "verifyInstanceTemplate" => {
            let id = a.text("instanceTemplateId");
            find(w, ctx, &id).and_then(|at| {
                let data = w.state.templates[at].data.clone();
                verify(w, ctx, &data).map(|()| None)
            })
        }
        "deleteInstanceTemplate" => {
            let id = a.text("instanceTemplateId");
            find(w, ctx, &id).map(|at| {
                w.state.templates.remove(at);
                None
            })
        }
        _ => return None,
    })
}

fn find(w: &World, ctx: &Ctx<'_>, id: &str) -> Result<usize, ApiError> {
    w.state
        .templates
        .iter()
        .position(|t| t.id == id && t.region == ctx.region)
        .ok_or_else(|| not_found(format!("Instance Template '{id}' not found")))
}

/// The references of a template's data exist, as `createInstances` would need them.
fn verify(w: &World, ctx: &Ctx<'_>, data: &Value) -> Result<(), ApiError> {
    let empty = Map::new();
    let d = Args(data.as_object().unwrap_or(&empty));
    if let Some(password) = d.str("password") {
        check_password(password).map_err(|_| {
            ApiError::invalid_argument(format!(
                "Malformed InstanceTemplateData.Password '{password}'"
            ))
        })?;
    }
    if let Some(image_id) = d.str("imageId") {
        let image = super::image::visible(w, ctx, image_id)
            .ok_or_else(|| not_found(format!("Image '{image_id}' not found")))?;
        if image.status != "ready" {
            return Err(precondition(format!(
                "Invalid image status '{}'",
                image.status
            )));
        }
    }
    if let Some(t) = d.str("instanceType") {
        if !w.state.instance_types.iter().any(|x| x.name == t) {
            return Err(not_found(format!("InstanceType '{t}' not found")));
        }
    }
    if let Some(s) = d.str("primaryNetworkInterface/networkInterface/subnetId") {
        if !w
            .state
            .subnets
            .iter()
            .any(|x| x.id == s && x.region == ctx.region)
        {
            return Err(not_found(format!("Subnet '{s}' not found")));
        }
    }
    for g in d.strings("primaryNetworkInterface/networkInterface/securityGroups") {
        if !w.state.security_groups.iter().any(|x| x.id == g) {
            return Err(not_found(format!("SecurityGroups '{g}' not found")));
        }
    }
    for k in d.strings("keyNames") {
        if !super::keypair::exists(w, ctx, &k) {
            return Err(not_found(format!("KeyPair '{k}' not found")));
        }
    }
    Ok(())
}

fn template_json(w: &World, t: &Template) -> Value {
    let mut data = t.data.clone();
    if let Some(o) = data.as_object_mut() {
        let subnet = o
            .get("primaryNetworkInterface")
            .and_then(|p| p.pointer("/networkInterface/subnetId"))
            .and_then(Value::as_str);
        if let Some(vpc) = subnet
            .and_then(|s| w.state.subnets.iter().find(|x| x.id == s))
            .map(|s| s.vpc.clone())
        {
            o.insert("vpcId".into(), json!(vpc));
        }
        if o.remove("password").is_some() {
            o.insert("includePassword".into(), json!(true));
        }
    }
    json!({"id": t.id, "name": t.name, "description": t.description, "instanceTemplateData": data,
           "ags": [], "createdTime": t.create_time})
}

fn create(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let data = a
        .get("instanceTemplateData")
        .cloned()
        .unwrap_or_else(|| json!({}));
    verify(w, ctx, &data)?;
    let mine = w
        .state
        .templates
        .iter()
        .filter(|t| t.region == ctx.region && t.owner.as_deref().is_none_or(|o| o == ctx.caller))
        .count() as i64;
    if mine >= quota_limit(w, "instanceTemplate") {
        return Err(quota_exceeded("InstanceTemplate quota limit exceeded"));
    }
    let id = new_id("it");
    w.state.templates.push(Template {
        id: id.clone(),
        region: ctx.region.to_owned(),
        name: a.text("name"),
        description: a.text("description"),
        data,
        owner: Some(ctx.caller.to_owned()),
        create_time: Some(timestamp()),
    });
    Ok(Some(json!({"instanceTemplateId": id})))
}

fn matches(t: &Template, filters: &super::Filters) -> bool {
    filters.matches(|f| match f {
        "instanceTemplateId" => Some(vec![t.id.clone()]),
        "name" => Some(vec![t.name.clone()]),
        _ => None,
    })
}

fn describe(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let page = a.page(20, 100)?;
    let filters = a.filters()?;
    let list: Vec<Value> = w
        .state
        .templates
        .iter()
        .filter(|t| t.region == ctx.region && matches(t, &filters))
        .map(|t| template_json(w, t))
        .collect();
    Ok(Some(super::paged("instanceTemplates", list, page)))
}

fn custom_data(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let filters = a.filters()?;
    let ids: usize = filters
        .0
        .iter()
        .filter(|(n, _, _)| n == "instanceTemplateId")
        .map(|(_, _, v)| v.len())
        .sum();
    if ids > 100 {
        return Err(precondition(
            "describe instance_template_id count out of range",
        ));
    }
    let list: Vec<Value> = w
        .state
        .templates
        .iter()
        .filter(|t| t.region == ctx.region && matches(t, &filters))
        .map(|t| json!({"id": t.id, "metadata": t.data.get("metadata").cloned().unwrap_or_else(|| json!([])),
                        "userdata": t.data.get("userdata").cloned().unwrap_or_else(|| json!([]))}))
        .collect();
    let total = list.len();
    Ok(Some(
        json!({"instanceTemplatesCustomData": list, "totalCount": total}),
    ))
}

fn update(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    if a.get("name").is_none()
        && a.get("description").is_none()
        && a.get("instanceTemplateData").is_none()
    {
        return Err(ApiError::invalid_argument(
            "Parameter name and description missing",
        ));
    }
    let at = find(w, ctx, &a.text("instanceTemplateId"))?;
    if let Some(changes) = a.get("instanceTemplateData").and_then(Value::as_object) {
        let mut data = w.state.templates[at]
            .data
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (k, v) in changes {
            data.insert(k.clone(), v.clone());
        }
        verify(w, ctx, &Value::Object(data.clone()))?;
        w.state.templates[at].data = Value::Object(data);
    }
    let t = &mut w.state.templates[at];
    if let Some(n) = a.str("name") {
        t.name = n.to_owned();
    }
    if let Some(d) = a.str("description") {
        t.description = d.to_owned();
    }
    done()
}
