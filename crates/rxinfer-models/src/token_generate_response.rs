//! The answer of `POST /token/generate`.

use serde::Serialize;

use crate::strict::json_object;

use crate::Token;

json_object! {
    /// Schema `TokenGenerateResponse`: a newly generated token.
    ///
    /// ```
    /// use rxinfer_models::TokenGenerateResponse;
    ///
    /// let response: TokenGenerateResponse = serde_json::from_str(r#"{"token":"abc"}"#)?;
    /// assert_eq!(response.token.expose(), "abc");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct TokenGenerateResponse {
        /// The token to send as `Authorization: Bearer {token}`. Required.
        pub token: Token,
    }
}

impl TokenGenerateResponse {
    /// A response carrying `token`.
    pub fn new(token: impl Into<Token>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_required() {
        let result = serde_json::from_str::<TokenGenerateResponse>("{}");
        assert!(result.is_err());
    }

    #[test]
    fn unknown_fields_are_ignored() -> Result<(), serde_json::Error> {
        let response: TokenGenerateResponse =
            serde_json::from_str(r#"{"token":"t","expires":"never"}"#)?;
        assert_eq!(response, TokenGenerateResponse::new("t"));
        Ok(())
    }

    #[test]
    fn an_array_is_not_an_object() {
        assert!(serde_json::from_str::<TokenGenerateResponse>(r#"["abc"]"#).is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let debug = format!("{:?}", TokenGenerateResponse::new("hidden-value"));
        assert!(!debug.contains("hidden-value"), "{debug}");
    }
}
