//! The documented errors of the spec: each named example under an operation's `4XX`/`5XX`
//! response is one error, an `ErrorKind` variant of that name.
//!
//! build.rs writes them to `$OUT_DIR/documented_errors.rs` (the variants, through the
//! `error_kinds!` macro of src/error.rs, and the table src/classify.rs matches answers against),
//! and lists each operation's in its rustdoc. A new example in the spec is a new kind, classified
//! and documented, with no hand-written code.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

/// The extension on an example that marks its error as worth another attempt.
pub const RETRYABLE: &str = "x-retryable";

/// One documented error, as the spec's example gives it.
#[derive(Clone, PartialEq)]
pub struct DocumentedError {
    /// The example's name: the variant's.
    pub name: String,
    /// The HTTP status (`error.code` of the example).
    pub status: u16,
    /// `error.status`, e.g. `FAILED_PRECONDITION`.
    pub code: String,
    /// `error.message`; `xx` marks a variable part.
    pub message: String,
    pub retryable: bool,
    /// The example's description: what the error means.
    pub description: String,
}

/// Every operation's documented errors, by operationId, in the spec's order; the kinds, one per
/// name, in order of first appearance; and every distinct way the spec writes each (the rows the
/// classifier matches). One name is one meaning: pages write the same error with another status,
/// code, quoting or final period, and each of those answers is that kind.
pub struct DocumentedErrors {
    pub by_operation: BTreeMap<String, Vec<DocumentedError>>,
    pub all: Vec<DocumentedError>,
    pub rows: Vec<DocumentedError>,
}

pub fn collect(spec: &OpenAPI) -> Result<DocumentedErrors, String> {
    let mut by_operation = BTreeMap::new();
    let mut all: Vec<DocumentedError> = Vec::new();
    let mut rows: Vec<DocumentedError> = Vec::new();
    for (_, _, op) in spec.operations() {
        let id = op.operation_id.clone().unwrap_or_default();
        let mut errors = Vec::new();
        for (status, response) in &op.responses.responses {
            if !matches!(status, StatusCode::Range(4 | 5)) {
                continue;
            }
            let Some(response) = crate::validate::resolve_response(spec, response) else {
                continue;
            };
            let Some(media) = response.content.get("application/json") else {
                continue;
            };
            for (name, example) in &media.examples {
                let ReferenceOr::Item(example) = example else {
                    return Err(format!(
                        "operation `{id}`: error example `{name}` is a $ref; write it inline"
                    ));
                };
                let error = read(&id, name, example)?;
                // One name is one kind: the spec's word on what one meaning is, however the
                // pages spell it (`Parameter name and description missing`, `… name、description …`).
                match all.iter().find(|e| e.name == error.name) {
                    Some(known) if known.retryable != error.retryable => {
                        return Err(format!(
                            "error example `{name}` of operation `{id}` is {}retryable, the one of \
                             the same name elsewhere in the spec is not: one name is one ErrorKind, \
                             give them the same {RETRYABLE} or rename one",
                            if error.retryable { "" } else { "not " }
                        ))
                    }
                    Some(_) => {}
                    None => all.push(error.clone()),
                }
                if !rows.iter().any(|r| r.same_row(&error)) {
                    rows.push(error.clone());
                }
                errors.push(error);
            }
        }
        by_operation.insert(id, errors);
    }
    for (i, a) in rows.iter().enumerate() {
        if let Some(b) = rows[i + 1..].iter().find(|b| {
            a.name != b.name
                && a.status == b.status
                && a.code == b.code
                && a.meaning() == b.meaning()
        }) {
            return Err(format!(
                "error examples `{}` and `{}` have the same status, code and message: an answer \
                 could not tell them apart",
                a.name, b.name
            ));
        }
    }
    Ok(DocumentedErrors {
        by_operation,
        all,
        rows,
    })
}

fn read(op: &str, name: &str, example: &openapiv3::Example) -> Result<DocumentedError, String> {
    let here = format!("operation `{op}`: error example `{name}`");
    let is_ident = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !is_ident {
        return Err(format!(
            "{here}: the name becomes an ErrorKind variant: write it in UpperCamelCase, letters and digits only"
        ));
    }
    let error = example
        .value
        .as_ref()
        .and_then(|v| v.get("error"))
        .ok_or_else(|| format!("{here}: needs a `value` with an `error` object"))?;
    let status = error
        .get("code")
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c))
        .ok_or_else(|| format!("{here}: `error.code` must be the HTTP status, 400 to 599"))?;
    let text = |field: &str| {
        error
            .get(field)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| format!("{here}: `error.{field}` must be a non-empty string"))
    };
    let retryable = match example.extensions.get(RETRYABLE) {
        None => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{here}: `{RETRYABLE}` must be true or false")),
    };
    Ok(DocumentedError {
        name: name.to_owned(),
        status,
        code: text("status")?,
        message: text("message")?,
        retryable,
        description: example
            .description
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })
}

impl DocumentedError {
    fn same_row(&self, other: &DocumentedError) -> bool {
        (&self.name, self.status, &self.code, &self.message)
            == (&other.name, other.status, &other.code, &other.message)
    }

    /// The message as the classifier compares it: case, quotes, a final period and the
    /// placeholders' spelling (`xx`, `'xx'`, `xxx`, or none at the end) left out.
    fn meaning(&self) -> String {
        let lower = self.message.to_ascii_lowercase().replace(['\'', '"'], "");
        let words: Vec<&str> = lower
            .trim()
            .trim_end_matches('.')
            .split_whitespace()
            .map(|w| if w == "xx" || w == "xxx" { "xx" } else { w })
            .collect();
        let mut meaning = words.join(" ");
        if let Some(stripped) = meaning.strip_suffix(" xx") {
            meaning = stripped.to_owned();
        }
        meaning
    }

    /// `400 FAILED_PRECONDITION` `Conflict with underlay task …`
    fn headline(&self) -> String {
        format!(
            "HTTP {} `{}` `{}`",
            self.status,
            self.code,
            self.message.replace("xx", "…")
        )
    }
}

/// `$OUT_DIR/documented_errors.rs`: the variants and the classification table.
pub fn rust_source(errors: &DocumentedErrors) -> String {
    let mut out = String::from(
        "// Generated by build.rs from the spec's documented errors (build_support/documented_errors.rs).\n\
         crate::error::error_kinds! {\n",
    );
    for e in &errors.all {
        let retry = if e.retryable { ": retryable." } else { "." };
        out.push_str(&format!(
            "    #[doc = {:?}]\n    #[doc = \"\"]\n    #[doc = {:?}]\n    {},\n",
            format!("{}{retry}", e.headline()),
            e.description,
            e.name
        ));
    }
    out.push_str("}\n\n/// The spec's documented errors, matched by `classify`.\n");
    out.push_str("pub(crate) const DOCUMENTED: &[crate::classify::Documented] = &[\n");
    for e in &errors.rows {
        out.push_str(&format!(
            "    crate::classify::Documented {{ kind: crate::ErrorKind::{}, status: {}, code: {:?}, message: {:?}, retryable: {} }},\n",
            e.name, e.status, e.code, e.message, e.retryable
        ));
    }
    out.push_str("];\n");
    out
}

/// The `# Errors` section of an operation's rustdoc.
pub fn doc_section(errors: &[DocumentedError]) -> String {
    let mut doc = String::from(
        "\n# Errors\n\n`send()` fails with a [`jdcloud_vm::Error`](crate::Error); \
         [`kind()`](crate::Error::kind) tells which. The errors JD Cloud documents for this operation:\n\n\
         | kind | HTTP | code | message | retryable |\n| --- | --- | --- | --- | --- |\n",
    );
    for e in errors {
        doc.push_str(&format!(
            "| [`{0}`](crate::ErrorKind::{0}) | {1} | `{2}` | `{3}` | {4} |\n",
            e.name,
            e.status,
            e.code,
            e.message.replace('|', "\\|"),
            if e.retryable { "yes" } else { "no" }
        ));
    }
    doc.push_str(
        "\nand, for any operation, the kinds that are not specific to it: a constraint of the spec \
         broken ([`InvalidInput`](crate::ErrorKind::InvalidInput), nothing sent), the gateway's \
         refusals ([`Unauthenticated`](crate::ErrorKind::Unauthenticated), \
         [`Throttled`](crate::ErrorKind::Throttled)), other statuses, \
         [`Timeout`](crate::ErrorKind::Timeout) and [`Transport`](crate::ErrorKind::Transport).\n",
    );
    doc
}
