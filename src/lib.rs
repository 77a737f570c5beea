#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod checks;
mod classify;
mod client_builder;
mod credentials;
mod error;
mod generated;
mod hooks;
mod lost_answers;
mod meta;
pub mod paging;
mod progenitor_errors;
mod query;
mod retry;
pub mod signing;
mod waiters;

pub use classify::{classify, REQUEST_ID_HEADER};
pub use client_builder::{
    user_agent, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use credentials::Credentials;
pub use error::{Error, ErrorKind};
pub use generated::{builder, types, Client, ResponseValue};
pub use hooks::SigningContext;
pub use meta::{API_VERSION, DEFAULT_ENDPOINT};
pub use paging::Pages;
pub use retry::RetryConfig;
pub use signing::SigningAlgorithm;

include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// The OpenAPI document the client is generated from (`spec/vm.yaml`), for the emulator
/// (crate `jdcloud-vm-emulator`), which routes and checks requests by it. Not part of the API.
#[doc(hidden)]
pub const SPEC_YAML: &str = include_str!("../spec/vm.yaml");
