//! The default stack: every layer of this crate over a pooled hyper-util
//! client, configured by one builder.

use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http::{Request, Response};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use tower::{Layer, Service, util::Either};

use crate::{
    BaseUrl, BearerAuth, BearerAuthLayer, BearerToken, DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT, Error,
    RequestBody, ResponseBodyLimit, ResponseBodyLimitLayer, SetBaseUrl, SetBaseUrlLayer,
    SetUserAgent, SetUserAgentLayer, StaticToken, Timeout, TimeoutLayer, TokenSource,
};

/// The pooled HTTP/1.1 client at the bottom of the stack. Clones share one
/// connection pool.
pub type HttpClient = Client<HttpConnector, RequestBody>;

type Authenticated =
    Either<BearerAuth<ResponseBodyLimit<HttpClient>>, ResponseBodyLimit<HttpClient>>;
type Stack = Timeout<SetUserAgent<SetBaseUrl<Authenticated>>>;

/// The default transport: [`Timeout`] → [`SetUserAgent`] → [`SetBaseUrl`] →
/// [`BearerAuth`] (when a token is set) → [`ResponseBodyLimit`] → a pooled
/// [`HttpClient`] with keep-alive.
///
/// Cloning is cheap and clones share the connection pool, so one transport
/// serves any number of concurrent calls. Its `Debug` output never shows the
/// token.
///
/// # Panics
///
/// Calls must run inside a Tokio runtime with the time driver enabled
/// (`#[tokio::main]` has it): outside one, tokio's timer and hyper-util's
/// connection tasks panic. Building a transport needs no runtime.
///
/// ```
/// use rxinfer_transport::Transport;
///
/// let transport = Transport::builder().base_url("http://127.0.0.1:8000/v1")?.build();
/// assert_eq!(transport.base_url().to_string(), "http://127.0.0.1:8000/v1");
///
/// // Same pool, now with a token.
/// let authenticated = transport.with_token("3f1c0a52")?;
/// assert!(!format!("{authenticated:?}").contains("3f1c0a52"));
/// # Ok::<(), rxinfer_transport::Error>(())
/// ```
#[derive(Clone)]
pub struct Transport {
    stack: Stack,
    config: Arc<TransportBuilder>,
}

impl Transport {
    /// A builder with the defaults: `http://localhost:8000/v1`, no token,
    /// [`DEFAULT_TIMEOUT`] and [`DEFAULT_BODY_LIMIT`].
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// A new pooled HTTP/1.1 client as the default stack uses it (`TCP_NODELAY`,
    /// keep-alive), for building a stack of your own.
    pub fn http_client() -> HttpClient {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Client::builder(TokioExecutor::new()).build(connector)
    }

    /// The same transport, sharing its connection pool, that sends `token`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value.
    pub fn with_token(&self, token: &str) -> Result<Self, Error> {
        Ok((*self.config).clone().token(token)?.build())
    }

    /// The same transport, sharing its connection pool, that sends no token.
    pub fn without_token(&self) -> Self {
        TransportBuilder {
            token: None,
            ..(*self.config).clone()
        }
        .build()
    }

    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        &self.config.base_url
    }

    /// Whether a token is sent.
    pub fn has_token(&self) -> bool {
        self.config.token.is_some()
    }
}

impl Service<Request<RequestBody>> for Transport {
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = <Stack as Service<Request<RequestBody>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.stack.poll_ready(cx)
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        self.stack.call(request)
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.config, f)
    }
}

/// Configures a [`Transport`]. Each setting that can be wrong is checked
/// when it is set, so [`build`](Self::build) cannot fail.
#[derive(Clone)]
pub struct TransportBuilder {
    base_url: BaseUrl,
    token: Option<Arc<dyn TokenSource>>,
    timeout: Duration,
    body_limit: usize,
    http_client: Option<HttpClient>,
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::default(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            http_client: None,
        }
    }
}

impl TransportBuilder {
    /// Sends requests under `url`, such as `http://127.0.0.1:8000/v1`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] naming what is wrong with it.
    pub fn base_url(self, url: &str) -> Result<Self, Error> {
        Ok(self.base(BaseUrl::parse(url)?))
    }

    /// Sends requests under an already parsed `base`.
    pub fn base(mut self, base: BaseUrl) -> Self {
        self.base_url = base;
        self
    }

    /// Sends `Authorization: Bearer <token>` on the endpoints that need it,
    /// and only to the base URL's origin.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value; the
    /// error does not contain the token.
    pub fn token(self, token: &str) -> Result<Self, Error> {
        Ok(self.token_source(Arc::new(StaticToken::new(BearerToken::new(token)?))))
    }

    /// Sends the token `source` gives (see [`TokenSource`]), only to the
    /// base URL's origin, and renews it on a `401` when the source can.
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token = Some(source);
        self
    }

    /// Fails calls that take longer than `timeout` (default
    /// [`DEFAULT_TIMEOUT`]); one request can override it with
    /// [`RequestTimeout`](crate::RequestTimeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Fails calls whose response body is larger than `limit` bytes (default
    /// [`DEFAULT_BODY_LIMIT`]).
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.body_limit = limit;
        self
    }

    /// Sends requests through `client`, sharing its connection pool, instead
    /// of a new [`Transport::http_client`].
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The transport.
    pub fn build(mut self) -> Transport {
        let http = self
            .http_client
            .get_or_insert_with(Transport::http_client)
            .clone();
        let limited = ResponseBodyLimitLayer::new(self.body_limit).layer(http);
        let authenticated = match &self.token {
            Some(source) => Either::Left(
                BearerAuthLayer::from_source(Arc::clone(source))
                    .bound_to(self.base_url.clone())
                    .layer(limited),
            ),
            None => Either::Right(limited),
        };
        let stack = TimeoutLayer::new(self.timeout).layer(
            SetUserAgentLayer::default()
                .layer(SetBaseUrlLayer::new(self.base_url.clone()).layer(authenticated)),
        );
        Transport {
            stack,
            config: Arc::new(self),
        }
    }
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let transport = Transport::builder().build();
        assert_eq!(transport.base_url().to_string(), "http://localhost:8000/v1");
        assert!(!transport.has_token());
        assert_eq!(transport.config.timeout, DEFAULT_TIMEOUT);
        assert_eq!(transport.config.body_limit, DEFAULT_BODY_LIMIT);
    }

    #[test]
    fn invalid_settings_fail_when_set() {
        assert!(matches!(
            Transport::builder().base_url("localhost:8000"),
            Err(Error::InvalidBaseUrl(_))
        ));
        assert!(matches!(
            Transport::builder().token("a\nb"),
            Err(Error::InvalidToken(_))
        ));
    }

    #[tokio::test]
    async fn debug_shows_settings_but_not_the_token() -> Result<(), Error> {
        let transport = Transport::builder().token("very-secret-token")?.build();
        let debug = format!("{transport:?}");
        assert!(debug.contains("localhost:8000"), "{debug}");
        assert!(!debug.contains("very-secret-token"), "{debug}");
        let debug = format!("{:?}", transport.without_token());
        assert!(debug.contains("token: None"), "{debug}");
        Ok(())
    }
}
