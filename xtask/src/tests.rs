//! The importer's tests: the seed page alone against today's hand-written definition, each trap
//! of the pages, and every 返回码 row of every page named by a kind of its own.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde_json::Value;

use crate::names;
use crate::overlay::{self, Overlay};
use crate::page;
use crate::spec;

fn spec_dir() -> std::path::PathBuf {
    crate::root().join("spec")
}

fn committed_overlay() -> Overlay {
    overlay::parse(&fs::read_to_string(spec_dir().join("overlay.yaml")).unwrap()).unwrap()
}

/// The overlay without what names other operations (SDK-only operations and fields, corrections).
fn overlay_for_one_page() -> Overlay {
    let mut o = committed_overlay();
    o.operations.clear();
    o.fields.clear();
    o.corrections.clear();
    o.filters.clear();
    o.english.operations.clear();
    o
}

fn read(rel: &str) -> page::Page {
    let path = spec_dir().join("pages").join(rel);
    let text = fs::read_to_string(&path).unwrap();
    let file = rel.split_once('/').unwrap().1;
    page::parse(file, &text).unwrap()
}

fn yaml(text: &str) -> Value {
    yaml_serde::from_str(text).unwrap()
}

// --- the seed page ---------------------------------------------------------------------------

#[test]
fn the_seed_page_alone_imports_to_the_hand_written_attach_network_interface() {
    let zh = read("zh/Virtual-Machines/attachNetworkInterface.md");
    let en = read("en/Virtual-Machines/attachNetworkInterface.md");
    let overlay = overlay_for_one_page();
    let ops = crate::operations(vec![zh], vec![en], &overlay).unwrap();
    let built = spec::build(ops, &overlay).unwrap();
    // Through the YAML text, as build.rs reads it.
    let new = yaml(&crate::render(&built.document));
    let old = yaml(
        &fs::read_to_string(
            crate::root().join("xtask/tests/fixtures/attach_network_interface_by_hand.yaml"),
        )
        .unwrap(),
    );
    let path = "/regions/{regionId}/instances/{instanceId}:attachNetworkInterface";
    let (new_op, old_op) = (&new["paths"][path]["post"], &old["paths"][path]["post"]);
    assert!(new_op.is_object(), "POST {path} imported");
    assert_eq!(new_op["operationId"], old_op["operationId"]);
    assert_eq!(new_op["tags"], old_op["tags"]);

    // Parameters: names, places, required-ness, schemas.
    let shape = |op: &Value| -> Vec<(Value, Value, Value, Value)> {
        op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].clone(),
                    p["in"].clone(),
                    p["required"].clone(),
                    p["schema"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(shape(new_op), shape(old_op));
    assert_eq!(
        new_op["requestBody"]["content"]["application/json"]["schema"],
        old_op["requestBody"]["content"]["application/json"]["schema"]
    );
    assert_eq!(
        new_op["requestBody"]["required"],
        old_op["requestBody"]["required"]
    );
    assert_eq!(
        new_op["responses"]["200"]["content"]["application/json"]["schema"],
        old_op["responses"]["200"]["content"]["application/json"]["schema"]
    );
    assert_eq!(new_op["responses"]["5XX"], old_op["responses"]["5XX"]);

    // The body: required fields, property names, types and $refs.
    let schemas = |doc: &Value, name: &str| doc["components"]["schemas"][name].clone();
    for name in [
        "AttachNetworkInterfaceRequest",
        "AttachNetworkInterfaceResponse",
    ] {
        let (n, o) = (schemas(&new, name), schemas(&old, name));
        assert_eq!(n["type"], o["type"], "{name}");
        assert_eq!(n["required"], o["required"], "{name}");
        let keys = |v: &Value| -> Vec<String> {
            v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(keys(&n), keys(&o), "{name}");
        for k in keys(&o) {
            let (np, op) = (&n["properties"][&k], &o["properties"][&k]);
            assert_eq!(np["type"], op["type"], "{name}.{k}");
            assert_eq!(np["$ref"], op["$ref"], "{name}.{k}");
        }
    }
    // The ID schemas: same pattern and lengths.
    for name in ["RegionId", "InstanceId", "NetworkInterfaceId"] {
        let (n, o) = (schemas(&new, name), schemas(&old, name));
        for k in ["type", "pattern", "minLength", "maxLength"] {
            assert_eq!(n[k], o[k], "{name}.{k}");
        }
    }

    // Every documented error, by name, with its status, code, message and retryability.
    let errors = |op: &Value| -> Vec<(String, Value, Value)> {
        op["responses"]["4XX"]["content"]["application/json"]["examples"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v["value"]["error"].clone(),
                    v["x-retryable"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(errors(new_op), errors(old_op));
    assert_eq!(
        new["components"]["responses"]["ServerError"]["content"]["application/json"]["examples"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["InternalServerError", "UnknownServerError"]
    );
}

// --- the traps of the pages (ANALYSIS.md §3) -------------------------------------------------

const HEAD: &str = "# op\n\n## 描述\n\n说明。\n\n## 请求方式\nPOST\n\n## 请求地址\nhttps://vm.jdcloud-api.com/v1/regions/{regionId}/things:op\n\n|名称|类型|是否必需|示例值|描述|\n|---|---|---|---|---|\n|**regionId**|String|是|cn-north-1|地域ID。|\n\n";

fn page_with(rest: &str) -> page::Page {
    page::parse("Test/op.md", &format!("{HEAD}{rest}")).unwrap()
}

#[test]
fn an_escaped_pipe_stays_in_its_cell() {
    let p = page_with(
        "## 请求参数\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**password**|String|否| |特殊符号包括：\\(\\)\\`~!@#$%^&\\*\\_-+=\\|{}\\[ ]:\";'<>,.?/|\n|**next**|Integer|是| |下一个。|\n",
    );
    assert_eq!(p.params.len(), 2);
    assert_eq!(p.params[0].name, "password");
    assert_eq!(p.params[0].ty, "String");
    assert!(
        p.params[0].description.contains("+=|{}"),
        "{}",
        p.params[0].description
    );
    assert_eq!(p.params[1].name, "next");
    assert!(p.params[1].required);
}

#[test]
fn br_lists_become_lines_and_values() {
    let p = page_with(
        "## 请求参数\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**chargeOnStopped**|String|否| |停机不计费模式。<br>可选值：<br>`keepCharging`（默认值）：停机后保持计费。<br>`stopCharging`：停机后停止计费。<br>|\n",
    );
    let d = &p.params[0].description;
    assert_eq!(
        d.lines().collect::<Vec<_>>(),
        [
            "停机不计费模式。",
            "可选值：",
            "`keepCharging`（默认值）：停机后保持计费。",
            "`stopCharging`：停机后停止计费。"
        ]
    );
    let c = crate::constraints::read(d, crate::constraints::Scalar::String);
    assert_eq!(c.values, ["keepCharging", "stopCharging"]);
    assert_eq!(c.default, Some("keepCharging".into()));
}

#[test]
fn nested_types_resolve_by_link_text_not_anchor() {
    // The anchor points at an unrelated id (`#user-content-1`); the type is lower-case in one
    // link (`diskspec`) and not linked at all in another (`ChargeSpec`).
    let p = page_with(
        "## 请求参数\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**instanceSpec**|[InstanceSpec](createInstances#user-content-1)|是| |描述。|\n|**disks**|[DiskSpec[]](#wrong)|否| |盘。|\n\n### <div id=\"user-content-2\">InstanceSpec</div>\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**disk**|[diskspec](createInstances#user-content-8)|否| |盘。|\n|**charge**|ChargeSpec|否| |计费。|\n\n### <div id=\"DiskSpec\">DiskSpec</div>\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**diskSizeGB**|Integer|是| |容量。取值范围[20, 100]。|\n\n### ChargeSpec\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**chargeMode**|String|否| |计费模式。|\n\n## 返回参数\n|名称|类型|示例值|描述|\n|---|---|---|---|\n|**requestId**|String| |请求ID。|\n\n## 返回码\n|HTTP状态码|错误码|描述|错误解析|\n|---|---|---|---|\n|**500**|INTERNAL|Internal server error|内部错误。|\n|**500**|UNKNOWN|Unknown server error|未知错误。|\n",
    );
    assert_eq!(p.params[0].ty, "InstanceSpec");
    assert_eq!(p.params[1].ty, "DiskSpec[]");
    let names: Vec<&str> = p.request_types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["InstanceSpec", "DiskSpec", "ChargeSpec"]);
    let overlay = overlay_for_one_page();
    let mut ops = crate::operations(
        vec![p],
        vec![],
        &Overlay {
            tags: [("Test".to_owned(), "instance".to_owned())].into(),
            ..overlay_for_one_page()
        },
    )
    .unwrap();
    ops[0].tag = "instance".into();
    let built = spec::build(ops, &overlay).unwrap();
    let s = &built.document["components"]["schemas"];
    assert_eq!(
        s["InstanceSpec"]["properties"]["disk"]["$ref"],
        "#/components/schemas/DiskSpec"
    );
    assert_eq!(
        s["InstanceSpec"]["properties"]["charge"]["$ref"],
        "#/components/schemas/ChargeSpec"
    );
    assert_eq!(
        s["OpRequest"]["properties"]["disks"]["items"]["$ref"],
        "#/components/schemas/DiskSpec"
    );
    assert_eq!(s["DiskSpec"]["properties"]["diskSizeGB"]["minimum"], 20);
    assert_eq!(s["DiskSpec"]["required"], serde_json::json!(["diskSizeGB"]));
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
}

#[test]
fn a_row_without_its_closing_pipe_is_read() {
    let p = page_with(
        "## 请求参数\n|名称|类型|是否必选|示例值|描述|\n|---|---|---|---|---|\n|**diskType**|String|否|ssd.io1|云硬盘类型。<br>\n|**iops**|Integer|否| |IOPS。|\n",
    );
    assert_eq!(p.params.len(), 2);
    assert_eq!(p.params[0].name, "diskType");
    assert_eq!(p.params[0].description, "云硬盘类型。");
    assert_eq!(p.params[1].ty, "Integer");
}

#[test]
fn the_old_style_table_true_false_and_default_column() {
    let p = page_with(
        "## 请求参数\n|名称|类型|是否必需|默认值|描述|\n|---|---|---|---|---|\n|**name**|String|True| |名称。|\n|**maxCount**|Integer|False|1|数量。|\n### <div id=\"user-content-x\">UpdateSpec</div>\n|名称|类型|是否必需|默认值|描述|\n|---|---|---|---|---|\n|**imageId**|String|False| |镜像。|\n",
    );
    assert!(p.params[0].required);
    assert!(!p.params[1].required);
    assert_eq!(p.params[1].default, "1");
    // A `###` heading right after a row ends the table.
    assert_eq!(p.request_types.len(), 1);
    assert_eq!(p.request_types[0].name, "UpdateSpec");
    assert_eq!(p.request_types[0].fields[0].name, "imageId");
}

#[test]
fn crlf_en_pages_and_broken_fences_after_the_codes() {
    let p = read("zh/Instance-Template/updateInstanceTemplate.md");
    assert_eq!(p.method, "PATCH");
    assert_eq!(p.errors.len(), 4, "{:?}", p.errors);
    assert!(p.errors.iter().all(|e| e.status != 200));
    assert_eq!(p.params.len(), 3);
    assert!(p.request_types.len() >= 8);
    let crlf = fs::read_to_string(spec_dir().join("pages/en/Virtual-Machines/describeInstance.md"))
        .unwrap()
        .replace('\n', "\r\n");
    let en = page::parse("Virtual-Machines/describeInstance.md", &crlf).unwrap();
    assert_eq!(en.method, "GET");
    assert_eq!(en.path, "/regions/{regionId}/instances/{instanceId}");
    assert!(!en.response_types.is_empty());
}

#[test]
fn placeholders_are_one_name() {
    let mut names = BTreeSet::new();
    for m in [
        "Instance 'xx' not found",
        "Instance 'xx' not found.",
        "instance xxx not found",
        "Instance not found",
    ] {
        names.insert(names::derive(m, false));
    }
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["InstanceNotFound"]);
    // The three task-conflict spellings, through the overlay.
    let overlay = committed_overlay();
    for m in [
        "Conflict with underlay task xx",
        "Conflict with underlay task 'xx'",
        "Conflict with underlay task",
    ] {
        let e = overlay
            .error_names
            .iter()
            .find(|e| names::normalise(&e.message) == names::normalise(m))
            .unwrap();
        assert_eq!((e.name.as_str(), e.retryable), ("TaskConflict", true));
    }
}

// --- the whole API ---------------------------------------------------------------------------

fn whole() -> spec::Built {
    crate::build_from(&spec_dir()).unwrap()
}

#[test]
fn every_error_row_of_every_page_has_a_name_of_its_own() {
    let built = whole();
    let overlay = committed_overlay();
    // Every 4xx row of every zh page is named (createImage's two pages share rows: distinct
    // rows per operation).
    let named: BTreeSet<(String, u16, String, String)> = built
        .row_names
        .iter()
        .map(|(op, r, _)| (op.clone(), r.status, r.code.clone(), r.message.clone()))
        .collect();
    assert_eq!(named.len(), built.row_names.len());
    let mut documented = BTreeSet::new();
    let mut server_rows = 0;
    let zh = spec_dir().join("pages/zh");
    for dir in fs::read_dir(&zh).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for f in fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            let p = page::parse("x/y.md", &fs::read_to_string(&f).unwrap()).unwrap();
            for e in p.errors.iter().filter(|e| (400..500).contains(&e.status)) {
                documented.insert((p.op.clone(), e.status, e.code.clone(), e.message.clone()));
            }
            server_rows += p.errors.iter().filter(|e| e.status >= 500).count();
            // 5xx rows are the two server kinds.
            for e in p.errors.iter().filter(|e| e.status >= 500) {
                assert!(
                    ["Internal server error", "Unknown server error"].contains(&e.message.as_str()),
                    "{}: {e:?}",
                    f.display()
                );
            }
        }
    }
    assert_eq!(named, documented, "every 4xx row named");
    assert!(server_rows > 0);

    // One name per meaning: a name covers one normalised message, unless the overlay gives
    // several messages that name on purpose (one meaning, several wordings).
    let mut meanings: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (_, row, name) in &built.row_names {
        assert!(
            !names::RESERVED.contains(&name.as_str()),
            "{name}: a hand-written catch-all"
        );
        assert!(
            name.len() <= 40,
            "{name}: give it a shorter name in the overlay"
        );
        meanings
            .entry(name)
            .or_default()
            .insert(names::normalise(&row.message));
    }
    for (name, messages) in &meanings {
        if messages.len() > 1 {
            for m in messages {
                assert!(
                    overlay
                        .error_names
                        .iter()
                        .any(|e| e.name == *name && names::normalise(&e.message) == *m),
                    "{name} covers {messages:?}: one name per meaning"
                );
            }
        }
    }
    // And a meaning has one name.
    let mut by_meaning: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (_, row, name) in &built.row_names {
        by_meaning
            .entry(names::normalise(&row.message))
            .or_default()
            .insert(name);
    }
    for (m, n) in by_meaning {
        assert_eq!(n.len(), 1, "{m}: {n:?}");
    }
    // 429 QUOTA_EXCEEDED rows are quota kinds, not retried.
    for (_, row, name) in &built.row_names {
        if row.code == "QUOTA_EXCEEDED" {
            assert!(name.ends_with("QuotaExceeded"), "{name}");
        }
    }
    for (op, list) in &built.errors {
        for e in list {
            if e.row.code == "QUOTA_EXCEEDED" {
                assert!(!e.retryable, "{op}: {}", e.name);
            }
        }
    }
    // API.md's names stay.
    let all: BTreeSet<&str> = meanings.keys().copied().collect();
    for n in [
        "TaskConflict",
        "InvalidInstanceStatus",
        "NetworkInterfaceLimitExceeded",
        "NetworkInterfaceInUse",
        "NetworkInterfacePermissionDenied",
        "ElasticIpAzMismatch",
        "CannotDetachPrimary",
        "PageSizeOutOfRange",
        "InstanceNotFound",
    ] {
        assert!(all.contains(n), "{n}");
    }
}

#[test]
fn the_whole_api_imports_deterministically_and_reads_back() {
    let a = crate::render(&whole().document);
    let b = crate::render(&whole().document);
    assert_eq!(a, b);
    let back = yaml(&a);
    assert_eq!(back, whole().document);
    let paths = back["paths"].as_object().unwrap();
    let ops: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(ops, 63);
    assert!(whole().warnings.is_empty(), "{:?}", whole().warnings);
    // No description line indented by four spaces (rustdoc would run it as a doctest), no
    // line break left as `<br>`.
    fn walk(v: &Value, at: &str) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if k == "description" || k == "summary" {
                        let text = v.as_str().unwrap_or_default();
                        for line in text.lines() {
                            assert!(!line.starts_with("    "), "{at}: {line:?}");
                        }
                        assert!(!text.contains("<br>"), "{at}: {text:?}");
                    }
                    walk(v, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, at)),
            _ => {}
        }
    }
    walk(&back, "");
}

#[test]
fn the_committed_spec_is_what_the_pages_make() {
    let committed = fs::read_to_string(spec_dir().join("vm.yaml")).unwrap();
    assert!(
        committed == crate::render(&whole().document),
        "spec/vm.yaml is stale: run `cargo xtask import`"
    );
}

#[test]
fn tables_win_over_examples_and_the_two_create_image_pages_are_one() {
    // createKeypair's example body says "KeyName"; the table says keyName.
    let p = read("zh/SSH-Keypair/createKeypair.md");
    assert_eq!(
        p.params.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["keyName"]
    );
    // exportImage's example answer says "exportTaskId"; the table says taskId.
    let built = whole();
    let s = &built.document["components"]["schemas"];
    assert!(s["ExportImageResult"]["properties"]["taskId"].is_object());
    assert!(s["ExportImageResult"]["properties"]["exportTaskId"].is_null());
    // createImage: one operation from Image/ and Virtual-Machines/, with the types of both
    // (ChargeSpec, unlinked in Image/'s DiskSpec, is defined on the other page) and the errors
    // of both.
    let a = read("zh/Image/createImage.md");
    let b = read("zh/Virtual-Machines/createImage.md");
    let names = |p: &page::Page| -> BTreeSet<String> {
        p.errors
            .iter()
            .filter(|e| (400..500).contains(&e.status))
            .map(|e| e.message.clone())
            .collect()
    };
    let union: BTreeSet<String> = names(&a).union(&names(&b)).cloned().collect();
    let documented: BTreeSet<String> = built.errors["createImage"]
        .iter()
        .map(|e| e.row.message.clone())
        .collect();
    for m in &union {
        assert!(
            built
                .row_names
                .iter()
                .any(|(op, r, _)| op == "createImage" && &r.message == m),
            "{m}"
        );
    }
    assert!(!documented.is_empty());
    assert_eq!(
        s["DiskSpec"]["properties"]["charge"]["$ref"],
        "#/components/schemas/ChargeSpec"
    );
    let paths = built.document["paths"].as_object().unwrap();
    let create_image: Vec<_> = paths
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .filter(|o| o["operationId"] == "createImage")
        .collect();
    assert_eq!(create_image.len(), 1);
}

#[test]
fn en_pages_in_the_older_format() {
    // `Result[ ]` with a space, `### <div id="TaskInfo">`, True/False, `None` sections.
    let p = read("en/Image/imageTasks.md");
    assert_eq!(p.method, "GET");
    let result = p.response.iter().find(|f| f.name == "result").unwrap();
    assert_eq!(result.ty.replace(' ', ""), "Result[]");
    assert!(p.response_types.iter().any(|t| t.name == "TaskInfo"));
    let d = read("en/Image/deleteImage.md");
    assert!(d.params.is_empty());
    assert_eq!(d.path, "/regions/{regionId}/images/{imageId}");
}

#[test]
fn the_overlay_extensions_pass_through() {
    let zh = read("zh/Virtual-Machines/attachNetworkInterface.md");
    let mut overlay = overlay_for_one_page();
    let ext: Value = serde_json::json!({
        "x-jdcloud-waiters": {"networkInterfaceAttached": {"operation": "describeInstance"}},
        "operations": {"attachNetworkInterface": {"x-jdcloud-lost-answer": {"check": "describeInstance"}}},
    });
    overlay.extensions = ext.as_object().unwrap().clone();
    let ops = crate::operations(vec![zh], vec![], &overlay).unwrap();
    let built = spec::build(ops, &overlay).unwrap();
    let doc = yaml(&crate::render(&built.document));
    assert_eq!(
        doc["x-jdcloud-waiters"]["networkInterfaceAttached"]["operation"],
        "describeInstance"
    );
    assert!(doc.get("operations").is_none());
    let path = "/regions/{regionId}/instances/{instanceId}:attachNetworkInterface";
    assert_eq!(
        doc["paths"][path]["post"]["x-jdcloud-lost-answer"]["check"],
        "describeInstance"
    );
}

#[test]
fn summaries_are_the_first_sentence_of_the_first_paragraph() {
    // The en pages wrap their lines; a numbered list's `1. ` does not end a sentence.
    assert_eq!(
        spec::first_sentence(
            "Associate an EIP with the primary IP of the\nprimary interface of a VM.\n\nMore."
        ),
        "Associate an EIP with the primary IP of the primary interface of a VM."
    );
    assert_eq!(
        spec::first_sentence("Create VMs in three modes: 1. common, 2. from a template. More."),
        "Create VMs in three modes: 1. common, 2. from a template."
    );
    assert_eq!(
        spec::first_sentence("创建云主机。实例有三种创建方式"),
        "创建云主机。"
    );
}
