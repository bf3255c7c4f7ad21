//! A model the server offers for creation.

use serde::Serialize;

use crate::{JsonObject, strict::json_object};

json_object! {
    /// Schema `AvailableModel`: a model a token may create instances of, with
    /// its whole `config.yaml`.
    ///
    /// ```
    /// use rxinfer_models::{AvailableModel, AvailableModelDetails, object};
    ///
    /// let model = AvailableModel::new(
    ///     AvailableModelDetails::new("BetaBernoulli-v1")
    ///         .with_description("A simple Beta-Bernoulli model")
    ///         .with_author("Lazy Dynamics")
    ///         .with_roles(["user"]),
    ///     object([("name", "BetaBernoulli-v1")]),
    /// );
    /// assert_eq!(model.details.name.as_deref(), Some("BetaBernoulli-v1"));
    /// ```
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[non_exhaustive]
    pub struct AvailableModel {
        /// Name, description, author and roles. Required.
        pub details: AvailableModelDetails,
        /// The model's whole configuration, including the details and the
        /// arguments it takes. Required.
        pub config: JsonObject,
    }
}

impl AvailableModel {
    /// A model with `details` and `config`.
    pub fn new(details: AvailableModelDetails, config: JsonObject) -> Self {
        Self { details, config }
    }
}

json_object! {
    /// The `details` of an [`AvailableModel`]; every field is optional in the
    /// schema.
    #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
    #[non_exhaustive]
    pub struct AvailableModelDetails {
        /// The name, with its version, such as `BetaBernoulli-v1`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// A short description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// Who wrote it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub author: Option<String>,
        /// The roles that may see and create it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub roles: Option<Vec<String>>,
    }
}

impl AvailableModelDetails {
    /// Details naming `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// The same, with `description`.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The same, with `author`.
    pub fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// The same, with `roles`.
    pub fn with_roles<I, R>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.roles = Some(roles.into_iter().map(Into::into).collect());
        self
    }
}
