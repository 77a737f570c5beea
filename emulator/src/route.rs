//! Which API a request calls.
//!
//! JD Cloud's actions are written `/{instanceId}:attachNetworkInterface`, a parameter and a
//! literal in one path segment, which axum's router cannot match; the path is parsed here
//! instead, after percent-decoding (some clients send the `:` as `%3A`).

use axum::http::{Method, StatusCode};

use crate::reply::ApiError;
use jdcloud_vm::signing::percent_decode;

/// The operations the emulator implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Operation {
    AttachNetworkInterface,
    DetachNetworkInterface,
    DescribeInstance,
    DescribeInstances,
}

impl Operation {
    pub(crate) const ALL: [Operation; 4] = [
        Operation::AttachNetworkInterface,
        Operation::DetachNetworkInterface,
        Operation::DescribeInstance,
        Operation::DescribeInstances,
    ];

    /// The operation's name as JD Cloud's docs and SDKs spell it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::AttachNetworkInterface => "attachNetworkInterface",
            Operation::DetachNetworkInterface => "detachNetworkInterface",
            Operation::DescribeInstance => "describeInstance",
            Operation::DescribeInstances => "describeInstances",
        }
    }

    /// The operation of a name, as [`name`](Self::name) spells it.
    pub(crate) fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    fn method(self) -> (Method, &'static str) {
        match self {
            Operation::AttachNetworkInterface | Operation::DetachNetworkInterface => {
                (Method::POST, "POST")
            }
            Operation::DescribeInstance | Operation::DescribeInstances => (Method::GET, "GET"),
        }
    }
}

/// A request's operation and path parameters.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) operation: Operation,
    pub(crate) region_id: String,
    /// `None` for `describeInstances`, the only operation without one.
    pub(crate) instance_id: Option<String>,
}

impl Route {
    /// The instance id of an operation that has one.
    pub(crate) fn instance_id(&self) -> &str {
        self.instance_id.as_deref().unwrap_or_default()
    }
}

/// Parses the path (the query is not part of it):
///
/// - `POST /v1/regions/{regionId}/instances/{instanceId}:attachNetworkInterface`
/// - `POST /v1/regions/{regionId}/instances/{instanceId}:detachNetworkInterface`
/// - `GET /v1/regions/{regionId}/instances/{instanceId}`
/// - `GET /v1/regions/{regionId}/instances`
///
/// else 404 for an unknown path, 405 (with `Allow`) for another method on a known one.
pub(crate) fn route(method: &Method, raw_path: &str) -> Result<Route, ApiError> {
    let path = percent_decode(raw_path);
    let Some(route) = parse(&path) else {
        return Err(ApiError::not_found(format!(
            "No API matches {method} {}: the emulator implements \
             POST /v1/regions/{{regionId}}/instances/{{instanceId}}:attachNetworkInterface, \
             POST /v1/regions/{{regionId}}/instances/{{instanceId}}:detachNetworkInterface, \
             GET /v1/regions/{{regionId}}/instances/{{instanceId}} and \
             GET /v1/regions/{{regionId}}/instances",
            shorten(raw_path)
        )));
    };
    let (expected, name) = route.operation.method();
    if *method != expected {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!(
                "Method {method} is not allowed for {}: use {name}",
                route.operation.name()
            ),
        );
        error.allow = Some(name);
        return Err(error);
    }
    Ok(route)
}

fn parse(path: &str) -> Option<Route> {
    // A segment: not empty, no '/' (an encoded slash decodes to one and is refused here).
    let plain = |s: &str| !s.is_empty() && !s.contains('/');
    let rest = path.strip_prefix("/v1/regions/")?;
    if let Some(region) = rest.strip_suffix("/instances").filter(|r| plain(r)) {
        return Some(Route {
            operation: Operation::DescribeInstances,
            region_id: region.to_owned(),
            instance_id: None,
        });
    }
    let (region, rest) = rest.split_once("/instances/")?;
    if !plain(region) {
        return None;
    }
    let (instance, operation) = match rest.rsplit_once(':') {
        Some((instance, action)) => {
            let operation = Operation::from_name(action).filter(|op| {
                matches!(
                    op,
                    Operation::AttachNetworkInterface | Operation::DetachNetworkInterface
                )
            })?;
            (instance, operation)
        }
        None => (rest, Operation::DescribeInstance),
    };
    plain(instance).then(|| Route {
        operation,
        region_id: region.to_owned(),
        instance_id: Some(instance.to_owned()),
    })
}

/// A path cut to a length fit for a message.
pub(crate) fn shorten(path: &str) -> String {
    const MAX: usize = 200;
    match path.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &path[..end]),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_of(method: Method, path: &str) -> Route {
        route(&method, path).unwrap_or_else(|e| panic!("{method} {path}: {e:?}"))
    }

    #[test]
    fn the_four_paths_are_parsed() {
        let r = route_of(
            Method::POST,
            "/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface",
        );
        assert_eq!(
            r,
            Route {
                operation: Operation::AttachNetworkInterface,
                region_id: "cn-north-1".into(),
                instance_id: Some("i-eumm1234d6".into()),
            }
        );
        let encoded = route_of(
            Method::POST,
            "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface",
        );
        assert_eq!(encoded.instance_id(), "i-1");

        let r = route_of(
            Method::POST,
            "/v1/regions/cn-north-1/instances/i-1:detachNetworkInterface",
        );
        assert_eq!(r.operation, Operation::DetachNetworkInterface);
        assert_eq!(r.instance_id(), "i-1");
        let r = route_of(
            Method::POST,
            "/v1/regions/cn-north-1/instances/i-1%3adetachNetworkInterface",
        );
        assert_eq!(r.operation, Operation::DetachNetworkInterface);

        let r = route_of(Method::GET, "/v1/regions/cn-north-1/instances/i-1");
        assert_eq!(
            r,
            Route {
                operation: Operation::DescribeInstance,
                region_id: "cn-north-1".into(),
                instance_id: Some("i-1".into()),
            }
        );

        // An instance may be called `instances`.
        let r = route_of(Method::GET, "/v1/regions/r/instances/instances");
        assert_eq!(r.operation, Operation::DescribeInstance);
        assert_eq!(r.instance_id(), "instances");

        let r = route_of(Method::GET, "/v1/regions/cn-east-2/instances");
        assert_eq!(
            r,
            Route {
                operation: Operation::DescribeInstances,
                region_id: "cn-east-2".into(),
                instance_id: None,
            }
        );
    }

    #[test]
    fn other_paths_are_not_found() {
        for (method, path) in [
            (Method::POST, "/"),
            (Method::GET, "/v1"),
            (Method::GET, "/v1/regions"),
            (Method::GET, "/v1/regions/cn-north-1"),
            (Method::GET, "/v1/regions//instances"),
            (Method::GET, "/v1/regions/cn-north-1/instances/"),
            (Method::GET, "/v1/regions/a/b/instances"),
            (Method::GET, "/v1/regions/cn-north-1/instances/i-1/x"),
            (Method::GET, "/v1/regions/cn-north-1/instances/i-1%2Fx"),
            (Method::GET, "/v1/regions/cn-north-1/instanceStatus"),
            (
                Method::POST,
                "/v1/regions/cn-north-1/instances/i-1:rebootInstance",
            ),
            (
                Method::GET,
                "/v1/regions/cn-north-1/instances/i-1:describeInstance",
            ),
            (
                Method::POST,
                "/v1/regions//instances/i-1:attachNetworkInterface",
            ),
            (
                Method::POST,
                "/v1/regions/cn-north-1/instances/:attachNetworkInterface",
            ),
            (
                Method::POST,
                "/v1/regions/cn-north-1/instances/:detachNetworkInterface",
            ),
            (
                Method::POST,
                "/v1/regions/cn-north-1/instances/a/b:attachNetworkInterface",
            ),
            (
                Method::POST,
                "/v2/regions/cn-north-1/instances/i-1:attachNetworkInterface",
            ),
        ] {
            let e = route(&method, path).unwrap_err();
            assert_eq!(e.http, StatusCode::NOT_FOUND, "{method} {path}");
            assert!(
                e.message.starts_with(&format!("No API matches {method} ")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn other_methods_are_not_allowed_and_told_the_right_one() {
        for (method, path, allow) in [
            (
                Method::GET,
                "/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface",
                "POST",
            ),
            (
                Method::PUT,
                "/v1/regions/cn-north-1/instances/i-1:detachNetworkInterface",
                "POST",
            ),
            (Method::POST, "/v1/regions/cn-north-1/instances/i-1", "GET"),
            (
                Method::DELETE,
                "/v1/regions/cn-north-1/instances/i-1",
                "GET",
            ),
            (Method::HEAD, "/v1/regions/cn-north-1/instances", "GET"),
            (Method::POST, "/v1/regions/cn-north-1/instances", "GET"),
        ] {
            let e = route(&method, path).unwrap_err();
            assert_eq!(e.http, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(e.allow, Some(allow), "{method} {path}");
            assert!(
                e.message.ends_with(&format!("use {allow}")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn operations_are_named_as_jdcloud_names_them() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("AttachNetworkInterface"), None);
    }

    #[test]
    fn long_paths_are_shortened_in_messages() {
        let long = "/x".repeat(500);
        let e = route(&Method::POST, &long).unwrap_err();
        assert!(e.message.len() < 800);
        assert!(!e.message.contains(&long));
    }
}
