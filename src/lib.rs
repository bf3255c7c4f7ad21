//! A Rust client for [RxInferServer](https://server.rxinfer.com/), the REST
//! server of RxInfer probabilistic models: its Authentication, Server and
//! Models APIs over a tower HTTP stack.
//!
//! This crate is the front door: [`Client`] and its one builder, and the
//! crates it is built from, which can also be used one by one:
//!
//! | crate | re-exported as | what it holds |
//! |---|---|---|
//! | `rxinfer-models` | [`models`] | the serde types, for clients and servers |
//! | `rxinfer-transport` | [`transport`] | [`Config`], the default [`Transport`], the tower layers |
//! | `rxinfer-api-core` | [`api_core`] | [`ApiError`], [`ApiResponse`], [`RequestOptions`] |
//! | `rxinfer-auth-api` | [`auth_api`] | `token_generate`, `token_roles`, [`GeneratedToken`] |
//! | `rxinfer-server-api` | [`server_api`] | `ping_server`, `get_server_info` |
//! | `rxinfer-models-api` | [`models_api`] | the Models operations, [`InstanceHandle`] |
//!
//! ```no_run
//! use rxinfer_client::{Client, models::{CreateModelInstanceRequest, InferRequest, object}};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .base_url("http://localhost:8000/v1")?
//!     .generate_token()
//!     .build()?;
//! let coin = client
//!     .models()
//!     .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
//!     .await?;
//! let answer = client
//!     .models()
//!     .run_inference(&coin.instance_id, &InferRequest::new(object([("observation", 1)])))
//!     .await?;
//! println!("mean_p = {}", answer.results["mean_p"]);
//! # Ok(())
//! # }
//! ```
//!
//! Posteriors come back as Rust types: ask for a form with
//! [`ClientBuilder::preferences`] or [`RequestOptions::preferences`], and
//! read matrices and distributions off the answer under what the server
//! applied (`answer.matrix("A")`, `answer.distribution("w")`, see
//! [`models::Distribution`] and [`models::MdArray`]). Features: `ring`
//! (default: rustls on ring) or `aws-lc-rs`, `native-roots`,
//! `platform-verifier`, `blocking`, `replicas` (one client over several
//! replicas: `ClientBuilder::build_replicas`), `ndarray`, `nalgebra`.
//!
//! [`http`], [`bytes`], [`http_body_util`], [`serde_json`] and [`tower`]
//! are re-exported, so a mock or a layer needs no other dependency.
#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: mark what features add.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod builder;
mod client;

pub use builder::ClientBuilder;
pub use client::{BoxClient, BoxService, Client};

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use bytes;
pub use http;
/// Bodies: `Full`, `BodyExt::collect`, for mocks that read requests.
pub use http_body_util;
/// JSON values, for free-form objects that mix matrices with other values.
pub use serde_json;
pub use tower;

pub use rxinfer_api_core as api_core;
pub use rxinfer_api_core::{
    ApiError, ApiErrorKind, ApiResponse, DecodeError, RawResponse, RequestOptions, SentEvent,
    StatusError,
};
pub use rxinfer_auth_api as auth_api;
pub use rxinfer_auth_api::{AuthenticationApi, GeneratedToken};
pub use rxinfer_models as models;
pub use rxinfer_models_api as models_api;
pub use rxinfer_models_api::{InstanceHandle, ModelsApi, Reconciliation, instance_owner};
pub use rxinfer_server_api as server_api;
pub use rxinfer_server_api::ServerApi;
pub use rxinfer_transport as transport;
pub use rxinfer_transport::{
    BaseUrl, BearerAuthLayer, BoxTransport, Config, Error as TransportError, HttpClient, Operation,
    Proxy, RequestBody, ResponseBody, ResponseBodyLimitLayer, RetryPolicy, SetBaseUrlLayer,
    TokenSource, Transport,
};
#[cfg(feature = "replicas")]
#[cfg_attr(docsrs, doc(cfg(feature = "replicas")))]
pub use rxinfer_transport::{HealthPolicy, ReplicaState, ReplicaStatus, Replicas};
