//! Reading an answer's body: once by the hooks, bounded, to classify it; once more by the
//! generated code, to decode a success.

use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;

use crate::ResponseValue;

/// The whole body, or `None` once it passes `limit` bytes.
///
/// Read chunk by chunk. The usual answer arrives as one chunk, which is kept as it is; only a
/// second one starts a copy. (reqwest's `bytes()` does the same work through a collector whose
/// state is larger: this future is part of every call's boxed state, see client.rs.)
pub(crate) async fn read(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Option<Bytes>, reqwest::Error> {
    let mut first = Bytes::new();
    let mut rest: Option<BytesMut> = None;
    while let Some(chunk) = response.chunk().await? {
        let read = rest.as_ref().map_or(first.len(), BytesMut::len);
        if read + chunk.len() > limit {
            return Ok(None);
        }
        match &mut rest {
            None if first.is_empty() => first = chunk,
            None => {
                let mut all = BytesMut::with_capacity(first.len() + chunk.len());
                all.extend_from_slice(&first);
                all.extend_from_slice(&chunk);
                rest = Some(all);
            }
            Some(all) => all.extend_from_slice(&chunk),
        }
    }
    Ok(Some(rest.map_or(first, BytesMut::freeze)))
}

/// What progenitor's `ResponseValue::from_response` does, with the same errors, but moving the
/// headers rather than copying them. build.rs points the generated code here (see
/// build_support/cheaper_calls.rs).
pub(crate) async fn from_response<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    // No limit here: the hooks already read this body within the client's.
    let full = read(&mut response, usize::MAX)
        .await
        .map_err(progenitor_client::Error::ResponseBodyError)?
        .expect("no body is longer than usize::MAX bytes");
    let inner = serde_json::from_slice(&full)
        .map_err(|e| progenitor_client::Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}
