//! Sending requests through a proxy, configured explicitly or read from the
//! environment as curl reads it (and `HTTP_PROXY` as Go and reqwest read
//! it): `http` and `https` proxies (plain-http
//! requests in absolute form, `https` through a `CONNECT` tunnel), and
//! SOCKS5 (`socks5`, `socks5h`) through hyper-util's handshake.

mod connector;
mod no_proxy;
mod stream;
mod tunnel;

use std::{fmt, sync::Arc};

use base64::Engine;
use http::{HeaderValue, Uri, uri::Scheme};
use percent_encoding::percent_decode_str;

pub use connector::ProxyConnector;
pub(crate) use no_proxy::NoProxy;
pub use stream::ProxiedStream;

use crate::{Error, InvalidProxy, InvalidProxyReason};

/// Which requests go through which proxy.
///
/// | constructor | proxies |
/// |---|---|
/// | [`Proxy::from_env`] (the default) | the environment's, read when the client is built |
/// | [`Proxy::all`] | every request, except those [`no_proxy`](Self::no_proxy) exempts |
/// | [`Proxy::none`] | no request |
///
/// The environment is read as curl reads it, and `HTTP_PROXY` as Go and
/// reqwest read it: `http_proxy` or else `HTTP_PROXY` for `http` URLs,
/// `https_proxy` or else `HTTPS_PROXY` for `https` URLs, and `all_proxy` or
/// else `ALL_PROXY` for either. In a CGI process (`REQUEST_METHOD` set),
/// `HTTP_PROXY` is ignored: the server sets it from a request's `Proxy`
/// header. `no_proxy`, or else `NO_PROXY`, lists the exempt hosts (see the
/// README for its forms). A variable that is empty counts as unset.
///
/// A proxy URL is `http://`, `https://` (TLS to the proxy itself),
/// `socks5://` (names resolved here) or `socks5h://` (names resolved by the
/// proxy), with `user:password@` if the proxy wants it; without a scheme it
/// is `http://`. Any other scheme is refused when the client is built,
/// naming the variable and never its value: a proxy is never spoken to in a
/// protocol it does not expect.
///
/// `http` requests go to an `http(s)` proxy in absolute form, so that proxy
/// sees them, bearer token included; `https` requests go through a
/// `CONNECT` tunnel, so it sees only the host and port.
///
/// ```
/// use rxinfer_transport::Proxy;
///
/// let proxy = Proxy::all("http://proxy.internal:3128")?.no_proxy("localhost,127.0.0.1");
/// let socks = Proxy::all("socks5h://user:pass@127.0.0.1:1080")?;
/// assert!(!format!("{socks:?}").contains("pass"));
/// assert!(Proxy::all("ftp://proxy:21").is_err());
/// # Ok::<(), rxinfer_transport::Error>(())
/// ```
#[derive(Clone)]
pub struct Proxy {
    source: Source,
    no_proxy: Option<NoProxy>,
}

#[derive(Clone)]
enum Source {
    Environment,
    Rules(Option<Arc<ProxyRules>>),
}

impl Proxy {
    /// No proxy at all, whatever the environment says.
    pub fn none() -> Self {
        Self {
            source: Source::Rules(None),
            no_proxy: None,
        }
    }

    /// The proxies the environment names, read when the client is built.
    pub fn from_env() -> Self {
        Self {
            source: Source::Environment,
            no_proxy: None,
        }
    }

    /// The proxies named by the variables `lookup` finds, read now.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProxy`] naming the variable whose value cannot be
    /// used.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        Ok(Self {
            source: Source::Rules(ProxyRules::from_lookup(lookup)?.map(Arc::new)),
            no_proxy: None,
        })
    }

    /// Every request goes through the proxy at `url`, such as
    /// `http://user:pass@proxy:3128` or `socks5h://127.0.0.1:1080`.
    /// Credentials go to an `http(s)` proxy as a sensitive
    /// `Proxy-Authorization` header: on each plain-http request, and on the
    /// `CONNECT` of each tunnel.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidProxy`] when `url` is not a proxy URL this client
    /// speaks.
    pub fn all(url: &str) -> Result<Self, Error> {
        let target = Arc::new(ProxyTarget::parse(url, None)?);
        let rules = ProxyRules {
            http: Some(Arc::clone(&target)),
            https: Some(target),
            no_proxy: NoProxy::default(),
        };
        Ok(Self {
            source: Source::Rules(Some(Arc::new(rules))),
            no_proxy: None,
        })
    }

    /// Except requests to these hosts, replacing any list the environment
    /// gives: names, domains (`.example.org`), IP addresses and networks,
    /// `host:port`, or `*` for all.
    pub fn no_proxy(mut self, hosts: &str) -> Self {
        self.no_proxy = Some(NoProxy::parse(hosts));
        self
    }

    /// The rules in force: `None` when no request goes through a proxy.
    pub(crate) fn rules(&self) -> Result<Option<Arc<ProxyRules>>, Error> {
        let rules = match &self.source {
            Source::Environment => {
                ProxyRules::from_lookup(|name| std::env::var(name).ok())?.map(Arc::new)
            }
            Source::Rules(rules) => rules.clone(),
        };
        Ok(match (rules, &self.no_proxy) {
            (Some(rules), Some(no_proxy)) => Some(Arc::new(ProxyRules {
                no_proxy: no_proxy.clone(),
                ..(*rules).clone()
            })),
            (rules, _) => rules,
        })
    }
}

impl Default for Proxy {
    fn default() -> Self {
        Self::from_env()
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy URLs may carry credentials: targets print without them.
        match &self.source {
            Source::Environment => f.write_str("Proxy(from the environment)"),
            Source::Rules(None) => f.write_str("Proxy(none)"),
            Source::Rules(Some(rules)) => f
                .debug_struct("Proxy")
                .field("http", &rules.http)
                .field("https", &rules.https)
                .finish_non_exhaustive(),
        }
    }
}

/// Where requests for each scheme go, and the exempt hosts.
#[derive(Debug, Clone)]
pub(crate) struct ProxyRules {
    http: Option<Arc<ProxyTarget>>,
    https: Option<Arc<ProxyTarget>>,
    no_proxy: NoProxy,
}

/// Reads a variable, an empty one counting as unset.
fn variable(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Option<(&'static str, String)> {
    lookup(name)
        .filter(|value| !value.trim().is_empty())
        .map(|value| (name, value))
}

impl ProxyRules {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, Error> {
        let first = |names: &[&'static str]| names.iter().find_map(|n| variable(&lookup, n));
        let all = first(&["all_proxy", "ALL_PROXY"]);
        // A CGI server turns a request's `Proxy` header into `HTTP_PROXY`.
        let cgi = variable(&lookup, "REQUEST_METHOD").is_some();
        let http = first(&["http_proxy"])
            .or_else(|| first(&["HTTP_PROXY"]).filter(|_| !cgi))
            .or_else(|| all.clone());
        let https = first(&["https_proxy", "HTTPS_PROXY"]).or(all);
        let parse = |found: Option<(&'static str, String)>| {
            found
                .map(|(name, url)| ProxyTarget::parse(&url, Some(name)).map(Arc::new))
                .transpose()
        };
        let (http, https) = (parse(http)?, parse(https)?);
        if http.is_none() && https.is_none() {
            return Ok(None);
        }
        let no_proxy = first(&["no_proxy", "NO_PROXY"])
            .map(|(_, list)| NoProxy::parse(&list))
            .unwrap_or_default();
        Ok(Some(Self {
            http,
            https,
            no_proxy,
        }))
    }

    /// The proxy a request to `uri` goes through, if any.
    pub(crate) fn intercept(&self, uri: &Uri) -> Option<&Arc<ProxyTarget>> {
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let target = if https { &self.https } else { &self.http };
        let target = target.as_ref()?;
        let host = uri.host()?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        (!self.no_proxy.exempts(host, port)).then_some(target)
    }
}

/// How to talk to a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyScheme {
    Http,
    Https,
    /// SOCKS5, names resolved here.
    Socks5,
    /// SOCKS5, names resolved by the proxy.
    Socks5h,
}

/// One proxy: how to reach it and the credentials it wants.
#[derive(Clone)]
pub(crate) struct ProxyTarget {
    pub(crate) scheme: ProxyScheme,
    /// `scheme://host:port`, without credentials: for errors and logs.
    pub(crate) display: String,
    /// `http://host:port` (or `https://`): where the connection goes.
    pub(crate) address: Uri,
    /// The name TLS to an `https://` proxy verifies.
    #[cfg(feature = "rustls")]
    pub(crate) host: String,
    /// `Basic ...`, marked sensitive, for `http(s)` proxies.
    pub(crate) basic_auth: Option<HeaderValue>,
    /// User and password, for SOCKS proxies.
    pub(crate) credentials: Option<(String, String)>,
}

impl fmt::Debug for ProxyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl ProxyTarget {
    fn parse(url: &str, variable: Option<&'static str>) -> Result<Self, Error> {
        let invalid = |reason| InvalidProxy { variable, reason };
        let url = url.trim();
        let url = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid(InvalidProxyReason::Unparsable))?;
        let scheme_text = uri.scheme_str().unwrap_or_default().to_ascii_lowercase();
        let (scheme, default_port) = match scheme_text.as_str() {
            "http" => (ProxyScheme::Http, 80),
            "https" if cfg!(feature = "rustls") => (ProxyScheme::Https, 443),
            "https" => return Err(invalid(InvalidProxyReason::TlsUnsupported).into()),
            "socks5" => (ProxyScheme::Socks5, 1080),
            "socks5h" => (ProxyScheme::Socks5h, 1080),
            other => {
                return Err(
                    invalid(InvalidProxyReason::UnsupportedScheme(other.to_owned())).into(),
                );
            }
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid(InvalidProxyReason::MissingHost))?;
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid(InvalidProxyReason::MissingHost).into());
        }
        let host_port = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, host_port)| host_port);
        let after_host = host_port
            .rsplit_once(']')
            .map_or(host_port, |(_, rest)| rest);
        let port = match after_host.rsplit_once(':') {
            Some((_, port)) => port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| invalid(InvalidProxyReason::Unparsable))?,
            None => default_port,
        };
        let credentials = authority.as_str().rsplit_once('@').map(|(userinfo, _)| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(user), decode(password))
        });
        let basic_auth = credentials.as_ref().and_then(|(user, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let mut value = HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
            value.set_sensitive(true);
            Some(value)
        });
        let connect_scheme = if scheme == ProxyScheme::Https {
            "https"
        } else {
            "http"
        };
        let address = format!("{connect_scheme}://{host}:{port}")
            .parse()
            .map_err(|_| invalid(InvalidProxyReason::Unparsable))?;
        Ok(Self {
            scheme,
            display: format!("{scheme_text}://{host}:{port}"),
            address,
            #[cfg(feature = "rustls")]
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            basic_auth,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::lookup;

    fn intercepts(proxy: &Proxy, uri: &str) -> Option<String> {
        let uri: Uri = uri.parse().expect("valid URI");
        let rules = proxy.rules().expect("valid rules")?;
        rules.intercept(&uri).map(|t| t.display.clone())
    }

    #[test]
    fn the_environment_is_read_as_curl_does() -> Result<(), Error> {
        let proxy = Proxy::from_lookup(lookup(&[
            ("http_proxy", "http://plain:1"),
            ("HTTPS_PROXY", "http://secure:2"),
            ("NO_PROXY", "localhost,.internal"),
        ]))?;
        assert_eq!(
            intercepts(&proxy, "http://example.org/v1").as_deref(),
            Some("http://plain:1")
        );
        assert_eq!(
            intercepts(&proxy, "https://example.org/v1").as_deref(),
            Some("http://secure:2")
        );
        assert_eq!(intercepts(&proxy, "http://localhost:8000/v1"), None);
        assert_eq!(intercepts(&proxy, "https://api.internal/v1"), None);
        Ok(())
    }

    #[test]
    fn lowercase_wins_where_both_cases_are_set() -> Result<(), Error> {
        let proxy = Proxy::from_lookup(lookup(&[
            ("http_proxy", "http://lower:1"),
            ("HTTP_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("no_proxy", "lower.example"),
            ("NO_PROXY", "upper.example"),
        ]))?;
        assert_eq!(
            intercepts(&proxy, "http://example.org/").as_deref(),
            Some("http://lower:1")
        );
        assert_eq!(
            intercepts(&proxy, "https://example.org/").as_deref(),
            Some("http://lower:2")
        );
        assert_eq!(intercepts(&proxy, "https://lower.example/"), None);
        assert!(intercepts(&proxy, "https://upper.example/").is_some());
        Ok(())
    }

    #[test]
    fn uppercase_http_proxy_counts_except_in_a_cgi_process() -> Result<(), Error> {
        let upper = [("HTTP_PROXY", "http://upper:1")];
        let proxy = Proxy::from_lookup(lookup(&upper))?;
        assert_eq!(
            intercepts(&proxy, "http://example.org/").as_deref(),
            Some("http://upper:1")
        );
        // Only for `http`, as `http_proxy`.
        assert_eq!(intercepts(&proxy, "https://example.org/"), None);
        // A CGI server sets `HTTP_PROXY` from a request's `Proxy` header.
        let cgi = Proxy::from_lookup(lookup(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("REQUEST_METHOD", "GET"),
        ]))?;
        assert!(cgi.rules()?.is_none());
        let cgi = Proxy::from_lookup(lookup(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("ALL_PROXY", "http://all:3"),
            ("REQUEST_METHOD", "POST"),
        ]))?;
        assert_eq!(
            intercepts(&cgi, "http://example.org/").as_deref(),
            Some("http://all:3")
        );
        // The lowercase name, which no request header can set, still counts.
        let cgi = Proxy::from_lookup(lookup(&[
            ("http_proxy", "http://lower:1"),
            ("REQUEST_METHOD", "GET"),
        ]))?;
        assert_eq!(
            intercepts(&cgi, "http://example.org/").as_deref(),
            Some("http://lower:1")
        );
        // An empty `REQUEST_METHOD` is unset, as any other variable.
        let not_cgi = Proxy::from_lookup(lookup(&[
            ("HTTP_PROXY", "http://upper:1"),
            ("REQUEST_METHOD", ""),
        ]))?;
        assert!(not_cgi.rules()?.is_some());
        Ok(())
    }

    #[test]
    fn all_proxy_covers_both_schemes_and_empty_variables_are_unset() -> Result<(), Error> {
        let proxy = Proxy::from_lookup(lookup(&[
            ("http_proxy", ""),
            ("https_proxy", "  "),
            ("all_proxy", ""),
            ("ALL_PROXY", "socks5h://gateway:1080"),
        ]))?;
        assert_eq!(
            intercepts(&proxy, "http://a/").as_deref(),
            Some("socks5h://gateway:1080")
        );
        assert_eq!(
            intercepts(&proxy, "https://a/").as_deref(),
            Some("socks5h://gateway:1080")
        );
        let empty = Proxy::from_lookup(lookup(&[("http_proxy", ""), ("NO_PROXY", "")]))?;
        assert!(empty.rules()?.is_none());
        Ok(())
    }

    #[test]
    fn no_variables_means_no_proxy() -> Result<(), Error> {
        assert!(Proxy::from_lookup(lookup(&[]))?.rules()?.is_none());
        assert!(Proxy::none().rules()?.is_none());
        Ok(())
    }

    #[test]
    fn unusable_schemes_are_refused_naming_the_variable_not_the_value() {
        for (variable, value) in [
            ("HTTPS_PROXY", "ftp://user:hunter2@proxy:21"),
            ("ALL_PROXY", "socks4://user:hunter2@proxy:1080"),
            ("http_proxy", "http://user:hunter2@:3128"),
            ("http_proxy", "http://user:hunter2@proxy:99999"),
        ] {
            let error = Proxy::from_lookup(lookup(&[(variable, value)])).err();
            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                matches!(error, Some(Error::InvalidProxy(_))),
                "{value}: {error:?}"
            );
            assert!(message.contains(variable), "{message}");
            assert!(
                !format!("{message} {error:?}").contains("hunter2"),
                "{message}"
            );
        }
    }

    #[test]
    fn explicit_proxies_are_checked_and_debug_hides_credentials() -> Result<(), Error> {
        assert!(Proxy::all("not a url").is_err());
        let proxy = Proxy::all("http://user:hunter2@proxy:3128")?;
        assert_eq!(
            intercepts(&proxy, "https://example.org/").as_deref(),
            Some("http://proxy:3128")
        );
        assert!(!format!("{proxy:?}").contains("hunter2"));
        let bare = Proxy::all("proxy.internal:3128")?;
        assert_eq!(
            intercepts(&bare, "http://a/").as_deref(),
            Some("http://proxy.internal:3128")
        );
        Ok(())
    }

    #[test]
    fn credentials_are_percent_decoded_into_a_sensitive_header() -> Result<(), Error> {
        let target = ProxyTarget::parse("http://al%40ice:s3c%3Aret@proxy:3128", None)?;
        assert_eq!(
            target.credentials,
            Some(("al@ice".to_owned(), "s3c:ret".to_owned()))
        );
        let header = target.basic_auth.expect("a header");
        assert!(header.is_sensitive());
        // base64("al@ice:s3c:ret")
        assert_eq!(header, "Basic YWxAaWNlOnMzYzpyZXQ=");
        Ok(())
    }

    #[test]
    fn no_proxy_star_exempts_ip_literals_too() -> Result<(), Error> {
        let env = Proxy::from_lookup(lookup(&[("http_proxy", "http://p:1"), ("NO_PROXY", "*")]))?;
        let explicit = Proxy::all("http://p:1")?.no_proxy("*");
        for proxy in [env, explicit] {
            for uri in [
                "http://127.0.0.1:8000/v1",
                "http://[::1]:8000/v1",
                "http://example.org/",
            ] {
                assert_eq!(intercepts(&proxy, uri), None, "{uri}");
            }
        }
        Ok(())
    }
}
