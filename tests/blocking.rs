//! The blocking client: the same builder, operations and errors, each call
//! waiting for its answer. On the thread of a current-thread runtime it
//! fails at once instead of stalling the runtime (and any server on it);
//! it never panics.

use rxinfer_client::{
    ApiErrorKind, Client, blocking,
    models::{CreateModelInstanceRequest, FreeForm, InferRequest, object},
};
use rxinfer_stand_in::StandIn;
use std::time::{Duration, Instant};

fn client(url: &str) -> blocking::Client {
    Client::builder()
        .base_url(url)
        .expect("valid URL")
        .generate_token()
        .build_blocking()
        .expect("the client builds")
}

/// Runs `calls` on a thread of its own, as a script would, while the
/// stand-in serves from this test's runtime.
async fn on_a_thread<T: Send + 'static>(calls: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(calls)
        .await
        .expect("the calls ran")
}

#[tokio::test]
async fn a_script_creates_an_instance_and_infers() {
    let server = StandIn::start().await.expect("stand-in starts");
    let url = server.url().to_owned();
    let mean = on_a_thread(move || {
        let client = client(&url);
        assert!(client.server().ping_server().expect("pong").is_ok());
        let coin = client
            .models()
            .create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))
            .expect("an instance");
        let answer = client
            .models()
            .run_inference(
                &coin.instance_id,
                &InferRequest::new(object([("observation", 1)])),
            )
            .expect("results");
        answer.f64("mean_p")
    })
    .await;
    assert_eq!(mean, Some(2.0 / 3.0));
    assert_eq!(server.tokens_generated(), 1);
}

#[tokio::test]
async fn errors_are_the_async_clients() {
    let server = StandIn::start().await.expect("stand-in starts");
    let url = server.url().to_owned();
    let error = on_a_thread(move || {
        client(&url)
            .models()
            .get_model_instance("no-such-instance")
            .expect_err("404")
    })
    .await;
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.operation(), "get_model_instance");
}

/// Called from the body of a current-thread runtime that does not serve
/// the server, a blocking call is refused all the same (it cannot tell the
/// two apart) and does not panic; from a multi-thread runtime it blocks
/// its thread and is answered.
#[test]
fn a_call_from_inside_an_async_runtime_is_refused_or_answered_never_a_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = std::sync::Arc::new(runtime.block_on(StandIn::start()).expect("stand-in starts"));
    // The stand-in runs on a runtime of its own thread, as another process
    // would.
    let serving = std::sync::Arc::clone(&server);
    let background = std::thread::spawn(move || {
        runtime.block_on(async move {
            while std::sync::Arc::strong_count(&serving) > 1 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        })
    });
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let refused = current_thread.block_on(async {
        let client = client(server.url());
        client.server().ping_server().map(|pong| pong.is_ok())
    });
    let error = refused.expect_err("refused");
    assert!(
        matches!(error.kind(), ApiErrorKind::BlockingInRuntime),
        "{error:?}"
    );
    let multi_thread = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let pong = multi_thread.block_on(async {
        let client = client(server.url());
        client.server().ping_server().map(|pong| pong.is_ok())
    });
    assert!(pong.expect("pong"));
    drop(server);
    background.join().expect("the stand-in stopped");
}

/// The blocking client refuses an empty path parameter as the async one
/// does, before anything is sent.
#[tokio::test]
async fn an_empty_episode_name_is_refused_before_sending() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let url = server.url().to_owned();
    let error = on_a_thread(move || {
        client(&url)
            .models()
            .get_episode_info("some-instance", "")
            .expect_err("refused")
    })
    .await;
    assert!(
        matches!(error.kind(), ApiErrorKind::EmptyPathSegment),
        "{error:?}"
    );
    // The token is generated lazily, on the first call that needs it.
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// The `#[tokio::test]` shape: the stand-in serves from this test's
/// current-thread runtime, whose one thread a blocking call would stall, so
/// the server could never answer. The call fails at once, saying why, and
/// names the request it did not send (before: it waited for the timeout,
/// then said "timed out").
#[tokio::test]
async fn a_call_on_the_thread_of_its_own_servers_runtime_fails_at_once() {
    let server = StandIn::builder()
        .record_requests(true)
        .start()
        .await
        .expect("stand-in starts");
    let client = Client::builder()
        .base_url(server.url())
        .expect("valid URL")
        .generate_token()
        .timeout(Duration::from_secs(2))
        .build_blocking()
        .expect("the client builds");
    let started = Instant::now();
    let error = client
        .models()
        .run_inference(
            "some-instance",
            &InferRequest::new(object([("observation", 1)])),
        )
        .expect_err("refused");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "took {:?}: {error}",
        started.elapsed()
    );
    assert!(
        matches!(error.kind(), ApiErrorKind::BlockingInRuntime),
        "{error:?}"
    );
    assert!(!error.is_timeout());
    assert_eq!(error.operation(), "run_inference");
    assert_eq!(error.method(), http::Method::POST);
    assert_eq!(
        error.url(),
        format!("{}/models/i/some-instance/infer", server.url())
    );
    let message = error.to_string();
    assert!(
        message.contains("current-thread") && message.contains("spawn_blocking"),
        "{message}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}
