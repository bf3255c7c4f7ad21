//! The Models API of RxInferServer: model discovery, instances, their
//! state and parameters, inference, learning, episodes and events.
//!
//! Each operation is a free function generic over any tower service that
//! takes an `http::Request<RequestBody>` and answers an `http::Response`
//! with a body, and a method of [`ModelsApi`]; both return the same
//! [`ApiResponse`] (which dereferences to the data) or an [`ApiError`]
//! whose kind the status decides. Path segments (instance ids, episode and
//! model names) are percent-encoded, so any string is safe.
//!
//! | operation | sends | 200 | documented errors | sent again after a failure |
//! |---|---|---|---|---|
//! | [`get_available_models`](ModelsApi::get_available_models) | `GET /models/available` | `Vec<AvailableModel>` | 401 | yes |
//! | [`get_available_model`](ModelsApi::get_available_model) | `GET /models/available/{model_name}` | `AvailableModel` | 401, 404 | yes |
//! | [`create_model_instance`](ModelsApi::create_model_instance) | `POST /models/create-instance` | `CreateModelInstanceResponse` | 400, 401, 404 | only if it never left |
//! | [`get_model_instances`](ModelsApi::get_model_instances) | `GET /models/instances` | `Vec<ModelInstance>` | 401 | yes |
//! | [`get_model_instance`](ModelsApi::get_model_instance) | `GET /models/i/{id}` | `ModelInstance` | 401, 404 | yes |
//! | [`delete_model_instance`](ModelsApi::delete_model_instance) | `DELETE /models/i/{id}` | `SuccessResponse` | 401, 404 | yes |
//! | [`get_model_instance_state`](ModelsApi::get_model_instance_state) | `GET /models/i/{id}/state` | `ModelInstanceState` | 401, 404 | yes |
//! | [`get_model_instance_parameters`](ModelsApi::get_model_instance_parameters) | `GET /models/i/{id}/parameters` | `ModelInstanceParameters` | 401, 404 | yes |
//! | [`run_inference`](ModelsApi::run_inference) | `POST /models/i/{id}/infer` | `InferResponse` | 400, 401, 404 | only if it never left |
//! | [`run_learning`](ModelsApi::run_learning) | `POST /models/i/{id}/learn` | `LearnResponse` | 400, 401, 404 | only if it never left |
//! | [`create_episode`](ModelsApi::create_episode) | `POST /models/i/{id}/create-episode` | `EpisodeInfo` | 400, 401, 404 | only if it never left |
//! | [`get_episodes`](ModelsApi::get_episodes) | `GET /models/i/{id}/episodes` | `Vec<EpisodeInfo>` | 401, 404 | yes |
//! | [`get_episode_info`](ModelsApi::get_episode_info) | `GET /models/i/{id}/episodes/{name}` | `EpisodeInfo` | 401, 404 | yes |
//! | [`delete_episode`](ModelsApi::delete_episode) | `DELETE /models/i/{id}/episodes/{name}` | `SuccessResponse` | 400, 401, 404 | yes |
//! | [`attach_events_to_episode`](ModelsApi::attach_events_to_episode) | `POST .../episodes/{name}/attach-events` | `SuccessResponse` | 400, 401, 404 | only if it never left |
//! | [`wipe_episode`](ModelsApi::wipe_episode) | `POST .../episodes/{name}/wipe` | `SuccessResponse` | 401, 404 | only if it never left |
//! | [`attach_metadata_to_event`](ModelsApi::attach_metadata_to_event) | `POST .../episodes/{name}/events/{event_id}/attach-metadata` | `SuccessResponse` | 400, 401, 404 | only if it never left |
//!
//! Where the server and its document disagree, the server wins: another
//! token's instance is a 404 (never a 401), a body the server cannot read
//! is a 500 with an empty body, and `relearn` does not reset parameters.
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[doc(hidden)]
pub mod doc;
mod instance_handle;
mod instance_line;
mod instance_owner;
mod models_api;

pub use instance_handle::{DEFAULT_ABANDONED_BOUND, InstanceHandle, Reconciliation};
pub use instance_owner::instance_owner;
pub use models_api::*;
pub use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse, RequestOptions, SentEvent};

/// The models the table of operations names, for the crates that expand it.
#[doc(hidden)]
pub use rxinfer_models as __models;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
