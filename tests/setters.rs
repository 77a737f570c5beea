//! The whole API is written as users write it: setters take the value itself (`.description("web")`,
//! `.max_count(2)`, `.force(true)`, `.ids(vec![..])`), nested types have builders whose setters do
//! too, results are not `Option`s, lists are `Vec`s; and what is sent is exactly what was set.

mod common;

use common::{catch_all, client, REGION};
use jdcloud_vm::{types, ErrorKind};
use serde_json::json;
use wiremock::{
    matchers::{body_json, method, path, query_param},
    Mock, MockServer, ResponseTemplate,
};

#[tokio::test]
async fn create_instances_with_nested_builders_sends_what_was_set_and_nothing_else(
) -> anyhow::Result<()> {
    let server = MockServer::start().await;
    let expected = json!({
        "instanceSpec": {
            "az": "cn-north-1a",
            "instanceType": "g.n2.medium",
            "imageId": "img-m5s0a1b2c3",
            "name": "web",
            "primaryNetworkInterface": {
                "networkInterface": {"subnetId": "subnet-default"},
            },
            "systemDisk": {
                "diskCategory": "cloud",
                "cloudDiskSpec": {"diskType": "ssd.gp1", "diskSizeGB": 40},
            },
            "description": "the web tier",
        },
        "maxCount": 2,
        "clientToken": "token-1",
    });
    Mock::given(method("POST"))
        .and(path(format!("/v1/regions/{REGION}/instances")))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "r-create",
            "result": {"instanceIds": ["i-a", "i-b"]},
        })))
        .expect(1)
        .named("createInstances with the body as set")
        .mount(&server)
        .await;
    catch_all(&server, "createInstances with the body as set", 0).await;

    let spec = types::InstanceSpec::builder()
        .az("cn-north-1a")
        .instance_type("g.n2.medium")
        .image_id("img-m5s0a1b2c3")
        .name("web")
        .description("the web tier")
        .primary_network_interface(
            types::InstanceNetworkInterfaceAttachmentSpec::builder().network_interface(
                types::NetworkInterfaceSpec::builder().subnet_id("subnet-default"),
            ),
        )
        .system_disk(
            types::InstanceDiskAttachmentSpec::builder()
                .disk_category("cloud")
                .cloud_disk_spec(
                    types::DiskSpec::builder()
                        .disk_type("ssd.gp1")
                        .disk_size_gb(40),
                ),
        );
    let created = client(&server)
        .create_instances()
        .region_id(REGION)
        .instance_spec(spec)
        .max_count(2)
        .client_token("token-1")
        .send()
        .await?;
    // `result` is no Option; its list is a Vec.
    assert_eq!(created.result.instance_ids, vec!["i-a", "i-b"]);
    Ok(())
}

#[tokio::test]
async fn flat_body_setters_take_strings_booleans_and_lists() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    let ok = ResponseTemplate::new(200).set_body_json(json!({"requestId": "r"}));
    for (action, body) in [
        (
            "resizeInstance",
            json!({"instanceType": "g.n2.large", "force": true}),
        ),
        (
            "modifyInstanceAttribute",
            json!({"name": "web-2", "description": "web"}),
        ),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v1/regions/{REGION}/instances/i-1:{action}")))
            .and(body_json(&body))
            .respond_with(ok.clone())
            .expect(1)
            .named(action)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/v1/regions/{REGION}/images/img-1:share")))
        .and(body_json(json!({"pins": ["pin-a", "pin-b"]})))
        .respond_with(ok.clone())
        .expect(1)
        .named("shareImage")
        .mount(&server)
        .await;
    catch_all(&server, "one of the three actions", 0).await;
    let client = client(&server);

    client
        .resize_instance()
        .region_id(REGION)
        .instance_id("i-1")
        .instance_type("g.n2.large")
        .force(true)
        .send()
        .await?;
    client
        .modify_instance_attribute()
        .region_id(REGION)
        .instance_id("i-1")
        .name("web-2")
        .description("web")
        .send()
        .await?;
    client
        .share_image()
        .region_id(REGION)
        .image_id("img-1")
        .pins(vec!["pin-a".to_string(), "pin-b".to_string()])
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn query_enums_and_lists_take_plain_values_and_a_value_outside_the_list_is_refused(
) -> anyhow::Result<()> {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/regions/{REGION}/images")))
        .and(query_param("imageSource", "public"))
        .and(query_param("ids.1", "img-a"))
        .and(query_param("ids.2", "img-b"))
        .and(query_param("pageSize", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "r",
            "result": {"images": [{"imageId": "img-a", "status": "a-status-not-in-any-page"}], "totalCount": 1},
        })))
        .expect(1)
        .named("describeImages, indexed ids")
        .mount(&server)
        .await;
    catch_all(&server, "describeImages, indexed ids", 0).await;
    let client = client(&server);
    let images = client
        .describe_images()
        .region_id(REGION)
        .image_source("public")
        .ids(vec!["img-a".to_string(), "img-b".to_string()])
        .page_size(50)
        .send()
        .await?;
    // A value JD Cloud adds later decodes.
    assert_eq!(
        images.result.images[0].status.as_deref(),
        Some("a-status-not-in-any-page")
    );
    assert_eq!(images.result.total_count, 1);

    let refused = client
        .describe_images()
        .region_id(REGION)
        .image_source("everyone")
        .send()
        .await
        .expect_err("not one of 可选值");
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("image_source"), "{refused}");
    Ok(())
}

/// `imageTasks` pages 1 to 10 at a time (the two small-paged operations); `into_pages` reads them
/// all.
#[tokio::test]
async fn a_small_paged_operation_pages_through_everything() -> anyhow::Result<()> {
    let server = MockServer::start().await;
    for page in 1..=3 {
        let tasks: Vec<_> = (0..if page < 3 { 10 } else { 5 })
            .map(|i| json!({"taskId": format!("{}", page * 100 + i)}))
            .collect();
        Mock::given(method("GET"))
            .and(path(format!("/v1/regions/{REGION}/imageTasks")))
            .and(query_param("pageNumber", page.to_string()))
            .and(query_param("pageSize", "10"))
            .and(query_param("taskAction", "ImportImage"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "requestId": format!("r{page}"),
                "result": {"taskSet": tasks, "totalCount": 25},
            })))
            .expect(1)
            .named(format!("page {page}"))
            .mount(&server)
            .await;
    }
    catch_all(&server, "pages 1 to 3", 0).await;
    let client = client(&server);
    let mut pages = client
        .image_tasks()
        .region_id(REGION)
        .task_action("ImportImage")
        .page_size(10)
        .into_pages();
    let mut seen = 0;
    while let Some(page) = pages.next().await {
        seen += page?.result.task_set.len();
    }
    assert_eq!(seen, 25);
    let refused = client
        .image_tasks()
        .region_id(REGION)
        .task_action("ImportImage")
        .page_size(20)
        .send()
        .await
        .expect_err("the page says 1 to 10");
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused}");
    Ok(())
}
