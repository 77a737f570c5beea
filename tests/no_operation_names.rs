//! The hand-written layer names no operation: waiters, idempotency tokens and lost answers
//! come from the spec (issue 20). No operation's name, as JD Cloud spells it or as the client
//! does, is a string literal in `src/` outside comments.

use std::{fs, path::Path};

fn operation_ids() -> Vec<String> {
    let spec: yaml_serde::Value =
        yaml_serde::from_str(&fs::read_to_string("spec/vm.yaml").unwrap()).unwrap();
    let mut ids = Vec::new();
    for (_, item) in spec["paths"].as_mapping().unwrap() {
        for (_, op) in item.as_mapping().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                ids.push(id.to_owned());
            }
        }
    }
    ids
}

fn snake(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_operation_is_named_in_the_hand_written_code() {
    let ids = operation_ids();
    assert!(ids.len() >= 4);
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for id in &ids {
                for name in [id.clone(), snake(id)] {
                    if line.contains(&format!("\"{name}\"")) {
                        found.push(format!("{}:{}: {name}", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "operation names in src/: {found:#?}");
}
