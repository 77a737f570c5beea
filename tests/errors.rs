//! Every failure the service can answer with becomes an `Error` a caller can act on: its kind,
//! status, code, message, request id and retryability, whatever shape the answer takes.

mod common;

use common::{attach, catch_all, client, documented_errors, SignedBy, ATTACH_PATH};
use jdcloud_vm::{Error, ErrorKind};
use serde_json::json;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

/// The kinds that only say "some error of this status": a documented error must get better.
const GENERIC: [ErrorKind; 6] = [
    ErrorKind::FailedPrecondition,
    ErrorKind::InvalidArgument,
    ErrorKind::NotFound,
    ErrorKind::ServiceUnavailable,
    ErrorKind::MalformedResponse,
    ErrorKind::PermissionDenied,
];

/// One attach against a server that answers once with `template`; the error it gives.
async fn error_for(template: ResponseTemplate, name: &str) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .and(SignedBy(common::credentials()))
        .respond_with(template)
        .expect(1)
        .named(name)
        .mount(&server)
        .await;
    catch_all(&server, &format!("a signed POST {ATTACH_PATH} ({name})"), 0).await;
    attach(&client(&server))
        .await
        .expect_err("an error answer is an Err")
}

/// Every documented error of the spec, answered over HTTP, is the `ErrorKind` of its example's
/// name, with its status, code, message, request id, and the retryability the spec gives it.
/// The list is the spec's: a new example in the spec is tested here with no change.
#[tokio::test]
async fn every_documented_error_of_the_spec_is_the_kind_of_its_name() {
    let documented = documented_errors();
    assert!(documented.len() >= 11, "the spec's examples were not found");
    for doc in documented {
        let here = format!("{} of {}", doc.name, doc.operation);
        let e = error_for(
            ResponseTemplate::new(doc.http_status).set_body_json(&doc.body),
            &here,
        )
        .await;
        assert_eq!(format!("{:?}", e.kind()), doc.name, "{here}: {e}");
        assert_eq!(e.http_status(), Some(doc.http_status), "{here}");
        assert_eq!(e.code(), Some(doc.status.as_str()), "{here}");
        assert_eq!(e.message(), Some(doc.message.as_str()), "{here}");
        assert_eq!(e.request_id(), Some(doc.request_id.as_str()), "{here}");
        assert_eq!(e.is_retryable(), doc.retryable, "{here}");
        assert_eq!(e.kind().is_retryable(), doc.retryable, "{here}");
    }
}

/// The variants `API.md` names, with the retryability it gives them: the spec's example names
/// must keep them.
#[test]
fn the_contracts_documented_kinds_keep_their_names() {
    use ErrorKind::*;
    let named = [
        (TaskConflict, true),
        (InvalidInstanceStatus, false),
        (NetworkInterfaceLimitExceeded, false),
        (NetworkInterfaceInUse, false),
        (NetworkInterfacePermissionDenied, false),
        (ElasticIpAzMismatch, false),
        (CannotDetachPrimary, false),
        (PageSizeOutOfRange, false),
        (InstanceNotFound, false),
        (InternalServerError, true),
        (UnknownServerError, true),
    ];
    let documented = documented_errors();
    for (kind, retryable) in named {
        assert_eq!(kind.is_retryable(), retryable, "{kind:?}");
        assert!(
            documented.iter().any(|d| d.name == format!("{kind:?}")),
            "{kind:?} is no longer an example name in the spec"
        );
    }
}

/// A documented message with its `xx` filled in is still that documented error.
#[tokio::test]
async fn variable_parts_of_documented_messages_match_any_text() {
    for (status, code, message, kind) in [
        (
            400,
            "FAILED_PRECONDITION",
            "Conflict with underlay task t-7k2",
            ErrorKind::TaskConflict,
        ),
        (
            400,
            "FAILED_PRECONDITION",
            "Invalid instance status stopping",
            ErrorKind::InvalidInstanceStatus,
        ),
        (
            404,
            "NOT_FOUND",
            "Instance 'i-abc' not found.",
            ErrorKind::InstanceNotFound,
        ),
        (
            400,
            "FAILED_PRECONDITION",
            "ElasticIp 'fip-1' and instance are not in the same az",
            ErrorKind::ElasticIpAzMismatch,
        ),
    ] {
        let e = error_for(
            ResponseTemplate::new(status).set_body_json(error_body(status, code, message)),
            message,
        )
        .await;
        assert_eq!(e.kind(), kind, "{message}: {e}");
    }
}

#[test]
fn every_documented_error_maps_to_a_distinct_specific_kind() {
    // Straight through the classifier, so an unlisted new example is judged too.
    let documented = documented_errors();
    let mut seen = std::collections::HashMap::new();
    for doc in &documented {
        let body = serde_json::to_vec(&doc.body).unwrap();
        let e = jdcloud_vm::classify(doc.http_status, &Default::default(), &body)
            .expect_err("a documented error is an Err");
        assert!(
            !GENERIC.contains(&e.kind()),
            "{} is only classified as the generic {:?}: give it a kind of its own",
            doc.name,
            e.kind()
        );
        // One kind per name, wherever the name is documented.
        if let Some(previous) = seen.insert(e.kind(), doc.name.clone()) {
            assert_eq!(
                previous,
                doc.name,
                "two names share the kind {:?}",
                e.kind()
            );
        }
    }
}

fn error_body(code: u16, status: &str, message: &str) -> serde_json::Value {
    json!({
        "requestId": "req-errors-0001",
        "error": {"code": code, "status": status, "message": message},
    })
}

#[tokio::test]
async fn a_200_with_an_error_object_is_an_error() {
    // The official SDKs treat any body with an error object as a failure, whatever the status.
    let e = error_for(
        ResponseTemplate::new(200).set_body_json(error_body(
            400,
            "FAILED_PRECONDITION",
            "Invalid instance status stopping",
        )),
        "a 200 carrying an error",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::InvalidInstanceStatus, "{e}");
    assert_eq!(e.code(), Some("FAILED_PRECONDITION"));
    assert_eq!(e.request_id(), Some("req-errors-0001"));
    assert_eq!(e.http_status(), Some(200));
}

#[tokio::test]
async fn the_request_id_comes_from_the_header_when_the_body_has_none() {
    let e = error_for(
        ResponseTemplate::new(400)
            .insert_header("x-jdcloud-request-id", "req-from-header")
            .set_body_json(
                json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad"}}),
            ),
        "an error without requestId",
    )
    .await;
    assert_eq!(e.request_id(), Some("req-from-header"));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn the_body_request_id_wins_over_the_header() {
    let e = error_for(
        ResponseTemplate::new(400)
            .insert_header("x-jdcloud-request-id", "req-from-header")
            .set_body_json(error_body(400, "INVALID_ARGUMENT", "bad")),
        "an error with both request ids",
    )
    .await;
    assert_eq!(e.request_id(), Some("req-errors-0001"));
}

#[tokio::test]
async fn a_gateway_signature_refusal_is_unauthenticated() {
    let e = error_for(
        ResponseTemplate::new(401).set_body_json(error_body(
            401,
            "ACCESS_ERROR",
            "sign result is not same [gw]",
        )),
        "a gateway 401",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert_eq!(e.http_status(), Some(401));
    assert_eq!(e.code(), Some("ACCESS_ERROR"));
    assert_eq!(e.message(), Some("sign result is not same [gw]"));
    assert!(
        !e.is_retryable(),
        "the same signature fails the same way again"
    );
}

#[tokio::test]
async fn a_403_is_permission_denied() {
    let e = error_for(
        ResponseTemplate::new(403).set_body_json(error_body(403, "PERMISSION_DENIED", "forbidden")),
        "a 403",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn a_429_is_throttled_and_retryable() {
    let e = error_for(
        ResponseTemplate::new(429).set_body_json(error_body(
            429,
            "HTTP_RATE_LIMIT_EXCEEDED",
            "rate limit exceeded [gw]",
        )),
        "a 429",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert!(e.is_retryable());
}

#[tokio::test]
async fn an_undocumented_failed_precondition_is_failed_precondition() {
    let e = error_for(
        ResponseTemplate::new(400).set_body_json(error_body(
            400,
            "FAILED_PRECONDITION",
            "Primary networkInterface cannot be attached",
        )),
        "an undocumented FAILED_PRECONDITION",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::FailedPrecondition);
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn any_other_400_is_invalid_argument() {
    let e = error_for(
        ResponseTemplate::new(400).set_body_json(error_body(
            400,
            "INVALID_ARGUMENT",
            "networkInterfaceId is invalid",
        )),
        "an INVALID_ARGUMENT",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.code(), Some("INVALID_ARGUMENT"));
}

#[tokio::test]
async fn any_other_404_is_not_found() {
    // Not the instance: the interface. Only `Instance '…' not found.` is InstanceNotFound.
    let e = error_for(
        ResponseTemplate::new(404).set_body_json(error_body(
            404,
            "NOT_FOUND",
            "NetworkInterface 'port-n2h7abcdse' not found.",
        )),
        "another NOT_FOUND",
    )
    .await;
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn display_is_one_line_with_what_support_needs_and_no_headers() {
    let e = error_for(
        ResponseTemplate::new(400)
            .insert_header("x-jdcloud-request-id", "req-errors-0001")
            .insert_header("x-private-header", "private-value")
            .set_body_json(error_body(
                400,
                "FAILED_PRECONDITION",
                "Invalid instance status\nstopping",
            )),
        "an error to display",
    )
    .await;
    let shown = e.to_string();
    assert!(!shown.contains(['\n', '\r']), "{shown:?}");
    for part in [
        "attach_network_interface",
        "400",
        "FAILED_PRECONDITION",
        "Invalid instance status",
        "stopping",
        "req-errors-0001",
    ] {
        assert!(shown.contains(part), "{part:?} missing from {shown:?}");
    }
    // progenitor's own Display dumps every response header; ours must not.
    for header in [
        "x-jdcloud-request-id",
        "x-private-header",
        "private-value",
        "content-type",
        "authorization",
    ] {
        assert!(
            !shown.to_ascii_lowercase().contains(header),
            "{header:?} shown in {shown:?}"
        );
    }
}

#[tokio::test]
async fn errors_convert_with_the_question_mark_operator() {
    async fn call(client: &jdcloud_vm::Client) -> Result<String, Error> {
        let resp = client
            .attach_network_interface()
            .region_id(common::REGION)
            .instance_id(common::INSTANCE)
            .network_interface_id(common::INTERFACE)
            .send()
            .await?;
        Ok(resp.into_inner().request_id)
    }
    let server = MockServer::start().await;
    let doc = documented_errors()
        .into_iter()
        .find(|e| e.name == "NetworkInterfaceInUse")
        .unwrap();
    Mock::given(method("POST"))
        .and(path(ATTACH_PATH))
        .respond_with(ResponseTemplate::new(doc.http_status).set_body_json(&doc.body))
        .expect(1)
        .named("NetworkInterfaceInUse through ?")
        .mount(&server)
        .await;
    catch_all(&server, "a POST to the attach path", 0).await;
    let e = call(&client(&server)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NetworkInterfaceInUse);
    assert_eq!(e.request_id(), Some(doc.request_id.as_str()));
}
