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
use tower::{
    Layer, Service,
    retry::{Retry, RetryLayer},
    util::Either,
};

use crate::{
    BaseUrl, BearerAuth, BearerAuthLayer, BearerToken, DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT, Error,
    Proxy, ProxyConnector, RequestBody, ResponseBodyLimit, ResponseBodyLimitLayer, RetryPolicy,
    SetBaseUrl, SetBaseUrlLayer, SetUserAgent, SetUserAgentLayer, StaticToken, Timeout,
    TimeoutLayer, TokenSource,
};

#[cfg(feature = "rustls")]
use crate::TlsConfig;
use crate::{HttpClient, http_client::Connector};

type Authenticated =
    Either<BearerAuth<ResponseBodyLimit<HttpClient>>, ResponseBodyLimit<HttpClient>>;
type Stack = Timeout<Retry<RetryPolicy, SetUserAgent<SetBaseUrl<Authenticated>>>>;

/// The default transport: [`Timeout`] → tower's [`Retry`] with a
/// [`RetryPolicy`] → [`SetUserAgent`] → [`SetBaseUrl`] → [`BearerAuth`]
/// (when a token is set) → [`ResponseBodyLimit`] → a pooled [`HttpClient`]
/// with keep-alive. The timeout bounds the whole call, retries and their
/// waits included.
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
/// let transport = Transport::builder().base_url("http://127.0.0.1:8000/v1")?.build()?;
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
    config: Arc<Built>,
}

/// What a transport was built from, kept to derive others over the same
/// pool.
struct Built {
    settings: TransportBuilder,
    http: HttpClient,
}

impl Transport {
    /// A builder with the defaults: `http://localhost:8000/v1`, no token,
    /// [`DEFAULT_TIMEOUT`] and [`DEFAULT_BODY_LIMIT`].
    pub fn builder() -> TransportBuilder {
        TransportBuilder::default()
    }

    /// A new pooled HTTP/1.1 client as the default stack uses it (`TCP_NODELAY`,
    /// keep-alive, proxies from the environment, TLS with the default
    /// settings), for building a stack of your own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] if TLS cannot be set up.
    pub fn http_client() -> Result<HttpClient, Error> {
        Self::builder().new_pool()
    }

    /// The same transport, sharing its connection pool, that sends `token`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value.
    pub fn with_token(&self, token: &str) -> Result<Self, Error> {
        let settings = self.config.settings.clone().token(token)?;
        Ok(Self::assemble(settings, self.config.http.clone()))
    }

    /// The same transport, sharing its connection pool, that sends the token
    /// `source` gives.
    pub fn with_token_source(&self, source: Arc<dyn TokenSource>) -> Self {
        let settings = self.config.settings.clone().token_source(source);
        Self::assemble(settings, self.config.http.clone())
    }

    /// The same transport, sharing its connection pool, that sends no token.
    pub fn without_token(&self) -> Self {
        let settings = TransportBuilder {
            token: None,
            ..self.config.settings.clone()
        };
        Self::assemble(settings, self.config.http.clone())
    }

    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        &self.config.settings.base_url
    }

    /// Whether a token is sent.
    pub fn has_token(&self) -> bool {
        self.config.settings.token.is_some()
    }

    /// The stack of `settings` over `http`.
    fn assemble(settings: TransportBuilder, http: HttpClient) -> Self {
        let limited = ResponseBodyLimitLayer::new(settings.body_limit).layer(http.clone());
        let authenticated = match &settings.token {
            Some(source) => Either::Left(
                BearerAuthLayer::from_source(Arc::clone(source))
                    .bound_to(settings.base_url.clone())
                    .layer(limited),
            ),
            None => Either::Right(limited),
        };
        let stack = TimeoutLayer::new(settings.timeout).layer(
            RetryLayer::new(settings.retry.clone()).layer(
                SetUserAgentLayer::default()
                    .layer(SetBaseUrlLayer::new(settings.base_url.clone()).layer(authenticated)),
            ),
        );
        Transport {
            stack,
            config: Arc::new(Built { settings, http }),
        }
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
        fmt::Debug::fmt(&self.config.settings, f)
    }
}

/// Configures a [`Transport`]. Settings that can be wrong are checked when
/// they are set; [`build`](Self::build) fails only if TLS cannot be set up.
#[derive(Clone)]
pub struct TransportBuilder {
    base_url: BaseUrl,
    token: Option<Arc<dyn TokenSource>>,
    timeout: Duration,
    body_limit: usize,
    retry: RetryPolicy,
    proxy: Proxy,
    http_client: Option<HttpClient>,
    #[cfg(feature = "rustls")]
    tls: TlsConfig,
}

impl Default for TransportBuilder {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::default(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            body_limit: DEFAULT_BODY_LIMIT,
            retry: RetryPolicy::default(),
            proxy: Proxy::default(),
            http_client: None,
            #[cfg(feature = "rustls")]
            tls: TlsConfig::default(),
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

    /// When to send a failed call again (default [`RetryPolicy::new`]; use
    /// [`RetryPolicy::disabled`] to turn retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Which requests go through which proxy (default
    /// [`Proxy::from_env`]).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Sends requests through `client`, sharing its connection pool, instead
    /// of a new one. Its own proxy and TLS settings then apply, not this
    /// builder's.
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http_client = Some(client);
        self
    }

    /// TLS settings for `https` base URLs: extra roots, a client certificate.
    #[cfg(feature = "rustls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// The transport, with a new connection pool unless one was given.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] if TLS cannot be set up with the
    /// settings given (a client key that does not fit its certificate).
    pub fn build(self) -> Result<Transport, Error> {
        let http = match &self.http_client {
            Some(client) => client.clone(),
            None => self.new_pool()?,
        };
        Ok(Transport::assemble(self, http))
    }

    /// A pool with these proxy and TLS settings.
    fn new_pool(&self) -> Result<HttpClient, Error> {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        // TLS, when present, wraps this connector and handles https itself.
        tcp.enforce_http(!cfg!(feature = "rustls"));
        let proxies = self.proxy.matcher();
        let proxied = ProxyConnector::new(tcp, proxies.clone());
        #[cfg(feature = "rustls")]
        let connector: Connector = self.tls.connector(proxied)?;
        #[cfg(not(feature = "rustls"))]
        let connector: Connector = proxied;
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(HttpClient::new(client, proxies))
    }
}

impl fmt::Debug for TransportBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("body_limit", &self.body_limit)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let transport = Transport::builder().build().expect("builds");
        assert_eq!(transport.base_url().to_string(), "http://localhost:8000/v1");
        assert!(!transport.has_token());
        assert_eq!(transport.config.settings.timeout, DEFAULT_TIMEOUT);
        assert_eq!(transport.config.settings.body_limit, DEFAULT_BODY_LIMIT);
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
        let transport = Transport::builder().token("very-secret-token")?.build()?;
        let debug = format!("{transport:?}");
        assert!(debug.contains("localhost:8000"), "{debug}");
        assert!(!debug.contains("very-secret-token"), "{debug}");
        let debug = format!("{:?}", transport.without_token());
        assert!(debug.contains("token: None"), "{debug}");
        Ok(())
    }
}
