//! progenitor's errors in building a request, as [`Error`].
//!
//! The generated `build_request()` (progenitor's `send` up to its hooks:
//! build_support/builders.rs) fails only before anything is sent: a parameter or body field not
//! set or refused by its checks, or a request reqwest cannot build. The generated `send()` is
//! the only caller of [`into_error`], so progenitor's error type, whose `Display` prints every
//! response header, never reaches a caller.

use crate::{types, Error, ErrorKind};

/// What the generated `send()` returns when `build_request()` fails.
pub(crate) fn into_error(
    e: progenitor_client::Error<types::ErrorResponse>,
    operation: &'static str,
) -> Error {
    use progenitor_client::Error as P;
    let error = match e {
        P::InvalidRequest(message) | P::Custom(message) => {
            Error::invalid_input(field_and_reason(&message))
        }
        // `RequestBuilder::build`: a URL or a header that cannot be sent.
        P::CommunicationError(e) => crate::hooks::transport_error(e),
        // The variants of an answer: `build_request()` sends nothing.
        _ => Error::new(ErrorKind::Transport).with_message("the request could not be built"),
    };
    error.with_operation(operation)
}

/// progenitor's and typify's ways of saying which input is wrong, as `field: reason`.
///
/// The parameter setters already say `field: reason` (build_support/builders.rs); a body's
/// fields are checked by typify's builder, which says `no value supplied for field` and
/// `error converting supplied value for field: reason`, behind progenitor's
/// ``conversion to `Type` for body failed: `` when the body was given whole.
fn field_and_reason(message: &str) -> String {
    let message = match message.split_once(" for body failed: ") {
        Some((_, rest)) => rest,
        None => message,
    };
    if let Some(field) = message.strip_suffix(" was not initialized") {
        return format!("{field}: required, but not set");
    }
    if let Some(field) = message.strip_prefix("no value supplied for ") {
        return format!("{field}: required, but not set");
    }
    message
        .strip_prefix("error converting supplied value for ")
        .unwrap_or(message)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::field_and_reason as f;

    #[test]
    fn messages_name_the_field_and_the_rule() {
        assert_eq!(
            f("instance_id was not initialized"),
            "instance_id: required, but not set"
        );
        assert_eq!(
            f("no value supplied for network_interface_id"),
            "network_interface_id: required, but not set"
        );
        assert_eq!(
            f("conversion to `AttachNetworkInterfaceRequest` for body failed: error converting supplied value for network_interface_id: doesn't match pattern \"x\""),
            "network_interface_id: doesn't match pattern \"x\""
        );
        assert_eq!(
            f("region_id: longer than 64 characters"),
            "region_id: longer than 64 characters"
        );
    }
}
