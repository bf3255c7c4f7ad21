//! The default stack: one service that resolves, authorizes, retries,
//! bounds and reads each call over a pooled HTTP client: the order is
//! written once, in [`exchange`] (the facts of a call and its rare paths)
//! and [`future`] (its common path).

mod deadline;
mod exchange;
mod future;

pub use future::ResponseFuture;

use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
};

use bytes::Bytes;
use http::{
    HeaderMap, HeaderValue, Request, Response, Uri,
    header::{ACCEPT, HOST, USER_AGENT},
    uri::Scheme,
};
use http_body::Body;
use tower::{Layer, Service, util::BoxCloneSyncService};

use crate::{
    BaseUrl, BearerToken, BoxError, Config, Error, HttpClient, RequestBody, StaticToken,
    TokenSource,
    rules::{credentials::Authorizer, resolution::Resolver},
};

/// The body of the default stack's responses: the whole body, already
/// read. Collecting it is one frame, taken without waiting.
pub type ResponseBody = http_body_util::Full<Bytes>;

/// A type-erased transport that can be stored, cloned and shared across
/// tasks without naming the stack's type: what
/// [`Transport::boxed`] returns. It costs one more allocation per call than
/// the concrete type.
pub type BoxTransport = BoxCloneSyncService<Request<RequestBody>, Response<ResponseBody>, Error>;

/// The default stack over a service `S` that sends requests: by default
/// the pooled [`HttpClient`], or that client wrapped in layers of your own
/// ([`Transport::with_layer`]).
///
/// For each call, in this order:
///
/// 1. resolves the request's path under the base URL;
/// 2. opens a `rxinfer.call` tracing span with OpenTelemetry's field names
///    (`rxinfer.operation`, `http.request.method`, `url.full`,
///    `server.address`, `server.port`, `http.response.status_code`,
///    `error.type`, `http.request.resend_count`);
/// 3. starts the deadline, which covers everything below;
/// 4. takes the token (at hand, or fetched once, outside any retry) when
///    the [`Operation`](crate::Operation) needs one and the request goes to
///    the base URL's origin; removes any `Authorization` when it needs none;
/// 5. sends the request through `S` with the default headers (`User-Agent`,
///    `Accept: application/json`, [`Config::default_headers`], and `Host`
///    when it goes to the base URL's origin), reads the
///    body up to the limit, and sends it again when the
///    [`RetryPolicy`](crate::RetryPolicy) says so, or once with a renewed
///    token after a `401` when the token source says so.
///
/// Layers of your own (see [`Transport::with_layer`]) sit under step 5: they
/// see each attempt as it goes out, with its absolute URL and headers (the
/// token marked sensitive), and the streaming response. Around the whole
/// transport, a layer sees each call once, before its path is resolved.
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
/// use rxinfer_transport::{Config, Transport};
///
/// let mut config = Config::default();
/// config.base_url = "http://127.0.0.1:8000/v1".parse()?;
/// let transport = Transport::new(config)?;
/// assert_eq!(transport.base_url().to_string(), "http://127.0.0.1:8000/v1");
///
/// // Same pool, now with a token.
/// let authenticated = transport.with_token("3f1c0a52")?;
/// assert!(!format!("{authenticated:?}").contains("3f1c0a52"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Transport<S = HttpClient> {
    inner: S,
    shared: Arc<Shared>,
}

/// What every call of one transport reads, built once.
pub(crate) struct Shared {
    config: Config,
    resolver: Resolver,
    /// `User-Agent`, `Accept` and the configured defaults, checked and
    /// marked once.
    defaults: HeaderMap,
    /// The defaults and `Host` for the base URL's origin, which the pool
    /// would otherwise format and insert on every request.
    origin_defaults: HeaderMap,
    auth: Option<Authorizer>,
}

impl Shared {
    fn new(config: Config) -> Self {
        let mut defaults = config.default_headers.clone();
        crate::rules::credentials::mark_credentials(&mut defaults);
        defaults
            .entry(USER_AGENT)
            .or_insert_with(|| config.user_agent.clone());
        defaults
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("application/json"));
        let mut origin_defaults = HeaderMap::with_capacity(defaults.len() + 1);
        origin_defaults.extend(defaults.clone());
        if let Some(host) = host(&config.base_url) {
            origin_defaults.entry(HOST).or_insert(host);
        }
        let auth = config
            .token
            .clone()
            .map(|source| Authorizer::new(source, Some(config.base_url.clone())));
        Self {
            resolver: Resolver::new(config.base_url.clone()),
            defaults,
            origin_defaults,
            auth,
            config,
        }
    }

    /// The headers an attempt at `uri` starts from: the defaults, with
    /// `Host` for the base URL's origin (where any token goes: `to_origin`
    /// says the call already knows it goes there).
    fn headers(&self, uri: &Uri, to_origin: bool) -> HeaderMap {
        if to_origin || self.config.base_url.is_same_origin(uri) {
            with_headroom(&self.origin_defaults)
        } else {
            with_headroom(&self.defaults)
        }
    }
}

/// How many headers a request's map holds before it grows. hyper reuses
/// the request's map for the response's headers: a clone, sized to the
/// request alone, grew (reallocated) on every response; six entries is
/// what a map filled by inserts starts with, and what a typical response
/// needs.
const HEADROOM: usize = 6;

/// A copy of `prepared` with room for `Authorization` and the response's
/// headers (see [`HEADROOM`]).
fn with_headroom(prepared: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity((prepared.len() + 1).max(HEADROOM));
    for (name, value) in prepared {
        headers.append(name.clone(), value.clone());
    }
    headers
}

/// The `Host` header hyper-util would write for `base`: the host, and the
/// port unless it is the scheme's default.
pub(crate) fn host(base: &BaseUrl) -> Option<HeaderValue> {
    let authority = base.authority();
    let default_port = if *base.scheme() == Scheme::HTTPS {
        443
    } else {
        80
    };
    let value = match authority.port_u16() {
        Some(port) if port != default_port => authority.as_str().to_owned(),
        _ => authority.host().to_owned(),
    };
    HeaderValue::try_from(value).ok()
}

impl<S: Clone> Clone for Transport<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Transport {
    /// The default stack over a new pool built from `config`.
    ///
    /// # Errors
    ///
    /// As [`HttpClient::new`]: a proxy or TLS setting that cannot be used.
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = HttpClient::new(&config)?;
        Ok(Self::over(config, http))
    }

    /// The default stack with `layer` around the pool built from `config`:
    /// the place for your own middleware (tracing, metrics, rate limits,
    /// extra headers) without giving up retries, the deadline, the base URL,
    /// the token's origin binding, the body limit, TLS or proxies.
    ///
    /// The layer sees every attempt, retries included, and the pool's
    /// responses, which carry no hyper-util `HttpInfo` (see
    /// [`HttpClient::new`]). A layer whose
    /// service is not `Clone` (tower's `RateLimit`) goes behind a
    /// `Buffer`.
    ///
    /// # Errors
    ///
    /// As [`Transport::new`].
    pub fn with_layer<L>(config: Config, layer: L) -> Result<Transport<L::Service>, Error>
    where
        L: Layer<HttpClient>,
    {
        let http = HttpClient::new(&config)?;
        Ok(Transport::over(config, layer.layer(http)))
    }
}

impl<S> Transport<S> {
    /// The default stack with `config`'s settings over `inner`, any service
    /// that sends a request and answers a response with a body: a pool over
    /// a connector of your own ([`HttpClient::with_connector`]), or a fake.
    pub fn over(config: Config, inner: S) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared::new(config)),
        }
    }

    /// The settings this transport was built from.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Where requests go.
    pub fn base_url(&self) -> &BaseUrl {
        &self.shared.config.base_url
    }

    /// Whether a token is sent.
    pub fn has_token(&self) -> bool {
        self.shared.config.token.is_some()
    }

    /// The service under the stack.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The same transport, sharing its connection pool, with `config`
    /// changed by `change`.
    fn derive(&self, change: impl FnOnce(&mut Config)) -> Self
    where
        S: Clone,
    {
        let mut config = self.shared.config.clone();
        change(&mut config);
        Self::over(config, self.inner.clone())
    }

    /// The same transport, sharing its connection pool, that sends `token`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`] when `token` cannot be a header value.
    pub fn with_token(&self, token: &str) -> Result<Self, Error>
    where
        S: Clone,
    {
        let source: Arc<dyn TokenSource> = Arc::new(StaticToken::new(BearerToken::new(token)?));
        Ok(self.with_token_source(source))
    }

    /// The same transport, sharing its connection pool, that sends the token
    /// `source` gives.
    pub fn with_token_source(&self, source: Arc<dyn TokenSource>) -> Self
    where
        S: Clone,
    {
        self.derive(|config| config.token = Some(source))
    }

    /// The same transport, sharing its connection pool, that sends no token.
    pub fn without_token(&self) -> Self
    where
        S: Clone,
    {
        self.derive(|config| config.token = None)
    }
}

impl<S, B> Transport<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// This transport behind a type-erased, cloneable service, to store in
    /// a struct field or share across tasks without naming its type.
    pub fn boxed(self) -> BoxTransport {
        BoxCloneSyncService::new(self)
    }
}

impl<S, B> Service<Request<RequestBody>> for Transport<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Error;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each attempt takes readiness on its own clone of `S`, so that a
        // limiting layer inside (a concurrency limit) holds its permit only
        // while that attempt is in flight.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        self.shared.config.retry.deposit();
        ResponseFuture::new(self.inner.clone(), Arc::clone(&self.shared), request)
    }
}

impl<S> fmt::Debug for Transport<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_TIMEOUT;

    #[test]
    fn defaults_are_the_documented_ones() -> Result<(), Error> {
        let transport = Transport::new(Config::default())?;
        assert_eq!(transport.base_url().to_string(), "http://localhost:8000/v1");
        assert!(!transport.has_token());
        assert_eq!(transport.config().timeout, DEFAULT_TIMEOUT);
        assert_eq!(transport.config().body_limit, crate::DEFAULT_BODY_LIMIT);
        Ok(())
    }

    #[test]
    fn debug_shows_settings_but_not_the_token() -> Result<(), Error> {
        let transport = Transport::new(Config::default())?.with_token("very-secret-token")?;
        let debug = format!("{transport:?}");
        assert!(debug.contains("localhost:8000"), "{debug}");
        assert!(!debug.contains("very-secret-token"), "{debug}");
        let debug = format!("{:?}", transport.without_token());
        assert!(debug.contains("token: None"), "{debug}");
        Ok(())
    }

    #[test]
    fn default_headers_name_the_client_and_ask_for_json() {
        let mut config = Config::default();
        config.default_headers.insert(
            http::header::HeaderName::from_static("x-team"),
            HeaderValue::from_static("inference"),
        );
        config.user_agent = HeaderValue::from_static("my-app/1.0");
        let shared = Shared::new(config);
        assert_eq!(shared.defaults[USER_AGENT], "my-app/1.0");
        assert_eq!(shared.defaults[ACCEPT], "application/json");
        assert_eq!(shared.defaults["x-team"], "inference");
    }

    #[test]
    fn host_is_written_once_as_the_pool_would_write_it() -> Result<(), crate::InvalidBaseUrl> {
        let mut cases = vec![
            ("http://127.0.0.1:8000/v1", "127.0.0.1:8000"),
            ("http://example.com:80/v1", "example.com"),
            ("http://[::1]:9000/v1", "[::1]:9000"),
        ];
        // Without TLS an https base URL is refused when it is set.
        if cfg!(feature = "rustls") {
            cases.push(("https://example.com:443", "example.com"));
            cases.push(("https://example.com:8443", "example.com:8443"));
        }
        for (base, expected) in cases {
            let base: BaseUrl = base.parse()?;
            assert_eq!(
                host(&base).as_ref().map(HeaderValue::as_bytes),
                Some(expected.as_bytes()),
                "{base}"
            );
        }
        let shared = Shared::new(Config {
            base_url: "http://127.0.0.1:8000/v1".parse()?,
            ..Config::default()
        });
        let own = Uri::from_static("http://127.0.0.1:8000/v1/token/roles");
        let other = Uri::from_static("http://other.example/v1/token/roles");
        assert_eq!(shared.headers(&own, false)[HOST], "127.0.0.1:8000");
        assert!(!shared.headers(&other, false).contains_key(HOST));
        assert_eq!(shared.headers(&own, true)[HOST], "127.0.0.1:8000");
        Ok(())
    }

    #[tokio::test]
    async fn a_retried_call_polled_again_after_its_answer_is_an_error_not_a_panic() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let service = tower::service_fn(move |_: Request<RequestBody>| {
            let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                let mut response = Response::new(ResponseBody::from("{}"));
                if first {
                    *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
                }
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let config = Config {
            retry: crate::RetryPolicy::new().base_delay(std::time::Duration::from_millis(1)),
            ..Config::default()
        };
        let mut transport = Transport::over(config, service);
        let mut call = std::pin::pin!(transport.call(Request::new(RequestBody::default())));
        let answer = std::future::poll_fn(|cx| call.as_mut().poll(cx)).await;
        assert_eq!(answer.map(|r| r.status()).ok(), Some(http::StatusCode::OK));
        let again = std::future::poll_fn(|cx| call.as_mut().poll(cx)).await;
        assert!(again.is_err());
    }
}
