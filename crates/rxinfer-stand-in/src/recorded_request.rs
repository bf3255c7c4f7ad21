//! A request as the stand-in received it.

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

/// A request the server received, kept when
/// [`record_requests`](crate::StandInBuilder::record_requests) is on.
///
/// The `Authorization` header is marked sensitive, so `Debug` output does
/// not show the token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The request target, as sent (path and query).
    pub uri: Uri,
    /// The headers, as sent.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// Which replica of a [`StandInCluster`](crate::StandInCluster)
    /// received it ([`Replica::index`](crate::Replica::index)); 0 for a
    /// [`StandIn`](crate::StandIn).
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub replica: usize,
}
