//! The HTTP transport of the RxInferServer client: a [tower] service stack
//! over [hyper-util]'s pooled HTTP/1.1 client.
//!
//! [`Config`] holds every setting as plain data. [`Transport`] is the
//! default stack built from it: for each call it resolves the path under
//! the [`BaseUrl`], opens a tracing span, starts the deadline, takes the
//! bearer token (only for the base URL's origin, and only where the
//! [`Operation`] needs one), sends the request with retries
//! ([`RetryPolicy`]) and reads the body up to a limit, all in one future.
//! Its requests carry a [`RequestBody`] and its responses a
//! [`ResponseBody`] already read; every failure is an [`Error`].
//!
//! ```no_run
//! use std::time::Duration;
//! use rxinfer_transport::{Config, Transport};
//!
//! let mut config = Config::default();
//! config.base_url = "http://localhost:8000/v1".parse()?;
//! config.timeout = Duration::from_secs(5);
//! let transport = Transport::new(config)?.with_token("my-token")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate's parts, by source folder (all exported at the root):
//!
//! | folder | holds |
//! |---|---|
//! | `auth` | [`BearerToken`], [`TokenSource`] and [`StaticToken`] |
//! | `rules` | each rule in one file: base-URL resolution, credentials ([`set_authorization`], [`carries_credentials`]), retries ([`RetryPolicy`]), the body limit ([`read_whole`]) |
//! | `layers` | the same rules as layers for stacks built by hand: [`SetBaseUrlLayer`], [`BearerAuthLayer`], [`ResponseBodyLimitLayer`], [`RetryPolicy`] as tower's retry `Policy` |
//! | `connect` | [`HttpClient`] (two pools over a [`Connector`]), [`Proxy`] and [`ProxyConnector`], `TlsConfig` |
//! | `transport` | the default stack, which holds the order of the rules: [`Transport`], [`BoxTransport`] |
//!
//! Your own tower layers go into the default stack with
//! [`Transport::with_layer`], where they see every attempt, or around a
//! built transport, where they see every call once.
//!
//! # A stack by hand
//!
//! The layers behave as the default stack in this order: tower's `Retry`
//! outermost (so a call's retries, before and after a token renewal,
//! count against one limit, and its answer is marked
//! [`ResentAfterLostAnswer`] as the default stack marks it), then
//! [`SetBaseUrlLayer`] above [`BearerAuthLayer`] (the token's origin
//! binding needs the absolute URL: under it, no token goes), then
//! [`ResponseBodyLimitLayer`], so that each attempt's body is read under
//! the retries. `tests/layers_match_the_stack.rs` holds this stack to the
//! default one. Such a stack has no deadline unless you add one (tower's
//! `TimeoutLayer`, outermost), and no default headers (`User-Agent`,
//! `Accept`).
//!
//! ```no_run
//! use rxinfer_transport::{
//!     BearerAuthLayer, BearerToken, Config, HttpClient, ResponseBodyLimitLayer, RetryPolicy,
//!     SetBaseUrlLayer,
//! };
//! use tower::{ServiceBuilder, retry::RetryLayer};
//!
//! let base: rxinfer_transport::BaseUrl = "http://localhost:8000/v1".parse()?;
//! let stack = ServiceBuilder::new()
//!     .layer(RetryLayer::new(RetryPolicy::new()))
//!     .layer(SetBaseUrlLayer::new(base.clone()))
//!     .layer(BearerAuthLayer::new(BearerToken::new("my-token")?).bound_to(base))
//!     .layer(ResponseBodyLimitLayer::default())
//!     .service(HttpClient::new(&Config::default())?);
//! # let _ = stack;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [tower]: https://docs.rs/tower
//! [hyper-util]: https://docs.rs/hyper-util
#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: mark what features add.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod auth;
mod base_url;
mod call;
mod config;
mod connect;
mod error;
mod layers;
#[cfg(feature = "replicas")]
#[cfg_attr(docsrs, doc(cfg(feature = "replicas")))]
mod replicas;
mod rules;
#[cfg(test)]
mod test_env;
mod transport;

pub use auth::{
    BearerToken, Fingerprint, OnUnauthorized, StaticToken, TOKEN_VARIABLES, TokenFuture,
    TokenSource,
};
pub use base_url::{BaseUrl, IntoBaseUrl};
pub use call::{
    AnsweredBy, Operation, RequestBodyLimit, RequestTimeout, ResentAfterLostAnswer, TokenRejected,
};
pub use config::{
    Config, DEFAULT_CONNECT_TIMEOUT, DEFAULT_NON_IDEMPOTENT_REUSE, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_POOL_MAX_IDLE_PER_HOST, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use connect::proxy::{ProxiedStream, Proxy, ProxyConnector};
#[cfg(feature = "rustls")]
pub use connect::tls::{Roots, SSL_CERT_FILE, TlsConfig, crypto_provider};
pub use connect::{Connector, HttpClient, HttpResponseFuture};
pub use error::{
    BoxError, Error, InvalidBaseUrl, InvalidProxy, InvalidProxyReason, InvalidToken, SharedError,
};
pub use layers::{
    BearerAuth, BearerAuthFuture, BearerAuthLayer, ResponseBodyLimit, ResponseBodyLimitFuture,
    ResponseBodyLimitLayer, SetBaseUrl, SetBaseUrlFuture, SetBaseUrlLayer,
};
#[cfg(feature = "replicas")]
#[cfg_attr(docsrs, doc(cfg(feature = "replicas")))]
pub use replicas::{Balanced, BalancedFuture, HealthPolicy, ReplicaState, ReplicaStatus, Replicas};
pub use rules::{
    body_limit::{DEFAULT_BODY_LIMIT, read_whole},
    credentials::{carries_credentials, set_authorization},
    retry::RetryPolicy,
};
/// The rustls this crate links, for [`TlsConfig::from_rustls`]: a
/// configuration built with another version would not be accepted.
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub use rustls;
pub use transport::{BoxTransport, ResponseBody, ResponseFuture, Transport};

/// The body type of requests sent through the stack: the whole body in
/// memory (a JSON document, or empty).
pub type RequestBody = http_body_util::Full<bytes::Bytes>;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
