//! Connecting to a destination, through the proxy the rules pick for it.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Uri, uri::Scheme};
use hyper::rt::{Read, Write};
use hyper_util::client::legacy::connect::{Connection, proxy::SocksV5};
use tower::{Service, ServiceExt};

use super::{
    ProxiedStream, ProxyRules, ProxyScheme, ProxyTarget,
    tunnel::{TunnelError, tunnel},
};
use crate::{BoxError, Error};

/// Connects through the proxy the [`Proxy`](super::Proxy) settings pick for
/// each destination, over `C` (by default hyper-util's `HttpConnector`):
///
/// | proxy | `http` destination | `https` destination |
/// |---|---|---|
/// | none, or exempt by `NO_PROXY` | `C` to the server | `C` to the server |
/// | `http://` | `C` to the proxy, absolute-form requests | `CONNECT` tunnel |
/// | `https://` | TLS to the proxy, absolute-form requests | `CONNECT` tunnel inside TLS to the proxy |
/// | `socks5://`, `socks5h://` | SOCKS5 handshake | SOCKS5 handshake |
///
/// Failing to reach the proxy, or its refusal, is an
/// [`Error::Proxy`](crate::Error::Proxy) naming it.
#[derive(Clone)]
pub struct ProxyConnector<C> {
    inner: C,
    rules: Option<Arc<ProxyRules>>,
    // The whole exchange with a proxy (TCP, TLS, CONNECT or SOCKS): a proxy
    // that accepts and then stalls must not hold a connection attempt, which
    // hyper-util may have moved to a task of its own, forever.
    handshake_timeout: Option<std::time::Duration>,
    // Whether `C`'s extras (hyper-util's `HttpInfo`, a user's own) reach
    // responses; see `ProxiedStream::without_extras`.
    extras: bool,
    #[cfg(feature = "rustls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl<C> ProxyConnector<C> {
    pub(crate) fn new(inner: C, rules: Option<Arc<ProxyRules>>) -> Self {
        Self {
            inner,
            rules,
            handshake_timeout: None,
            extras: true,
            #[cfg(feature = "rustls")]
            tls: None,
        }
    }

    /// Drops the connections' extras; for the built-in TCP connector, whose
    /// only extra is `HttpInfo`, which nothing in the client reads.
    pub(crate) fn without_extras(mut self) -> Self {
        self.extras = false;
        self
    }

    /// Bounds the whole exchange with a proxy by `timeout`.
    pub(crate) fn with_handshake_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Speaks TLS to `https://` proxies with `config`.
    #[cfg(feature = "rustls")]
    pub(crate) fn with_tls(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsConnector::from(config));
        self
    }
}

impl<C> std::fmt::Debug for ProxyConnector<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("proxied", &self.rules.is_some())
            .finish_non_exhaustive()
    }
}

type Connecting<T> = Pin<Box<dyn Future<Output = Result<ProxiedStream<T>, BoxError>> + Send>>;

impl<C> Service<Uri> for ProxyConnector<C>
where
    C: Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = ProxiedStream<C::Response>;
    type Error = BoxError;
    // Boxed: this runs once per connection, not per request.
    type Future = Connecting<C::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is taken on the clone that connects.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let proxy = self
            .rules
            .as_ref()
            .and_then(|rules| rules.intercept(&destination))
            .cloned();
        let inner = self.inner.clone();
        let route = Route {
            proxy,
            handshake_timeout: self.handshake_timeout,
            #[cfg(feature = "rustls")]
            tls: self.tls.clone(),
        };
        let extras = self.extras;
        Box::pin(async move {
            let connected = connect(inner, destination, route).await?;
            Ok(if extras {
                connected
            } else {
                connected.without_extras()
            })
        })
    }
}

/// How one connection is made: through `proxy` when there is one, the
/// exchange with it within `handshake_timeout`.
struct Route {
    proxy: Option<Arc<ProxyTarget>>,
    handshake_timeout: Option<std::time::Duration>,
    #[cfg(feature = "rustls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

/// A connection to `destination` along `route`.
async fn connect<C>(
    inner: C,
    destination: Uri,
    route: Route,
) -> Result<ProxiedStream<C::Response>, BoxError>
where
    C: Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let Some(proxy) = route.proxy else {
        let io = inner.oneshot(destination).await.map_err(Into::into)?;
        return Ok(ProxiedStream::direct(io));
    };
    let via = Via {
        proxy,
        #[cfg(feature = "rustls")]
        tls: route.tls,
    };
    let display = via.proxy.display.clone();
    let connecting = via.connect(inner, destination);
    let connected = match route.handshake_timeout {
        None => connecting.await,
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Proxy {
                    proxy: display,
                    status: None,
                    source: Some(
                        format!("no connection through the proxy within {limit:?}").into(),
                    ),
                })
            }),
    };
    connected.map_err(|e| Box::new(e) as BoxError)
}

/// A SOCKS5 handshake through `proxy` over `inner`. Boxed with `Send`
/// spelled out: the compiler cannot otherwise see that hyper-util's
/// handshake future is `Send` for every connector.
fn socks<C>(
    proxy: &ProxyTarget,
    inner: C,
    destination: Uri,
) -> Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>
where
    C: Service<Uri> + Send + 'static,
    C::Response: Read + Write + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let address = proxy.address.clone();
    let local_dns = proxy.scheme == ProxyScheme::Socks5;
    let credentials = proxy.credentials.clone();
    Box::pin(async move {
        let inner = inner.ready_oneshot().await.map_err(Into::into)?;
        let mut socks =
            SocksV5::new(address, inner.map_err(Into::<BoxError>::into)).local_dns(local_dns);
        if let Some((user, password)) = credentials {
            socks = socks.with_auth(user, password);
        }
        // The handshake's future owns what it needs, so it is awaited
        // without keeping `socks` borrowed.
        let handshake = socks.call(destination);
        handshake.await.map_err(Into::into)
    })
}

/// One connection through one proxy.
struct Via {
    proxy: Arc<ProxyTarget>,
    #[cfg(feature = "rustls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Via {
    fn failed(&self, status: Option<http::StatusCode>, source: Option<BoxError>) -> Error {
        Error::Proxy {
            proxy: self.proxy.display.clone(),
            status,
            source,
        }
    }

    async fn connect<C>(
        self,
        inner: C,
        destination: Uri,
    ) -> Result<ProxiedStream<C::Response>, Error>
    where
        C: Service<Uri> + Send + 'static,
        C::Response: Read + Write + Connection + Unpin + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
    {
        let to_server = destination.scheme() == Some(&Scheme::HTTPS);
        match self.proxy.scheme {
            ProxyScheme::Socks5 | ProxyScheme::Socks5h => {
                let io = socks(&self.proxy, inner, destination)
                    .await
                    .map_err(|e| self.failed(None, Some(e)))?;
                Ok(ProxiedStream::direct(io))
            }
            ProxyScheme::Http => {
                let io = inner
                    .oneshot(self.proxy.address.clone())
                    .await
                    .map_err(|e| self.failed(None, Some(e.into())))?;
                if !to_server {
                    return Ok(ProxiedStream::forwarding(io));
                }
                let io = tunnel(io, destination, self.proxy.basic_auth.clone())
                    .await
                    .map_err(|e| self.refused(e))?;
                Ok(ProxiedStream::direct(io))
            }
            ProxyScheme::Https => self.connect_over_tls(inner, destination, to_server).await,
        }
    }

    #[cfg(feature = "rustls")]
    async fn connect_over_tls<C>(
        self,
        inner: C,
        destination: Uri,
        to_server: bool,
    ) -> Result<ProxiedStream<C::Response>, Error>
    where
        C: Service<Uri> + Send + 'static,
        C::Response: Read + Write + Connection + Unpin + Send + 'static,
        C::Future: Send + 'static,
        C::Error: Into<BoxError>,
    {
        use hyper_util::rt::TokioIo;

        let tls = self
            .tls
            .clone()
            .ok_or_else(|| self.failed(None, Some("no TLS settings for the proxy".into())))?;
        let name = rustls_pki_types::ServerName::try_from(self.proxy.host.clone())
            .map_err(|e| self.failed(None, Some(e.into())))?;
        let io = inner
            .oneshot(self.proxy.address.clone())
            .await
            .map_err(|e| self.failed(None, Some(e.into())))?;
        let io = tls
            .connect(name, TokioIo::new(io))
            .await
            .map_err(|e| self.failed(None, Some(e.into())))?;
        if !to_server {
            return Ok(ProxiedStream::tls(io, true));
        }
        let io = tunnel(TokioIo::new(io), destination, self.proxy.basic_auth.clone())
            .await
            .map_err(|e| self.refused(e))?;
        Ok(ProxiedStream::tls(io.into_inner(), false))
    }

    #[cfg(not(feature = "rustls"))]
    async fn connect_over_tls<C>(
        self,
        _: C,
        _: Uri,
        _: bool,
    ) -> Result<ProxiedStream<C::Response>, Error>
    where
        C: Service<Uri>,
    {
        // Refused when the proxy is parsed; kept for exhaustiveness.
        Err(self.failed(None, Some("https proxies need the `rustls` feature".into())))
    }

    fn refused(&self, error: TunnelError) -> Error {
        match error {
            TunnelError::Refused(status) => self.failed(Some(status), None),
            TunnelError::Broken(source) => self.failed(None, Some(source)),
        }
    }
}
