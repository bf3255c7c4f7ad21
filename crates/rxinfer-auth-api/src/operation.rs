//! What the operations share: building a request, sending it, decoding the
//! answer by status.

use std::{sync::LazyLock, time::Instant};

use bytes::Bytes;
use http::{
    HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri,
    header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE},
    response::Parts,
};
use rxinfer_transport::{NoAuth, RequestBody, RequestTimeout};
use serde::de::DeserializeOwned;
use tower::{Service, ServiceExt};
use tracing::{Instrument, field::Empty};

use crate::{ApiError, ApiResponse, DecodeError, RawResponse, RequestOptions};

/// One endpoint: its method, its path under the base URL (parsed once),
/// whether it needs the bearer token, and the error status it documents
/// with the variant that carries that status's body.
pub(crate) struct Operation<E> {
    /// The name in spans and events, as the Rust function is called.
    pub(crate) name: &'static str,
    pub(crate) method: Method,
    pub(crate) path: &'static LazyLock<Uri>,
    pub(crate) needs_auth: bool,
    pub(crate) documented_error: (StatusCode, fn(E) -> ApiError),
}

impl<E: DeserializeOwned> Operation<E> {
    /// Sends the request and decodes the answer, then hands the decoded
    /// response to `finish`. One `async fn` for the whole call, so the
    /// future is built in place rather than moved through wrappers.
    pub(crate) async fn call<S, T, O>(
        &self,
        mut service: S,
        options: &RequestOptions,
        finish: fn(ApiResponse<T>) -> O,
    ) -> Result<O, ApiError>
    where
        S: Service<Request<RequestBody>, Response = Response<Bytes>>,
        S::Error: Into<rxinfer_transport::Error>,
        T: DeserializeOwned,
    {
        let transport = |e: S::Error| ApiError::Transport(e.into());
        // Layers below record the full URL into this span; no field ever
        // holds a header, so no token reaches a log.
        let span = tracing::info_span!(
            "rxinfer.call",
            operation = self.name,
            http.method = %self.method,
            url.path = self.path.path(),
            url.full = Empty,
            http.status = Empty,
            latency_ms = Empty,
        );
        let ready = service.ready().await.map_err(transport)?;
        let request = self.request(options);
        // With nobody listening, the span costs nothing on the way.
        let response = if span.is_disabled() {
            ready.call(request).await
        } else {
            let started = Instant::now();
            let sent = span.in_scope(|| ready.call(request));
            let response = sent.instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_secs_f64() * 1e3);
            response
        };
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                let error = transport(error);
                tracing::debug!(parent: &span, error = %error, "rxinfer call failed");
                return Err(error);
            }
        };
        let (parts, body) = response.into_parts();
        span.record("http.status", parts.status.as_u16());
        tracing::debug!(parent: &span, status = parts.status.as_u16(), "rxinfer call answered");
        match parts.status {
            StatusCode::OK => success(parts, body).map(finish),
            status if status == self.documented_error.0 => {
                Err(failure(parts, body, self.documented_error.1))
            }
            _ => Err(ApiError::UnexpectedStatus(RawResponse::new(parts, body))),
        }
    }

    fn request(&self, options: &RequestOptions) -> Request<RequestBody> {
        let mut request = Request::new(RequestBody::default());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = Uri::clone(self.path);
        request
            .headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in options.headers() {
            request.headers_mut().insert(name, value.clone());
        }
        if !self.needs_auth {
            request.extensions_mut().insert(NoAuth);
        } else if let Some(token) = options.token_override() {
            // BearerAuth leaves a request's own Authorization in place.
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.header_value().clone());
        }
        if let Some(timeout) = options.timeout_override() {
            request.extensions_mut().insert(RequestTimeout(timeout));
        }
        request
    }
}

/// The data of a `200 OK`.
fn success<T: DeserializeOwned>(parts: Parts, body: Bytes) -> Result<ApiResponse<T>, ApiError> {
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
fn failure<E: DeserializeOwned>(parts: Parts, body: Bytes, variant: fn(E) -> ApiError) -> ApiError {
    match decode(&parts, &body) {
        Ok(documented) => variant(documented),
        Err(e) => invalid(parts, body, e),
    }
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
    // What RxInferServer sends, settled without parsing (measured: most of
    // this function's cost on the hot path).
    if value.as_bytes() == b"application/json" {
        return Ok(());
    }
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
    use rxinfer_models::ErrorResponse;

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
        static PATH: LazyLock<Uri> = LazyLock::new(|| Uri::from_static("/token/generate"));
        let operation = Operation::<ErrorResponse> {
            name: "token_generate",
            method: Method::POST,
            path: &PATH,
            needs_auth: false,
            documented_error: (StatusCode::BAD_REQUEST, ApiError::BadRequest),
        };
        let request = operation.request(&RequestOptions::new());
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/token/generate");
        assert_eq!(request.headers()[ACCEPT], "application/json");
        assert!(request.extensions().get::<NoAuth>().is_some());
        assert!(request.extensions().get::<RequestTimeout>().is_none());
        assert_eq!(request.body().size_hint().exact(), Some(0));
    }

    static ROLES: LazyLock<Uri> = LazyLock::new(|| Uri::from_static("/token/roles"));

    fn operation(needs_auth: bool) -> Operation<ErrorResponse> {
        Operation {
            name: "token_roles",
            method: Method::GET,
            path: &ROLES,
            needs_auth,
            documented_error: (StatusCode::BAD_REQUEST, ApiError::BadRequest),
        }
    }

    #[test]
    fn extra_headers_are_sent_and_may_replace_accept() {
        let options = RequestOptions::new()
            .header(
                http::HeaderName::from_static("x-trace"),
                HeaderValue::from_static("7"),
            )
            .header(ACCEPT, HeaderValue::from_static("application/problem+json"));
        let request = operation(true).request(&options);
        assert_eq!(request.headers()["x-trace"], "7");
        assert_eq!(request.headers()[ACCEPT], "application/problem+json");
        assert_eq!(request.headers().get_all(ACCEPT).iter().count(), 1);
    }

    #[test]
    fn a_token_override_is_sent_only_where_auth_is_needed()
    -> Result<(), rxinfer_transport::InvalidToken> {
        let options = RequestOptions::new().token(rxinfer_transport::BearerToken::new("per-call")?);
        let request = operation(true).request(&options);
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer per-call");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        let request = operation(false).request(&options);
        assert!(request.headers().get(AUTHORIZATION).is_none());
        Ok(())
    }

    #[test]
    fn an_authorization_header_option_is_marked_sensitive() {
        let options =
            RequestOptions::new().header(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(options.headers()[AUTHORIZATION].is_sensitive());
    }
}
