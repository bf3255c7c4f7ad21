//! Connections: hyper-util's pooled client over a connector that goes
//! through proxies and speaks TLS. Each piece is public, so a stack can be
//! built over a connector of your own.

mod http_client;
pub(crate) mod proxy;
#[cfg(feature = "rustls")]
pub(crate) mod tls;

pub use http_client::{Connector, HttpClient, HttpResponseFuture};

use crate::Error;

/// Sorts a failure of hyper-util's client: a proxy's refusal from our
/// connector comes back as the [`Error::Proxy`] it was, a failed handshake
/// as [`Error::Tls`], then connect or exchange.
pub(crate) fn classify(error: hyper_util::client::legacy::Error) -> Error {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(cause) = next {
        if let Some(Error::Proxy { proxy, status, .. }) = cause.downcast_ref::<Error>() {
            return Error::Proxy {
                proxy: proxy.clone(),
                status: *status,
                source: Some(error.into()),
            };
        }
        next = cause.source();
    }
    // The rustls error says what failed ("invalid peer certificate:
    // UnknownIssuer"); the client error around it only says "Connect".
    #[cfg(feature = "rustls")]
    if let Some(tls) = tls::tls_failure(&error).filter(|_| error.is_connect()) {
        return Error::Tls(tls.into());
    }
    if error.is_connect() {
        Error::Connect(error.into())
    } else {
        Error::Http(error.into())
    }
}
