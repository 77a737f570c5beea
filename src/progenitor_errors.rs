//! The way a failure travels through progenitor's generated `send_generated`, and out of it as
//! [`Error`].
//!
//! The hooks (src/hooks.rs) must answer progenitor with a `reqwest::Response`: a failure they
//! classified goes as a stand-in response ([`stand_in`]) whose status is outside 2xx/4xx/5xx, so
//! the generated code passes it on untouched as `UnexpectedResponse`; [`into_error`] takes the
//! error back out. The generated `send()` (build_support/builders.rs) is the only caller of
//! `into_error`, so the stand-in never reaches a caller, and neither does progenitor's error
//! type, whose `Display` prints every response header.

use crate::{types, Error, ErrorKind};

/// Status of the stand-in response.
const STAND_IN_STATUS: u16 = 999;

/// A classified failure, on its way through the generated code.
#[derive(Clone)]
struct Failure(Error);

/// The response that carries `error` through the generated code to [`into_error`].
pub(crate) fn stand_in(error: Error) -> reqwest::Response {
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() =
        reqwest::StatusCode::from_u16(STAND_IN_STATUS).expect("a valid status code");
    response.extensions_mut().insert(Failure(error));
    reqwest::Response::from(response)
}

/// What the generated `send()` returns for whatever progenitor's code failed with.
pub(crate) fn into_error(
    e: progenitor_client::Error<types::ErrorResponse>,
    operation: &'static str,
) -> Error {
    use progenitor_client::Error as P;
    let error = match e {
        P::InvalidRequest(message) => Error::invalid_input(field_and_reason(&message)),
        P::UnexpectedResponse(response) => match response.extensions().get::<Failure>() {
            Some(Failure(error)) => error.clone(),
            // Not the hooks' stand-in: an answer that got past them unclassified.
            None => Error::new(crate::classify::kind_for(
                response.status().as_u16(),
                None,
                "",
            ))
            .with_status(response.status().as_u16())
            .with_message("an answer the API does not describe"),
        },
        // The hooks classify every 4xx/5xx themselves; progenitor decoding one anyway is kept.
        P::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let body = value.into_inner();
            Error::new(crate::classify::kind_for(
                status,
                Some(&body.error.status),
                &body.error.message,
            ))
            .with_status(status)
            .with_code(body.error.status)
            .with_message(body.error.message)
            .with_request_id(Some(body.request_id))
        }
        P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
            crate::hooks::transport_error(e)
        }
        P::InvalidResponsePayload(_, e) => Error::new(ErrorKind::MalformedResponse)
            .with_status(200)
            .with_message(format!("the answer does not match the API's schema: {e}")),
        P::Custom(message) => Error::invalid_input(message),
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
