//! Read response bodies into memory, up to a limit.
//!
//! The counting is `http_body_util`'s [`Limited`], after an early check of
//! a declared length; the gathering is [`read_whole`]'s, not `collect()`,
//! which keeps every frame as its own `Bytes` (a queue allocated even for a
//! body of one frame): a hostile server sending a 4 MiB body in one-byte
//! chunks would make that millions of handles, each pinning a read buffer,
//! far beyond the limit in memory. tower-http's body
//! limit applies to request bodies on a server; nothing there reads a
//! client's response whole, which is what every caller of this API needs
//! before decoding JSON.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{Request, Response};
use http_body::Body;
use http_body_util::{LengthLimitError, Limited};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

use crate::{BoxError, Error, RequestBodyLimit, ResponseBody};

/// The body limit of the default stack: 4 MiB, far above any answer of the
/// API but a long episode list, and small enough that a misbehaving server
/// cannot exhaust memory. One call can raise it with [`RequestBodyLimit`].
pub const DEFAULT_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Reads `body` whole, failing with [`Error::BodyTooLarge`] as soon as it is
/// known to be larger than `limit`: at once when its declared length says
/// so, or at the first chunk past the limit. Reading stops there; the rest
/// of the body is never pulled off the connection.
pub(crate) async fn read_limited<B>(body: B, limit: usize) -> Result<Bytes, Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    collected(start_reading(body, limit)?.await, limit)
}

/// The first half of [`read_limited`]: the declared length checked, the
/// reading set up.
pub(crate) fn start_reading<B>(body: B, limit: usize) -> Result<Gather<Limited<B>>, Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > limit as u64 {
        return Err(Error::BodyTooLarge { limit });
    }
    Ok(Gather::new(Limited::new(body, limit)))
}

/// Reads `body` whole, with no limit of its own, into one buffer: a body of
/// one frame (what the default stack hands on) is kept as it came, without
/// a copy; later frames are copied into one growing buffer, so memory stays
/// within twice the body's size however it is cut.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
///
/// # tokio_test::block_on(async {
/// let body = Full::new(Bytes::from_static(b"{\"roles\":[]}"));
/// assert_eq!(rxinfer_transport::read_whole(body).await?, r#"{"roles":[]}"#);
/// # Ok::<(), rxinfer_transport::BoxError>(())
/// # });
/// ```
pub async fn read_whole<B>(body: B) -> Result<Bytes, BoxError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    Gather::new(body).await
}

/// The second half of [`read_limited`]: what the reading gave, as the
/// stack reports it.
pub(crate) fn collected(result: Result<Bytes, BoxError>, limit: usize) -> Result<Bytes, Error> {
    match result {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.is::<LengthLimitError>() => Err(Error::BodyTooLarge { limit }),
        Err(error) => Err(Error::Body(error)),
    }
}

pin_project! {
    /// The future of [`read_whole`], which the default stack holds inline.
    pub(crate) struct Gather<B> {
        #[pin]
        body: B,
        first: Option<Bytes>,
        rest: BytesMut,
    }
}

impl<B> Gather<B> {
    fn new(body: B) -> Self {
        Self {
            body,
            first: None,
            rest: BytesMut::new(),
        }
    }
}

impl<B> Future for Gather<B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Bytes, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let frame = match std::task::ready!(this.body.as_mut().poll_frame(cx)) {
                None => break,
                Some(frame) => frame.map_err(Into::into)?,
            };
            let Ok(mut data) = frame.into_data() else {
                continue;
            };
            if this.first.is_none() && this.rest.is_empty() {
                *this.first = Some(data.copy_to_bytes(data.remaining()));
                continue;
            }
            if let Some(first) = this.first.take() {
                this.rest.extend_from_slice(&first);
            }
            this.rest.put(data);
        }
        Poll::Ready(Ok(match this.first.take() {
            Some(first) => first,
            None => std::mem::take(this.rest).freeze(),
        }))
    }
}

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
