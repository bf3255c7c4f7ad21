//! `token_roles` against the stand-in server over real TCP.

mod support;

use rxinfer_client::{
    ApiError, ApiErrorKind,
    models::{UnauthorizedError, UnauthorizedResponse},
};
use rxinfer_stand_in::{StandIn, UNAUTHORIZED_MESSAGE, UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN};

async fn roles(server: &StandIn, token: Option<&str>) -> Result<Vec<String>, ApiError> {
    let client = support::client(server.url(), token);
    client
        .authentication()
        .token_roles()
        .await
        .map(|r| r.into_data().roles)
}

#[tokio::test]
async fn a_known_token_has_its_roles() {
    let server = StandIn::start().await.expect("stand-in starts");
    server.insert_token("known", ["user", "admin"]);
    assert_eq!(
        roles(&server, Some("known")).await.expect("roles"),
        ["user", "admin"]
    );
}

#[tokio::test]
async fn no_token_is_a_typed_401_with_the_servers_body() {
    let server = StandIn::start().await.expect("stand-in starts");
    let error = roles(&server, None).await.expect_err("a 401");
    match error.kind() {
        ApiErrorKind::Unauthorized(status) => {
            let body = status.body().expect("the documented body");
            assert_eq!(*body, UnauthorizedResponse::new(UNAUTHORIZED_MESSAGE));
            assert_eq!(body.error, UnauthorizedError::Unauthorized);
        }
        other => panic!("expected a typed 401, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_token_is_a_typed_401() {
    let server = StandIn::start().await.expect("stand-in starts");
    let error = roles(&server, Some("never-generated"))
        .await
        .expect_err("401");
    assert!(error.is_unauthorized(), "{error:?}");
    assert_eq!(error.status(), Some(http::StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn development_tokens_when_the_server_enables_them() {
    let server = StandIn::builder()
        .dev_token(true)
        .start()
        .await
        .expect("stand-in starts");
    assert_eq!(
        roles(&server, Some("dev-token")).await.expect("roles"),
        ["user"]
    );
    assert_eq!(
        roles(&server, Some("dev-token:a,b")).await.expect("roles"),
        ["a", "b"]
    );
    let error = roles(&server, Some("dev-token:a:b"))
        .await
        .expect_err("more than one colon is not the dev token");
    assert_eq!(error.message(), Some(UNAUTHORIZED_MESSAGE_WITH_DEV_TOKEN));
}
