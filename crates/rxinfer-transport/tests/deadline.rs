//! The call's deadline holds where a plain `Sleep` would not: under a
//! service that spends tokio's cooperative budget at every poll, and for a
//! call that outlives the runtime it was first polled on.

use std::{convert::Infallible, future::Future, task::Poll, time::Duration};

use http::{Request, Response};
use rxinfer_transport::{Config, Error, RequestBody, ResponseBody, Transport};
use tower::Service;

fn config(timeout: Duration) -> Config {
    let mut config = Config::default();
    config.timeout = timeout;
    config
}

/// The call's deadline must fire even when the service under the stack
/// spends tokio's cooperative budget at every poll (a busy channel, a body
/// streamed through a tokio channel). tokio's own `time::Timeout` polls its
/// timer unconstrained in that case, and the shared timer was registered
/// unconstrained; a `Sleep` polled with no budget left returns `Pending`
/// without registering, so the call never times out (and spins a core).
#[tokio::test]
async fn the_deadline_fires_under_a_service_that_exhausts_the_coop_budget() {
    // Yields cooperatively forever: each poll spends the whole budget, then
    // asks to be polled again (tokio's advice for busy futures).
    let busy = tower::service_fn(|_: Request<RequestBody>| async {
        loop {
            tokio::task::coop::consume_budget().await;
        }
        #[allow(unreachable_code)]
        Ok::<Response<ResponseBody>, Infallible>(Response::new(ResponseBody::from("{}")))
    });
    let mut transport = Transport::over(config(Duration::from_millis(100)), busy);
    let call = transport.call(Request::new(RequestBody::default()));
    let outcome = tokio::time::timeout(Duration::from_secs(3), call)
        .await
        .expect("the call's own 100 ms deadline fires well before 3 s");
    assert!(
        matches!(outcome, Err(Error::Timeout(after)) if after == Duration::from_millis(100)),
        "{outcome:?}"
    );
}

/// A call first polled on a runtime that then shuts down, and finished on
/// another, takes a timer of the new runtime: a `Sleep` registered with the
/// runtime that is gone panics when polled ("A Tokio 1.x context was
/// found, but it is being shutdown").
#[test]
fn a_call_outliving_its_first_runtime_times_out_instead_of_panicking() -> std::io::Result<()> {
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
    };
    let silent = tower::service_fn(|_: Request<RequestBody>| {
        std::future::pending::<Result<Response<ResponseBody>, Infallible>>()
    });
    let mut transport = Transport::over(config(Duration::from_millis(50)), silent);
    let mut call = Box::pin(transport.call(Request::new(RequestBody::default())));
    let first = runtime()?;
    let pending = first.block_on(std::future::poll_fn(|cx| {
        Poll::Ready(call.as_mut().poll(cx).is_pending())
    }));
    assert!(pending);
    drop(first);
    let outcome =
        runtime()?.block_on(async { tokio::time::timeout(Duration::from_secs(3), call).await });
    assert!(matches!(outcome, Ok(Err(Error::Timeout(_)))), "{outcome:?}");
    Ok(())
}

/// The same move between runtimes while the call waits to retry: the wait
/// is remade on the second runtime too (a tokio `sleep` of the first would
/// panic there, "A Tokio 1.x context was found, but it is being
/// shutdown").
#[test]
fn a_call_outliving_its_first_runtime_while_waiting_to_retry_does_not_panic() -> std::io::Result<()>
{
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
    };
    let unavailable = tower::service_fn(|_: Request<RequestBody>| async {
        let mut response = Response::new(ResponseBody::from(""));
        *response.status_mut() = http::StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("1"),
        );
        Ok::<_, Infallible>(response)
    });
    let mut config = config(Duration::from_secs(5));
    config.retry = rxinfer_transport::RetryPolicy::new()
        .max_retries(1)
        .max_delay(Duration::from_secs(10));
    let mut transport = Transport::over(config, unavailable);
    let mut call = Box::pin(
        transport.call(
            Request::get("/token/roles")
                .body(RequestBody::default())
                .expect("a request"),
        ),
    );
    let first = runtime()?;
    let pending = first.block_on(std::future::poll_fn(|cx| {
        Poll::Ready(call.as_mut().poll(cx).is_pending())
    }));
    assert!(pending, "waiting to retry");
    drop(first);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime().map(|second| {
            second.block_on(async { tokio::time::timeout(Duration::from_secs(3), call).await })
        })
    }));
    let outcome = outcome.map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
    });
    assert!(
        matches!(outcome, Ok(Ok(Ok(Ok(ref response)))) if response.status() == 503),
        "{outcome:?}"
    );
    Ok(())
}

/// A call first polled on a runtime whose paused clock had been advanced,
/// then finished on a runtime with a real clock, keeps the time that was
/// left, not the first clock's instant (which lands an hour away).
#[test]
fn a_deadline_moved_off_a_paused_clock_keeps_its_timeout() -> std::io::Result<()> {
    let silent = tower::service_fn(|_: Request<RequestBody>| {
        std::future::pending::<Result<Response<ResponseBody>, Infallible>>()
    });
    let mut transport = Transport::over(config(Duration::from_millis(50)), silent);
    let mut call = Box::pin(transport.call(Request::new(RequestBody::default())));
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    let pending = paused.block_on(async {
        tokio::time::advance(Duration::from_secs(3600)).await;
        std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx).is_pending())).await
    });
    assert!(pending);
    drop(paused);
    let real = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let outcome = real.block_on(async { tokio::time::timeout(Duration::from_secs(3), call).await });
    assert!(matches!(outcome, Ok(Err(Error::Timeout(_)))), "{outcome:?}");
    Ok(())
}
