//! [`ClientBuilder`]: the one builder of a [`Client`]'s settings, and where
//! its token comes from when none is set.

use std::{fmt, sync::Arc, time::Duration};

use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use http_body::Body;
use rxinfer_api_core::{ApiClient, BoxError};
use rxinfer_auth_api::{AuthenticationApi, GeneratedToken, TokenReplaced, TokenStore};
use rxinfer_models::Preferences;
use rxinfer_transport::{
    BearerToken, Config, Error, HttpClient, IntoBaseUrl, Proxy, RequestBody, RetryPolicy,
    SharedError, StaticToken, TOKEN_VARIABLES, TokenFuture, TokenSource, Transport,
};
use tower::{
    Layer, Service,
    layer::util::{Identity, Stack},
};

use crate::Client;

impl TokenSettings {
    /// The token source of a client with no explicit token and none in the
    /// environment: generated, through the same pool and layers without a
    /// token, and kept in the store if there is one.
    fn source<P, B>(self, config: &Config, service: P) -> Arc<dyn TokenSource>
    where
        P: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        P::Future: Send,
        P::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let mut anonymous = config.clone();
        anonymous.token = None;
        let api = ApiClient::new(Transport::over(anonymous, service))
            .with_base_url(config.base_url.clone());
        let mut source = GeneratedToken::new(AuthenticationApi::from_client(api));
        if let Some(store) = self.store {
            source = source.with_store(store, &config.base_url);
        }
        if let Some(renew) = self.renew {
            source = source.renew_on_unauthorized(renew);
        }
        if let Some(hook) = self.on_replaced {
            source = source.on_replaced(move |replaced| hook(replaced));
        }
        Arc::new(source)
    }
}

/// A token in the environment that cannot be a header value: every call
/// that needs the token fails with why (`build_over` cannot fail).
#[derive(Debug)]
struct InvalidEnvironmentToken(SharedError);

impl TokenSource for InvalidEnvironmentToken {
    fn current(&self) -> Option<BearerToken> {
        None
    }

    fn fetch(&self) -> TokenFuture {
        let error = self.0.clone();
        Box::pin(async move { Err(Error::TokenAcquisition(Box::new(error))) })
    }
}

/// Configures a [`Client`]: the one builder of the settings, each setter
/// one assignment to a [`Config`]. Settings that can be wrong are checked
/// when set; [`build`](Self::build) fails only on what needs the machine
/// (TLS files, proxy variables).
///
/// ```
/// use std::time::Duration;
/// use rxinfer_client::Client;
///
/// let client = Client::builder()
///     .base_url("http://127.0.0.1:8000/v1")?
///     .token("3f1c0a52")?
///     .timeout(Duration::from_secs(5))
///     .body_limit(64 * 1024)
///     .build()?;
/// assert!(client.service().has_token());
/// # Ok::<(), rxinfer_client::TransportError>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder<L = Identity> {
    config: Config,
    identity: TokenSettings,
    layer: L,
}

/// Where the token comes from when none was set explicitly, and what
/// happens when the server rejects it.
#[derive(Clone, Default)]
struct TokenSettings {
    generate: bool,
    store: Option<Arc<dyn TokenStore>>,
    renew: Option<bool>,
    on_replaced: Option<Arc<dyn Fn(TokenReplaced) + Send + Sync>>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            config: Config::default(),
            identity: TokenSettings::default(),
            layer: Identity::new(),
        }
    }
}

impl<L> fmt::Debug for ClientBuilder<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("generate_token", &self.identity.generate)
            .field("token_store", &self.identity.store)
            .field("renew_on_unauthorized", &self.identity.renew)
            .finish_non_exhaustive()
    }
}

impl<L> ClientBuilder<L> {
    /// The server's API URL (default `http://localhost:8000/v1`): text, or a
    /// [`BaseUrl`](rxinfer_transport::BaseUrl) such as
    /// `BaseUrl::public("v1")?`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] naming what is wrong with it.
    pub fn base_url(mut self, url: impl IntoBaseUrl) -> Result<Self, Error> {
        self.config.base_url = url.into_base_url()?;
        Ok(self)
    }

    /// The token sent as `Authorization: Bearer <token>` on the operations
    /// that need one, and only to the base URL's origin. It is never
    /// replaced, and comes first in the [precedence](Self::token_store).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value; the
    /// error does not contain the token.
    pub fn token(self, token: &str) -> Result<Self, Error> {
        let source = StaticToken::new(BearerToken::new(token)?);
        Ok(self.token_source(Arc::new(source)))
    }

    /// The token in `RXINFER_TOKEN`, or else `BEARER_TOKEN` (empty counts as
    /// unset).
    ///
    /// # Errors
    ///
    /// [`Error::MissingToken`] when neither is set, [`Error::InvalidToken`]
    /// when the value cannot be a header value.
    pub fn token_from_env(self) -> Result<Self, Error> {
        Ok(self.token_source(Arc::new(StaticToken::from_env()?)))
    }

    /// The token `source` gives; see [`TokenSource`]. Counts as an
    /// explicit token in the [precedence](Self::token_store).
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.config.token = Some(source);
        self
    }

    /// No token up front: the first call that needs one generates it with
    /// `token_generate` (once, however many calls wait for it, and they all
    /// get its outcome). Without a [store](Self::token_store), a `401` to it
    /// generates a new one and sends the call once more, reported as
    /// [`renew_on_unauthorized`](Self::renew_on_unauthorized) says. See
    /// [`GeneratedToken`]. A token in the environment comes first (see the
    /// [precedence](Self::token_store)).
    pub fn generate_token(mut self) -> Self {
        self.identity.generate = true;
        self
    }

    /// Keeps the client's identity across restarts: the token kept in
    /// `store` for the base URL's origin, or else one generated by the
    /// first call that needs it and saved there. RxInferServer ties every
    /// instance to the token that created it and never expires a token,
    /// so a program that keeps its token reaches, after a restart, the
    /// instances it created before.
    ///
    /// **Precedence**, whatever the order of the setters:
    /// 1. an explicit token: [`token`](Self::token),
    ///    [`token_source`](Self::token_source) or
    ///    [`token_from_env`](Self::token_from_env);
    /// 2. the environment's `RXINFER_TOKEN`, when a store or
    ///    [`generate_token`](Self::generate_token) is set (only this
    ///    project's own name: `BEARER_TOKEN` is read only when asked, by
    ///    `token_from_env`);
    /// 3. the store;
    /// 4. a generated token.
    ///
    /// A stored token is never replaced unless
    /// [`renew_on_unauthorized`](Self::renew_on_unauthorized) allows it.
    ///
    /// ```no_run
    /// use rxinfer_client::{Client, auth_api::FileTokenStore};
    ///
    /// let store = FileTokenStore::user_default().ok_or("no home folder")?;
    /// let client = Client::builder()
    ///     .base_url("http://localhost:8000/v1")?
    ///     .token_store(store)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.identity.store = Some(Arc::new(store));
        self
    }

    /// Whether a stored or generated token the server rejects (`401`) is
    /// replaced by a new one and the call sent once more. Default: no for
    /// a stored token (the `401` reaches the caller, saying that a new
    /// token could not reach the old one's instances); yes for a token
    /// generated without a store. A replacement updates the store. Tokens
    /// set explicitly are never replaced.
    ///
    /// Every replacement is reported: a `tracing` warning with both
    /// tokens' fingerprints, [`on_token_replaced`](Self::on_token_replaced),
    /// and [`Client::token_replacements`]. It applies only with
    /// [`generate_token`](Self::generate_token) or a
    /// [store](Self::token_store).
    pub fn renew_on_unauthorized(mut self, renew: bool) -> Self {
        self.identity.renew = Some(renew);
        self
    }

    /// Calls `hook` after each replacement of a rejected token (only with
    /// [`generate_token`](Self::generate_token) or a
    /// [store](Self::token_store): other tokens are never replaced). A
    /// panic in it is caught.
    pub fn on_token_replaced(
        mut self,
        hook: impl Fn(TokenReplaced) + Send + Sync + 'static,
    ) -> Self {
        self.identity.on_replaced = Some(Arc::new(hook));
        self
    }

    /// Fails a call that takes longer than `timeout`, retries included
    /// (default 30 s). It never fires early, and usually within 2 ms after
    /// the deadline (tokio's timer counts whole milliseconds).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// Fails opening a TCP connection, or getting through a proxy, that
    /// takes longer than `timeout` (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = Some(timeout);
        self
    }

    /// Fails a call whose response body is larger than `limit` bytes
    /// (default 4 MiB; one call can raise it with
    /// [`RequestOptions::body_limit`](crate::RequestOptions::body_limit)).
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.config.body_limit = limit;
        self
    }

    /// When to send a failed call again (default [`RetryPolicy::new`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Which requests go through which proxy (default: the environment's,
    /// as curl reads it).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.config.proxy = proxy;
        self
    }

    /// TLS settings: roots, extra roots, a client certificate, or a rustls
    /// configuration of your own ([`TlsConfig::from_rustls`](rxinfer_transport::TlsConfig::from_rustls)).
    /// It replaces every TLS setting made before it, by this method or by
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) and
    /// [`client_certificate_pem`](Self::client_certificate_pem): call it
    /// first.
    #[cfg(feature = "rustls")]
    pub fn tls(mut self, tls: rxinfer_transport::TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// Trusts the certificates in `pem` too, such as a private CA's (for the
    /// server and for `https://` proxies).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] when `pem` holds no readable certificate.
    #[cfg(feature = "rustls")]
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.config.tls = self.config.tls.add_root_certificates_pem(pem)?;
        Ok(self)
    }

    /// Presents a client certificate (`chain_pem`, the client's first) with
    /// its key to servers that ask for one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] when either cannot be read.
    #[cfg(feature = "rustls")]
    pub fn client_certificate_pem(
        mut self,
        chain_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, Error> {
        self.config.tls = self.config.tls.client_certificate_pem(chain_pem, key_pem)?;
        Ok(self)
    }

    /// How long a pooled connection may sit idle and still be reused
    /// (default 90 s; `None` until the server closes it). One idle for
    /// longer is closed no later than this plus the larger of this and
    /// 90 ms after it went idle.
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.pool_idle_timeout = timeout;
        self
    }

    /// How many idle connections are kept per host (default 32).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.config.pool_max_idle_per_host = max;
        self
    }

    /// How recently a connection must have been used to carry a call that
    /// is never sent twice (default 500 ms); see [`Config`].
    pub fn non_idempotent_reuse(mut self, window: Duration) -> Self {
        self.config.non_idempotent_reuse = window;
        self
    }

    /// The `User-Agent` sent unless a request sets its own.
    pub fn user_agent(mut self, user_agent: HeaderValue) -> Self {
        self.config.user_agent = user_agent;
        self
    }

    /// Headers sent with every request that does not set them itself.
    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        self.config.default_headers = headers;
        self
    }

    /// Asks the server to write matrices and distributions as
    /// `preferences` say on every call (its `Prefer` header), unless a call
    /// sets its own with
    /// [`RequestOptions::preferences`](crate::RequestOptions::preferences).
    /// What the server applied is on each answer:
    /// [`ApiResponse::preferences_applied`](crate::ApiResponse::preferences_applied).
    ///
    /// ```
    /// use rxinfer_client::{Client, models::{MdArrayData, MdArrayRepr, Preferences}};
    ///
    /// let client = Client::builder()
    ///     .preferences(Preferences::new().with_mdarray_repr(MdArrayRepr::Data))
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), rxinfer_client::TransportError>(())
    /// ```
    pub fn preferences(mut self, preferences: Preferences) -> Self {
        let name = HeaderName::from_static(Preferences::HEADER);
        match preferences
            .header_value()
            .and_then(|value| HeaderValue::from_str(&value).ok())
        {
            Some(value) => self.config.default_headers.insert(name, value),
            None => self.config.default_headers.remove(name),
        };
        self
    }

    /// All the settings at once, replacing those set so far.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Puts `layer` into the default stack, over the pooled HTTP client and
    /// under everything else: it sees every attempt (retries included) with
    /// its absolute URL and headers (the token marked sensitive), and the
    /// streaming response, while the timeout, retries, base URL, the token's
    /// origin binding, the body limit, TLS and proxies all stay in place.
    /// Layers added first are outermost, as with tower's `ServiceBuilder`.
    /// With [`generate_token`](Self::generate_token) it also sees the
    /// token's generation (`token_generate`, which carries no token).
    ///
    /// A layer whose service is not `Clone` (tower's `RateLimit`) goes
    /// behind a `BufferLayer`. For a layer that sees each call once, use
    /// [`Client::layer`] on the built client. The responses it sees carry
    /// no hyper-util `HttpInfo`: the built-in pool leaves it out (see
    /// [`HttpClient::new`](crate::transport::HttpClient::new)). A timeout
    /// layer that gives up (tower's `Timeout`, tower-http's `TimeoutLayer`)
    /// fails the call as a timeout,
    /// [`TransportError::LayerTimeout`](crate::TransportError::LayerTimeout).
    /// The responses it sees carry hyper's `Incoming` body; a layer that
    /// needs a body with `Default` (tower-http's `TimeoutLayer`) goes above
    /// tower-http's `MapResponseBodyLayer::new(BodyExt::boxed)`.
    ///
    /// ```no_run
    /// use rxinfer_client::{Client, http::{HeaderName, HeaderValue}};
    /// use tower_http::{set_header::SetRequestHeaderLayer, trace::TraceLayer};
    ///
    /// let client = Client::builder()
    ///     .layer(TraceLayer::new_for_http())
    ///     .layer(SetRequestHeaderLayer::overriding(
    ///         HeaderName::from_static("x-team"),
    ///         HeaderValue::from_static("inference"),
    ///     ))
    ///     .build()?;
    /// # Ok::<(), rxinfer_client::TransportError>(())
    /// ```
    pub fn layer<T>(self, layer: T) -> ClientBuilder<Stack<T, L>> {
        ClientBuilder {
            config: self.config,
            identity: self.identity,
            layer: Stack::new(layer, self.layer),
        }
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] if TLS cannot be set up (a client key
    /// that does not fit its certificate, an unreadable `SSL_CERT_FILE`);
    /// [`Error::InvalidProxy`] if a proxy in the environment cannot be used.
    pub fn build<B>(self) -> Result<Client<Transport<L::Service>>, Error>
    where
        L: Layer<HttpClient>,
        L::Service:
            Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<RequestBody>>>::Future: Send,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let pool = HttpClient::new(&self.config)?;
        Ok(self.build_over(pool))
    }

    /// The settings so far: what a pool of your own takes, built with
    /// [`HttpClient::with_connector`] for [`build_over`](Self::build_over).
    pub fn settings(&self) -> &Config {
        &self.config
    }

    /// The client over `pool` instead of a pool over TCP: for a connector
    /// of your own (Unix sockets, a custom resolver), with every setting,
    /// layer and token of this builder.
    ///
    /// ```no_run
    /// use rxinfer_client::{Client, transport::HttpClient};
    /// # fn connector() -> hyper_util::client::legacy::connect::HttpConnector {
    /// #     hyper_util::client::legacy::connect::HttpConnector::new()
    /// # }
    ///
    /// let builder = Client::builder().base_url("http://localhost:8000/v1")?.generate_token();
    /// let pool = HttpClient::with_connector(builder.settings(), connector())?;
    /// let client = builder.build_over(pool);
    /// # Ok::<(), rxinfer_client::TransportError>(())
    /// ```
    pub fn build_over<P, B>(self, pool: P) -> Client<Transport<L::Service>>
    where
        L: Layer<P>,
        L::Service:
            Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<RequestBody>>>::Future: Send,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let service = self.layer.layer(pool);
        let mut config = self.config;
        let base = config.base_url.clone();
        let identity = self.identity;
        if config.token.is_none() && (identity.generate || identity.store.is_some()) {
            let own_name = |name: &str| {
                (name == TOKEN_VARIABLES[0])
                    .then(|| std::env::var(name).ok())
                    .flatten()
            };
            config.token = Some(match StaticToken::from_lookup(own_name) {
                Ok(token) => Arc::new(token),
                Err(Error::MissingToken) => identity.source(&config, service.clone()),
                Err(error) => Arc::new(InvalidEnvironmentToken(SharedError::new(error))),
            });
        }
        let transport = Transport::over(config, service);
        let timeout = transport.config().timeout;
        Client::from_api(
            ApiClient::new(transport)
                .with_base_url(base)
                .with_service_timeout(timeout),
        )
    }

    /// The client over a set of replicas of one server that share one
    /// database: each call goes to one of them, picked by tower's
    /// power-of-two-choices balancer, and a replica that fails leaves the
    /// set until a probe readmits it (see
    /// [`Replicas`](crate::Replicas)). The set's first URL replaces the
    /// [`base_url`](Self::base_url); every other setting, layer and token
    /// of this builder holds for every replica, and your layers see each
    /// attempt at the replica it goes to.
    ///
    /// ```no_run
    /// use rxinfer_client::{Client, Replicas};
    ///
    /// let replicas = Replicas::new(["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1"])?;
    /// let client = Client::builder().token("my-token")?.build_replicas(&replicas)?;
    /// replicas.insert("http://10.0.0.3:8000/v1")?; // joins while calls run
    /// # let _ = client;
    /// # Ok::<(), rxinfer_client::TransportError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    #[cfg(feature = "replicas")]
    #[cfg_attr(docsrs, doc(cfg(feature = "replicas")))]
    pub fn build_replicas<B>(
        mut self,
        replicas: &rxinfer_transport::Replicas,
    ) -> Result<Client<Transport<rxinfer_transport::Balanced<L::Service>>>, Error>
    where
        L: Layer<HttpClient>,
        L::Service:
            Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<RequestBody>>>::Future: Send + 'static,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        self.config.base_url = replicas.base_url().clone();
        let pool = HttpClient::new(&self.config)?;
        let balanced = ClientBuilder {
            config: self.config,
            identity: self.identity,
            layer: Stack::new(self.layer, replicas.clone()),
        };
        Ok(balanced.build_over(pool))
    }

    /// A [`blocking::Client`](crate::blocking::Client) with these settings.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build), or when the runtime thread cannot start.
    #[cfg(feature = "blocking")]
    pub fn build_blocking<B>(self) -> Result<crate::blocking::Client, Error>
    where
        L: Layer<HttpClient>,
        L::Service:
            Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<RequestBody>>>::Future: Send,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        crate::blocking::Client::new(self.build()?.boxed())
    }

    /// A [`blocking::Client`](crate::blocking::Client) over a set of
    /// replicas, as [`build_replicas`](Self::build_replicas) makes it.
    ///
    /// # Errors
    ///
    /// As [`build_replicas`](Self::build_replicas), or when the runtime
    /// thread cannot start.
    #[cfg(all(feature = "blocking", feature = "replicas"))]
    #[cfg_attr(docsrs, doc(cfg(all(feature = "blocking", feature = "replicas"))))]
    pub fn build_replicas_blocking<B>(
        self,
        replicas: &rxinfer_transport::Replicas,
    ) -> Result<crate::blocking::Client, Error>
    where
        L: Layer<HttpClient>,
        L::Service:
            Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request<RequestBody>>>::Future: Send + 'static,
        <L::Service as Service<Request<RequestBody>>>::Error: Into<BoxError>,
        B: Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        crate::blocking::Client::new(self.build_replicas(replicas)?.boxed())
    }
}
