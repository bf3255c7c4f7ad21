//! Settings for a single call.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Request};
use rxinfer_models::Preferences;
use rxinfer_transport::{
    BearerToken, Operation, RequestBodyLimit, RequestTimeout, set_authorization,
};

const PREFER: HeaderName = HeaderName::from_static(Preferences::HEADER);

/// Per-call settings that override the transport's: a timeout, a response
/// body limit, extra headers, and the token (the Python client's
/// `_request_timeout`, `_headers` and `_request_auth`).
///
/// ```
/// use std::time::Duration;
/// use http::{HeaderName, HeaderValue};
/// use rxinfer_api_core::RequestOptions;
/// use rxinfer_transport::BearerToken;
///
/// let options = RequestOptions::new()
///     .timeout(Duration::from_millis(500))
///     .body_limit(64 * 1024 * 1024)
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
    body_limit: Option<usize>,
    headers: HeaderMap,
    token: Option<BearerToken>,
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails the call after `timeout` instead of the transport's default:
    /// never early, and usually within 2 ms after (see
    /// [`Config::timeout`](rxinfer_transport::Config::timeout)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Reads response bodies up to `limit` bytes instead of the transport's
    /// default, such as for a long episode list.
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = Some(limit);
        self
    }

    /// Sends `name: value` with the call, replacing a header of that name
    /// the call would otherwise send. A value that carries credentials
    /// ([`carries_credentials`](rxinfer_transport::carries_credentials)) is
    /// marked sensitive; an `Authorization` is never sent on calls that
    /// need no token. Prefer [`token`](Self::token) for tokens.
    pub fn header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if rxinfer_transport::carries_credentials(&name) {
            value.set_sensitive(true);
        }
        self.headers.insert(name, value);
        self
    }

    /// Asks the server to write matrices and distributions as
    /// `preferences` say, in the `Prefer` header (written as the server
    /// parses it, without spaces). It replaces the client's default
    /// preferences whole; empty preferences send nothing, so the client's
    /// default applies.
    ///
    /// ```
    /// use rxinfer_api_core::RequestOptions;
    /// use rxinfer_models::{MdArrayData, Preferences};
    ///
    /// let options = RequestOptions::new()
    ///     .preferences(Preferences::new().with_mdarray_data(MdArrayData::Diagonal));
    /// assert_eq!(options.headers()["prefer"], "mdarray_data=diagonal");
    /// ```
    pub fn preferences(mut self, preferences: Preferences) -> Self {
        let value = preferences
            .header_value()
            .and_then(|value| HeaderValue::from_str(&value).ok());
        match value {
            Some(value) => {
                self.headers.insert(PREFER, value);
            }
            None => {
                self.headers.remove(PREFER);
            }
        }
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

    /// The body limit override, if any.
    pub fn body_limit_override(&self) -> Option<usize> {
        self.body_limit
    }

    /// The extra headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The token override, if any.
    pub fn token_override(&self) -> Option<&BearerToken> {
        self.token.as_ref()
    }

    /// Puts the overrides on `request`, a call of `operation`.
    pub(crate) fn apply<B>(&self, request: &mut Request<B>, operation: &Operation) {
        if let Some(timeout) = self.timeout {
            request.extensions_mut().insert(RequestTimeout(timeout));
        }
        if let Some(limit) = self.body_limit {
            request.extensions_mut().insert(RequestBodyLimit(limit));
        }
        for (name, value) in &self.headers {
            request.headers_mut().insert(name, value.clone());
        }
        set_authorization(request.headers_mut(), operation, self.token.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::AUTHORIZATION;

    #[test]
    fn an_authorization_header_is_sensitive_and_kept_off_calls_without_a_token() {
        let options =
            RequestOptions::new().header(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(options.headers()[AUTHORIZATION].is_sensitive());
        let mut request = Request::new(());
        options.apply(&mut request, &Operation::new("ping_server").without_token());
        assert!(request.headers().get(AUTHORIZATION).is_none());
        options.apply(&mut request, &Operation::new("token_roles"));
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer x");
    }

    #[test]
    fn a_token_override_goes_only_where_a_token_is_needed()
    -> Result<(), rxinfer_transport::InvalidToken> {
        let options = RequestOptions::new().token(BearerToken::new("per-call")?);
        let mut request = Request::new(());
        options.apply(&mut request, &Operation::new("ping_server").without_token());
        assert!(request.headers().get(AUTHORIZATION).is_none());
        options.apply(&mut request, &Operation::new("token_roles"));
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer per-call");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        Ok(())
    }

    #[test]
    fn overrides_ride_as_extensions() {
        let options = RequestOptions::new()
            .timeout(Duration::from_millis(250))
            .body_limit(10);
        let mut request = Request::new(());
        options.apply(&mut request, &Operation::new("token_roles"));
        assert_eq!(
            request.extensions().get::<RequestTimeout>(),
            Some(&RequestTimeout(Duration::from_millis(250)))
        );
        assert_eq!(
            request.extensions().get::<RequestBodyLimit>(),
            Some(&RequestBodyLimit(10))
        );
    }
}
