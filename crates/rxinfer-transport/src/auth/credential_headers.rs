//! Headers that carry credentials, whoever sets them.

use http::{HeaderMap, HeaderName, header};

/// Whether a header named `name` carries credentials: `Authorization`,
/// `Proxy-Authorization`, `Cookie` and `X-Api-Key`. The stack marks such
/// headers sensitive wherever it meets them (default headers, per-call
/// headers), so that `Debug` output and HTTP/2 header compression leave
/// them alone.
///
/// ```
/// use rxinfer_transport::carries_credentials;
///
/// assert!(carries_credentials(&http::header::COOKIE));
/// assert!(!carries_credentials(&http::header::ACCEPT));
/// ```
pub fn carries_credentials(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION
        || name == header::PROXY_AUTHORIZATION
        || name == header::COOKIE
        || name.as_str() == "x-api-key"
}

/// Marks every header of `headers` that carries credentials sensitive.
pub(crate) fn mark_credentials(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if carries_credentials(name) {
            value.set_sensitive(true);
        }
    }
}
