//! Whatever a server sends, the client answers with a typed error that keeps
//! it, and never panics.

mod support;

use rxinfer_client::{ApiError, TransportError, auth_api::DecodeError};
use rxinfer_mock_server::MockServer;
use support::{Behaviour, RawServer, client, json_ok, response};

async fn roles_from(behaviour: Behaviour) -> ApiError {
    let peer = RawServer::start(behaviour).await;
    let client = client(&peer.url, Some("t"));
    client
        .authentication()
        .token_roles()
        .await
        .expect_err("an error")
}

#[tokio::test]
async fn an_undefined_status_keeps_status_headers_and_body() {
    let body = b"<html>upstream down</html>";
    let error = roles_from(Behaviour::Respond(response(
        "503 Service Unavailable",
        &[("content-type", "text/html"), ("retry-after", "0")],
        body,
    )))
    .await;
    match &error {
        ApiError::UnexpectedStatus(raw) => {
            assert_eq!(raw.status(), 503);
            assert_eq!(raw.headers()["retry-after"], "0");
            assert_eq!(raw.body().as_ref(), body);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.to_string().contains("503"), "{error}");
}

#[tokio::test]
async fn the_stand_ins_404_for_an_unknown_route_is_kept() {
    let server = MockServer::builder()
        .base_path("/v2")
        .start()
        .await
        .expect("stand-in starts");
    let url = server.url().replace("/v2", "/v1");
    let client = client(&url, None);
    match client.authentication().token_generate().await {
        Err(ApiError::UnexpectedStatus(raw)) => {
            assert_eq!(raw.status(), 404);
            assert!(raw.body().is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_json_at_a_defined_status_keeps_the_body() {
    for body in [r#"{"roles":"user"}"#, "{", "", "null", r#"{"roles":[1,2]}"#] {
        match roles_from(Behaviour::Respond(json_ok(body))).await {
            ApiError::InvalidBody {
                response,
                source: DecodeError::Json(_),
            } => {
                assert_eq!(response.status(), 200);
                assert_eq!(response.body_text(), body);
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_wrong_content_type_is_a_decode_error_naming_it() {
    let error = roles_from(Behaviour::Respond(response(
        "200 OK",
        &[("content-type", "text/html; charset=utf-8")],
        br#"{"roles":["user"]}"#,
    )))
    .await;
    match error {
        ApiError::InvalidBody {
            source: DecodeError::ContentType(declared),
            ..
        } => {
            assert_eq!(declared, "text/html; charset=utf-8");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_401_without_the_documented_body_is_kept_raw() {
    let error = roles_from(Behaviour::Respond(response(
        "401 Unauthorized",
        &[],
        b"go away",
    )))
    .await;
    match error {
        ApiError::InvalidBody { response, .. } => assert_eq!(response.body_text(), "go away"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn garbage_and_broken_http_are_transport_errors() {
    let cases: [(&str, Behaviour); 5] = [
        (
            "not HTTP",
            Behaviour::Respond(b"hello there\r\n\r\n".to_vec()),
        ),
        ("closed before answering", Behaviour::Close),
        (
            "bad status line",
            Behaviour::Respond(b"HTTP/1.1 abc OK\r\n\r\n".to_vec()),
        ),
        (
            "body shorter than its length",
            Behaviour::RespondThenClose(
                b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc".to_vec(),
            ),
        ),
        (
            "bad chunked encoding",
            Behaviour::RespondThenClose(
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            ),
        ),
    ];
    for (name, behaviour) in cases {
        let error = roles_from(behaviour).await;
        assert!(
            matches!(
                error,
                ApiError::Transport(TransportError::Http(_) | TransportError::Body(_))
            ),
            "{name}: {error:?}"
        );
    }
}
