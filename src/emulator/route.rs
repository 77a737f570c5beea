//! Which API a request calls.
//!
//! JD Cloud's actions are written `/{instanceId}:attachNetworkInterface`, a parameter and a
//! literal in one path segment, which axum's router cannot match; the path is parsed here
//! instead, after percent-decoding (some clients send the `:` as `%3A`).

use axum::http::{Method, StatusCode};

use super::reply::ApiError;
use crate::signing::percent_decode;

/// The one API the emulator implements.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AttachRoute {
    pub(crate) region_id: String,
    pub(crate) instance_id: String,
}

const ACTION: &str = "attachNetworkInterface";

/// `POST /v1/regions/{regionId}/instances/{instanceId}:attachNetworkInterface`, else 404 for
/// an unknown path, 405 for another method.
pub(crate) fn route(method: &Method, raw_path: &str) -> Result<AttachRoute, ApiError> {
    let path = percent_decode(raw_path);
    let parsed = path
        .strip_prefix("/v1/regions/")
        .and_then(|rest| rest.split_once("/instances/"))
        .and_then(|(region, rest)| {
            let (instance, action) = rest.rsplit_once(':')?;
            let plain = |s: &str| !s.is_empty() && !s.contains('/');
            (action == ACTION && plain(region) && plain(instance)).then(|| AttachRoute {
                region_id: region.to_owned(),
                instance_id: instance.to_owned(),
            })
        });
    let Some(route) = parsed else {
        return Err(ApiError::not_found(format!(
            "No API matches {method} {}: the emulator implements only POST \
             /v1/regions/{{regionId}}/instances/{{instanceId}}:attachNetworkInterface",
            shorten(raw_path)
        )));
    };
    if method != Method::POST {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("Method {method} is not allowed for {ACTION}: use POST"),
        );
        error.allow = Some("POST");
        return Err(error);
    }
    Ok(route)
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

    #[test]
    fn the_attach_path_is_parsed() {
        let r = route(
            &Method::POST,
            "/v1/regions/cn-north-1/instances/i-eumm1234d6:attachNetworkInterface",
        )
        .unwrap();
        assert_eq!(
            r,
            AttachRoute {
                region_id: "cn-north-1".into(),
                instance_id: "i-eumm1234d6".into()
            }
        );
        let encoded = route(
            &Method::POST,
            "/v1/regions/cn-north-1/instances/i-1%3AattachNetworkInterface",
        )
        .unwrap();
        assert_eq!(encoded.instance_id, "i-1");
    }

    #[test]
    fn other_paths_are_not_found_and_other_methods_not_allowed() {
        for path in [
            "/",
            "/v1/regions/cn-north-1/instances/i-1",
            "/v1/regions/cn-north-1/instances/i-1:detachNetworkInterface",
            "/v1/regions//instances/i-1:attachNetworkInterface",
            "/v1/regions/cn-north-1/instances/:attachNetworkInterface",
            "/v1/regions/cn-north-1/instances/a/b:attachNetworkInterface",
            "/v2/regions/cn-north-1/instances/i-1:attachNetworkInterface",
        ] {
            let e = route(&Method::POST, path).unwrap_err();
            assert_eq!(e.http, StatusCode::NOT_FOUND, "{path}");
        }
        let e = route(
            &Method::GET,
            "/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface",
        )
        .unwrap_err();
        assert_eq!(e.http, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(e.allow, Some("POST"));
    }

    #[test]
    fn long_paths_are_shortened_in_messages() {
        let long = "/x".repeat(500);
        let e = route(&Method::POST, &long).unwrap_err();
        assert!(e.message.len() < 400);
    }
}
