//! The validated address every endpoint path is resolved under.

use std::{fmt, str::FromStr, sync::Arc};

use http::uri::{Authority, Scheme, Uri};

use crate::error::{BoxError, InvalidBaseUrl};

/// Where the server's API lives: scheme, host, port and a path prefix, such
/// as `http://localhost:8000/v1`, parsed and checked once.
///
/// The path keeps its segments and loses a trailing `/`, so `token/roles`
/// under `http://host:8000/v1/` resolves to `http://host:8000/v1/token/roles`.
///
/// ```
/// use rxinfer_transport::BaseUrl;
///
/// let base: BaseUrl = "http://127.0.0.1:8000/v1/".parse()?;
/// assert_eq!(base.to_string(), "http://127.0.0.1:8000/v1");
/// assert_eq!(base.resolve("/token/roles")?.to_string(), "http://127.0.0.1:8000/v1/token/roles");
/// assert!("ftp://example.com".parse::<BaseUrl>().is_err());
/// # Ok::<(), rxinfer_transport::BoxError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    scheme: Scheme,
    authority: Authority,
    /// Empty, or starting with `/` and not ending with one. Shared, so that
    /// cloning the stack per call does not allocate.
    path: Arc<str>,
}

impl BaseUrl {
    /// The default of the official clients: `http://localhost:8000/v1`.
    pub fn localhost() -> Self {
        Self {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("localhost:8000"),
            path: Arc::from("/v1"),
        }
    }

    /// The spec's local server, `http://localhost:{port}/{base_path}`, from
    /// its two variables (defaults `8000` and `v1`).
    ///
    /// ```
    /// use rxinfer_transport::BaseUrl;
    ///
    /// assert_eq!(BaseUrl::local(8080, "v1")?.to_string(), "http://localhost:8080/v1");
    /// assert_eq!(BaseUrl::local(8000, "v1")?, BaseUrl::localhost());
    /// # Ok::<(), rxinfer_transport::InvalidBaseUrl>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When `base_path` cannot be part of a URL path.
    pub fn local(port: u16, base_path: &str) -> Result<Self, InvalidBaseUrl> {
        Self::parse(&format!(
            "http://localhost:{port}/{}",
            base_path.trim_matches('/')
        ))
    }

    /// The public server run by Lazy Dynamics,
    /// `https://rxinfer.lazydynamics.app/{base_path}`, from the spec's
    /// second server entry (`base_path` default `v1`).
    ///
    /// ```
    /// use rxinfer_transport::{BaseUrl, InvalidBaseUrl};
    ///
    /// match BaseUrl::public("v1") {
    ///     Ok(public) => assert_eq!(public.to_string(), "https://rxinfer.lazydynamics.app/v1"),
    ///     // A build without the `rustls` feature.
    ///     Err(error) => assert_eq!(error, InvalidBaseUrl::TlsUnsupported),
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// When `base_path` cannot be part of a URL path, or the `rustls`
    /// feature is off.
    pub fn public(base_path: &str) -> Result<Self, InvalidBaseUrl> {
        Self::parse(&format!(
            "https://rxinfer.lazydynamics.app/{}",
            base_path.trim_matches('/')
        ))
    }

    /// Parses and checks `url`.
    ///
    /// # Errors
    ///
    /// [`InvalidBaseUrl`] names what is wrong: no scheme, a scheme other than
    /// `http`/`https`, no host, a port outside 1-65535, credentials, a query
    /// string or fragment, or `https` in a build without TLS.
    pub fn parse(url: &str) -> Result<Self, InvalidBaseUrl> {
        let url = url.trim();
        if !url.contains("://") {
            return Err(InvalidBaseUrl::MissingScheme);
        }
        if url.contains('#') {
            return Err(InvalidBaseUrl::Query);
        }
        let uri: Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| InvalidBaseUrl::Unparsable(e.to_string()))?;
        let scheme = uri.scheme().cloned().ok_or(InvalidBaseUrl::MissingScheme)?;
        if scheme == Scheme::HTTPS && !cfg!(feature = "rustls") {
            return Err(InvalidBaseUrl::TlsUnsupported);
        }
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(InvalidBaseUrl::UnsupportedScheme(scheme.to_string()));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or(InvalidBaseUrl::MissingHost)?;
        if authority.as_str().contains('@') {
            return Err(InvalidBaseUrl::Credentials);
        }
        if authority.host().is_empty() {
            return Err(InvalidBaseUrl::MissingHost);
        }
        check_port(&authority)?;
        if uri.query().is_some() {
            return Err(InvalidBaseUrl::Query);
        }
        let path = Arc::from(uri.path().trim_end_matches('/'));
        Ok(Self {
            scheme,
            authority,
            path,
        })
    }

    /// The scheme, `http` or `https`.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Host and port.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The path prefix, without a trailing `/` (empty for none).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether `uri` points at this base's origin (same scheme, host and
    /// port), the only place a token bound to it may be sent.
    pub fn is_same_origin(&self, uri: &Uri) -> bool {
        // Exact bytes settle the common case (a URI resolved from this base)
        // without the case-insensitive comparison.
        uri.scheme() == Some(&self.scheme)
            && uri.authority().is_some_and(|authority| {
                authority.as_str() == self.authority.as_str() || *authority == self.authority
            })
    }

    /// The absolute URI of `path_and_query` (which starts with `/`) under
    /// this base.
    ///
    /// # Errors
    ///
    /// When `path_and_query` does not start with `/` or is not a valid
    /// origin-form target.
    pub fn resolve(&self, path_and_query: &str) -> Result<Uri, BoxError> {
        if !path_and_query.starts_with('/') {
            return Err("the request target does not start with `/`".into());
        }
        let mut joined = String::with_capacity(self.path.len() + path_and_query.len());
        joined.push_str(&self.path);
        joined.push_str(path_and_query);
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(joined)
            .build()
            .map_err(Into::into)
    }
}

/// `http` parses a port above 65535 as no port at all, which would send
/// the call (and its token) to port 80: an explicit port must be a number
/// from 1 to 65535.
fn check_port(authority: &Authority) -> Result<(), InvalidBaseUrl> {
    let text = authority.as_str();
    // What follows an IPv6 literal's `]`, or the whole authority otherwise.
    let after_host = text.rsplit_once(']').map_or(text, |(_, rest)| rest);
    let Some((_, port)) = after_host.rsplit_once(':') else {
        return Ok(());
    };
    match port.parse::<u16>() {
        Ok(port) if port > 0 && authority.port_u16() == Some(port) => Ok(()),
        _ => Err(InvalidBaseUrl::InvalidPort),
    }
}

/// What [`ClientBuilder::base_url`](https://docs.rs/rxinfer-client) and
/// [`Config`](crate::Config) accept as a base URL: text, checked when set,
/// or a [`BaseUrl`] already checked.
pub trait IntoBaseUrl {
    /// The checked base URL.
    ///
    /// # Errors
    ///
    /// [`InvalidBaseUrl`] when the text cannot address a server.
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl>;
}

impl IntoBaseUrl for BaseUrl {
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl> {
        Ok(self)
    }
}

impl IntoBaseUrl for &BaseUrl {
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl> {
        Ok(self.clone())
    }
}

impl IntoBaseUrl for &str {
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl> {
        BaseUrl::parse(self)
    }
}

impl IntoBaseUrl for String {
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl> {
        BaseUrl::parse(&self)
    }
}

impl IntoBaseUrl for &String {
    fn into_base_url(self) -> Result<BaseUrl, InvalidBaseUrl> {
        BaseUrl::parse(self)
    }
}

impl Default for BaseUrl {
    fn default() -> Self {
        Self::localhost()
    }
}

impl FromStr for BaseUrl {
    type Err = InvalidBaseUrl;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Self::parse(url)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(base: &str, path: &str) -> String {
        match BaseUrl::parse(base).map(|b| b.resolve(path)) {
            Ok(Ok(uri)) => uri.to_string(),
            other => format!("error: {other:?}"),
        }
    }

    #[test]
    fn keeps_the_base_path() {
        assert_eq!(
            resolved("http://h:8000/v1", "/token/roles"),
            "http://h:8000/v1/token/roles"
        );
        assert_eq!(
            resolved("http://h:8000/api/v1/", "/token/roles"),
            "http://h:8000/api/v1/token/roles"
        );
    }

    #[test]
    fn works_without_a_path() {
        assert_eq!(
            resolved("http://h:4010", "/token/generate"),
            "http://h:4010/token/generate"
        );
        assert_eq!(
            resolved("http://h:4010/", "/token/generate"),
            "http://h:4010/token/generate"
        );
    }

    #[test]
    fn keeps_the_query_of_the_request() {
        assert_eq!(
            resolved("http://h/v1", "/models?x=1"),
            "http://h/v1/models?x=1"
        );
    }

    #[test]
    fn default_is_the_official_default() {
        assert_eq!(BaseUrl::default().to_string(), "http://localhost:8000/v1");
        assert_eq!(
            BaseUrl::parse("http://localhost:8000/v1"),
            Ok(BaseUrl::localhost())
        );
    }

    #[test]
    fn rejects_what_cannot_address_a_server() {
        let cases = [
            ("", "no scheme"),
            ("not a url", "no scheme"),
            ("http://", "not a URI"),
            ("http://:80/v1", "no host"),
            ("localhost:8000/v1", "scheme"),
            ("/v1", "no scheme"),
            ("ftp://host/v1", "`ftp`"),
            ("http://user:pw@host/v1", "credentials"),
            ("http://host/v1?x=1", "query"),
            ("http://host/v1#top", "fragment"),
            ("http://127.0.0.1:65616/v1", "port"),
            ("http://127.0.0.1:0/v1", "port"),
            ("http://127.0.0.1:/v1", "port"),
            ("http://127.0.0.1:8o/v1", "port"),
            ("http://[::1]:70000/v1", "port"),
        ];
        for (url, expected) in cases {
            match BaseUrl::parse(url) {
                Ok(base) => panic!("{url:?} was accepted as {base}"),
                Err(e) => assert!(e.to_string().contains(expected), "{url:?}: {e}"),
            }
        }
    }

    #[test]
    fn ports_in_range_and_ipv6_literals_are_kept() {
        for url in [
            "http://127.0.0.1:65535/v1",
            "http://127.0.0.1:1/v1",
            "http://[::1]:8000/v1",
            "http://[::1]/v1",
            "http://localhost/v1",
        ] {
            assert_eq!(
                BaseUrl::parse(url).map(|b| b.to_string()).as_deref(),
                Ok(url),
                "{url}"
            );
        }
    }

    #[test]
    fn server_variables_build_the_specs_urls() {
        assert_eq!(
            BaseUrl::local(9000, "/api/v2/").map(|b| b.to_string()),
            Ok("http://localhost:9000/api/v2".to_owned())
        );
        assert_eq!(
            BaseUrl::local(8000, "").map(|b| b.to_string()),
            Ok("http://localhost:8000".to_owned())
        );
        assert!(BaseUrl::local(8000, "v1?x=1").is_err());
        assert!(BaseUrl::local(8000, "a b").is_err());
        if cfg!(feature = "rustls") {
            assert_eq!(
                BaseUrl::public("v2").map(|b| b.to_string()),
                Ok("https://rxinfer.lazydynamics.app/v2".to_owned())
            );
        } else {
            assert_eq!(BaseUrl::public("v1"), Err(InvalidBaseUrl::TlsUnsupported));
        }
    }

    #[test]
    fn https_needs_the_rustls_feature() {
        let parsed = BaseUrl::parse("https://rxinfer.lazydynamics.app/v1");
        if cfg!(feature = "rustls") {
            assert_eq!(
                parsed.map(|b| b.to_string()).ok().as_deref(),
                Some("https://rxinfer.lazydynamics.app/v1")
            );
        } else {
            assert_eq!(parsed, Err(InvalidBaseUrl::TlsUnsupported));
        }
    }

    #[test]
    fn errors_never_repeat_credentials() {
        let error = BaseUrl::parse("http://admin:hunter2@host/v1").err();
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn origin_is_scheme_host_and_port() -> Result<(), Box<dyn std::error::Error>> {
        let base = BaseUrl::parse("http://Host:8000/v1")?;
        assert!(base.is_same_origin(&"http://host:8000/other".parse()?));
        assert!(!base.is_same_origin(&"http://host:8001/v1".parse()?));
        assert!(!base.is_same_origin(&"http://evil:8000/v1".parse()?));
        assert!(!base.is_same_origin(&"/v1/token/roles".parse()?));
        Ok(())
    }
}
