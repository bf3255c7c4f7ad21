//! Answers as the real server writes them: JSON with its content type, the
//! bare `500` of an exception, and the CORS headers on every response.

use bytes::Bytes;
use http::{
    Response, StatusCode,
    header::{
        ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
        CONNECTION, CONTENT_TYPE, HeaderValue,
    },
};
use http_body_util::Full;
use serde::Serialize;

/// A response the stand-in sends.
pub(crate) type Answer = Response<Full<Bytes>>;

pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Answer {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => internal(),
    }
}

pub(crate) fn empty(status: StatusCode) -> Answer {
    let mut response = Response::new(Full::default());
    *response.status_mut() = status;
    response
}

/// An exception that escaped to the HTTP server: 500, no body, and the
/// connection closed, as HTTP.jl answers it.
pub(crate) fn internal() -> Answer {
    let mut response = empty(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

pub(crate) fn add_cors_headers<B>(response: &mut Response<B>) {
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type, Authorization"),
    );
}
