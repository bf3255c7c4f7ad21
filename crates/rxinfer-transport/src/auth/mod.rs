//! The bearer token: a checked header value, and where it comes from. Where
//! it may go is a rule of [`rules::credentials`](crate::rules::credentials).

mod bearer_token;
mod token_source;

pub use bearer_token::{BearerToken, Fingerprint};
pub use token_source::{OnUnauthorized, StaticToken, TOKEN_VARIABLES, TokenFuture, TokenSource};
