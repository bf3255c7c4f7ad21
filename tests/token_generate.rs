//! `token_generate` against the stand-in server over real TCP.

mod support;

use support::client;

use http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION, CONTENT_TYPE};
use rxinfer_client::{ApiErrorKind, models::ErrorResponse};
use rxinfer_stand_in::{BAD_REQUEST_MESSAGE, StandIn};

#[tokio::test]
async fn generates_a_token_the_server_then_accepts() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = client(server.url(), None);

    let generated = client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    assert!(uuid_like(generated.token.expose()), "not a UUID");
    assert_eq!(server.tokens_generated(), 1);

    let roles = client
        .with_token(generated.token.expose())
        .expect("valid token")
        .authentication()
        .token_roles()
        .await
        .expect("roles of the new token");
    assert_eq!(roles.roles, ["user"]);
}

#[tokio::test]
async fn sends_no_authorization_even_when_the_client_has_a_token() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = client(server.url(), Some("already-have-one"));

    let generated = client
        .authentication()
        .token_generate()
        .await
        .expect("a token");

    // A server that sees a token echoes it instead of minting a new one.
    assert_ne!(generated.token.expose(), "already-have-one");
    assert_eq!(server.tokens_generated(), 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].headers.get(AUTHORIZATION).is_none());
}

#[tokio::test]
async fn the_documented_400_is_typed() {
    let server = StandIn::builder()
        .fail_token_generation(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = client(server.url(), None);

    let error = client
        .authentication()
        .token_generate()
        .await
        .expect_err("a 400");
    match error.kind() {
        ApiErrorKind::BadRequest(status) => assert_eq!(
            status.body(),
            Some(&ErrorResponse::new("Bad Request").with_message(BAD_REQUEST_MESSAGE))
        ),
        other => panic!("expected a typed 400, got {other:?}"),
    }
    assert_eq!(error.message(), Some(BAD_REQUEST_MESSAGE));
}

#[tokio::test]
async fn the_answer_keeps_status_and_headers() {
    let server = StandIn::start().await.expect("stand-in starts");
    let client = client(server.url(), None);

    let response = client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(uuid_like(response.token.expose()));
}

fn uuid_like(token: &str) -> bool {
    let groups: Vec<usize> = token.split('-').map(str::len).collect();
    groups == [8, 4, 4, 4, 12] && token.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}
