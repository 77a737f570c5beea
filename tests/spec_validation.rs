//! The spec and the build's checks of it: the real document passes; each way of breaking it that
//! would make progenitor panic (or generate a wrong client) fails with one line naming the rule;
//! and the document holds what the docs promise (the nine documented errors, both languages,
//! nothing rustdoc would run as a doctest).

mod common;

// The very checks `build.rs` runs, so this test and the build cannot disagree.
#[allow(dead_code, unreachable_pub)]
#[path = "../build_support/validate.rs"]
mod validate;

use yaml_serde::{Mapping, Value};

const SPEC: &str = "spec/vm.yaml";
const OPERATION_PATH: &str = "/regions/{regionId}/instances/{instanceId}:attachNetworkInterface";

/// The doc page's table of errors, retyped here on purpose: the spec must match the doc, and
/// the spec cannot vouch for itself. (HTTP status, `error.status`, `error.message`.)
const DOCUMENTED_ERRORS: [(u16, &str, &str); 9] = [
    (400, "FAILED_PRECONDITION", "Conflict with underlay task xx"),
    (400, "FAILED_PRECONDITION", "Invalid instance status xx"),
    (
        400,
        "FAILED_PRECONDITION",
        "Flavor constraints. NetworkInterface limit exceeded",
    ),
    (
        400,
        "FAILED_PRECONDITION",
        "NetworkInterface has been attached on other device",
    ),
    (
        400,
        "FAILED_PRECONDITION",
        "No NetworkInterface permissions.",
    ),
    (
        400,
        "FAILED_PRECONDITION",
        "ElasticIp 'xx' and instance are not in the same az",
    ),
    (404, "NOT_FOUND", "Instance 'xx' not found."),
    (500, "INTERNAL", "Internal server error"),
    (500, "UNKNOWN", "Unknown server error"),
];

fn spec_text() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/vm.yaml"))
        .expect("spec/vm.yaml")
}

/// The operation of the spec, to edit.
fn operation(spec: &mut Value) -> &mut Value {
    &mut spec["paths"][OPERATION_PATH]["post"]
}

/// Validates `spec` as `build.rs` would, and returns its one-line error.
fn rejection(spec: &Value) -> String {
    let text = yaml_serde::to_string(spec).expect("YAML");
    match validate::parse_and_validate(SPEC, &text) {
        Ok(_) => panic!("the broken spec was accepted"),
        Err(line) => {
            assert!(line.starts_with("spec/vm.yaml: "), "names the file: {line}");
            assert!(!line.contains('\n'), "one line: {line}");
            line
        }
    }
}

/// Breaks a copy of the real spec with `edit` and returns the validator's line.
fn break_spec(edit: impl FnOnce(&mut Value)) -> String {
    let mut spec: Value = yaml_serde::from_str(&spec_text()).unwrap();
    edit(&mut spec);
    rejection(&spec)
}

#[test]
fn the_spec_validates() {
    let spec =
        validate::parse_and_validate(SPEC, &spec_text()).unwrap_or_else(|line| panic!("{line}"));
    assert!(spec.openapi.starts_with("3.0."));
    assert_eq!(
        spec.info.version, "1.6.1",
        "the VM API revision in the user agent"
    );
}

#[test]
fn a_default_response_beside_200_is_refused() {
    let line = break_spec(|spec| {
        let error = operation(spec)["responses"]["4XX"].clone();
        operation(spec)["responses"]["default"] = error;
    });
    assert!(line.contains("`default` response"), "{line}");
}

#[test]
fn an_operation_without_an_operation_id_is_refused() {
    let line = break_spec(|spec| {
        operation(spec)
            .as_mapping_mut()
            .unwrap()
            .remove("operationId");
    });
    assert!(line.contains("has no operationId"), "{line}");
    assert!(
        line.contains(&format!("POST {OPERATION_PATH}")),
        "names it: {line}"
    );
}

#[test]
fn openapi_3_1_is_refused() {
    let line = break_spec(|spec| spec["openapi"] = Value::from("3.1.0"));
    assert!(line.contains("only OpenAPI 3.0.x"), "{line}");
    assert!(line.contains("3.1.0"), "says what it found: {line}");
}

#[test]
fn a_duplicate_operation_id_is_refused() {
    let line = break_spec(|spec| {
        // A second action on the instance that reuses the first one's operationId.
        let copy = spec["paths"][OPERATION_PATH].clone();
        let other = OPERATION_PATH.replace(":attach", ":detach");
        spec["paths"][other.as_str()] = copy;
    });
    assert!(
        line.contains("`attachNetworkInterface` is used twice"),
        "{line}"
    );
}

#[test]
fn a_path_parameter_without_a_pattern_is_refused() {
    // Without a pattern, typify makes a plain String and `..` or `/` would reach the URL.
    let line = break_spec(|spec| {
        let mut plain = Mapping::new();
        plain.insert("type".into(), "string".into());
        operation(spec)["parameters"][0]["schema"] = Value::Mapping(plain);
    });
    assert!(line.contains("path parameter `regionId`"), "{line}");
    assert!(line.contains("`pattern`"), "{line}");
}

#[test]
fn an_error_range_with_another_schema_is_refused() {
    let line = break_spec(|spec| {
        operation(spec)["responses"]["4XX"]["content"]["application/json"]["schema"]["$ref"] =
            Value::from("#/components/schemas/AttachNetworkInterfaceResponse");
    });
    assert!(line.contains("`4XX`"), "{line}");
    assert!(line.contains(validate::ERROR_SCHEMA), "{line}");
}

#[test]
fn attach_holds_the_nine_documented_errors_of_its_doc_page_once_each() {
    let errors: Vec<_> = common::documented_errors()
        .into_iter()
        .filter(|e| e.operation == "attachNetworkInterface")
        .collect();
    assert_eq!(errors.len(), DOCUMENTED_ERRORS.len(), "{errors:#?}");
    for (http_status, status, message) in DOCUMENTED_ERRORS {
        let found: Vec<_> = errors.iter().filter(|e| e.message == message).collect();
        assert_eq!(found.len(), 1, "{message:?} in {} examples", found.len());
        let error = found[0];
        assert_eq!(
            (error.http_status, error.status.as_str()),
            (http_status, status),
            "{}",
            error.name
        );
        assert!(
            !error.request_id.is_empty(),
            "{} has a requestId",
            error.name
        );
    }
}

#[test]
fn each_error_example_sits_in_its_range_and_is_summarised_by_its_message() {
    let spec = serde_json::to_value(common::spec()).unwrap();
    let errors = common::documented_errors();
    assert!(!errors.is_empty());
    for error in errors {
        let here = format!("{} of {}", error.name, error.operation);
        assert!(matches!(error.http_status / 100, 4 | 5), "{here}");
        assert!(!error.request_id.is_empty(), "{here} has a requestId");
        // The summary is what docs and tools show for an example: the message verbatim.
        let summary = find_summary(&spec, &error.operation, &error.name);
        assert_eq!(summary.as_deref(), Some(error.message.as_str()), "{here}");
    }
}

/// The `summary` of the error example `name` of operation `id`, wherever the spec keeps it.
fn find_summary(spec: &serde_json::Value, id: &str, name: &str) -> Option<String> {
    for item in spec["paths"].as_object()?.values() {
        for op in item.as_object()?.values() {
            if op["operationId"] != id {
                continue;
            }
            for range in ["4XX", "5XX"] {
                let mut response = &op["responses"][range];
                if let Some(r) = response["$ref"].as_str() {
                    response = &spec["components"]["responses"][r.rsplit('/').next()?];
                }
                let example = &response["content"]["application/json"]["examples"][name];
                if let Some(summary) = example["summary"].as_str() {
                    return Some(summary.to_owned());
                }
            }
        }
    }
    None
}

/// Every `description`, and every `summary` but those of examples (they quote the service's
/// English error message verbatim), with where it is.
fn prose(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().unwrap_or("?");
                let here = format!("{at}/{key}");
                let in_example = at.split('/').rev().nth(1) == Some("examples");
                match (key, child) {
                    ("description", Value::String(text)) => out.push((here, text.clone())),
                    ("summary", Value::String(text)) if !in_example => {
                        out.push((here, text.clone()))
                    }
                    _ => prose(child, &here, out),
                }
            }
        }
        Value::Sequence(items) => {
            for (i, child) in items.iter().enumerate() {
                prose(child, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn all_prose() -> Vec<(String, String)> {
    let spec: Value = yaml_serde::from_str(&spec_text()).unwrap();
    let mut out = Vec::new();
    prose(&spec, "", &mut out);
    out
}

/// The text without `code` spans and URLs, which are neither language.
fn plain_words(text: &str) -> String {
    text.split('`')
        .step_by(2)
        .flat_map(str::split_whitespace)
        .filter(|w| !w.contains("://"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn has_chinese(text: &str) -> bool {
    text.chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count()
        >= 2
}

/// Two Latin words in a row, between Chinese text: a sentence, not an acronym such as `ID` or
/// `VM` inside a Chinese one.
fn has_english(text: &str) -> bool {
    let is_word = |w: &str| {
        w.chars().any(|c| c.is_ascii_alphabetic())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,:;'!?()-".contains(c))
    };
    plain_words(text)
        .split(|c: char| !c.is_ascii())
        .any(|run| run.split_whitespace().filter(|w| is_word(w)).count() >= 2)
}

/// The Chinese pages are the source of every text; the English ones are older and cover 48
/// operations, so English follows wherever JD Cloud wrote it.
#[test]
fn every_description_reads_in_chinese() {
    let prose = all_prose();
    assert!(
        prose.len() > 20,
        "found {} texts: is the walk broken?",
        prose.len()
    );
    // Exceptions: the 200 row's own `OK`, and a field that only an English page documents.
    let mut english = String::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/pages/en");
    for folder in std::fs::read_dir(root).unwrap() {
        let folder = folder.unwrap().path();
        if folder.is_dir() {
            for page in std::fs::read_dir(folder).unwrap() {
                english.push_str(&std::fs::read_to_string(page.unwrap().path()).unwrap());
            }
        }
    }
    let no_chinese: Vec<_> = prose
        .iter()
        .filter(|(_, text)| {
            !has_chinese(text)
                && text.trim() != "OK"
                && !english.contains(&format!("|{}|", text.trim()))
        })
        .collect();
    assert!(no_chinese.is_empty(), "no Chinese: {no_chinese:#?}");
}

#[test]
fn an_operation_with_an_english_page_reads_in_english_too() {
    let spec: Value = yaml_serde::from_str(&spec_text()).unwrap();
    let mut english_pages = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/pages/en");
    for folder in std::fs::read_dir(root).unwrap() {
        let folder = folder.unwrap().path();
        if folder.is_dir() {
            for page in std::fs::read_dir(folder).unwrap() {
                let page = page.unwrap().path();
                if let Some(stem) = page.file_stem().and_then(|s| s.to_str()) {
                    english_pages.push(stem.to_owned());
                }
            }
        }
    }
    assert!(english_pages.len() > 40, "{english_pages:?}");
    let mut missing = Vec::new();
    let mut checked = 0;
    for (_, item) in spec["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            if !english_pages.iter().any(|p| p == id) {
                continue;
            }
            checked += 1;
            let text = format!(
                "{} {}",
                op["summary"].as_str().unwrap_or_default(),
                op["description"].as_str().unwrap_or_default()
            );
            if !(has_chinese(&text) && has_english(&text)) {
                missing.push(id.to_owned());
            }
        }
    }
    assert!(checked >= 48, "{checked} operations with an English page");
    assert!(missing.is_empty(), "not bilingual: {missing:?}");
}

#[test]
fn the_bilingual_check_tells_one_language_from_two() {
    assert!(has_chinese("地域ID。Region ID.") && has_english("地域ID。Region ID."));
    assert!(!has_english("京东云云主机（VM）OpenAPI。"));
    assert!(!has_english("地域ID，如 `cn-north-1 is here`。"));
    assert!(!has_chinese("The request ID."));
}

#[test]
fn no_description_line_is_indented_as_code() {
    // rustdoc takes a line indented four spaces as a code block, and runs it as a doctest.
    for (at, text) in all_prose() {
        for line in text.lines() {
            assert!(
                !line.starts_with("    ") && !line.starts_with('\t'),
                "{at}: {line:?} would become a doctest"
            );
        }
    }
}

#[test]
fn a_list_in_the_query_must_be_marked_for_the_indexed_form() {
    let line = break_spec(|spec| {
        let filters = &mut spec["paths"]["/regions/{regionId}/instances"]["get"]["parameters"][3];
        assert_eq!(filters["name"], Value::from("filters"));
        filters
            .as_mapping_mut()
            .unwrap()
            .remove(Value::from("x-jdcloud-indexed"));
    });
    assert!(line.contains("`filters`"), "{line}");
    assert!(line.contains("x-jdcloud-indexed"), "{line}");
}
