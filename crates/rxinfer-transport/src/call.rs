//! What a request tells the stack about itself, as request extensions: the
//! operation it belongs to, and per-call overrides of the configuration.

use std::time::Duration;

use http::{Method, Request};

/// A response extension: this answer came from an attempt sent after an
/// earlier one whose answer was lost once its request may have reached the
/// server (the connection dropped after the request was written). That
/// earlier attempt may have taken effect: a re-sent `DELETE` answered `404`
/// most likely found its own earlier delete done.
///
/// ```
/// use rxinfer_transport::ResentAfterLostAnswer;
///
/// # let response = http::Response::new(());
/// if response.extensions().get::<ResentAfterLostAnswer>().is_some() {
///     // an earlier attempt may have done the work
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResentAfterLostAnswer;

/// A response extension: the base URL of the replica that answered, when
/// a replica set (`Replicas`, feature `replicas`) sent the call. The
/// request went to that replica, not to the set's first URL.
///
/// ```
/// use rxinfer_transport::AnsweredBy;
///
/// # let response = http::Response::new(());
/// if let Some(AnsweredBy(replica)) = response.extensions().get::<AnsweredBy>() {
///     println!("answered by {replica}");
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredBy(pub crate::BaseUrl);

/// A response extension on a `401 Unauthorized` answered to a request that
/// carried a token: which token the server rejected, by its fingerprint.
/// On RxInferServer, which never expires tokens, it means the server's
/// database does not know that token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRejected(pub crate::Fingerprint);

/// The API operation a request belongs to, carried as a request extension
/// by the API crates. The stack reads it to name the call in its span, to
/// decide whether the request carries the token, and whether it may be sent
/// again after a failure.
///
/// A request without one is treated by its method: it carries the token,
/// and only idempotent methods are re-sent.
///
/// ```
/// use rxinfer_transport::Operation;
///
/// static TOKEN_GENERATE: Operation = Operation::new("token_generate")
///     .without_token()
///     .never_resent();
///
/// let mut request = http::Request::post("/token/generate").body(())?;
/// request.extensions_mut().insert(TOKEN_GENERATE);
/// assert!(!Operation::of(&request).needs_token);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The operation's name, as the API crates call the function
    /// (`token_roles`, `run_inference`).
    pub name: &'static str,
    /// Whether the request carries the bearer token.
    pub needs_token: bool,
    /// Whether sending the request twice has the effect of sending it once,
    /// so that it may be sent again when the first try may have reached the
    /// server.
    pub idempotent: bool,
    /// Whether the path is the same on every call (no path parameters), so
    /// that its resolution under the base URL can be remembered.
    pub fixed_path: bool,
}

impl Operation {
    /// An operation that carries the token, is idempotent and has a fixed
    /// path.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            needs_token: true,
            idempotent: true,
            fixed_path: true,
        }
    }

    /// The same operation, sent without a token.
    pub const fn without_token(mut self) -> Self {
        self.needs_token = false;
        self
    }

    /// The same operation, never sent again once it may have reached the
    /// server: it changes server state.
    pub const fn never_resent(mut self) -> Self {
        self.idempotent = false;
        self
    }

    /// The same operation, with path parameters.
    pub const fn with_path_parameters(mut self) -> Self {
        self.fixed_path = false;
        self
    }

    /// The operation `request` belongs to: its extension, or else what its
    /// method implies (name `"request"`).
    pub fn of<B>(request: &Request<B>) -> Self {
        request
            .extensions()
            .get::<Operation>()
            .copied()
            .unwrap_or_else(|| Self::by_method(request.method()))
    }

    pub(crate) fn by_method(method: &Method) -> Self {
        let mut operation = Self::new("request").with_path_parameters();
        operation.idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        operation
    }
}

/// A request extension that overrides the configured timeout for that one
/// call. As with [`Config::timeout`](crate::Config::timeout), the call never
/// expires early, and usually within 2 ms after it.
///
/// ```
/// use std::time::Duration;
/// use rxinfer_transport::RequestTimeout;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(RequestTimeout(Duration::from_millis(250)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeout(pub Duration);

/// A request extension that overrides the configured response body limit
/// for that one call, such as for a large episode list.
///
/// ```
/// use rxinfer_transport::RequestBodyLimit;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(RequestBodyLimit(64 * 1024 * 1024));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBodyLimit(pub usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_extension_the_method_decides() {
        let get = Request::get("/x").body(()).expect("request");
        let post = Request::post("/x").body(()).expect("request");
        assert!(Operation::of(&get).idempotent);
        assert!(!Operation::of(&post).idempotent);
        assert!(Operation::of(&post).needs_token);
        assert!(!Operation::of(&get).fixed_path);
    }

    #[test]
    fn the_extension_wins_over_the_method() {
        let mut delete = Request::delete("/x").body(()).expect("request");
        delete
            .extensions_mut()
            .insert(Operation::new("wipe").never_resent());
        assert!(!Operation::of(&delete).idempotent);
        assert_eq!(Operation::of(&delete).name, "wipe");
    }
}
