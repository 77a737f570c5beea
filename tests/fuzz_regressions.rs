//! What the fuzz targets in `fuzz/` found, one test per finding, so that it stays fixed
//! without running the fuzzers (see `fuzz/README.md`).

use jdcloud_vm::classify;
use reqwest::header::{HeaderMap, HeaderValue};

/// `fuzz/fuzz_targets/classify.rs`, crash-381293286a80821670cbb90809cb48491a3a7413: a `\r`
/// in the body's `error.status` went into `Display` as it was, so one error printed as two
/// lines, and a server could forge a line of a client's log.
#[test]
fn a_control_character_in_an_error_status_or_request_id_keeps_display_on_one_line() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-jdcloud-request-id",
        HeaderValue::from_static("abcdefghijklmnopqrstuvwxyz012345"),
    );
    let found = br#"{"requestId":"c2hmmaan8w06w19qcdfuic4w03f7ft2d","error":{"code":400,"status":"FAILED_t\rGGNDITION","message":"Conflict with underlay task task-1\t"}}"#;
    let e = classify(400, &headers, found).unwrap_err();
    let shown = e.to_string();
    assert!(!shown.contains(['\r', '\n']), "{shown:?}");
    assert_eq!(e.code(), Some("FAILED_t GGNDITION"));

    // The same through the request id, and through the success path's error object.
    let body = br#"{"requestId":"r1\n[ERROR] forged line","error":{"code":500,"status":"INTERNAL\n","message":"boom"}}"#;
    for status in [200, 500] {
        let e = classify(status, &headers, body).unwrap_err();
        let shown = e.to_string();
        assert!(!shown.contains(['\r', '\n']), "{shown:?}");
        assert_eq!(e.request_id(), Some("r1 [ERROR] forged line"));
    }
}

/// A control character that is not a line break is folded too: a terminal would act on it.
#[test]
fn every_control_character_in_a_code_becomes_a_space() {
    let body =
        br#"{"requestId":"r","error":{"code":400,"status":"A\u0000B\u001bC\tD","message":"m"}}"#;
    let e = classify(400, &HeaderMap::new(), body).unwrap_err();
    assert_eq!(e.code(), Some("A B C D"));
}

mod emulator {
    use std::time::{Duration, SystemTime};

    use jdcloud_vm::{
        signing::{sign, SignableRequest, SigningAlgorithm},
        Credentials,
    };
    use jdcloud_vm_emulator::{Emulator, EmulatorState};
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpStream,
    };

    const STATE: &str = r#"{
      "credentials": [{"access_key": "AK", "secret_key": "SK"}],
      "instances": [{"id": "i-1", "region": "cn-north-1", "az": "cn-north-1a", "vpc": "vpc-1"}],
      "network_interfaces": [{"id": "port-1", "region": "cn-north-1", "vpc": "vpc-1", "owner": "AK"}]
    }"#;
    const PATH: &str = "/v1/regions/cn-north-1/instances/i-1:attachNetworkInterface";
    const BODY: &[u8] = br#"{"networkInterfaceId":"port-1"}"#;

    /// Sends raw header lines (after the signed ones) and returns the status and JSON body.
    async fn send(emulator: &Emulator, extra: &[u8]) -> (u16, serde_json::Value) {
        let host = emulator.local_addr().to_string();
        let date = jdcloud_vm::signing::format_date(SystemTime::now());
        let headers = [
            ("content-type", "application/json"),
            ("host", host.as_str()),
            ("x-jdcloud-date", date.as_str()),
            ("x-jdcloud-nonce", "regression-nonce"),
        ];
        let authorization = sign(
            SigningAlgorithm::Jdcloud2,
            &Credentials::new("AK", "SK"),
            "cn-north-1",
            "vm",
            &SignableRequest {
                method: "POST",
                path: PATH,
                query: "",
                headers: &headers,
                body: BODY,
            },
        )
        .unwrap();
        let mut request = format!("POST {PATH} HTTP/1.1\r\nconnection: close\r\n").into_bytes();
        for (name, value) in headers {
            request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        request.extend_from_slice(format!("authorization: {authorization}\r\n").as_bytes());
        request.extend_from_slice(extra);
        request.extend_from_slice(format!("content-length: {}\r\n\r\n", BODY.len()).as_bytes());
        request.extend_from_slice(BODY);

        let mut stream = TcpStream::connect(emulator.local_addr()).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
            .await
            .unwrap()
            .unwrap();
        let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let status = String::from_utf8_lossy(&raw[9..12]).parse().unwrap();
        (status, serde_json::from_slice(&raw[end + 4..]).unwrap())
    }

    /// `fuzz/fuzz_targets/emulator.rs`, its first crash (a bug of the harness, which left a
    /// header name in `SignedHeaders` after dropping its value that is not UTF-8): the gateway
    /// verifies every value of a signed header, so a second value that nobody could have
    /// signed is refused, never accepted and never a panic.
    #[tokio::test]
    async fn a_second_value_of_a_signed_header_that_is_not_utf8_is_refused() {
        let emulator = Emulator::start(EmulatorState::from_json(STATE).unwrap())
            .await
            .unwrap();
        let (status, body) = send(&emulator, b"content-type: appl\xfftion/json\r\n").await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["message"], "sign result is not same [gw]");
        assert_eq!(emulator.attached_to("port-1"), None);
    }
}
