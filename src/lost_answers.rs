//! No false failures after a lost answer.
//!
//! Attach and detach carry no idempotency token. When an attempt times out after it was sent,
//! the service may well have applied it, and the retry is then refused: the attach as
//! `NetworkInterfaceInUse`, the detach as not attached, or either as `Conflict with underlay
//! task` while the task the lost attempt started still runs (JD Cloud's take minutes). Before
//! reporting such a refusal, the client asks `describeInstance` whether the interface is where
//! the caller wanted it (for a task conflict, until the task has had [`PATIENCE`] to end); if
//! it is, the call succeeded, and says so in a trace.

use std::time::Duration;

use crate::{signing::percent_decode, Client, Error, ErrorKind};

/// How long a call whose answer was lost waits for the task its attempt may have started.
pub(crate) const PATIENCE: Duration = Duration::from_secs(300);

/// The request id of the `describeInstance` that found `request` applied, when it is.
pub(crate) async fn resolve(
    client: &Client,
    operation: &str,
    request: &reqwest::Request,
    refusal: &Error,
) -> Option<String> {
    let wanted_attached = match operation {
        "attach_network_interface" => true,
        "detach_network_interface" => false,
        _ => return None,
    };
    let patience = match (wanted_attached, refusal.kind()) {
        (_, ErrorKind::TaskConflict) => PATIENCE,
        (true, ErrorKind::NetworkInterfaceInUse) => Duration::ZERO,
        // JD Cloud documents no message for an interface that is not attached there.
        (false, ErrorKind::FailedPrecondition) => Duration::ZERO,
        _ => return None,
    };
    let (region, instance) = region_and_instance(request.url())?;
    let body: serde_json::Value = serde_json::from_slice(request.body()?.as_bytes()?).ok()?;
    let interface = body.get("networkInterfaceId")?.as_str()?;
    // Boxed: this runs inside the hooks, which it enters again.
    let described =
        Box::pin(client.poll_until(&region, &instance, interface, wanted_attached, patience))
            .await
            .ok()?;
    tracing::info!(
        operation,
        instance = %instance,
        network_interface = interface,
        refused = ?refusal.kind(),
        refusal_request_id = refusal.request_id(),
        describe_request_id = %described,
        "an earlier attempt was applied though its answer was lost: the call succeeded"
    );
    Some(described)
}

/// The `regionId` and `instanceId` of `/v1/regions/{regionId}/instances/{instanceId}:action`.
fn region_and_instance(url: &reqwest::Url) -> Option<(String, String)> {
    let mut segments = url.path_segments()?.skip_while(|s| *s != "regions");
    segments.next();
    let region = percent_decode(segments.next()?).into_owned();
    (segments.next()? == "instances").then_some(())?;
    let instance = percent_decode(segments.next()?);
    let instance = instance.split(':').next()?.to_owned();
    Some((region, instance))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ids_come_from_the_path() {
        let url = reqwest::Url::parse(
            "http://h/v1/regions/cn-north-1/instances/i-abc:attachNetworkInterface",
        )
        .unwrap();
        assert_eq!(
            super::region_and_instance(&url),
            Some(("cn-north-1".into(), "i-abc".into()))
        );
    }
}
