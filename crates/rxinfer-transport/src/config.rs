//! Every setting of the transport, as one plain value.

use std::{fmt, sync::Arc, time::Duration};

use http::{HeaderMap, HeaderValue};

use crate::{BaseUrl, DEFAULT_BODY_LIMIT, Proxy, RetryPolicy, TokenSource};

/// The timeout of the default stack: 30 seconds for the whole call,
/// connecting, retries and reading the body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the default stack waits for a TCP connection: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an idle pooled connection is kept: 90 seconds, as hyper-util's
/// and reqwest's defaults.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// How many idle connections are kept per host: 32.
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 32;

/// How recently a connection must have been used to carry a request that is
/// never sent twice: 500 ms. Below the idle timeouts servers and proxies
/// use (nginx: 75 s; some set 1 s).
pub const DEFAULT_NON_IDEMPOTENT_REUSE: Duration = Duration::from_millis(500);

/// `rxinfer-client/<version>`: the client users know, whichever of its
/// crates they build on (the workspace's crates share one version).
pub const DEFAULT_USER_AGENT: &str = concat!("rxinfer-client/", env!("CARGO_PKG_VERSION"));

/// The settings of a [`Transport`](crate::Transport): plain data, each field
/// of a type that was checked when it was made ([`BaseUrl`], a token source
/// holding a checked token, [`HeaderValue`]s), so building from it fails
/// only on what needs the machine (TLS files, proxy variables).
///
/// `Config::default()` is the default client: `http://localhost:8000/v1`, no
/// token, the timeouts, limits and pool settings of the `DEFAULT_*`
/// constants, two retries, proxies from the environment, the bundled TLS
/// roots.
///
/// ```
/// use std::time::Duration;
/// use rxinfer_transport::{Config, Transport};
///
/// let mut config = Config::default();
/// config.base_url = "http://127.0.0.1:8000/v1".parse()?;
/// config.timeout = Duration::from_secs(5);
/// let transport = Transport::new(config)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Where the API lives.
    pub base_url: BaseUrl,
    /// Where the bearer token comes from; `None` sends none.
    pub token: Option<Arc<dyn TokenSource>>,
    /// The deadline of a whole call; see [`RequestTimeout`](crate::RequestTimeout)
    /// for one call. A call never times out early, and usually within 2 ms
    /// after its deadline (tokio's timer counts whole milliseconds). A
    /// thread that made calls keeps one timer registered, due at most one
    /// timeout after its last call began, for its next call to reuse; with
    /// tokio's paused clock an idle runtime advances to it, as to any timer.
    pub timeout: Duration,
    /// The deadline for opening a TCP connection (to the server or a
    /// proxy), and for the whole exchange with a proxy (TLS, `CONNECT`,
    /// SOCKS), within the call's.
    pub connect_timeout: Option<Duration>,
    /// The largest response body read; see
    /// [`RequestBodyLimit`](crate::RequestBodyLimit) for one call.
    pub body_limit: usize,
    /// When a failed call is sent again.
    pub retry: RetryPolicy,
    /// Which requests go through which proxy.
    pub proxy: Proxy,
    /// TLS settings for `https` (needs the `rustls` feature).
    #[cfg(feature = "rustls")]
    pub tls: crate::TlsConfig,
    /// How long a pooled connection may sit idle and still be reused
    /// (`None`: until the server closes it). One idle for longer is never
    /// reused, and the client closes it no later than this plus the larger
    /// of this and 90 ms after it went idle: with the default, between 90
    /// and 180 seconds.
    pub pool_idle_timeout: Option<Duration>,
    /// How many idle connections are kept per host.
    pub pool_max_idle_per_host: usize,
    /// How recently a connection must have been used to carry a request
    /// that is never sent twice (`POST`s that change state); older, a new
    /// one is opened. Zero opens a new one every time. A
    /// `pool_idle_timeout` shorter than this shortens it.
    pub non_idempotent_reuse: Duration,
    /// The `User-Agent` sent unless a request has its own.
    pub user_agent: HeaderValue,
    /// Headers sent with every request that does not set them itself.
    pub default_headers: HeaderMap,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base_url: BaseUrl::default(),
            token: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            body_limit: DEFAULT_BODY_LIMIT,
            retry: RetryPolicy::default(),
            proxy: Proxy::default(),
            #[cfg(feature = "rustls")]
            tls: crate::TlsConfig::default(),
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            non_idempotent_reuse: DEFAULT_NON_IDEMPOTENT_REUSE,
            user_agent: HeaderValue::from_static(DEFAULT_USER_AGENT),
            default_headers: HeaderMap::new(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Config");
        debug
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("body_limit", &self.body_limit)
            .field("retry", &self.retry)
            .field("proxy", &self.proxy);
        #[cfg(feature = "rustls")]
        debug.field("tls", &self.tls);
        debug
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("pool_max_idle_per_host", &self.pool_max_idle_per_host)
            .field("non_idempotent_reuse", &self.non_idempotent_reuse)
            .field("user_agent", &self.user_agent)
            // Names only: a default header may carry a credential.
            .field(
                "default_headers",
                &self.default_headers.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}
