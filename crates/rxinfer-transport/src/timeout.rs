//! Fail a call that takes too long.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use http::Request;
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower::{Layer, Service};

use crate::Error;

/// The timeout of the default stack: 30 seconds for the whole call,
/// connecting and reading the body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A request extension that overrides [`Timeout`]'s duration for that one
/// request.
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

/// Layer that bounds each call's duration; see [`Timeout`].
#[derive(Debug, Clone, Copy)]
pub struct TimeoutLayer {
    timeout: Duration,
}

impl TimeoutLayer {
    /// Fails calls that take longer than `timeout`, unless the request
    /// carries its own [`RequestTimeout`].
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl Default for TimeoutLayer {
    /// [`DEFAULT_TIMEOUT`].
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT)
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// Fails a call with [`Error::Timeout`] when the inner service has not
/// answered in time, and drops the inner call, which closes its connection.
///
/// Unlike a server-side timeout it never makes up a response: the caller
/// gets an error. Place it outermost so it covers everything below,
/// including reading the body.
///
/// ```
/// use std::time::Duration;
/// use rxinfer_transport::{Error, TimeoutLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let slow = service_fn(|_: http::Request<()>| async {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     Ok::<_, Error>(())
/// });
/// let service = TimeoutLayer::new(Duration::from_millis(10)).layer(slow);
/// let result = service.oneshot(http::Request::new(())).await;
/// assert!(matches!(result, Err(Error::Timeout(_))));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, B> Service<Request<B>> for Timeout<S>
where
    S: Service<Request<B>>,
    S::Error: Into<Error>,
{
    type Response = S::Response;
    type Error = Error;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let after = request
            .extensions()
            .get::<RequestTimeout>()
            .map_or(self.timeout, |t| t.0);
        TimeoutFuture {
            inner: self.inner.call(request),
            sleep: tokio::time::sleep(after),
            after,
        }
    }
}

pin_project! {
    /// Response future of [`Timeout`].
    pub struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        #[pin]
        sleep: Sleep,
        after: Duration,
    }
}

impl<F, R, E> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<R, E>>,
    E: Into<Error>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result.map_err(Into::into));
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::Timeout(*this.after))),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_test::{assert_pending, assert_ready};
    use tower_test::mock;

    #[tokio::test(start_paused = true)]
    async fn times_out_with_an_error() {
        let (mut service, mut handle) =
            mock::spawn_layer::<Request<()>, (), _>(TimeoutLayer::new(Duration::from_secs(2)));
        assert!(service.poll_ready().is_ready());
        let mut call = tokio_test::task::spawn(service.call(Request::new(())));
        let _pending = handle.next_request().await;

        tokio::time::advance(Duration::from_millis(1999)).await;
        assert_pending!(call.poll());
        tokio::time::advance(Duration::from_millis(2)).await;
        let result = assert_ready!(call.poll());
        assert!(matches!(result, Err(Error::Timeout(d)) if d == Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_can_override_the_timeout() {
        let (mut service, mut handle) =
            mock::spawn_layer::<Request<()>, (), _>(TimeoutLayer::new(Duration::from_secs(30)));
        assert!(service.poll_ready().is_ready());
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(RequestTimeout(Duration::from_millis(100)));
        let mut call = tokio_test::task::spawn(service.call(request));
        let _pending = handle.next_request().await;

        tokio::time::advance(Duration::from_millis(101)).await;
        let result = assert_ready!(call.poll());
        assert!(matches!(result, Err(Error::Timeout(d)) if d == Duration::from_millis(100)));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_in_time_passes_through() {
        let (mut service, mut handle) =
            mock::spawn_layer::<Request<()>, &str, _>(TimeoutLayer::new(Duration::from_secs(1)));
        assert!(service.poll_ready().is_ready());
        let mut call = tokio_test::task::spawn(service.call(Request::new(())));
        let (_, send) = handle.next_request().await.expect("request forwarded");
        send.send_response("done");
        assert!(matches!(assert_ready!(call.poll()), Ok("done")));
    }
}
