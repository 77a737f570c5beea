//! The spec's numeric bounds (`minimum`, `maximum`), which typify's types do not check: the
//! generated `send()` calls [`in_range`] for each bounded parameter before anything is sent.

use std::fmt::Display;

use crate::Error;

/// A number a parameter can hold.
pub(crate) trait Number: Display {
    fn as_f64(&self) -> f64;
}

macro_rules! numbers {
    ($($t:ty),*) => {$(
        impl Number for $t {
            fn as_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
numbers!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

/// `Ok` when `value` is within the inclusive bounds, else [`ErrorKind::InvalidInput`]
/// naming the parameter and the rule.
///
/// [`ErrorKind::InvalidInput`]: crate::ErrorKind::InvalidInput
pub(crate) fn in_range(
    operation: &'static str,
    name: &str,
    value: &impl Number,
    min: Option<f64>,
    max: Option<f64>,
) -> Result<(), Error> {
    let v = value.as_f64();
    let below = min.is_some_and(|min| v < min);
    let above = max.is_some_and(|max| v > max);
    if !below && !above {
        return Ok(());
    }
    let rule = match (min, max) {
        (Some(min), Some(max)) => format!("from {min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => unreachable!("a value out of range has a bound"),
    };
    Err(Error::invalid_input(format!(
        "{name}: {value} is out of range: the API takes {rule}"
    ))
    .with_operation(operation))
}

#[cfg(test)]
mod tests {
    use super::in_range;

    #[test]
    fn bounds_are_inclusive_and_named() {
        assert!(in_range("op", "page_size", &10i64, Some(10.0), Some(100.0)).is_ok());
        assert!(in_range("op", "page_size", &100i64, Some(10.0), Some(100.0)).is_ok());
        let e = in_range("op", "page_size", &5i64, Some(10.0), Some(100.0)).unwrap_err();
        assert_eq!(
            e.message(),
            Some("page_size: 5 is out of range: the API takes from 10 to 100")
        );
        let e = in_range("op", "page_number", &0u64, Some(1.0), None).unwrap_err();
        assert_eq!(
            e.message(),
            Some("page_number: 0 is out of range: the API takes at least 1")
        );
    }
}
