//! IDs are checked before anything is built or sent: a bad one could change the path (`..`,
//! `/`, `?`, `#`, `:detach…`) or the signature. Nothing reaches the server, and the error names
//! the field.

mod common;

use common::{catch_all, client, success_response, INSTANCE, INTERFACE, REGION};
use jdcloud_vm::{Client, Error, ErrorKind};
use wiremock::{
    matchers::{method, path_regex},
    Mock, MockServer,
};

/// IDs that must never reach the wire.
fn bad_ids() -> Vec<String> {
    let mut ids: Vec<String> = [
        "",
        ".",
        "..",
        "a/b",
        "a?b",
        "a#b",
        "i-1:detachNetworkInterface",
        "a b",
        "a\nb",
        "a\n",
        "%2F",
        "\\",
        "-leading-dash",
        "i-\u{00e9}t\u{00e9}",
        "i-1\0",
    ]
    .map(str::to_owned)
    .to_vec();
    ids.push("a".repeat(65));
    ids.push(format!("i-{}", "x".repeat(100)));
    ids
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Field {
    Region,
    Instance,
    Interface,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Region => "region_id",
            Field::Instance => "instance_id",
            Field::Interface => "network_interface_id",
        }
    }
}

/// An attach whose `field` is `id`, the other IDs valid.
async fn attach_with(client: &Client, field: Field, id: &str) -> Result<(), Error> {
    let pick = |f: Field, good: &str| {
        if f == field {
            id.to_owned()
        } else {
            good.to_owned()
        }
    };
    client
        .attach_network_interface()
        .region_id(pick(Field::Region, REGION).as_str())
        .instance_id(pick(Field::Instance, INSTANCE).as_str())
        .network_interface_id(pick(Field::Interface, INTERFACE).as_str())
        .send()
        .await
        .map(drop)
}

async fn bad_ids_never_leave(field: Field) {
    let server = MockServer::start().await;
    catch_all(
        &server,
        &format!("nothing: every {} is invalid", field.name()),
        0,
    )
    .await;
    let client = client(&server);
    for id in bad_ids() {
        let e = attach_with(&client, field, &id)
            .await
            .expect_err(&format!("{id:?} is refused"));
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidInput,
            "{}={id:?}: {e}",
            field.name()
        );
        let message = e.message().unwrap_or_default();
        assert!(
            message.contains(field.name()),
            "{}={id:?}: {message:?} does not name the field",
            field.name()
        );
        assert!(!e.is_retryable());
        assert_eq!(e.http_status(), None);
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_bad_region_id_is_refused_before_sending() {
    bad_ids_never_leave(Field::Region).await;
}

#[tokio::test]
async fn a_bad_instance_id_is_refused_before_sending() {
    bad_ids_never_leave(Field::Instance).await;
}

#[tokio::test]
async fn a_bad_network_interface_id_is_refused_before_sending() {
    bad_ids_never_leave(Field::Interface).await;
}

#[tokio::test]
async fn a_missing_required_field_is_refused_naming_it() {
    let server = MockServer::start().await;
    catch_all(&server, "nothing: a required field is missing", 0).await;
    let client = client(&server);
    let no_region = client
        .attach_network_interface()
        .instance_id(INSTANCE)
        .network_interface_id(INTERFACE);
    let no_instance = client
        .attach_network_interface()
        .region_id(REGION)
        .network_interface_id(INTERFACE);
    let no_interface = client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE)
        .body_map(|b| b.auto_delete(true));
    let no_body = client
        .attach_network_interface()
        .region_id(REGION)
        .instance_id(INSTANCE);
    for (field, builder) in [
        ("region_id", no_region),
        ("instance_id", no_instance),
        ("network_interface_id", no_interface),
        ("network_interface_id", no_body),
    ] {
        let e = builder.send().await.expect_err(field);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{field}: {e}");
        let message = e.message().unwrap_or_default();
        assert!(message.contains(field), "{message:?} does not name {field}");
        assert!(
            message.contains("required"),
            "{message:?} does not say the field is required"
        );
    }
}

#[tokio::test]
async fn valid_edge_case_ids_are_accepted() {
    let edge_cases = [
        "a".repeat(64),
        "a.b_c-d".to_owned(),
        "7".to_owned(),
        "A9".to_owned(),
    ];
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(
            r"^/v1/regions/[^/]+/instances/[^/]+:attachNetworkInterface$",
        ))
        .respond_with(success_response())
        .expect(3 * edge_cases.len() as u64)
        .named("an attach for each valid edge-case ID in each field")
        .mount(&server)
        .await;
    catch_all(&server, "only attach paths", 0).await;
    let client = client(&server);
    for field in [Field::Region, Field::Instance, Field::Interface] {
        for id in &edge_cases {
            attach_with(&client, field, id)
                .await
                .unwrap_or_else(|e| panic!("{}={id:?} refused: {e}", field.name()));
        }
    }
    // The IDs travel as given: checked, not rewritten.
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().any(
        |r| r.url.path() == "/v1/regions/a.b_c-d/instances/i-eumm1234d6:attachNetworkInterface"
    ));
    assert!(requests
        .iter()
        .any(
            |r| r.body_json::<serde_json::Value>().unwrap()["networkInterfaceId"] == "a".repeat(64)
        ));
}

/// A query integer outside the spec's `minimum`/`maximum` is refused before sending, naming
/// the parameter and the rule; inside, it goes out.
#[tokio::test]
async fn query_bounds_of_the_spec_are_checked_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server, "no request: the bounds refuse it first", 0).await;
    let client = client(&server);
    for (size, number, field, rule) in [
        (5, 1, "page_size", "from 10 to 100"),
        (101, 1, "page_size", "from 10 to 100"),
        (10, 0, "page_number", "at least 1"),
    ] {
        let e = client
            .describe_instances()
            .region_id(common::REGION)
            .page_size(size)
            .page_number(number)
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let message = e.message().unwrap();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
        assert!(message.contains(rule), "{message}");
        assert_eq!(e.operation(), Some("describe_instances"));
    }
}
