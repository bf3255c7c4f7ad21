//! The body of a `400 Bad Request`.

use serde::Serialize;

use crate::strict::json_object;

json_object! {
    /// Schema `ErrorResponse`: why the server could not do what was asked.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct ErrorResponse {
        /// A short error name, such as `"Bad Request"`. Required.
        pub error: String,
        /// More detail about the failure. Optional; left out of the JSON when
        /// absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub message: Option<String>,
    }
}

impl ErrorResponse {
    /// An error with no message.
    ///
    /// ```
    /// use rxinfer_models::ErrorResponse;
    ///
    /// let body = ErrorResponse::new("Bad Request").with_message("try later");
    /// assert_eq!(
    ///     serde_json::to_string(&body)?,
    ///     r#"{"error":"Bad Request","message":"try later"}"#,
    /// );
    /// assert_eq!(serde_json::to_string(&ErrorResponse::new("Bad Request"))?, r#"{"error":"Bad Request"}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            message: None,
        }
    }

    /// The same error with `message` set.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_optional() -> Result<(), serde_json::Error> {
        let body: ErrorResponse = serde_json::from_str(r#"{"error":"Bad Request"}"#)?;
        assert_eq!(body, ErrorResponse::new("Bad Request"));
        Ok(())
    }

    #[test]
    fn error_is_required() {
        assert!(serde_json::from_str::<ErrorResponse>(r#"{"message":"m"}"#).is_err());
    }
}
