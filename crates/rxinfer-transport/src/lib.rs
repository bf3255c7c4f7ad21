//! The HTTP transport of the RxInferServer client: a [tower] service stack
//! over [hyper-util]'s pooled HTTP/1.1 client.
//!
//! Each concern is one layer that can be used alone, in any tower stack:
//!
//! | layer | service | what it does |
//! |---|---|---|
//! | [`TimeoutLayer`] | [`Timeout`] | fails a call that takes too long with [`Error::Timeout`], overridable per request with [`RequestTimeout`] |
//! | tower's [`RetryLayer`](tower::retry::RetryLayer) with a [`RetryPolicy`] | [`Retry`](tower::retry::Retry) | sends a failed call again when that is safe, with backoff and a budget |
//! | [`SetUserAgentLayer`] | [`SetUserAgent`] | adds a `User-Agent` unless the request has one |
//! | [`SetBaseUrlLayer`] | [`SetBaseUrl`] | resolves a request's path under a [`BaseUrl`], keeping the base's path |
//! | [`BearerAuthLayer`] | [`BearerAuth`] | adds `Authorization: Bearer <token>` from a [`TokenSource`], marked sensitive, except on [`NoAuth`] requests and other origins; renews a rejected token once when the source can |
//! | [`ResponseBodyLimitLayer`] | [`ResponseBodyLimit`] | reads the response body into [`Bytes`](bytes::Bytes), failing with [`Error::BodyTooLarge`] past a limit |
//!
//! Under them, [`HttpClient`] is hyper-util's pooled client over a
//! [`ProxyConnector`] (proxies per [`Proxy`]), with TLS for `https` under
//! the default `rustls` feature (see `TlsConfig`).
//!
//! [`Transport`] is the default stack of all six, in that order from the
//! outside in, built by [`TransportBuilder`]. Its requests carry a
//! [`RequestBody`] and its responses a fully read [`Bytes`](bytes::Bytes)
//! body; every failure is an [`Error`].
//!
//! ```no_run
//! use std::time::Duration;
//! use rxinfer_transport::Transport;
//!
//! let transport = Transport::builder()
//!     .base_url("http://localhost:8000/v1")?
//!     .token("my-token")?
//!     .timeout(Duration::from_secs(5))
//!     .build()?;
//! # Ok::<(), rxinfer_transport::Error>(())
//! ```
//!
//! To put a layer of your own into the stack, compose the same pieces with
//! [`tower::ServiceBuilder`] over [`Transport::http_client`] (see the
//! `custom_middleware` example of the `rxinfer-client` crate).
//!
//! [tower]: https://docs.rs/tower
//! [hyper-util]: https://docs.rs/hyper-util
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod base_url;
mod bearer_auth;
mod bearer_token;
mod error;
mod http_client;
mod proxy;
mod request_copy;
mod response_body_limit;
mod retry;
mod set_base_url;
mod set_user_agent;
#[cfg(test)]
mod test_env;
mod timeout;
#[cfg(feature = "rustls")]
mod tls;
mod token_source;
mod transport;

pub use base_url::BaseUrl;
pub use bearer_auth::{BearerAuth, BearerAuthLayer, NoAuth};
pub use bearer_token::BearerToken;
pub use error::{BoxError, Error, InvalidBaseUrl, InvalidToken};
pub use http_client::HttpClient;
pub use proxy::{ProxiedStream, Proxy, ProxyConnector};
pub use response_body_limit::{
    DEFAULT_BODY_LIMIT, ResponseBodyLimit, ResponseBodyLimitFuture, ResponseBodyLimitLayer,
};
pub use retry::RetryPolicy;
pub use set_base_url::{SetBaseUrl, SetBaseUrlFuture, SetBaseUrlLayer};
pub use set_user_agent::{DEFAULT_USER_AGENT, SetUserAgent, SetUserAgentLayer};
pub use timeout::{DEFAULT_TIMEOUT, RequestTimeout, Timeout, TimeoutFuture, TimeoutLayer};
#[cfg(feature = "rustls")]
pub use tls::TlsConfig;
pub use token_source::{StaticToken, TOKEN_VARIABLES, TokenFuture, TokenSource};
pub use transport::{Transport, TransportBuilder};

/// The body type of requests sent through the stack: the whole body in
/// memory, empty for the Authentication endpoints.
pub type RequestBody = http_body_util::Full<bytes::Bytes>;
