//! Resolve request paths under a base URL.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use http::Request;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{BaseUrl, Error};

/// Layer that resolves request paths under a [`BaseUrl`]; see [`SetBaseUrl`].
#[derive(Debug, Clone)]
pub struct SetBaseUrlLayer {
    base: BaseUrl,
}

impl SetBaseUrlLayer {
    /// Resolves every relative request URI under `base`.
    pub fn new(base: BaseUrl) -> Self {
        Self { base }
    }
}

impl<S> Layer<S> for SetBaseUrlLayer {
    type Service = SetBaseUrl<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SetBaseUrl {
            inner,
            base: self.base.clone(),
        }
    }
}

/// Turns a request for `/token/roles` into one for
/// `http://host:8000/v1/token/roles`, keeping the base's path and the
/// request's query. A request that already has an absolute URI goes through
/// unchanged.
///
/// ```
/// use rxinfer_transport::{BaseUrl, SetBaseUrlLayer};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let service = ServiceBuilder::new()
///     .layer(SetBaseUrlLayer::new("http://127.0.0.1:8000/v1".parse()?))
///     .service(service_fn(|request: http::Request<()>| async move {
///         Ok::<_, std::convert::Infallible>(request.uri().to_string())
///     }));
/// let request = http::Request::get("/token/roles").body(())?;
/// assert_eq!(service.oneshot(request).await?, "http://127.0.0.1:8000/v1/token/roles");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct SetBaseUrl<S> {
    inner: S,
    base: BaseUrl,
}

impl<S, B> Service<Request<B>> for SetBaseUrl<S>
where
    S: Service<Request<B>>,
    S::Error: Into<Error>,
{
    type Response = S::Response;
    type Error = Error;
    type Future = SetBaseUrlFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if request.uri().scheme().is_none() {
            let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
            match self.base.resolve(target) {
                Ok(uri) => *request.uri_mut() = uri,
                Err(error) => return SetBaseUrlFuture::failed(Error::InvalidRequestUri(error)),
            }
        }
        SetBaseUrlFuture::sent(self.inner.call(request))
    }
}

pin_project! {
    /// Response future of [`SetBaseUrl`]: the inner call, or the error that
    /// kept the request from being sent.
    pub struct SetBaseUrlFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Sent { #[pin] future: F },
        Failed { error: Option<Error> },
    }
}

impl<F> SetBaseUrlFuture<F> {
    fn sent(future: F) -> Self {
        Self {
            state: State::Sent { future },
        }
    }

    fn failed(error: Error) -> Self {
        Self {
            state: State::Failed { error: Some(error) },
        }
    }
}

impl<F, R, E> Future for SetBaseUrlFuture<F>
where
    F: Future<Output = Result<R, E>>,
    E: Into<Error>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Sent { future } => Poll::Ready(ready!(future.poll(cx)).map_err(Into::into)),
            StateProj::Failed { error } => Poll::Ready(Err(error.take().unwrap_or(
                Error::Middleware("SetBaseUrlFuture polled after completion".into()),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use tower::{ServiceExt, service_fn};

    async fn resolve(base: &str, uri: &str) -> Result<String, Error> {
        let service = SetBaseUrlLayer::new(BaseUrl::parse(base)?).layer(service_fn(
            |request: Request<()>| async move { Ok::<_, Infallible>(request.uri().to_string()) },
        ));
        let request = Request::builder()
            .uri(uri)
            .body(())
            .map_err(|e| Error::InvalidRequestUri(e.into()))?;
        service.oneshot(request).await
    }

    #[tokio::test]
    async fn resolves_relative_paths_under_the_base() -> Result<(), Error> {
        assert_eq!(
            resolve("http://h:1/v1", "/token/roles").await?,
            "http://h:1/v1/token/roles"
        );
        assert_eq!(
            resolve("http://h:1", "/token/roles").await?,
            "http://h:1/token/roles"
        );
        Ok(())
    }

    #[tokio::test]
    async fn leaves_absolute_uris_alone() -> Result<(), Error> {
        assert_eq!(
            resolve("http://h:1/v1", "http://other:2/x").await?,
            "http://other:2/x"
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_unresolvable_target_is_an_error_not_a_panic() {
        let result = resolve("http://h:1/v1", "*").await;
        assert!(
            matches!(result, Err(Error::InvalidRequestUri(_))),
            "{result:?}"
        );
    }
}
