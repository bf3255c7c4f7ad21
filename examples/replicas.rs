//! One client over three replicas that share one database: calls spread
//! over them, one replica is killed mid-run and brought back, and no call
//! fails and no call that changes state is sent twice.
//!
//! With no arguments it starts a stand-in cluster of three replicas (one
//! store, as replicas share MongoDB), each running one inference at a time.
//! With `RXINFER_REPLICA_URLS` set to a comma-separated list of base URLs
//! it runs against those servers instead, as the identity kept for them in
//! the token file (as `quickstart` does), and kills nothing.
//!
//! An inference whose answer was lost when its replica died is reconciled:
//! the client looks for its event, and sends it again only if the server
//! never recorded it (the request then carries a new timestamp: it is a
//! new call, not the old one sent twice).
//!
//! ```text
//! cargo run --example replicas
//! RXINFER_REPLICA_URLS=http://10.0.0.1:8000/v1,http://10.0.0.2:8000/v1 cargo run --example replicas
//! ```

use std::{
    collections::HashSet,
    pin::Pin,
    process::ExitCode,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
    time::Duration,
};

use http_body::Body;
use hyper::body::Incoming;
use rxinfer_client::{
    ApiError, BoxService, Client, HealthPolicy, HttpClient, InstanceHandle, Reconciliation,
    Replicas, RequestBody, TransportError,
    auth_api::FileTokenStore,
    http::{Method, Request, Response},
    models::{CreateModelInstanceRequest, InferRequest, object},
    tower::{Service, ServiceExt, layer::layer_fn, service_fn},
};
use rxinfer_stand_in::{StandIn, StandInCluster};

/// Workers, each with an instance of its own (one writer per instance).
const WORKERS: usize = 6;
/// Rounds per worker: an inference, then a read of the state.
const ROUNDS: usize = 60;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(error.as_ref());
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

/// What the run counts.
#[derive(Default)]
struct Tally {
    calls: AtomicUsize,
    failed: AtomicUsize,
    recorded_after_loss: AtomicUsize,
    resent_after_loss: AtomicUsize,
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let (urls, cluster) = match std::env::var("RXINFER_REPLICA_URLS") {
        Ok(urls) if !urls.trim().is_empty() => {
            let urls: Vec<String> = urls.split(',').map(|url| url.trim().to_owned()).collect();
            (urls, None)
        }
        _ => {
            let cluster = StandIn::builder()
                .record_requests(true)
                .inference_cost(Duration::from_millis(2))
                .start_cluster(3)
                .await?;
            println!("started a stand-in cluster: {}", cluster.urls().join(", "));
            (cluster.urls(), Some(cluster))
        }
    };
    let replicas = Replicas::with_policy(
        &urls,
        HealthPolicy::new()
            .suspect_for(Duration::from_millis(200))
            .ejection(Duration::from_millis(100), Duration::from_secs(2)),
    )?;
    // A layer of ours, under the balancer: it sees every attempt at the
    // replica it goes to.
    let witness = Witness::default();
    let builder = Client::builder().layer(layer_fn({
        let witness = witness.clone();
        move |inner: HttpClient| {
            let witness = witness.clone();
            service_fn(move |request: Request<RequestBody>| {
                let (witness, inner) = (witness.clone(), inner.clone());
                async move { witness.attempt(inner, request).await }
            })
        }
    }));
    let builder = if cluster.is_some() {
        builder.generate_token()
    } else {
        let store = match std::env::var_os("RXINFER_TOKEN_FILE") {
            Some(path) if !path.is_empty() => FileTokenStore::new(path),
            _ => FileTokenStore::user_default().ok_or("no home folder for the token file")?,
        };
        builder.token_store(store).generate_token()
    };
    // One type for the workers, whatever the stack.
    let client = builder.build_replicas(&replicas)?.boxed();

    let tally = Arc::new(Tally::default());
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..WORKERS {
        let created = client
            .models()
            .create_model_instance(
                &CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description(unique()),
            )
            .await?;
        tally.calls.fetch_add(1, Ordering::Relaxed);
        let coin = client.models().instance(&created.instance_id);
        workers.spawn(work(coin, Arc::clone(&tally)));
    }
    if let Some(cluster) = &cluster {
        chaos(cluster, &tally).await?;
    }
    while let Some(worker) = workers.join_next().await {
        worker?;
    }

    println!("\nper replica (as the client saw it):");
    for status in replicas.status() {
        println!(
            "  {}: {:>4} calls, {} failed, ejected {} times, now {:?}",
            status.url, status.calls, status.failures, status.ejections, status.state
        );
    }
    let lost = tally.recorded_after_loss.load(Ordering::Relaxed)
        + tally.resent_after_loss.load(Ordering::Relaxed);
    if lost > 0 {
        println!(
            "answers lost when a replica died: {lost} (recorded: {}, never ran and sent anew: {})",
            tally.recorded_after_loss.load(Ordering::Relaxed),
            tally.resent_after_loss.load(Ordering::Relaxed)
        );
    }
    if let Some(cluster) = &cluster {
        let received: Vec<String> = cluster
            .replicas()
            .iter()
            .map(|replica| replica.requests_received().to_string())
            .collect();
        println!(
            "stand-in: requests received per replica {}; state changes received twice: {}",
            received.join(", "),
            cluster.duplicated_state_changes().len()
        );
    }
    let (calls, failed, twice) = (
        tally.calls.load(Ordering::Relaxed),
        tally.failed.load(Ordering::Relaxed),
        witness.sent_twice(),
    );
    println!("replicas: {calls} calls, {failed} failed, {twice} state-changing sent twice");
    Ok(failed == 0 && twice == 0)
}

/// One worker: inferences on its own instance, each followed by a read.
async fn work(coin: InstanceHandle<BoxService>, tally: Arc<Tally>) {
    for round in 0..ROUNDS {
        let request = InferRequest::new(object([("observation", round % 2)]));
        let outcome = match coin.run_inference(&request).await {
            Ok(_) => Ok(()),
            Err(error) => recover(&coin, &request, error, &tally).await,
        };
        count(&tally, outcome);
        count(&tally, coin.get_model_instance_state().await.map(drop));
    }
}

/// An inference whose answer was lost: reconciled, and sent anew only if
/// it never ran.
async fn recover(
    coin: &InstanceHandle<BoxService>,
    request: &InferRequest,
    error: ApiError,
    tally: &Tally,
) -> Result<(), ApiError> {
    let Some(sent) = error.sent_event().filter(|_| error.answer_lost()) else {
        return Err(error);
    };
    match coin.reconcile(sent).await? {
        Reconciliation::NotRecorded => {
            tally.resent_after_loss.fetch_add(1, Ordering::Relaxed);
            coin.run_inference(request).await.map(drop)
        }
        _ => {
            tally.recorded_after_loss.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
    }
}

fn count(tally: &Tally, outcome: Result<(), ApiError>) {
    tally.calls.fetch_add(1, Ordering::Relaxed);
    if let Err(error) = outcome {
        tally.failed.fetch_add(1, Ordering::Relaxed);
        eprintln!("a call failed: {error}");
    }
}

/// Kills replica 1 a third of the way through, and brings it back half
/// way, so that it takes calls again before the end.
async fn chaos(cluster: &StandInCluster, tally: &Tally) -> std::io::Result<()> {
    let total = WORKERS * (1 + 2 * ROUNDS);
    let victim = &cluster.replicas()[1];
    while tally.calls.load(Ordering::Relaxed) < total / 3 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    victim.stop().await;
    println!(
        "killed {} after {} calls",
        victim.url(),
        tally.calls.load(Ordering::Relaxed)
    );
    while tally.calls.load(Ordering::Relaxed) < total / 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    victim.restart().await?;
    println!(
        "restarted {} after {} calls",
        victim.url(),
        tally.calls.load(Ordering::Relaxed)
    );
    Ok(())
}

/// What a layer of ours saw: each state-changing request (method, URL
/// path, body) that reached a server, and how many reached one twice. An
/// attempt that found no connection never left, and is not counted.
#[derive(Clone, Default)]
struct Witness {
    seen: Arc<Mutex<HashSet<Sent>>>,
    twice: Arc<AtomicUsize>,
}

impl Witness {
    async fn attempt(
        &self,
        mut inner: HttpClient,
        request: Request<RequestBody>,
    ) -> Result<Response<Incoming>, TransportError> {
        let key = (request.method() != Method::GET).then(|| {
            (
                request.method().clone(),
                request.uri().path().to_owned(),
                body_bytes(request.body()),
            )
        });
        let outcome = inner.ready().await?.call(request).await;
        let reached = match &outcome {
            Ok(_) => true,
            Err(error) => !error.is_connect(),
        };
        if let (Some(key), true) = (key, reached) {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.insert(key) {
                self.twice.fetch_add(1, Ordering::Relaxed);
            }
        }
        outcome
    }

    fn sent_twice(&self) -> usize {
        self.twice.load(Ordering::Relaxed)
    }
}

/// A request as the witness tells it apart: method, URL path, body.
type Sent = (Method, String, Vec<u8>);

/// The bytes of a whole-in-memory body: its one frame is ready at once.
fn body_bytes(body: &RequestBody) -> Vec<u8> {
    let mut body = body.clone();
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut body).poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame
            .into_data()
            .map(|data| data.to_vec())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A description no other instance of this run has: two creations with
/// the same body would look like one call sent twice.
fn unique() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("replica run {}", NEXT.fetch_add(1, Ordering::Relaxed))
}
