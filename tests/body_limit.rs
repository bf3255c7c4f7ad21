//! The response body limit: bodies over it are an error, and the client
//! stops reading there instead of draining the connection.

mod support;

use rxinfer_client::{
    ApiError, Client, RequestOptions, TransportError,
    models::{AttachEventsToEpisodeRequest, NewEvent, object},
    transport::DEFAULT_BODY_LIMIT,
};
use rxinfer_stand_in::StandIn;
use support::{Behaviour, RawServer, json_ok, transport_error, within_10s};

async fn roles_with_limit(peer: &RawServer, limit: Option<usize>) -> Result<Vec<String>, ApiError> {
    let mut builder = Client::builder().base_url(&peer.url).expect("valid URL");
    if let Some(limit) = limit {
        builder = builder.body_limit(limit);
    }
    let client = builder.build().expect("the client builds");
    within_10s(client.authentication().token_roles())
        .await
        .map(|r| r.into_data().roles)
}

fn is_too_large(result: &Result<Vec<String>, ApiError>, expected: usize) -> bool {
    matches!(
        result.as_ref().err().and_then(transport_error),
        Some(TransportError::BodyTooLarge { limit }) if *limit == expected
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

/// An episode list can legitimately be large: one call raises its own limit
/// without raising the client's.
#[tokio::test]
async fn one_call_can_raise_its_body_limit() {
    let server = StandIn::builder()
        .dev_token(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = Client::builder()
        .base_url(server.url())
        .and_then(|b| b.token("dev-token"))
        .expect("valid settings")
        .body_limit(16 * 1024)
        .build()
        .expect("the client builds");
    let models = client.models();
    let coin = models
        .create_model_instance(&rxinfer_client::models::CreateModelInstanceRequest::new(
            "BetaBernoulli-v1",
        ))
        .await
        .expect("an instance");
    let events = (0..1000).map(|i| NewEvent::new(object([("observation", i % 2)])));
    models
        .attach_events_to_episode(
            &coin.instance_id,
            "default",
            &AttachEventsToEpisodeRequest::new(events),
        )
        .await
        .expect("attached");

    let too_large = models
        .get_episodes(&coin.instance_id)
        .await
        .map(|_| Vec::new());
    assert!(is_too_large(&too_large, 16 * 1024), "{too_large:?}");
    let episodes = models
        .with_options(RequestOptions::new().body_limit(4 * 1024 * 1024))
        .get_episodes(&coin.instance_id)
        .await
        .expect("within the raised limit");
    assert_eq!(episodes[0].events.len(), 1000);
}
