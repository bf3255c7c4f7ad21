//! Settings for a single call.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, header::AUTHORIZATION};
use rxinfer_transport::BearerToken;

/// Per-call settings that override the transport's defaults: a timeout,
/// extra headers, and the token.
///
/// ```
/// use std::time::Duration;
/// use http::{HeaderName, HeaderValue};
/// use rxinfer_auth_api::RequestOptions;
/// use rxinfer_transport::BearerToken;
///
/// let options = RequestOptions::new()
///     .timeout(Duration::from_millis(500))
///     .header(HeaderName::from_static("x-request-id"), HeaderValue::from_static("42"))
///     .token(BearerToken::new("another-token")?);
/// assert_eq!(options.timeout_override(), Some(Duration::from_millis(500)));
/// assert!(!format!("{options:?}").contains("another-token"));
/// # Ok::<(), rxinfer_transport::InvalidToken>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    timeout: Option<Duration>,
    headers: HeaderMap,
    token: Option<BearerToken>,
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails the call after `timeout` instead of the transport's default
    /// (honoured by [`Timeout`](rxinfer_transport::Timeout) in the stack).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends `name: value` with the call, replacing a header of that name
    /// the call would otherwise send (such as `Accept`). An `Authorization`
    /// value is marked sensitive; prefer [`token`](Self::token) for tokens.
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if name == AUTHORIZATION {
            value.set_sensitive(true);
        }
        self.headers.insert(name, value);
        self
    }

    /// Sends `token` instead of the transport's on calls that need one.
    /// Calls that need no authentication still send none.
    pub fn token(mut self, token: BearerToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The timeout override, if any.
    pub fn timeout_override(&self) -> Option<Duration> {
        self.timeout
    }

    /// The extra headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The token override, if any.
    pub fn token_override(&self) -> Option<&BearerToken> {
        self.token.as_ref()
    }
}
