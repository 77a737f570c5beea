//! The wire contract of `attachNetworkInterface`: what the client sends (method, path, body,
//! headers) and how it reads the answer, pinned against a wiremock server, one per test.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{
    builder, catch_all, client, credentials, success_example, SignedBy, ATTACH_PATH, INSTANCE,
    INTERFACE, REGION,
};
use jdcloud_vm::{types, Client, Credentials, Error, ErrorKind};
use serde_json::json;
use wiremock::{
    matchers::{body_json, header, header_regex, method, path},
    Mock, MockServer, Request, ResponseTemplate,
};

/// Mounts `mock` answering the spec's 200 example, expected `calls` times.
async fn answer_success(server: &MockServer, name: &str, calls: u64, mock: wiremock::MockBuilder) {
    mock.respond_with(ResponseTemplate::new(200).set_body_json(success_example()))
        .expect(calls)
        .named(name)
        .mount(server)
        .await;
}

/// Attaches the usual interface, `auto_delete` as given (`None`: never called).
async fn attach(
    client: &Client,
    auto_delete: Option<bool>,
) -> Result<types::AttachNetworkInterfaceResponse, Error> {
    client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .body_map(|b| {
            let b = b.network_interface_id(INTERFACE);
            match auto_delete {
                Some(value) => b.auto_delete(value),
                None => b,
            }
        })
        .send()
        .await
        .map(|r| r.into_inner())
}

/// The one request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut received = server.received_requests().await.expect("recording is on");
    assert_eq!(received.len(), 1, "exactly one request was sent");
    received.remove(0)
}

#[tokio::test]
async fn the_call_is_a_post_to_the_action_path() {
    let server = MockServer::start().await;
    let expectation = format!("POST {ATTACH_PATH}");
    answer_success(
        &server,
        &expectation,
        1,
        Mock::given(method("POST")).and(path(ATTACH_PATH)),
    )
    .await;
    catch_all(&server, &expectation, 0).await;

    attach(&client(&server), None)
        .await
        .expect("the call succeeds");
}

#[tokio::test]
async fn the_colon_of_the_action_travels_raw() {
    // The gateway routes on `…/i-eumm1234d6:attachNetworkInterface`; a `%3A` on the wire would
    // be another path (the `%3A` exists only in the canonical request that is signed).
    let server = MockServer::start().await;
    answer_success(&server, "any POST", 1, Mock::given(method("POST"))).await;
    catch_all(&server, "any POST", 0).await;

    attach(&client(&server), None)
        .await
        .expect("the call succeeds");

    let request = only_request(&server).await;
    // `path()` is the path as it arrived, escapes kept: a `%3A` would show here.
    assert_eq!(request.url.path(), ATTACH_PATH);
}

#[tokio::test]
async fn auto_delete_is_absent_when_unset() {
    // Unset means "the service's default" (false): the field is left out, not sent as null.
    let server = MockServer::start().await;
    let expectation = "a body with networkInterfaceId only";
    answer_success(
        &server,
        expectation,
        1,
        Mock::given(body_json(json!({ "networkInterfaceId": INTERFACE }))),
    )
    .await;
    catch_all(&server, expectation, 0).await;

    attach(&client(&server), None)
        .await
        .expect("the call succeeds");

    let body: serde_json::Value = only_request(&server).await.body_json().unwrap();
    assert!(body.get("autoDelete").is_none(), "{body}");
}

#[tokio::test]
async fn auto_delete_false_is_sent_when_set_false() {
    let server = MockServer::start().await;
    let expectation = "a body with autoDelete false";
    answer_success(
        &server,
        expectation,
        1,
        Mock::given(body_json(
            json!({ "networkInterfaceId": INTERFACE, "autoDelete": false }),
        )),
    )
    .await;
    catch_all(&server, expectation, 0).await;

    attach(&client(&server), Some(false))
        .await
        .expect("the call succeeds");
}

#[tokio::test]
async fn auto_delete_true_is_sent_when_set_true() {
    let server = MockServer::start().await;
    let expectation = "a body with autoDelete true";
    answer_success(
        &server,
        expectation,
        1,
        Mock::given(body_json(
            json!({ "networkInterfaceId": INTERFACE, "autoDelete": true }),
        )),
    )
    .await;
    catch_all(&server, expectation, 0).await;

    attach(&client(&server), Some(true))
        .await
        .expect("the call succeeds");
}

#[tokio::test]
async fn the_body_keeps_the_spec_property_order() {
    // The signature covers the body's bytes: the published attach vectors (and the official
    // SDKs) send `networkInterfaceId` first, as the spec lists it.
    let server = MockServer::start().await;
    answer_success(&server, "any POST", 1, Mock::given(method("POST"))).await;
    catch_all(&server, "any POST", 0).await;

    attach(&client(&server), Some(false))
        .await
        .expect("the call succeeds");

    let request = only_request(&server).await;
    assert_eq!(
        String::from_utf8(request.body).unwrap(),
        r#"{"networkInterfaceId":"port-n2h7abcdse","autoDelete":false}"#
    );
}

#[tokio::test]
async fn the_headers_are_those_the_gateway_expects() {
    let server = MockServer::start().await;
    let user_agent = format!("JdcloudSdkRust/{} vm/1.6.1", env!("CARGO_PKG_VERSION"));
    let expectation = "content-type application/json and the SDK's user agent";
    answer_success(
        &server,
        expectation,
        1,
        Mock::given(header("content-type", "application/json"))
            .and(header("user-agent", user_agent.as_str())),
    )
    .await;
    catch_all(&server, expectation, 0).await;

    attach(&client(&server), None)
        .await
        .expect("the call succeeds");

    let request = only_request(&server).await;
    let text = |name: &str| {
        let values: Vec<&str> = request
            .headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(values.len(), 1, "exactly one {name} header: {values:?}");
        values[0].to_owned()
    };
    // The signed host is what travels: the port is there, as it is not the scheme's default.
    assert_eq!(text("host"), server.address().to_string());
    let date = text("x-jdcloud-date");
    let sent_at = parse_jdcloud_date(&date).unwrap_or_else(|| panic!("date {date:?}"));
    let skew = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .abs_diff(sent_at);
    // UTC, now: a local-time or stale date is refused by the gateway.
    assert!(skew < 120, "x-jdcloud-date {date} is {skew} s off");
    let nonce = text("x-jdcloud-nonce");
    let uuid = uuid::Uuid::parse_str(&nonce).unwrap_or_else(|_| panic!("nonce {nonce:?}"));
    assert_eq!(uuid.get_version(), Some(uuid::Version::Random), "{nonce}");
    assert_eq!(
        uuid.hyphenated().to_string(),
        nonce,
        "lower-case, hyphenated"
    );
    // progenitor adds `api-version` from `info.version`; the gateway has no use for it.
    assert!(request.headers.get("api-version").is_none());
}

#[tokio::test]
async fn every_request_is_signed() {
    let server = MockServer::start().await;
    let expectation = "a request signed by the client's credentials";
    answer_success(
        &server,
        expectation,
        1,
        // Not only valid: by the default algorithm, over the headers the gateway wants signed.
        Mock::given(SignedBy(credentials())).and(header_regex(
            "authorization",
            "^JDCLOUD2-HMAC-SHA256 Credential=AKEXAMPLE0123456789/\\d{8}/cn-north-1/vm/jdcloud2_request, \
             SignedHeaders=content-type;host;x-jdcloud-date;x-jdcloud-nonce, Signature=[0-9a-f]{64}$",
        )),
    )
    .await;
    catch_all(&server, expectation, 0).await;

    attach(&client(&server), None)
        .await
        .expect("the call succeeds");
}

#[tokio::test]
async fn the_answer_is_the_spec_example_parsed() {
    let server = MockServer::start().await;
    let example = success_example();
    answer_success(&server, "any POST", 1, Mock::given(method("POST"))).await;
    catch_all(&server, "any POST", 0).await;

    let response = client(&server)
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .body_map(|b| b.network_interface_id(INTERFACE))
        .send()
        .await
        .expect("the call succeeds");

    assert_eq!(response.status().as_u16(), 200);
    let answer: types::AttachNetworkInterfaceResponse = response.into_inner();
    assert_eq!(
        answer.request_id,
        example["requestId"]
            .as_str()
            .expect("the example has a requestId")
    );
}

#[tokio::test]
async fn an_endpoint_with_a_trailing_slash_works() {
    // A naive join would send `//v1/…`, which no mock (and no gateway route) matches.
    let server = MockServer::start().await;
    let expectation = format!("POST {ATTACH_PATH}");
    answer_success(
        &server,
        &expectation,
        1,
        Mock::given(method("POST"))
            .and(path(ATTACH_PATH))
            .and(SignedBy(credentials())),
    )
    .await;
    catch_all(&server, &expectation, 0).await;

    let client = builder(&server)
        .endpoint(format!("{}/", server.uri()))
        .build()
        .expect("a trailing / is tolerated");
    attach(&client, None).await.expect("the call succeeds");
}

#[tokio::test]
async fn an_invalid_id_is_refused_before_anything_is_sent() {
    // `:`, `/`, `..` would otherwise reshape the path; nothing may reach the server.
    let server = MockServer::start().await;
    catch_all(&server, "no request at all", 0).await;
    let client = client(&server);
    let long = "a".repeat(65);
    for bad in ["", "-x", "i-1/x", "..", "i-1:detach", "i 1", long.as_str()] {
        let error = client
            .attach_network_interface()
            .region_id(REGION)
            .instance_id(bad)
            .body_map(|b| b.network_interface_id(INTERFACE))
            .send()
            .await
            .expect_err(bad);
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidInput,
            "instance {bad:?}: {error}"
        );
        let error = client
            .attach_network_interface()
            .region_id(REGION)
            .instance_id(INSTANCE)
            .body_map(|b| b.network_interface_id(bad))
            .send()
            .await
            .expect_err(bad);
        assert_eq!(
            error.kind(),
            ErrorKind::InvalidInput,
            "interface {bad:?}: {error}"
        );
    }
    let error = client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .send()
        .await
        .expect_err("no body");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

#[test]
fn building_without_credentials_is_invalid_input() {
    let error = Client::builder()
        .endpoint("http://127.0.0.1:1")
        .build()
        .expect_err("credentials are required");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

#[test]
fn building_with_a_bad_endpoint_is_invalid_input() {
    for bad in [
        "",
        "not a url",
        "vm.jdcloud-api.com",
        "ftp://vm.jdcloud-api.com",
        "https://vm.jdcloud-api.com/v1",
        "https://vm.jdcloud-api.com?x=1",
        "http://",
    ] {
        let error = Client::builder()
            .credentials(credentials())
            .endpoint(bad)
            .build()
            .expect_err(bad);
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad:?}: {error}");
    }
}

/// Environment variables `from_env` and `from_profile` read; saved and restored around the test.
const ENV_VARS: [&str; 8] = [
    "JDCLOUD_ACCESS_KEY_ID",
    "JDCLOUD_SECRET_ACCESS_KEY",
    "JDCLOUD_SESSION_TOKEN",
    "JDCLOUD_ACCESS_KEY",
    "JDCLOUD_SECRET_KEY",
    "JDCLOUD_ENDPOINT",
    "HOME",
    "USERPROFILE",
];

/// Restores the saved environment when dropped, even when an assertion failed.
struct SavedEnv(Vec<(&'static str, Option<std::ffi::OsString>)>);

impl SavedEnv {
    fn take() -> SavedEnv {
        let saved = ENV_VARS.iter().map(|n| (*n, std::env::var_os(n))).collect();
        for name in ENV_VARS {
            std::env::remove_var(name);
        }
        SavedEnv(saved)
    }
}

impl Drop for SavedEnv {
    fn drop(&mut self) {
        for (name, value) in &self.0 {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

/// One mock server that wants one attach signed by `credentials` (and, when given, carrying
/// `token` base64-encoded), and a client from the environment sent to it.
async fn attach_from_env(what: &str, credentials: Credentials, token: Option<&str>) {
    let server = MockServer::start().await;
    let mut mock = Mock::given(path(ATTACH_PATH)).and(SignedBy(credentials));
    if let Some(token) = token {
        mock = mock.and(header("x-jdcloud-security-token", token));
    }
    let expectation = format!("an attach signed by the credentials of {what}");
    answer_success(&server, &expectation, 1, mock).await;
    catch_all(&server, &expectation, 0).await;
    // The endpoint comes from the environment too.
    std::env::set_var("JDCLOUD_ENDPOINT", server.uri());
    let client = Client::from_env().unwrap_or_else(|e| panic!("{what}: {e}"));
    attach(&client, None)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
}

// All environment cases in one test: tests run in parallel threads of one process, and the
// environment is the process's.
#[tokio::test]
async fn from_env_reads_the_environment_then_the_cli_profile() {
    let _saved = SavedEnv::take();
    let home = std::env::temp_dir().join(format!("jdcloud-vm-contract-{}", std::process::id()));
    std::fs::create_dir_all(home.join(".jdc")).unwrap();
    std::env::set_var("HOME", &home);

    // Nothing anywhere: a configuration error, before any request.
    let error = Client::from_env().expect_err("no credentials anywhere");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");

    // The jdcloud CLI's profile, the one `current` names, when the environment has none.
    std::fs::write(home.join(".jdc/current"), "work\n").unwrap();
    std::fs::write(
        home.join(".jdc/config"),
        "[default]\naccess_key = AKDEFAULT\nsecret_key = SKDEFAULT\n\n\
         [work]\naccess_key = AKPROFILE\nsecret_key = SKPROFILE\n",
    )
    .unwrap();
    attach_from_env(
        "the current CLI profile",
        Credentials::new("AKPROFILE", "SKPROFILE"),
        None,
    )
    .await;

    // The second family of variables beats the profile.
    std::env::set_var("JDCLOUD_ACCESS_KEY", "AKSHORT");
    std::env::set_var("JDCLOUD_SECRET_KEY", "SKSHORT");
    attach_from_env(
        "JDCLOUD_ACCESS_KEY",
        Credentials::new("AKSHORT", "SKSHORT"),
        None,
    )
    .await;

    // The first family, with its session token, beats the second.
    std::env::set_var("JDCLOUD_ACCESS_KEY_ID", "AKLONG");
    std::env::set_var("JDCLOUD_SECRET_ACCESS_KEY", "SKLONG");
    std::env::set_var("JDCLOUD_SESSION_TOKEN", "tok-123");
    attach_from_env(
        "JDCLOUD_ACCESS_KEY_ID",
        Credentials::new("AKLONG", "SKLONG").with_security_token("tok-123"),
        Some("dG9rLTEyMw=="),
    )
    .await;

    // A half-set family is an error naming what is missing, not a silent fall-through to the
    // other family's key.
    std::env::remove_var("JDCLOUD_SECRET_ACCESS_KEY");
    let error = Credentials::from_env().expect_err("a key without its secret");
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(
        error.to_string().contains("JDCLOUD_SECRET_ACCESS_KEY"),
        "{error}"
    );
    // The client too reports it, rather than quietly using the CLI profile instead.
    let error = Client::from_env().expect_err("a key without its secret");
    assert!(
        error.to_string().contains("JDCLOUD_SECRET_ACCESS_KEY"),
        "{error}"
    );

    std::fs::remove_dir_all(&home).ok();
}

/// Seconds since the epoch of a `YYYYMMDDTHHMMSSZ` date, `None` when it is not of that form.
fn parse_jdcloud_date(date: &str) -> Option<u64> {
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = date.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let (y, m, d) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hh, mm, ss) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant), for the proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[test]
fn the_date_parser_of_these_tests_is_right() {
    // The header test leans on it; 1_795_774_500 is the published attach vector's date.
    assert_eq!(parse_jdcloud_date("20261127T101500Z"), Some(1_795_774_500));
    assert_eq!(parse_jdcloud_date("19700101T000000Z"), Some(0));
    assert_eq!(parse_jdcloud_date("2026-11-27T10:15:00Z"), None);
    assert_eq!(parse_jdcloud_date("20261127T101500"), None);
}

/// The body's flat setters, `body_map` and `body` send the same bytes, in the spec's order.
#[tokio::test]
async fn flat_setters_body_map_and_body_send_the_same_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(common::success_response())
        .expect(3)
        .named("three attaches")
        .mount(&server)
        .await;
    let client = client(&server);
    let op = || {
        client
            .attach_network_interface()
            .region_id(REGION)
            .instance_id(INSTANCE)
    };
    op().network_interface_id(INTERFACE)
        .auto_delete(true)
        .send()
        .await
        .unwrap();
    op().body_map(|b| b.network_interface_id(INTERFACE).auto_delete(true))
        .send()
        .await
        .unwrap();
    op().body(types::AttachNetworkInterfaceRequest {
        network_interface_id: INTERFACE.parse().unwrap(),
        auto_delete: Some(true),
    })
    .send()
    .await
    .unwrap();
    let bodies: Vec<Vec<u8>> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.body)
        .collect();
    assert_eq!(
        bodies[0],
        br#"{"networkInterfaceId":"port-n2h7abcdse","autoDelete":true}"#
    );
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);
}

/// ID setters take `&str`, `String` and `&String`.
#[tokio::test]
async fn id_setters_take_str_string_and_string_refs() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(common::success_response())
        .expect(1)
        .named("one attach")
        .mount(&server)
        .await;
    let region = String::from(REGION);
    let interface = String::from(INTERFACE);
    client(&server)
        .attach_network_interface()
        .region_id(&region)
        .instance_id(String::from(INSTANCE))
        .network_interface_id(&interface)
        .send()
        .await
        .unwrap();
}
