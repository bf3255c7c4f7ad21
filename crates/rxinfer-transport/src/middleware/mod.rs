//! Tower layers for stacks built by hand, each usable alone. The default
//! [`Transport`](crate::Transport) applies the same rules inline, in one
//! future, instead of nesting them.

mod response_body_limit;
mod retry;
mod set_base_url;

pub use response_body_limit::{
    DEFAULT_BODY_LIMIT, ResponseBodyLimit, ResponseBodyLimitFuture, ResponseBodyLimitLayer,
    read_whole,
};
pub(crate) use response_body_limit::{Gather, collected, read_limited, start_reading};
pub use retry::RetryPolicy;
pub(crate) use set_base_url::Resolver;
pub use set_base_url::{SetBaseUrl, SetBaseUrlFuture, SetBaseUrlLayer};
