//! `Error: From<progenitor_client::Error<…>>`, so `?` and `map_err(Error::from)` work on
//! whatever a generated `send()` returns.
//!
//! Failures the hooks classified travel inside progenitor's `UnexpectedResponse` (see
//! `client.rs`) and come out here whole. progenitor's own `Display` prints every response
//! header, so it is never shown to users.

use crate::{client::Failure, types, Error, ErrorKind};

impl From<progenitor_client::Error<types::ErrorResponse>> for Error {
    fn from(e: progenitor_client::Error<types::ErrorResponse>) -> Error {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(message) => Error::invalid_input(describe_invalid_request(&message)),
            P::UnexpectedResponse(response) => match response.extensions().get::<Failure>() {
                Some(Failure(error)) => error.clone(),
                None => Error::new(crate::classify::kind_for(
                    response.status().as_u16(),
                    None,
                    "",
                ))
                .with_status(response.status().as_u16())
                .with_message("an answer the API does not describe"),
            },
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
                crate::client::transport_error(e)
            }
            P::InvalidResponsePayload(_, e) => Error::new(ErrorKind::MalformedResponse)
                .with_status(200)
                .with_message(format!("the answer does not match the API's schema: {e}")),
            P::Custom(message) => Error::new(ErrorKind::InvalidInput).with_message(message),
        }
    }
}

/// progenitor says `conversion to `RegionId` for region_id failed`; say what a valid one is.
fn describe_invalid_request(message: &str) -> String {
    const ID_RULE: &str =
        "1 to 64 characters, the first a letter or digit, the rest letters, digits, `-`, `_` or `.`";
    if let Some(rest) = message.strip_prefix("conversion to `") {
        if let Some((_, field)) = rest.split_once("` for ") {
            if let Some(field) = field.strip_suffix(" failed") {
                return format!("{field}: not a valid ID: {ID_RULE}");
            }
        }
    }
    if let Some(field) = message.strip_suffix(" was not initialized") {
        return format!("{field}: required, but not set");
    }
    if let Some(field) = message.split_once("no value supplied for ").map(|(_, f)| f) {
        return format!("{field}: required, but not set");
    }
    if let Some((_, rest)) = message.split_once("error converting supplied value for ") {
        if let Some((field, why)) = rest.split_once(": ") {
            if why.starts_with("doesn't match pattern")
                || why.starts_with("longer than")
                || why.starts_with("shorter than")
            {
                return format!("{field}: not a valid ID: {ID_RULE}");
            }
            return format!("{field}: {why}");
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::describe_invalid_request as d;

    #[test]
    fn messages_name_the_field() {
        assert!(d("conversion to `RegionId` for region_id failed")
            .starts_with("region_id: not a valid ID"));
        assert_eq!(
            d("instance_id was not initialized"),
            "instance_id: required, but not set"
        );
        assert_eq!(
            d("conversion to `AttachNetworkInterfaceRequest` for body failed: no value supplied for network_interface_id"),
            "network_interface_id: required, but not set"
        );
        assert!(d("conversion to `AttachNetworkInterfaceRequest` for body failed: error converting supplied value for network_interface_id: doesn't match pattern \"x\"")
            .starts_with("network_interface_id: not a valid ID"));
    }
}
