//! The classification of answers on any status, request-id header and body bytes: no panic; a
//! non-2xx status is always a failure, carrying that status; and a failure's `Display` is one
//! line, whatever the server put in its body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderValue};

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]) % 1000;
    let mut headers = HeaderMap::new();
    let split = (data[2] as usize).min(data.len() - 3);
    if let Ok(v) = HeaderValue::from_bytes(&data[3..3 + split]) {
        headers.insert("x-jdcloud-request-id", v.clone());
        headers.insert("retry-after", v);
    }
    let body = &data[3 + split..];
    match jdcloud_vm::classify(status, &headers, body) {
        Ok(()) => assert!(
            (200..300).contains(&status),
            "status {status} classified as a success"
        ),
        Err(e) => {
            assert_eq!(e.http_status(), Some(status), "{e:?}");
            let shown = e.to_string();
            assert!(
                !shown.contains(['\n', '\r']),
                "Display is not one line: {shown:?}"
            );
            let _ = format!("{e:?}");
        }
    }
});
