//! A decoded answer with its status and headers.

use http::{HeaderMap, StatusCode};

/// A successful answer: the decoded data, with the status and headers it
/// came with (what the Python client's `*_with_http_info` returns).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The HTTP status, `200 OK` for the Authentication operations.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The decoded body.
    pub data: T,
}

impl<T> ApiResponse<T> {
    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }
}
