//! A request's path, query and body read into one JSON object and checked against the spec:
//! the types, `required`, `pattern`, `minLength`/`maxLength`, `minimum`/`maximum`, `enum` and
//! `minItems`/`maxItems` of each parameter and body field, as the SDK checks them before
//! sending. A violation is `400 INVALID_ARGUMENT` naming the field: `instanceSpec.name is
//! required`, `pageSize must be an integer, not 'x'`.
//!
//! The query is read in JD Cloud's indexed form (`filters.1.name=…&filters.1.values.1=…`,
//! `ids.1=…`), percent-decoded with `+` as a space; a parameter the operation does not take is
//! refused (so a misspelt one cannot be silently ignored), except by operations that take no
//! query at all, and a `filters` entry whose name the spec does not document for the operation
//! is refused too. Unknown body fields are ignored, as JD Cloud does: the official SDKs send
//! the path parameters in the body as well.

use std::collections::BTreeMap;

use serde::Deserialize as _;
use serde_json::{Map, Number, Value};

use crate::{
    reply::ApiError,
    spec::{Op, Spec},
};
use jdcloud_vm::signing::percent_decode;

/// Reads and checks the path parameters, the query and the body into one object.
pub(crate) fn read(
    spec: &Spec,
    op: &Op,
    path: &BTreeMap<String, String>,
    query: &str,
    body: &[u8],
) -> Result<Map<String, Value>, ApiError> {
    let mut args = Map::new();
    for p in op.params.iter().filter(|p| p.in_path) {
        let value = Value::String(path.get(&p.name).cloned().unwrap_or_default());
        check(spec, &value, &p.schema, &p.name)?;
        args.insert(p.name.clone(), value);
    }
    let query_params: Vec<_> = op.params.iter().filter(|p| !p.in_path).collect();
    if !query_params.is_empty() {
        let tree = parse_query(query)?;
        for (name, node) in tree {
            // A path parameter repeated in the query, as some SDKs send them: the path's wins.
            if op.params.iter().any(|p| p.in_path && p.name == name) {
                continue;
            }
            let Some(p) = query_params.iter().find(|p| p.name == name) else {
                return Err(ApiError::invalid_argument(format!(
                    "Unknown parameter '{name}': {} takes {}",
                    op.name,
                    query_params
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            let value = convert(spec, node, &p.schema, &name)?;
            // Paging out of range is the operation's documented `OUT_OF_RANGE`, not a type error.
            if name != "pageSize" && name != "pageNumber" {
                check(spec, &value, &p.schema, &name)?;
            }
            if let (Some(known), Some(list)) = (&p.filters, value.as_array()) {
                for (i, f) in list.iter().enumerate() {
                    let fname = f.get("name").and_then(Value::as_str).unwrap_or_default();
                    if !known.iter().any(|k| k == fname) {
                        return Err(ApiError::invalid_argument(format!(
                            "Unsupported filter name '{fname}' in {name}.{}: {} supports {}",
                            i + 1,
                            op.name,
                            known.join(", ")
                        )));
                    }
                }
            }
            args.insert(name, value);
        }
        for p in &query_params {
            if p.required && !args.contains_key(&p.name) {
                return Err(ApiError::invalid_argument(format!(
                    "{} is required",
                    p.name
                )));
            }
        }
    }
    if let Some(schema) = &op.body {
        if body.iter().all(u8::is_ascii_whitespace) {
            let required = spec
                .resolve(schema)
                .get("required")
                .and_then(Value::as_array);
            if let Some(first) = required.and_then(|r| r.first()).and_then(Value::as_str) {
                return Err(ApiError::invalid_argument(format!(
                    "Request body is empty: expected a JSON object with {first}"
                )));
            }
        } else {
            let value: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::invalid_argument(format!("Malformed JSON body: {e}")))?;
            let Value::Object(object) = value else {
                return Err(ApiError::invalid_argument(
                    "Malformed JSON body: expected a JSON object",
                ));
            };
            let value = Value::Object(object);
            check(spec, &value, schema, "")?;
            // Then into the SDK's generated type of the body, whose own checks (typify's
            // patterns, enums, lengths) must agree.
            // A `null` is an absent field to JD Cloud (the official Python SDK sends every unset
            // field as one); the generated types want lists absent rather than null.
            if let Some(Err(e)) = typed_body(&op.name, &without_nulls(&value)) {
                return Err(ApiError::invalid_argument(format!("Invalid body: {e}")));
            }
            if let Value::Object(object) = value {
                for (k, v) in object {
                    // The path's values win over the copies the official SDKs put in the body.
                    args.entry(k).or_insert(v);
                }
            }
        }
    }
    Ok(args)
}

/// A query as a tree: `filters.1.values.2=x` is `filters` → `1` → `values` → `2` → `x`.
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

fn parse_query(query: &str) -> Result<BTreeMap<String, Node>, ApiError> {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value).into_owned();
        let keys: Vec<&str> = key.split('.').collect();
        if keys.iter().any(|k| k.is_empty()) {
            return Err(ApiError::invalid_argument(format!(
                "Malformed parameter name '{key}'"
            )));
        }
        if !insert(&mut root, &keys, value) {
            return Err(ApiError::invalid_argument(format!(
                "Parameter '{key}' is given twice or conflicts with another"
            )));
        }
    }
    Ok(root)
}

fn insert(level: &mut BTreeMap<String, Node>, keys: &[&str], value: String) -> bool {
    let Some((first, rest)) = keys.split_first() else {
        return false;
    };
    if rest.is_empty() {
        if level.contains_key(*first) {
            return false;
        }
        level.insert((*first).to_owned(), Node::Leaf(value));
        return true;
    }
    match level
        .entry((*first).to_owned())
        .or_insert_with(|| Node::Branch(BTreeMap::new()))
    {
        Node::Branch(next) => insert(next, rest, value),
        Node::Leaf(_) => false,
    }
}

fn type_of<'a>(spec: &'a Spec, schema: &'a Value) -> (&'a Value, &'a str) {
    let schema = spec.resolve(schema);
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or(
        if schema.get("properties").is_some() {
            "object"
        } else {
            "string"
        },
    );
    (schema, ty)
}

fn convert(spec: &Spec, node: Node, schema: &Value, at: &str) -> Result<Value, ApiError> {
    let (schema, ty) = type_of(spec, schema);
    match (node, ty) {
        (Node::Branch(items), "array") => {
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
            let mut indexed: BTreeMap<u32, Node> = BTreeMap::new();
            for (k, v) in items {
                let i: u32 = k.parse().ok().filter(|i| *i >= 1).ok_or_else(|| {
                    ApiError::invalid_argument(format!("{at}.{k}: expected an index from 1"))
                })?;
                indexed.insert(i, v);
            }
            indexed
                .into_iter()
                .map(|(i, v)| convert(spec, v, &item_schema, &format!("{at}.{i}")))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        (Node::Branch(fields), "object") => {
            let props = schema.get("properties").and_then(Value::as_object);
            let mut out = Map::new();
            for (k, v) in fields {
                let field_schema = props.and_then(|p| p.get(&k)).ok_or_else(|| {
                    ApiError::invalid_argument(format!("Unknown parameter '{at}.{k}'"))
                })?;
                out.insert(
                    k.clone(),
                    convert(spec, v, field_schema, &format!("{at}.{k}"))?,
                );
            }
            Ok(Value::Object(out))
        }
        (Node::Leaf(v), "integer") => match v.parse::<i64>() {
            Ok(n) => Ok(Value::from(n)),
            // Too large for 64 bits: as large as can be, for the range checks to refuse.
            Err(_)
                if v.parse::<i128>().is_ok()
                    || (v.len() > 18
                        && v.trim_start_matches('-')
                            .bytes()
                            .all(|b| b.is_ascii_digit())) =>
            {
                Ok(Value::from(if v.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                }))
            }
            Err(_) => Err(ApiError::invalid_argument(format!(
                "{at} must be an integer, not '{v}'"
            ))),
        },
        (Node::Leaf(v), "number") => v
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| ApiError::invalid_argument(format!("{at} must be a number, not '{v}'"))),
        (Node::Leaf(v), "boolean") => match v.as_str() {
            "true" | "True" => Ok(Value::Bool(true)),
            "false" | "False" => Ok(Value::Bool(false)),
            _ => Err(ApiError::invalid_argument(format!(
                "{at} must be a boolean, not '{v}'"
            ))),
        },
        (Node::Leaf(v), "string") => Ok(Value::String(v)),
        (Node::Leaf(_), _) => Err(ApiError::invalid_argument(format!(
            "{at} must be given in the indexed form ({at}.1…)"
        ))),
        (Node::Branch(_), _) => Err(ApiError::invalid_argument(format!(
            "{at} must be a single value"
        ))),
    }
}

fn join(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_owned()
    } else {
        format!("{at}.{field}")
    }
}

/// Checks a value against a schema, as the SDK's checks do before sending.
pub(crate) fn check(spec: &Spec, value: &Value, schema: &Value, at: &str) -> Result<(), ApiError> {
    let (schema, ty) = type_of(spec, schema);
    let bad = |rule: String| Err(ApiError::invalid_argument(format!("{at} {rule}")));
    if value.is_null() {
        return Ok(());
    }
    match ty {
        "string" => {
            let Some(s) = value.as_str() else {
                return bad("must be a string".into());
            };
            let chars = s.chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
                if chars < min {
                    return if s.is_empty() {
                        bad("is required".into())
                    } else {
                        bad(format!("must be at least {min} characters"))
                    };
                }
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
                if chars > max {
                    return bad(format!("must be at most {max} characters"));
                }
            }
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                if let Ok(re) = regress::Regex::new(pattern) {
                    if re.find(s).is_none() {
                        return bad(format!("must match {pattern}"));
                    }
                }
            }
        }
        "integer" if !(value.is_i64() || value.is_u64()) => {
            return bad("must be an integer".into());
        }
        "number" if !value.is_number() => return bad("must be a number".into()),
        "boolean" if !value.is_boolean() => return bad("must be a boolean".into()),
        "array" => {
            let Some(items) = value.as_array() else {
                return bad("must be a list".into());
            };
            if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    return bad(format!("must have at least {min} items"));
                }
            }
            if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                if items.len() as u64 > max {
                    return bad(format!("must have at most {max} items"));
                }
            }
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Null);
            for (i, item) in items.iter().enumerate() {
                check(spec, item, &item_schema, &format!("{at}.{}", i + 1))?;
            }
        }
        "object" => {
            let Some(object) = value.as_object() else {
                return bad("must be an object".into());
            };
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(name) = name.as_str() else { continue };
                if object.get(name).is_none_or(Value::is_null) {
                    return Err(ApiError::invalid_argument(format!(
                        "{} is required",
                        join(at, name)
                    )));
                }
            }
            for (name, field_schema) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(v) = object.get(name) {
                    check(spec, v, field_schema, &join(at, name))?;
                }
            }
        }
        _ => {}
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min {
                return bad(format!("must be at least {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max {
                return bad(format!("must be at most {max}"));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
            return bad(format!("must be one of {}", list.join(", ")));
        }
    }
    Ok(())
}

fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Reads a body into the SDK's generated type of the operation's body: `None` for an operation
/// the SDK has no body type for.
macro_rules! typed_bodies {
    ($(($name:literal, $ty:ident)),* $(,)?) => {
        fn typed_body(operation: &str, body: &Value) -> Option<Result<(), serde_json::Error>> {
            match operation {
                $($name => Some(jdcloud_vm::types::$ty::deserialize(body).map(drop)),)*
                _ => None,
            }
        }
    };
}
jdcloud_vm::__operations_with_bodies!(typed_bodies);
