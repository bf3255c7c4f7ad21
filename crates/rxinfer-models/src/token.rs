//! The secret string that authenticates a caller.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An authentication token, as the server mints it.
///
/// It encodes as a plain JSON string. Its `Debug` output is redacted and it
/// has no `Display`, so it cannot leak through logs or error messages by
/// accident; [`Token::expose`] is the one explicit way to read it.
///
/// ```
/// use rxinfer_models::Token;
///
/// let token = Token::new("3f1c0a52-secret");
/// assert_eq!(format!("{token:?}"), "Token(<redacted>)");
/// assert_eq!(token.expose(), "3f1c0a52-secret");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token string.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself. Call this only to hand the token to something that
    /// needs it (an `Authorization` header, a secret store).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Unwraps the token string.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl From<String> for Token {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl From<&str> for Token {
    fn from(token: &str) -> Self {
        Self(token.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = Token::new("s3cr3t-value");
        let debug = format!("{token:?} {token:#?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn encodes_as_a_plain_string() -> Result<(), serde_json::Error> {
        let token: Token = serde_json::from_str(r#""abc""#)?;
        assert_eq!(token.expose(), "abc");
        assert_eq!(serde_json::to_string(&token)?, r#""abc""#);
        Ok(())
    }
}
