//! The client: the default stack for the common case, any service otherwise.

use std::{sync::Arc, time::Duration};

use rxinfer_auth_api::{AuthenticationApi, GeneratedToken};
#[cfg(feature = "rustls")]
use rxinfer_transport::TlsConfig;
use rxinfer_transport::{
    BaseUrl, BearerToken, Error, HttpClient, StaticToken, TokenSource, Transport, TransportBuilder,
};

/// An RxInferServer client: the API groups over one service, by default the
/// [`Transport`] stack.
///
/// Cloning is cheap and clones share the connection pool, so one client
/// serves any number of tasks. Its `Debug` output never shows the token.
///
/// ```
/// use rxinfer_client::Client;
///
/// let client = Client::builder().base_url("http://127.0.0.1:8000/v1")?.build()?;
/// let authenticated = client.with_token("3f1c0a52")?;
/// assert!(!format!("{authenticated:?}").contains("3f1c0a52"));
/// # Ok::<(), rxinfer_client::TransportError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Client<S = Transport> {
    authentication: AuthenticationApi<S>,
}

impl Client {
    /// A builder for the default stack.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client of `http://localhost:8000/v1` with no token and the default
    /// timeout and body limit.
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::build`].
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// The same client, sharing its connection pool, that sends `token` on
    /// the endpoints that need one.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value.
    pub fn with_token(&self, token: &str) -> Result<Self, Error> {
        Ok(Self::from_service(self.service().with_token(token)?))
    }

    /// The same client, sharing its connection pool, that sends no token.
    pub fn without_token(&self) -> Self {
        Self::from_service(self.service().without_token())
    }
}

impl<S> Client<S> {
    /// A client over any tower service of `http::Request<RequestBody>` to
    /// `http::Response<Bytes>`: a stack with your own middleware, or a mock.
    /// See the `custom_middleware` and `mock_transport` examples.
    pub fn from_service(service: S) -> Self {
        Self {
            authentication: AuthenticationApi::new(service),
        }
    }

    /// The Authentication API: `token_generate` and `token_roles`.
    pub fn authentication(&self) -> &AuthenticationApi<S> {
        &self.authentication
    }

    /// The service requests go through.
    pub fn service(&self) -> &S {
        self.authentication.service()
    }
}

/// Configures the default stack of a [`Client`]. Settings that can be wrong
/// are checked when set; [`build`](Self::build) fails only if TLS cannot be
/// set up.
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
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    transport: TransportBuilder,
    token: Option<TokenChoice>,
    #[cfg(feature = "rustls")]
    tls: TlsConfig,
}

/// Where the client's token comes from; the last setting wins.
#[derive(Debug, Clone)]
enum TokenChoice {
    Source(Arc<dyn TokenSource>),
    Generate,
}

impl ClientBuilder {
    /// The server's API URL (default `http://localhost:8000/v1`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] naming what is wrong with it.
    pub fn base_url(self, url: &str) -> Result<Self, Error> {
        Ok(Self {
            transport: self.transport.base_url(url)?,
            ..self
        })
    }

    /// The server's API URL, already parsed.
    pub fn base(self, base: BaseUrl) -> Self {
        Self {
            transport: self.transport.base(base),
            ..self
        }
    }

    /// The token sent as `Authorization: Bearer <token>` on the endpoints
    /// that need one, and only to the base URL's origin.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value; the
    /// error does not contain the token.
    pub fn token(self, token: &str) -> Result<Self, Error> {
        let source = StaticToken::new(BearerToken::new(token)?);
        Ok(self.token_source(Arc::new(source)))
    }

    /// The token in `RXINFER_TOKEN`, or else `BEARER_TOKEN`.
    ///
    /// # Errors
    ///
    /// [`Error::MissingToken`] when neither is set, [`Error::InvalidToken`]
    /// when the value cannot be a header value.
    pub fn token_from_env(self) -> Result<Self, Error> {
        Ok(self.token_source(Arc::new(StaticToken::from_env()?)))
    }

    /// No token up front: the first call that needs one generates it with
    /// `token_generate` (once, however many calls wait for it), and a `401`
    /// to it generates a new one and repeats the call once.
    pub fn acquire_token(self) -> Self {
        Self {
            token: Some(TokenChoice::Generate),
            ..self
        }
    }

    /// The token `source` gives; see [`TokenSource`].
    pub fn token_source(self, source: Arc<dyn TokenSource>) -> Self {
        Self {
            token: Some(TokenChoice::Source(source)),
            ..self
        }
    }

    /// Fails a call that takes longer than `timeout` (default
    /// [`DEFAULT_TIMEOUT`](rxinfer_transport::DEFAULT_TIMEOUT)).
    pub fn timeout(self, timeout: Duration) -> Self {
        Self {
            transport: self.transport.timeout(timeout),
            ..self
        }
    }

    /// Fails a call whose response body is larger than `limit` bytes
    /// (default [`DEFAULT_BODY_LIMIT`](rxinfer_transport::DEFAULT_BODY_LIMIT)).
    pub fn body_limit(self, limit: usize) -> Self {
        Self {
            transport: self.transport.body_limit(limit),
            ..self
        }
    }

    /// When to send a failed call again (default
    /// [`RetryPolicy::new`](rxinfer_transport::RetryPolicy::new): connection
    /// failures, and 429/503 on idempotent calls, twice at most).
    pub fn retry(self, policy: rxinfer_transport::RetryPolicy) -> Self {
        Self {
            transport: self.transport.retry(policy),
            ..self
        }
    }

    /// Which requests go through which proxy (default: the environment's
    /// `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`, as curl reads them).
    pub fn proxy(self, proxy: rxinfer_transport::Proxy) -> Self {
        Self {
            transport: self.transport.proxy(proxy),
            ..self
        }
    }

    /// Shares `client`'s connection pool.
    pub fn http_client(self, client: HttpClient) -> Self {
        Self {
            transport: self.transport.http_client(client),
            ..self
        }
    }

    /// Trusts the certificates in `pem` too, such as a private CA's, for
    /// `https` base URLs.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] when `pem` holds no readable certificate.
    #[cfg(feature = "rustls")]
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.tls = self.tls.add_root_certificates_pem(pem)?;
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
        self.tls = self.tls.client_certificate_pem(chain_pem, key_pem)?;
        Ok(self)
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTlsConfig`] if TLS cannot be set up with the settings
    /// given (a client key that does not fit its certificate).
    pub fn build(self) -> Result<Client, Error> {
        #[cfg(feature = "rustls")]
        let settings = self.transport.tls(self.tls);
        #[cfg(not(feature = "rustls"))]
        let settings = self.transport;
        let transport = match self.token {
            None => settings.build()?,
            Some(TokenChoice::Source(source)) => settings.token_source(source).build()?,
            Some(TokenChoice::Generate) => {
                // Generation goes through the same pool, without a token.
                let anonymous = settings.build()?;
                let source = GeneratedToken::new(AuthenticationApi::new(anonymous.clone()));
                anonymous.with_token_source(Arc::new(source))
            }
        };
        Ok(Client::from_service(transport))
    }
}
