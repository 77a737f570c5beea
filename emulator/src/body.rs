//! The request body, read with a size limit (the spec's checks come after, in `input.rs`).
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
