//! Facts read from the spec at build time: the default endpoint, base path and API version.

include!(concat!(env!("OUT_DIR"), "/meta.rs"));
