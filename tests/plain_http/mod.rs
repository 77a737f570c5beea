//! A plain reqwest client, for tests that talk to the emulator by hand.
//!
//! With the default `rustls` feature this crate builds reqwest with rustls but without a crypto
//! provider of its own, and hands its own clients a configuration on `ring` (see
//! `ClientBuilder::build`). A reqwest client built directly needs a provider installed first,
//! as in any application that builds its own reqwest clients next to this crate's.
#![allow(dead_code)]

/// `reqwest::Client::new()`, after making sure rustls has a provider.
pub fn plain_http() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::new()
}

/// Installs `ring` as the process's rustls provider unless one is installed already.
pub fn install_crypto_provider() {
    #[cfg(feature = "rustls")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race; its provider is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
