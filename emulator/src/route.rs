//! Paths in messages and logs, shortened. Routing itself is the spec's (see [`crate::spec`]):
//! JD Cloud's actions are written `/{instanceId}:attachNetworkInterface`, a parameter and a
//! literal in one path segment, which axum's router cannot match, so the emulator matches
//! paths against the spec's templates after percent-decoding (some clients send `:` as `%3A`).

/// A path as logs and messages show it: at most 200 characters.
pub(crate) fn shorten(path: &str) -> String {
    const MAX: usize = 200;
    match path.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &path[..end]),
        None => path.to_owned(),
    }
}
