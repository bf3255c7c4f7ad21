//! The answer of `GET /token/roles`.

use serde::Serialize;

use crate::strict::json_object;

json_object! {
    /// Schema `TokenRolesResponse`: the roles granted to the presented token.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[non_exhaustive]
    pub struct TokenRolesResponse {
        /// Role identifiers, such as `"user"`. Required.
        pub roles: Vec<String>,
    }
}

impl TokenRolesResponse {
    /// A response listing `roles`.
    ///
    /// ```
    /// use rxinfer_models::TokenRolesResponse;
    ///
    /// let response = TokenRolesResponse::new(["user"]);
    /// assert_eq!(serde_json::to_string(&response)?, r#"{"roles":["user"]}"#);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn new<I, R>(roles: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        Self {
            roles: roles.into_iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_required() {
        assert!(serde_json::from_str::<TokenRolesResponse>("{}").is_err());
        assert!(serde_json::from_str::<TokenRolesResponse>(r#"{"roles":null}"#).is_err());
    }

    #[test]
    fn roles_must_be_strings() {
        assert!(serde_json::from_str::<TokenRolesResponse>(r#"{"roles":[1]}"#).is_err());
    }

    #[test]
    fn empty_roles_decode() -> Result<(), serde_json::Error> {
        let response: TokenRolesResponse = serde_json::from_str(r#"{"roles":[],"x":1}"#)?;
        assert!(response.roles.is_empty());
        Ok(())
    }
}
