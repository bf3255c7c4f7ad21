//! Soak run, not part of the test suite: `CALLS` (default 1,000,000)
//! `token_roles` calls through the default client against the stand-in,
//! 32 at a time, with this process's resident memory sampled every tenth of
//! the run. It reports the growth after warm-up (the first tenth) and fails
//! when any call fails or the growth exceeds 1 MiB.
//!
//! ```text
//! cargo bench --bench soak                 # 1,000,000 calls
//! CALLS=100000 cargo bench --bench soak    # a shorter run
//! ```

use std::{sync::Arc, time::Instant};

use rxinfer_client::Client;
use rxinfer_stand_in::StandIn;

const TOKEN: &str = "5d2e8b61-1f0a-4c3e-9b7d-soak00000001";
const CONCURRENCY: usize = 32;
const BUDGET_KIB: i64 = 1024;

/// This process's resident set, in KiB, from `/proc/self/status`.
fn rss_kib() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(-1)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calls: usize = std::env::var("CALLS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1_000_000);
    let server = StandIn::start().await?;
    server.insert_token(TOKEN, ["user"]);
    let client = Arc::new(
        Client::builder()
            .base_url(server.url())?
            .token(TOKEN)?
            .build()?,
    );

    let tenth = (calls / 10).max(CONCURRENCY);
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut done = 0;
    let mut failures = 0;
    while done < calls {
        let batch = tenth.min(calls - done);
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|task| {
                let client = Arc::clone(&client);
                let share = batch / CONCURRENCY + usize::from(task < batch % CONCURRENCY);
                tokio::spawn(async move {
                    let mut failed = 0;
                    for _ in 0..share {
                        if client.authentication().token_roles().await.is_err() {
                            failed += 1;
                        }
                    }
                    failed
                })
            })
            .collect();
        for task in tasks {
            failures += task.await?;
        }
        done += batch;
        let rss = rss_kib();
        println!(
            "{done:>9} calls  {:>6.1} s  rss {rss} KiB",
            started.elapsed().as_secs_f64()
        );
        samples.push(rss);
    }
    let warm = samples.first().copied().unwrap_or_default();
    let last = samples.last().copied().unwrap_or_default();
    let peak = samples.iter().copied().max().unwrap_or_default();
    let growth = last - warm;
    println!(
        "\n{done} calls, {failures} failed, {:.0} calls/s; rss after warm-up {warm} KiB, \
         at the end {last} KiB (growth {growth} KiB, peak {peak} KiB, budget {BUDGET_KIB} KiB)",
        done as f64 / started.elapsed().as_secs_f64()
    );
    server.shutdown().await;
    if failures > 0 || growth > BUDGET_KIB {
        return Err(format!("{failures} failures, {growth} KiB growth").into());
    }
    Ok(())
}
