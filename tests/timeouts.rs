//! Slow and dead servers: a timeout is an error (never a made-up response),
//! it covers reading the body, one call can override it, and a server that
//! is not there is a connect error.

mod support;

use std::time::Duration;

use rxinfer_client::{ApiError, Client, RequestOptions, TransportError};
use support::{Behaviour, RawServer, client, dead_url, transport_error, within_10s};

fn timed_out_after(error: &ApiError) -> Option<Duration> {
    match transport_error(error) {
        Some(TransportError::Timeout(after)) => Some(*after),
        _ => None,
    }
}

fn timing_out_after(url: &str, timeout: Duration) -> Client {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .timeout(timeout)
        .build()
        .expect("the client builds")
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let peer = RawServer::start(Behaviour::Silent).await;
    let client = timing_out_after(&peer.url, Duration::from_millis(200));
    let error = within_10s(client.authentication().token_roles())
        .await
        .expect_err("a timeout");
    assert_eq!(
        timed_out_after(&error),
        Some(Duration::from_millis(200)),
        "{error:?}"
    );
    assert!(error.is_timeout());
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn the_timeout_covers_a_body_that_stops_arriving() {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ro";
    let peer = RawServer::start(Behaviour::Stall(head.to_vec())).await;
    let client = timing_out_after(&peer.url, Duration::from_millis(200));
    let error = within_10s(client.authentication().token_roles())
        .await
        .expect_err("a timeout");
    assert_eq!(
        timed_out_after(&error),
        Some(Duration::from_millis(200)),
        "{error:?}"
    );
}

/// The client's own timeout is 30 s; the call's 150 ms must win.
#[tokio::test]
async fn one_call_can_override_the_timeout() {
    let peer = RawServer::start(Behaviour::Silent).await;
    let client = client(&peer.url, None);
    let api = client
        .authentication()
        .with_options(RequestOptions::new().timeout(Duration::from_millis(150)));
    let error = within_10s(api.token_generate())
        .await
        .expect_err("a timeout");
    assert_eq!(
        timed_out_after(&error),
        Some(Duration::from_millis(150)),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_dead_server_is_a_connect_error() {
    let url = dead_url().await;
    let client = client(&url, None);
    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("refused");
    assert!(
        matches!(transport_error(&error), Some(TransportError::Connect(_))),
        "{error:?}"
    );
    assert!(error.is_connect() && !error.is_timeout());
    assert!(error.status().is_none());
}

/// The connect timeout bounds opening a connection, apart from the call's
/// own deadline: a listener whose accept queue is full drops further SYNs,
/// so a connect to it hangs.
#[tokio::test]
async fn the_connect_timeout_is_separate_from_the_deadline() {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bound");
    let listener = socket.listen(0).expect("listening");
    let address = listener.local_addr().expect("an address");
    // Fill the accept queue; nothing is ever accepted.
    let mut queued = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(100),
            tokio::net::TcpStream::connect(address),
        )
        .await
        {
            queued.push(stream);
        }
    }
    let client = Client::builder()
        .base_url(format!("http://{address}/v1"))
        .expect("valid URL")
        .connect_timeout(Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
        .retry(rxinfer_client::RetryPolicy::disabled())
        .build()
        .expect("the client builds");
    let started = std::time::Instant::now();
    let error = within_10s(client.server().ping_server())
        .await
        .expect_err("no connection");
    let took = started.elapsed();
    assert!(error.is_connect(), "{error:?}");
    assert!(!error.is_timeout(), "the call's deadline fired: {error:?}");
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(2),
        "{took:?}"
    );
    drop((listener, queued));
}
