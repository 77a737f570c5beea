//! The behaviour of each operation, one file per resource (the spec's tag): what JD Cloud does
//! with a request already routed, read and checked against the spec (see [`crate::input`]).
//! Each operation is a function from its arguments (path, query and body fields in one JSON
//! object, named as the spec names them) to its `result`, or to a documented refusal.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::{reply::ApiError, service::World, spec::Op};

mod image;
mod instance;
mod instance_template;
mod instance_type;
mod keypair;
mod quota;
#[cfg(test)]
mod tests;

/// What an operation knows of its call besides its arguments.
pub(crate) struct Ctx<'a> {
    pub(crate) op: &'static Op,
    /// The caller's access key.
    pub(crate) caller: &'a str,
    pub(crate) region: &'a str,
    pub(crate) now: Instant,
}

type Outcome = Result<Option<Value>, ApiError>;

/// Runs the behaviour of `ctx.op`.
pub(crate) fn call(world: &mut World, ctx: &Ctx<'_>, args: &Map<String, Value>) -> Outcome {
    let a = Args(args);
    let name = ctx.op.name.as_str();
    if let Some(outcome) = instance::call(name, world, ctx, &a)
        .or_else(|| image::call(name, world, ctx, &a))
        .or_else(|| keypair::call(name, world, ctx, &a))
        .or_else(|| instance_template::call(name, world, ctx, &a))
        .or_else(|| instance_type::call(name, world, ctx, &a))
        .or_else(|| quota::call(name, world, ctx, &a))
    {
        return outcome;
    }
    // An operation the spec gained after this emulator was written: accepted, and answered
    // with an empty result of the documented shape.
    Ok(Some(json!({})))
}

/// An operation's arguments.
pub(crate) struct Args<'a>(pub(crate) &'a Map<String, Value>);

impl Args<'_> {
    pub(crate) fn get(&self, pointer: &str) -> Option<&Value> {
        let mut v = self.0.get(pointer.split('/').next()?)?;
        for part in pointer.split('/').skip(1) {
            v = match v {
                Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                _ => v.get(part)?,
            };
        }
        (!v.is_null()).then_some(v)
    }
    pub(crate) fn str(&self, pointer: &str) -> Option<&str> {
        self.get(pointer).and_then(Value::as_str)
    }
    pub(crate) fn text(&self, pointer: &str) -> String {
        self.str(pointer).unwrap_or_default().to_owned()
    }
    pub(crate) fn int(&self, pointer: &str) -> Option<i64> {
        self.get(pointer).and_then(Value::as_i64)
    }
    pub(crate) fn bool(&self, pointer: &str) -> Option<bool> {
        self.get(pointer).and_then(Value::as_bool)
    }
    pub(crate) fn list(&self, pointer: &str) -> &[Value] {
        self.get(pointer)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
    pub(crate) fn strings(&self, pointer: &str) -> Vec<String> {
        self.list(pointer)
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    }

    /// The `filters` with these names (the operation's documented ones): another name is
    /// refused, so that a misspelt filter cannot silently match everything.
    pub(crate) fn filters_of(&self, known: &[&str]) -> Result<Filters, ApiError> {
        let filters = self.filters()?;
        for (i, (name, _, _)) in filters.0.iter().enumerate() {
            if !known.contains(&name.as_str()) {
                return Err(ApiError::invalid_argument(format!(
                    "Unsupported filter name '{name}' in filters.{}: the emulator supports {}",
                    i + 1,
                    known.join(", ")
                )));
            }
        }
        Ok(filters)
    }

    /// The documented `filters`: name, exact or by substring, values.
    pub(crate) fn filters(&self) -> Result<Filters, ApiError> {
        let mut out = Vec::new();
        for (i, f) in self.list("filters").iter().enumerate() {
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let operator = f.get("operator").and_then(Value::as_str).unwrap_or("eq");
            let like = match operator {
                "eq" | "in" => false,
                "like" => true,
                other => {
                    return Err(ApiError::invalid_argument(format!(
                        "Unsupported operator '{other}' in filters.{}: the emulator supports eq, in and like",
                        i + 1
                    )))
                }
            };
            let values: Vec<String> = f
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            if name.is_empty() || values.is_empty() {
                return Err(ApiError::invalid_argument(format!(
                    "filters.{} needs a name and values",
                    i + 1
                )));
            }
            out.push((name, like, values));
        }
        Ok(Filters(out))
    }

    /// One page: `(skip, take)`, from `pageNumber` (from 1, default 1) and `pageSize` (10 to
    /// 100, default 20, or the operation's).
    pub(crate) fn page(
        &self,
        default_size: i64,
        max_size: i64,
    ) -> Result<(usize, usize), ApiError> {
        let number = self.int("pageNumber").unwrap_or(1);
        let size = self.int("pageSize").unwrap_or(default_size);
        if number < 1 {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "OUT_OF_RANGE",
                "PageNumber out of range",
            ));
        }
        if !(10..=max_size).contains(&size) {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "OUT_OF_RANGE",
                "PageSize out of range",
            ));
        }
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let skip = usize::try_from(number - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(size);
        Ok((skip, size))
    }
}

/// `filters`: each `(name, by substring, values)`.
pub(crate) struct Filters(pub(crate) Vec<(String, bool, Vec<String>)>);

impl Filters {
    /// Whether every filter matches: `field` gives a resource's values for a filter name
    /// (`None`: a filter the emulator does not apply, which matches).
    pub(crate) fn matches(&self, mut field: impl FnMut(&str) -> Option<Vec<String>>) -> bool {
        self.0.iter().all(|(name, like, values)| match field(name) {
            None => true,
            Some(have) => have.iter().any(|h| {
                values.iter().any(|v| {
                    if *like {
                        h.contains(v.as_str())
                    } else {
                        h == v
                    }
                })
            }),
        })
    }
}

/// A page of a list, with the total: `{<key>: [...], totalCount: n}`.
pub(crate) fn paged(key: &str, items: Vec<Value>, (skip, take): (usize, usize)) -> Value {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(skip).take(take).collect();
    json!({ key: page, "totalCount": total })
}

/// A new id: `prefix-` and 10 lower-case letters and digits, as JD Cloud's.
pub(crate) fn new_id(prefix: &str) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let suffix: String = (0..10)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{suffix}")
}

/// Now, as JD Cloud writes times in answers (`2026-12-04T10:15:00Z`).
pub(crate) fn timestamp() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// 400 `FAILED_PRECONDITION`.
pub(crate) fn precondition(message: impl Into<String>) -> ApiError {
    ApiError::precondition(message)
}

/// 404 `NOT_FOUND`.
pub(crate) fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::not_found(message)
}

/// 400 `OUT_OF_RANGE`.
pub(crate) fn out_of_range(message: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::BAD_REQUEST, "OUT_OF_RANGE", message)
}

/// 429 `QUOTA_EXCEEDED`.
pub(crate) fn quota_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "QUOTA_EXCEEDED",
        message,
    )
}

/// The caller's quota of a resource type in the world (unlimited when the world has none).
pub(crate) fn quota_limit(world: &World, resource_type: &str) -> i64 {
    world
        .state
        .quotas
        .iter()
        .find(|q| q.resource_type == resource_type)
        .map_or(i64::MAX, |q| q.limit)
}

/// The id of a task-less answer (`null` result for operations with none).
pub(crate) fn done() -> Outcome {
    Ok(None)
}
