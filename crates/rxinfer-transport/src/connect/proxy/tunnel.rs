//! An HTTP `CONNECT` tunnel through a proxy.
//!
//! hyper-util has one, but it reports every refusal but `407` as
//! "unsuccessful" without the proxy's status, which the caller needs to
//! tell a refused destination (`403`) from a broken proxy (`502`).

use std::{future::Future, pin::Pin};

use http::{HeaderValue, StatusCode, Uri};
use hyper::rt::{Read, Write};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::BoxError;

/// The most a proxy's answer to `CONNECT` may take.
const MAX_HEAD: usize = 8 * 1024;

/// Why a tunnel was not opened.
#[derive(Debug)]
pub(crate) enum TunnelError {
    /// The proxy answered with something other than `2xx`.
    Refused(StatusCode),
    /// The proxy's answer was not HTTP, too long, or cut short.
    Broken(BoxError),
}

/// Asks the proxy at the other end of `io` for a tunnel to `destination`
/// and returns the connection, now to the destination, once it agrees.
pub(crate) fn tunnel<T>(
    io: T,
    destination: Uri,
    credentials: Option<HeaderValue>,
) -> Pin<Box<dyn Future<Output = Result<T, TunnelError>> + Send>>
where
    T: Read + Write + Unpin + Send + 'static,
{
    // Boxed with `Send` spelled out: the compiler cannot otherwise see that
    // the buffers borrowed across its awaits are `Send` for every `T`.
    Box::pin(open(io, destination, credentials))
}

async fn open<T>(
    io: T,
    destination: Uri,
    credentials: Option<HeaderValue>,
) -> Result<T, TunnelError>
where
    T: Read + Write + Unpin,
{
    let host = destination
        .host()
        .ok_or_else(|| TunnelError::Broken("the destination has no host".into()))?;
    let port = destination.port_u16().unwrap_or(443);
    let mut head =
        format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    if let Some(credentials) = &credentials {
        head.extend_from_slice(b"Proxy-Authorization: ");
        head.extend_from_slice(credentials.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut io = TokioIo::new(io);
    let broken = |e: std::io::Error| TunnelError::Broken(e.into());
    io.write_all(&head).await.map_err(broken)?;
    io.flush().await.map_err(broken)?;

    let mut answer = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    let end = loop {
        let read = io.read(&mut chunk).await.map_err(broken)?;
        if read == 0 {
            return Err(TunnelError::Broken(
                "the proxy closed the connection".into(),
            ));
        }
        answer.extend_from_slice(&chunk[..read]);
        if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if answer.len() > MAX_HEAD {
            return Err(TunnelError::Broken("the proxy's answer is too long".into()));
        }
    };
    let status = status_of(&answer[..end])
        .ok_or_else(|| TunnelError::Broken("the proxy's answer is not HTTP".into()))?;
    if !status.is_success() {
        return Err(TunnelError::Refused(status));
    }
    if end != answer.len() {
        return Err(TunnelError::Broken(
            "the proxy sent data before the tunnel opened".into(),
        ));
    }
    Ok(io.into_inner())
}

/// The status of `HTTP/1.x NNN ...`.
fn status_of(head: &[u8]) -> Option<StatusCode> {
    let line = head.split(|b| *b == b'\r').next()?;
    let mut words = line.split(|b| *b == b' ');
    let version = words.next()?;
    if !version.starts_with(b"HTTP/1.") {
        return None;
    }
    StatusCode::from_bytes(words.next()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_line() {
        assert_eq!(
            status_of(b"HTTP/1.1 200 Connection established\r\n\r\n"),
            Some(StatusCode::OK)
        );
        assert_eq!(
            status_of(b"HTTP/1.0 407 Proxy Authentication Required\r\n\r\n"),
            Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(status_of(b"HTTP/1.1 abc\r\n\r\n"), None);
        assert_eq!(status_of(b""), None);
    }
}
