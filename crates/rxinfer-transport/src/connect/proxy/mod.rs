//! Sending requests through an HTTP proxy, configured explicitly or read
//! from the environment as curl does; `https` goes through a `CONNECT`
//! tunnel. The matching and the tunnel are hyper-util's.

use std::{
    fmt,
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Uri, uri::Scheme};
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::{
    client::{
        legacy::connect::{Connected, Connection, HttpConnector, proxy::Tunnel},
        proxy::matcher::{Builder as MatcherBuilder, Matcher},
    },
    rt::TokioIo,
};
use tokio::net::TcpStream;
use tower::Service;

use crate::{BoxError, Error};

/// Which requests go through which proxy.
///
/// | constructor | proxies |
/// |---|---|
/// | [`Proxy::from_env`] (the default) | as curl: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` (and lowercase), except hosts in `NO_PROXY` |
/// | [`Proxy::all`] | every request |
/// | [`Proxy::none`] | no request |
///
/// `http` requests go to the proxy in absolute form, so the proxy sees them,
/// bearer token included; `https` requests go through a `CONNECT` tunnel,
/// so the proxy sees only the host and port.
///
/// ```
/// use rxinfer_transport::Proxy;
///
/// let proxy = Proxy::all("http://proxy.internal:3128")?.no_proxy("localhost,127.0.0.1");
/// # Ok::<(), rxinfer_transport::Error>(())
/// ```
#[derive(Clone)]
pub struct Proxy {
    all: String,
    http: String,
    https: String,
    no: String,
}

impl Proxy {
    /// No proxy at all, whatever the environment says.
    pub fn none() -> Self {
        Self {
            all: String::new(),
            http: String::new(),
            https: String::new(),
            no: String::new(),
        }
    }

    /// The proxies the environment names, as curl reads them.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    /// As curl does, `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set
    /// (a CGI request could set it from a `Proxy` header).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: [&str; 2]| names.iter().find_map(|n| lookup(n)).unwrap_or_default();
        let cgi = lookup("REQUEST_METHOD").is_some();
        Self {
            all: first(["ALL_PROXY", "all_proxy"]),
            http: if cgi {
                String::new()
            } else {
                first(["HTTP_PROXY", "http_proxy"])
            },
            https: first(["HTTPS_PROXY", "https_proxy"]),
            no: first(["NO_PROXY", "no_proxy"]),
        }
    }

    /// Every request goes through the proxy at `url`, such as
    /// `http://user:pass@proxy:3128`. Credentials go to the proxy as a
    /// sensitive `Proxy-Authorization` header: on each plain-http request,
    /// and on the `CONNECT` of each tunnel.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProxy`] when `url` is not an `http` URL with a host.
    pub fn all(url: &str) -> Result<Self, Error> {
        let uri: Uri = url
            .parse()
            .map_err(|_| Error::InvalidProxy("not a URL".into()))?;
        if uri.scheme() != Some(&Scheme::HTTP) || uri.host().is_none() {
            return Err(Error::InvalidProxy(
                "a proxy URL starts with http:// and names a host".into(),
            ));
        }
        Ok(Self {
            all: url.to_owned(),
            ..Self::none()
        })
    }

    /// Except requests to these hosts: a comma-separated list of names,
    /// domains (`.example.org`), IP addresses and networks, or `*`.
    pub fn no_proxy(mut self, hosts: &str) -> Self {
        self.no = hosts.to_owned();
        self
    }

    pub(crate) fn matcher(&self) -> Option<Arc<Matcher>> {
        if self.all.is_empty() && self.http.is_empty() && self.https.is_empty() {
            return None;
        }
        let matcher = MatcherBuilder::default()
            .all(self.all.clone())
            .http(self.http.clone())
            .https(self.https.clone())
            .no(self.no.clone())
            .build();
        Some(Arc::new(matcher))
    }
}

impl Default for Proxy {
    fn default() -> Self {
        Self::from_env()
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy URLs may carry credentials: say only what is set.
        f.debug_struct("Proxy")
            .field("all", &!self.all.is_empty())
            .field("http", &!self.http.is_empty())
            .field("https", &!self.https.is_empty())
            .field("no_proxy", &self.no)
            .finish()
    }
}

/// TCP, through the proxy the [`Proxy`] settings pick for each destination.
#[derive(Clone)]
pub struct ProxyConnector {
    tcp: HttpConnector,
    matcher: Option<Arc<Matcher>>,
}

impl ProxyConnector {
    pub(crate) fn new(tcp: HttpConnector, matcher: Option<Arc<Matcher>>) -> Self {
        Self { tcp, matcher }
    }
}

impl fmt::Debug for ProxyConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConnector")
            .field("proxied", &self.matcher.is_some())
            .finish()
    }
}

type Connecting = Pin<Box<dyn Future<Output = Result<ProxiedStream, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = ProxiedStream;
    type Error = BoxError;
    // Boxed: this runs once per connection, not per request.
    type Future = Connecting;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, destination: Uri) -> Self::Future {
        let intercept = self
            .matcher
            .as_ref()
            .and_then(|m| m.intercept(&destination));
        let mut tcp = self.tcp.clone();
        Box::pin(async move {
            let Some(proxy) = intercept else {
                let io = tcp.call(destination).await?;
                return Ok(ProxiedStream { io, proxied: false });
            };
            if destination.scheme() == Some(&Scheme::HTTPS) {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let io = tunnel.call(destination).await?;
                return Ok(ProxiedStream { io, proxied: false });
            }
            // Plain http: talk to the proxy, which gets absolute-form targets.
            let io = tcp.call(proxy.uri().clone()).await?;
            Ok(ProxiedStream { io, proxied: true })
        })
    }
}

/// A connection, to the server or to a proxy that forwards requests.
#[derive(Debug)]
pub struct ProxiedStream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for ProxiedStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for ProxiedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxiedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::lookup;

    fn intercepts(proxy: &Proxy, uri: &str) -> Option<String> {
        let uri: Uri = uri.parse().expect("valid URI");
        proxy
            .matcher()?
            .intercept(&uri)
            .map(|i| i.uri().to_string())
    }

    #[test]
    fn the_environment_is_read_as_curl_does() {
        let proxy = Proxy::from_lookup(lookup(&[
            ("http_proxy", "http://plain:1"),
            ("HTTPS_PROXY", "http://secure:2"),
            ("NO_PROXY", "localhost,.internal"),
        ]));
        assert_eq!(
            intercepts(&proxy, "http://example.org/v1").as_deref(),
            Some("http://plain:1/")
        );
        assert_eq!(
            intercepts(&proxy, "https://example.org/v1").as_deref(),
            Some("http://secure:2/")
        );
        assert_eq!(intercepts(&proxy, "http://localhost:8000/v1"), None);
        assert_eq!(intercepts(&proxy, "https://api.internal/v1"), None);
    }

    #[test]
    fn http_proxy_is_ignored_for_cgi_requests() {
        let proxy = Proxy::from_lookup(lookup(&[
            ("HTTP_PROXY", "http://evil:1"),
            ("REQUEST_METHOD", "GET"),
        ]));
        assert_eq!(intercepts(&proxy, "http://example.org/"), None);
    }

    #[test]
    fn no_variables_means_no_proxy() {
        assert!(Proxy::from_lookup(lookup(&[])).matcher().is_none());
        assert!(Proxy::none().matcher().is_none());
    }

    #[test]
    fn explicit_proxies_are_checked_and_debug_hides_credentials() {
        assert!(Proxy::all("socks5://x:1").is_err());
        assert!(Proxy::all("not a url").is_err());
        let proxy = Proxy::all("http://user:hunter2@proxy:3128").expect("valid proxy");
        assert_eq!(
            intercepts(&proxy, "https://example.org/").as_deref(),
            Some("http://proxy:3128/")
        );
        assert!(!format!("{proxy:?}").contains("hunter2"));
    }
}
