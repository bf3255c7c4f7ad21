//! Retries, counted at the server: an idempotent call is sent again after a
//! 503, a 429 or a dropped connection; an operation that changes server
//! state never is once it may have reached the server (each operation is
//! checked in `crates/rxinfer-conformance/tests/retry_classes.rs`), and
//! neither is the token generation a call waits for; retries stop at the
//! limit and can be turned off.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{ApiErrorKind, Client, TransportError, transport::RetryPolicy};
use support::{Behaviour, RawServer, json_ok, no_token, response, transport_error, within_10s};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

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
        matches!(error.kind(), ApiErrorKind::UnexpectedStatus(status) if status.status() == 503),
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
        matches!(transport_error(&error), Some(TransportError::Connect(_))),
        "{error:?}"
    );
}

/// A server that answers `POST /token/generate` with `generate`, and
/// anything else with `other`, counting the POSTs it reads.
async fn routed(generate: Vec<&'static [u8]>, other: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&posts);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counted = Arc::clone(&counted);
            let generate = generate.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                while let Ok(read) = stream.read(&mut buffer).await {
                    if read == 0 {
                        return;
                    }
                    let answer = if buffer.starts_with(b"POST") {
                        let n = counted.fetch_add(1, Ordering::SeqCst);
                        generate[n.min(generate.len() - 1)]
                    } else {
                        other
                    };
                    // An empty answer: read the request and close.
                    if answer.is_empty() || stream.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, posts)
}

const DROP: &[u8] = b"";
const TOKEN: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n{\"token\":\"t1\"}";
const REJECTED: &[u8] = b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 44\r\n\r\n{\"error\":\"Unauthorized\",\"message\":\"expired\"}";

fn generating(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .generate_token()
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(5)))
        .build()
        .expect("the client builds")
}

/// When the generation a call waits for is lost with its connection, the
/// call fails: neither the call's retries nor the generation's own send
/// `POST /token/generate` again (before: three POSTs for one call).
#[tokio::test]
async fn a_lost_generation_is_never_sent_again_by_a_retry() {
    let (url, posts) = routed(vec![DROP], REJECTED).await;
    let error = within_10s(generating(&url).authentication().token_roles())
        .await
        .expect_err("no token");
    assert!(no_token(&error), "{error:?}");
    assert_eq!(posts.load(Ordering::SeqCst), 1);
}

/// The same on the renewal after a 401: one POST to generate, one to renew,
/// lost, and no more.
#[tokio::test]
async fn a_lost_renewal_is_never_sent_again_by_a_retry() {
    let (url, posts) = routed(vec![TOKEN, DROP], REJECTED).await;
    let error = within_10s(generating(&url).authentication().token_roles())
        .await
        .expect_err("no token");
    assert!(no_token(&error), "{error:?}");
    assert_eq!(posts.load(Ordering::SeqCst), 2);
}

/// Later attempts resolve the call's path again: each goes to the same
/// URL, path parameters included, with the token.
#[tokio::test]
async fn every_attempt_goes_to_the_calls_own_url_with_its_token() {
    let mut peer = RawServer::start(unavailable()).await;
    let client = client(&peer, RetryPolicy::new().max_retries(2));
    let roles = within_10s(client.authentication().token_roles()).await;
    assert!(roles.is_err(), "503 after the last retry");
    let instance = within_10s(client.models().get_model_instance("a b/c")).await;
    assert!(instance.is_err(), "503 after the last retry");
    let roles = "GET /v1/token/roles HTTP/1.1";
    let instance = "GET /v1/models/i/a%20b%2Fc HTTP/1.1";
    for line in [roles, roles, roles, instance, instance, instance] {
        let request = peer.next_request().await;
        assert_eq!(request.lines().next(), Some(line));
        assert!(request.contains("authorization: Bearer t\r\n"), "{line}");
    }
    assert_eq!(peer.requests_read(), 0, "three attempts each, no more");
}

/// A budget of exactly `retries` retries and nothing earned by calls.
fn budget_of(retries: u32) -> RetryPolicy {
    RetryPolicy::new()
        .max_retries(10)
        .budget(Duration::from_secs(1), retries, 0.0)
}

/// Each retry is taken from the budget once: a budget of one retry makes
/// one, a budget of two makes two (before: the first retry was charged
/// twice, so one made none and two made one).
#[tokio::test]
async fn a_retry_is_charged_to_the_budget_once() {
    for retries in [1u32, 2] {
        let mut peer = RawServer::start(unavailable()).await;
        let error = within_10s(
            client(&peer, budget_of(retries))
                .authentication()
                .token_roles(),
        )
        .await
        .expect_err("503 throughout");
        assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(
            peer.requests_read(),
            1 + retries as usize,
            "budget {retries}"
        );
    }
}

/// A `Retry-After` the call's deadline cannot wait for is not waited for:
/// the caller gets the server's `503` and its message at once, not a bare
/// timeout when the deadline passes.
#[tokio::test]
async fn a_retry_after_past_the_deadline_returns_the_503() {
    let body = br#"{"error":"Service Unavailable","message":"down for maintenance"}"#;
    let mut peer = RawServer::start(Behaviour::Respond(response(
        "503 Service Unavailable",
        &[("retry-after", "5"), ("content-type", "application/json")],
        body,
    )))
    .await;
    let client = Client::builder()
        .base_url(&peer.url)
        .expect("valid URL")
        .token("t")
        .expect("valid token")
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::new().max_delay(Duration::from_secs(10)))
        .build()
        .expect("the client builds");
    let started = std::time::Instant::now();
    let error = within_10s(client.authentication().token_roles())
        .await
        .expect_err("503");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(error.message(), Some("down for maintenance"));
    assert_eq!(peer.requests_read(), 1);
}

const NOT_FOUND: &str =
    r#"{"error":"Not Found","message":"The requested model instance could not be found"}"#;
const DELETED: &str = r#"{"message":"Model instance deleted successfully"}"#;

fn answer(status: &str, body: &str) -> Behaviour {
    Behaviour::Respond(response(
        status,
        &[("content-type", "application/json")],
        body.as_bytes(),
    ))
}

/// A `DELETE` whose connection drops after the request was written is
/// sent again. When the first one did its work, the second finds nothing
/// (`404`): the call succeeds, keeping the `404` and saying why. When the
/// first did not, the second deletes: an ordinary success.
#[tokio::test]
async fn a_resent_delete_succeeds_whether_or_not_the_first_did_its_work() {
    let cases = [
        (
            answer("404 Not Found", NOT_FOUND),
            404,
            rxinfer_client::api_core::DELETED_BEFORE,
        ),
        (
            answer("200 OK", DELETED),
            200,
            "Model instance deleted successfully",
        ),
    ];
    for (second, status, message) in cases {
        let mut peer = RawServer::start(Behaviour::sequence(vec![Behaviour::Close, second])).await;
        let deleted = within_10s(
            client(&peer, RetryPolicy::new())
                .models()
                .delete_model_instance("i-1"),
        )
        .await
        .expect("the instance is gone");
        assert_eq!(deleted.status(), status);
        assert_eq!(deleted.message, message);
        assert_eq!(peer.requests_read(), 2);
    }
}

/// A `404` to a `DELETE` sent once is what it says: nothing to delete.
#[tokio::test]
async fn a_delete_answered_404_at_once_is_not_found() {
    let mut peer = RawServer::start(answer("404 Not Found", NOT_FOUND)).await;
    let error = within_10s(
        client(&peer, RetryPolicy::new())
            .models()
            .delete_model_instance("i-1"),
    )
    .await
    .expect_err("404");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(peer.requests_read(), 1);
}

/// A `DELETE` whose `404` arrived with a body cut short was answered: the
/// resend's `404` is not taken for a lost answer's (the id was wrong).
#[tokio::test]
async fn a_delete_whose_404_head_arrived_is_not_taken_for_done() {
    let cut = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{\"error\"".to_vec();
    let mut peer = RawServer::start(Behaviour::sequence(vec![
        Behaviour::RespondThenClose(cut),
        answer("404 Not Found", NOT_FOUND),
    ]))
    .await;
    let error = within_10s(
        client(&peer, RetryPolicy::new())
            .models()
            .delete_model_instance("wrong-id"),
    )
    .await
    .expect_err("not found");
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(peer.requests_read(), 2);
}
