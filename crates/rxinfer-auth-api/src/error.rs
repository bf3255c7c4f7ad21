//! What a call can fail with, keeping what the server sent.

use std::{borrow::Cow, fmt};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, response::Parts};
use rxinfer_models::{ErrorResponse, UnauthorizedResponse};

/// Why an Authentication API call did not return its data.
///
/// The typed variants carry the server's documented error body; the others
/// keep the status, headers and raw body (bounded by the transport's body
/// limit), so nothing the server said is lost.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// `400 Bad Request` with its documented body, as `token_generate`
    /// answers when the server cannot store a new token.
    #[error("the server rejected the request (400 Bad Request): {}", .0.message.as_deref().unwrap_or(&.0.error))]
    BadRequest(ErrorResponse),
    /// `401 Unauthorized` with its documented body: the token is missing,
    /// malformed or unknown.
    #[error("the server requires a valid token (401 Unauthorized): {}", .0.message)]
    Unauthorized(UnauthorizedResponse),
    /// A status the operation does not define, such as a 404, 500 or 503.
    #[error("the server answered {}, which this operation does not define", .0.status())]
    UnexpectedStatus(RawResponse),
    /// A defined status whose body is not the documented JSON.
    #[error("the server's {} response could not be decoded", .response.status())]
    InvalidBody {
        /// What the server sent.
        response: RawResponse,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
    /// No response: the transport failed (connect, timeout, body too large,
    /// ...). Match on the inner error to tell which.
    #[error(transparent)]
    Transport(#[from] rxinfer_transport::Error),
}

impl ApiError {
    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::BadRequest(_) => Some(StatusCode::BAD_REQUEST),
            ApiError::Unauthorized(_) => Some(StatusCode::UNAUTHORIZED),
            ApiError::UnexpectedStatus(response) | ApiError::InvalidBody { response, .. } => {
                Some(response.status())
            }
            ApiError::Transport(_) => None,
        }
    }
}

/// Why a response body could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The response declares a content type other than JSON.
    #[error("the content type `{0}` is not JSON")]
    ContentType(String),
    /// The body is not the documented JSON.
    #[error("the body is not the documented JSON")]
    Json(#[source] serde_json::Error),
}

/// A response as the server sent it: status, headers and the whole body.
///
/// Its `Debug` output shows the body's length, not its content, since a body
/// may echo a token. It is boxed so that `Result<_, ApiError>` stays small
/// on the success path.
#[derive(Clone)]
pub struct RawResponse(Box<Raw>);

#[derive(Clone)]
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl RawResponse {
    pub(crate) fn new(parts: Parts, body: Bytes) -> Self {
        Self(Box::new(Raw {
            status: parts.status,
            headers: parts.headers,
            body,
        }))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0.body)
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("status", &self.0.status)
            .field("headers", &self.0.headers)
            .field("body", &format_args!("<{} bytes>", self.0.body.len()))
            .finish()
    }
}
