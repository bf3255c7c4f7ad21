//! [`SetBaseUrlLayer`]: base-URL resolution
//! ([`rules::resolution`](crate::rules::resolution)) as a layer of its own,
//! for stacks built by hand.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use http::Request;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{BaseUrl, BoxError, Error, Operation, rules::resolution::Resolver};

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
            resolver: Arc::new(Resolver::new(self.base.clone())),
        }
    }
}

/// Turns a request for `/token/roles` into one for
/// `http://host:8000/v1/token/roles`, keeping the base's path and the
/// request's query. A request that already has an absolute URI goes through
/// unchanged. Resolutions of fixed paths (see [`Operation::fixed_path`]) are
/// remembered.
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
    resolver: Arc<Resolver>,
}

impl<S, B> Service<Request<B>> for SetBaseUrl<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = Error;
    type Future = SetBaseUrlFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(|e| Error::from(e.into()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if request.uri().scheme().is_none() {
            let fixed_path = Operation::of(&request).fixed_path;
            match self.resolver.absolute(request.uri(), fixed_path) {
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
    E: Into<BoxError>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Sent { future } => {
                Poll::Ready(ready!(future.poll(cx)).map_err(|e| Error::from(e.into())))
            }
            StateProj::Failed { error } => Poll::Ready(Err(error.take().unwrap_or(
                Error::Middleware("SetBaseUrlFuture polled after completion".into()),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::resolution::MAX_REMEMBERED;
    use http::Uri;
    use std::convert::Infallible;
    use tower::{ServiceExt, service_fn};

    type EchoUri = SetBaseUrl<
        tower::util::ServiceFn<fn(Request<()>) -> std::future::Ready<Result<String, Infallible>>>,
    >;

    /// A service that answers with the URI the layer resolved.
    fn echo_uri(base: &str) -> Result<EchoUri, Error> {
        let echo: fn(Request<()>) -> std::future::Ready<Result<String, Infallible>> =
            |request| std::future::ready(Ok(request.uri().to_string()));
        Ok(SetBaseUrlLayer::new(BaseUrl::parse(base)?).layer(service_fn(echo)))
    }

    /// How many targets the layer remembers.
    fn remembered(service: &EchoUri) -> usize {
        service.resolver.remembered_count()
    }

    async fn resolve(base: &str, uri: &str) -> Result<String, Error> {
        let service = echo_uri(base)?;
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

    /// A request for `target` of an operation with a fixed path, or not.
    fn get(target: &str, fixed_path: bool) -> Result<Request<()>, Error> {
        let operation = Operation::new("op");
        let operation = if fixed_path {
            operation
        } else {
            operation.with_path_parameters()
        };
        Request::get(target)
            .extension(operation)
            .body(())
            .map_err(|e| Error::InvalidRequestUri(e.into()))
    }

    #[tokio::test]
    async fn remembered_targets_resolve_the_same() -> Result<(), Error> {
        let service = echo_uri("http://h:1/v1")?;
        for _ in 0..3 {
            for (target, expected) in [
                ("/a", "http://h:1/v1/a"),
                ("/b?x=1", "http://h:1/v1/b?x=1"),
                ("/a?x=1", "http://h:1/v1/a?x=1"),
            ] {
                assert_eq!(service.clone().oneshot(get(target, true)?).await?, expected);
            }
        }
        assert_eq!(remembered(&service), 3);
        Ok(())
    }

    #[tokio::test]
    async fn paths_with_parameters_are_not_remembered() -> Result<(), Error> {
        let service = echo_uri("http://h:1/v1")?;
        for i in 0..3 {
            let target = format!("/models/i/{i}/state");
            assert_eq!(
                service.clone().oneshot(get(&target, false)?).await?,
                format!("http://h:1/v1{target}")
            );
        }
        assert_eq!(remembered(&service), 0);
        Ok(())
    }

    #[tokio::test]
    async fn remembering_is_bounded() -> Result<(), Error> {
        let service = echo_uri("http://h:1")?;
        for i in 0..MAX_REMEMBERED + 10 {
            let request = get(&format!("/models/{i}"), true)?;
            assert_eq!(
                service.clone().oneshot(request).await?,
                format!("http://h:1/models/{i}")
            );
        }
        assert_eq!(remembered(&service), MAX_REMEMBERED);
        Ok(())
    }

    #[test]
    fn threads_remembering_at_once_agree_and_stay_bounded() -> Result<(), BoxError> {
        let resolver = Resolver::new("http://h:1/v1".parse()?);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..MAX_REMEMBERED * 2).all(|i| {
                            let target = format!("/t/{}", i % (MAX_REMEMBERED + 8));
                            let uri = Uri::try_from(target.as_str()).map_err(BoxError::from);
                            let resolved = uri.and_then(|uri| resolver.absolute(&uri, true));
                            resolved
                                .is_ok_and(|r| r.to_string() == format!("http://h:1/v1{target}"))
                        })
                    })
                })
                .collect();
            let answers = workers.into_iter().map(|worker| worker.join());
            assert!(answers.into_iter().all(|right| right.is_ok_and(|r| r)));
        });
        let filled = resolver.remembered_count();
        assert_eq!(filled, MAX_REMEMBERED);
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
