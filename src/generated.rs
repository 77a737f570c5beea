//! The client progenitor generates from `spec/vm.yaml` at build time (see `build.rs`).
//!
//! Nothing here is written by hand: edit the spec and rebuild.

#![allow(
    missing_docs,
    unreachable_pub,
    unused_imports,
    clippy::all,
    rustdoc::all
)]

include!(concat!(env!("OUT_DIR"), "/vm.rs"));
