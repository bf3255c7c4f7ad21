//! Name the client in a `User-Agent` header.

use std::task::{Context, Poll};

use http::{HeaderValue, Request, header::USER_AGENT};
use tower::{Layer, Service};

/// `rxinfer-transport/<version>`: this crate's name and version.
pub const DEFAULT_USER_AGENT: &str =
    concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// Layer that adds a `User-Agent`; see [`SetUserAgent`].
#[derive(Debug, Clone)]
pub struct SetUserAgentLayer {
    value: HeaderValue,
}

impl SetUserAgentLayer {
    /// Sends `value` as the user agent.
    pub fn new(value: HeaderValue) -> Self {
        Self { value }
    }
}

impl Default for SetUserAgentLayer {
    /// Sends [`DEFAULT_USER_AGENT`].
    fn default() -> Self {
        Self::new(HeaderValue::from_static(DEFAULT_USER_AGENT))
    }
}

impl<S> Layer<S> for SetUserAgentLayer {
    type Service = SetUserAgent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetUserAgent {
            inner,
            value: self.value.clone(),
        }
    }
}

/// Adds a `User-Agent` header to requests that have none.
///
/// ```
/// use rxinfer_transport::{DEFAULT_USER_AGENT, SetUserAgentLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let service = SetUserAgentLayer::default().layer(service_fn(|request: http::Request<()>| async move {
///     Ok::<_, std::convert::Infallible>(request.headers()["user-agent"].clone())
/// }));
/// assert_eq!(service.oneshot(http::Request::new(())).await?, DEFAULT_USER_AGENT);
/// # Ok::<(), std::convert::Infallible>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct SetUserAgent<S> {
    inner: S,
    value: HeaderValue,
}

impl<S, B> Service<Request<B>> for SetUserAgent<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request
            .headers_mut()
            .entry(USER_AGENT)
            .or_insert_with(|| self.value.clone());
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::{ServiceExt, service_fn};

    #[test]
    fn names_this_crate_and_version() {
        assert!(DEFAULT_USER_AGENT.starts_with("rxinfer-transport/"));
        assert!(DEFAULT_USER_AGENT.ends_with(env!("CARGO_PKG_VERSION")));
    }

    #[tokio::test]
    async fn keeps_a_user_agent_the_caller_set() -> Result<(), Infallible> {
        let service = SetUserAgentLayer::default().layer(service_fn(|r: Request<()>| async move {
            Ok::<_, Infallible>(r.headers().get_all(USER_AGENT).iter().count())
        }));
        let mut request = Request::new(());
        request
            .headers_mut()
            .insert(USER_AGENT, HeaderValue::from_static("mine/1"));
        assert_eq!(service.oneshot(request).await?, 1);
        Ok(())
    }
}
