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

use std::future::Future;

use http::Method;
use rxinfer_api_core::ApiService;
use rxinfer_api_core::{ApiClient, Call, Endpoint};
pub use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse, RequestOptions};
use rxinfer_models::{PingResponse, ServerInfo};
use rxinfer_transport::Operation;

static PING_SERVER: Endpoint = Endpoint::fixed(
    Method::GET,
    Operation::new("ping_server").without_token(),
    "/ping",
);
static GET_SERVER_INFO: Endpoint =
    Endpoint::fixed(Method::GET, Operation::new("get_server_info"), "/info");

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
pub fn ping_server<S>(
    service: S,
    options: &RequestOptions,
) -> impl Future<Output = Result<ApiResponse<PingResponse>, ApiError>> + use<S>
where
    S: ApiService,
{
    ServerApi::from_client(ApiClient::new(service).with_options(options.clone())).ping_server()
}

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
pub fn get_server_info<S>(
    service: S,
    options: &RequestOptions,
) -> impl Future<Output = Result<ApiResponse<ServerInfo>, ApiError>> + use<S>
where
    S: ApiService,
{
    ServerApi::from_client(ApiClient::new(service).with_options(options.clone())).get_server_info()
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

impl<S> ServerApi<S>
where
    S: ApiService,
{
    /// Checks that the server is alive; see [`ping_server`].
    ///
    /// # Errors
    ///
    /// As [`ping_server`].
    pub fn ping_server(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<PingResponse>, ApiError>> + use<S> {
        self.client.send(Call::fixed(&PING_SERVER))
    }

    /// Reads the server's versions; see [`get_server_info`].
    ///
    /// # Errors
    ///
    /// As [`get_server_info`].
    pub fn get_server_info(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<ServerInfo>, ApiError>> + use<S> {
        self.client.send(Call::fixed(&GET_SERVER_INFO))
    }
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
