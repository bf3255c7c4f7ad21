//! One writer per instance, as `InstanceHandle` promises, measured at the
//! stand-in (which, like RxInferServer, takes no lock and runs a handler to
//! its end after the client has gone): a call takes its place when it is
//! made; a caller that gives up does not pass the turn on while the server
//! still runs its call; the wait for the turn counts in the timeout; and
//! every handle on one id shares one line.

mod support;

use std::time::{Duration, Instant};

use rxinfer_client::{InstanceHandle, Transport};
use support::coin::{coin, coin_with, observe};

async fn inferences(handle: &InstanceHandle<Transport>) -> serde_json::Value {
    handle
        .with_timeout(Duration::from_secs(10))
        .get_model_instance_state()
        .await
        .expect("state")
        .state["number_of_infer_calls"]
        .clone()
}

#[tokio::test]
async fn a_call_takes_its_place_when_made_not_when_polled() {
    let (server, client, id) = coin(Duration::ZERO).await;
    let handle = client.models().instance(&id);
    let first = handle.run_inference(&observe(1));
    let second = handle.run_inference(&observe(0));
    // Polled in the other order: the one made first still goes first.
    let (second, first) = tokio::join!(second, first);
    first.expect("first");
    second.expect("second");
    let bodies: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.uri.path().ends_with("/infer"))
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].contains(r#""observation":1"#), "{bodies:?}");
    assert!(bodies[1].contains(r#""observation":0"#), "{bodies:?}");
}

#[tokio::test]
async fn a_caller_that_gives_up_keeps_the_turn_until_the_server_is_done() {
    let (_server, client, id) = coin(Duration::from_millis(300)).await;
    let handle = client.models().instance(&id);
    let started = Instant::now();
    let error = handle
        .with_timeout(Duration::from_millis(100))
        .run_inference(&observe(1))
        .await
        .expect_err("gives up after 100 ms");
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // The server still runs the first: the second waits for it.
    handle.run_inference(&observe(0)).await.expect("second");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(inferences(&handle).await, 2, "no update lost");
}

#[tokio::test]
async fn a_dropped_call_keeps_the_turn_once_sent_and_is_never_sent_before() {
    let (_server, client, id) = coin(Duration::from_millis(200)).await;
    let handle = client.models().instance(&id);
    let sent = handle.run_inference(&observe(1));
    let _ = tokio::time::timeout(Duration::from_millis(50), sent).await;
    // Made and dropped while waiting for its turn: never sent.
    drop(handle.run_inference(&observe(1)));
    handle.run_inference(&observe(0)).await.expect("third");
    assert_eq!(
        inferences(&handle).await,
        2,
        "the dropped-early call never ran"
    );
}

#[tokio::test]
async fn the_wait_for_the_turn_counts_in_the_timeout() {
    let (_server, client, id) = coin(Duration::from_millis(300)).await;
    let handle = client
        .models()
        .instance(&id)
        .with_timeout(Duration::from_millis(100));
    let started = Instant::now();
    let calls: Vec<_> = (0..5).map(|_| handle.run_inference(&observe(1))).collect();
    let mut never_sent = 0;
    for call in calls {
        let error = call.await.expect_err("each gives up at 100 ms");
        assert!(error.is_timeout(), "{error:?}");
        assert_ne!(error.never_sent(), error.answer_lost(), "{error:?}");
        never_sent += usize::from(error.never_sent());
    }
    assert_eq!(never_sent, 4, "only the first was sent");
    // Before: the fifth failed after 500 ms.
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        inferences(&handle).await,
        1,
        "those given up before their turn were never sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_handle_on_one_id_shares_one_line() {
    let (_server, client, id) = coin(Duration::from_millis(20)).await;
    let clone = client.clone();
    let other = client.with_options(Default::default());
    let handles = [
        client.models().instance(&id),
        clone.models().instance(&id),
        other.models().instance(id.clone()),
    ];
    let calls: Vec<_> = (0..12)
        .map(|n| tokio::spawn(handles[n % 3].run_inference(&observe(1))))
        .collect();
    for call in calls {
        call.await.expect("task").expect("inference");
    }
    assert_eq!(inferences(&handles[0]).await, 12, "no update lost");
}

/// The stand-in, like RxInferServer, runs a handler to its end after the
/// client has gone: what makes a given-up call still change state.
#[tokio::test]
async fn the_stand_in_finishes_a_call_whose_client_disconnected() {
    use tokio::io::AsyncWriteExt;
    let (server, client, id) = coin(Duration::from_millis(200)).await;
    let body = r#"{"data":{"observation":1}}"#;
    let request = format!(
        "POST /v1/models/i/{id}/infer HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer dev-token\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connects");
    stream.write_all(request.as_bytes()).await.expect("written");
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(inferences(&client.models().instance(&id)).await, 1);
}

/// A handle waits as long as its client's timeout, not a default of its own.
#[tokio::test]
async fn a_handle_takes_its_clients_timeout() {
    let (_server, client, id) =
        coin_with(Duration::from_millis(500), Some(Duration::from_millis(150))).await;
    let handle = client.models().instance(&id);
    assert_eq!(handle.timeout(), Duration::from_millis(150));
    let started = Instant::now();
    let error = handle
        .run_inference(&observe(1))
        .await
        .expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

/// A call made outside any runtime takes its place when first polled, so
/// it cannot hold up the calls made inside one before it is polled
/// (before: the place was taken at once, the task started only at the
/// first poll, and the next call waited for it to its timeout).
#[test]
fn a_call_made_outside_a_runtime_holds_nobody_up() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (_server, client, id) = runtime.block_on(coin(Duration::ZERO));
    let handle = client.models().instance(&id);
    let early = handle.run_inference(&observe(1));
    let started = Instant::now();
    runtime
        .block_on(
            handle
                .with_timeout(Duration::from_secs(2))
                .run_inference(&observe(0)),
        )
        .expect("not held up by the unpolled call");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    runtime.block_on(early).expect("runs when polled");
}
