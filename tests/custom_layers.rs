//! Layers of your own in the default stack, with `ClientBuilder::layer`
//! (inside: every attempt) and `Client::layer` (around: every call), never
//! at the cost of retries, the token's origin binding or the body limit;
//! tower and tower-http layers fit both places; a customised client has one
//! nameable type.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{
    BoxClient, Client, RequestBody, RetryPolicy, TransportError,
    http::{HeaderName, HeaderValue, Request, header::AUTHORIZATION},
    tower::{
        ServiceBuilder, ServiceExt,
        buffer::BufferLayer,
        layer::layer_fn,
        limit::{ConcurrencyLimitLayer, RateLimitLayer},
        service_fn,
    },
};
use rxinfer_stand_in::StandIn;
use support::{Behaviour, RawServer, json_ok, response, transport_error, within_10s};
use tower_http::{set_header::SetRequestHeaderLayer, trace::TraceLayer};

type Answer = Result<http::Response<hyper::body::Incoming>, TransportError>;

/// A layer counting the requests that pass through it: a hand-written
/// `service_fn` over the pooled client.
fn counting(
    count: Arc<AtomicUsize>,
) -> impl tower::Layer<
    rxinfer_client::HttpClient,
    Service = impl tower::Service<
        Request<RequestBody>,
        Response = http::Response<hyper::body::Incoming>,
        Error = TransportError,
        Future = impl std::future::Future<Output = Answer> + Send,
    > + Clone
              + Send
              + Sync
              + 'static,
> + Clone {
    layer_fn(move |inner: rxinfer_client::HttpClient| {
        let count = Arc::clone(&count);
        service_fn(move |request: Request<RequestBody>| {
            count.fetch_add(1, Ordering::SeqCst);
            inner.clone().oneshot(request)
        })
    })
}

fn unavailable() -> Behaviour {
    Behaviour::Respond(response(
        "503 Service Unavailable",
        &[("retry-after", "0")],
        b"",
    ))
}

/// A layer inside sees every attempt, and the retries still happen.
#[tokio::test]
async fn retries_survive_a_custom_layer_which_sees_every_attempt() {
    let mut peer = RawServer::start(Behaviour::sequence(vec![
        unavailable(),
        Behaviour::Respond(json_ok(r#"{"roles":["user"]}"#)),
    ]))
    .await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let client = Client::builder()
        .base_url(&peer.url)
        .expect("valid URL")
        .token("t")
        .expect("valid token")
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(5)))
        .layer(counting(Arc::clone(&attempts)))
        .build()
        .expect("the client builds");
    let roles = within_10s(client.authentication().token_roles())
        .await
        .expect("roles on the second attempt");
    assert_eq!(roles.roles, ["user"]);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(peer.requests_read(), 2);
}

#[tokio::test]
async fn the_token_stays_bound_to_its_origin_with_a_custom_layer() {
    let home = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    let mut elsewhere = RawServer::start(Behaviour::Respond(json_ok(r#"{"roles":[]}"#))).await;
    let client = Client::builder()
        .base_url(&home.url)
        .expect("valid URL")
        .token("s3cr3t")
        .expect("valid token")
        .layer(counting(Arc::default()))
        .build()
        .expect("the client builds");
    let request = Request::get(format!("{}/token/roles", elsewhere.url))
        .body(RequestBody::default())
        .expect("valid request");
    client
        .service()
        .clone()
        .oneshot(request)
        .await
        .expect("answered");
    let seen = elsewhere.next_request().await;
    assert!(
        !seen.to_ascii_lowercase().contains("authorization"),
        "{seen}"
    );
}

#[tokio::test]
async fn the_body_limit_holds_with_a_custom_layer() {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n";
    let peer = RawServer::start(Behaviour::Endless(head.to_vec())).await;
    let client = Client::builder()
        .base_url(&peer.url)
        .expect("valid URL")
        .body_limit(1024)
        .layer(TraceLayer::new_for_http())
        .build()
        .expect("the client builds");
    let error = within_10s(client.authentication().token_roles())
        .await
        .expect_err("too large");
    assert!(
        matches!(
            transport_error(&error),
            Some(TransportError::BodyTooLarge { limit: 1024 })
        ),
        "{error:?}"
    );
}

/// tower and tower-http layers fit inside the stack (per attempt) and
/// around it (per call), and a customised client has one type to store.
#[tokio::test]
async fn tower_and_tower_http_layers_fit_inside_and_around() {
    let server = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let header = || {
        SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-team"),
            HeaderValue::from_static("inference"),
        )
    };
    let inside = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .token("dev-token")
        .expect("valid token")
        .layer(TraceLayer::new_for_http())
        .layer(header())
        .layer(ConcurrencyLimitLayer::new(4))
        .layer(BufferLayer::new(64))
        .layer(RateLimitLayer::new(1000, Duration::from_secs(1)))
        .layer(counting(Arc::default()))
        .build()
        .expect("the client builds");
    // Around the built client each layer wraps what is there; a service
    // that is not `Clone` goes behind a buffer in the same layer.
    let around = inside
        .layer(TraceLayer::new_for_http())
        .layer(header())
        .layer(ConcurrencyLimitLayer::new(4))
        .layer(
            ServiceBuilder::new()
                .layer(BufferLayer::new(64))
                .layer(RateLimitLayer::new(1000, Duration::from_secs(1))),
        );

    /// What an application stores: one type, whatever the layers.
    struct App {
        client: BoxClient,
    }
    for app in [
        App {
            client: inside.boxed(),
        },
        App {
            client: around.boxed(),
        },
    ] {
        let ping = tokio::spawn(app.client.server().ping_server());
        assert!(ping.await.expect("task finished").expect("pong").is_ok());
        let roles = app
            .client
            .authentication()
            .token_roles()
            .await
            .expect("roles");
        assert_eq!(roles.roles, ["user"]);
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.headers["x-team"] == "inference"));
    // The per-call token still reaches only calls that need one.
    assert!(requests[0].headers.get(AUTHORIZATION).is_none());
    assert!(requests[1].headers.get(AUTHORIZATION).is_some());
}

/// The whole text an error shows: its message and its sources'.
fn shown(error: &rxinfer_client::ApiError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// tower's `Timeout` fails with `Elapsed`, which carries no duration: the
/// call is a timeout whose message says a layer gave up, inside the stack
/// or around it (before: "the request timed out after 0ns").
#[tokio::test]
async fn a_tower_timeout_layer_is_a_timeout_that_does_not_make_up_a_duration() {
    let server = RawServer::start(Behaviour::Silent).await;
    let inside = Client::builder()
        .base_url(&server.url)
        .expect("valid URL")
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(
            100,
        )))
        .build()
        .expect("the client builds");
    let around = support::client(&server.url, None).layer(tower::timeout::TimeoutLayer::new(
        Duration::from_millis(100),
    ));
    let errors = [
        within_10s(inside.server().ping_server())
            .await
            .expect_err("timed out"),
        within_10s(around.server().ping_server())
            .await
            .expect_err("timed out"),
    ];
    for error in errors {
        assert!(error.is_timeout(), "{error:?}");
        let text = shown(&error);
        assert!(!text.contains("0ns"), "{text}");
        assert!(text.contains("timeout layer"), "{text}");
    }
}

/// tower-http's `TimeoutLayer` answers in the server's place with the
/// status it was given, no header and no body: a timeout that says so,
/// not a `504` (before: `UnexpectedStatus`, `is_timeout()` false).
#[tokio::test]
async fn tower_https_timeout_layer_is_a_timeout_not_a_status() {
    use http_body_util::BodyExt;
    use rxinfer_client::http::StatusCode;
    use tower_http::{map_response_body::MapResponseBodyLayer, timeout::TimeoutLayer};

    let server = RawServer::start(Behaviour::Silent).await;
    let around = support::client(&server.url, None).layer(TimeoutLayer::with_status_code(
        StatusCode::GATEWAY_TIMEOUT,
        Duration::from_millis(100),
    ));
    // Inside, its response body must have a default: the README's adapter
    // boxes hyper's.
    let inside = Client::builder()
        .base_url(&server.url)
        .expect("valid URL")
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(100),
        ))
        .layer(MapResponseBodyLayer::new(BodyExt::boxed))
        .build()
        .expect("the client builds");
    let errors = [
        (
            within_10s(around.server().ping_server())
                .await
                .expect_err("timed out"),
            "504",
        ),
        (
            within_10s(inside.server().ping_server())
                .await
                .expect_err("timed out"),
            "408",
        ),
    ];
    for (error, status) in errors {
        assert!(error.is_timeout(), "{error:?}");
        assert!(!error.is_status(), "{error:?}");
        let text = shown(&error);
        assert!(text.contains(status) && text.contains("layer"), "{text}");
    }
}

/// A server's own `504` (or a proxy's) has headers: it stays a status.
#[tokio::test]
async fn a_servers_own_504_stays_a_status() {
    let server = RawServer::start(Behaviour::Respond(response(
        "504 Gateway Timeout",
        &[("content-length", "0")],
        b"",
    )))
    .await;
    let error = support::client(&server.url, None)
        .server()
        .ping_server()
        .await
        .expect_err("a 504");
    assert!(error.is_status() && !error.is_timeout(), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(504));
}
