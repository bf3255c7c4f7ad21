//! Load benchmark: one client over a fleet of stand-in replicas that share
//! one store, each running one inference at a time at a cost of 5 ms, as a
//! single-worker server would. Three cases, each against a baseline made
//! in the same run:
//!
//! 1. throughput with N = 1 to 4 replicas, against N times the throughput
//!    of a client on one replica without the set (goal: at least 0.9);
//! 2. one replica of three ten times slower, against the same fleet all
//!    healthy: p99 latency (goal: at most 1.5 times);
//! 3. one replica of three killed a third of the way through and restarted
//!    at two thirds: failed calls that may be sent again, and state-changing
//!    calls the fleet received twice (goal: none of either).
//!
//! Every caller infers on an instance of its own, so that what is measured
//! is the balancing, not one instance's line. The client runs on a
//! two-thread runtime beside the stand-ins.
//!
//! ```text
//! cargo bench --bench replicas              # full run (about 30 s)
//! cargo bench --bench replicas -- --quick   # smoke run
//! ```

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use rxinfer_client::{
    BoxClient, Client, HealthPolicy, Replicas,
    models::{CreateModelInstanceRequest, InferRequest, object},
};
use rxinfer_stand_in::{StandIn, StandInCluster};

const TOKEN: &str = "7d0c2a52-0c4e-4b7e-9d2a-replicas0001";
const COST: Duration = Duration::from_millis(5);
/// Load before each measurement, while the set learns the replicas'
/// latencies.
const WARM_UP: Duration = Duration::from_millis(500);
/// Callers per replica in the throughput case: enough to keep each busy.
const CALLERS_PER_REPLICA: usize = 4;

struct Options {
    run_for: Duration,
}

type Bench = Result<(), Box<dyn std::error::Error>>;

fn main() -> Bench {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let options = Options {
        run_for: if quick {
            Duration::from_millis(300)
        } else {
            Duration::from_secs(3)
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        throughput(&options).await?;
        slow_replica(&options).await?;
        killed_replica(&options).await
    })
}

async fn cluster(replicas: usize) -> Result<StandInCluster, std::io::Error> {
    let cluster = StandIn::builder()
        .record_requests(true)
        .inference_cost(COST)
        .start_cluster(replicas)
        .await?;
    cluster.insert_token(TOKEN, ["user"]);
    Ok(cluster)
}

fn over(replicas: &Replicas) -> Result<BoxClient, rxinfer_client::TransportError> {
    Ok(Client::builder()
        .token(TOKEN)?
        .build_replicas(replicas)?
        .boxed())
}

/// `count` new instances, one per caller.
async fn instances(
    client: &BoxClient,
    count: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut instances = Vec::with_capacity(count);
    for _ in 0..count {
        let created = client
            .models()
            .create_model_instance(
                &CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description(unique()),
            )
            .await?;
        instances.push(created.into_data().instance_id);
    }
    Ok(instances)
}

/// What one closed-loop run measured.
struct Run {
    calls: usize,
    failed: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

/// `callers` callers, each inferring on an instance of its own, as fast as
/// answers come, for `run_for`.
async fn closed_loop(
    client: &BoxClient,
    callers: usize,
    run_for: Duration,
) -> Result<Run, Box<dyn std::error::Error>> {
    let instances = instances(client, callers).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for id in instances {
        let (client, stop, measuring) = (client.clone(), Arc::clone(&stop), Arc::clone(&measuring));
        tasks.spawn(async move {
            let (mut latencies, mut failed) = (Vec::new(), 0);
            let request = InferRequest::new(object([("observation", 1)]));
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                let outcome = client.models().run_inference(&id, &request).await;
                if measuring.load(Ordering::Relaxed) {
                    failed += usize::from(outcome.is_err());
                    latencies.push(sent.elapsed());
                }
            }
            (latencies, failed)
        });
    }
    // The set learns each replica's latency from its answers: the first
    // calls of a fresh set are not what it does once it has.
    tokio::time::sleep(WARM_UP).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(run_for).await;
    stop.store(true, Ordering::Relaxed);
    let (mut latencies, mut failed) = (Vec::new(), 0);
    while let Some(task) = tasks.join_next().await {
        let (some, failures) = task?;
        latencies.extend(some);
        failed += failures;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |p: usize| {
        latencies
            .get(latencies.len() * p / 100)
            .copied()
            .unwrap_or_default()
    };
    Ok(Run {
        calls: latencies.len(),
        failed,
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(50),
        p99: at(99),
    })
}

fn row(label: &str, run: &Run) {
    println!(
        "{label:<34} {:>8.1} calls/s {:>7.1} ms p50 {:>7.1} ms p99 {:>6} calls {:>3} failed",
        run.per_second,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3,
        run.calls,
        run.failed
    );
}

async fn throughput(options: &Options) -> Bench {
    println!("1. throughput, {CALLERS_PER_REPLICA} callers per replica, inference cost {COST:?}");
    let one = {
        let cluster = cluster(1).await?;
        let client = Client::builder()
            .base_url(cluster.urls()[0].as_str())?
            .token(TOKEN)?
            .build()?
            .boxed();
        let run = closed_loop(&client, CALLERS_PER_REPLICA, options.run_for).await?;
        row("one replica, no set (baseline)", &run);
        cluster.shutdown().await;
        run.per_second
    };
    for n in 1..=4 {
        let cluster = cluster(n).await?;
        let replicas = Replicas::new(cluster.urls())?;
        let client = over(&replicas)?;
        let run = closed_loop(&client, CALLERS_PER_REPLICA * n, options.run_for).await?;
        row(&format!("{n} replica(s) through the set"), &run);
        println!(
            "   ratio to {n} x one replica: {:.3} (goal >= 0.9)",
            run.per_second / (n as f64 * one)
        );
        cluster.shutdown().await;
    }
    Ok(())
}

async fn slow_replica(options: &Options) -> Bench {
    let callers = 4;
    println!("\n2. one replica of three ten times slower, {callers} callers");
    let cluster = cluster(3).await?;
    let replicas = Replicas::new(cluster.urls())?;
    let client = over(&replicas)?;
    let healthy = closed_loop(&client, callers, options.run_for).await?;
    row("three healthy replicas (baseline)", &healthy);
    cluster.replicas()[2].slow(COST * 9);
    let client = over(&Replicas::new(cluster.urls())?)?;
    // A fresh set learns the slow replica's latency as calls return.
    let slow = closed_loop(&client, callers, options.run_for).await?;
    row("one of them 10x slower", &slow);
    println!(
        "   p99 ratio: {:.3} (goal <= 1.5)",
        slow.p99.as_secs_f64() / healthy.p99.as_secs_f64()
    );
    cluster.shutdown().await;
    Ok(())
}

async fn killed_replica(options: &Options) -> Bench {
    let callers = 6;
    println!(
        "\n3. one replica of three killed and restarted, {callers} callers: inferences and reads"
    );
    let cluster = cluster(3).await?;
    let replicas = Replicas::with_policy(
        cluster.urls(),
        HealthPolicy::new().ejection(Duration::from_millis(100), Duration::from_secs(1)),
    )?;
    let client = over(&replicas)?;
    let instances = instances(&client, callers).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let failed_reads = Arc::new(AtomicUsize::new(0));
    let failed_changes = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for id in instances {
        let client = client.clone();
        let (stop, calls) = (Arc::clone(&stop), Arc::clone(&calls));
        let (failed_reads, failed_changes) =
            (Arc::clone(&failed_reads), Arc::clone(&failed_changes));
        tasks.spawn(async move {
            let coin = client.models().instance(&id);
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let request = InferRequest::new(object([("observation", round % 2)]));
                if coin.run_inference(&request).await.is_err() {
                    failed_changes.fetch_add(1, Ordering::Relaxed);
                }
                if coin.get_model_instance_state().await.is_err() {
                    failed_reads.fetch_add(1, Ordering::Relaxed);
                }
                calls.fetch_add(2, Ordering::Relaxed);
            }
        });
    }
    let victim = &cluster.replicas()[1];
    tokio::time::sleep(options.run_for / 3).await;
    victim.stop().await;
    tokio::time::sleep(options.run_for / 3).await;
    victim.restart().await?;
    tokio::time::sleep(options.run_for / 3).await;
    stop.store(true, Ordering::Relaxed);
    while let Some(task) = tasks.join_next().await {
        task?;
    }
    let twice = cluster.duplicated_state_changes().len();
    println!(
        "{} calls; failed reads (may be sent again): {} (goal 0); state changes received twice: {twice} (goal 0); \
         inferences whose answer was lost with the replica: {}",
        calls.load(Ordering::Relaxed),
        failed_reads.load(Ordering::Relaxed),
        failed_changes.load(Ordering::Relaxed),
    );
    for status in replicas.status() {
        println!(
            "   {}: {} calls, {} failed, ejected {} times",
            status.url, status.calls, status.failures, status.ejections
        );
    }
    cluster.shutdown().await;
    Ok(())
}

/// A description no other instance of this run has: two creations with
/// the same body would look to the stand-in like one call received twice.
fn unique() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("replica run {}", NEXT.fetch_add(1, Ordering::Relaxed))
}
