//! One client over a stand-in cluster (replicas sharing one store, as
//! RxInferServer's replicas share MongoDB), through the public API: calls
//! spread over the replicas with one identity; the deadline, the body limit
//! and the user's layers hold for each; a killed replica costs no call that
//! may be sent again and no state-changing call is received twice; a
//! replica on another database is ejected without renewing the token; one
//! whose database is down stays out until it is back.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use rxinfer_client::{
    ApiErrorKind, BoxClient, Client, HealthPolicy, ReplicaState, Replicas, TransportError,
    http::Request,
    models::{CreateModelInstanceRequest, InferRequest, object},
    tower::util::MapRequestLayer,
};
use rxinfer_stand_in::{Fault, StandIn, StandInCluster};

const TOKEN: &str = "3c9d2a52-0c4e-4b7e-9d2a-4f0e6a1c9b11";

async fn cluster(replicas: usize) -> StandInCluster {
    let cluster = StandIn::builder()
        .record_requests(true)
        .start_cluster(replicas)
        .await
        .expect("a cluster");
    cluster.insert_token(TOKEN, ["user"]);
    cluster
}

fn quick() -> HealthPolicy {
    HealthPolicy::new().ejection(Duration::from_millis(50), Duration::from_millis(200))
}

fn client(replicas: &Replicas) -> BoxClient {
    Client::builder()
        .token(TOKEN)
        .expect("a token")
        .build_replicas(replicas)
        .expect("a client")
        .boxed()
}

async fn new_instance(client: &BoxClient) -> String {
    client
        .models()
        .create_model_instance(
            &CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description(unique()),
        )
        .await
        .expect("an instance")
        .instance_id
        .clone()
}

fn state_of(replicas: &Replicas, url: &str) -> ReplicaState {
    replicas
        .status()
        .into_iter()
        .find(|status| status.url.to_string() == url)
        .map(|status| status.state)
        .expect("a member")
}

async fn wait_for(replicas: &Replicas, url: &str, state: ReplicaState) {
    for _ in 0..150 {
        if state_of(replicas, url) == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} never became {state:?}: {:?}", replicas.status());
}

#[tokio::test]
async fn one_generated_identity_serves_every_replica_and_calls_spread() {
    let cluster = cluster(3).await;
    let replicas = Replicas::new(cluster.urls()).expect("a set");
    let client = Client::builder()
        .generate_token()
        .build_replicas(&replicas)
        .expect("a client");
    // Eight callers at once, each on an instance of its own.
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        callers.spawn(async move {
            let id = client
                .models()
                .create_model_instance(
                    &CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description(unique()),
                )
                .await
                .expect("an instance")
                .instance_id
                .clone();
            let coin = client.models().instance(&id);
            for round in 0..5 {
                let request = InferRequest::new(object([("observation", round % 2)]));
                coin.run_inference(&request).await.expect("an inference");
                coin.get_model_instance_state().await.expect("a state");
            }
        });
    }
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller");
    }
    assert_eq!(cluster.tokens_generated(), 1, "one identity for the fleet");
    for replica in cluster.replicas() {
        assert!(
            replica.requests_received() > 0,
            "{} took no call",
            replica.url()
        );
    }
    assert!(cluster.duplicated_state_changes().is_empty());
}

#[tokio::test]
async fn a_layer_of_yours_sees_each_attempt_at_its_replica_and_the_limits_hold() {
    let cluster = cluster(2).await;
    let replicas = Replicas::new(cluster.urls()).expect("a set");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let client = Client::builder()
        .token(TOKEN)
        .expect("a token")
        .timeout(Duration::from_millis(300))
        .body_limit(64)
        .layer(MapRequestLayer::new(move |request: Request<_>| {
            let authority = request.uri().authority().map(ToString::to_string);
            record.lock().expect("record").push(authority);
            request
        }))
        .build_replicas(&replicas)
        .expect("a client");
    let roles = client.authentication().token_roles().await.expect("roles");
    assert_eq!(roles.roles, ["user"]);
    let addresses: Vec<String> = cluster
        .replicas()
        .iter()
        .map(|replica| replica.addr().to_string())
        .collect();
    for authority in seen.lock().expect("seen").iter() {
        let authority = authority.as_deref().expect("an absolute URL");
        assert!(addresses.iter().any(|a| a == authority), "{authority}");
    }
    // The body limit: the list of models is longer than 64 bytes.
    let listed = client.models().get_available_models().await;
    let error = listed.expect_err("over the limit");
    assert!(
        matches!(
            error.kind(),
            ApiErrorKind::Transport(TransportError::BodyTooLarge { .. })
        ),
        "{error:?}"
    );
    // The deadline: every replica slower than the client's timeout.
    for replica in cluster.replicas() {
        replica.slow(Duration::from_secs(2));
    }
    let started = std::time::Instant::now();
    let error = client
        .authentication()
        .token_roles()
        .await
        .expect_err("too slow");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_killed_replica_costs_no_read_and_no_change_is_received_twice() {
    let cluster = cluster(3).await;
    let replicas = Replicas::with_policy(cluster.urls(), quick()).expect("a set");
    let client = client(&replicas);
    let ids = [new_instance(&client).await, new_instance(&client).await];
    let victim = &cluster.replicas()[1];
    let reads = |client: BoxClient, id: String| async move {
        let mut failed = 0;
        for _ in 0..30 {
            if client.models().get_model_instance_state(&id).await.is_err() {
                failed += 1;
            }
        }
        failed
    };
    let first = tokio::spawn(reads(client.clone(), ids[0].clone()));
    let second = tokio::spawn(reads(client.clone(), ids[1].clone()));
    tokio::time::sleep(Duration::from_millis(5)).await;
    victim.stop().await;
    let coin = client.models().instance(&ids[0]);
    let mut changes_failed = 0;
    for round in 0..10 {
        let request = InferRequest::new(object([("observation", round % 2)]));
        if coin.run_inference(&request).await.is_err() {
            changes_failed += 1;
        }
    }
    assert_eq!(first.await.expect("reads"), 0);
    assert_eq!(second.await.expect("reads"), 0);
    assert_eq!(changes_failed, 0, "the killed replica was passed over");
    // Ejected if a call found it gone; suspect if calls in flight lost
    // their connection and later calls passed it over.
    assert_ne!(state_of(&replicas, victim.url()), ReplicaState::Ready);
    assert!(cluster.duplicated_state_changes().is_empty());
    victim.restart().await.expect("restarted");
    wait_for(&replicas, victim.url(), ReplicaState::Ready).await;
}

#[tokio::test]
async fn a_replica_on_another_database_is_ejected_and_the_token_is_not_renewed() {
    let cluster = cluster(3).await;
    let replicas = Replicas::with_policy(cluster.urls(), quick()).expect("a set");
    let client = Client::builder()
        .generate_token()
        .build_replicas(&replicas)
        .expect("a client")
        .boxed();
    let id = new_instance(&client).await;
    // Every replica has accepted the token at least once.
    for _ in 0..20 {
        client
            .models()
            .get_model_instance_state(&id)
            .await
            .expect("a state");
    }
    let foreign = &cluster.replicas()[2];
    foreign.fail(Fault::Unauthorized { from: 1 });
    // Reads six at a time, until one has met the foreign replica.
    for _ in 0..50 {
        let mut reads = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (client, id) = (client.clone(), id.clone());
            reads.spawn(async move { client.models().get_model_instance_state(&id).await });
        }
        while let Some(read) = reads.join_next().await {
            read.expect("a task").expect("a read goes elsewhere");
        }
        if state_of(&replicas, foreign.url()) == ReplicaState::Ejected {
            break;
        }
    }
    assert_eq!(state_of(&replicas, foreign.url()), ReplicaState::Ejected);
    assert_eq!(cluster.tokens_generated(), 1, "the token was kept");
    // Its probes carry the token it refuses: it stays out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state_of(&replicas, foreign.url()), ReplicaState::Ejected);
    foreign.heal();
    wait_for(&replicas, foreign.url(), ReplicaState::Ready).await;
}

#[tokio::test]
async fn a_replica_whose_database_is_down_stays_out_until_it_is_back() {
    let cluster = cluster(2).await;
    let policy = quick().failures_to_eject(1);
    let replicas = Replicas::with_policy(cluster.urls(), policy).expect("a set");
    let client = client(&replicas);
    let down = &cluster.replicas()[0];
    down.fail(Fault::DatabaseDown);
    for _ in 0..20 {
        client
            .authentication()
            .token_roles()
            .await
            .expect("the other replica answers");
    }
    assert_eq!(state_of(&replicas, down.url()), ReplicaState::Ejected);
    // It still answers `/ping`: probes read the database instead.
    let ping = Client::builder()
        .base_url(down.url())
        .expect("a URL")
        .build()
        .expect("a client");
    assert_eq!(
        ping.server().ping_server().await.expect("ping").status,
        "ok"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state_of(&replicas, down.url()), ReplicaState::Ejected);
    down.heal();
    wait_for(&replicas, down.url(), ReplicaState::Ready).await;
}

#[tokio::test]
async fn with_every_replica_out_calls_fail_at_once_with_a_typed_error() {
    let cluster = cluster(2).await;
    let replicas = Replicas::with_policy(
        cluster.urls(),
        HealthPolicy::new().ejection(Duration::from_secs(30), Duration::from_secs(30)),
    )
    .expect("a set");
    let client = client(&replicas);
    for replica in cluster.replicas() {
        replica.stop().await;
    }
    // The first calls find each replica gone; then none is left.
    let mut last = None;
    for _ in 0..4 {
        last = Some(client.authentication().token_roles().await);
    }
    let error = last.expect("calls").expect_err("no replica");
    assert!(
        matches!(
            error.kind(),
            ApiErrorKind::Transport(TransportError::NoReplicaReady)
        ),
        "{error:?}"
    );
    assert!(!error.answer_lost());
    assert!(error.never_sent());
}

/// A description no other instance of this run has: two creations with
/// the same body would look to the stand-in like one call received twice.
fn unique() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("replica run {}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The blocking client over a set: its own runtime thread runs the
/// balancer's probes too.
#[test]
fn the_blocking_client_spreads_over_replicas_and_survives_a_kill() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let cluster = runtime.block_on(cluster(2));
    let replicas = Replicas::with_policy(cluster.urls(), quick()).expect("a set");
    let client = Client::builder()
        .token(TOKEN)
        .expect("a token")
        .build_replicas_blocking(&replicas)
        .expect("a blocking client");
    for _ in 0..10 {
        assert_eq!(
            client.authentication().token_roles().expect("roles").roles,
            ["user"]
        );
    }
    // The replica the calls went to dies.
    let busiest = cluster
        .replicas()
        .iter()
        .max_by_key(|replica| replica.requests_received())
        .expect("replicas");
    runtime.block_on(busiest.stop());
    for _ in 0..10 {
        client
            .authentication()
            .token_roles()
            .expect("the other replica answers");
    }
}

/// An error answered by one replica names that replica, not the set's
/// first URL.
#[tokio::test]
async fn an_answer_names_the_replica_that_gave_it() {
    let cluster = cluster(2).await;
    let replicas = Replicas::with_policy(cluster.urls(), quick()).expect("a set");
    let client = client(&replicas);
    let id = new_instance(&client).await;
    let failing = &cluster.replicas()[1];
    failing.fail(Fault::Status(rxinfer_client::http::StatusCode::BAD_GATEWAY));
    // Changes until one meets the failing replica (a 502 is not sent again).
    for round in 0..50 {
        let request = InferRequest::new(object([("observation", round % 2)]));
        if let Err(error) = client.models().run_inference(&id, &request).await {
            assert_eq!(error.status().map(|s| s.as_u16()), Some(502), "{error}");
            assert!(error.url().starts_with(failing.url()), "{}", error.url());
            assert!(error.to_string().contains(failing.url()), "{error}");
            return;
        }
    }
    panic!("no inference met the failing replica");
}
