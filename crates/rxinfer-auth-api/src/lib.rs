//! The Authentication API of RxInferServer: `POST /token/generate` and
//! `GET /token/roles`, and [`GeneratedToken`], a token source that
//! generates its token itself.
//!
//! Each operation is a function generic over any tower [`Service`] that takes
//! an `http::Request<`[`RequestBody`]`>` and answers an `http::Response`
//! with a body: the default [`Transport`](rxinfer_transport::Transport), a
//! stack of your own, or a mock. [`AuthenticationApi`] gives the same
//! operations as methods. Both return the same [`ApiResponse`], which
//! dereferences to the data and keeps the status and headers.
//!
//! | call | sends | 200 | documented error | retried |
//! |---|---|---|---|---|
//! | [`token_generate`] | `POST /token/generate`, never a token | [`TokenGenerateResponse`](rxinfer_models::TokenGenerateResponse) | 400 | never once it may have reached the server |
//! | [`token_roles`] | `GET /token/roles`, bearer token | [`TokenRolesResponse`](rxinfer_models::TokenRolesResponse) | 401 | yes |
//!
//! Errors are [`ApiError`]s, whose kind the status decides (see
//! `rxinfer-api-core`).
//!
//! ```
//! use rxinfer_auth_api::AuthenticationApi;
//! use rxinfer_transport::{RequestBody, ResponseBody};
//! use tower::service_fn;
//!
//! # tokio_test::block_on(async {
//! // Any service will do; this one answers every request with the same roles.
//! let service = service_fn(|_: http::Request<RequestBody>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(ResponseBody::from(r#"{"roles":["user"]}"#)))
//! });
//! let api = AuthenticationApi::new(service);
//! assert_eq!(api.token_roles().await?.roles, ["user"]);
//! # Ok::<(), rxinfer_auth_api::ApiError>(())
//! # });
//! ```
//!
//! [`Service`]: tower::Service
//! [`RequestBody`]: rxinfer_transport::RequestBody
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod authentication_api;
mod generated_token;
mod token_store;

pub use authentication_api::{AuthenticationApi, token_generate, token_roles};
pub use generated_token::{GeneratedToken, TokenReplaced};
pub use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse, RequestOptions};
pub use token_store::{FileTokenStore, StoreFuture, TokenStore, TokenStoreError, origin_of};

/// The models the table of operations names, for the crates that expand it.
#[doc(hidden)]
pub use rxinfer_models as __models;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
