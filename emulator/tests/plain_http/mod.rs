//! A plain reqwest client, for tests that talk to the emulator by hand.
//!
//! Built as an application would build its own next to this crate's: `reqwest::Client::new()`,
//! nothing installed first (the crate's TLS features are reqwest's own, so any reqwest client in
//! the process works; see `tests/consumer`).
#![allow(dead_code)]

/// `reqwest::Client::new()`.
pub fn plain_http() -> reqwest::Client {
    reqwest::Client::new()
}
