//! Where the bearer token comes from: one trait, and the token a user sets.

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use crate::{BearerToken, Error};

/// A future that yields a token.
pub type TokenFuture = Pin<Box<dyn Future<Output = Result<BearerToken, Error>> + Send>>;

/// What to do when the server answers `401 Unauthorized` to a token: the
/// one question a [`TokenSource`] answers about renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnauthorized {
    /// Hand the `401` to the caller; the token stays. Right for a token the
    /// user set, which is never silently replaced.
    Return,
    /// The source has dropped the rejected token: fetch a new one and send
    /// the request once more with it, whatever its operation: RxInferServer
    /// checks the token before it runs anything, so a `401` means nothing
    /// ran. A second `401` goes to the caller.
    RenewAndResend,
}

/// Where the stack gets the token it sends.
///
/// [`StaticToken`] is a token the user set. `rxinfer-auth-api`'s
/// `GeneratedToken` generates one with `token_generate` and renews it.
/// Implement it to read tokens from a secret store.
///
/// ```
/// use rxinfer_transport::{BearerToken, Error, TokenFuture, TokenSource};
///
/// /// Reads the token from a vault on first use.
/// #[derive(Debug)]
/// struct Vault;
///
/// impl TokenSource for Vault {
///     fn current(&self) -> Option<BearerToken> {
///         None
///     }
///
///     fn fetch(&self) -> TokenFuture {
///         Box::pin(async { Ok(BearerToken::new("from-the-vault")?) })
///     }
/// }
/// ```
pub trait TokenSource: fmt::Debug + Send + Sync + 'static {
    /// The token to send now, if one is at hand without waiting. Called on
    /// every authenticated request, so it should be cheap.
    fn current(&self) -> Option<BearerToken>;

    /// Obtains a token when [`current`](Self::current) has none. Callers
    /// that wait at the same time should share one fetch and its outcome,
    /// failure included. Its failure is never retried by the stack.
    fn fetch(&self) -> TokenFuture;

    /// The server answered `401` to `rejected`: what to do now. The default
    /// hands the answer to the caller.
    fn on_unauthorized(&self, rejected: &BearerToken) -> OnUnauthorized {
        let _ = rejected;
        OnUnauthorized::Return
    }

    /// How many times this source has replaced a token the server
    /// rejected with a new one: each is a new identity on RxInferServer,
    /// which cannot reach the old token's instances. The default, for a
    /// source that never replaces its token, is 0.
    fn replacements(&self) -> u64 {
        0
    }
}

/// A token the user set: always at hand, never renewed.
///
/// ```
/// use rxinfer_transport::{BearerToken, OnUnauthorized, StaticToken, TokenSource};
///
/// let token = BearerToken::new("abc")?;
/// let source = StaticToken::new(token.clone());
/// assert_eq!(source.current(), Some(token.clone()));
/// assert_eq!(source.on_unauthorized(&token), OnUnauthorized::Return);
/// # Ok::<(), rxinfer_transport::InvalidToken>(())
/// ```
#[derive(Debug, Clone)]
pub struct StaticToken(BearerToken);

/// The environment variables [`StaticToken::from_env`] reads, in order.
pub const TOKEN_VARIABLES: [&str; 2] = ["RXINFER_TOKEN", "BEARER_TOKEN"];

impl StaticToken {
    /// Always sends `token`.
    pub fn new(token: BearerToken) -> Self {
        Self(token)
    }

    /// The token in `RXINFER_TOKEN`, or else in `BEARER_TOKEN` (the name
    /// the official client's documentation uses). A variable that is empty
    /// or only whitespace counts as unset.
    ///
    /// # Errors
    ///
    /// [`Error::MissingToken`] when neither is set; [`Error::InvalidToken`]
    /// when the value cannot be a header value.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup`.
    ///
    /// # Errors
    ///
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let value = TOKEN_VARIABLES
            .iter()
            .filter_map(|name| lookup(name))
            .find(|value| !value.trim().is_empty())
            .ok_or(Error::MissingToken)?;
        Ok(Self(BearerToken::new(value.trim())?))
    }
}

impl TokenSource for StaticToken {
    fn current(&self) -> Option<BearerToken> {
        Some(self.0.clone())
    }

    fn fetch(&self) -> TokenFuture {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

impl From<BearerToken> for Arc<dyn TokenSource> {
    fn from(token: BearerToken) -> Self {
        Arc::new(StaticToken::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvalidToken;
    use crate::test_env::lookup;

    #[test]
    fn rxinfer_token_comes_first_then_bearer_token() -> Result<(), Error> {
        let both =
            StaticToken::from_lookup(lookup(&[("BEARER_TOKEN", "b"), ("RXINFER_TOKEN", "r")]))?;
        assert_eq!(
            both.current().map(|t| t.header_value().clone()),
            Some("Bearer r".parse().expect("a header value"))
        );
        let bearer = StaticToken::from_lookup(lookup(&[("BEARER_TOKEN", "b")]))?;
        assert_eq!(
            bearer.current().map(|t| t.header_value().clone()),
            Some("Bearer b".parse().expect("a header value"))
        );
        Ok(())
    }

    #[test]
    fn unset_and_invalid_variables_are_clear_errors() {
        let unset = StaticToken::from_lookup(lookup(&[])).err();
        assert!(matches!(unset, Some(Error::MissingToken)));
        let message = unset.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("RXINFER_TOKEN") && message.contains("BEARER_TOKEN"),
            "{message}"
        );

        let invalid = StaticToken::from_lookup(lookup(&[("RXINFER_TOKEN", "a b")])).err();
        assert!(matches!(
            invalid,
            Some(Error::InvalidToken(InvalidToken::Whitespace { .. }))
        ));
    }

    #[test]
    fn an_empty_variable_counts_as_unset() -> Result<(), Error> {
        let empty = StaticToken::from_lookup(lookup(&[("RXINFER_TOKEN", "  ")])).err();
        assert!(matches!(empty, Some(Error::MissingToken)));
        let next =
            StaticToken::from_lookup(lookup(&[("RXINFER_TOKEN", ""), ("BEARER_TOKEN", "b")]))?;
        assert_eq!(next.current(), Some(BearerToken::new("b")?));
        Ok(())
    }

    #[tokio::test]
    async fn a_static_token_is_never_renewed() -> Result<(), Error> {
        let token = BearerToken::new("abc")?;
        let source = StaticToken::new(token.clone());
        assert_eq!(source.on_unauthorized(&token), OnUnauthorized::Return);
        assert_eq!(source.fetch().await?, token);
        Ok(())
    }
}
