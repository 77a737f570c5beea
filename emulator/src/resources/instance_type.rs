//! Instance types, with their interface and disk limits, in stock in every zone of the region.

use serde_json::{json, Value};

use super::{Args, Ctx, Outcome};
use crate::service::World;

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    (name == "describeInstanceTypes").then(|| describe(w, ctx, a))
}

fn describe(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let filters = a.filters()?;
    let azs: Vec<&str> = w
        .state
        .azs
        .iter()
        .filter(|z| z.region == ctx.region)
        .map(|z| z.az.as_str())
        .collect();
    let list: Vec<Value> = w
        .state
        .instance_types
        .iter()
        .filter(|t| {
            filters.matches(|f| match f {
                "instanceTypes" | "instanceType" => Some(vec![t.name.clone()]),
                "family" => Some(vec![t.family.clone()]),
                "az" => Some(azs.iter().map(|z| (*z).to_owned()).collect()),
                _ => None,
            })
        })
        .map(|t| {
            json!({
                "family": t.family,
                "instanceType": t.name,
                "cpu": t.cpu,
                "memoryMB": t.memory_mb,
                "nicLimit": t.nic_limit,
                "cloudDiskCountLimit": t.disk_limit,
                "desc": format!("{} vCPU, {} GiB", t.cpu, t.memory_mb / 1024),
                "state": azs.iter().map(|z| json!({"az": z, "inStock": true})).collect::<Vec<_>>(),
                "gpu": {"model": "", "number": t.gpu},
            })
        })
        .collect();
    let total = list.len();
    Ok(Some(
        json!({"instanceTypes": list, "specificInstanceTypes": [], "totalCount": total}),
    ))
}
