//! A decoded answer with its status and headers.

use std::ops::{Deref, DerefMut};

use http::{HeaderMap, StatusCode};

/// A successful answer: the decoded data, with the status and headers it
/// came with. It dereferences to the data, so `response.roles` reads the
/// field and `response.into_data()` unwraps it; `status` and `headers`
/// are what the Python client's `*_with_http_info` adds.
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use rxinfer_api_core::ApiResponse;
///
/// let response = ApiResponse::new(StatusCode::OK, HeaderMap::new(), vec![1, 2, 3]);
/// assert_eq!(response.len(), 3);
/// assert_eq!(response.status, 200);
/// assert_eq!(response.into_data(), [1, 2, 3]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiResponse<T> {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The decoded body.
    pub data: T,
}

impl<T> ApiResponse<T> {
    /// An answer of `status` with `headers` and `data`.
    pub fn new(status: StatusCode, headers: HeaderMap, data: T) -> Self {
        Self {
            status,
            headers,
            data,
        }
    }

    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }
}

impl<T> Deref for ApiResponse<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for ApiResponse<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}
