//! Load benchmark: `GET /v1/token/roles` against the stand-in server over
//! loopback, through (a) the full default stack and (b) a hand-built
//! hyper-util request with the same headers and JSON decode, the lower
//! bound. Both put the same bytes on the wire (the baseline sends the
//! client's `User-Agent` too), so that what differs is the client's work,
//! not the one-thread server's: one header more costs the server about 600
//! instructions a request (callgrind).
//!
//! The set-up the project measures with: the stand-in runs on its own
//! one-thread runtime; the client runs on a current-thread runtime on this
//! thread, so its CPU time is this thread's. Modes are interleaved
//! (stack, baseline, stack, ...) `ROUNDS` times at each concurrency
//! (`--rounds N` for more; `--concurrency 1` or `32` for one level only;
//! `--help` lists the flags).
//!
//! ```text
//! cargo bench --bench token_roles            # full run
//! cargo bench --bench token_roles -- --quick # smoke run
//! cargo bench --bench token_roles -- --concurrency 32 --rounds 12
//! ```
//!
//! `--only stack` or `--only baseline` runs one mode, for counting its
//! instructions under `valgrind --tool=callgrind` when timing is too noisy.
//!
//! Notes on what was measured (stack/baseline ratios, mean ± standard
//! error over interleaved runs of two builds, `--rounds 3` each):
//!
//! - 2026-12-07, deadline timers shared by calls starting together
//!   (thread-local batches, 566 lines) against one tokio `Sleep` per call:
//!   at concurrency 32 (8 pairs) req/s 0.956 ± 0.024 against 0.976 ± 0.019,
//!   client CPU 1.041 ± 0.020 against 1.017 ± 0.024; at concurrency 1
//!   (6 pairs) req/s 0.936 ± 0.014 against 0.944 ± 0.014. No gain above
//!   the noise: tokio's timer stays.
//! - 2026-12-07, our lock-free retry budget against tower's `TpsBudget`
//!   (a mutex per call), at concurrency 32 (6 pairs): req/s 0.932 ± 0.008
//!   against 0.965 ± 0.022, client CPU 1.094 ± 0.013 against 1.046 ±
//!   0.018. No loss: tower's budget stays.
//! - 2026-12-07, the pool's connector behind one `Arc` (one reference
//!   count to clone per call instead of four) against the plain connector,
//!   at concurrency 32 (8 pairs): req/s 0.993 ± 0.021 against 0.969 ±
//!   0.032, client CPU 1.019 ± 0.026 against 1.051 ± 0.026. Within the
//!   noise: the wrapper went.
//! - 2026-12-07, remembering the resolved URIs of fixed paths against
//!   resolving every call, at concurrency 32 (16 pairs): req/s 0.964 ±
//!   0.022 against 0.937 ± 0.019, client CPU 1.042 ± 0.021 against 1.084
//!   ± 0.022; timing alone is within the noise, but callgrind
//!   (`--quick --only stack`, 2000 calls, server included) counts
//!   157.06 M instructions against 159.26 M, about 1,100 a call saved,
//!   every run: the cache stays.
//! - 2026-12-07, callgrind as above, three runs each (the head: 157.06,
//!   157.59, 157.91 M): building request headers with room for the
//!   response's (158.22-159.32 M without) and leaving hyper-util's
//!   `HttpInfo` out of responses (158.52-159.39 M with it) stay, their
//!   ranges clear of the head's; parsing a fixed path's URI once per
//!   endpoint (157.86-158.49 M without) overlaps the head's range and
//!   went.
//! - 2026-12-07, later: with fixed paths parsed in place and checked as
//!   built ones, caching the parsed URI again measured 157.53-157.84 M
//!   against 158.52-159.13 M without, three runs each (about 450
//!   instructions a call): the cache came back.
//! - 2026-12-07, at concurrency 1 (8 interleaved triples): the session's
//!   start (batched deadline timers) 0.984 ± 0.016 req/s, client CPU
//!   1.066 ± 0.019; the end (one tokio `Sleep` per call) 0.929 ± 0.025,
//!   1.156 ± 0.045; the end with the deadline's timer never polled (a
//!   measurement only, not a build to ship) 0.964 ± 0.018, 1.109 ± 0.030.
//!   The per-call timer's registration costs at concurrency 1, where the
//!   batch kept one timer across consecutive calls: about half of the
//!   gap. Open in issue 16.
//! - 2026-12-07, a later session, at concurrency 1 (`--rounds 3`): a
//!   thread's finished timer kept as a spare and reset for the next call
//!   (no timer registration per call; callgrind counts about 390
//!   instructions a call fewer). 10 interleaved pairs showed nothing
//!   (0.945 ± 0.016 req/s, client CPU 1.106 ± 0.025, against one `Sleep`
//!   per call 0.958 ± 0.023, 1.103 ± 0.028); 30 pairs (run beside
//!   builds) 0.949 ± 0.009, 1.105 ± 0.013 against 0.933 ± 0.011, 1.163 ±
//!   0.016; 15 pairs on an idle machine 0.953 ± 0.007, 1.085 ± 0.014
//!   against 0.938 ± 0.004, 1.139 ± 0.008. CPU gain above the noise: the
//!   spare is kept. The baseline given a 30 s
//!   `tokio::time::timeout` of its own measured the same ratios (0.938 ±
//!   0.013, 1.120 ± 0.020): the deadline is not what the stack pays at
//!   concurrency 1. Putting the baseline first in each round changed
//!   nothing (0.939 ± 0.020, 1.128 ± 0.036), nor did dropping the pool's
//!   idle timer (0.932 ± 0.022, 1.162 ± 0.029). `perf record -e
//!   cpu-clock` of `--only stack` against `--only baseline` spreads the
//!   difference over the stack's own per-call work (the future's poll,
//!   request headers, `Plan::of`, the connector clone hyper-util makes
//!   per request, content-type check, resolution), none above a tenth of
//!   it, and about as much again in the kernel with the same system calls
//!   (strace counts them equal).

use std::{
    hint::black_box,
    rc::Rc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderValue, Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::{
    client::legacy::{Client as HyperClient, connect::HttpConnector},
    rt::TokioExecutor,
};
use rxinfer_client::{
    AuthenticationApi, Client, Transport, models::TokenRolesResponse, transport::DEFAULT_USER_AGENT,
};
use rxinfer_stand_in::StandIn;

const TOKEN: &str = "4c1f9a52-0c4e-4b7e-9d2a-bench0000001";
const ROUNDS: usize = 4;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Stack,
    Baseline,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Stack => "stack",
            Mode::Baseline => "baseline",
        }
    }
}

/// One way of making the call, built fresh for each run so each run opens
/// its own connections.
// One value per run: its size does not matter, and boxing the baseline's
// client would add a pointer chase to the side being measured against.
#[allow(clippy::large_enum_variant)]
enum Caller {
    Stack(AuthenticationApi<Transport>),
    Baseline {
        client: HyperClient<HttpConnector, Full<Bytes>>,
        uri: Uri,
        authorization: HeaderValue,
    },
}

impl Caller {
    fn new(mode: Mode, url: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Ok(match mode {
            Mode::Stack => Caller::Stack(
                Client::builder()
                    .base_url(url)?
                    .token(TOKEN)?
                    .build()?
                    .authentication()
                    .clone(),
            ),
            Mode::Baseline => {
                let mut connector = HttpConnector::new();
                connector.set_nodelay(true);
                Caller::Baseline {
                    client: HyperClient::builder(TokioExecutor::new()).build(connector),
                    uri: format!("{url}/token/roles").parse()?,
                    authorization: HeaderValue::from_str(&format!("Bearer {TOKEN}"))?,
                }
            }
        })
    }

    async fn call(&self) -> Result<TokenRolesResponse, Box<dyn std::error::Error>> {
        match self {
            Caller::Stack(api) => Ok(api.token_roles().await?.into_data()),
            Caller::Baseline {
                client,
                uri,
                authorization,
            } => {
                let request = Request::get(uri.clone())
                    .header(header::AUTHORIZATION, authorization.clone())
                    .header(header::ACCEPT, HeaderValue::from_static("application/json"))
                    .header(
                        header::USER_AGENT,
                        HeaderValue::from_static(DEFAULT_USER_AGENT),
                    )
                    .body(Full::default())?;
                let response = client.request(request).await?;
                if response.status() != 200 {
                    return Err(format!("status {}", response.status()).into());
                }
                let body = response.into_body().collect().await?.to_bytes();
                Ok(serde_json::from_slice(&body)?)
            }
        }
    }
}

struct RunStats {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    cpu_per_request: Duration,
    connections: usize,
    failures: usize,
}

/// This thread's CPU time so far, from the scheduler's own nanosecond
/// counter (no unsafe `getrusage` needed).
fn thread_cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

async fn run(
    caller: Rc<Caller>,
    concurrency: usize,
    requests: usize,
    server: &StandIn,
) -> RunStats {
    let connections_before = server.connections_accepted();
    // Warm-up: open the connections and fill caches before measuring.
    let warm: Vec<_> = (0..concurrency)
        .map(|_| {
            let caller = Rc::clone(&caller);
            tokio::task::spawn_local(async move {
                for _ in 0..10 {
                    let _ = caller.call().await;
                }
            })
        })
        .collect();
    for task in warm {
        let _ = task.await;
    }

    let per_task = requests / concurrency;
    let cpu_before = thread_cpu_time();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let caller = Rc::clone(&caller);
            tokio::task::spawn_local(async move {
                let mut latencies = Vec::with_capacity(per_task);
                let mut failures = 0;
                for _ in 0..per_task {
                    let sent = Instant::now();
                    match caller.call().await {
                        Ok(roles) => {
                            black_box(roles);
                        }
                        Err(_) => failures += 1,
                    }
                    latencies.push(sent.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    let mut failures = 0;
    for task in tasks {
        if let Ok((task_latencies, task_failures)) = task.await {
            latencies.extend(task_latencies);
            failures += task_failures;
        }
    }
    let elapsed = started.elapsed();
    let cpu = thread_cpu_time().saturating_sub(cpu_before);
    latencies.sort_unstable();
    let total = latencies.len().max(1);
    let percentile = |p: usize| latencies.get(total * p / 100).copied().unwrap_or_default();
    RunStats {
        requests_per_second: total as f64 / elapsed.as_secs_f64(),
        p50: percentile(50),
        p99: percentile(99),
        cpu_per_request: cpu / total as u32,
        connections: server.connections_accepted() - connections_before,
        failures,
    }
}

fn print_row(label: &str, mode: &str, stats: &RunStats) {
    println!(
        "{label:>5} {mode:<9} {:>10.0} {:>9.1} {:>9.1} {:>11.2} {:>6} {:>8}",
        stats.requests_per_second,
        stats.p50.as_secs_f64() * 1e6,
        stats.p99.as_secs_f64() * 1e6,
        stats.cpu_per_request.as_secs_f64() * 1e6,
        stats.connections,
        stats.failures,
    );
}

fn mean(runs: &[RunStats], field: impl Fn(&RunStats) -> f64) -> f64 {
    runs.iter().map(field).sum::<f64>() / runs.len().max(1) as f64
}

fn start_server_thread()
-> Result<(StandIn, std::sync::mpsc::Sender<()>), Box<dyn std::error::Error>> {
    let (server_tx, server_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let Ok(runtime) = runtime else { return };
        runtime.block_on(async move {
            let started = StandIn::start().await;
            let _ = server_tx.send(started);
            // Keep serving until the benchmark is done.
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
        });
    });
    let server = server_rx.recv()??;
    server.insert_token(TOKEN, ["user"]);
    Ok((server, stop_tx))
}

const USAGE: &str = "flags: --quick (smoke run), --rounds N (at least 1), \
--concurrency 1|32 (one level only), --only stack|baseline (one mode)";

/// What the command line asks for.
struct Options {
    quick: bool,
    rounds: usize,
    concurrency: Option<usize>,
    only: Option<Mode>,
}

impl Options {
    /// Reads `args` (after the program name); `None` for `--help`.
    fn parse(args: &[String]) -> Result<Option<Self>, String> {
        let mut options = Options {
            quick: false,
            rounds: 0,
            concurrency: None,
            only: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .filter(|value| !value.starts_with("--"))
                    .ok_or(format!("{arg} needs a value; {USAGE}"))
            };
            match arg.as_str() {
                "--help" | "-h" => return Ok(None),
                "--quick" => options.quick = true,
                // Added by `cargo bench`.
                "--bench" => {}
                "--rounds" => options.rounds = number(arg, value()?)?,
                "--concurrency" => match number(arg, value()?)? {
                    level @ (1 | 32) => options.concurrency = Some(level),
                    _ => return Err(format!("--concurrency is 1 or 32; {USAGE}")),
                },
                "--only" => {
                    options.only = Some(match value()?.as_str() {
                        "stack" => Mode::Stack,
                        "baseline" => Mode::Baseline,
                        _ => return Err(format!("--only is stack or baseline; {USAGE}")),
                    })
                }
                _ => return Err(format!("unknown flag {arg}; {USAGE}")),
            }
        }
        if options.rounds == 0 {
            options.rounds = if options.quick { 1 } else { ROUNDS };
        }
        Ok(Some(options))
    }
}

/// A positive number given to `flag`.
fn number(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(0) | Err(_) => Err(format!("{flag} takes a positive number, not {value:?}")),
        Ok(n) => Ok(n),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(Options {
        quick,
        rounds,
        concurrency,
        only,
    }) = Options::parse(&args)?
    else {
        println!("{USAGE}");
        return Ok(());
    };
    let (server, stop) = start_server_thread()?;
    let url = server.url().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();

    println!("token_roles over loopback: default stack vs hand-built hyper-util request");
    for (level, requests) in [
        (1, if quick { 500 } else { 10_000 }),
        (32, if quick { 2_000 } else { 40_000 }),
    ] {
        if concurrency.is_some_and(|only| only != level) {
            continue;
        }
        println!("\nconcurrency {level}, {requests} requests per run, {rounds} interleaved rounds");
        println!(" run  mode           req/s   p50 µs    p99 µs  cpu µs/req  conns failures");
        let mut stack = Vec::new();
        let mut baseline = Vec::new();
        for round in 1..=rounds {
            for mode in [Mode::Stack, Mode::Baseline] {
                if only.is_some_and(|only| only != mode) {
                    continue;
                }
                let caller = Rc::new(Caller::new(mode, &url)?);
                let stats = local.block_on(&runtime, run(caller, level, requests, &server));
                print_row(&round.to_string(), mode.name(), &stats);
                match mode {
                    Mode::Stack => stack.push(stats),
                    Mode::Baseline => baseline.push(stats),
                }
            }
        }
        for (mode, runs) in [(Mode::Stack, &stack), (Mode::Baseline, &baseline)] {
            if runs.is_empty() {
                continue;
            }
            println!(
                " mean {:<9} {:>10.0} {:>9.1} {:>9.1} {:>11.2}",
                mode.name(),
                mean(runs, |s| s.requests_per_second),
                mean(runs, |s| s.p50.as_secs_f64() * 1e6),
                mean(runs, |s| s.p99.as_secs_f64() * 1e6),
                mean(runs, |s| s.cpu_per_request.as_secs_f64() * 1e6),
            );
        }
        if stack.is_empty() || baseline.is_empty() {
            continue;
        }
        let of = |field: fn(&RunStats) -> f64| mean(&stack, field) / mean(&baseline, field);
        let ratio = of(|s| s.requests_per_second);
        let cpu = of(|s| s.cpu_per_request.as_secs_f64());
        let p99 = of(|s| s.p99.as_secs_f64());
        let cpu_added = mean(&stack, |s| s.cpu_per_request.as_secs_f64() * 1e6)
            - mean(&baseline, |s| s.cpu_per_request.as_secs_f64() * 1e6);
        println!(
            " ratio stack/baseline req/s: {ratio:.3}; client CPU per call: {cpu:.3}x \
             ({cpu_added:+.2} µs); p99: {p99:.3}x"
        );
    }
    drop(server);
    let _ = stop.send(());
    Ok(())
}
