//! A Rust client for [RxInferServer](https://server.rxinfer.com/), the REST
//! server of RxInfer probabilistic models: its Authentication API over a
//! tower HTTP stack.
//!
//! This crate is the front door. It re-exports the crates it is built from,
//! which can also be used one by one:
//!
//! | crate | re-exported as | what it holds |
//! |---|---|---|
//! | `rxinfer-models` | [`models`] | the serde types, for clients and servers |
//! | `rxinfer-transport` | [`transport`] | the tower layers and the default [`Transport`] |
//! | `rxinfer-auth-api` | [`auth_api`] | `token_generate` and `token_roles`, generic over the service |
//!
//! ```no_run
//! use rxinfer_client::Client;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder().base_url("http://localhost:8000/v1")?.build()?;
//! let generated = client.authentication().token_generate().await?;
//!
//! let client = client.with_token(generated.token.expose())?;
//! let roles = client.authentication().token_roles().await?;
//! assert_eq!(roles.roles, ["user"]);
//! # Ok(())
//! # }
//! ```
//!
//! [`Client::from_service`] takes any tower service instead of the default
//! stack: one with middleware of your own, or a mock.
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod client;

pub use client::{Client, ClientBuilder};

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use rxinfer_auth_api as auth_api;
pub use rxinfer_auth_api::{ApiError, ApiResponse, AuthenticationApi, RequestOptions};
pub use rxinfer_models as models;
pub use rxinfer_transport as transport;
pub use rxinfer_transport::{Error as TransportError, Transport};
