//! Paths into an operation's JSON answer, as the spec's waiters write them
//! (`x-jdcloud-waiters`, see `src/waiters.rs`).
//!
//! A path is JSON names joined by `.`; a name may be followed by `[]` (every element of that
//! list) or `[?sub.path==value]` (the elements whose `sub.path` has that value, a value that is
//! not a list taken as a list of one; a value `$name` is the waiter's argument `name`). It
//! yields every value it reaches, `null` left out:
//!
//! ```text
//! result.instance.status
//! result.instance.secondaryNetworkInterfaces[?networkInterface.networkInterfaceId==$networkInterfaceId]
//! result.instance.dataDisks[?cloudDisk.diskId==$diskId].status
//! ```
//!
//! build.rs includes this file too, to check every path of the spec before generating code.

use serde_json::Value;

/// One name of a path, and what is taken of a list there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step<'p> {
    pub(crate) name: &'p str,
    pub(crate) list: List<'p>,
}

/// What a step takes of the value it names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum List<'p> {
    /// The value itself.
    Whole,
    /// `[]`: every element of a list.
    Each,
    /// `[?path==value]`: the elements of a list whose `path` has `value`.
    Where(Vec<Step<'p>>, &'p str),
}

/// Parses a path; `Err` says what is wrong with it.
pub(crate) fn parse(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut steps = Vec::new();
    let mut rest = path;
    loop {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = &rest[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("path `{path}`: `{name}` is not a JSON name"));
        }
        rest = &rest[end..];
        let list = if let Some(after) = rest.strip_prefix("[]") {
            rest = after;
            List::Each
        } else if let Some(after) = rest.strip_prefix("[?") {
            let close = after
                .find(']')
                .ok_or_else(|| format!("path `{path}`: `[?` without its `]`"))?;
            let (sub, value) = after[..close]
                .split_once("==")
                .ok_or_else(|| format!("path `{path}`: a filter is `[?sub.path==value]`"))?;
            if value.is_empty() {
                return Err(format!("path `{path}`: a filter needs a value"));
            }
            rest = &after[close + 1..];
            List::Where(parse(sub)?, value)
        } else {
            List::Whole
        };
        steps.push(Step { name, list });
        match rest.strip_prefix('.') {
            Some(after) => rest = after,
            None if rest.is_empty() => return Ok(steps),
            None => return Err(format!("path `{path}`: unexpected `{rest}`")),
        }
    }
}

/// The value a filter or a test compares with: `$name` is the argument `name`.
pub(crate) fn resolve<'x>(value: &'x str, argument: impl Fn(&str) -> Option<&'x str>) -> &'x str {
    match value.strip_prefix('$') {
        Some(name) => argument(name).unwrap_or(value),
        None => value,
    }
}

/// Whether a JSON value is `expected`: a string equal to it, or another value written so.
pub(crate) fn is(value: &Value, expected: &str) -> bool {
    match value {
        Value::String(s) => s == expected,
        Value::Null => false,
        other => serde_json::from_str::<Value>(expected).is_ok_and(|e| e == *other),
    }
}

/// Every non-null value `steps` reach from `root`.
pub(crate) fn values<'v, 'a>(
    root: &'v Value,
    steps: &[Step<'_>],
    argument: &dyn Fn(&str) -> Option<&'a str>,
) -> Vec<&'v Value> {
    let mut current = vec![root];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            let Some(found) = value.get(step.name).filter(|v| !v.is_null()) else {
                continue;
            };
            match &step.list {
                List::Whole => next.push(found),
                List::Each => next.extend(found.as_array().into_iter().flatten()),
                List::Where(sub, wanted) => {
                    let wanted = resolve(wanted, |name| argument(name));
                    // A value that is not a list is filtered as a list of one.
                    let elements = match found.as_array() {
                        Some(list) => list.iter().collect(),
                        None => vec![found],
                    };
                    next.extend(elements.into_iter().filter(|element| {
                        values(element, sub, argument).iter().any(|v| is(v, wanted))
                    }))
                }
            }
        }
        current = next;
    }
    current.retain(|v| !v.is_null());
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval<'v>(root: &'v Value, path: &str) -> Vec<&'v Value> {
        let steps = parse(path).unwrap();
        values(root, &steps, &|name| (name == "id").then_some("d-2"))
    }

    #[test]
    fn paths_reach_fields_lists_and_filtered_elements() {
        let answer = json!({"result": {"instance": {
            "status": "running",
            "dataDisks": [
                {"cloudDisk": {"diskId": "d-1"}, "status": "attached"},
                {"cloudDisk": {"diskId": "d-2"}, "status": "attaching"},
            ],
            "elasticIpId": null,
        }}});
        assert_eq!(eval(&answer, "result.instance.status"), [&json!("running")]);
        assert_eq!(eval(&answer, "result.instance.dataDisks[].status").len(), 2);
        assert_eq!(
            eval(
                &answer,
                "result.instance.dataDisks[?cloudDisk.diskId==$id].status"
            ),
            [&json!("attaching")]
        );
        assert!(eval(&answer, "result.instance.dataDisks[?cloudDisk.diskId==d-9]").is_empty());
        assert!(eval(&answer, "result.instance.elasticIpId").is_empty());
        assert_eq!(eval(&answer, "result[?instance.status==running]").len(), 1);
        assert!(eval(&answer, "result[?instance.status==stopped]").is_empty());
        assert!(eval(&answer, "result.instance.missing.deeper").is_empty());
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in ["", "a..b", "a[", "a[?b]", "a[?b==]", "a[]x", "a-b"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_compare_as_written() {
        assert!(is(&json!(true), "true"));
        assert!(is(&json!(3), "3"));
        assert!(!is(&json!(null), "null"));
    }
}
