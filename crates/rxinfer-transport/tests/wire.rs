//! The default stack over real sockets on 127.0.0.1: deadlines, the body
//! limit, dropped connections and retries, refused connections, and an
//! `http://` proxy, each against a scripted server.

mod support;

use std::time::{Duration, Instant};

use http::Request;
use http_body_util::BodyExt;
use rxinfer_transport::{
    Config, Error, Operation, Proxy, RequestBody, RequestBodyLimit, ResentAfterLostAnswer,
    RetryPolicy, Transport,
};
use support::{Answer, OK};
use tower::ServiceExt;

fn config(url: &str) -> Config {
    let mut config = Config::default();
    config.base_url = format!("{url}/v1").parse().expect("base URL");
    config.proxy = Proxy::none();
    config.timeout = Duration::from_secs(5);
    config.retry = RetryPolicy::new()
        .max_retries(2)
        .base_delay(Duration::from_millis(1));
    config
}

fn roles() -> Request<RequestBody> {
    Request::get("/token/roles")
        .extension(Operation::new("token_roles").without_token())
        .body(RequestBody::default())
        .expect("a request")
}

fn infer() -> Request<RequestBody> {
    Request::post("/models/i/x/infer")
        .extension(
            Operation::new("run_inference")
                .without_token()
                .never_resent(),
        )
        .body(RequestBody::from("{}"))
        .expect("a request")
}

#[tokio::test]
async fn a_silent_server_times_out_at_the_deadline_not_before() {
    let (url, seen) = support::server(&[Answer::Silent]).await;
    let mut config = config(&url);
    config.timeout = Duration::from_millis(200);
    let transport = Transport::new(config).expect("the stack builds");
    let started = Instant::now();
    let outcome = transport.oneshot(roles()).await;
    let took = started.elapsed();
    assert!(
        matches!(outcome, Err(Error::Timeout(after)) if after == Duration::from_millis(200)),
        "{outcome:?}"
    );
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(seen.lock().expect("seen").len(), 1);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_a_call_may_raise_it() {
    const BIG: &str = "HTTP/1.1 200 OK\r\ncontent-length: 32\r\nconnection: close\r\n\r\n0123456789abcdef0123456789abcdef";
    let (url, _) = support::server(&[Answer::Bytes(BIG), Answer::Bytes(BIG)]).await;
    let mut config = config(&url);
    config.body_limit = 16;
    let transport = Transport::new(config).expect("the stack builds");
    let refused = transport.clone().oneshot(roles()).await;
    assert!(
        matches!(refused, Err(Error::BodyTooLarge { limit: 16 })),
        "{refused:?}"
    );
    let mut raised = roles();
    raised.extensions_mut().insert(RequestBodyLimit(64));
    let answer = transport
        .oneshot(raised)
        .await
        .expect("within the raised limit");
    let body = answer.into_body().collect().await.expect("read").to_bytes();
    assert_eq!(body.len(), 32);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_refused() {
    const CHUNKED: &str = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
    let (url, _) = support::server(&[Answer::Bytes(CHUNKED)]).await;
    let mut config = config(&url);
    config.body_limit = 20;
    let outcome = Transport::new(config)
        .expect("the stack builds")
        .oneshot(roles())
        .await;
    assert!(
        matches!(outcome, Err(Error::BodyTooLarge { limit: 20 })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_read_and_never_for_a_change() {
    let (url, seen) = support::server(&[Answer::Drop]).await;
    let transport = Transport::new(config(&url)).expect("the stack builds");
    let answer = transport.oneshot(roles()).await.expect("the retry answers");
    assert_eq!(answer.status(), 200);
    assert_eq!(seen.lock().expect("seen").len(), 2);
    // The first attempt may have taken effect: the answer says so.
    assert!(answer.extensions().get::<ResentAfterLostAnswer>().is_some());

    let (url, seen) = support::server(&[Answer::Drop]).await;
    let transport = Transport::new(config(&url)).expect("the stack builds");
    let outcome = transport.oneshot(infer()).await;
    assert!(
        matches!(outcome, Err(Error::Http(_) | Error::Body(_))),
        "{outcome:?}"
    );
    assert_eq!(
        seen.lock().expect("seen").len(),
        1,
        "sent once, never again"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    let mut config = config(&format!("http://127.0.0.1:{port}"));
    config.retry = RetryPolicy::disabled();
    let outcome = Transport::new(config)
        .expect("the stack builds")
        .oneshot(infer())
        .await;
    assert!(matches!(outcome, Err(Error::Connect(_))), "{outcome:?}");
}

#[tokio::test]
async fn an_http_proxy_gets_the_request_in_absolute_form() {
    let (proxy, seen) = support::server(&[Answer::Bytes(OK)]).await;
    // The server behind the proxy is never reached directly.
    let mut config = config("http://rxinfer.invalid:8000");
    config.proxy = Proxy::all(&proxy).expect("a proxy URL");
    let answer = Transport::new(config)
        .expect("the stack builds")
        .oneshot(roles())
        .await
        .expect("the proxy answers");
    assert_eq!(answer.status(), 200);
    let seen = seen.lock().expect("seen");
    assert_eq!(
        seen[0].request_line,
        "GET http://rxinfer.invalid:8000/v1/token/roles HTTP/1.1"
    );
    assert_eq!(seen[0].host.as_deref(), Some("rxinfer.invalid:8000"));
}
