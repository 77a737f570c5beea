//! The spec's `pattern`s, as the generated ID types check them.
//!
//! typify checks every `pattern` with the `regress` regex engine, three times per call here (the
//! region, instance and interface IDs). The engine is exact but large: its code and its two
//! allocations per match were a measurable part of what a call costs beyond plain reqwest. Most
//! API patterns are a few character classes with counts (`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`),
//! which a few lines match exactly. build.rs points the generated code at [`Pattern`]: such
//! patterns take the small matcher, any other goes to `regress` as before, so any pattern a spec
//! holds keeps working.

/// A compiled `pattern`, with the two methods the generated code calls on `regress::Regex`.
#[derive(Debug)]
pub(crate) enum Pattern {
    /// `^` then classes with counts, then `$`, ASCII only.
    Simple(Vec<Atom>),
    /// Anything else.
    Regex(regress::Regex),
}

/// One class of ASCII bytes, repeated `min..=max` times.
#[derive(Debug, Clone)]
pub(crate) struct Atom {
    class: [bool; 128],
    min: usize,
    max: usize,
}

/// Patterns with more classes than this go to the regex engine: the matcher backtracks, and
/// its cost grows with the number of classes.
const MAX_ATOMS: usize = 4;

impl Pattern {
    /// Compiles `pattern`; the small matcher when it can, else `regress`.
    pub(crate) fn new(pattern: &str) -> Result<Pattern, regress::Error> {
        match parse(pattern) {
            Some(atoms) => Ok(Pattern::Simple(atoms)),
            None => regress::Regex::new(pattern).map(Pattern::Regex),
        }
    }

    /// `Some(())` when `value` matches (the generated code only asks `is_none()`).
    pub(crate) fn find(&self, value: &str) -> Option<()> {
        match self {
            Pattern::Simple(atoms) => matches(atoms, value.as_bytes()).then_some(()),
            Pattern::Regex(regex) => regex.find(value).map(|_| ()),
        }
    }
}

/// Whether all of `input` matches `atoms` in order; tries every count an atom allows, longest
/// first, so it is exact like a regex engine.
fn matches(atoms: &[Atom], input: &[u8]) -> bool {
    let Some((atom, rest)) = atoms.split_first() else {
        return input.is_empty();
    };
    let run = input
        .iter()
        .take(atom.max)
        .take_while(|&&b| b < 128 && atom.class[b as usize])
        .count();
    run >= atom.min && (atom.min..=run).rev().any(|n| matches(rest, &input[n..]))
}

/// `^(atom quantifier?)+$`, where an atom is an ASCII character or a `[...]` class of ASCII
/// characters and ranges, and a quantifier is `?`, `*`, `+`, `{n}`, `{m,}` or `{m,n}`. `None`
/// for anything else (alternation, groups, negated classes, `.`, `\d`, lazy quantifiers…).
fn parse(pattern: &str) -> Option<Vec<Atom>> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    if !body.is_ascii() || body.ends_with('\\') {
        return None;
    }
    let bytes = body.as_bytes();
    let mut atoms = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let mut class = [false; 128];
        match bytes[i] {
            b'[' => {
                let end = i + 1 + bytes[i + 1..].iter().position(|&b| b == b']')?;
                parse_class(&bytes[i + 1..end], &mut class)?;
                i = end + 1;
            }
            b'\\' => {
                class[literal_escape(bytes[i + 1])? as usize] = true;
                i += 2;
            }
            b'.' | b'^' | b'$' | b'*' | b'+' | b'?' | b'(' | b')' | b']' | b'{' | b'}' | b'|' => {
                return None
            }
            b => {
                class[b as usize] = true;
                i += 1;
            }
        }
        let (min, max, used) = parse_quantifier(&bytes[i..])?;
        i += used;
        atoms.push(Atom { class, min, max });
    }
    (!atoms.is_empty() && atoms.len() <= MAX_ATOMS).then_some(atoms)
}

/// The inside of `[...]`: characters, `a-z` ranges, escaped punctuation; no `^` negation.
fn parse_class(inside: &[u8], class: &mut [bool; 128]) -> Option<()> {
    if inside.first() == Some(&b'^') {
        return None;
    }
    // Members as (character, escaped): an unescaped `-` between two members makes a range; at
    // either end it stands for itself.
    let mut members = Vec::new();
    let mut i = 0;
    while i < inside.len() {
        match inside[i] {
            b'\\' => {
                members.push((literal_escape(*inside.get(i + 1)?)?, true));
                i += 2;
            }
            b'[' => return None,
            b => {
                members.push((b, false));
                i += 1;
            }
        }
    }
    if members.is_empty() {
        return None;
    }
    let mut j = 0;
    while j < members.len() {
        if j + 2 < members.len() && members[j + 1] == (b'-', false) {
            let (from, to) = (members[j].0, members[j + 2].0);
            if from > to {
                return None;
            }
            (from..=to).for_each(|b| class[b as usize] = true);
            j += 3;
        } else {
            class[members[j].0 as usize] = true;
            j += 1;
        }
    }
    Some(())
}

/// `\` followed by punctuation stands for that character; `\d`, `\w`, `\n`… are not simple.
fn literal_escape(b: u8) -> Option<u8> {
    (b.is_ascii_punctuation()).then_some(b)
}

/// A quantifier at the start of `rest`: (min, max, bytes used). No quantifier is `{1}`.
fn parse_quantifier(rest: &[u8]) -> Option<(usize, usize, usize)> {
    let (min, max, used) = match rest.first() {
        Some(b'?') => (0, 1, 1),
        Some(b'*') => (0, usize::MAX, 1),
        Some(b'+') => (1, usize::MAX, 1),
        Some(b'{') => {
            let end = rest.iter().position(|&b| b == b'}')?;
            let inside = std::str::from_utf8(&rest[1..end]).ok()?;
            let number = |s: &str| -> Option<usize> {
                (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| s.parse().ok())
                    .flatten()
            };
            let (min, max) = match inside.split_once(',') {
                None => (number(inside)?, number(inside)?),
                Some((min, "")) => (number(min)?, usize::MAX),
                Some((min, max)) => (number(min)?, number(max)?),
            };
            (min <= max).then_some((min, max, end + 1))?
        }
        _ => (1, 1, 0),
    };
    // A lazy or possessive suffix (`*?`, `{2}+`) is not simple.
    match rest.get(used) {
        Some(b'?' | b'+' | b'*' | b'{') if used > 0 => None,
        _ => Some((min, max, used)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

    #[test]
    fn the_id_pattern_is_simple_and_exact() {
        let p = Pattern::new(ID).unwrap();
        assert!(matches!(p, Pattern::Simple(_)));
        for ok in [
            "i-eumm1234d6",
            "a",
            "cn-north-1",
            &"a".repeat(64),
            "A.b_c-9",
        ] {
            assert!(p.find(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            ".",
            "a/b",
            "a b",
            "i-1:x",
            &"a".repeat(65),
            "中",
            "a\n",
        ] {
            assert!(p.find(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn other_patterns_go_to_the_regex_engine() {
        for pattern in [
            "^(a|b)$", "a+", "^a+$x", "^.+$", "^\\d{3}$", "^[^a]$", "^a+?$",
        ] {
            assert!(
                !matches!(Pattern::new(pattern), Ok(Pattern::Simple(_))),
                "{pattern}"
            );
        }
    }

    /// Random simple patterns and inputs over a small alphabet: the small matcher must agree
    /// with the regex engine on every one.
    mod agrees_with_regress {
        use super::*;
        use proptest::prelude::*;

        fn member() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("a".to_owned()),
                Just("b".to_owned()),
                Just("-".to_owned()),
                Just("\\-".to_owned()),
                Just(".".to_owned()),
                Just("a-b".to_owned()),
                Just("--.".to_owned()),
            ]
        }

        fn atom() -> impl Strategy<Value = String> {
            let single = prop_oneof![
                Just("a".to_owned()),
                Just("-".to_owned()),
                Just("\\.".to_owned()),
                Just("_".to_owned()),
            ];
            let class =
                proptest::collection::vec(member(), 1..4).prop_map(|m| format!("[{}]", m.concat()));
            let quantifier = prop_oneof![
                Just(""),
                Just("?"),
                Just("*"),
                Just("+"),
                Just("{0,2}"),
                Just("{1}"),
                Just("{2,}"),
                Just("{1,3}")
            ];
            (prop_oneof![single, class], quantifier).prop_map(|(a, q)| format!("{a}{q}"))
        }

        proptest! {
            #[test]
            fn on_any_input(
                atoms in proptest::collection::vec(atom(), 1..=MAX_ATOMS),
                inputs in proptest::collection::vec("[ab._c-]{0,7}", 16),
            ) {
                let pattern = format!("^{}$", atoms.concat());
                // A pattern the engine refuses (a reversed range) must be refused here too.
                let Ok(regex) = regress::Regex::new(&pattern) else {
                    prop_assert!(Pattern::new(&pattern).is_err(), "{pattern} compiled");
                    return Ok(());
                };
                let simple = Pattern::new(&pattern).unwrap();
                prop_assert!(matches!(simple, Pattern::Simple(_)), "{pattern} is not simple");
                for input in &inputs {
                    prop_assert_eq!(
                        simple.find(input).is_some(),
                        regex.find(input).is_some(),
                        "{} on {:?}", pattern, input
                    );
                }
            }
        }
    }
}
