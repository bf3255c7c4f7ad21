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
use http_body::Body;
use http_body_util::{LengthLimitError, Limited};
use pin_project_lite::pin_project;

use crate::{BoxError, Error};

/// The body limit of the default stack: 4 MiB, far above any answer of the
/// API but a long episode list, and small enough that a misbehaving server
/// cannot exhaust memory. One call can raise it with
/// [`RequestBodyLimit`](crate::RequestBodyLimit).
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
