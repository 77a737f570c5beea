//! The request body: read with a size limit, then the attach or detach request parsed from
//! it.
//!
//! The signature covers the body's exact bytes, so it is read whole before anything else;
//! the limit keeps a client from filling the emulator's memory.

use axum::{
    body::{Body, Bytes, HttpBody},
    http::{header, HeaderMap, StatusCode},
};

use crate::reply::ApiError;

/// The largest body accepted, in bytes.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "INVALID_ARGUMENT",
        format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Reads the whole body, refusing one over [`MAX_BODY_BYTES`] without reading it all.
pub(crate) async fn read(headers: &HeaderMap, mut body: Body) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            ApiError::invalid_argument(format!("Cannot read the request body: {e}"))
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
}

/// The fields of an attach request the service uses.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AttachRequest {
    pub(crate) network_interface_id: String,
    pub(crate) auto_delete: bool,
}

/// Parses `{"networkInterfaceId": "…", "autoDelete": bool|null}`; other fields (the official
/// SDKs add `regionId` and `instanceId`) are ignored, as the real service does.
pub(crate) fn parse_attach(body: &[u8]) -> Result<AttachRequest, ApiError> {
    let object = object(body)?;
    let network_interface_id = network_interface_id(&object)?;
    let auto_delete = match object.get("autoDelete") {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid_argument("autoDelete must be a boolean")),
    };
    Ok(AttachRequest {
        network_interface_id,
        auto_delete,
    })
}

/// Parses `{"networkInterfaceId": "…"}` into the interface id; other fields (the official
/// SDKs add `regionId` and `instanceId`) are ignored.
pub(crate) fn parse_detach(body: &[u8]) -> Result<String, ApiError> {
    network_interface_id(&object(body)?)
}

fn object(body: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_argument(
            "Request body is empty: expected a JSON object with networkInterfaceId",
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_argument(format!("Malformed JSON body: {e}")))?;
    match value {
        serde_json::Value::Object(object) => Ok(object),
        _ => Err(ApiError::invalid_argument(
            "Malformed JSON body: expected a JSON object with networkInterfaceId",
        )),
    }
}

fn network_interface_id(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, ApiError> {
    match object.get("networkInterfaceId") {
        None | Some(serde_json::Value::Null) => {
            Err(ApiError::invalid_argument("networkInterfaceId is required"))
        }
        Some(serde_json::Value::String(id)) if id.is_empty() => {
            Err(ApiError::invalid_argument("networkInterfaceId is required"))
        }
        Some(serde_json::Value::String(id)) => Ok(id.clone()),
        Some(_) => Err(ApiError::invalid_argument(
            "networkInterfaceId must be a string",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_sdk_bodies_are_accepted() {
        let r = parse_attach(
            br#"{"regionId": "cn-north-1", "instanceId": "i-1", "networkInterfaceId": "port-1", "autoDelete": null}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            AttachRequest {
                network_interface_id: "port-1".into(),
                auto_delete: false
            }
        );
        assert!(
            parse_attach(br#"{"networkInterfaceId":"p","autoDelete":true}"#)
                .unwrap()
                .auto_delete
        );
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        for (body, needle) in [
            (&b""[..], "empty"),
            (b"{", "Malformed JSON"),
            (b"[]", "JSON object"),
            (b"{}", "networkInterfaceId is required"),
            (
                br#"{"networkInterfaceId": null}"#,
                "networkInterfaceId is required",
            ),
            (br#"{"networkInterfaceId": 7}"#, "must be a string"),
            (
                br#"{"networkInterfaceId": "p", "autoDelete": "yes"}"#,
                "autoDelete",
            ),
        ] {
            let e = parse_attach(body).unwrap_err();
            assert_eq!(e.status, "INVALID_ARGUMENT");
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }

    #[test]
    fn detach_bodies_need_only_the_interface() {
        assert_eq!(
            parse_detach(
                br#"{"regionId": "cn-north-1", "instanceId": "i-1", "networkInterfaceId": "port-1"}"#
            )
            .unwrap(),
            "port-1"
        );
        // An autoDelete, meaningless to a detach, is ignored like any other unknown field.
        assert_eq!(
            parse_detach(br#"{"networkInterfaceId": "p", "autoDelete": "yes"}"#).unwrap(),
            "p"
        );
        for (body, needle) in [
            (&b" "[..], "empty"),
            (b"nope", "Malformed JSON"),
            (b"\"port-1\"", "JSON object"),
            (b"{}", "networkInterfaceId is required"),
            (
                br#"{"networkInterfaceId": ""}"#,
                "networkInterfaceId is required",
            ),
            (br#"{"networkInterfaceId": ["p"]}"#, "must be a string"),
        ] {
            let e = parse_detach(body).unwrap_err();
            assert_eq!(e.status, "INVALID_ARGUMENT");
            assert!(e.message.contains(needle), "{}", e.message);
        }
    }
}
