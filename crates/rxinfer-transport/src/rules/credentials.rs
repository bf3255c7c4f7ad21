//! Credentials: where the bearer token may go, the one function that
//! writes or removes `Authorization` ([`set_authorization`]), and which
//! headers carry credentials. The default stack and
//! [`BearerAuthLayer`](crate::BearerAuthLayer) both apply these rules.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, Uri, header, header::AUTHORIZATION};

use crate::{BaseUrl, BearerToken, Error, OnUnauthorized, Operation, TokenSource};

/// Writes or removes `Authorization` on the headers of a request of
/// `operation`: removed when the operation needs no token (whoever set it),
/// set to `token` (marked sensitive) when one goes, left alone otherwise.
/// The one place the rule lives: the default stack, [`BearerAuthLayer`](crate::BearerAuthLayer)
/// and the API crates' per-call options all call it.
///
/// ```
/// use http::{HeaderMap, header::AUTHORIZATION};
/// use rxinfer_transport::{BearerToken, Operation, set_authorization};
///
/// let token = BearerToken::new("t0k3n")?;
/// let mut headers = HeaderMap::new();
/// set_authorization(&mut headers, &Operation::new("token_roles"), Some(&token));
/// assert_eq!(headers[AUTHORIZATION], "Bearer t0k3n");
/// set_authorization(&mut headers, &Operation::new("ping_server").without_token(), None);
/// assert!(headers.get(AUTHORIZATION).is_none());
/// # Ok::<(), rxinfer_transport::InvalidToken>(())
/// ```
pub fn set_authorization(
    headers: &mut HeaderMap,
    operation: &Operation,
    token: Option<&BearerToken>,
) {
    if !operation.needs_token {
        headers.remove(AUTHORIZATION);
    } else if let Some(token) = token {
        headers.insert(AUTHORIZATION, token.header_value().clone());
    }
}

/// Where a token comes from, and where it may go.
#[derive(Debug, Clone)]
pub(crate) struct Authorizer {
    source: Arc<dyn TokenSource>,
    origin: Option<BaseUrl>,
}

impl Authorizer {
    pub(crate) fn new(source: Arc<dyn TokenSource>, origin: Option<BaseUrl>) -> Self {
        Self { source, origin }
    }

    /// The same source, its token going only to `base`'s origin.
    pub(crate) fn bound_to(self, base: BaseUrl) -> Self {
        Self {
            origin: Some(base),
            ..self
        }
    }

    /// Whether `request` gets the token: its operation needs one, it has no
    /// `Authorization` of its own, and it goes to the token's origin.
    pub(crate) fn wants_token(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
        operation: &Operation,
    ) -> bool {
        operation.needs_token
            && !headers.contains_key(AUTHORIZATION)
            && self
                .origin
                .as_ref()
                .is_none_or(|base| base.is_same_origin(uri))
    }

    /// The token at hand, if any, without waiting.
    pub(crate) fn current(&self) -> Option<BearerToken> {
        self.source.current()
    }

    /// The token at hand, or one fetched now. Any failure is a
    /// [`Error::TokenAcquisition`], which no retry policy re-sends: a retry
    /// of the call would fetch (and perhaps generate) a token again.
    pub(crate) async fn token(&self) -> Result<BearerToken, Error> {
        match self.source.current() {
            Some(token) => Ok(token),
            None => {
                tracing::debug!("fetching a token");
                self.source.fetch().await.map_err(acquisition)
            }
        }
    }

    /// After a `401` to `rejected`: a new token to send the request again
    /// with, or `None` to hand the `401` to the caller.
    pub(crate) async fn renewed(
        &self,
        rejected: &BearerToken,
    ) -> Result<Option<BearerToken>, Error> {
        match self.source.on_unauthorized(rejected) {
            OnUnauthorized::Return => Ok(None),
            OnUnauthorized::RenewAndResend => {
                tracing::debug!("the server rejected the token; renewing it and sending once more");
                self.source.fetch().await.map(Some).map_err(acquisition)
            }
        }
    }
}

fn acquisition(error: Error) -> Error {
    match error {
        Error::TokenAcquisition(_) => error,
        other => Error::TokenAcquisition(other.into()),
    }
}

/// Whether a header named `name` carries credentials: `Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie` (a session a server
/// hands out) and `X-Api-Key`. The stack marks such headers sensitive
/// wherever it meets them (default headers, per-call headers), so that
/// `Debug` output and HTTP/2 header compression leave them alone, and
/// hides their values when it prints a response.
///
/// A `WWW-Authenticate` or `Proxy-Authenticate` challenge says how to
/// authenticate, not with what, so it is not one of them.
///
/// ```
/// use rxinfer_transport::carries_credentials;
///
/// assert!(carries_credentials(&http::header::COOKIE));
/// assert!(carries_credentials(&http::header::SET_COOKIE));
/// assert!(!carries_credentials(&http::header::ACCEPT));
/// ```
pub fn carries_credentials(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION
        || name == header::PROXY_AUTHORIZATION
        || name == header::COOKIE
        || name == header::SET_COOKIE
        || name.as_str() == "x-api-key"
}

/// Marks every header of `headers` that carries credentials sensitive.
pub(crate) fn mark_credentials(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if carries_credentials(name) {
            value.set_sensitive(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use crate::{BearerToken, Operation};

    #[test]
    fn authorization_is_set_removed_or_left_by_one_rule() {
        let token = BearerToken::new("t0k3n").expect("a valid token");
        let needs = Operation::new("token_roles");
        let free = Operation::new("ping").without_token();

        let mut headers = HeaderMap::new();
        set_authorization(&mut headers, &needs, Some(&token));
        assert_eq!(headers[AUTHORIZATION], "Bearer t0k3n");
        assert!(headers[AUTHORIZATION].is_sensitive());

        let mut own = HeaderMap::new();
        own.insert(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
        set_authorization(&mut own, &needs, None);
        assert_eq!(own[AUTHORIZATION], "Bearer mine");

        set_authorization(&mut own, &free, Some(&token));
        assert!(!own.contains_key(AUTHORIZATION));
    }

    use super::*;

    #[test]
    fn credentials_in_either_direction_and_challenges_are_not_credentials() {
        for name in [
            header::AUTHORIZATION,
            header::PROXY_AUTHORIZATION,
            header::COOKIE,
            header::SET_COOKIE,
            HeaderName::from_static("x-api-key"),
        ] {
            assert!(carries_credentials(&name), "{name}");
        }
        for name in [
            header::WWW_AUTHENTICATE,
            header::PROXY_AUTHENTICATE,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
        ] {
            assert!(!carries_credentials(&name), "{name}");
        }
    }
}
