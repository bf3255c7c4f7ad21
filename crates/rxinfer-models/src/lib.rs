//! The data types of the RxInferServer API, as its OpenAPI document defines
//! them, for clients and servers alike.
//!
//! Every type derives [`serde::Serialize`] and [`serde::Deserialize`]:
//! a client decodes responses into them, a server encodes its answers from
//! them. Required fields are plain fields, optional ones are `Option`s that
//! are left out when absent, and unknown fields are ignored on decode so a
//! newer server does not break an older client.
//!
//! The crate has no HTTP dependency. A [`Token`] is a secret: its `Debug`
//! output never shows it, and it has no `Display`.
//!
//! ```
//! use rxinfer_models::{TokenRolesResponse, UnauthorizedResponse};
//!
//! let roles: TokenRolesResponse = serde_json::from_str(r#"{"roles":["user"]}"#)?;
//! assert_eq!(roles.roles, ["user"]);
//!
//! let body = serde_json::to_string(&UnauthorizedResponse::new("no token"))?;
//! assert_eq!(body, r#"{"error":"Unauthorized","message":"no token"}"#);
//! # Ok::<(), serde_json::Error>(())
//! ```
#![forbid(unsafe_code)]
// Nothing a server or caller sends may panic the library; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error_response;
mod token;
mod token_generate_response;
mod token_roles_response;
mod unauthorized_response;

pub use error_response::ErrorResponse;
pub use token::Token;
pub use token_generate_response::TokenGenerateResponse;
pub use token_roles_response::TokenRolesResponse;
pub use unauthorized_response::{UnauthorizedError, UnauthorizedResponse};
