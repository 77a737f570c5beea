//! Idempotency tokens: what the generated `send()` of an operation with a token field
//! (`x-jdcloud-idempotency-token` in the spec, see `build_support/idempotency.rs`) puts there
//! when the caller set none, once per call.

/// A fresh token: a random UUID, as JD Cloud's own SDKs make them.
// Unused while the spec has no token field; the generated `send()` of one calls it.
#[allow(dead_code)]
pub(crate) fn token() -> String {
    uuid::Uuid::new_v4().to_string()
}
