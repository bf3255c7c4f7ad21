//! Settings for a single call.

use std::time::Duration;

/// Per-call settings that override the transport's defaults.
///
/// ```
/// use std::time::Duration;
/// use rxinfer_auth_api::RequestOptions;
///
/// let options = RequestOptions::new().timeout(Duration::from_millis(500));
/// assert_eq!(options.timeout_override(), Some(Duration::from_millis(500)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    timeout: Option<Duration>,
}

impl RequestOptions {
    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fails the call after `timeout` instead of the transport's default
    /// (honoured by [`Timeout`](rxinfer_transport::Timeout) in the stack).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The timeout override, if any.
    pub fn timeout_override(&self) -> Option<Duration> {
        self.timeout
    }
}
