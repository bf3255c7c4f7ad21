//! Per-call overrides reach the server: extra headers, and a token that
//! replaces the client's for that one call.

mod support;

use http::{HeaderName, HeaderValue, header::AUTHORIZATION};
use rxinfer_client::{RequestOptions, transport::BearerToken};
use rxinfer_stand_in::StandIn;
use support::client;

#[tokio::test]
async fn a_per_call_token_replaces_the_clients_for_that_call() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("per-call", ["admin"]);
    let client = client(server.url(), Some("unknown-to-the-server"));

    let roles = client
        .authentication()
        .with_options(RequestOptions::new().token(BearerToken::new("per-call").expect("valid")))
        .token_roles()
        .await
        .expect("the per-call token is accepted");
    assert_eq!(roles.roles, ["admin"]);

    // Other calls keep the client's own token.
    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("unknown token");
    assert!(error.is_unauthorized(), "{error:?}");
}

#[tokio::test]
async fn a_per_call_token_is_not_sent_where_no_auth_is_needed() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let options = RequestOptions::new().token(BearerToken::new("per-call").expect("valid"));
    let generated = client(server.url(), None)
        .authentication()
        .with_options(options)
        .token_generate()
        .await
        .expect("a token");
    assert_ne!(
        generated.token.expose(),
        "per-call",
        "the server echoed a token it was sent"
    );
    assert!(server.requests()[0].headers.get(AUTHORIZATION).is_none());
}

/// A server that sees `Authorization` on token_generate echoes that token
/// back instead of minting one: the header is never sent there, however a
/// caller sets it.
#[tokio::test]
async fn an_authorization_header_option_never_reaches_token_generate() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let options =
        RequestOptions::new().header(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
    let generated = client(server.url(), Some("the-clients-own"))
        .with_options(options)
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    assert_ne!(generated.token.expose(), "mine", "the server echoed it");
    assert!(server.requests()[0].headers.get(AUTHORIZATION).is_none());
}

#[tokio::test]
async fn extra_headers_reach_the_server() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let options = RequestOptions::new().header(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_static("abc-123"),
    );
    let _ = client(server.url(), None)
        .authentication()
        .with_options(options)
        .token_roles()
        .await;
    assert_eq!(server.requests()[0].headers["x-request-id"], "abc-123");
}
