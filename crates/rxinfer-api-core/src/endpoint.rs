//! An endpoint as a static table entry, and the paths it is called at.

use std::fmt;

use http::Method;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rxinfer_transport::Operation;

/// One endpoint of the API: its method, and the [`Operation`] the request
/// carries down the stack (name, whether it needs the token, whether it may
/// be sent twice).
///
/// ```
/// use http::Method;
/// use rxinfer_api_core::Endpoint;
/// use rxinfer_transport::Operation;
///
/// static RUN_INFERENCE: Endpoint = Endpoint::new(
///     Method::POST,
///     Operation::new("run_inference").never_resent().with_path_parameters(),
/// );
/// assert!(!RUN_INFERENCE.operation.idempotent);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// What the request tells the stack about itself.
    pub operation: Operation,
}

impl Endpoint {
    /// An endpoint called with `method`.
    pub const fn new(method: Method, operation: Operation) -> Self {
        Self { method, operation }
    }
}

/// Everything but the unreserved characters of RFC 3986: a path segment
/// carries spaces, `/`, `%`, `?`, `#` and any other character as data.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `value` as one path segment, percent-encoded, for use in `format!`:
/// episode names may hold spaces, `/`, `%`, `?` or `#`, which the server
/// decodes once. `.` and `..` are encoded too, so that nothing between here
/// and the server reads them as "this" or "the parent" directory.
///
/// ```
/// use rxinfer_api_core::segment;
///
/// assert_eq!(segment("exp 1/a?b#c%").to_string(), "exp%201%2Fa%3Fb%23c%25");
/// assert_eq!(segment("..").to_string(), "%2E%2E");
/// assert_eq!(segment("default").to_string(), "default");
/// ```
pub fn segment(value: &str) -> impl fmt::Display + '_ {
    Segment(value)
}

struct Segment<'a>(&'a str);

impl fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "." => f.write_str("%2E"),
            ".." => f.write_str("%2E%2E"),
            value => fmt::Display::fmt(&utf8_percent_encode(value, SEGMENT), f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_or_unsafe_character_is_encoded() {
        let name = " %%% -- ////// ... ? @ [ ] é";
        let encoded = segment(name).to_string();
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)),
            "{encoded}"
        );
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8_lossy();
        assert_eq!(decoded, name);
        assert!(format!("/e/{encoded}").parse::<http::Uri>().is_ok());
    }
}
