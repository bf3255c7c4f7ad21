//! An in-process stand-in for RxInferServer, for tests, examples and
//! benchmarks: a real HTTP/1.1 server on `127.0.0.1` that answers every
//! operation of the API as the real server does (read from its source:
//! statuses, exact messages, ownership, episodes), and computes the models
//! it ships.
//!
//! | routes under the base path | behaviour |
//! |---|---|
//! | `GET /ping`, `GET /info` | `{"status":"ok"}` without a token; the [`ServerInfo`](rxinfer_models::ServerInfo) set with [`server_info`](StandInBuilder::server_info) |
//! | `POST /token/generate`, `GET /token/roles` | mints UUIDv4 tokens with roles `["user"]`, echoes a presented `Bearer X` instead; the development token when [`dev_token`](StandInBuilder::dev_token) is on |
//! | `/models/available[/{name}]` | the models sharing a role with the token |
//! | `/models/create-instance`, `/models/instances`, `/models/i/{id}` | instances owned by the token that created them: another token's is a 404, as a missing or deleted one |
//! | `/models/i/{id}/state`, `/parameters`, `/infer`, `/learn` | the model's state, the current episode's parameters; inference records its event in the episode it names (`default` unless named), learning uses the unprocessed events (all with `relearn`) |
//! | `/models/i/{id}/create-episode`, `/episodes[/{name}]`, `.../attach-events`, `.../wipe`, `.../events/{event_id}/attach-metadata` | episodes with their event counters, soft deletes, `default` that cannot be deleted, wipes that reset parameters |
//! | `OPTIONS` anything | `200`, empty |
//! | a known route, other method | `405`, empty, with `Allow` |
//! | anything else | `404`, empty |
//! | a path with empty segments (`//`, a trailing `/`) | routed without them, as the real router does: `/models/i/{id}/episodes/` is the episode list |
//! | a body that cannot be read, a missing required field, a description over 128 characters, a model that fails to start (`initial_state`, `initial_parameters`) or to learn | `500`, empty, connection closed (the real server's exception) |
//!
//! Every response carries `Access-Control-Allow-Origin: *`, and JSON ones
//! `Content-Type: application/json`. Matrices and distributions in model
//! outputs (state, parameters, results) are written in the form the
//! request's `Prefer` asks for, and each applied piece is echoed on a
//! `Preference-Applied` line of a `200`, as the real server does. Bodies are encoded from the
//! `rxinfer-models` types, the way a server reuses them.
//!
//! It serves [`BetaBernoulli`] and [`DirichletCategorical`], computing what
//! the real server computes, any [`Model`] registered with
//! [`StandInBuilder::model`], and, with
//! [`with_test_models`](StandInBuilder::with_test_models), the models of the
//! real server's own test suite. [`ConjugateRegression`] is the stand-in's
//! own: an exact multivariate Normal posterior and a matrix, for testing
//! readers of both (`StandIn::builder().model(ConjugateRegression::default())`).
//!
//! With the feature `cluster`, `StandInCluster` starts replicas sharing one
//! store, as RxInferServer's replicas share one MongoDB; each `Replica` can
//! be stopped and restarted, slowed, or made to fail (`Fault`) while a test
//! runs, `StandInBuilder::inference_cost` bounds a replica's throughput as
//! a single worker's, and the cluster says where requests went and which
//! state changes arrived twice.
//!
//! ```
//! # tokio_test::block_on(async {
//! let server = rxinfer_stand_in::StandIn::start().await?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(server.url().ends_with("/v1"));
//! server.shutdown().await;
//! # Ok::<(), std::io::Error>(())
//! # });
//! ```
#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: mark what features add.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod builder;
mod clock;
#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "cluster")]
mod control;
#[cfg(feature = "cluster")]
mod fault;
mod model;
mod models;
mod preferred;
mod recorded_request;
mod routes;
mod server;
mod stand_in;
mod state;
mod store;

pub use builder::StandInBuilder;
#[cfg(feature = "cluster")]
pub use cluster::{Replica, StandInCluster};
#[cfg(feature = "cluster")]
pub use fault::Fault;
pub use model::{Argument, Field, Inference, Learning, Model, ModelConfig, ModelError};
pub use models::{BetaBernoulli, ConjugateRegression, DirichletCategorical};
pub use recorded_request::RecordedRequest;
pub use routes::{BAD_REQUEST_MESSAGE, UNAUTHORIZED_MESSAGE, UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN};
pub use stand_in::StandIn;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
