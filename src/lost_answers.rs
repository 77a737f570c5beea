//! No false failures after a lost answer.
//!
//! Most of JD Cloud's actions carry no idempotency token (start, stop, delete, attach, detach,
//! …). When an attempt times out after it was sent, the service may well have applied it, and
//! the retry is then refused: a stop as `Invalid instance status` (already stopped), an attach as
//! in use, either as `Conflict with underlay task` while the task the lost attempt started still
//! runs. The spec says, per operation (`x-jdcloud-lost-answer`), which refusal kinds may mean
//! "already applied", and which of its waiters shows it (the waiter's arguments taken from the
//! call's own inputs of the same names); for each kind, how long the lost attempt's task may
//! take to show. Before reporting such a refusal, the client runs that waiter for that long
//! (at least one poll); when it succeeds, the call succeeded, and says so in a trace. Any other
//! refusal, or a waiter that does not succeed, leaves the refusal as it was.
//!
//! build.rs generates the table of declarations (`build_support/waiters.rs`); nothing here
//! names an operation.

use std::time::Duration;

use crate::{signing::percent_decode, waiters::Waiter, Client, Error, ErrorKind};

/// How a lost answer of one operation is recognised as applied, as build.rs generates it.
#[derive(Debug)]
pub(crate) struct LostAnswer {
    /// The operation, as the client names it (progenitor's `OperationInfo::operation_id`).
    pub(crate) operation: &'static str,
    /// The operation's path in the spec, `/regions/{regionId}/instances/{instanceId}:…`.
    pub(crate) path: &'static str,
    /// The refusals that may mean "applied", each with how long to wait for it to show.
    pub(crate) refusals: &'static [(ErrorKind, Duration)],
    /// The waiter whose success shows the call applied.
    pub(crate) waiter: &'static Waiter,
    /// For each of the waiter's arguments, the call's input it is taken from (a path or query
    /// parameter, or a top-level field of the JSON body; of a list, each element).
    pub(crate) inputs: &'static [&'static str],
}

/// The request id of the answer that found `request` applied, when it is.
pub(crate) async fn resolve(
    client: &Client,
    operation: &str,
    request: &reqwest::Request,
    refusal: &Error,
) -> Option<String> {
    let declared = crate::generated::declared::LOST_ANSWERS
        .iter()
        .find(|l| l.operation == operation)?;
    let patience = declared
        .refusals
        .iter()
        .find(|(kind, _)| *kind == refusal.kind())?
        .1;
    // One waiter run per combination of the inputs' values: an input that is a list (the
    // instances of an `attachKeypair`) must show each of its elements applied.
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    for input in declared.inputs {
        let values = input_of(request, declared.path, input)?;
        runs = runs
            .into_iter()
            .flat_map(|run| {
                values.iter().map(move |v| {
                    let mut run = run.clone();
                    run.push(v.clone());
                    run
                })
            })
            .collect();
    }
    let mut seen = String::new();
    for arguments in &runs {
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        // Boxed: this runs inside the hooks, which it enters again.
        seen = Box::pin(crate::waiters::run(
            client,
            declared.waiter,
            &arguments,
            patience,
        ))
        .await
        .ok()?
        .unwrap_or_default();
    }
    let arguments = &runs;
    tracing::info!(
        operation,
        arguments = ?arguments,
        refused = ?refusal.kind(),
        refusal_request_id = refusal.request_id(),
        shown_by = declared.waiter.method,
        describe_request_id = %seen,
        "an earlier attempt was applied though its answer was lost: the call succeeded"
    );
    Some(seen)
}

/// The values of the call's input `name`: a parameter of the path (matched against the spec's
/// `template`) or of the query, or a top-level field of the JSON body (each element of a list).
fn input_of(request: &reqwest::Request, template: &str, name: &str) -> Option<Vec<String>> {
    if let Some(value) = path_parameter(request.url().path(), template, name) {
        return Some(vec![value]);
    }
    if let Some((_, value)) = request.url().query_pairs().find(|(k, _)| k == name) {
        return Some(vec![value.into_owned()]);
    }
    let body: serde_json::Value = serde_json::from_slice(request.body()?.as_bytes()?).ok()?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    };
    match body.get(name)? {
        serde_json::Value::Array(list) if !list.is_empty() => list.iter().map(text).collect(),
        serde_json::Value::Array(_) => None,
        value => Some(vec![text(value)?]),
    }
}

/// The parameter `name` of `path`, sent for `template` (`…/instances/{instanceId}:action`):
/// the template's segments match the path's last ones, behind the base path.
fn path_parameter(path: &str, template: &str, name: &str) -> Option<String> {
    let wanted: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let sent: Vec<&str> = path.split('/').collect();
    let sent = sent.get(sent.len().checked_sub(wanted.len())?..)?;
    let placeholder = format!("{{{name}}}");
    wanted.iter().zip(sent).find_map(|(pattern, segment)| {
        let at = pattern.find(&placeholder)?;
        let (before, after) = (&pattern[..at], &pattern[at + placeholder.len()..]);
        let segment = percent_decode(segment);
        let value = segment.strip_prefix(before)?.strip_suffix(after)?;
        Some(value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_come_from_the_path_the_query_and_the_body() {
        let template = "/regions/{regionId}/instances/{instanceId}:attachNetworkInterface";
        let url = "http://h/v1/regions/cn-north-1/instances/i-abc%3AattachNetworkInterface?x=1";
        let mut request = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
        *request.body_mut() =
            Some(r#"{"networkInterfaceId":"port-1","autoDelete":true,"ids":["i-1","i-2"]}"#.into());
        let input = |name| input_of(&request, template, name);
        let one = |v: &str| Some(vec![v.to_owned()]);
        assert_eq!(input("regionId"), one("cn-north-1"));
        assert_eq!(input("instanceId"), one("i-abc"));
        assert_eq!(input("networkInterfaceId"), one("port-1"));
        assert_eq!(input("autoDelete"), one("true"));
        assert_eq!(input("ids"), Some(vec!["i-1".to_owned(), "i-2".to_owned()]));
        assert_eq!(input("x"), one("1"));
        assert_eq!(input("missing"), None);
        let plain = "/v1/regions/r/instances/i-1:attachNetworkInterface";
        assert_eq!(
            path_parameter(plain, template, "instanceId").as_deref(),
            Some("i-1")
        );
        assert_eq!(path_parameter("/v1/other", template, "instanceId"), None);
    }
}
