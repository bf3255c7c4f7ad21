//! An in-process stand-in for RxInferServer's Authentication endpoints, for
//! tests, examples and benchmarks: a real HTTP/1.1 server on `127.0.0.1`
//! that behaves as the real server does for these routes.
//!
//! | route | behaviour |
//! |---|---|
//! | `POST {base}/token/generate` | mints a UUIDv4 token with roles `["user"]`; echoes a presented `Bearer X` as `{"token":"X"}` instead; `400` [`ErrorResponse`] when [`fail_token_generation`](MockServerBuilder::fail_token_generation) is on |
//! | `GET {base}/token/roles` | `200` [`TokenRolesResponse`] for a known token, `401` [`UnauthorizedResponse`] otherwise; `dev-token` and `dev-token:a,b` when [`dev_token`](MockServerBuilder::dev_token) is on |
//! | `OPTIONS` anything | `200`, empty |
//! | a known route, other method | `405`, empty, with `Allow` |
//! | anything else | `404`, empty |
//! | the first N requests, with [`unavailable_for`](MockServerBuilder::unavailable_for) | `503` with `Retry-After: 0` |
//!
//! Every response carries `Access-Control-Allow-Origin: *`, and JSON ones
//! `Content-Type: application/json`. The bodies are encoded from the
//! `rxinfer-models` types, the way a server reuses them.
//!
//! ```
//! # tokio_test::block_on(async {
//! let server = rxinfer_mock_server::MockServer::start().await?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(server.url().ends_with("/v1"));
//! server.shutdown().await;
//! # Ok::<(), std::io::Error>(())
//! # });
//! ```
//!
//! [`ErrorResponse`]: rxinfer_models::ErrorResponse
//! [`TokenRolesResponse`]: rxinfer_models::TokenRolesResponse
//! [`UnauthorizedResponse`]: rxinfer_models::UnauthorizedResponse
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod builder;
mod recorded_request;
mod routes;
mod server;
mod state;

pub use builder::MockServerBuilder;
pub use recorded_request::RecordedRequest;
pub use routes::{BAD_REQUEST_MESSAGE, UNAUTHORIZED_MESSAGE, UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN};
pub use server::MockServer;
