//! The bearer token: a checked header value, where it comes from, and the
//! rules for where it goes.

mod bearer_auth;
mod bearer_token;
mod credential_headers;
mod token_source;

pub(crate) use bearer_auth::Authorizer;
pub use bearer_auth::{BearerAuth, BearerAuthFuture, BearerAuthLayer};
pub use bearer_token::{BearerToken, Fingerprint};
pub use credential_headers::carries_credentials;
pub(crate) use credential_headers::mark_credentials;
pub use token_source::{OnUnauthorized, StaticToken, TOKEN_VARIABLES, TokenFuture, TokenSource};
