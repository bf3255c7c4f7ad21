//! The one error type of the transport, and the reasons behind its
//! configuration variants.

use std::time::Duration;

/// A type-erased error, as tower middleware commonly returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong between building a request and holding its
/// fully read response.
///
/// No variant's message contains a token or the body of a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL cannot address the server; raised when it is set.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(InvalidBaseUrl),
    /// The token cannot be sent in an `Authorization` header; raised when it
    /// is set.
    #[error("invalid token: {0}")]
    InvalidToken(InvalidToken),
    /// No token was found where one was asked for.
    #[error("no token in the environment: set RXINFER_TOKEN or BEARER_TOKEN")]
    MissingToken,
    /// A [`TokenSource`](crate::TokenSource) could not obtain a token.
    #[error("no token could be obtained")]
    TokenAcquisition(#[source] BoxError),
    /// The request's URI could not be resolved against the base URL.
    #[error("the request URI cannot be resolved against the base URL")]
    InvalidRequestUri(#[source] BoxError),
    /// The TLS settings cannot be used: a certificate or key that cannot be
    /// read, or a key that does not fit its certificate.
    #[error("invalid TLS settings")]
    InvalidTlsConfig(#[source] BoxError),
    /// The proxy setting cannot be used.
    #[error("invalid proxy: {0}")]
    InvalidProxy(BoxError),
    /// The TLS handshake failed, such as for a server certificate no trusted
    /// root vouches for.
    #[error("the TLS handshake with the server failed")]
    Tls(#[source] BoxError),
    /// No connection to the server could be made (refused, unreachable, DNS).
    #[error("could not connect to the server")]
    Connect(#[source] BoxError),
    /// The call took longer than its timeout; nothing was made up in its
    /// place.
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    /// The response body is larger than the limit; reading stopped there.
    #[error("the response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The connection failed while the response body was being read.
    #[error("reading the response body failed")]
    Body(#[source] BoxError),
    /// The HTTP exchange failed after connecting: the server closed the
    /// connection early or spoke something that is not HTTP/1.1.
    #[error("the HTTP exchange with the server failed")]
    Http(#[source] BoxError),
    /// A middleware layer outside this crate failed.
    #[error("a middleware layer failed")]
    Middleware(#[source] BoxError),
}

/// Why a base URL was rejected. The URL itself is not repeated, since it may
/// carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidBaseUrl {
    /// The text is not a URI.
    #[error("not a URI ({0})")]
    Unparsable(String),
    /// The URL has no `http://` or `https://` scheme.
    #[error("the URL has no scheme; start it with http:// or https://")]
    MissingScheme,
    /// The scheme is neither `http` nor `https`.
    #[error("the scheme `{0}` is not supported; use http or https")]
    UnsupportedScheme(String),
    /// The URL names no host.
    #[error("the URL has no host")]
    MissingHost,
    /// The URL carries `user:password@`, which this client does not send.
    #[error("credentials in the URL are not supported; use a token instead")]
    Credentials,
    /// The URL has a query string, which cannot prefix endpoint paths.
    #[error("the URL has a query string")]
    Query,
    /// `https` was asked for, but this build has no TLS support.
    #[error("https needs the `rustls` feature, which this build turned off")]
    TlsUnsupported,
}

/// Why a token was rejected. The token itself is never repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// The token is the empty string.
    #[error("the token is empty")]
    Empty,
    /// The token holds a control character (such as a line break) that
    /// would split or end the header.
    #[error("the token holds a control character at byte {position}")]
    ControlCharacter {
        /// Byte offset of the first such character.
        position: usize,
    },
    /// The token holds a space or tab, which the server would not read back.
    #[error("the token holds whitespace at byte {position}")]
    Whitespace {
        /// Byte offset of the first such character.
        position: usize,
    },
    /// The token holds a byte outside visible ASCII.
    #[error("the token holds a non-ASCII character at byte {position}")]
    NonAscii {
        /// Byte offset of the first such character.
        position: usize,
    },
}

impl From<InvalidBaseUrl> for Error {
    fn from(reason: InvalidBaseUrl) -> Self {
        Error::InvalidBaseUrl(reason)
    }
}

impl From<InvalidToken> for Error {
    fn from(reason: InvalidToken) -> Self {
        Error::InvalidToken(reason)
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Sorts a boxed error from any layer: our own errors come back unboxed,
/// the pooled client's are classified, anything else is a middleware error.
impl From<BoxError> for Error {
    fn from(error: BoxError) -> Self {
        let error = match error.downcast::<Error>() {
            Ok(ours) => return *ours,
            Err(other) => other,
        };
        match error.downcast::<hyper_util::client::legacy::Error>() {
            Ok(client) => Error::from(*client),
            Err(other) => Error::Middleware(other),
        }
    }
}

impl From<hyper_util::client::legacy::Error> for Error {
    fn from(error: hyper_util::client::legacy::Error) -> Self {
        // The rustls error says what failed ("invalid peer certificate:
        // UnknownIssuer"); the client error around it only says "Connect".
        #[cfg(feature = "rustls")]
        if let Some(tls) = crate::tls::tls_failure(&error).filter(|_| error.is_connect()) {
            return Error::Tls(tls.into());
        }
        if error.is_connect() {
            Error::Connect(error.into())
        } else {
            Error::Http(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_errors_of_ours_come_back_unboxed() {
        let boxed: BoxError = Box::new(Error::Timeout(Duration::from_secs(3)));
        assert!(matches!(Error::from(boxed), Error::Timeout(d) if d == Duration::from_secs(3)));
    }

    #[test]
    fn other_boxed_errors_are_middleware_errors() {
        let boxed: BoxError = "rate limited by my layer".into();
        let error = Error::from(boxed);
        assert!(matches!(error, Error::Middleware(_)));
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("rate limited by my layer"));
    }
}
