//! The Authentication API of RxInferServer: `POST /token/generate` and
//! `GET /token/roles`.
//!
//! Each operation is a function generic over any tower [`Service`] that takes
//! an `http::Request<`[`RequestBody`]`>` and answers an
//! `http::Response<`[`Bytes`]`>`: the default
//! [`Transport`](rxinfer_transport::Transport), a stack of your own, or a
//! mock. [`AuthenticationApi`] wraps a clonable service and gives the same
//! operations as methods, the way the official Python client's
//! `AuthenticationApi` does.
//!
//! Responses are decoded by status code, as the OpenAPI document defines
//! them; everything else is an [`ApiError`] that keeps what the server sent.
//!
//! | call | sends | 200 | documented error | anything else |
//! |---|---|---|---|---|
//! | [`token_generate`] | `POST /token/generate`, no `Authorization` | [`TokenGenerateResponse`](rxinfer_models::TokenGenerateResponse) | 400 → [`ApiError::BadRequest`] | [`ApiError::UnexpectedStatus`] |
//! | [`token_roles`] | `GET /token/roles`, bearer token | [`TokenRolesResponse`](rxinfer_models::TokenRolesResponse) | 401 → [`ApiError::Unauthorized`] | [`ApiError::UnexpectedStatus`] |
//!
//! A documented status whose body is not the documented JSON is
//! [`ApiError::InvalidBody`]; a failure before a response is
//! [`ApiError::Transport`].
//!
//! ```
//! use bytes::Bytes;
//! use rxinfer_auth_api::AuthenticationApi;
//! use rxinfer_transport::RequestBody;
//! use tower::service_fn;
//!
//! # tokio_test::block_on(async {
//! // Any service will do; this one answers every request with the same roles.
//! let service = service_fn(|_: http::Request<RequestBody>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Bytes::from_static(br#"{"roles":["user"]}"#)))
//! });
//! let api = AuthenticationApi::new(service);
//! assert_eq!(api.token_roles().await?.roles, ["user"]);
//! # Ok::<(), rxinfer_auth_api::ApiError>(())
//! # });
//! ```
//!
//! [`Service`]: tower::Service
//! [`RequestBody`]: rxinfer_transport::RequestBody
//! [`Bytes`]: bytes::Bytes
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod api_response;
mod authentication_api;
mod error;
mod generated_token;
mod operation;
mod request_options;
mod token_generate;
mod token_roles;

pub use api_response::ApiResponse;
pub use authentication_api::AuthenticationApi;
pub use error::{ApiError, DecodeError, RawResponse};
pub use generated_token::GeneratedToken;
pub use request_options::RequestOptions;
pub use token_generate::token_generate;
pub use token_roles::token_roles;
