//! Read response bodies into memory, up to a limit.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use bytes::{Buf, Bytes, BytesMut};
use http::{Request, Response, response::Parts};
use http_body::Body;
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{BoxError, Error};

/// The body limit of the default stack: 4 MiB, far above any answer of the
/// Authentication API and small enough that a misbehaving server cannot
/// exhaust memory.
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Layer that reads response bodies up to a limit; see [`ResponseBodyLimit`].
#[derive(Debug, Clone, Copy)]
pub struct ResponseBodyLimitLayer {
    limit: usize,
}

impl ResponseBodyLimitLayer {
    /// Accepts bodies of at most `limit` bytes.
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

/// Reads the inner service's streaming response body into one [`Bytes`],
/// failing with [`Error::BodyTooLarge`] as soon as the body is known to be
/// larger than the limit: at once when its declared length says so, or at
/// the first chunk past the limit. Reading stops there; the rest of the body
/// is never pulled off the connection.
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

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ResponseBodyLimit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<Error>,
    ResBody: Body,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Bytes>;
    type Error = Error;
    type Future = ResponseBodyLimitFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        ResponseBodyLimitFuture {
            state: State::Waiting {
                future: self.inner.call(request),
            },
            limit: self.limit,
        }
    }
}

pin_project! {
    /// Response future of [`ResponseBodyLimit`]: waits for the response
    /// head, then reads the body.
    pub struct ResponseBodyLimitFuture<F, B> {
        #[pin]
        state: State<F, B>,
        limit: usize,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Waiting { #[pin] future: F },
        Reading { parts: Option<Parts>, #[pin] body: B, buffer: BodyBuffer },
    }
}

impl<F, B, E> Future for ResponseBodyLimitFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<Error>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Bytes>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Waiting { future } => {
                    let (parts, body) = ready!(future.poll(cx)).map_err(Into::into)?.into_parts();
                    if body.size_hint().lower() > *this.limit as u64 {
                        return Poll::Ready(Err(Error::BodyTooLarge { limit: *this.limit }));
                    }
                    this.state.set(State::Reading {
                        parts: Some(parts),
                        body,
                        buffer: BodyBuffer::default(),
                    });
                }
                StateProj::Reading {
                    parts,
                    mut body,
                    buffer,
                } => {
                    while let Some(frame) = ready!(body.as_mut().poll_frame(cx)) {
                        let frame = frame.map_err(|e| Error::Body(e.into()))?;
                        if let Ok(data) = frame.into_data() {
                            buffer.push(data, *this.limit)?;
                        }
                    }
                    let parts = parts.take().ok_or_else(|| {
                        Error::Middleware("ResponseBodyLimitFuture polled after completion".into())
                    })?;
                    let body = std::mem::take(buffer).into_bytes();
                    return Poll::Ready(Ok(Response::from_parts(parts, body)));
                }
            }
        }
    }
}

/// The body read so far. A body that arrives in one chunk, as small JSON
/// answers do, is kept as that chunk without a copy.
#[derive(Default)]
struct BodyBuffer {
    first: Option<Bytes>,
    rest: Option<BytesMut>,
    len: usize,
}

impl BodyBuffer {
    fn push<D: Buf>(&mut self, mut data: D, limit: usize) -> Result<(), Error> {
        self.len = self.len.saturating_add(data.remaining());
        if self.len > limit {
            return Err(Error::BodyTooLarge { limit });
        }
        if let Some(rest) = &mut self.rest {
            rest.extend_from_slice(&data.copy_to_bytes(data.remaining()));
        } else if let Some(first) = self.first.take() {
            let mut rest = BytesMut::with_capacity(self.len);
            rest.extend_from_slice(&first);
            rest.extend_from_slice(&data.copy_to_bytes(data.remaining()));
            self.rest = Some(rest);
        } else {
            self.first = Some(data.copy_to_bytes(data.remaining()));
        }
        Ok(())
    }

    fn into_bytes(self) -> Bytes {
        match (self.rest, self.first) {
            (Some(rest), _) => rest.freeze(),
            (None, Some(first)) => first,
            (None, None) => Bytes::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    async fn read(limit: usize, body: Chunks) -> Result<Bytes, Error> {
        let body = std::sync::Mutex::new(Some(body));
        let server = service_fn(move |_: Request<()>| {
            let body = body.lock().ok().and_then(|mut b| b.take());
            async move {
                body.map(Response::new)
                    .ok_or(Error::Middleware("called twice".into()))
            }
        });
        let response = ResponseBodyLimitLayer::new(limit)
            .layer(server)
            .oneshot(Request::new(()))
            .await?;
        Ok(response.into_body())
    }

    #[tokio::test]
    async fn joins_chunks_up_to_the_limit() -> Result<(), Error> {
        let body = read(6, chunked(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"ef")])).await?;
        assert_eq!(body, "abcdef");
        Ok(())
    }

    #[tokio::test]
    async fn stops_at_the_first_chunk_past_the_limit() {
        let result = read(5, chunked(vec![Ok(b"abc"), Ok(b"def"), Err("never read")])).await;
        assert!(
            matches!(result, Err(Error::BodyTooLarge { limit: 5 })),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_body_is_a_body_error() {
        let result = read(100, chunked(vec![Ok(b"abc"), Err("connection reset")])).await;
        assert!(matches!(result, Err(Error::Body(_))), "{result:?}");
    }

    #[tokio::test]
    async fn an_empty_body_is_empty_bytes() -> Result<(), Error> {
        assert!(read(0, chunked(vec![])).await?.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_fails_before_reading() {
        let server = service_fn(|_: Request<()>| async {
            let body = http_body_util::Full::new(Bytes::from_static(b"0123456789"))
                .map_err(|never: Infallible| match never {});
            Ok::<_, Error>(Response::new(body))
        });
        let result = ResponseBodyLimitLayer::new(9)
            .layer(server)
            .oneshot(Request::new(()))
            .await;
        assert!(matches!(result, Err(Error::BodyTooLarge { limit: 9 })));
    }

    #[test]
    fn one_chunk_is_kept_without_a_copy() -> Result<(), Error> {
        let chunk = Bytes::from(vec![7u8; 64]);
        let mut buffer = BodyBuffer::default();
        buffer.push(chunk.clone(), 64)?;
        assert_eq!(buffer.into_bytes().as_ptr(), chunk.as_ptr());
        Ok(())
    }
}
