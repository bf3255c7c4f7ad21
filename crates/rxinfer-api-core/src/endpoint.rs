//! An endpoint as a static table entry, and the paths it is called at.

use std::{fmt, sync::OnceLock};

use http::{Method, Uri, uri::InvalidUri};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rxinfer_transport::Operation;

/// One endpoint of the API: its method, the [`Operation`] the request
/// carries down the stack (name, whether it needs the token, whether it may
/// be sent twice), and its path when it has no parameters.
///
/// ```
/// use http::{Method, Uri, uri::InvalidUri};
/// use rxinfer_api_core::Endpoint;
/// use rxinfer_transport::Operation;
///
/// static RUN_INFERENCE: Endpoint = Endpoint::new(
///     Method::POST,
///     Operation::new("run_inference").never_resent().with_path_parameters(),
/// );
/// static PING: Endpoint =
///     Endpoint::fixed(Method::GET, Operation::new("ping_server").without_token(), "/ping");
/// assert!(!RUN_INFERENCE.operation.idempotent);
/// assert_eq!(PING.path(), Some("/ping"));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Endpoint {
    /// The HTTP method.
    pub method: Method,
    /// What the request tells the stack about itself.
    pub operation: Operation,
    path: Option<&'static str>,
    // Parsed at the first call and cloned after (callgrind: about 450
    // instructions a call fewer; see the token_roles bench's notes).
    uri: OnceLock<Uri>,
}

impl Endpoint {
    /// An endpoint with path parameters, called with `method` at paths
    /// built per call ([`Call::at`](crate::Call::at)).
    pub const fn new(method: Method, operation: Operation) -> Self {
        Self {
            method,
            operation,
            path: None,
            uri: OnceLock::new(),
        }
    }

    /// An endpoint called with `method` at the fixed `path` under the base
    /// URL, such as `/token/roles` ([`Call::fixed`](crate::Call::fixed)).
    pub const fn fixed(method: Method, operation: Operation, path: &'static str) -> Self {
        Self {
            method,
            operation,
            path: Some(path),
            uri: OnceLock::new(),
        }
    }

    /// The fixed path parsed, once, in place (`None`: path parameters).
    pub(crate) fn uri(&self) -> Option<Result<Uri, InvalidUri>> {
        let path = self.path?;
        if let Some(uri) = self.uri.get() {
            return Some(Ok(uri.clone()));
        }
        let parsed = Uri::from_maybe_shared(bytes::Bytes::from_static(path.as_bytes()));
        Some(parsed.map(|uri| self.uri.get_or_init(|| uri).clone()))
    }

    /// The fixed path, for an endpoint without path parameters.
    pub fn path(&self) -> Option<&'static str> {
        self.path
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
    use proptest::prelude::Strategy;

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

    /// The name RxInferServer's own test creates an episode with.
    const SERVER_TEST_NAME: &str =
        " %%% -- ////// %% <> >< == () {} [] | # % & * + , / : ; = ? @ [ ]";

    fn round_trips(value: &str) -> Result<(), proptest::test_runner::TestCaseError> {
        let encoded = segment(value).to_string();
        let uri: http::Uri = format!("/models/i/{encoded}/state")
            .parse()
            .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}")))?;
        // One segment, whatever the value: the path keeps its four.
        let segments: Vec<&str> = uri.path().split('/').collect();
        proptest::prop_assert_eq!(segments.len(), 5, "{}", uri);
        let decoded = percent_encoding::percent_decode_str(segments[3]).decode_utf8();
        proptest::prop_assert_eq!(decoded.as_deref().ok(), Some(value));
        Ok(())
    }

    #[test]
    fn the_servers_own_test_name_round_trips() -> Result<(), proptest::test_runner::TestCaseError> {
        round_trips(SERVER_TEST_NAME)
    }

    proptest::proptest! {
        /// Any value, seeded with the server's test name and its pieces,
        /// is one path segment that decodes back to itself.
        #[test]
        fn any_value_is_one_segment_that_decodes_to_itself(
            value in proptest::prop_oneof![
                proptest::prelude::any::<String>(),
                proptest::sample::subsequence(SERVER_TEST_NAME.chars().collect::<Vec<_>>(), 0..=SERVER_TEST_NAME.len())
                    .prop_map(|chars| chars.into_iter().collect::<String>()),
                proptest::prelude::Just(".".to_owned()),
                proptest::prelude::Just("..".to_owned()),
            ]
        ) {
            round_trips(&value)?;
        }
    }
}
