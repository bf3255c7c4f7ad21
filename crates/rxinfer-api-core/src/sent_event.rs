//! What a call that records an event said of it, kept on its error so that
//! a lost answer can be reconciled: was the event recorded or not?

use rxinfer_models::Timestamp;

/// The event a call asked the server to record: its timestamp, unique
/// within the process when an `InstanceHandle` stamped it, and its
/// episode. Kept on an [`ApiError`](crate::ApiError) whose answer was lost
/// ([`ApiError::sent_event`](crate::ApiError::sent_event)), for the
/// handle's `reconcile` to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentEvent {
    /// The event's timestamp, as sent.
    pub timestamp: Timestamp,
    /// The episode it is recorded in.
    pub episode_name: String,
}

impl SentEvent {
    /// The event stamped `timestamp` in `episode_name`.
    pub fn new(timestamp: Timestamp, episode_name: impl Into<String>) -> Self {
        Self {
            timestamp,
            episode_name: episode_name.into(),
        }
    }
}
