//! The answer of operations that only report success.

use serde::Serialize;

use crate::strict::json_object;

json_object! {
    /// Schema `SuccessResponse`: what deleting, wiping and attaching answer.
    ///
    /// ```
    /// use rxinfer_models::SuccessResponse;
    ///
    /// let body: SuccessResponse = serde_json::from_str(r#"{"message":"Episode wiped successfully"}"#)?;
    /// assert_eq!(body, SuccessResponse::new("Episode wiped successfully"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct SuccessResponse {
        /// What was done. Required.
        pub message: String,
    }
}

impl SuccessResponse {
    /// A success saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
