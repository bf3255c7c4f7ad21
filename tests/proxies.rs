//! Requests through a local forwarding proxy: an explicit proxy, one read
//! from the environment as curl does, and `NO_PROXY` exceptions.
//! (`https` through a `CONNECT` tunnel is in tls.rs.)

mod support;

use rxinfer_client::{Client, transport::Proxy};
use rxinfer_mock_server::MockServer;
use support::ProxyServer;

async fn roles_via(server: &MockServer, proxy: Proxy) -> Vec<String> {
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("known")
        .expect("valid token")
        .proxy(proxy)
        .build()
        .expect("the client builds");
    client
        .authentication()
        .token_roles()
        .await
        .expect("roles")
        .roles
}

#[tokio::test]
async fn requests_go_through_an_explicit_proxy_in_absolute_form() {
    let server = MockServer::start().await.expect("stand-in starts");
    server.insert_token("known", ["user"]);
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
    let server = MockServer::start().await.expect("stand-in starts");
    server.insert_token("known", ["user"]);
    let mut proxy = ProxyServer::start().await;

    let url = proxy.url.clone();
    let from_env = Proxy::from_lookup(move |name| (name == "http_proxy").then(|| url.clone()));
    roles_via(&server, from_env).await;
    assert_eq!(proxy.first_lines().len(), 1);
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let server = MockServer::start().await.expect("stand-in starts");
    server.insert_token("known", ["user"]);
    let mut proxy = ProxyServer::start().await;

    let except_loopback = Proxy::all(&proxy.url)
        .expect("valid proxy")
        .no_proxy("localhost,127.0.0.1");
    assert_eq!(roles_via(&server, except_loopback).await, ["user"]);
    assert!(proxy.first_lines().is_empty());
    assert_eq!(server.connections_accepted(), 1);
}

#[tokio::test]
async fn proxy_credentials_go_with_each_plain_http_request() {
    let server = MockServer::start().await.expect("stand-in starts");
    server.insert_token("known", ["user"]);
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
