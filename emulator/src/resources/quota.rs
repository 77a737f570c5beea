//! Quotas: the world's limits, and what the caller uses of them.

use serde_json::{json, Value};

use super::{Args, Ctx, Outcome};
use crate::{reply::ApiError, service::World};

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    (name == "describeQuotas").then(|| describe(w, ctx, a))
}

fn describe(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let filters = a.filters()?;
    let wanted: Vec<String> = filters
        .0
        .iter()
        .filter(|(n, _, _)| n == "resourceTypes")
        .flat_map(|(_, _, v)| v.clone())
        .collect();
    if wanted.iter().any(|t| t == "imageShare") && a.str("imageId").is_none() {
        return Err(ApiError::invalid_argument("Parameter ImageId missing"));
    }
    let mine = |o: Option<&str>| o.is_none_or(|o| o == ctx.caller);
    let list: Vec<Value> = w
        .state
        .quotas
        .iter()
        .filter(|q| wanted.is_empty() || wanted.contains(&q.resource_type))
        .map(|q| {
            let used = match q.resource_type.as_str() {
                "instance" => w
                    .state
                    .instances
                    .iter()
                    .enumerate()
                    .filter(|(at, i)| {
                        i.region == ctx.region && w.exists(*at, ctx.now) && mine(i.owner.as_deref())
                    })
                    .count(),
                "keypair" => w
                    .state
                    .keypairs
                    .iter()
                    .filter(|k| k.region == ctx.region && mine(k.owner.as_deref()))
                    .count(),
                "image" => w
                    .state
                    .images
                    .iter()
                    .filter(|m| {
                        m.region == ctx.region
                            && m.source == "private"
                            && m.owner.as_deref() == Some(ctx.caller)
                    })
                    .count(),
                "instanceTemplate" => w
                    .state
                    .templates
                    .iter()
                    .filter(|t| t.region == ctx.region && mine(t.owner.as_deref()))
                    .count(),
                "imageShare" => w
                    .state
                    .images
                    .iter()
                    .find(|m| Some(m.id.as_str()) == a.str("imageId"))
                    .map_or(0, |m| m.shared_with.len()),
                _ => 0,
            };
            json!({"resourceType": q.resource_type, "limit": q.limit, "used": used})
        })
        .collect();
    Ok(Some(json!({"quotas": list})))
}
