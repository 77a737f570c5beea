//! The signing vectors of `tests/data/*.json` (the official SDKs' published ones and the attach
//! request's), as the vector tests and the signing bench read them.
#![allow(dead_code)]

use jdcloud_vm::signing::{SignableRequest, SigningAlgorithm};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Vector {
    pub id: String,
    pub algorithm: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub service: String,
    pub expected_authorization: String,
    pub canonical_request: Option<String>,
}

/// Every vector of a file.
pub fn load(json: &str) -> Vec<Vector> {
    serde_json::from_str(json).expect("vector file parses")
}

impl Vector {
    pub fn algorithm(&self) -> SigningAlgorithm {
        SigningAlgorithm::from_name(&self.algorithm)
            .unwrap_or_else(|| panic!("{}: unknown algorithm {:?}", self.id, self.algorithm))
    }

    /// The headers as `sign` takes them.
    pub fn headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// The request to sign, with `headers` from [`Vector::headers`].
    pub fn request<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> SignableRequest<'a> {
        SignableRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
            body: self.body.as_bytes(),
        }
    }
}
