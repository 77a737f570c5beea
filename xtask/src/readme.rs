//! The README's table of operations, grouped by resource, written from the spec between the
//! markers `<!-- operations -->` and `<!-- /operations -->`, so that it never lags the API.

use serde_json::Value;

const START: &str = "<!-- operations -->";
const END: &str = "<!-- /operations -->";

/// `readme` with its table replaced by the one `spec` makes; `Err` when the markers are missing.
pub fn with_table(readme: &str, spec: &Value) -> Result<String, String> {
    let (Some(start), Some(end)) = (readme.find(START), readme.find(END)) else {
        return Err(format!(
            "README.md: the markers `{START}` and `{END}` are missing"
        ));
    };
    Ok(format!(
        "{}{START}\n{}{}",
        &readme[..start],
        table(spec),
        &readme[end..]
    ))
}

fn table(spec: &Value) -> String {
    let mut out = String::new();
    let tags = spec["tags"].as_array().cloned().unwrap_or_default();
    for tag in tags {
        let name = tag["name"].as_str().unwrap_or_default();
        let title = tag["description"].as_str().unwrap_or_default().trim();
        let mut rows = Vec::new();
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if op["tags"][0].as_str() != Some(name) {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or_default();
                let paged = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "pageNumber"));
                let call = format!(
                    "`client.{}()`{}",
                    snake(id),
                    if paged { ", `.into_pages()`" } else { "" }
                );
                let summary = op["summary"].as_str().unwrap_or_default();
                rows.push((
                    id.to_owned(),
                    format!(
                        "| `{id}` | {call} | `{} {path}` | {} |\n",
                        method.to_uppercase(),
                        first_sentences(summary)
                    ),
                ));
            }
        }
        rows.sort();
        out.push_str(&format!(
            "\n**{title}** ({} operations)\n\n| operation | method | HTTP | what |\n| --- | --- | --- | --- |\n",
            rows.len()
        ));
        out.extend(rows.into_iter().map(|(_, row)| row));
    }
    out.push('\n');
    out
}

/// `createInstances` → `create_instances`, as progenitor names the method.
fn snake(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Chinese sentence and the first English one of a summary, without markup.
fn first_sentences(summary: &str) -> String {
    let summary = summary.replace('\n', " ");
    let (zh, en) = match summary.find('。') {
        Some(at) => (
            &summary[..at + '。'.len_utf8()],
            summary[at + '。'.len_utf8()..].trim(),
        ),
        None => (summary.as_str(), ""),
    };
    let en = en.split('<').next().unwrap_or_default();
    // A sentence ends at `. `, but not at the `1. ` of a numbered list.
    let end = en
        .match_indices(". ")
        .find(|(at, _)| !en[..*at].ends_with(|c: char| c.is_ascii_digit()))
        .map(|(at, _)| at);
    let en = match end {
        Some(at) => &en[..=at],
        None => en.trim(),
    };
    format!("{} {}", zh.trim(), en.trim())
        .trim()
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_sentences() {
        assert_eq!(
            super::snake("describeImageConstraintsBatch"),
            "describe_image_constraints_batch"
        );
        assert_eq!(
            super::first_sentences("创建云主机。 Create VMs, in three modes. See <a>x</a>"),
            "创建云主机。 Create VMs, in three modes."
        );
        assert_eq!(
            super::first_sentences("创建。 Three modes: 1. common, 2. from a template. More."),
            "创建。 Three modes: 1. common, 2. from a template."
        );
    }
}
