//! Episodes and their events.

use serde::Serialize;

use crate::{JsonObject, Timestamp, strict::json_object};

json_object! {
    /// Schema `CreateEpisodeRequest`: the new episode's name.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct CreateEpisodeRequest {
        /// Any string. Required.
        pub name: String,
    }
}

impl CreateEpisodeRequest {
    /// A request for an episode named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}

json_object! {
    /// Schema `EpisodeInfo`: an episode with all its events and parameters.
    ///
    /// ```
    /// use rxinfer_models::{EpisodeInfo, Timestamp};
    ///
    /// let episode = EpisodeInfo::new("i", "default", Timestamp::new("2025-10-31T10:15:02.456+00:00"));
    /// assert!(episode.events.is_empty());
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct EpisodeInfo {
        /// The instance it belongs to. Required.
        pub instance_id: String,
        /// Its name. Required.
        pub episode_name: String,
        /// When it was created, with an offset. Required.
        pub created_at: Timestamp,
        /// Its events, oldest first. Required.
        pub events: Vec<Event>,
        /// The parameters learned in it. Required.
        pub parameters: JsonObject,
    }
}

impl EpisodeInfo {
    /// An empty episode with no parameters.
    pub fn new(
        instance_id: impl Into<String>,
        episode_name: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            episode_name: episode_name.into(),
            created_at,
            events: Vec::new(),
            parameters: JsonObject::new(),
        }
    }

    /// The same, with `events`.
    pub fn with_events(mut self, events: Vec<Event>) -> Self {
        self.events = events;
        self
    }

    /// The same, with `parameters`.
    pub fn with_parameters(mut self, parameters: JsonObject) -> Self {
        self.parameters = parameters;
        self
    }
}

json_object! {
    /// An event of an episode, as the server stores it. The document leaves
    /// its shape open, so every field is optional and others are ignored.
    ///
    /// ```
    /// use rxinfer_models::{Event, object};
    ///
    /// let event: Event = serde_json::from_str(
    ///     r#"{"event_id":1,"data":{"observation":1},"timestamp":"2024-03-20T12:00:00","processed":false}"#,
    /// )?;
    /// assert_eq!(event.event_id, Some(1));
    /// assert_eq!(event.data, Some(object([("observation", 1)])));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    #[non_exhaustive]
    pub struct Event {
        /// The id, from 1 within its episode.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub event_id: Option<i64>,
        /// The model-specific data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub data: Option<JsonObject>,
        /// When it happened, without an offset.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<Timestamp>,
        /// Metadata attached to it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<JsonObject>,
        /// Whether incremental learning has used it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub processed: Option<bool>,
    }
}

impl Event {
    /// Event `event_id` with `data`, not yet processed.
    pub fn new(event_id: i64, data: JsonObject) -> Self {
        Self {
            event_id: Some(event_id),
            data: Some(data),
            processed: Some(false),
            ..Self::default()
        }
    }

    /// The same, at `timestamp`.
    pub fn with_timestamp(mut self, timestamp: impl Into<Timestamp>) -> Self {
        self.timestamp = Some(timestamp.into());
        self
    }

    /// The same, with `metadata`.
    pub fn with_metadata(mut self, metadata: JsonObject) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The same, marked processed or not.
    pub fn with_processed(mut self, processed: bool) -> Self {
        self.processed = Some(processed);
        self
    }
}

json_object! {
    /// Schema `AttachEventsToEpisodeRequest`: events to add to an episode.
    ///
    /// ```
    /// use rxinfer_models::{AttachEventsToEpisodeRequest, NewEvent, object};
    ///
    /// let request = AttachEventsToEpisodeRequest::new(
    ///     [1, 1, 0].map(|x| NewEvent::new(object([("observation", x)]))),
    /// );
    /// assert_eq!(request.events.len(), 3);
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct AttachEventsToEpisodeRequest {
        /// The events, in order; the server numbers them after the episode's
        /// last. Required.
        pub events: Vec<NewEvent>,
    }
}

impl AttachEventsToEpisodeRequest {
    /// A request attaching `events`.
    pub fn new(events: impl IntoIterator<Item = NewEvent>) -> Self {
        Self {
            events: events.into_iter().collect(),
        }
    }
}

json_object! {
    /// An event to attach; every field is optional (the server fills in now,
    /// `{}` and `false`).
    #[derive(Debug, Clone, PartialEq, Default, Serialize)]
    #[non_exhaustive]
    pub struct NewEvent {
        /// When it happened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timestamp: Option<Timestamp>,
        /// The model-specific data.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub data: Option<JsonObject>,
        /// Metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<JsonObject>,
        /// Whether incremental learning should skip it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub processed: Option<bool>,
    }
}

impl NewEvent {
    /// An event with `data`.
    pub fn new(data: JsonObject) -> Self {
        Self {
            data: Some(data),
            ..Self::default()
        }
    }

    /// The same, at `timestamp`.
    pub fn with_timestamp(mut self, timestamp: impl Into<Timestamp>) -> Self {
        self.timestamp = Some(timestamp.into());
        self
    }

    /// The same, with `metadata`.
    pub fn with_metadata(mut self, metadata: JsonObject) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// The same, marked processed or not.
    pub fn with_processed(mut self, processed: bool) -> Self {
        self.processed = Some(processed);
        self
    }
}

json_object! {
    /// Schema `AttachMetadataToEventRequest`: metadata that replaces an
    /// event's.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct AttachMetadataToEventRequest {
        /// The new metadata (replacing, not merged). Required.
        pub metadata: JsonObject,
    }
}

impl AttachMetadataToEventRequest {
    /// A request attaching `metadata`.
    pub fn new(metadata: JsonObject) -> Self {
        Self { metadata }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_episode_as_the_server_writes_it_round_trips() -> Result<(), serde_json::Error> {
        let body = r#"{"instance_id":"i","episode_name":"default","created_at":"2025-10-31T10:15:02.456+00:00","events":[{"event_id":1,"data":{"observation":1},"timestamp":"2024-03-20T12:00:00","processed":false}],"parameters":{"posterior_a":1,"posterior_b":1}}"#;
        let episode: EpisodeInfo = serde_json::from_str(body)?;
        assert_eq!(
            episode.events[0].timestamp.as_ref().map(Timestamp::as_str),
            Some("2024-03-20T12:00:00")
        );
        assert_eq!(serde_json::to_string(&episode)?, body);
        Ok(())
    }

    #[test]
    fn events_must_be_objects() {
        let body = r#"{"instance_id":"i","episode_name":"e","created_at":"t","events":[[1]],"parameters":{}}"#;
        assert!(serde_json::from_str::<EpisodeInfo>(body).is_err());
    }
}
