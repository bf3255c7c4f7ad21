//! Running inference and learning.

use serde::Serialize;

use crate::{ErrorResponse, JsonObject, Timestamp, strict::json_object};

json_object! {
    /// Schema `InferRequest`: data to run inference on.
    ///
    /// ```
    /// use rxinfer_models::{InferRequest, object};
    ///
    /// let request = InferRequest::new(object([("observation", 1)])).with_episode("experiment-1");
    /// assert_eq!(
    ///     serde_json::to_string(&request)?,
    ///     r#"{"data":{"observation":1},"episode_name":"experiment-1"}"#,
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct InferRequest {
        /// Model-specific data, such as `{"observation": 1}`. Required.
        pub data: JsonObject,
        /// When the observation was made; the server uses its clock when absent
        /// and keeps only the wall-clock fields.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<Timestamp>,
        /// The episode the event is recorded in (the server's default:
        /// `default`, not the current episode).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub episode_name: Option<String>,
    }
}

impl InferRequest {
    /// Inference on `data`, recorded now in episode `default`.
    pub fn new(data: JsonObject) -> Self {
        Self {
            data,
            timestamp: None,
            episode_name: None,
        }
    }

    /// The same, recorded at `timestamp`.
    pub fn with_timestamp(mut self, timestamp: impl Into<Timestamp>) -> Self {
        self.timestamp = Some(timestamp.into());
        self
    }

    /// The same, recorded in `episode`.
    pub fn with_episode(mut self, episode: impl Into<String>) -> Self {
        self.episode_name = Some(episode.into());
        self
    }
}

json_object! {
    /// Schema `InferResponse`: the results, and the event the data was
    /// recorded as.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct InferResponse {
        /// The recorded event's id in its episode. Required, but `null` when
        /// recording failed (then [`errors`](Self::errors) says why).
        #[serde(deserialize_with = "Option::deserialize")]
        pub event_id: Option<i64>,
        /// Model-specific results, such as `{"mean_p": 0.66}`. Required.
        pub results: JsonObject,
        /// Errors that did not stop the inference. Required.
        pub errors: Vec<ErrorResponse>,
    }
}

impl InferResponse {
    /// Results recorded as event `event_id`, without errors.
    pub fn new(event_id: Option<i64>, results: JsonObject) -> Self {
        Self {
            event_id,
            results,
            errors: Vec::new(),
        }
    }

    /// The same, with `errors`.
    pub fn with_errors(mut self, errors: Vec<ErrorResponse>) -> Self {
        self.errors = errors;
        self
    }
}

impl crate::FreeForm for InferResponse {
    fn object(&self) -> &JsonObject {
        &self.results
    }
}

json_object! {
    /// Schema `LearnRequest`: which episode to learn from.
    ///
    /// ```
    /// use rxinfer_models::LearnRequest;
    ///
    /// let request = LearnRequest::new(["default"]);
    /// assert_eq!(serde_json::to_string(&request)?, r#"{"episodes":["default"]}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct LearnRequest {
        /// The episodes to learn from; the server takes exactly one. Required
        /// (the server fails a request without it, despite the document's
        /// default).
        pub episodes: Vec<String>,
        /// Learn from every event, not only the unprocessed ones. The server
        /// does not reset the parameters first, despite the document.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub relearn: Option<bool>,
    }
}

impl LearnRequest {
    /// Learning from `episodes`' unprocessed events.
    pub fn new<I, E>(episodes: I) -> Self
    where
        I: IntoIterator<Item = E>,
        E: Into<String>,
    {
        Self {
            episodes: episodes.into_iter().map(Into::into).collect(),
            relearn: None,
        }
    }

    /// The same, from every event when `relearn`.
    pub fn with_relearn(mut self, relearn: bool) -> Self {
        self.relearn = Some(relearn);
        self
    }
}

json_object! {
    /// Schema `LearnResponse`: the parameters learning produced.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct LearnResponse {
        /// Parameter names and values. Required.
        pub learned_parameters: JsonObject,
    }
}

impl LearnResponse {
    /// An answer of `learned_parameters`.
    pub fn new(learned_parameters: JsonObject) -> Self {
        Self { learned_parameters }
    }
}

impl crate::FreeForm for LearnResponse {
    fn object(&self) -> &JsonObject {
        &self.learned_parameters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_id_is_required_but_may_be_null() -> Result<(), serde_json::Error> {
        let recorded: InferResponse =
            serde_json::from_str(r#"{"event_id":1,"results":{"mean_p":0.5},"errors":[]}"#)?;
        assert_eq!(recorded.event_id, Some(1));
        let unrecorded: InferResponse = serde_json::from_str(
            r#"{"event_id":null,"results":{},"errors":[{"error":"Bad Request","message":"Unable to attach data to the episode due to internal error"}]}"#,
        )?;
        assert_eq!(unrecorded.event_id, None);
        assert_eq!(unrecorded.errors.len(), 1);
        assert!(serde_json::from_str::<InferResponse>(r#"{"results":{},"errors":[]}"#).is_err());
        assert_eq!(
            serde_json::to_string(&unrecorded.with_errors(Vec::new()))?,
            r#"{"event_id":null,"results":{},"errors":[]}"#
        );
        Ok(())
    }

    #[test]
    fn episodes_are_required() {
        assert!(serde_json::from_str::<LearnRequest>(r#"{"relearn":true}"#).is_err());
    }
}
