//! The pooled HTTP/1.1 client at the bottom of the stack.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use http::{Request, Response, header::PROXY_AUTHORIZATION, uri::Scheme};
use hyper::{
    body::Incoming,
    rt::{Read, Write},
};
use hyper_util::{
    client::legacy::{
        self,
        connect::{Connection, HttpConnector},
    },
    rt::{TokioExecutor, TokioTimer},
};
use pin_project_lite::pin_project;
use tower::Service;

use super::proxy::{ProxyConnector, ProxyRules, ProxyScheme};
use crate::{BoxError, Config, Error, Operation, RequestBody};

/// The full connector over a base connector `C`: proxies, then TLS for
/// `https` under the `rustls` feature.
#[cfg(feature = "rustls")]
pub type Connector<C = HttpConnector> = hyper_rustls::HttpsConnector<ProxyConnector<C>>;
/// The full connector over a base connector `C`: proxies (no TLS in this
/// build).
#[cfg(not(feature = "rustls"))]
pub type Connector<C = HttpConnector> = ProxyConnector<C>;

/// hyper-util's pooled HTTP/1.1 client, over a [`Connector`] built from a
/// [`Config`]'s proxy, TLS and pool settings and a base connector (TCP by
/// default).
///
/// It keeps two pools. Idempotent requests reuse any open connection.
/// Requests that are never sent twice (see
/// [`Operation::idempotent`]) reuse only a connection used within
/// [`Config::non_idempotent_reuse`], and otherwise take a new one: a
/// connection idle for longer may be the one the server is closing at that
/// very moment, and such a request, lost on it, could not be sent again.
///
/// Everything sits behind one reference count: the stack is cloned for
/// every call, and this makes that clone one atomic increment. Clones share
/// the pools.
///
/// ```
/// use rxinfer_transport::{Config, HttpClient};
///
/// let pool = HttpClient::new(&Config::default())?;
/// # Ok::<(), rxinfer_transport::Error>(())
/// ```
pub struct HttpClient<C = HttpConnector> {
    shared: Arc<Pools<C>>,
}

struct Pools<C> {
    reusing: legacy::Client<Connector<C>, RequestBody>,
    fresh: legacy::Client<Connector<C>, RequestBody>,
    // For plain-http requests through a proxy that wants credentials, which
    // go with each request rather than with the connection.
    proxies: Option<Arc<ProxyRules>>,
}

impl<C> Clone for HttpClient<C> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl HttpClient {
    /// A pool over TCP with `config`'s proxy, TLS, connect timeout and pool
    /// settings (`TCP_NODELAY` on). Its responses carry no hyper-util
    /// `HttpInfo` (socket addresses): copying it into each response cost
    /// three allocations a call, and nothing in the client reads it. A pool
    /// over hyper-util's `HttpConnector` from
    /// [`with_connector`](HttpClient::with_connector) keeps it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProxy`] when a proxy (from the environment, say)
    /// cannot be used; [`Error::InvalidTlsConfig`] when TLS cannot be set up.
    pub fn new(config: &Config) -> Result<Self, Error> {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(config.connect_timeout);
        // TLS, when present, wraps this connector and handles https itself.
        tcp.enforce_http(false);
        // Its one extra, `HttpInfo`, is not read; see `without_extras`.
        Self::build(config, tcp, false)
    }
}

impl<C> HttpClient<C>
where
    C: Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    /// A pool over `connector` (Unix sockets, a custom resolver, an
    /// in-memory transport...) with `config`'s proxy, TLS and pool settings;
    /// the connector's own settings (such as a connect timeout) are its own,
    /// and the extras its connections report (`Connected::extra`) reach
    /// the responses' extensions.
    ///
    /// # Errors
    ///
    /// As [`HttpClient::new`].
    pub fn with_connector(config: &Config, connector: C) -> Result<Self, Error> {
        Self::build(config, connector, true)
    }

    fn build(config: &Config, connector: C, keep_extras: bool) -> Result<Self, Error> {
        let proxies = config.proxy.rules()?;
        let proxied = ProxyConnector::new(connector, proxies.clone())
            .with_handshake_timeout(config.connect_timeout);
        let proxied = if keep_extras {
            proxied
        } else {
            proxied.without_extras()
        };
        #[cfg(feature = "rustls")]
        let connector = {
            let tls = config.tls.client_config(|name| std::env::var(name).ok())?;
            let proxied = proxied.with_tls(Arc::new(tls.clone()));
            super::tls::connector(tls, proxied)
        };
        #[cfg(not(feature = "rustls"))]
        let connector = proxied;
        let pool = |idle_timeout, max_idle| {
            legacy::Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .pool_idle_timeout(idle_timeout)
                .pool_max_idle_per_host(max_idle)
                .build(connector.clone())
        };
        // A connection that carried a never-resent call sits in the fresh
        // pool; the idle timeout bounds it there too.
        let reuse_window = config
            .pool_idle_timeout
            .map_or(config.non_idempotent_reuse, |idle| {
                idle.min(config.non_idempotent_reuse)
            });
        Ok(Self {
            shared: Arc::new(Pools {
                reusing: pool(config.pool_idle_timeout, config.pool_max_idle_per_host),
                fresh: pool(
                    Some(reuse_window),
                    if reuse_window.is_zero() {
                        0
                    } else {
                        config.pool_max_idle_per_host
                    },
                ),
                proxies,
            }),
        })
    }
}

impl<C> HttpClient<C> {
    fn add_proxy_credentials(&self, request: &mut Request<RequestBody>) {
        let Some(proxies) = &self.shared.proxies else {
            return;
        };
        if request.uri().scheme() != Some(&Scheme::HTTP) {
            return;
        }
        let credentials = proxies
            .intercept(request.uri())
            .filter(|proxy| matches!(proxy.scheme, ProxyScheme::Http | ProxyScheme::Https))
            .and_then(|proxy| proxy.basic_auth.clone());
        if let Some(credentials) = credentials {
            request
                .headers_mut()
                .insert(PROXY_AUTHORIZATION, credentials);
        }
    }
}

impl<C> std::fmt::Debug for HttpClient<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("proxied", &self.shared.proxies.is_some())
            .finish_non_exhaustive()
    }
}

impl<C> Service<Request<RequestBody>> for HttpClient<C>
where
    C: Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = Response<Incoming>;
    type Error = Error;
    type Future = HttpResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The pool has no back-pressure: a call waits for a connection.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        self.add_proxy_credentials(&mut request);
        let pool = if Operation::of(&request).idempotent {
            &self.shared.reusing
        } else {
            &self.shared.fresh
        };
        HttpResponseFuture {
            inner: pool.request(request),
        }
    }
}

pin_project! {
    /// Response future of [`HttpClient`].
    pub struct HttpResponseFuture {
        #[pin]
        inner: legacy::ResponseFuture,
    }
}

impl Future for HttpResponseFuture {
    type Output = Result<Response<Incoming>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(ready!(self.project().inner.poll(cx)).map_err(super::classify))
    }
}
