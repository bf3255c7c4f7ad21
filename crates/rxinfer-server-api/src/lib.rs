//! The Server API of RxInferServer: `GET /ping` and `GET /info`.
//!
//! Each operation is a function generic over any tower service that takes
//! an `http::Request<RequestBody>` and answers an `http::Response` with a
//! body; [`ServerApi`] gives the same operations as methods. Both return an
//! [`ApiResponse`] (which dereferences to the data) or an [`ApiError`]
//! whose kind the status decides.
//!
//! | call | sends | 200 | documented errors | retried |
//! |---|---|---|---|---|
//! | [`ping_server`] | `GET /ping`, never a token | [`PingResponse`] | none | yes |
//! | [`get_server_info`] | `GET /info`, bearer token | [`ServerInfo`] | 401 | yes |
//!
//! ```
//! use rxinfer_server_api::ServerApi;
//! use rxinfer_transport::{RequestBody, ResponseBody};
//! use tower::service_fn;
//!
//! # tokio_test::block_on(async {
//! let service = service_fn(|_: http::Request<RequestBody>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"status":"ok"}"#)))
//! });
//! assert!(ServerApi::new(service).ping_server().await?.is_ok());
//! # Ok::<(), rxinfer_server_api::ApiError>(())
//! # });
//! ```
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use rxinfer_api_core::ApiClient;
pub use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse, RequestOptions};
#[allow(unused_imports)] // the documentation's links
use rxinfer_models::{PingResponse, ServerInfo};

/// The Server API's table of operations, one entry each, handed to the
/// macro named first with the tokens in braces before them: to
/// [`rxinfer_api_core::declare_operations!`] here, and to the blocking
/// client's. [`rxinfer_api_core::declare_operations!`] says the form of an
/// entry.
#[macro_export]
macro_rules! server_operations {
    ($($then:ident)::+ { $($prefix:tt)* }) => {
        $($then)::+! {
            $($prefix)*
            /// Checks that the server is alive (`GET /ping`). It sends no token, so it
            /// answers with a token or without.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `{"status":"ok"}` | [`PingResponse`] |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure
            /// (the server is down).
            ///
            /// ```
            /// use rxinfer_server_api::{RequestOptions, ping_server};
            /// use rxinfer_transport::{RequestBody, ResponseBody};
            /// use tower::service_fn;
            ///
            /// # tokio_test::block_on(async {
            /// let service = service_fn(|request: http::Request<RequestBody>| async move {
            ///     assert_eq!(request.uri(), "/ping");
            ///     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"status":"ok"}"#)))
            /// });
            /// let ping = ping_server(service, &RequestOptions::new()).await?;
            /// assert_eq!(ping.status(), 200); // the HTTP status
            /// assert_eq!(ping.status, "ok"); // the body's field
            /// # Ok::<(), rxinfer_server_api::ApiError>(())
            /// # });
            /// ```
            fn ping_server() -> $crate::__models::PingResponse = GET "/ping", without_token;

            /// Reads the server's versions and edition (`GET /info`).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`ServerInfo`] |
            /// | 401: no valid token | [`ApiErrorKind::Unauthorized`] |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_server_api::{RequestOptions, get_server_info};
            /// use rxinfer_transport::{RequestBody, ResponseBody};
            /// use tower::service_fn;
            ///
            /// # tokio_test::block_on(async {
            /// let service = service_fn(|_: http::Request<RequestBody>| async {
            ///     let body = r#"{"rxinfer_version":"4.4.2","server_version":"0.1.4","server_edition":"CommunityEdition","julia_version":"1.11.5","api_version":"v1"}"#;
            ///     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(body)))
            /// });
            /// let info = get_server_info(service, &RequestOptions::new()).await?;
            /// assert_eq!(info.api_version, "v1");
            /// # Ok::<(), rxinfer_server_api::ApiError>(())
            /// # });
            /// ```
            fn get_server_info() -> $crate::__models::ServerInfo = GET "/info";
        }
    };
}

/// The Server API over a clonable service, as the official Python client's
/// `ServerApi`. Each method returns a future that owns a clone of the
/// service.
#[derive(Debug, Clone)]
pub struct ServerApi<S> {
    client: ApiClient<S>,
}

impl<S> ServerApi<S> {
    /// The API over `service`, with no per-call overrides.
    pub fn new(service: S) -> Self {
        Self::from_client(ApiClient::new(service))
    }

    /// The API over `client`'s service and settings.
    pub fn from_client(client: ApiClient<S>) -> Self {
        Self { client }
    }

    /// The same API, applying `options` to every call made through it.
    pub fn with_options(&self, options: RequestOptions) -> Self
    where
        S: Clone,
    {
        Self::from_client(self.client.clone().with_options(options))
    }

    /// The service and settings calls go through.
    pub fn client(&self) -> &ApiClient<S> {
        &self.client
    }
}

server_operations!(rxinfer_api_core::declare_operations { ServerApi; });

/// The models the table of operations names, for the crates that expand it.
#[doc(hidden)]
pub use rxinfer_models as __models;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
