//! The one error type of the transport, and the reasons behind its
//! configuration variants.

use std::{fmt, sync::Arc, time::Duration};

use http::StatusCode;

/// A type-erased error, as tower middleware commonly returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong between building a request and holding its
/// fully read response.
///
/// No variant's message contains a token, a password or the body of a
/// request or response.
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
    /// A [`TokenSource`](crate::TokenSource) could not obtain a token. Never
    /// retried: a retry would generate the token again.
    #[error("no token could be obtained")]
    TokenAcquisition(#[source] BoxError),
    /// The request's URI could not be resolved against the base URL.
    #[error("the request URI cannot be resolved against the base URL")]
    InvalidRequestUri(#[source] BoxError),
    /// The TLS settings cannot be used: a certificate or key that cannot be
    /// read, or a key that does not fit its certificate.
    #[error("invalid TLS settings")]
    InvalidTlsConfig(#[source] BoxError),
    /// A proxy setting cannot be used; raised when the client is built.
    #[error("invalid proxy: {0}")]
    InvalidProxy(InvalidProxy),
    /// The proxy could not be reached, or refused to forward the request
    /// (`status`, such as `407 Proxy Authentication Required`).
    #[error("{}", proxy_message(.proxy, .status))]
    Proxy {
        /// The proxy's scheme, host and port; never its credentials.
        proxy: String,
        /// The status the proxy answered a `CONNECT` with, when it answered.
        status: Option<StatusCode>,
        /// What failed underneath, when something did.
        #[source]
        source: Option<BoxError>,
    },
    /// The TLS handshake failed, such as for a server certificate no trusted
    /// root vouches for.
    #[error("the TLS handshake with the server failed")]
    Tls(#[source] BoxError),
    /// No connection to the server could be made (refused, unreachable, DNS,
    /// connect timeout). The request never left, so any call may be retried.
    #[error("could not connect to the server")]
    Connect(#[source] BoxError),
    /// The call took longer than its timeout; nothing was made up in its
    /// place.
    #[error("the request timed out after {0:?}")]
    Timeout(Duration),
    /// A timeout layer of your own (added with `ClientBuilder::layer`,
    /// [`Transport::with_layer`](crate::Transport::with_layer) or around
    /// the client) gave up on the call after a duration this error cannot
    /// know: tower's `Timeout`, which fails with its `Elapsed` error
    /// (`status` is `None`), or tower-http's `TimeoutLayer`, which answers
    /// in the server's place with the status it was given and no header
    /// and no body (`status` is that status, `408` or `504`). A server's
    /// own `408` or `504` has headers and stays a status.
    #[error("{}", layer_timeout_message(.status))]
    LayerTimeout {
        /// The status a timeout layer answered with in the server's place,
        /// if it answered.
        status: Option<StatusCode>,
    },
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

    /// A replica set (feature `replicas`) was given no URL.
    #[error("a replica set needs at least one URL")]
    NoReplicas,

    /// Every replica of the set is ejected until a probe readmits it: the
    /// call was not sent.
    #[error("no replica is ready: each is out of the set until a probe readmits it")]
    NoReplicaReady,

    /// A replica answered `401` to the token that other replicas accept:
    /// it reads another database. It was ejected and the token kept.
    #[error(
        "the replica {replica} rejected the token that other replicas accept: it reads another \
         database, and left the set"
    )]
    ReplicaRejectedToken {
        /// The replica that rejected the token.
        replica: crate::BaseUrl,
    },
}

fn layer_timeout_message(status: &Option<StatusCode>) -> String {
    match status {
        Some(status) => format!(
            "a timeout layer gave up on the request and answered {status} in the server's place"
        ),
        None => "a timeout layer gave up on the request".to_owned(),
    }
}

fn proxy_message(proxy: &str, status: &Option<StatusCode>) -> String {
    match status {
        Some(status) => format!("the proxy {proxy} answered {status}"),
        None => format!("could not connect through the proxy {proxy}"),
    }
}

impl Error {
    /// Whether the call failed for lack of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_) | Error::LayerTimeout { .. })
    }

    /// Whether no connection could be made, to the server or to a proxy.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Error::Connect(_) | Error::Tls(_) | Error::Proxy { status: None, .. }
        )
    }

    /// A short, stable name for the kind of failure, as tracing's
    /// `error.type` field records it (`timeout`, `connect`, `proxy`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::InvalidBaseUrl(_) => "invalid_base_url",
            Error::InvalidToken(_) => "invalid_token",
            Error::MissingToken => "missing_token",
            Error::TokenAcquisition(_) => "token_acquisition",
            Error::InvalidRequestUri(_) => "invalid_request_uri",
            Error::InvalidTlsConfig(_) => "invalid_tls_config",
            Error::InvalidProxy(_) => "invalid_proxy",
            Error::Proxy { .. } => "proxy",
            Error::Tls(_) => "tls",
            Error::Connect(_) => "connect",
            Error::Timeout(_) | Error::LayerTimeout { .. } => "timeout",
            Error::BodyTooLarge { .. } => "body_too_large",
            Error::Body(_) => "body",
            Error::Http(_) => "http",
            Error::Middleware(_) => "middleware",
            Error::NoReplicas => "no_replicas",
            Error::NoReplicaReady => "no_replica_ready",
            Error::ReplicaRejectedToken { .. } => "replica_rejected_token",
        }
    }

    /// Whether the request never left the client (no connection, a proxy
    /// that could not be reached, no replica ready), so that sending it
    /// again cannot repeat its effect.
    pub fn never_sent(&self) -> bool {
        matches!(
            self,
            Error::Connect(_) | Error::Proxy { status: None, .. } | Error::NoReplicaReady
        )
    }
}

/// An error that several waiting calls share: the first caller's failure,
/// handed to each of them. It keeps the original's message and source.
#[derive(Clone)]
pub struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

impl SharedError {
    /// Shares `error`.
    pub fn new(error: impl Into<BoxError>) -> Self {
        Self(Arc::from(error.into()))
    }
}

impl fmt::Debug for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
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
    /// The port is empty, not a number, or above 65535.
    #[error("the port is not a number from 1 to 65535")]
    InvalidPort,
    /// The URL carries `user:password@`, which this client does not send.
    #[error("credentials in the URL are not supported; use a token instead")]
    Credentials,
    /// The URL has a query string or a fragment, which cannot prefix
    /// endpoint paths.
    #[error("the URL has a query string or a fragment")]
    Query,
    /// `https` was asked for, but this build has no TLS support.
    #[error(
        "https needs TLS, which this build left out: turn on the `ring` (default) or `aws-lc-rs` feature"
    )]
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

/// Why a proxy setting was rejected: which setting, and what is wrong with
/// it. The proxy URL is never repeated, since it may carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", .variable.map(|v| format!("in {v}: ")).unwrap_or_default())]
pub struct InvalidProxy {
    /// The environment variable the setting came from, if it came from one.
    pub variable: Option<&'static str>,
    /// What is wrong with it.
    pub reason: InvalidProxyReason,
}

/// What is wrong with a proxy URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidProxyReason {
    /// The text is not a URL.
    #[error("not a URL")]
    Unparsable,
    /// The URL names no host.
    #[error("the proxy URL names no host")]
    MissingHost,
    /// The scheme is not one this client speaks.
    #[error("the proxy scheme `{0}` is not supported; use http, https, socks5 or socks5h")]
    UnsupportedScheme(String),
    /// An `https` proxy in a build without TLS support.
    #[error(
        "an https proxy needs TLS, which this build left out: turn on the `ring` (default) or `aws-lc-rs` feature"
    )]
    TlsUnsupported,
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

impl From<InvalidProxy> for Error {
    fn from(reason: InvalidProxy) -> Self {
        Error::InvalidProxy(reason)
    }
}

impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Sorts a boxed error from any layer: our own errors come back unboxed,
/// the pooled client's are classified, tower's timeout is a
/// [`Error::LayerTimeout`], anything else is a middleware error.
impl From<BoxError> for Error {
    fn from(error: BoxError) -> Self {
        let error = match error.downcast::<Error>() {
            Ok(ours) => return *ours,
            Err(other) => other,
        };
        let error = match error.downcast::<hyper_util::client::legacy::Error>() {
            Ok(client) => return crate::connect::classify(*client),
            Err(other) => other,
        };
        if error.is::<tower::timeout::error::Elapsed>() {
            return Error::LayerTimeout { status: None };
        }
        Error::Middleware(error)
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

    #[test]
    fn towers_timeout_is_a_timeout_without_a_made_up_duration() {
        let boxed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        let error = Error::from(boxed);
        assert!(error.is_timeout(), "{error:?}");
        assert_eq!(error.kind_name(), "timeout");
        assert_eq!(error.to_string(), "a timeout layer gave up on the request");
    }

    #[test]
    fn proxy_errors_name_the_proxy_and_its_status() {
        let error = Error::Proxy {
            proxy: "http://proxy.internal:3128".into(),
            status: Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED),
            source: None,
        };
        assert_eq!(
            error.to_string(),
            "the proxy http://proxy.internal:3128 answered 407 Proxy Authentication Required"
        );
        assert!(!error.is_connect());
        let unreachable = Error::Proxy {
            proxy: "socks5h://127.0.0.1:1080".into(),
            status: None,
            source: Some("refused".into()),
        };
        assert!(unreachable.is_connect() && unreachable.never_sent());
    }

    #[test]
    fn invalid_proxies_name_the_variable() {
        let error = InvalidProxy {
            variable: Some("HTTPS_PROXY"),
            reason: InvalidProxyReason::UnsupportedScheme("ftp".into()),
        };
        assert_eq!(
            error.to_string(),
            "in HTTPS_PROXY: the proxy scheme `ftp` is not supported; use http, https, socks5 or socks5h"
        );
    }

    #[test]
    fn a_shared_error_keeps_message_and_source() {
        let inner = Error::TokenAcquisition("generation failed".into());
        let shared = SharedError::new(inner);
        let again = shared.clone();
        assert_eq!(again.to_string(), "no token could be obtained");
        assert_eq!(
            std::error::Error::source(&again).map(ToString::to_string),
            Some("generation failed".to_owned())
        );
    }
}
