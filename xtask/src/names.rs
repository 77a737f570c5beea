//! Names of documented errors, derived from their messages: one name per meaning.
//!
//! Variable parts (`xx`, `'xx'`, `xxx`), quotes, a final period and capitalisation do not change
//! the meaning: `Invalid instance status xx`, `Invalid instance status 'xx'` and `Invalid
//! instance status` are one error, `InvalidInstanceStatus`; `KeyPair 'xx' not found` and `Keypair
//! 'xx' not found` are one. The overlay's `error_names` override a derived name, keyed by the
//! same normalised message.

/// The message with its variable parts, quotes, final period and case taken out: the key that
/// tells whether two messages mean the same, as tests/errors_from_pages.rs tells it: case,
/// quotes, a final period, the placeholders (`xx`, `'xx'`, `xxx`, wherever they stand) and the
/// Chinese list comma (`name、description` is `name and description`) do not count. Other
/// wordings of one meaning are one name only where the overlay's `error_names` says so.
pub fn normalise(message: &str) -> String {
    let lower = message
        .to_ascii_lowercase()
        .replace(['\'', '"'], "")
        .replace('、', " and ");
    lower
        .trim()
        .trim_end_matches('.')
        .split_whitespace()
        .filter(|w| *w != "xx" && *w != "xxx")
        .collect::<Vec<_>>()
        .join(" ")
}

const CONTRACTIONS: &[(&str, &str)] = &[
    ("can't", "cannot"),
    ("doesn't", "does not"),
    ("isn't", "is not"),
    ("don't", "do not"),
    ("aren't", "are not"),
    ("won't", "will not"),
];

/// Filler that does not change a meaning (`name、description` is `name and description`).
const FILLER: &[&str] = &["and", "the", "a", "an"];

/// The words of a message, placeholders and filler out, in their own spelling.
fn words(message: &str) -> Vec<String> {
    let mut m = message.trim().to_owned();
    for (from, to) in CONTRACTIONS {
        // Case-insensitively: `Can't` as `can't`.
        while let Some(i) = m.to_lowercase().find(from) {
            let keep_upper = m[i..].starts_with(|c: char| c.is_uppercase());
            let to = if keep_upper {
                let mut t = to.to_string();
                t[..1].make_ascii_uppercase();
                t
            } else {
                to.to_string()
            };
            m.replace_range(i..i + from.len(), &to);
        }
    }
    m.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| {
            let l = w.to_lowercase();
            !(l == "xx" || l == "xxx" || FILLER.contains(&l.as_str()))
        })
        .map(str::to_owned)
        .collect()
}

/// Trailing words left dangling once a variable part is gone (`Disk busy in 'xx'`).
const DANGLING: &[&str] = &["in", "on", "of", "when", "using", "for", "with", "to"];

/// The UpperCamelCase name a message derives, before overrides; `quota` for `QUOTA_EXCEEDED`
/// rows (`Instance quota limit exceeded` → `InstanceQuotaExceeded`).
pub fn derive(message: &str, quota: bool) -> String {
    let mut w = words(message);
    while w
        .last()
        .is_some_and(|l| DANGLING.contains(&l.to_lowercase().as_str()))
    {
        w.pop();
    }
    let mut name: String = w
        .iter()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect();
    if quota {
        name = name.replace("QuotaLimitExceeded", "QuotaExceeded");
        if !name.ends_with("QuotaExceeded") {
            name.push_str("QuotaExceeded");
        }
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() {
        name.insert_str(0, "Error");
    }
    name
}

/// The kinds src/error.rs writes by hand: a documented error may not take their names.
pub const RESERVED: &[&str] = &[
    "FailedPrecondition",
    "InvalidArgument",
    "Unauthenticated",
    "PermissionDenied",
    "NotFound",
    "Throttled",
    "QuotaExceeded",
    "ServiceUnavailable",
    "InvalidInput",
    "Timeout",
    "Transport",
    "MalformedResponse",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_quotes_period_and_case_are_one_name() {
        for m in [
            "Invalid instance status xx",
            "Invalid instance status 'xx'",
            "Invalid instance status",
        ] {
            assert_eq!(derive(m, false), "InvalidInstanceStatus", "{m}");
            assert_eq!(normalise(m), "invalid instance status");
        }
        assert_eq!(
            normalise("Instance 'xx' not found."),
            normalise("Instance 'xx' not found")
        );
        assert_eq!(
            derive("Instance 'xx' not found.", false),
            "InstanceNotFound"
        );
        assert_eq!(
            normalise("KeyPair 'xx' not found"),
            normalise("Keypair 'xx' not found")
        );
        assert_eq!(
            derive("ElasticIpId xxx not found", false),
            "ElasticIpIdNotFound"
        );
        assert_eq!(
            normalise("Parameter name、description missing"),
            normalise("Parameter name and description missing")
        );
        assert_eq!(
            normalise("Disk busy in 'xx'"),
            normalise("Disk 'xx' busy in 'xx'")
        );
        assert_eq!(
            derive("Can't detach primaryNetworkInterface", false),
            "CannotDetachPrimaryNetworkInterface"
        );
        assert_eq!(derive("Disk busy in 'xx'", false), "DiskBusy");
        assert_eq!(derive("Disk 'xx' busy in 'xx'", false), "DiskBusy");
        assert_eq!(
            derive("Instance quota limit exceeded", true),
            "InstanceQuotaExceeded"
        );
    }
}
