//! The data types of the RxInferServer API, as its OpenAPI document defines
//! them, for clients and servers alike.
//!
//! Every schema of the document is a type here that derives
//! [`serde::Serialize`] and [`serde::Deserialize`]: a client decodes
//! responses into them, a server encodes its answers from them. Required
//! fields are plain fields, optional ones are `Option`s that are left out
//! when absent and accept the `null` the server writes; unknown fields are
//! ignored on decode, so a newer server does not break an older client;
//! only a JSON object decodes into a type (serde's derive would take an
//! array too). Free-form objects (arguments, state, parameters, data,
//! results, metadata) are [`JsonObject`]s, read through [`FreeForm`];
//! timestamps are [`Timestamp`]s, kept as the server wrote them.
//!
//! | group | types |
//! |---|---|
//! | Authentication | [`TokenGenerateResponse`], [`TokenRolesResponse`], [`Token`] |
//! | Server | [`PingResponse`], [`ServerInfo`] |
//! | Models | [`AvailableModel`], [`AvailableModelDetails`], [`CreateModelInstanceRequest`], [`CreateModelInstanceResponse`], [`ModelInstance`], [`DeleteModelInstanceRequest`], [`ModelInstanceState`], [`ModelInstanceParameters`], [`InferRequest`], [`InferResponse`], [`LearnRequest`], [`LearnResponse`] |
//! | Episodes | [`CreateEpisodeRequest`], [`EpisodeInfo`], [`Event`], [`AttachEventsToEpisodeRequest`], [`NewEvent`], [`AttachMetadataToEventRequest`] |
//! | Answers | [`SuccessResponse`], [`ErrorResponse`], [`UnauthorizedResponse`], [`NotFoundResponse`] |
//!
//! Every type can be built in one expression, with `new` and `with_*`.
//! The crate has no HTTP dependency. A [`Token`] is a secret: its `Debug`
//! output never shows it, and it has no `Display`.
//!
//! ```
//! use rxinfer_models::{InferRequest, TokenRolesResponse, UnauthorizedResponse, object};
//!
//! let roles: TokenRolesResponse = serde_json::from_str(r#"{"roles":["user"]}"#)?;
//! assert_eq!(roles.roles, ["user"]);
//!
//! let body = serde_json::to_string(&UnauthorizedResponse::new("no token"))?;
//! assert_eq!(body, r#"{"error":"Unauthorized","message":"no token"}"#);
//!
//! let infer = InferRequest::new(object([("observation", 1)]));
//! assert_eq!(serde_json::to_string(&infer)?, r#"{"data":{"observation":1}}"#);
//! # Ok::<(), serde_json::Error>(())
//! ```
#![forbid(unsafe_code)]
// docs.rs builds with `--cfg docsrs` on nightly: mark what features add.
#![cfg_attr(docsrs, feature(doc_cfg))]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod strict;

mod answer;
mod array_data;
mod distribution;
mod element;
mod linalg;
mod mdarray;
mod preferences;
mod reader;
#[cfg(feature = "nalgebra")]
mod to_nalgebra;
#[cfg(feature = "ndarray")]
mod to_ndarray;

mod available_model;
mod episode;
mod error_response;
mod inference;
mod json;
mod model_instance;
mod not_found_response;
mod ping_response;
mod server_info;
mod success_response;
mod timestamp;
mod token;
mod token_generate_response;
mod token_roles_response;
mod unauthorized_response;

pub use answer::{EncodedValue, encode_value};
pub use array_data::{ArrayData, EncodedArrayData, FlatOrder};
pub use available_model::{AvailableModel, AvailableModelDetails};
pub use distribution::{Distribution, EncodedDistribution, Moment};
pub use element::Element;
pub use episode::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest, EpisodeInfo,
    Event, NewEvent,
};
pub use error_response::ErrorResponse;
pub use inference::{InferRequest, InferResponse, LearnRequest, LearnResponse};
pub use json::{FreeForm, JsonObject, NotAnObject, object, try_object};
pub use mdarray::{EncodedArray, MdArray, ShapeError};
pub use model_instance::{
    CreateModelInstanceRequest, CreateModelInstanceResponse, DeleteModelInstanceRequest,
    ModelInstance, ModelInstanceParameters, ModelInstanceState,
};
pub use not_found_response::{NotFoundError, NotFoundResponse};
pub use ping_response::PingResponse;
pub use preferences::{
    DistributionsData, DistributionsRepr, MdArrayData, MdArrayRepr, Preferences,
};
pub use reader::{ReadError, Reader};
pub use server_info::ServerInfo;
pub use success_response::SuccessResponse;
pub use timestamp::Timestamp;
pub use token::Token;
pub use token_generate_response::TokenGenerateResponse;
pub use token_roles_response::TokenRolesResponse;
pub use unauthorized_response::{UnauthorizedError, UnauthorizedResponse};

/// The README's code blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
