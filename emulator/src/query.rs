//! The query of `describeInstances`: paging and JD Cloud's indexed filters.
//!
//! ```text
//! pageNumber=2&pageSize=50&filters.1.name=instanceId&filters.1.values.1=i-a&filters.1.values.2=i-b
//!     &filters.2.name=status&filters.2.operator=eq&filters.2.values.1=running
//! ```
//!
//! Names and values are percent-decoded, `+` as a space (the official Python SDK's signer reads
//! them so); indexes are numbers, so `filters.10.*` is the tenth filter, not a part of the
//! first. Values of one filter are OR-ed, filters AND-ed. Anything the emulator would
//! otherwise have to ignore (an unknown parameter, filter name or operator, a filter without a
//! name or values, a parameter given twice) is a `400 INVALID_ARGUMENT` naming it, so that a
//! misspelt filter cannot silently match every instance.

use std::collections::{btree_map::Entry, BTreeMap};

use crate::reply::ApiError;
use jdcloud_vm::signing::percent_decode;

/// `pageSize` when the query has none.
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 20;
/// The range of `pageSize`.
pub(crate) const PAGE_SIZES: std::ops::RangeInclusive<u64> = 10..=100;

/// A parsed `describeInstances` query.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ListQuery {
    /// From 1.
    pub(crate) page_number: u64,
    /// Within [`PAGE_SIZES`].
    pub(crate) page_size: u64,
    /// In the order of their indexes.
    pub(crate) filters: Vec<Filter>,
}

/// What a filter compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    InstanceId,
    Status,
    Az,
    VpcId,
    NetworkInterfaceId,
    SubnetId,
    InstanceType,
    /// The instance's name; matched by substring, as JD Cloud documents (`模糊匹配`).
    Name,
    /// The primary private IPs of the instance's interfaces; matched by substring.
    PrivateIpAddress,
}

impl Field {
    const ALL: [(&'static str, Field); 9] = [
        ("instanceId", Field::InstanceId),
        ("status", Field::Status),
        ("az", Field::Az),
        ("vpcId", Field::VpcId),
        ("networkInterfaceId", Field::NetworkInterfaceId),
        ("subnetId", Field::SubnetId),
        ("instanceType", Field::InstanceType),
        ("name", Field::Name),
        ("privateIpAddress", Field::PrivateIpAddress),
    ];

    fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    fn fuzzy(self) -> bool {
        matches!(self, Field::Name | Field::PrivateIpAddress)
    }
}

/// How a filter's values compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Matching {
    /// Equal to one of the values (operator `eq`, the default, or `in`).
    Exact,
    /// Containing one of the values (operator `like`, and the fuzzy fields).
    Contains,
}

/// One filter: the instance matches when `field` matches one of `values`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) field: Field,
    pub(crate) matching: Matching,
    /// In the order of their indexes.
    pub(crate) values: Vec<String>,
}

impl Filter {
    /// Whether `candidate` matches one of the values.
    pub(crate) fn matches(&self, candidate: &str) -> bool {
        self.values.iter().any(|v| match self.matching {
            Matching::Exact => candidate == v,
            Matching::Contains => candidate.contains(v.as_str()),
        })
    }
}

/// A filter as the query gives it, before it is checked.
#[derive(Default)]
struct RawFilter {
    name: Option<String>,
    operator: Option<String>,
    values: BTreeMap<u32, String>,
}

/// Parses a raw query (without `?`).
pub(crate) fn parse_list(query: &str) -> Result<ListQuery, ApiError> {
    let mut page_number = None;
    let mut page_size = None;
    let mut filters: BTreeMap<u32, RawFilter> = BTreeMap::new();

    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = part.split_once('=').unwrap_or((part, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value).into_owned();
        let twice = || {
            ApiError::invalid_argument(format!("Query parameter '{}' is given twice", short(&key)))
        };
        match &*key {
            "pageNumber" => set_once(&mut page_number, value).map_err(|_| twice())?,
            "pageSize" => set_once(&mut page_size, value).map_err(|_| twice())?,
            _ => {
                let Some((index, field)) = key.strip_prefix("filters.").and_then(|rest| {
                    let (index, field) = rest.split_once('.')?;
                    Some((index_of(index)?, field))
                }) else {
                    return Err(unsupported(&key));
                };
                let filter = filters.entry(index).or_default();
                match field {
                    "name" => set_once(&mut filter.name, value).map_err(|_| twice())?,
                    "operator" => set_once(&mut filter.operator, value).map_err(|_| twice())?,
                    _ => {
                        let at = field
                            .strip_prefix("values.")
                            .and_then(index_of)
                            .ok_or_else(|| unsupported(&key))?;
                        match filter.values.entry(at) {
                            Entry::Vacant(e) => {
                                e.insert(value);
                            }
                            Entry::Occupied(_) => return Err(twice()),
                        }
                    }
                }
            }
        }
    }

    let page_number = match page_number {
        None => 1,
        Some(v) => match integer("pageNumber", &v)? {
            n if n >= 1 => u64::try_from(n).unwrap_or(u64::MAX),
            _ => return Err(out_of_range("PageNumber out of range")),
        },
    };
    let page_size = match page_size {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match u64::try_from(integer("pageSize", &v)?) {
            Ok(n) if PAGE_SIZES.contains(&n) => n,
            _ => return Err(out_of_range("PageSize out of range")),
        },
    };
    let filters = filters
        .into_iter()
        .map(|(index, raw)| check_filter(index, raw))
        .collect::<Result<_, _>>()?;
    Ok(ListQuery {
        page_number,
        page_size,
        filters,
    })
}

fn check_filter(index: u32, raw: RawFilter) -> Result<Filter, ApiError> {
    let name = raw
        .name
        .ok_or_else(|| ApiError::invalid_argument(format!("filters.{index}.name is required")))?;
    let field = Field::from_name(&name).ok_or_else(|| {
        let known: Vec<&str> = Field::ALL.iter().map(|(n, _)| *n).collect();
        ApiError::invalid_argument(format!(
            "Unsupported filter name '{}' in filters.{index}: the emulator supports {}",
            short(&name),
            known.join(", ")
        ))
    })?;
    let matching = match raw.operator.as_deref() {
        None | Some("eq") | Some("in") if field.fuzzy() => Matching::Contains,
        None | Some("eq") | Some("in") => Matching::Exact,
        Some("like") => Matching::Contains,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "Unsupported filter operator '{}' in filters.{index}: the emulator supports eq, in and like",
                short(other)
            )))
        }
    };
    if raw.values.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "filters.{index}.values is required"
        )));
    }
    Ok(Filter {
        field,
        matching,
        values: raw.values.into_values().collect(),
    })
}

fn set_once(slot: &mut Option<String>, value: String) -> Result<(), ()> {
    match slot {
        Some(_) => Err(()),
        None => {
            *slot = Some(value);
            Ok(())
        }
    }
}

/// An index of `filters.N` or `values.M`: decimal digits, from 1.
fn index_of(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|&n| n >= 1)
}

/// A decimal integer, maybe negative; one too large for `i128` saturates (it is out of
/// range whatever the range).
fn integer(name: &str, value: &str) -> Result<i128, ApiError> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_argument(format!(
            "{name} must be an integer, not '{}'",
            short(value)
        )));
    }
    let magnitude = digits.parse::<i128>().unwrap_or(i128::MAX);
    Ok(if value.starts_with('-') {
        -magnitude
    } else {
        magnitude
    })
}

fn out_of_range(message: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::BAD_REQUEST, "OUT_OF_RANGE", message)
}

fn unsupported(key: &str) -> ApiError {
    ApiError::invalid_argument(format!(
        "Unsupported query parameter '{}': describeInstances takes pageNumber, pageSize and \
         filters.N.name, filters.N.operator, filters.N.values.M (N and M from 1); tags are not emulated",
        short(key)
    ))
}

/// A name or value cut to a length fit for a message.
fn short(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(query: &str) -> Vec<Filter> {
        parse_list(query)
            .unwrap_or_else(|e| panic!("{query}: {e:?}"))
            .filters
    }

    fn exact(field: Field, values: &[&str]) -> Filter {
        Filter {
            field,
            matching: Matching::Exact,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn refusal(query: &str) -> ApiError {
        parse_list(query).expect_err(query)
    }

    #[test]
    fn an_empty_query_has_the_defaults() {
        assert_eq!(
            parse_list("").unwrap(),
            ListQuery {
                page_number: 1,
                page_size: 20,
                filters: vec![]
            }
        );
        assert_eq!(parse_list("&&").unwrap().page_size, 20);
    }

    #[test]
    fn the_python_sdks_query_is_read() {
        // lifecycle.md §4.3, as the Python SDK sends it.
        let q = parse_list(
            "pageNumber=2&pageSize=50&filters.1.name=instanceId&filters.1.values.1=i-aaa\
             &filters.1.values.2=i-bbb&filters.2.name=status&filters.2.values.1=running",
        )
        .unwrap();
        assert_eq!(q.page_number, 2);
        assert_eq!(q.page_size, 50);
        assert_eq!(
            q.filters,
            vec![
                exact(Field::InstanceId, &["i-aaa", "i-bbb"]),
                exact(Field::Status, &["running"]),
            ]
        );
    }

    #[test]
    fn indexes_are_numbers_not_prefixes() {
        // Sorted by string, as the signers sort them: filters.10 before filters.2.
        let f = filters(
            "filters.10.name=az&filters.10.values.1=cn-north-1a&filters.1.name=status\
             &filters.1.values.1=running&filters.2.name=vpcId&filters.2.values.10=vpc-10\
             &filters.2.values.2=vpc-2",
        );
        assert_eq!(
            f,
            vec![
                exact(Field::Status, &["running"]),
                exact(Field::VpcId, &["vpc-2", "vpc-10"]),
                exact(Field::Az, &["cn-north-1a"]),
            ]
        );
        // Gaps are fine.
        assert_eq!(
            filters("filters.7.name=az&filters.7.values.3=a"),
            vec![exact(Field::Az, &["a"])]
        );
    }

    #[test]
    fn names_and_values_are_percent_decoded_plus_as_space() {
        let f = filters(
            "filters.1.name=name&filters.1.values.1=web%20server&filters.1.values.2=a+b\
             &filters.1.values.3=%2B1&filters.1.values.4=%E4%BA%AC%E4%B8%9C%E4%BA%91\
             &filters.1.values.5=d%2F%C3%A9&filters%2E2%2Ename=status&filters.2.values.1=running",
        );
        assert_eq!(f[0].field, Field::Name);
        assert_eq!(f[0].matching, Matching::Contains);
        assert_eq!(f[0].values, ["web server", "a b", "+1", "京东云", "d/é"]);
        assert_eq!(f[1], exact(Field::Status, &["running"]));
        // Raw non-ASCII (a client that does not encode it) reads the same.
        assert_eq!(
            filters("filters.1.name=name&filters.1.values.1=京东云")[0].values,
            ["京东云"]
        );
        // Bytes that are not UTF-8 become U+FFFD, as the signer reads them.
        assert_eq!(
            filters("filters.1.name=name&filters.1.values.1=%FF")[0].values,
            ["\u{FFFD}"]
        );
    }

    #[test]
    fn operators_eq_in_and_like() {
        assert_eq!(
            filters("filters.1.name=status&filters.1.operator=eq&filters.1.values.1=running"),
            vec![exact(Field::Status, &["running"])]
        );
        assert_eq!(
            filters("filters.1.name=instanceId&filters.1.operator=in&filters.1.values.1=i-1"),
            vec![exact(Field::InstanceId, &["i-1"])]
        );
        let like =
            &filters("filters.1.name=instanceId&filters.1.operator=like&filters.1.values.1=i-")[0];
        assert_eq!(like.matching, Matching::Contains);
        assert!(like.matches("i-123") && !like.matches("x"));
        let e = refusal("filters.1.name=status&filters.1.operator=ne&filters.1.values.1=running");
        assert_eq!(
            e.message,
            "Unsupported filter operator 'ne' in filters.1: the emulator supports eq, in and like"
        );
    }

    #[test]
    fn every_supported_name_is_read() {
        for (name, field) in Field::ALL {
            let f = filters(&format!("filters.1.name={name}&filters.1.values.1=x"));
            assert_eq!(f[0].field, field);
        }
    }

    #[test]
    fn paging_parameters_are_checked() {
        for size in ["10", "100", "55"] {
            assert_eq!(
                parse_list(&format!("pageSize={size}")).unwrap().page_size,
                size.parse::<u64>().unwrap()
            );
        }
        for size in [
            "5",
            "9",
            "101",
            "0",
            "-20",
            "99999999999999999999999999999999999999999",
        ] {
            let e = refusal(&format!("pageSize={size}"));
            assert_eq!(
                (e.http.as_u16(), e.status, e.message.as_str()),
                (400, "OUT_OF_RANGE", "PageSize out of range"),
                "{size}"
            );
        }
        for size in ["", "ten", "2.5", "1e+06", "+20", " 20"] {
            let e = refusal(&format!("pageSize={size}"));
            assert_eq!(e.status, "INVALID_ARGUMENT", "{size}");
            assert!(
                e.message.starts_with("pageSize must be an integer"),
                "{}",
                e.message
            );
        }
        assert_eq!(parse_list("pageNumber=3").unwrap().page_number, 3);
        assert_eq!(
            parse_list("pageNumber=99999999999999999999999")
                .unwrap()
                .page_number,
            u64::MAX
        );
        let e = refusal("pageNumber=0");
        assert_eq!(
            (e.status, e.message.as_str()),
            ("OUT_OF_RANGE", "PageNumber out of range")
        );
        assert_eq!(refusal("pageNumber=x").status, "INVALID_ARGUMENT");
    }

    #[test]
    fn what_would_be_ignored_is_refused_by_name() {
        for (query, message) in [
            (
                "pageSize=10&pageSize=20",
                "Query parameter 'pageSize' is given twice",
            ),
            (
                "filters.1.name=az&filters.1.name=az&filters.1.values.1=a",
                "Query parameter 'filters.1.name' is given twice",
            ),
            (
                "filters.1.name=az&filters.1.values.1=a&filters.1.values.1=b",
                "Query parameter 'filters.1.values.1' is given twice",
            ),
            ("filters.1.values.1=a", "filters.1.name is required"),
            ("filters.2.name=az", "filters.2.values is required"),
        ] {
            let e = refusal(query);
            assert_eq!(
                (e.status, e.message.as_str()),
                ("INVALID_ARGUMENT", message),
                "{query}"
            );
        }
        let e = refusal("filters.1.name=imageId&filters.1.values.1=img-1");
        assert!(
            e.message.starts_with("Unsupported filter name 'imageId' in filters.1: the emulator supports instanceId, status, az, vpcId, networkInterfaceId"),
            "{}",
            e.message
        );
        for key in [
            "tags.1.key",
            "regionId",
            "filters.0.name",
            "filters.x.name",
            "filters.-1.name",
            "filters.1.value.1",
            "filters.1.values.0",
            "filters.1.values",
            "filters.1",
            "filters",
            "filters.1.values.1.x",
        ] {
            let e = refusal(&format!("{key}=v"));
            assert!(
                e.message
                    .starts_with(&format!("Unsupported query parameter '{key}'")),
                "{key}: {}",
                e.message
            );
        }
    }
}
