//! A connection made by [`ProxyConnector`](super::ProxyConnector): to the
//! server, or to a proxy, in clear text or over TLS to the proxy.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};

/// A connection, to the server or to a proxy that forwards requests.
#[derive(Debug)]
pub struct ProxiedStream<T> {
    io: Io<T>,
    // Plain-http requests to a forwarding proxy go in absolute form.
    forwarding: bool,
    extras: bool,
}

#[derive(Debug)]
enum Io<T> {
    Plain(T),
    #[cfg(feature = "rustls")]
    Tls(Box<hyper_util::rt::TokioIo<tokio_rustls::client::TlsStream<hyper_util::rt::TokioIo<T>>>>),
}

impl<T> ProxiedStream<T> {
    /// A connection the request goes over as it would without a proxy.
    pub(crate) fn direct(io: T) -> Self {
        Self {
            io: Io::Plain(io),
            forwarding: false,
            extras: true,
        }
    }

    /// A connection to a proxy that forwards plain-http requests.
    pub(crate) fn forwarding(io: T) -> Self {
        Self {
            io: Io::Plain(io),
            forwarding: true,
            extras: true,
        }
    }

    #[cfg(feature = "rustls")]
    pub(crate) fn tls(
        io: tokio_rustls::client::TlsStream<hyper_util::rt::TokioIo<T>>,
        forwarding: bool,
    ) -> Self {
        Self {
            io: Io::Tls(Box::new(hyper_util::rt::TokioIo::new(io))),
            forwarding,
            extras: true,
        }
    }

    /// The same connection, reporting none of the connector's extras. For
    /// the built-in TCP connector: its one extra, hyper-util's `HttpInfo`
    /// (the socket addresses), would be copied into a new extensions map on
    /// every response (three allocations; callgrind: about 540 instructions
    /// a call), and nothing in the client reads it.
    pub(crate) fn without_extras(mut self) -> Self {
        self.extras = false;
        self
    }
}

impl<T: Connection> Connection for ProxiedStream<T> {
    fn connected(&self) -> Connected {
        let inner = match &self.io {
            Io::Plain(io) => io.connected(),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => io.inner().get_ref().0.inner().connected(),
        };
        // A connection the inner connector made through a proxy of its own
        // stays one.
        let proxied = self.forwarding || inner.is_proxied();
        if self.extras {
            return inner.proxy(proxied);
        }
        let connected = Connected::new().proxy(proxied);
        if inner.is_negotiated_h2() {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl<T: Read + Write + Unpin> Read for ProxiedStream<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(io) => Pin::new(io).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<T: Read + Write + Unpin> Write for ProxiedStream<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Io::Plain(io) => Pin::new(io).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(io) => Pin::new(io).poll_flush(cx),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.io {
            Io::Plain(io) => Pin::new(io).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(io) => io.is_write_vectored(),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.io {
            Io::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            Io::Tls(io) => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper_util::rt::TokioIo;

    #[tokio::test]
    async fn connections_report_the_proxy_and_extras_only_when_kept() -> io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let tcp = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        let io = TokioIo::new(tcp);
        let mut hyper_util_would = http::Extensions::new();
        io.connected().get_extras(&mut hyper_util_would);
        assert_eq!(hyper_util_would.len(), 1, "hyper-util adds HttpInfo");

        let kept = ProxiedStream::direct(TokioIo::new(
            tokio::net::TcpStream::connect(listener.local_addr()?).await?,
        ))
        .connected();
        let mut extras = http::Extensions::new();
        kept.get_extras(&mut extras);
        assert_eq!(extras.len(), 1, "a connector's extras are kept by default");

        let direct = ProxiedStream::direct(io).without_extras().connected();
        let mut extras = http::Extensions::new();
        direct.get_extras(&mut extras);
        assert!(extras.is_empty());
        assert!(!direct.is_proxied());
        let tcp = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
        assert!(
            ProxiedStream::forwarding(TokioIo::new(tcp))
                .connected()
                .is_proxied()
        );
        Ok(())
    }
}
