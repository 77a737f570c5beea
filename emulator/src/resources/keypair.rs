//! Keypairs: create (the answer carries the private key), import (the public key is checked),
//! describe, attach to and detach from instances, delete.
//!
//! The private key `createKeypair` answers is a PEM block of random bytes, not a usable RSA
//! key: nothing logs in to an emulated instance.

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    done, not_found, precondition, quota_exceeded, quota_limit, timestamp, Args, Ctx, Outcome,
};
use crate::{reply::ApiError, service::World, world::Keypair};

pub(super) fn call(name: &str, w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Option<Outcome> {
    Some(match name {
        "createKeypair" => create(w, ctx, a, None),
        "importKeypair" => {
            let key = a.text("publicKey");
            match check_public_key(&key) {
                Ok(()) => create(w, ctx, a, Some(key)),
                Err(()) => Err(precondition(format!(
                    "Malformed PublicKey {}",
                    a.text("keyName")
                ))),
            }
        }
        "describeKeypairs" => describe(w, ctx, a),
        "deleteKeypair" => {
            let name = a.text("keyName");
            find(w, ctx, &name).map(|at| {
                w.state.keypairs.remove(at);
                None
            })
        }
        "attachKeypair" => attach(w, ctx, a, true),
        "detachKeypair" => attach(w, ctx, a, false),
        _ => return None,
    })
}

/// Whether the caller has a keypair of that name in the region.
pub(crate) fn exists(w: &World, ctx: &Ctx<'_>, name: &str) -> bool {
    find(w, ctx, name).is_ok()
}

fn find(w: &World, ctx: &Ctx<'_>, name: &str) -> Result<usize, ApiError> {
    w.state
        .keypairs
        .iter()
        .position(|k| {
            k.name == name
                && k.region == ctx.region
                && k.owner.as_deref().is_none_or(|o| o == ctx.caller)
        })
        .ok_or_else(|| not_found(format!("Keypair '{name}' not found")))
}

/// `ssh-rsa AAAA… [comment]` (or `ssh-ed25519`, `ecdsa-sha2-…`): the type, then base64 whose
/// first field is the same type.
fn check_public_key(key: &str) -> Result<(), ()> {
    let mut parts = key.split_whitespace();
    let kind = parts.next().ok_or(())?;
    if !["ssh-rsa", "ssh-ed25519", "ssh-dss"].contains(&kind) && !kind.starts_with("ecdsa-sha2-") {
        return Err(());
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(parts.next().ok_or(())?)
        .map_err(|_| ())?;
    let len = u32::from_be_bytes(blob.get(..4).ok_or(())?.try_into().map_err(|_| ())?) as usize;
    (blob.get(4..4 + len) == Some(kind.as_bytes()))
        .then_some(())
        .ok_or(())
}

fn fingerprint(material: &str) -> String {
    Sha256::digest(material.as_bytes())[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn create(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>, public: Option<String>) -> Outcome {
    let name = a.text("keyName");
    if w.state
        .keypairs
        .iter()
        .any(|k| k.name == name && k.region == ctx.region)
    {
        return Err(precondition(format!("KeyName '{name}' already in use")));
    }
    let mine = w
        .state
        .keypairs
        .iter()
        .filter(|k| k.region == ctx.region && k.owner.as_deref() == Some(ctx.caller))
        .count() as i64;
    if mine >= quota_limit(w, "keypair") {
        return Err(quota_exceeded("Keypair quota limit exceeded"));
    }
    let imported = public.is_some();
    let (public_key, private_key) = match public {
        Some(p) => (p, None),
        None => {
            let bytes: Vec<u8> = (0..1190).map(|_| fastrand::u8(..)).collect();
            let body = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            let private = format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
                lines.join("\n")
            );
            let mut blob = 7u32.to_be_bytes().to_vec();
            blob.extend_from_slice(b"ssh-rsa");
            blob.extend((0..270).map(|_| fastrand::u8(..)));
            (
                format!(
                    "ssh-rsa {} {name}",
                    base64::engine::general_purpose::STANDARD.encode(blob)
                ),
                Some(private),
            )
        }
    };
    let fp = fingerprint(&public_key);
    w.state.keypairs.push(Keypair {
        name: name.clone(),
        region: ctx.region.to_owned(),
        owner: Some(ctx.caller.to_owned()),
        public_key,
        fingerprint: fp.clone(),
        create_time: Some(timestamp()),
    });
    Ok(Some(if imported {
        json!({"keyName": name, "keyFingerprint": fp})
    } else {
        json!({"keyName": name, "privateKey": private_key, "keyFingerprint": fp})
    }))
}

fn describe(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>) -> Outcome {
    let page = a.page(20, 100)?;
    let filters = a.filters()?;
    let list: Vec<Value> = w
        .state
        .keypairs
        .iter()
        .filter(|k| k.region == ctx.region && k.owner.as_deref().is_none_or(|o| o == ctx.caller))
        .filter(|k| filters.matches(|f| (f == "keyNames" || f == "keyName").then(|| vec![k.name.clone()])))
        .map(|k| {
            let instances: Vec<&str> = w
                .state
                .instances
                .iter()
                .filter(|i| !i.deleted && i.key_names.contains(&k.name))
                .map(|i| i.id.as_str())
                .collect();
            json!({"keyName": k.name, "keyFingerprint": k.fingerprint, "createTime": k.create_time, "instanceIds": instances})
        })
        .collect();
    Ok(Some(super::paged("keypairs", list, page)))
}

fn attach(w: &mut World, ctx: &Ctx<'_>, a: &Args<'_>, on: bool) -> Outcome {
    let name = a.text("keyName");
    find(w, ctx, &name)?;
    let (mut success, fail): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for id in a.strings("instanceIds") {
        let at = w.instance_at(ctx.region, &id)?;
        let i = &w.state.instances[at];
        let windows = i
            .image_id
            .as_ref()
            .and_then(|m| w.state.images.iter().find(|x| &x.id == m))
            .is_some_and(|m| m.platform.starts_with("Windows"));
        if windows {
            return Err(precondition("Windows OS doesn't support attach keypair."));
        }
        if i.status != "running" && i.status != "stopped" {
            return Err(precondition(format!(
                "Invalid instance status {}",
                i.status
            )));
        }
        if on && !i.key_names.is_empty() {
            return Err(precondition(format!(
                "Already attached key pair. instance id {id}"
            )));
        }
        if !on && !i.key_names.contains(&name) {
            return Err(precondition(format!(
                "Already attached other keypair. instance id {id}"
            )));
        }
        let i = &mut w.state.instances[at];
        if on {
            i.key_names.push(name.clone());
        } else {
            i.key_names.retain(|k| k != &name);
        }
        success.push(id);
    }
    let _ = done;
    Ok(Some(
        json!({"successInstanceId": success, "failInstanceId": fail}),
    ))
}
