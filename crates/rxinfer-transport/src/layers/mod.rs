//! Tower layers for stacks built by hand, each a thin adapter over one
//! rule of [`rules`](crate::rules): the default
//! [`Transport`](crate::Transport) applies the same rules in one future, and
//! a test (`tests/layers_match_the_stack.rs`) holds the two to the same
//! requests, retries and renewals.

mod bearer_auth;
mod response_body_limit;
mod retry;
mod set_base_url;

pub use bearer_auth::{BearerAuth, BearerAuthFuture, BearerAuthLayer};
pub use response_body_limit::{ResponseBodyLimit, ResponseBodyLimitFuture, ResponseBodyLimitLayer};
pub use set_base_url::{SetBaseUrl, SetBaseUrlFuture, SetBaseUrlLayer};

/// The same request, to send again.
fn copy<B: Clone>(request: &http::Request<B>) -> http::Request<B> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}
