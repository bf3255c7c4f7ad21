//! What a call can fail with, keeping what the server sent.

use std::{borrow::Cow, fmt};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, response::Parts};
use rxinfer_models::{ErrorResponse, NotFoundResponse, UnauthorizedResponse};
use rxinfer_transport::Fingerprint;

use crate::{BoxError, SentEvent};

/// Why a call did not return its data: which operation, at which URL, and
/// what went wrong ([`kind`](Self::kind)).
///
/// The status decides the kind, whatever the body says: `400` is always
/// [`ApiErrorKind::BadRequest`], `401` [`ApiErrorKind::Unauthorized`], `404`
/// [`ApiErrorKind::NotFound`], any other failure status
/// [`ApiErrorKind::UnexpectedStatus`]; the body, when it is the documented
/// JSON, adds its detail, and the raw response is kept either way.
///
/// `Display` names the operation, the method and the URL (scheme, host,
/// port and path: never a token, credentials or a query), then the kind;
/// `source()` leads to the cause. No message quotes a body the server sent
/// except the `message` of a documented error body; a body that failed to
/// decode is reachable only through [`response`](Self::response).
///
/// ```
/// use http::StatusCode;
/// use rxinfer_api_core::{ApiError, ApiErrorKind};
///
/// # fn handle(error: ApiError) {
/// if error.is_timeout() || error.is_connect() {
///     // try later
/// } else if let ApiErrorKind::NotFound(not_found) = error.kind() {
///     println!("gone: {:?}", not_found.body().map(|b| &b.message));
/// } else if error.status() == Some(StatusCode::UNAUTHORIZED) {
///     // get a token
/// }
/// # }
/// ```
pub struct ApiError(Box<Inner>);

struct Inner {
    operation: &'static str,
    method: Method,
    url: String,
    kind: ApiErrorKind,
    sent: Option<SentEvent>,
    never_sent: bool,
}

impl ApiError {
    /// An error of `operation`, sent as `method` to `url`.
    pub fn new(operation: &'static str, method: Method, url: String, kind: ApiErrorKind) -> Self {
        Self(Box::new(Inner {
            operation,
            method,
            url,
            kind,
            sent: None,
            never_sent: false,
        }))
    }

    /// The same error, known never to have been sent: a wrapper gave the
    /// call up before sending it, such as an instance handle's call that
    /// timed out waiting for its turn.
    pub fn mark_never_sent(mut self) -> Self {
        self.0.never_sent = true;
        self
    }

    /// Whether the call is known never to have been sent: the transport
    /// says its request never left (no connection, no replica ready; see
    /// `rxinfer_transport::Error::never_sent`), or a wrapper gave it up
    /// before sending it ([`mark_never_sent`](Self::mark_never_sent)). Its
    /// answer is then not lost: nothing happened on the server.
    pub fn never_sent(&self) -> bool {
        self.0.never_sent
            || matches!(&self.0.kind, ApiErrorKind::Transport(error) if error.never_sent())
    }

    /// The same error, remembering the event its call asked to record, for
    /// a lost answer to be reconciled.
    pub fn with_sent_event(mut self, sent: SentEvent) -> Self {
        self.0.sent = Some(sent);
        self
    }

    /// The event the call asked to record, when an `InstanceHandle` sent
    /// it: what its `reconcile` looks for after a lost answer.
    pub fn sent_event(&self) -> Option<&SentEvent> {
        self.0.sent.as_ref()
    }

    /// Whether the request may have reached the server while its answer
    /// never came back: a timeout, or a connection that dropped after the
    /// request was written. A call that changes state may then have done
    /// so; see `InstanceHandle::reconcile`. A refused connection is not
    /// lost: the request never left.
    pub fn answer_lost(&self) -> bool {
        use rxinfer_transport::Error;
        !self.0.never_sent
            && matches!(
                &self.0.kind,
                ApiErrorKind::Transport(
                    Error::Timeout(_)
                        | Error::LayerTimeout { .. }
                        | Error::Http(_)
                        | Error::Body(_)
                )
            )
    }

    /// What went wrong.
    pub fn kind(&self) -> &ApiErrorKind {
        &self.0.kind
    }

    /// What went wrong, unwrapped.
    pub fn into_kind(self) -> ApiErrorKind {
        self.0.kind
    }

    /// The operation, as the function is called (`run_inference`).
    pub fn operation(&self) -> &'static str {
        self.0.operation
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.0.method
    }

    /// The request's URL: absolute when the API knows its base URL (always
    /// through the `Client`), else its path.
    pub fn url(&self) -> &str {
        &self.0.url
    }

    /// The status the server answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(RawResponse::status)
    }

    /// What the server sent, if it answered.
    pub fn response(&self) -> Option<&RawResponse> {
        match &self.0.kind {
            ApiErrorKind::BadRequest(e) | ApiErrorKind::UnexpectedStatus(e) => Some(e.response()),
            ApiErrorKind::Unauthorized(e) => Some(e.response()),
            ApiErrorKind::NotFound(e) => Some(e.response()),
            ApiErrorKind::InvalidBody { response, .. } => Some(response),
            ApiErrorKind::InvalidRequest(_)
            | ApiErrorKind::EmptyPathSegment
            | ApiErrorKind::BlockingInRuntime
            | ApiErrorKind::Transport(_) => None,
        }
    }

    /// Whether the server answered with a failure status.
    pub fn is_status(&self) -> bool {
        matches!(
            self.0.kind,
            ApiErrorKind::BadRequest(_)
                | ApiErrorKind::Unauthorized(_)
                | ApiErrorKind::NotFound(_)
                | ApiErrorKind::UnexpectedStatus(_)
        )
    }

    /// Whether the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(&self.0.kind, ApiErrorKind::Transport(e) if e.is_timeout())
    }

    /// Whether no connection could be made, to the server or a proxy.
    pub fn is_connect(&self) -> bool {
        matches!(&self.0.kind, ApiErrorKind::Transport(e) if e.is_connect())
    }

    /// Whether the server answered `401 Unauthorized`.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.0.kind, ApiErrorKind::Unauthorized(_))
    }

    /// Whether the server answered `404 Not Found` (an unknown, deleted or
    /// another token's instance, episode or model).
    pub fn is_not_found(&self) -> bool {
        matches!(self.0.kind, ApiErrorKind::NotFound(_))
    }

    /// The server's own explanation, from a documented error body.
    pub fn message(&self) -> Option<&str> {
        match &self.0.kind {
            ApiErrorKind::BadRequest(e) | ApiErrorKind::UnexpectedStatus(e) => e.message(),
            ApiErrorKind::Unauthorized(e) => e.message(),
            ApiErrorKind::NotFound(e) => e.message(),
            _ => None,
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("operation", &self.0.operation)
            .field("method", &self.0.method)
            .field("url", &self.0.url)
            .field("kind", &self.0.kind)
            .field("sent", &self.0.sent)
            .field("never_sent", &self.0.never_sent)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {}): {}",
            self.0.operation, self.0.method, self.0.url, self.0.kind
        )?;
        if self.0.never_sent {
            f.write_str(" before it was sent: it never reached the server")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The kind's own message is part of ours; the chain goes on below it.
        std::error::Error::source(&self.0.kind)
    }
}

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// `400 Bad Request`: the server rejected the request, such as an
    /// episode that already exists or a model argument that is missing.
    #[error("{0}")]
    BadRequest(StatusError<ErrorResponse>),
    /// `401 Unauthorized`: the token is missing, malformed or unknown.
    #[error("{0}")]
    Unauthorized(StatusError<UnauthorizedResponse>),
    /// `404 Not Found`: an unknown model, instance or episode; also another
    /// token's instance, which the server does not tell from a missing one.
    #[error("{0}")]
    NotFound(StatusError<NotFoundResponse>),
    /// Any other failure status, such as a 500 or 503. Its body is parsed
    /// as the spec's `ErrorResponse` when it is one.
    #[error("{0}")]
    UnexpectedStatus(StatusError<ErrorResponse>),
    /// A success whose body is not the documented JSON.
    #[error("the server's {} answer could not be decoded", .response.status())]
    InvalidBody {
        /// What the server sent.
        response: RawResponse,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
    /// The request could not be built from the arguments.
    #[error("the request could not be built")]
    InvalidRequest(#[source] BoxError),
    /// A path parameter (an instance id, an episode name, a model name) is
    /// empty. Nothing was sent: the server's router drops empty path
    /// segments, so the call would have reached another operation
    /// (`get_episode_info(id, "")` is answered as `get_episodes(id)`).
    #[error(
        "an empty instance id, episode name or model name cannot be sent: the server would drop the empty path segment and answer another operation"
    )]
    EmptyPathSegment,
    /// A blocking call (`rxinfer_client::blocking`) made on the thread that
    /// drives a current-thread Tokio runtime. Nothing was sent: waiting
    /// there would stall that runtime, and with it anything the call needs
    /// that runs on it, such as a server in the same test.
    #[error(
        "a blocking call cannot wait on the thread of a current-thread Tokio runtime: it would stall the runtime and anything the call needs on it (such as the server); use the async client there, or call from `spawn_blocking`, a thread of your own or a multi-thread runtime"
    )]
    BlockingInRuntime,
    /// No answer: the transport failed (connect, timeout, body too large,
    /// a token that could not be obtained...). Match on the inner error to
    /// tell which.
    #[error(transparent)]
    Transport(#[from] rxinfer_transport::Error),
}

/// A failure status, with the raw response and its body decoded as `T` when
/// it is the documented JSON.
pub struct StatusError<T> {
    response: RawResponse,
    body: Result<T, DecodeError>,
    rejected: Option<Fingerprint>,
}

impl<T> StatusError<T> {
    pub(crate) fn new(response: RawResponse, body: Result<T, DecodeError>) -> Self {
        Self {
            response,
            body,
            rejected: None,
        }
    }

    pub(crate) fn rejecting(mut self, token: Option<Fingerprint>) -> Self {
        self.rejected = token;
        self
    }

    /// On a `401` to a request that carried a token: that token's
    /// fingerprint. RxInferServer never expires tokens, so the server's
    /// database does not know it.
    pub fn rejected_token(&self) -> Option<Fingerprint> {
        self.rejected
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The documented error body, when the body is one.
    pub fn body(&self) -> Option<&T> {
        self.body.as_ref().ok()
    }

    /// Why the body is not the documented JSON, when it is not.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        self.body.as_ref().err()
    }

    /// What the server sent.
    pub fn response(&self) -> &RawResponse {
        &self.response
    }
}

impl<T: ErrorBody> StatusError<T> {
    /// The server's explanation, from the documented body.
    pub fn message(&self) -> Option<&str> {
        self.body().and_then(ErrorBody::message)
    }
}

impl<T: fmt::Debug> fmt::Debug for StatusError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusError")
            .field("response", &self.response)
            .field("body", &self.body)
            .field("rejected", &self.rejected)
            .finish()
    }
}

impl<T: ErrorBody> fmt::Display for StatusError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the server answered {}", self.status())?;
        match &self.body {
            Ok(body) => match body.message() {
                Some(message) => write!(f, ": {message}"),
                None => Ok(()),
            },
            Err(DecodeError::Empty) => f.write_str(" with an empty body"),
            Err(_) => f.write_str(" with a body that is not the documented JSON"),
        }?;
        match self.rejected {
            Some(token) => write!(
                f,
                " (the server does not know the token {token}: RxInferServer never \
                 expires tokens, so its database does not hold this one; a new token \
                 would be another identity and could not reach this token's instances)"
            ),
            None => Ok(()),
        }
    }
}

impl<T: ErrorBody + fmt::Debug> std::error::Error for StatusError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.decode_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A documented error body: where its explanation is.
pub trait ErrorBody {
    /// The explanation, if the body has one.
    fn message(&self) -> Option<&str>;
}

impl ErrorBody for ErrorResponse {
    fn message(&self) -> Option<&str> {
        self.message.as_deref().or(Some(&self.error))
    }
}

impl ErrorBody for UnauthorizedResponse {
    fn message(&self) -> Option<&str> {
        Some(&self.message)
    }
}

impl ErrorBody for NotFoundResponse {
    fn message(&self) -> Option<&str> {
        Some(&self.message)
    }
}

/// Why a response body could not be decoded. It says where, never what:
/// the body may echo a secret, and stays reachable through the
/// [`RawResponse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The response declares a content type other than JSON.
    #[error("the response's content type is not JSON")]
    ContentType,
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
    /// The body is not JSON at all.
    #[error("the body is not JSON (at line {line}, column {column})")]
    Syntax {
        /// Where reading stopped.
        line: usize,
        /// Where reading stopped.
        column: usize,
    },
    /// The body is JSON, but not of the documented shape: a missing or
    /// mistyped field, an array for an object.
    #[error("the body is not of the documented shape (at line {line}, column {column})")]
    Shape {
        /// Where reading stopped.
        line: usize,
        /// Where reading stopped.
        column: usize,
    },
}

impl DecodeError {
    pub(crate) fn from_json(error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        match error.classify() {
            serde_json::error::Category::Data => DecodeError::Shape { line, column },
            _ => DecodeError::Syntax { line, column },
        }
    }
}

/// A response as the server sent it: status, headers and the whole body.
///
/// Its `Debug` output shows the body's length, not its content, since a body
/// may echo a token, and the names of headers that carry credentials
/// ([`carries_credentials`](rxinfer_transport::carries_credentials), such
/// as `Set-Cookie`) with `<redacted>` for their values. The accessors give
/// everything as it was sent.
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
            .field("headers", &RedactedHeaders(&self.0.headers))
            .field("body", &format_args!("<{} bytes>", self.0.body.len()))
            .finish()
    }
}

/// Headers for `Debug` output: every name, and every value but those of
/// headers that carry credentials.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if rxinfer_transport::carries_credentials(name) || value.is_sensitive() {
                map.entry(name, &format_args!("<redacted>"));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_with(headers: &[(&'static str, &'static str)]) -> RawResponse {
        let mut builder = http::Response::builder().status(StatusCode::BAD_GATEWAY);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let (parts, ()) = builder.body(()).expect("a response").into_parts();
        RawResponse::new(parts, Bytes::new())
    }

    #[test]
    fn debug_hides_the_values_of_credential_headers_and_keeps_their_names() {
        let response = response_with(&[
            ("set-cookie", "session=s3cr3t-cookie"),
            ("authorization", "Bearer s3cr3t-token"),
            ("x-api-key", "s3cr3t-key"),
            ("x-request-id", "req-42"),
        ]);
        let error = ApiError::new(
            "get_server_info",
            Method::GET,
            "http://127.0.0.1/v1/info".into(),
            ApiErrorKind::UnexpectedStatus(StatusError::new(response, Err(DecodeError::Empty))),
        );
        let debug = format!("{error:?} {error:#?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        for name in ["set-cookie", "authorization", "x-api-key", "<redacted>"] {
            assert!(debug.contains(name), "{name} missing from {debug}");
        }
        assert!(debug.contains("req-42"), "{debug}");
        // The values stay reachable for a caller who asks for them.
        let headers = error.response().expect("a response").headers();
        assert_eq!(headers["set-cookie"], "session=s3cr3t-cookie");
    }
}
