//! Every error row of JD Cloud's reference pages (`spec/pages/zh/**`, the `## 返回码` tables)
//! classifies to a documented kind of its own, never to a catch-all, with its request id; one
//! meaning is one kind, however a page spells it; a 429 quota error is not throttling and is not
//! retried.
//!
//! The rows are read from the pages themselves, not from the spec: a row the importer dropped
//! fails here.

mod common;

use std::{collections::BTreeMap, fs, path::Path};

use jdcloud_vm::{classify, ErrorKind, RetryConfig, REQUEST_ID_HEADER};
use reqwest::header::HeaderMap;
use serde_json::json;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

/// The kinds that only say "some error of this status".
const CATCH_ALL: [ErrorKind; 9] = [
    ErrorKind::FailedPrecondition,
    ErrorKind::InvalidArgument,
    ErrorKind::NotFound,
    ErrorKind::PermissionDenied,
    ErrorKind::Throttled,
    ErrorKind::QuotaExceeded,
    ErrorKind::ServiceUnavailable,
    ErrorKind::MalformedResponse,
    ErrorKind::Unauthenticated,
];

/// One row of a page's 返回码 table.
struct Row {
    page: String,
    status: u16,
    code: String,
    message: String,
}

fn pages(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("spec/pages/zh is in the repository") {
        let path = entry.unwrap().path();
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The error rows of every zh page. The 返回码 rows hold no escaped pipe, so a row is its cells
/// between pipes.
fn rows() -> Vec<Row> {
    let mut files = Vec::new();
    pages(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/pages/zh"),
        &mut files,
    );
    files.sort();
    let mut rows = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let Some(start) = text.find("## 返回码") else {
            continue;
        };
        let section = &text[start..];
        let section = section[3..]
            .find("\n## ")
            .map_or(section, |end| &section[..end + 3]);
        for line in section.lines() {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let Some(status) = cells
                .first()
                .and_then(|c| c.trim().trim_matches('*').parse::<u16>().ok())
            else {
                continue;
            };
            if status < 400 || cells.len() < 3 {
                continue;
            }
            rows.push(Row {
                page: file.display().to_string(),
                status,
                code: cells[1].trim().to_owned(),
                message: cells[2].trim().to_owned(),
            });
        }
    }
    rows
}

/// The message as an answer carries it: the doc's placeholders filled in.
fn concrete(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| c == '\'' || c == '.' || c == ',');
            if bare == "xx" || bare == "xxx" {
                word.replacen(bare, "res-8f2k", 1)
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What one meaning is, whatever the spelling: case, quotes, a final period, the placeholders
/// and the Chinese list comma (`name、description`: `name and description`) left out.
fn meaning(message: &str) -> String {
    let lower = message
        .to_ascii_lowercase()
        .replace(['\'', '"'], "")
        .replace('、', " and ");
    let words: Vec<&str> = lower
        .trim()
        .trim_end_matches('.')
        .split_whitespace()
        .filter(|w| *w != "xx" && *w != "xxx")
        .collect();
    words.join(" ")
}

/// The messages `spec/overlay.yaml` names by hand (`error_names`), by name: a maintainer's word
/// that two wordings are one meaning (`Flavor constraints. …` and `InstanceType constraints. …`).
fn named_in_the_overlay() -> BTreeMap<String, Vec<String>> {
    let overlay: yaml_serde::Value = yaml_serde::from_str(
        &fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/overlay.yaml"))
            .unwrap(),
    )
    .unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in overlay["error_names"].as_sequence().into_iter().flatten() {
        if let (Some(name), Some(message)) = (entry["name"].as_str(), entry["message"].as_str()) {
            out.entry(name.to_owned())
                .or_default()
                .push(meaning(message));
        }
    }
    out
}

#[test]
fn every_error_row_of_the_pages_is_a_documented_kind_of_its_own() {
    let rows = rows();
    let synonyms = named_in_the_overlay();
    assert!(
        rows.len() > 350,
        "only {} error rows found in spec/pages/zh",
        rows.len()
    );
    let mut meanings: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let request_id = format!("req-{i}");
        let body = json!({
            "requestId": request_id,
            "error": {"code": row.status, "status": row.code, "message": concrete(&row.message)},
        });
        let error = classify(row.status, &HeaderMap::new(), body.to_string().as_bytes())
            .expect_err("an error body is an error");
        let here = format!(
            "{}: {} {} {:?}",
            row.page, row.status, row.code, row.message
        );
        let kind = error.kind();
        if CATCH_ALL.contains(&kind) {
            failures.push(format!("{here} is only {kind:?}"));
            continue;
        }
        assert_eq!(error.request_id(), Some(request_id.as_str()), "{here}");
        if row.code == "QUOTA_EXCEEDED" {
            assert!(!error.is_retryable(), "{here}: a quota is no rate");
        }
        if meaning(&row.message).starts_with("conflict with underlay task") {
            assert_eq!(kind, ErrorKind::TaskConflict, "{here}");
            assert!(error.is_retryable(), "{here}");
        }
        // One kind, one meaning: other wordings only where the overlay says they are one.
        let kind_name = format!("{kind:?}");
        let declared = |m: &str| {
            synonyms
                .get(&kind_name)
                .is_some_and(|list| list.iter().any(|s| s == m))
        };
        match meanings.get(&kind_name) {
            Some((known, page))
                if *known != meaning(&row.message)
                    && !declared(known)
                    && !declared(&meaning(&row.message)) =>
            {
                failures.push(format!(
                    "{here} and {page} ({known:?}) are both {kind_name}"
                ))
            }
            Some(_) => {}
            None => {
                meanings.insert(kind_name, (meaning(&row.message), here.clone()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Over HTTP: a documented quota error is answered once, not retried, and keeps its request id;
/// the header's request id serves when the body has none.
#[tokio::test]
async fn a_documented_quota_error_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header(REQUEST_ID_HEADER, "hdr-quota")
                .set_body_json(json!({
                    "error": {"code": 429, "status": "QUOTA_EXCEEDED", "message": "Instance quota limit exceeded"},
                })),
        )
        .expect(1)
        .named("one attempt only")
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .retry(RetryConfig::standard().max_attempts(5))
        .build()
        .unwrap();
    let error = common::attach(&client)
        .await
        .expect_err("a 429 is an error");
    assert!(!error.is_retryable(), "{error}");
    assert_ne!(error.kind(), ErrorKind::Throttled, "{error}");
    assert_ne!(
        error.kind(),
        ErrorKind::QuotaExceeded,
        "documented: {error}"
    );
    assert_eq!(error.request_id(), Some("hdr-quota"));
}
