//! The body of a `401 Unauthorized`.

use serde::{Deserialize, Serialize};

use crate::strict::json_object;

json_object! {
    /// Schema `UnauthorizedResponse`: the request lacked a valid token.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct UnauthorizedResponse {
        /// Always [`UnauthorizedError::Unauthorized`]. Required.
        pub error: UnauthorizedError,
        /// Why authentication failed. Required.
        pub message: String,
    }
}

/// The only value the schema allows for [`UnauthorizedResponse::error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum UnauthorizedError {
    /// `"Unauthorized"`.
    #[default]
    Unauthorized,
}

impl UnauthorizedResponse {
    /// A 401 body with `message`.
    ///
    /// ```
    /// use rxinfer_models::{UnauthorizedError, UnauthorizedResponse};
    ///
    /// let body: UnauthorizedResponse =
    ///     serde_json::from_str(r#"{"error":"Unauthorized","message":"no token"}"#)?;
    /// assert_eq!(body, UnauthorizedResponse::new("no token"));
    /// assert_eq!(body.error, UnauthorizedError::Unauthorized);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            error: UnauthorizedError::Unauthorized,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fields_are_required() {
        assert!(
            serde_json::from_str::<UnauthorizedResponse>(r#"{"error":"Unauthorized"}"#).is_err()
        );
        assert!(serde_json::from_str::<UnauthorizedResponse>(r#"{"message":"m"}"#).is_err());
    }

    #[test]
    fn error_outside_the_enum_is_rejected() {
        let body = r#"{"error":"Forbidden","message":"m"}"#;
        assert!(serde_json::from_str::<UnauthorizedResponse>(body).is_err());
    }
}
