//! The answer of operations that only report success.

use serde::{Deserialize, Serialize};

use crate::strict::json_object;

/// Schema `SuccessResponse`: what deleting, wiping and attaching answer.
///
/// ```
/// use rxinfer_models::SuccessResponse;
///
/// let body: SuccessResponse = serde_json::from_str(r#"{"message":"Episode wiped successfully"}"#)?;
/// assert_eq!(body, SuccessResponse::new("Episode wiped successfully"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[non_exhaustive]
pub struct SuccessResponse {
    /// What was done. Required.
    pub message: String,
}

json_object!(SuccessResponse);

impl SuccessResponse {
    /// A success saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
