//! A limit on the size of a request's headers.
//!
//! hyper refuses only headers over about 400 KiB (with a bare `431` and no body); a real
//! gateway refuses far less (nginx, in front of most, 8 KiB a line), and a client sending a
//! huge header should see it refused in JD Cloud's format rather than accepted.

use axum::http::{HeaderMap, StatusCode};

use crate::reply::ApiError;

/// The largest total of the headers accepted, in bytes, counted as sent (`name: value\r\n`).
pub(crate) const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses headers larger in all than [`MAX_HEADER_BYTES`].
pub(crate) fn check_size(headers: &HeaderMap) -> Result<(), ApiError> {
    let total: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if total > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "INVALID_ARGUMENT",
            format!("Request headers are larger than {MAX_HEADER_BYTES} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn headers_over_the_limit_are_refused_with_431() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("b"));
        assert!(check_size(&headers).is_ok());
        let big = "x".repeat(MAX_HEADER_BYTES);
        headers.insert("x-big", HeaderValue::from_str(&big).unwrap());
        let e = check_size(&headers).unwrap_err();
        assert_eq!(e.http, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(e.message, "Request headers are larger than 16384 bytes");
    }
}
