//! Decoding benchmark: a `get_episodes` answer with 10,000 events and an
//! `InferResponse`, decoded into the typed models and, as the baseline, into
//! `serde_json::Value`, from the same bytes, interleaved `ROUNDS` times.
//!
//! ```text
//! cargo bench --bench decode            # full run
//! cargo bench --bench decode -- --quick # smoke run
//! ```

use std::{hint::black_box, time::Instant};

use rxinfer_client::models::{EpisodeInfo, Event, InferResponse, object};

const ROUNDS: usize = 4;
const EVENTS: i64 = 10_000;

/// What the server answers to `get_episodes` for one instance whose
/// `default` episode holds `EVENTS` inference events.
fn episodes() -> Result<Vec<u8>, serde_json::Error> {
    let events = (1..=EVENTS)
        .map(|id| {
            Event::new(id, object([("observation", id % 2)]))
                .with_timestamp("2025-10-31T10:15:02.123+00:00")
                .with_metadata(object([("source", "sensor-7")]))
                .with_processed(id % 3 == 0)
        })
        .collect();
    let episode = EpisodeInfo::new(
        "6f1c2d4e-0000-4000-8000-000000000000",
        "default",
        "2025-10-31T10:15:02.123+00:00".into(),
    )
    .with_events(events)
    .with_parameters(object([("posterior_a", 5001.0), ("posterior_b", 5001.0)]));
    serde_json::to_vec(&vec![episode])
}

fn infer() -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&InferResponse::new(
        Some(23),
        object([("mean_p", 0.6), ("number_of_infer_calls", 3.0)]),
    ))
}

/// Mean time per decode over `iterations`, in microseconds.
fn time(iterations: u32, mut decode: impl FnMut() -> bool) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        assert!(decode(), "the bytes did not decode");
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
}

fn compare(name: &str, bytes: &[u8], iterations: u32, rounds: usize, typed: fn(&[u8]) -> bool) {
    println!(
        "\n{name}: {} bytes, {iterations} decodes per run",
        bytes.len()
    );
    println!(" run  typed µs   Value µs   typed/Value");
    let (mut typed_sum, mut value_sum) = (0.0, 0.0);
    for round in 1..=rounds {
        let t = time(iterations, || typed(black_box(bytes)));
        let v = time(iterations, || {
            serde_json::from_slice::<serde_json::Value>(black_box(bytes)).is_ok()
        });
        println!("{round:>4} {t:>9.2} {v:>10.2} {:>13.3}", t / v);
        typed_sum += t;
        value_sum += v;
    }
    println!(
        "mean {:>9.2} {:>10.2} {:>13.3}",
        typed_sum / rounds as f64,
        value_sum / rounds as f64,
        typed_sum / value_sum
    );
}

fn main() -> Result<(), serde_json::Error> {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 1 } else { ROUNDS };
    compare(
        "get_episodes, one episode of 10,000 events",
        &episodes()?,
        if quick { 3 } else { 40 },
        rounds,
        |bytes| {
            serde_json::from_slice::<Vec<EpisodeInfo>>(bytes)
                .is_ok_and(|e| e[0].events.len() == EVENTS as usize)
        },
    );
    compare(
        "run_inference's InferResponse",
        &infer()?,
        if quick { 1_000 } else { 200_000 },
        rounds,
        |bytes| serde_json::from_slice::<InferResponse>(bytes).is_ok(),
    );
    Ok(())
}
