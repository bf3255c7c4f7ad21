//! Reading an answer: its status, content type and body into the decoded
//! data or the error the status makes it, and a resent `DELETE` that found
//! its own first attempt done.

use bytes::Bytes;
use http::{HeaderMap, StatusCode, header::CONTENT_TYPE, response::Parts};
use rxinfer_transport::{ResentAfterLostAnswer, TokenRejected};
use serde::de::DeserializeOwned;

use crate::{ApiErrorKind, ApiResponse, DecodeError, RawResponse, StatusError};

/// What a `DELETE` reports when it was sent again after its first answer
/// was lost, and the second attempt found nothing to delete (`404`): the
/// first attempt most likely deleted it, so the call succeeds, with the
/// `404` status it got and a message saying so. A `DELETE` answered `404`
/// without such a loss stays a [`ApiErrorKind::NotFound`] error.
pub(crate) fn deleted_before<T: DeserializeOwned>(parts: &Parts) -> Option<ApiResponse<T>> {
    let lost = parts.extensions.get::<ResentAfterLostAnswer>().is_some();
    if !lost || parts.status != StatusCode::NOT_FOUND {
        return None;
    }
    let message = serde_json::json!({ "message": DELETED_BEFORE });
    let data = serde_json::from_value(message).ok()?;
    Some(ApiResponse::new(parts.status, parts.headers.clone(), data))
}

/// The message of a `DELETE` that found its own earlier attempt done.
pub const DELETED_BEFORE: &str = "Already deleted: the first request's answer was lost, and \
     sending it again found nothing left to delete";

/// The decoded data of a success, or the error its status makes it.
pub(crate) fn answer<T: DeserializeOwned>(
    parts: Parts,
    body: Bytes,
) -> Result<ApiResponse<T>, ApiErrorKind> {
    let status = parts.status;
    if status.is_success() {
        return match decode(&parts.headers, &body) {
            Ok(data) => Ok(ApiResponse::new(status, parts.headers, data)),
            Err(source) => Err(ApiErrorKind::InvalidBody {
                response: RawResponse::new(parts, body),
                source,
            }),
        };
    }
    if made_up_by_a_timeout_layer(&parts, &body) {
        return Err(ApiErrorKind::Transport(
            rxinfer_transport::Error::LayerTimeout {
                status: Some(status),
            },
        ));
    }
    Err(match status.as_u16() {
        400 => ApiErrorKind::BadRequest(status_error(parts, body)),
        401 => {
            let rejected = parts.extensions.get::<TokenRejected>().map(|t| t.0);
            ApiErrorKind::Unauthorized(status_error(parts, body).rejecting(rejected))
        }
        404 => ApiErrorKind::NotFound(status_error(parts, body)),
        _ => ApiErrorKind::UnexpectedStatus(status_error(parts, body)),
    })
}

/// Whether a `408` or `504` is tower-http's `TimeoutLayer` giving up in
/// the server's place: it answers with no header and no body, which no
/// server or proxy does (an HTTP/1.1 answer says how long its body is, and
/// proxies add their own headers).
fn made_up_by_a_timeout_layer(parts: &Parts, body: &[u8]) -> bool {
    matches!(
        parts.status,
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT
    ) && parts.headers.is_empty()
        && body.is_empty()
}

fn status_error<E: DeserializeOwned>(parts: Parts, body: Bytes) -> StatusError<E> {
    let decoded = decode(&parts.headers, &body);
    StatusError::new(RawResponse::new(parts, body), decoded)
}

fn decode<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, DecodeError> {
    check_json_content_type(headers)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(DecodeError::Empty);
    }
    serde_json::from_slice(body).map_err(|e| DecodeError::from_json(&e))
}

/// Accepts `application/json`, any `+json` type, and no content type at all;
/// rejects a declared type that is something else, such as an HTML error
/// page from a proxy.
pub(crate) fn check_json_content_type(headers: &HeaderMap) -> Result<(), DecodeError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    // What RxInferServer sends, settled without parsing.
    if value.as_bytes() == b"application/json" {
        return Ok(());
    }
    let text = value.to_str().map_err(|_| DecodeError::ContentType)?;
    let essence = text.split(';').next().unwrap_or_default().trim();
    let is_json = essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
    if is_json {
        Ok(())
    } else {
        Err(DecodeError::ContentType)
    }
}
