//! Retries, counted at the server: an idempotent GET is sent again after a
//! 503, a 429 or a dropped connection; a POST that may have reached the
//! server never is; retries stop at the limit and can be turned off.

mod support;

use std::time::Duration;

use rxinfer_client::{ApiError, Client, TransportError, transport::RetryPolicy};
use support::{Behaviour, RawServer, json_ok, response, within_10s};

fn unavailable() -> Behaviour {
    Behaviour::Respond(response(
        "503 Service Unavailable",
        &[("retry-after", "0")],
        b"",
    ))
}

fn too_many() -> Behaviour {
    Behaviour::Respond(response(
        "429 Too Many Requests",
        &[("retry-after", "0")],
        b"",
    ))
}

fn roles_ok() -> Behaviour {
    Behaviour::Respond(json_ok(r#"{"roles":["user"]}"#))
}

fn client(peer: &RawServer, policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url(&peer.url)
        .expect("valid URL")
        .token("t")
        .expect("valid token")
        .retry(policy.base_delay(Duration::from_millis(5)))
        .build()
        .expect("the client builds")
}

#[tokio::test]
async fn a_get_is_retried_after_503_and_429_until_it_succeeds() {
    let mut peer = RawServer::start(Behaviour::sequence(vec![
        unavailable(),
        too_many(),
        roles_ok(),
    ]))
    .await;
    let roles = within_10s(
        client(&peer, RetryPolicy::new())
            .authentication()
            .token_roles(),
    )
    .await;
    assert_eq!(roles.expect("roles on the third try").roles, ["user"]);
    assert_eq!(peer.requests_read(), 3);
}

#[tokio::test]
async fn a_get_is_retried_after_a_dropped_connection() {
    let mut peer = RawServer::start(Behaviour::sequence(vec![Behaviour::Close, roles_ok()])).await;
    let roles = within_10s(
        client(&peer, RetryPolicy::new())
            .authentication()
            .token_roles(),
    )
    .await;
    assert_eq!(roles.expect("roles on the second try").roles, ["user"]);
    assert_eq!(peer.requests_read(), 2);
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_the_last_answer_is_kept() {
    let mut peer = RawServer::start(unavailable()).await;
    let api = client(&peer, RetryPolicy::new().max_retries(2));
    let error = within_10s(api.authentication().token_roles())
        .await
        .expect_err("503");
    assert!(
        matches!(&error, ApiError::UnexpectedStatus(raw) if raw.status() == 503),
        "{error:?}"
    );
    assert_eq!(peer.requests_read(), 3);
}

#[tokio::test]
async fn token_generate_is_never_sent_twice() {
    for first in [unavailable(), Behaviour::Close] {
        let mut peer = RawServer::start(Behaviour::sequence(vec![
            first,
            Behaviour::Respond(json_ok(r#"{"token":"second"}"#)),
        ]))
        .await;
        let result = within_10s(
            client(&peer, RetryPolicy::new())
                .authentication()
                .token_generate(),
        )
        .await;
        assert!(result.is_err(), "{result:?}");
        assert_eq!(peer.requests_read(), 1);
    }
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let mut peer = RawServer::start(Behaviour::sequence(vec![unavailable(), roles_ok()])).await;
    let error = within_10s(
        client(&peer, RetryPolicy::disabled())
            .authentication()
            .token_roles(),
    )
    .await
    .expect_err("503");
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(peer.requests_read(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_still_a_connect_error_after_retries() {
    let url = support::dead_url().await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .retry(
            RetryPolicy::new()
                .max_retries(2)
                .base_delay(Duration::from_millis(5)),
        )
        .build()
        .expect("the client builds");
    let error = within_10s(client.authentication().token_generate())
        .await
        .expect_err("refused");
    assert!(
        matches!(error, ApiError::Transport(TransportError::Connect(_))),
        "{error:?}"
    );
}
