//! Headers that carry credentials, whoever sets them.

use http::{HeaderMap, HeaderName, header};

/// Whether a header named `name` carries credentials: `Authorization`,
/// `Proxy-Authorization`, `Cookie`, `Set-Cookie` (a session a server
/// hands out) and `X-Api-Key`. The stack marks such headers sensitive
/// wherever it meets them (default headers, per-call headers), so that
/// `Debug` output and HTTP/2 header compression leave them alone, and
/// hides their values when it prints a response.
///
/// A `WWW-Authenticate` or `Proxy-Authenticate` challenge says how to
/// authenticate, not with what, so it is not one of them.
///
/// ```
/// use rxinfer_transport::carries_credentials;
///
/// assert!(carries_credentials(&http::header::COOKIE));
/// assert!(carries_credentials(&http::header::SET_COOKIE));
/// assert!(!carries_credentials(&http::header::ACCEPT));
/// ```
pub fn carries_credentials(name: &HeaderName) -> bool {
    name == header::AUTHORIZATION
        || name == header::PROXY_AUTHORIZATION
        || name == header::COOKIE
        || name == header::SET_COOKIE
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_either_direction_and_challenges_are_not_credentials() {
        for name in [
            header::AUTHORIZATION,
            header::PROXY_AUTHORIZATION,
            header::COOKIE,
            header::SET_COOKIE,
            HeaderName::from_static("x-api-key"),
        ] {
            assert!(carries_credentials(&name), "{name}");
        }
        for name in [
            header::WWW_AUTHENTICATE,
            header::PROXY_AUTHENTICATE,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-request-id"),
        ] {
            assert!(!carries_credentials(&name), "{name}");
        }
    }
}
