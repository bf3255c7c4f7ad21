//! The response body limit: bodies over it are an error, and the client
//! stops reading there instead of draining the connection.

mod support;

use rxinfer_client::{ApiError, Client, TransportError, transport::DEFAULT_BODY_LIMIT};
use support::{Behaviour, RawServer, json_ok, within_10s};

async fn roles_with_limit(peer: &RawServer, limit: Option<usize>) -> Result<Vec<String>, ApiError> {
    let mut builder = Client::builder().base_url(&peer.url).expect("valid URL");
    if let Some(limit) = limit {
        builder = builder.body_limit(limit);
    }
    let client = builder.build().expect("the client builds");
    within_10s(client.authentication().token_roles())
        .await
        .map(|r| r.roles)
}

fn is_too_large(result: &Result<Vec<String>, ApiError>, expected: usize) -> bool {
    matches!(
        result,
        Err(ApiError::Transport(TransportError::BodyTooLarge { limit })) if *limit == expected
    )
}

#[tokio::test]
async fn a_body_exactly_at_the_limit_is_read() {
    let body = r#"{"roles":["user"]}"#;
    let peer = RawServer::start(Behaviour::Respond(json_ok(body))).await;
    let roles = roles_with_limit(&peer, Some(body.len()))
        .await
        .expect("at the limit");
    assert_eq!(roles, ["user"]);
}

#[tokio::test]
async fn one_byte_over_a_declared_length_fails() {
    let body = r#"{"roles":["user"]}"#;
    let peer = RawServer::start(Behaviour::Respond(json_ok(body))).await;
    let result = roles_with_limit(&peer, Some(body.len() - 1)).await;
    assert!(is_too_large(&result, body.len() - 1), "{result:?}");
}

/// An endless body: a client that read to the end would never finish.
#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut first_chunk = head.to_vec();
    // One chunk header announcing far more than will ever arrive in full.
    first_chunk.extend_from_slice(b"40000000\r\n");
    let peer = RawServer::start(Behaviour::Endless(first_chunk)).await;
    let result = roles_with_limit(&peer, Some(256 * 1024)).await;
    assert!(is_too_large(&result, 256 * 1024), "{result:?}");
}

#[tokio::test]
async fn a_huge_declared_length_fails_before_reading() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1099511627776\r\n\r\n";
    let peer = RawServer::start(Behaviour::Endless(head.to_vec())).await;
    let result = roles_with_limit(&peer, Some(1024)).await;
    assert!(is_too_large(&result, 1024), "{result:?}");
}

#[tokio::test]
async fn the_default_limit_applies_without_configuration() {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        DEFAULT_BODY_LIMIT + 1
    );
    let peer = RawServer::start(Behaviour::Endless(head.into_bytes())).await;
    let result = roles_with_limit(&peer, None).await;
    assert!(is_too_large(&result, DEFAULT_BODY_LIMIT), "{result:?}");
}
