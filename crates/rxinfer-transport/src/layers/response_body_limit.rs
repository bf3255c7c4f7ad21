//! [`ResponseBodyLimitLayer`]: the body-limit rule
//! ([`rules::body_limit`](crate::rules::body_limit)) as a layer of its own,
//! for stacks built by hand.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{Request, Response};
use http_body::Body;
use tower::{Layer, Service};

use crate::{
    BoxError, Error, RequestBodyLimit, ResponseBody,
    rules::body_limit::{DEFAULT_BODY_LIMIT, read_limited},
};

/// Layer that reads response bodies up to a limit; see [`ResponseBodyLimit`].
#[derive(Debug, Clone, Copy)]
pub struct ResponseBodyLimitLayer {
    limit: usize,
}

impl ResponseBodyLimitLayer {
    /// Accepts bodies of at most `limit` bytes, unless a request carries its
    /// own [`RequestBodyLimit`].
    pub fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl Default for ResponseBodyLimitLayer {
    /// [`DEFAULT_BODY_LIMIT`].
    fn default() -> Self {
        Self::new(DEFAULT_BODY_LIMIT)
    }
}

impl<S> Layer<S> for ResponseBodyLimitLayer {
    type Service = ResponseBodyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ResponseBodyLimit {
            inner,
            limit: self.limit,
        }
    }
}

/// Reads the inner service's streaming response body into memory (see
/// [`DEFAULT_BODY_LIMIT`]), answering a [`ResponseBody`] that holds it.
///
/// ```
/// use http_body_util::Full;
/// use rxinfer_transport::{Error, ResponseBodyLimitLayer};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let server = service_fn(|_: http::Request<()>| async {
///     Ok::<_, Error>(http::Response::new(Full::new(bytes::Bytes::from_static(b"0123456789"))))
/// });
/// let service = ResponseBodyLimitLayer::new(4).layer(server);
/// let result = service.oneshot(http::Request::new(())).await;
/// assert!(matches!(result, Err(Error::BodyTooLarge { limit: 4 })));
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ResponseBodyLimit<S> {
    inner: S,
    limit: usize,
}

/// Response future of [`ResponseBodyLimit`].
pub type ResponseBodyLimitFuture =
    Pin<Box<dyn Future<Output = Result<Response<ResponseBody>, Error>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ResponseBodyLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    ResBody: Body + Send + 'static,
    ResBody::Data: Send,
    ResBody::Error: Into<BoxError>,
    ReqBody: Send + 'static,
{
    type Response = Response<ResponseBody>;
    type Error = Error;
    type Future = ResponseBodyLimitFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(|e| Error::from(e.into()))
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let limit = request
            .extensions()
            .get::<RequestBodyLimit>()
            .map_or(self.limit, |l| l.0);
        let response = self.inner.call(request);
        Box::pin(async move {
            let (parts, body) = response
                .await
                .map_err(|e| Error::from(e.into()))?
                .into_parts();
            let body = read_limited(body, limit).await?;
            Ok(Response::from_parts(parts, ResponseBody::new(body)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::body_limit::read_whole;
    use bytes::Bytes;
    use http_body::Frame;
    use http_body_util::BodyExt;
    use std::convert::Infallible;
    use tower::{ServiceExt, service_fn};

    /// A body that yields the given chunks one poll at a time, then ends.
    struct Chunks(std::collections::VecDeque<Result<&'static [u8], &'static str>>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(self.0.pop_front().map(|chunk| {
                chunk
                    .map(|b| Frame::data(Bytes::from_static(b)))
                    .map_err(BoxError::from)
            }))
        }
    }

    fn chunked(chunks: Vec<Result<&'static [u8], &'static str>>) -> Chunks {
        Chunks(chunks.into())
    }

    #[tokio::test]
    async fn joins_chunks_up_to_the_limit() -> Result<(), Error> {
        let body = read_limited(chunked(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"ef")]), 6).await?;
        assert_eq!(body, "abcdef");
        Ok(())
    }

    #[tokio::test]
    async fn read_whole_joins_frames_and_passes_errors_on() -> Result<(), BoxError> {
        assert_eq!(
            read_whole(chunked(vec![Ok(b"ab"), Ok(b"cd")])).await?,
            "abcd"
        );
        let failed = read_whole(chunked(vec![Ok(b"ab"), Err("reset")])).await;
        assert_eq!(failed.map_err(|e| e.to_string()), Err("reset".to_owned()));
        Ok(())
    }

    #[tokio::test]
    async fn a_body_cut_in_one_byte_chunks_is_gathered_into_one_buffer() -> Result<(), Error> {
        let chunks = (0..4096).map(|i| Ok(&b"abcd"[i % 4..i % 4 + 1])).collect();
        let body = read_limited(chunked(chunks), 4096).await?;
        assert_eq!(body.len(), 4096);
        assert!(body.chunks(4).all(|c| c == b"abcd"));
        Ok(())
    }

    #[tokio::test]
    async fn stops_at_the_first_chunk_past_the_limit() {
        let result =
            read_limited(chunked(vec![Ok(b"abc"), Ok(b"def"), Err("never read")]), 5).await;
        assert!(
            matches!(result, Err(Error::BodyTooLarge { limit: 5 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_body_is_a_body_error() {
        let result = read_limited(chunked(vec![Ok(b"abc"), Err("connection reset")]), 100).await;
        assert!(matches!(result, Err(Error::Body(_))), "{result:?}");
    }

    #[tokio::test]
    async fn an_empty_body_is_empty_bytes() -> Result<(), Error> {
        assert!(read_limited(chunked(vec![]), 0).await?.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn one_chunk_is_kept_without_a_copy() -> Result<(), Error> {
        let chunk = Bytes::from(vec![7u8; 64]);
        let body = http_body_util::Full::new(chunk.clone());
        assert_eq!(read_limited(body, 64).await?.as_ptr(), chunk.as_ptr());
        Ok(())
    }

    fn ten_bytes() -> impl Service<
        Request<()>,
        Response = Response<http_body_util::Full<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Send
    + 'static {
        service_fn(|_: Request<()>| async {
            Ok(Response::new(http_body_util::Full::new(
                Bytes::from_static(b"0123456789"),
            )))
        })
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_fails_before_reading() {
        let result = ResponseBodyLimitLayer::new(9)
            .layer(ten_bytes())
            .oneshot(Request::new(()))
            .await;
        assert!(matches!(result, Err(Error::BodyTooLarge { limit: 9 })));
    }

    #[tokio::test]
    async fn a_request_can_raise_its_own_limit() -> Result<(), Error> {
        let mut request = Request::new(());
        request.extensions_mut().insert(RequestBodyLimit(10));
        let response = ResponseBodyLimitLayer::new(9)
            .layer(ten_bytes())
            .oneshot(request)
            .await?;
        let body = response.into_body().collect().await.map_err(Error::from)?;
        assert_eq!(body.to_bytes(), "0123456789");
        Ok(())
    }
}
