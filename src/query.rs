//! JD Cloud's indexed form of a list or object in a query string, as its official SDKs write
//! it: `filters.1.name=instanceId&filters.1.values.1=i-a&filters.1.values.2=i-b`.
//!
//! Lists count from 1; an object's fields follow its prefix and a dot; absent (`null`) fields
//! are left out. The generated code writes each `x-jdcloud-indexed` query parameter through
//! [`Indexed`] (build_support/builders.rs), whose pairs reqwest then percent-encodes; the
//! gateway, and this crate's signer, canonicalise them by sorting the decoded names as strings
//! (`filters.10.name` before `filters.2.name`).

use serde::{ser::Error as _, Serialize, Serializer};
use serde_json::Value;

/// A query parameter written in the indexed form, for `reqwest::RequestBuilder::query`.
pub(crate) struct Indexed<'a, T> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T> Indexed<'a, T> {
    pub(crate) fn new(name: &'a str, value: &'a T) -> Self {
        Indexed { name, value }
    }
}

impl<T: Serialize> Serialize for Indexed<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = serde_json::to_value(self.value).map_err(S::Error::custom)?;
        let mut pairs = Vec::new();
        flatten(self.name.to_owned(), &value, &mut pairs);
        pairs.serialize(serializer)
    }
}

/// The `(name, value)` pairs of `value` under `prefix`, in order.
pub(crate) fn flatten(prefix: String, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => pairs.push((prefix, b.to_string())),
        Value::Number(n) => pairs.push((prefix, n.to_string())),
        Value::String(s) => pairs.push((prefix, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(format!("{prefix}.{}", i + 1), item, pairs);
            }
        }
        Value::Object(fields) => {
            for (name, field) in fields {
                flatten(format!("{prefix}.{name}"), field, pairs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::flatten;
    use serde_json::json;

    #[test]
    fn lists_of_objects_are_indexed_from_one() {
        let mut pairs = Vec::new();
        flatten(
            "filters".into(),
            &json!([{"name": "instanceId", "values": ["i-a", "i-b"]},
                    {"name": "status", "operator": "eq", "values": ["running"]},
                    {"name": "az", "operator": null, "values": []}]),
            &mut pairs,
        );
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            text,
            [
                "filters.1.name=instanceId",
                "filters.1.values.1=i-a",
                "filters.1.values.2=i-b",
                "filters.2.name=status",
                "filters.2.operator=eq",
                "filters.2.values.1=running",
                "filters.3.name=az",
            ]
        );
    }
}
