//! Creating, listing and describing model instances.

use serde::Serialize;

use crate::{JsonObject, Timestamp, strict::json_object};

json_object! {
    /// Schema `CreateModelInstanceRequest`: which model to instantiate, with
    /// which arguments.
    ///
    /// ```
    /// use rxinfer_models::{CreateModelInstanceRequest, object};
    ///
    /// let request = CreateModelInstanceRequest::new("BetaBernoulli-v1")
    ///     .with_description("coin")
    ///     .with_arguments(object([("prior_a", 2)]));
    /// assert_eq!(
    ///     serde_json::to_string(&request)?,
    ///     r#"{"model_name":"BetaBernoulli-v1","arguments":{"prior_a":2},"description":"coin"}"#,
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct CreateModelInstanceRequest {
        /// The model's name with its version, such as `BetaBernoulli-v1`.
        /// Required.
        pub model_name: String,
        /// Model-specific arguments, overlaid on the model's defaults.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub arguments: Option<JsonObject>,
        /// A description, at most 128 characters (the server fails longer ones).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
    }
}

impl CreateModelInstanceRequest {
    /// The longest description the server accepts.
    pub const MAX_DESCRIPTION: usize = 128;

    /// A request for an instance of `model_name` with default arguments.
    pub fn new(model_name: impl Into<String>) -> Self {
        Self {
            model_name: model_name.into(),
            arguments: None,
            description: None,
        }
    }

    /// The same, with `arguments`.
    pub fn with_arguments(mut self, arguments: JsonObject) -> Self {
        self.arguments = Some(arguments);
        self
    }

    /// The same, with `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

json_object! {
    /// Schema `CreateModelInstanceResponse`: the new instance's id.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct CreateModelInstanceResponse {
        /// The id (a UUID) to address the instance with. Required.
        pub instance_id: String,
    }
}

impl CreateModelInstanceResponse {
    /// An answer naming `instance_id`.
    pub fn new(instance_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
        }
    }
}

json_object! {
    /// Schema `ModelInstance`: one instance, as listed and described.
    ///
    /// ```
    /// use rxinfer_models::{ModelInstance, Timestamp, object};
    ///
    /// let instance = ModelInstance::new(
    ///     "6f1c2d4e-0000-4000-8000-000000000000",
    ///     "BetaBernoulli-v1",
    ///     Timestamp::new("2025-10-31T10:15:02.123+00:00"),
    /// )
    /// .with_arguments(object([("prior_a", 1), ("prior_b", 1)]));
    /// assert_eq!(instance.current_episode, "default");
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct ModelInstance {
        /// The instance's id. Required.
        pub instance_id: String,
        /// The model it instantiates. Required.
        pub model_name: String,
        /// When it was created, with an offset. Required.
        pub created_at: Timestamp,
        /// Its description (empty when none was given). Required.
        pub description: String,
        /// The arguments in force: the model's defaults with the request's
        /// overlaid. Required.
        pub arguments: JsonObject,
        /// The episode new events go to unless named otherwise. Required.
        pub current_episode: String,
    }
}

impl ModelInstance {
    /// An instance with no description or arguments, on episode `default`.
    pub fn new(
        instance_id: impl Into<String>,
        model_name: impl Into<String>,
        created_at: Timestamp,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            model_name: model_name.into(),
            created_at,
            description: String::new(),
            arguments: JsonObject::new(),
            current_episode: "default".to_owned(),
        }
    }

    /// The same, with `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The same, with `arguments`.
    pub fn with_arguments(mut self, arguments: JsonObject) -> Self {
        self.arguments = arguments;
        self
    }

    /// The same, on `episode`.
    pub fn with_current_episode(mut self, episode: impl Into<String>) -> Self {
        self.current_episode = episode.into();
        self
    }
}

json_object! {
    /// Schema `DeleteModelInstanceRequest`: which instance to delete. No
    /// operation takes it as a body today (the id is in the path); it is here
    /// because the document defines it.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct DeleteModelInstanceRequest {
        /// The instance's id. Required.
        pub instance_id: String,
    }
}

impl DeleteModelInstanceRequest {
    /// A request naming `instance_id`.
    pub fn new(instance_id: impl Into<String>) -> Self {
        Self {
            instance_id: instance_id.into(),
        }
    }
}

json_object! {
    /// Schema `ModelInstanceState`: the model's whole state.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct ModelInstanceState {
        /// Model-specific keys and values. Required.
        pub state: JsonObject,
    }
}

impl ModelInstanceState {
    /// A state of `state`.
    pub fn new(state: JsonObject) -> Self {
        Self { state }
    }
}

impl crate::FreeForm for ModelInstanceState {
    fn object(&self) -> &JsonObject {
        &self.state
    }
}

json_object! {
    /// Schema `ModelInstanceParameters`: the parameters of the current episode.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct ModelInstanceParameters {
        /// Parameter names and values. Required.
        pub parameters: JsonObject,
    }
}

impl ModelInstanceParameters {
    /// Parameters of `parameters`.
    pub fn new(parameters: JsonObject) -> Self {
        Self { parameters }
    }
}

impl crate::FreeForm for ModelInstanceParameters {
    fn object(&self) -> &JsonObject {
        &self.parameters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_instance_decodes_with_its_offset_kept() -> Result<(), serde_json::Error> {
        let body = r#"{"instance_id":"i","model_name":"BetaBernoulli-v1","created_at":"2025-10-31T10:15:02.123+00:00","description":"coin","arguments":{"prior_a":2,"prior_b":1},"current_episode":"default"}"#;
        let instance: ModelInstance = serde_json::from_str(body)?;
        assert_eq!(
            instance.created_at.as_str(),
            "2025-10-31T10:15:02.123+00:00"
        );
        assert_eq!(serde_json::to_string(&instance)?, body);
        Ok(())
    }

    #[test]
    fn optional_fields_the_server_writes_as_null_decode() -> Result<(), serde_json::Error> {
        let request: CreateModelInstanceRequest = serde_json::from_str(
            r#"{"model_name":"BetaBernoulli-v1","arguments":null,"description":null}"#,
        )?;
        assert_eq!(request, CreateModelInstanceRequest::new("BetaBernoulli-v1"));
        Ok(())
    }
}
