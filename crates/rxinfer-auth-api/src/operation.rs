//! What the operations share: building a request, sending it, decoding JSON.

use bytes::Bytes;
use http::{
    HeaderMap, HeaderValue, Method, Request, Response, Uri,
    header::{ACCEPT, CONTENT_TYPE},
    response::Parts,
};
use rxinfer_transport::{NoAuth, RequestBody, RequestTimeout};
use serde::de::DeserializeOwned;
use tower::{Service, ServiceExt};

use crate::{ApiError, ApiResponse, DecodeError, RawResponse, RequestOptions};

/// One endpoint: its method, its path under the base URL and whether it
/// needs the bearer token.
pub(crate) struct Operation {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    pub(crate) needs_auth: bool,
}

impl Operation {
    /// Sends the operation's request and returns the response undecoded.
    pub(crate) async fn send<S>(
        &self,
        service: S,
        options: &RequestOptions,
    ) -> Result<(Parts, Bytes), ApiError>
    where
        S: Service<Request<RequestBody>, Response = Response<Bytes>>,
        S::Error: Into<rxinfer_transport::Error>,
    {
        let response = service
            .oneshot(self.request(options))
            .await
            .map_err(|e| ApiError::Transport(e.into()))?;
        Ok(response.into_parts())
    }

    fn request(&self, options: &RequestOptions) -> Request<RequestBody> {
        let mut request = Request::new(RequestBody::default());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = Uri::from_static(self.path);
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        if !self.needs_auth {
            request.extensions_mut().insert(NoAuth);
        }
        if let Some(timeout) = options.timeout_override() {
            request.extensions_mut().insert(RequestTimeout(timeout));
        }
        request
    }
}

/// The data of a `200 OK`.
pub(crate) fn success<T: DeserializeOwned>(
    parts: Parts,
    body: Bytes,
) -> Result<ApiResponse<T>, ApiError> {
    match decode(&parts, &body) {
        Ok(data) => Ok(ApiResponse {
            status: parts.status,
            headers: parts.headers,
            data,
        }),
        Err(e) => Err(invalid(parts, body, e)),
    }
}

/// The documented error body of a failure status, turned into its variant.
pub(crate) fn failure<T: DeserializeOwned>(
    parts: Parts,
    body: Bytes,
    variant: fn(T) -> ApiError,
) -> ApiError {
    match decode(&parts, &body) {
        Ok(documented) => variant(documented),
        Err(e) => invalid(parts, body, e),
    }
}

/// A status the operation does not define.
pub(crate) fn unexpected(parts: Parts, body: Bytes) -> ApiError {
    ApiError::UnexpectedStatus(RawResponse::new(parts, body))
}

fn invalid(parts: Parts, body: Bytes, source: DecodeError) -> ApiError {
    ApiError::InvalidBody {
        response: RawResponse::new(parts, body),
        source,
    }
}

fn decode<T: DeserializeOwned>(parts: &Parts, body: &[u8]) -> Result<T, DecodeError> {
    check_json_content_type(&parts.headers)?;
    serde_json::from_slice(body).map_err(DecodeError::Json)
}

/// Accepts `application/json`, any `+json` type, and no content type at all;
/// rejects a declared type that is something else, such as an HTML error
/// page from a proxy.
fn check_json_content_type(headers: &HeaderMap) -> Result<(), DecodeError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let declared = || String::from_utf8_lossy(value.as_bytes()).into_owned();
    let text = value
        .to_str()
        .map_err(|_| DecodeError::ContentType(declared()))?;
    let essence = text.split(';').next().unwrap_or_default().trim();
    let is_json = essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"));
    if is_json {
        Ok(())
    } else {
        Err(DecodeError::ContentType(declared()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(content_type: &'static str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        check_json_content_type(&headers).is_ok()
    }

    #[test]
    fn json_content_types_pass() {
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=utf-8"));
        assert!(check("application/problem+json"));
        assert!(check_json_content_type(&HeaderMap::new()).is_ok());
    }

    #[test]
    fn other_content_types_fail() {
        assert!(!check("text/html"));
        assert!(!check("text/plain; charset=utf-8"));
        assert!(!check("json"));
        assert!(!check(""));
    }

    #[test]
    fn requests_ask_for_json_and_carry_no_body() {
        use http_body::Body as _;
        let operation = Operation {
            method: Method::POST,
            path: "/token/generate",
            needs_auth: false,
        };
        let request = operation.request(&RequestOptions::new());
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/token/generate");
        assert_eq!(request.headers()[ACCEPT], "application/json");
        assert!(request.extensions().get::<NoAuth>().is_some());
        assert!(request.extensions().get::<RequestTimeout>().is_none());
        assert_eq!(request.body().size_hint().exact(), Some(0));
    }
}
