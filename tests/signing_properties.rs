//! Properties of the canonicaliser and the signer over arbitrary input.
//!
//! The signer sees whatever paths, queries and header values users and servers hand it: it must
//! never panic, and its canonical forms must be fixed points, or a request re-signed from its
//! own canonical form (as a gateway or our emulator does) would not verify.

use jdcloud_vm::signing::{
    canonical_path, canonical_query, canonical_request, normalise_header_value, percent_decode,
    sign, SignableRequest, SigningAlgorithm,
};
use jdcloud_vm::Credentials;
use proptest::prelude::*;

/// Strings dense in what the canonicaliser treats specially: `%` with and without hex digits,
/// `+`, `/`, `=`, `&`, spaces, bytes that decode to invalid UTF-8, and non-ASCII characters.
fn tricky() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("%".to_owned()),
        Just("+".to_owned()),
        Just("/".to_owned()),
        Just("=".to_owned()),
        Just("&".to_owned()),
        Just(" ".to_owned()),
        Just(":".to_owned()),
        Just("%2F".to_owned()),
        Just("%2b".to_owned()),
        Just("%FF".to_owned()),
        Just("%C3".to_owned()),
        Just("%e4%b8%ad".to_owned()),
        Just("中".to_owned()),
        "[0-9a-fA-FgG]{1,2}",
        "%[0-9a-fA-F]{2}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// Either fully arbitrary Unicode, or the tricky alphabet above.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), tricky()]
}

fn algorithm() -> impl Strategy<Value = SigningAlgorithm> {
    prop_oneof![
        Just(SigningAlgorithm::Jdcloud2),
        Just(SigningAlgorithm::Jdcloud3)
    ]
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Encodes every byte as `%XX`: an encoder independent of the crate's, to check its decoder.
fn encode_everything(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// What the canonical path denotes: the decoded input, runs of `/` collapsed, rooted.
fn normalised_path(path: &str) -> String {
    let decoded = percent_decode(path);
    let mut out = String::from("/");
    for c in decoded.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn canonical_path_never_panics_and_uses_only_the_safe_alphabet(path in input()) {
        let canonical = canonical_path(&path);
        prop_assert!(canonical.starts_with('/'));
        prop_assert!(!canonical.contains("//"), "{canonical}");
        let bytes = canonical.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                // Upper-case hex, as the official SDKs encode.
                prop_assert!(bytes.get(i + 1..i + 3).is_some_and(|h| h
                    .iter()
                    .all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))), "{canonical}");
                i += 3;
            } else {
                prop_assert!(is_unreserved(b) || b == b'/', "{canonical}");
                i += 1;
            }
        }
    }

    #[test]
    fn canonical_query_never_panics_and_uses_only_the_safe_alphabet(query in input()) {
        let canonical = canonical_query(&query);
        for part in canonical.split('&').filter(|_| !canonical.is_empty()) {
            let (key, value) = part.split_once('=').expect("every part has an `=`");
            prop_assert!(!key.is_empty(), "{canonical}");
            prop_assert!(!value.contains('='), "{canonical}");
            for b in key.bytes().chain(value.bytes()) {
                prop_assert!(is_unreserved(b) || b == b'%', "{canonical}");
            }
        }
    }

    #[test]
    fn canonicalising_a_canonical_path_changes_nothing(path in input()) {
        let once = canonical_path(&path);
        prop_assert_eq!(canonical_path(&once), once);
    }

    #[test]
    fn canonicalising_a_canonical_query_changes_nothing(query in input()) {
        let once = canonical_query(&query);
        prop_assert_eq!(canonical_query(&once), once);
    }

    #[test]
    fn decoding_the_canonical_path_gives_back_the_normalised_input(path in input()) {
        let canonical = canonical_path(&path);
        prop_assert_eq!(percent_decode(&canonical), normalised_path(&path));
    }

    #[test]
    fn percent_decode_inverts_an_independent_encoder(s in any::<String>()) {
        let encoded = encode_everything(&s);
        prop_assert_eq!(percent_decode(&encoded), s.as_str());
    }

    #[test]
    fn percent_decode_leaves_text_without_percent_or_plus_alone(s in "[^%+]*") {
        prop_assert_eq!(percent_decode(&s), s.as_str());
    }

    #[test]
    fn header_value_normalisation_is_idempotent(alg in algorithm(), value in input()) {
        let once = normalise_header_value(alg, &value);
        prop_assert_eq!(normalise_header_value(alg, &once), once.clone());
        prop_assert_eq!(once.trim(), once.as_str());
        match alg {
            SigningAlgorithm::Jdcloud2 => prop_assert!(!once.contains("  "), "{once:?}"),
            // Jdcloud3 only trims: the inside of the value is kept as it is.
            _ => prop_assert_eq!(once.as_str(), value.trim()),
        }
    }

    #[test]
    fn sign_never_panics_on_any_request(
        alg in algorithm(),
        method in input(),
        path in input(),
        query in input(),
        names in proptest::collection::vec(input(), 0..4),
        values in proptest::collection::vec(input(), 0..4),
        date in prop_oneof![Just("20261127T101500Z".to_owned()), input()],
        body in proptest::collection::vec(any::<u8>(), 0..256),
        region in input(),
    ) {
        let mut headers: Vec<(&str, &str)> =
            names.iter().zip(&values).map(|(n, v)| (n.as_str(), v.as_str())).collect();
        headers.push(("x-jdcloud-date", date.as_str()));
        let credentials = Credentials::new("AKEXAMPLE0123456789", "SKEXAMPLEabcdefghijklmnopqrstuvwxyz");
        let request = SignableRequest {
            method: &method,
            path: &path,
            query: &query,
            headers: &headers,
            body: &body,
        };
        // Either a signature or an error; for a well-formed date always a signature.
        match sign(alg, &credentials, &region, "vm", &request) {
            Ok(auth) => prop_assert!(auth.starts_with(alg.name()), "{auth}"),
            Err(e) => prop_assert!(date != "20261127T101500Z", "{e}"),
        }
    }

    /// Headers already in canonical form are signed as they come; any other order, case or
    /// spacing of the same headers must give the very same canonical request.
    #[test]
    fn headers_in_any_order_case_and_spacing_sign_the_same(
        alg in algorithm(),
        names in proptest::collection::btree_set("[a-z][a-z0-9-]{0,12}", 1..6),
        values in proptest::collection::vec("[ -~]{0,12}", 6),
        shuffle in proptest::collection::vec(any::<u32>(), 6),
        upper in proptest::collection::vec(any::<bool>(), 6),
        pad in proptest::collection::vec(0usize..3, 6),
    ) {
        // The canonical form: sorted, distinct, lower-case names; normalised values.
        let canonical: Vec<(String, String)> = names
            .iter()
            .zip(&values)
            .map(|(n, v)| (n.clone(), normalise_header_value(alg, v)))
            .collect();
        // The same headers disordered, some names upper-cased, some values padded.
        let mut messy: Vec<(String, String)> = canonical
            .iter()
            .enumerate()
            .map(|(i, (n, v))| {
                let name = if upper[i] { n.to_ascii_uppercase() } else { n.clone() };
                let spaces = " ".repeat(pad[i]);
                (name, format!("{spaces}{v}{spaces}"))
            })
            .collect();
        let mut order: Vec<usize> = (0..messy.len()).collect();
        order.sort_by_key(|&i| shuffle[i]);
        messy = order.into_iter().map(|i| messy[i].clone()).collect();

        let request = |h: &[(String, String)]| canonical_request(alg, &SignableRequest {
            method: "POST",
            path: "/v1/a",
            query: "",
            headers: &h.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect::<Vec<_>>(),
            body: b"{}",
        });
        prop_assert_eq!(request(&canonical), request(&messy));
    }
}
