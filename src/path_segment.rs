//! A path parameter as it goes into a request's URL: percent-encoded while it is written.
//!
//! progenitor writes each path parameter with `encode_path(&value.to_string())`: one `String`
//! for the value's text and another for its encoding, per parameter and call, only to be copied
//! into the URL. build.rs points the generated code here instead (see
//! build_support/cheaper_calls.rs), as `value.path_segment()`: [`Segment`] writes the same
//! characters, encoded the same way, straight into the URL being formatted.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// The characters progenitor's `encode_path` encodes: the WHATWG URL path-segment set, plus `/`
/// and `%`, so that a value is always exactly one segment (and every non-ASCII byte).
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A path parameter's value, displayed percent-encoded.
pub(crate) struct Segment<'a, T: ?Sized>(pub(crate) &'a T);

/// `value.path_segment()`: a method, so that it finds the same text as `value.to_string()` did,
/// through the same auto-deref (typify's newtypes display through their `String`).
pub(crate) trait PathSegment: fmt::Display {
    fn path_segment(&self) -> Segment<'_, Self> {
        Segment(self)
    }
}

impl<T: fmt::Display + ?Sized> PathSegment for T {}

impl<T: fmt::Display + ?Sized> fmt::Display for Segment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        write!(Encoding(f), "{}", self.0)
    }
}

/// Encodes what the value writes, piece by piece: every piece is whole characters, and the set
/// is decided byte by byte, so the pieces encode as the whole text would.
struct Encoding<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for Encoding<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        fmt::Display::fmt(&utf8_percent_encode(text, PATH_SEGMENT), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{PathSegment as _, Segment};
    use proptest::prelude::*;

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(Segment("cn-north-1").to_string(), "cn-north-1");
        assert_eq!(Segment("a/b c%d?e#f").to_string(), "a%2Fb%20c%25d%3Fe%23f");
        assert_eq!(Segment("华北").to_string(), "%E5%8D%8E%E5%8C%97");
        assert_eq!(Segment(&42u32).to_string(), "42");
        assert_eq!("a b".to_owned().path_segment().to_string(), "a%20b");
    }

    proptest! {
        /// The same text as progenitor's own `encode_path`, for any value.
        #[test]
        fn encodes_as_progenitor_does(value in any::<String>()) {
            prop_assert_eq!(
                Segment(&value).to_string(),
                progenitor_client::encode_path(&value)
            );
        }
    }
}
