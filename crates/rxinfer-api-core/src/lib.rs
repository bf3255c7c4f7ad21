//! What the RxInferServer API crates share: calling an [`Endpoint`] over
//! any tower service with an [`ApiClient`], per-call [`RequestOptions`],
//! the decoded [`ApiResponse`], and [`ApiError`], whose kind the status
//! decides.
//!
//! The API crates (`rxinfer-auth-api`, `rxinfer-server-api`,
//! `rxinfer-models-api`) describe each operation as a static [`Endpoint`]
//! and build a [`Call`] per call; this crate sends it and decodes the
//! answer:
//!
//! | answer | result |
//! |---|---|
//! | `2xx` with the documented JSON | `Ok(`[`ApiResponse`]`)`, which dereferences to the data |
//! | `2xx` with anything else | [`ApiErrorKind::InvalidBody`] |
//! | `400` | [`ApiErrorKind::BadRequest`] |
//! | `401` | [`ApiErrorKind::Unauthorized`] |
//! | `404` | [`ApiErrorKind::NotFound`] |
//! | any other status | [`ApiErrorKind::UnexpectedStatus`] |
//! | no answer | [`ApiErrorKind::Transport`] |
//! | not sent: an empty path parameter | [`ApiErrorKind::EmptyPathSegment`] |
//!
//! A failure status keeps the raw response and, when the body is the
//! documented error JSON, its decoded form ([`StatusError`]).
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod call;
mod decode;
mod endpoint;
mod error;
mod operations;
mod options;
mod response;
mod sent_event;
mod service;

pub use call::{ApiClient, Call};
pub use decode::DELETED_BEFORE;
pub use endpoint::{Endpoint, segment};
pub use error::{ApiError, ApiErrorKind, DecodeError, ErrorBody, RawResponse, StatusError};
pub use operations::PathPiece;
pub use options::RequestOptions;
pub use response::ApiResponse;
pub use rxinfer_transport::{BoxError, RequestBody};
pub use sent_event::SentEvent;
pub use service::ApiService;

/// What the macros of [`declare_operations!`] name in the calling crate.
#[doc(hidden)]
pub mod __private {
    pub use http::Method;
    pub use rxinfer_transport::Operation;
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
