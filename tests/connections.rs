//! The connection pool, counted at the server: idle connections are closed
//! within the documented bound after the idle timeout (whichever pool they
//! sit in) and kept no more than the per-host maximum, and
//! a request that is never sent twice does not go out on a connection the
//! server may be closing for idleness.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use rxinfer_client::Client;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// What a server saw of its connections and requests.
#[derive(Default)]
struct Counts {
    open: AtomicUsize,
    answered: AtomicUsize,
    /// Requests read on a connection that had been idle too long, which
    /// the server closed without answering, as one closing for idleness.
    dropped: AtomicUsize,
}

/// A server answering `{"token":"t"}` to every request after `hold` (so
/// that the calls of a burst overlap and need connections of their own),
/// keeping each connection until the client closes it, or (with `idle`)
/// until a request arrives after the connection sat idle that long.
async fn counting_server(idle: Option<Duration>, hold: Duration) -> (String, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
    let counts = Arc::new(Counts::default());
    let shared = Arc::clone(&counts);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counts = Arc::clone(&shared);
            counts.open.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut last = None::<Instant>;
                let mut buffer = vec![0u8; 4096];
                loop {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    if idle.is_some_and(|idle| last.is_some_and(|at| at.elapsed() >= idle)) {
                        counts.dropped.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    if !hold.is_zero() {
                        tokio::time::sleep(hold).await;
                    }
                    let body = r#"{"token":"t"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        break;
                    }
                    counts.answered.fetch_add(1, Ordering::SeqCst);
                    last = Some(Instant::now());
                }
                counts.open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (url, counts)
}

async fn burst(client: &Client, calls: usize) {
    let calls: Vec<_> = (0..calls)
        .map(|_| tokio::spawn(client.server().ping_server()))
        .collect();
    for call in calls {
        let _ = call.await.expect("task finished");
    }
}

/// Idle connections close after the idle timeout (before: a burst's 50
/// connections stayed open for good, hyper-util's reaper having no timer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let (url, counts) = counting_server(None, Duration::from_millis(20)).await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .pool_idle_timeout(Some(Duration::from_millis(200)))
        .build()
        .expect("the client builds");
    burst(&client, 30).await;
    assert!(
        counts.open.load(Ordering::SeqCst) > 1,
        "the burst needed several connections"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while counts.open.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        counts.open.load(Ordering::SeqCst),
        0,
        "connections still open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_idle_connections_are_kept_than_the_maximum() {
    let (url, counts) = counting_server(None, Duration::from_millis(20)).await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .pool_max_idle_per_host(3)
        .build()
        .expect("the client builds");
    burst(&client, 30).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while counts.open.load(Ordering::SeqCst) > 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(counts.open.load(Ordering::SeqCst), 3);
}

/// Calls `token_generate` `calls` times, `spacing` apart, against a server
/// that closes connections idle for 40 ms; the failures.
async fn spaced_generations(reuse_window: Duration, calls: usize) -> (usize, Arc<Counts>) {
    let (url, counts) = counting_server(Some(Duration::from_millis(40)), Duration::ZERO).await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .non_idempotent_reuse(reuse_window)
        .build()
        .expect("the client builds");
    let mut failures = 0;
    for _ in 0..calls {
        tokio::time::sleep(Duration::from_millis(45)).await;
        if client.authentication().token_generate().await.is_err() {
            failures += 1;
        }
    }
    (failures, counts)
}

/// A POST is never re-sent once it may have reached the server, so it must
/// not go out on a connection the server is closing for idleness: it only
/// reuses a connection used within the reuse window. Against a server that
/// closes connections idle for 40 ms, 200 POSTs 45 ms apart all succeed,
/// each processed once; with a window longer than the server's timeout,
/// the same calls fail (before the fix, every other call failed).
#[tokio::test]
async fn a_post_never_goes_out_on_a_connection_the_server_is_closing() {
    let (failures, counts) = spaced_generations(Duration::from_millis(15), 200).await;
    assert_eq!(failures, 0);
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        0,
        "POSTs lost at the server"
    );
    assert_eq!(
        counts.answered.load(Ordering::SeqCst),
        200,
        "each POST processed once"
    );

    let (failures, counts) = spaced_generations(Duration::from_secs(3600), 10).await;
    assert!(failures > 0, "the race did not show: the test cannot tell");
    assert_eq!(counts.dropped.load(Ordering::SeqCst), failures);
}

/// What a [`lifetime_server`] saw: connections accepted, and for each one
/// the client closed, how long it stayed open after its last answer.
#[derive(Default)]
struct Lifetimes {
    accepted: AtomicUsize,
    closed: std::sync::Mutex<Vec<Duration>>,
}

/// A server that holds the first answer on its `k`th connection for
/// `k * step`, so that connections go idle at moments spread over
/// `step * calls`, and answers at once after that.
async fn lifetime_server(step: Duration) -> (String, Arc<Lifetimes>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
    let url = format!("http://{}/v1", listener.local_addr().expect("an address"));
    let lifetimes = Arc::new(Lifetimes::default());
    let shared = Arc::clone(&lifetimes);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let accepted = shared.accepted.fetch_add(1, Ordering::SeqCst);
            let mut hold = step * u32::try_from(accepted).expect("few connections");
            let lifetimes = Arc::clone(&shared);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                let mut answered = None::<Instant>;
                // Each read is one request; the client's close ends it.
                while let Ok(read) = stream.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                    tokio::time::sleep(std::mem::take(&mut hold)).await;
                    let body = r#"{"status":"ok","token":"t"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if stream.write_all(answer.as_bytes()).await.is_err() {
                        break;
                    }
                    answered = Some(Instant::now());
                }
                // A connection the pool opened but never used has no
                // answer to count from; it counts as closed.
                let lifetime = answered.map_or(Duration::ZERO, |at| at.elapsed());
                lifetimes
                    .closed
                    .lock()
                    .expect("not poisoned")
                    .push(lifetime);
            });
        }
    });
    (url, lifetimes)
}

/// The documented bound: an idle connection is closed no later than the
/// idle timeout plus the larger of the timeout and 90 ms after it went idle.
fn idle_bound(timeout: Duration) -> Duration {
    timeout + timeout.max(Duration::from_millis(90))
}

/// Room for timers and scheduling on a busy machine.
const SLACK: Duration = Duration::from_millis(100);

/// The lifetimes of the server's connections, once the client has closed
/// them all (or after five seconds).
async fn all_closed(lifetimes: &Lifetimes) -> Vec<Duration> {
    let closed = || lifetimes.closed.lock().expect("not poisoned").clone();
    let deadline = Instant::now() + Duration::from_secs(5);
    while closed().len() < lifetimes.accepted.load(Ordering::SeqCst) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closed = closed();
    assert_eq!(
        closed.len(),
        lifetimes.accepted.load(Ordering::SeqCst),
        "connections still open: {closed:?}"
    );
    closed
}

/// Connections that go idle at moments spread over more than one idle
/// timeout are each closed within the documented bound, and none before
/// the timeout. (The bound documented before, the timeout itself, fails
/// here: the pool checks for expired connections once per timeout, so one
/// that goes idle just after a check lives almost two timeouts.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_within_the_documented_bound() {
    let timeout = Duration::from_millis(200);
    let (url, lifetimes) = lifetime_server(Duration::from_millis(20)).await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .pool_idle_timeout(Some(timeout))
        .build()
        .expect("the client builds");
    // Sixteen overlapping calls, idle from 0 to 300 ms after the first.
    burst(&client, 16).await;
    let lifetimes = all_closed(&lifetimes).await;
    for lifetime in lifetimes.iter().filter(|l| !l.is_zero()) {
        assert!(*lifetime >= timeout, "closed early: {lifetimes:?}");
        assert!(
            *lifetime <= idle_bound(timeout) + SLACK,
            "closed late: {lifetimes:?}"
        );
    }
}

/// A connection that carried a call never sent twice sits in a pool of its
/// own; it is closed within the same bound, even when the reuse window is
/// longer than the idle timeout (before: it lived up to twice the window).
#[tokio::test]
async fn a_connection_used_for_a_post_is_closed_within_the_idle_bound() {
    let timeout = Duration::from_millis(200);
    let (url, lifetimes) = lifetime_server(Duration::ZERO).await;
    let client = Client::builder()
        .base_url(&url)
        .expect("valid URL")
        .pool_idle_timeout(Some(timeout))
        .non_idempotent_reuse(Duration::from_secs(2))
        .build()
        .expect("the client builds");
    client
        .authentication()
        .token_generate()
        .await
        .expect("a token");
    let lifetimes = all_closed(&lifetimes).await;
    assert!(lifetimes[0] <= idle_bound(timeout) + SLACK, "{lifetimes:?}");
}
