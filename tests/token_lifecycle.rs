//! Where the token comes from, counted at the stand-in: acquired once for
//! any number of concurrent first calls, renewed once on a 401, and a token
//! the user set never replaced.

mod support;

use rxinfer_client::{ApiError, Client, TransportError};
use rxinfer_mock_server::MockServer;

fn acquiring(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .acquire_token()
        .build()
        .expect("the client builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_concurrent_first_calls_generate_one_token() {
    let server = MockServer::start().await.expect("stand-in starts");
    let client = acquiring(&server);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        let roles = call.await.expect("task finished").expect("roles");
        assert_eq!(roles.roles, ["user"]);
    }
    assert_eq!(server.tokens_generated(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_once_for_all_waiting_calls() {
    let server = MockServer::start().await.expect("stand-in starts");
    let client = acquiring(&server);
    client.authentication().token_roles().await.expect("roles");
    assert_eq!(server.tokens_generated(), 1);

    server.revoke_tokens();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        call.await
            .expect("task finished")
            .expect("roles after renewal");
    }
    assert_eq!(server.tokens_generated(), 2);
}

#[tokio::test]
async fn a_second_401_reaches_the_caller_typed() {
    let server = MockServer::builder()
        .forget_generated_tokens(true)
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let error = acquiring(&server)
        .authentication()
        .token_roles()
        .await
        .expect_err("401");
    assert!(matches!(error, ApiError::Unauthorized(_)), "{error:?}");
    // generate, roles (401), generate again, roles (401): one renewal only.
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.uri.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/token/generate",
            "/v1/token/roles",
            "/v1/token/generate",
            "/v1/token/roles"
        ]
    );
}

#[tokio::test]
async fn a_token_the_user_set_is_never_replaced() {
    let server = MockServer::start().await.expect("stand-in starts");
    let client = support::client(server.url(), Some("set-by-the-user"));
    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("401");
    assert!(matches!(error, ApiError::Unauthorized(_)), "{error:?}");
    assert_eq!(server.tokens_generated(), 0);
}

#[tokio::test]
async fn a_failed_acquisition_is_a_typed_error() {
    let server = MockServer::builder()
        .fail_token_generation(true)
        .start()
        .await
        .expect("stand-in starts");
    let error = acquiring(&server)
        .authentication()
        .token_roles()
        .await
        .expect_err("no token");
    assert!(
        matches!(
            error,
            ApiError::Transport(TransportError::TokenAcquisition(_))
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn token_generate_itself_never_triggers_acquisition() {
    let server = MockServer::start().await.expect("stand-in starts");
    let client = acquiring(&server);
    client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    // Only the explicit call minted a token; the client holds none yet.
    assert_eq!(server.tokens_generated(), 1);
    client.authentication().token_roles().await.expect("roles");
    assert_eq!(server.tokens_generated(), 2);
}
