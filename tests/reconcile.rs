//! A lost answer to `run_inference`, reconciled: through an
//! `InstanceHandle`, each inference carries a timestamp unique within its
//! instance; when the answer is lost, the error carries it, and
//! `reconcile` says whether the server recorded the event (so the call
//! ran) or not (so sending it again is safe). The client never re-sends.
//! Against the stand-in, which, like RxInferServer, runs a handler to its
//! end after the client has gone.

mod support;

use std::time::Duration;

use rxinfer_client::Reconciliation;
use rxinfer_stand_in::StandIn;
use support::coin::{coin, observe};

fn infers(server: &StandIn) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.uri.path().ends_with("/infer"))
        .count()
}

#[tokio::test]
async fn a_lost_answer_whose_call_ran_is_recorded_with_its_event_id() {
    let (server, client, id) = coin(Duration::from_millis(300)).await;
    let coin = client.models().instance(&id);
    coin.run_inference(&observe(0)).await.expect("event 1");
    let error = coin
        .with_timeout(Duration::from_millis(100))
        .run_inference(&observe(1))
        .await
        .expect_err("the answer is lost to the timeout");
    assert!(error.answer_lost(), "{error:?}");
    let sent = error.sent_event().expect("the handle stamped it").clone();
    assert_eq!(sent.episode_name, "default");
    let reconciled = coin.reconcile(&sent).await.expect("episode read");
    assert_eq!(reconciled, Reconciliation::Recorded { event_id: Some(2) });
    assert_eq!(infers(&server), 2, "never sent again by the client");
}

#[tokio::test]
async fn a_call_given_up_before_its_turn_says_it_was_never_sent() {
    let (server, client, id) = coin(Duration::from_millis(300)).await;
    let coin = client.models().instance(&id);
    let before = coin.run_inference(&observe(0));
    // Gives up while the first holds the turn: never sent, and it says so
    // (before: reported as a lost answer, sending the caller to reconcile).
    let error = coin
        .with_timeout(Duration::from_millis(100))
        .run_inference(&observe(1))
        .await
        .expect_err("times out waiting for its turn");
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.never_sent() && !error.answer_lost(), "{error:?}");
    assert!(error.sent_event().is_none());
    assert!(
        error.to_string().contains("never reached the server"),
        "{error}"
    );
    before.await.expect("the first ran");
    assert_eq!(infers(&server), 1);
}

/// An event nobody recorded is `NotRecorded`.
#[tokio::test]
async fn an_event_never_sent_is_not_recorded() {
    let (_server, client, id) = coin(Duration::ZERO).await;
    let coin = client.models().instance(&id);
    coin.run_inference(&observe(0)).await.expect("one event");
    let never = rxinfer_client::SentEvent::new("2001-01-01T00:00:00.001".into(), "default");
    assert_eq!(
        coin.reconcile(&never).await.expect("episode read"),
        Reconciliation::NotRecorded
    );
}

#[tokio::test]
async fn inferences_through_handles_get_distinct_increasing_timestamps() {
    let (_server, client, id) = coin(Duration::ZERO).await;
    let one = client.models().instance(&id);
    let other = client.clone().models().instance(&id);
    for n in 0..10 {
        let handle = if n % 2 == 0 { &one } else { &other };
        handle
            .run_inference(&observe(n % 2))
            .await
            .expect("inference");
    }
    // Handles made and dropped per call: their lines go away between
    // calls, and the stamps must not repeat.
    for n in 0..10 {
        client
            .models()
            .instance(&id)
            .run_inference(&observe(n % 2))
            .await
            .expect("inference");
    }
    let episode = client
        .models()
        .get_episode_info(&id, "default")
        .await
        .expect("episode");
    let stamps: Vec<_> = episode
        .events
        .iter()
        .map(|event| {
            event
                .timestamp
                .as_ref()
                .expect("a timestamp")
                .to_primitive_date_time()
                .expect("a date-time")
        })
        .collect();
    assert_eq!(stamps.len(), 20);
    for pair in stamps.windows(2) {
        assert!(pair[0] < pair[1], "{pair:?}");
    }
}

#[tokio::test]
async fn errors_that_are_answers_carry_no_sent_event() {
    let (_server, client, _id) = coin(Duration::ZERO).await;
    let error = client
        .models()
        .instance("no-such-instance")
        .run_inference(&observe(1))
        .await
        .expect_err("404");
    assert!(error.is_not_found());
    assert!(!error.answer_lost());
    assert!(error.sent_event().is_none());
}

/// When the abandoned bound closes a lost call's connection while the
/// server still runs it (the stand-in, like RxInferServer, finishes it
/// anyway), the event is still found: the server records it first.
#[tokio::test]
async fn a_call_whose_connection_closed_at_the_bound_is_found_recorded() {
    let (server, client, id) = coin(Duration::from_millis(300)).await;
    let coin = client
        .models()
        .instance(&id)
        .with_abandoned_bound(Duration::from_millis(100));
    let error = coin
        .with_timeout(Duration::from_millis(50))
        .run_inference(&observe(1))
        .await
        .expect_err("lost");
    let sent = error.sent_event().expect("stamped").clone();
    assert_eq!(
        coin.reconcile(&sent).await.expect("episode read"),
        Reconciliation::Recorded { event_id: Some(1) }
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        coin.get_model_instance_state().await.expect("state").state["number_of_infer_calls"],
        1,
        "the server finished the call its client had closed"
    );
    assert_eq!(infers(&server), 1);
}

/// A timestamp the caller set is matched as the server stores it: offset
/// dropped, fraction cut to milliseconds, a date alone at midnight (before:
/// compared as written, a recorded event was reported `NotRecorded`).
#[tokio::test]
async fn a_callers_own_timestamp_is_matched_as_the_server_stores_it() {
    let (_server, client, id) = coin(Duration::ZERO).await;
    let coin = client.models().instance(&id);
    let given = [
        "2024-03-20T12:00:00.1239+02:00",
        "2024-03-21",
        "2024-03-22 08:30:00Z",
    ];
    for (n, timestamp) in given.into_iter().enumerate() {
        coin.run_inference(&observe(1).with_timestamp(timestamp))
            .await
            .expect("inference");
        let sent = rxinfer_client::SentEvent::new(timestamp.into(), "default");
        assert_eq!(
            coin.reconcile(&sent).await.expect("episode read"),
            Reconciliation::Recorded {
                event_id: Some(n as i64 + 1)
            },
            "{timestamp}"
        );
    }
    let unreadable = rxinfer_client::SentEvent::new("yesterday".into(), "default");
    let error = coin
        .reconcile(&unreadable)
        .await
        .expect_err("never NotRecorded");
    assert!(!error.answer_lost(), "{error:?}");
}
