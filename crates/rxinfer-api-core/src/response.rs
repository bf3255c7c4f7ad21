//! A decoded answer with its status and headers.

use std::{
    fmt,
    ops::{Deref, DerefMut},
};

use http::{HeaderMap, StatusCode};
use rxinfer_models::{ArrayData, Distribution, FreeForm, MdArray, Preferences, ReadError, Reader};

use crate::error::RedactedHeaders;

/// A successful answer: the decoded data, with the status and headers it
/// came with (what the Python client's `*_with_http_info` adds).
///
/// It dereferences to the data, so `response.roles` reads the data's field
/// and `response.into_data()` unwraps it. The status and headers are
/// methods, so that they never hide a field of the data of the same name:
/// `ping.status` is the `"ok"` of `{"status":"ok"}`, `ping.status()` the
/// HTTP status.
///
/// ```
/// use http::{HeaderMap, StatusCode};
/// use rxinfer_api_core::ApiResponse;
/// use rxinfer_models::PingResponse;
///
/// let ping = ApiResponse::new(StatusCode::OK, HeaderMap::new(), PingResponse::new("ok"));
/// assert_eq!(ping.status, "ok");
/// assert_eq!(ping.status(), 200);
/// assert_eq!(ping.into_data(), PingResponse::new("ok"));
/// ```
///
/// Its `Debug` output hides the values of headers that carry credentials,
/// as [`RawResponse`](crate::RawResponse)'s does.
#[derive(Clone, PartialEq)]
pub struct ApiResponse<T> {
    status: StatusCode,
    headers: HeaderMap,
    data: T,
}

impl<T: fmt::Debug> fmt::Debug for ApiResponse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiResponse")
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("data", &self.data)
            .finish()
    }
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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The decoded body.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The status, the headers and the decoded body.
    pub fn into_parts(self) -> (StatusCode, HeaderMap, T) {
        (self.status, self.headers, self.data)
    }
}

impl<T> ApiResponse<T> {
    /// The preferences the server applied, from every `Preference-Applied`
    /// line (a proxy may have joined them with commas): how matrices and
    /// distributions in this answer are written. Empty when the server
    /// applied none, which means its defaults.
    pub fn preferences_applied(&self) -> Preferences {
        // The server writes a line per piece; a proxy joining them writes
        // `, ` between (RFC 9110), so pieces are trimmed here, unlike in
        // the server's reading of `Prefer`.
        let pieces = self
            .headers
            .get_all(Preferences::APPLIED_HEADER)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(','))
            .map(|piece| piece.trim_matches([' ', '\t']));
        Preferences::parse(pieces).0
    }
}

impl<T: FreeForm> ApiResponse<T> {
    /// Typed readers of the answer's free-form object (results, state,
    /// parameters), under the preferences the server applied.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, StatusCode};
    /// use rxinfer_api_core::ApiResponse;
    /// use rxinfer_models::{ModelInstanceState, object};
    /// use serde_json::json;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append("preference-applied", HeaderValue::from_static("mdarray_repr=dict_shape"));
    /// headers.append("preference-applied", HeaderValue::from_static("mdarray_data=reshape_column_major"));
    /// let state = ModelInstanceState::new(object([("A", json!({"shape": [2, 2], "data": [1, 3, 2, 4]}))]));
    /// let answer = ApiResponse::new(StatusCode::OK, headers, state);
    /// let a = answer.read().matrix("A")?;
    /// assert_eq!(a.as_row_major(), [1.0, 2.0, 3.0, 4.0]);
    /// # Ok::<(), rxinfer_models::ReadError>(())
    /// ```
    pub fn read(&self) -> Reader<'_> {
        Reader::new(self.data.object(), &self.preferences_applied())
    }

    /// The whole matrix at `key`, read under the preferences the server
    /// applied (these readers on an answer take the place of
    /// [`FreeForm`]'s, which assume the server's defaults).
    ///
    /// # Errors
    ///
    /// As [`Reader::matrix`].
    pub fn matrix(&self, key: &str) -> Result<MdArray, ReadError> {
        self.read().matrix(key)
    }

    /// The array at `key` in whatever form the server applied.
    ///
    /// # Errors
    ///
    /// As [`Reader::array`].
    pub fn array(&self, key: &str) -> Result<ArrayData, ReadError> {
        self.read().array(key)
    }

    /// The vector of numbers at `key`.
    ///
    /// # Errors
    ///
    /// As [`Reader::vector`].
    pub fn vector(&self, key: &str) -> Result<Vec<f64>, ReadError> {
        self.read().vector(key)
    }

    /// The distribution at `key`, read under the preferences the server
    /// applied.
    ///
    /// # Errors
    ///
    /// As [`Reader::distribution`].
    pub fn distribution(&self, key: &str) -> Result<Distribution, ReadError> {
        self.read().distribution(key)
    }

    /// The list of distributions at `key`.
    ///
    /// # Errors
    ///
    /// As [`Reader::distributions`].
    pub fn distributions(&self, key: &str) -> Result<Vec<Distribution>, ReadError> {
        self.read().distributions(key)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_applied_are_read_from_lines_joined_or_not() {
        use rxinfer_models::{DistributionsData, MdArrayData, MdArrayRepr};
        let mut headers = HeaderMap::new();
        headers.append(
            "preference-applied",
            http::HeaderValue::from_static("mdarray_repr=data, mdarray_data=diagonal"),
        );
        headers.append(
            "preference-applied",
            http::HeaderValue::from_static("distributions_data=none"),
        );
        let answer = ApiResponse::new(StatusCode::OK, headers, ());
        assert_eq!(
            answer.preferences_applied(),
            Preferences::new()
                .with_mdarray_repr(MdArrayRepr::Data)
                .with_mdarray_data(MdArrayData::Diagonal)
                .with_distributions_data(DistributionsData::None)
        );
    }
    use http::{HeaderValue, header::SET_COOKIE};

    #[test]
    fn debug_hides_a_session_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(SET_COOKIE, HeaderValue::from_static("session=s3cr3t"));
        let answer = ApiResponse::new(StatusCode::OK, headers, "data");
        let debug = format!("{answer:?}");
        assert!(
            !debug.contains("s3cr3t") && debug.contains("set-cookie"),
            "{debug}"
        );
        assert!(debug.contains("data"), "{debug}");
    }
}
