//! The rules every call follows, each in one file: where its path resolves
//! ([`resolution`]), where the token goes and how `Authorization` is set
//! ([`credentials`]), when it is sent again ([`retry`]), and how much of an
//! answer is read ([`body_limit`]). The default stack
//! ([`Transport`](crate::Transport)) applies them in one future, in the
//! order its folder holds; the layers of [`layers`](crate::layers) apply
//! each on its own, for stacks built by hand.

pub(crate) mod body_limit;
pub(crate) mod credentials;
pub(crate) mod resolution;
pub(crate) mod retry;
