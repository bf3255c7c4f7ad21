//! Requests through proxies: an explicit `http` proxy, one read from the
//! environment as curl reads it, `NO_PROXY` exceptions, SOCKS5, schemes
//! that are refused rather than spoken to in clear text, and proxy failures
//! that name the proxy. (`https` through a `CONNECT` tunnel and `https://`
//! proxies are in tls.rs.)

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{Client, TransportError, transport::Proxy};
use rxinfer_stand_in::StandIn;
use support::{ProxyServer, Socks5Server, first_bytes_listener, transport_error, within_10s};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

fn via(server: &StandIn, proxy: Proxy) -> Client {
    Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("known")
        .expect("valid token")
        .proxy(proxy)
        .build()
        .expect("the client builds")
}

async fn roles_via(server: &StandIn, proxy: Proxy) -> Vec<String> {
    via(server, proxy)
        .authentication()
        .token_roles()
        .await
        .expect("roles")
        .into_data()
        .roles
}

async fn stand_in() -> StandIn {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("known", ["user"]);
    server
}

#[tokio::test]
async fn requests_go_through_an_explicit_proxy_in_absolute_form() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let roles = roles_via(&server, Proxy::all(&proxy.url).expect("valid proxy")).await;
    assert_eq!(roles, ["user"]);
    assert_eq!(
        proxy.first_lines(),
        [format!("GET {}/token/roles HTTP/1.1", server.url())]
    );
}

#[tokio::test]
async fn the_environments_proxy_is_used_as_curl_would() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let url = proxy.url.clone();
    let from_env =
        Proxy::from_lookup(move |name| (name == "http_proxy").then(|| url.clone())).expect("valid");
    roles_via(&server, from_env).await;
    assert_eq!(proxy.first_lines().len(), 1);
}

/// `HTTP_PROXY` counts as Go and reqwest read it (before: ignored, as curl
/// does), except in a CGI process (`REQUEST_METHOD` set), where a
/// request's `Proxy` header sets it.
#[tokio::test]
async fn uppercase_http_proxy_is_used_except_in_a_cgi_process() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let url = proxy.url.clone();
    let from_env =
        Proxy::from_lookup(move |name| (name == "HTTP_PROXY").then(|| url.clone())).expect("valid");
    roles_via(&server, from_env).await;
    assert_eq!(proxy.first_lines().len(), 1);

    let url = proxy.url.clone();
    let in_cgi = Proxy::from_lookup(move |name| match name {
        "HTTP_PROXY" => Some(url.clone()),
        "REQUEST_METHOD" => Some("GET".to_owned()),
        _ => None,
    })
    .expect("valid");
    roles_via(&server, in_cgi).await;
    assert!(proxy.first_lines().is_empty(), "the CGI call went direct");
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let except_loopback = Proxy::all(&proxy.url)
        .expect("valid proxy")
        .no_proxy("localhost,127.0.0.1");
    assert_eq!(roles_via(&server, except_loopback).await, ["user"]);
    assert!(proxy.first_lines().is_empty());
    assert_eq!(server.connections_accepted(), 1);
}

/// `NO_PROXY=*` exempts every host, IP literals included (before: the
/// request to 127.0.0.1 went through the proxy, token and all).
#[tokio::test]
async fn no_proxy_star_covers_ip_literals() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let url = proxy.url.clone();
    let from_env = Proxy::from_lookup(move |name| match name {
        "http_proxy" => Some(url.clone()),
        "NO_PROXY" => Some("*".to_owned()),
        _ => None,
    })
    .expect("valid");
    let explicit = Proxy::all(&proxy.url).expect("valid").no_proxy("*");
    for proxied in [from_env, explicit] {
        assert_eq!(roles_via(&server, proxied).await, ["user"]);
    }
    assert!(proxy.first_lines().is_empty(), "went through the proxy");
}

#[tokio::test]
async fn proxy_credentials_go_with_each_plain_http_request() {
    let server = stand_in().await;
    let mut proxy = ProxyServer::start().await;
    let with_credentials = proxy.url.replace("http://", "http://alice:s3cret@");
    roles_via(&server, Proxy::all(&with_credentials).expect("valid proxy")).await;
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    // base64("alice:s3cret")
    assert!(
        heads[0].contains("proxy-authorization: Basic YWxpY2U6czNjcmV0"),
        "{}",
        heads[0]
    );
}

/// `socks5h` hands the name to the proxy; `socks5` resolves it here.
#[tokio::test]
async fn socks5_proxies_relay_the_request() {
    let server = stand_in().await;
    let port = server.addr().port();
    let base = format!("http://localhost:{port}/v1");
    for (scheme, resolved_here) in [("socks5h", false), ("socks5", true)] {
        let mut socks = Socks5Server::start(Some(("alice", "s3cret"))).await;
        let client = Client::builder()
            .base_url(base.as_str())
            .expect("valid URL")
            .token("known")
            .expect("valid token")
            .proxy(
                Proxy::all(&format!("{scheme}://alice:s3cret@{}", socks.address)).expect("valid"),
            )
            .build()
            .expect("the client builds");
        let roles = within_10s(client.authentication().token_roles())
            .await
            .expect("roles through SOCKS5");
        assert_eq!(roles.roles, ["user"]);
        let target = if resolved_here {
            format!("127.0.0.1:{port}")
        } else {
            format!("localhost:{port}")
        };
        assert_eq!(socks.targets(), [target], "{scheme}");
    }
}

/// An `https://` or SOCKS proxy named in the environment is never spoken to
/// in clear-text HTTP (before: its port received the request with the
/// token and `Proxy-Authorization` in the clear).
#[tokio::test]
async fn a_proxy_scheme_is_spoken_as_it_says_never_as_plain_http() {
    let server = stand_in().await;
    for (variable, scheme) in [
        ("http_proxy", "https"),
        ("ALL_PROXY", "socks5h"),
        ("all_proxy", "socks5"),
    ] {
        let (address, mut seen) = first_bytes_listener().await;
        let url = format!("{scheme}://user:hunter2@{address}");
        let proxy = Proxy::from_lookup(move |name| (name == variable).then(|| url.clone()))
            .expect("a scheme this client speaks");
        let client = Client::builder()
            .base_url(server.url())
            .expect("valid URL")
            .token("secret-token")
            .expect("valid token")
            .proxy(proxy)
            .timeout(Duration::from_secs(3))
            .build()
            .expect("the client builds");
        let _ = client.authentication().token_roles().await;
        let first = tokio::time::timeout(Duration::from_secs(2), seen.recv())
            .await
            .expect("the proxy was contacted")
            .expect("bytes");
        let text = String::from_utf8_lossy(&first);
        assert!(
            !text.contains("secret-token") && !text.contains("HTTP/1.1"),
            "{variable}: {text}"
        );
        match scheme {
            // A TLS ClientHello: a handshake record.
            "https" => assert_eq!(first.first(), Some(&0x16), "{variable}: {first:?}"),
            // A SOCKS5 greeting.
            _ => assert_eq!(first.first(), Some(&5), "{variable}: {first:?}"),
        }
    }
}

#[tokio::test]
async fn an_unusable_proxy_scheme_fails_the_build_naming_the_variable_only() {
    for (variable, value) in [
        ("HTTPS_PROXY", "socks4://user:hunter2@proxy:1080"),
        ("ALL_PROXY", "ftp://proxy:21"),
    ] {
        let error = Proxy::from_lookup(move |name| (name == variable).then(|| value.to_owned()))
            .expect_err("refused");
        let shown = format!("{error} {error:?}");
        assert!(matches!(error, TransportError::InvalidProxy(_)), "{shown}");
        assert!(
            shown.contains(variable) && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}

/// An unreachable proxy is a proxy error naming it, not a server's connect
/// error.
#[tokio::test]
async fn an_unreachable_proxy_is_named() {
    let server = stand_in().await;
    let dead = support::dead_url().await;
    let dead = dead.trim_end_matches("/v1").to_owned();
    let client = via(
        &server,
        Proxy::all(&dead.replace("http://", "http://user:hunter2@")).expect("valid"),
    );
    let error = within_10s(client.authentication().token_roles())
        .await
        .expect_err("no proxy");
    match transport_error(&error) {
        Some(TransportError::Proxy { proxy, status, .. }) => {
            assert_eq!(*proxy, dead);
            assert_eq!(*status, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(error.is_connect());
    assert!(!format!("{error} {error:?}").contains("hunter2"));
}

/// A `407` to `CONNECT` names the proxy and its status, and is not
/// retried (before: a server connect error, retried twice: three CONNECTs).
#[tokio::test]
async fn a_407_on_connect_is_named_and_not_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let address = listener.local_addr().expect("an address");
    let connects = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connects);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n",
                )
                .await;
        }
    });
    let client = Client::builder()
        .base_url("https://example.invalid/v1")
        .expect("valid URL")
        .proxy(Proxy::all(&format!("http://{address}")).expect("valid"))
        .build()
        .expect("the client builds");
    let error = within_10s(client.server().ping_server())
        .await
        .expect_err("refused");
    match transport_error(&error) {
        Some(TransportError::Proxy { proxy, status, .. }) => {
            assert_eq!(*proxy, format!("http://{address}"));
            assert_eq!(status.map(|s| s.as_u16()), Some(407));
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("407"), "{error}");
    assert_eq!(connects.load(Ordering::SeqCst), 1);
}

/// A proxy that accepts and then never answers the `CONNECT` is given up
/// on after the connect timeout, as a proxy error naming it, not held until
/// the call's deadline (nor forever, by a connection attempt left running).
#[tokio::test]
async fn a_proxy_that_stalls_its_handshake_is_given_up_after_the_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = Client::builder()
        .base_url("https://example.invalid/v1")
        .expect("valid URL")
        .proxy(Proxy::all(&format!("http://{address}")).expect("valid"))
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("the client builds");
    let started = std::time::Instant::now();
    let error = within_10s(client.server().ping_server())
        .await
        .expect_err("stalled");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match transport_error(&error) {
        Some(TransportError::Proxy { proxy, status, .. }) => {
            assert_eq!(*proxy, format!("http://{address}"));
            assert_eq!(*status, None);
        }
        other => panic!("{other:?}"),
    }
}
