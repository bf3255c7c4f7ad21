//! Property tests for the parsers that meet untrusted input: base URLs and
//! path resolution, tokens, proxy URLs and `NO_PROXY` lists. None may
//! panic, and what parses round-trips. Cases per property: `PROPTEST_CASES`
//! (CI sets 256).

use proptest::prelude::*;
use rxinfer_transport::{BaseUrl, BearerToken, Config, HttpClient, Proxy};

/// Strings that look like URLs often enough to reach the deep branches.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof!["http", "https", "ftp", "HTTP", ""];
    let host = prop_oneof![
        "[a-z]{1,8}(\\.[a-z]{1,5}){0,2}",
        "127\\.0\\.0\\.[0-9]{1,3}",
        "\\[::1\\]",
        "[^/@:?#]{0,6}",
    ];
    let port = prop_oneof![
        Just(String::new()),
        "[0-9]{1,6}".prop_map(|p| format!(":{p}"))
    ];
    let userinfo = prop_oneof![Just(String::new()), Just("user:pass@".to_owned())];
    let path = "(/[a-zA-Z0-9 %._~-]{0,6}){0,3}/?";
    let rest = prop_oneof![Just(""), Just("?q=1"), Just("#f"), Just("\r\n")];
    (scheme, userinfo, host, port, path, rest)
        .prop_map(|(s, u, h, p, path, rest)| format!("{s}://{u}{h}{p}{path}{rest}"))
}

proptest! {
    #[test]
    fn base_urls_never_panic_and_round_trip(url in prop_oneof![url_like(), any::<String>()]) {
        if let Ok(base) = BaseUrl::parse(&url) {
            let shown = base.to_string();
            let again = BaseUrl::parse(&shown).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(again.to_string(), shown.clone());
            prop_assert!(matches!(base.scheme().as_str(), "http" | "https"));
            prop_assert!(base.authority().port_u16().is_none_or(|p| p > 0));
            prop_assert!(!shown.contains('@') && !shown.contains('?') && !shown.contains('#'));
        }
    }

    #[test]
    fn resolved_paths_stay_under_the_base(
        base in url_like(),
        path in prop_oneof!["(/[a-zA-Z0-9%._~?=&-]{0,8}){0,4}", any::<String>()],
    ) {
        let Ok(base) = BaseUrl::parse(&base) else { return Ok(()) };
        if let Ok(uri) = base.resolve(&path) {
            prop_assert!(base.is_same_origin(&uri), "{} left {}", uri, base);
            prop_assert!(uri.path().starts_with(base.path()));
        }
    }

    #[test]
    fn tokens_are_visible_ascii_or_refused_without_echo(token in any::<String>()) {
        let visible = !token.is_empty() && token.bytes().all(|b| (0x21..0x7f).contains(&b));
        match BearerToken::new(&token) {
            Ok(bearer) => {
                prop_assert!(visible);
                let expected = format!("Bearer {token}");
                prop_assert_eq!(bearer.header_value().as_bytes(), expected.as_bytes());
                prop_assert!(bearer.header_value().is_sensitive());
            }
            Err(error) => {
                prop_assert!(!visible);
                if token.len() > 3 {
                    prop_assert!(!error.to_string().contains(&token));
                }
            }
        }
    }

    #[test]
    fn proxy_urls_never_panic_nor_show_their_password(
        url in prop_oneof![
            url_like(),
            "(socks5h?|https?)://[a-z]{1,5}:s3cr3t-[a-z]{4}@[a-z]{1,8}:[0-9]{1,5}",
            any::<String>(),
        ],
    ) {
        match Proxy::all(&url) {
            Ok(proxy) => {
                let shown = format!("{proxy:?}");
                prop_assert!(!shown.contains("s3cr3t"), "{}", shown);
            }
            Err(error) => {
                let shown = format!("{error} {error:?}");
                prop_assert!(!shown.contains("s3cr3t"), "{}", shown);
            }
        }
    }

    #[test]
    fn no_proxy_lists_never_panic(
        list in prop_oneof![
            "([a-z*.]{0,8}|[0-9./]{0,18}|\\[[0-9a-f:]{0,10}\\](:[0-9]{1,6})?)([, ]{1,2}([a-z*.]{0,8}|[0-9./:]{0,18})){0,4}",
            any::<String>(),
        ],
        proxy in prop_oneof![Just("http://127.0.0.1:3128"), Just("socks5h://[::1]:1080")],
    ) {
        let lookup = |name: &str| match name {
            "all_proxy" => Some(proxy.to_owned()),
            "no_proxy" => Some(list.clone()),
            _ => None,
        };
        let proxy = Proxy::from_lookup(lookup).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut config = Config::default();
        config.proxy = proxy;
        prop_assert!(HttpClient::new(&config).is_ok());
    }
}
