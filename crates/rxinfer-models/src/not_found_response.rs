//! The body of a `404 Not Found`.

use serde::{Deserialize, Serialize};

use crate::strict::json_object;

json_object! {
    /// Schema `NotFoundResponse`: the model, instance or episode does not exist
    /// (or belongs to another token, which the server does not tell apart).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct NotFoundResponse {
        /// Always [`NotFoundError::NotFound`]. Required.
        pub error: NotFoundError,
        /// What could not be found, such as `The requested model instance could
        /// not be found`. Required.
        pub message: String,
    }
}

/// The only value the schema allows for [`NotFoundResponse::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum NotFoundError {
    /// `"Not Found"`.
    #[default]
    #[serde(rename = "Not Found")]
    NotFound,
}

impl NotFoundResponse {
    /// A 404 body with `message`.
    ///
    /// ```
    /// use rxinfer_models::NotFoundResponse;
    ///
    /// let body = NotFoundResponse::new("The requested episode could not be found");
    /// assert_eq!(
    ///     serde_json::to_string(&body)?,
    ///     r#"{"error":"Not Found","message":"The requested episode could not be found"}"#,
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            error: NotFoundError::NotFound,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fields_are_required_and_error_is_the_enum() {
        assert!(serde_json::from_str::<NotFoundResponse>(r#"{"error":"Not Found"}"#).is_err());
        assert!(
            serde_json::from_str::<NotFoundResponse>(r#"{"error":"Gone","message":"m"}"#).is_err()
        );
        let body: NotFoundResponse =
            serde_json::from_str(r#"{"error":"Not Found","message":"m","x":1}"#).expect("decodes");
        assert_eq!(body, NotFoundResponse::new("m"));
    }
}
