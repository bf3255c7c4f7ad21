//! Posterior decoding benchmark: a 1000 × 1000 matrix in each
//! `mdarray_data` form and a list of 10,000 distributions, decoded into the
//! typed models (`ArrayData`, `Distribution`) and, as the baseline, into
//! `serde_json::Value`, from the same bytes, interleaved `ROUNDS` times.
//! Peak memory of each decode is measured in a child process of its own
//! (Linux: `/proc/self/clear_refs`, then `VmHWM` − `VmRSS`).
//!
//! ```text
//! cargo bench --bench posteriors            # full run
//! cargo bench --bench posteriors -- --quick # smoke run
//! ```

use std::{hint::black_box, process::Command, time::Instant};

use rxinfer_client::models::{ArrayData, Distribution, MdArray, MdArrayData, Preferences};

const ROUNDS: usize = 4;
const SIDE: usize = 1000;
const DISTRIBUTIONS: usize = 10_000;

fn matrix_bytes(data: MdArrayData) -> Vec<u8> {
    let elements = (0..SIDE * SIDE).map(|i| (i as f64 * 0.7).sin()).collect();
    let matrix = MdArray::from_row_major(vec![SIDE, SIDE], elements).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let prefer = Preferences::new().with_mdarray_data(data);
    serde_json::to_vec(&matrix.encode(&prefer)).unwrap_or_default()
}

/// Alternately a `NormalMeanVariance` and a 2-D `MvNormalMeanCovariance`,
/// in the server's default form.
fn distribution_bytes() -> Vec<u8> {
    let list: Vec<Distribution> = (0..DISTRIBUTIONS)
        .map(|i| {
            let x = (i as f64 * 0.7).sin();
            if i % 2 == 0 {
                Distribution::NormalMeanVariance {
                    mean: x,
                    variance: 1.0 + x * x,
                }
            } else {
                let covariance =
                    MdArray::from_rows(vec![vec![1.0 + x * x, x / 3.0], vec![x / 3.0, 2.0]])
                        .unwrap_or_else(|_| std::process::exit(2));
                Distribution::MvNormalMeanCovariance {
                    mean: vec![x, -x],
                    covariance: covariance.into(),
                }
            }
        })
        .collect();
    serde_json::to_vec(&list).unwrap_or_default()
}

/// The cases: one per `mdarray_data` form, then the distributions.
fn case_count() -> usize {
    MdArrayData::ALL.len() + 1
}

fn name(index: usize) -> String {
    match MdArrayData::ALL.get(index) {
        Some(data) => format!("matrix {SIDE}x{SIDE} {data}"),
        None => format!("{DISTRIBUTIONS} distributions"),
    }
}

fn bytes(index: usize) -> Vec<u8> {
    match MdArrayData::ALL.get(index) {
        Some(&data) => matrix_bytes(data),
        None => distribution_bytes(),
    }
}

/// Decodes case `index`'s bytes into the typed models.
fn typed(index: usize, bytes: &[u8]) -> bool {
    match MdArrayData::ALL.get(index) {
        Some(&data) => {
            let applied = Preferences::new().with_mdarray_data(data);
            ArrayData::<f64>::from_slice(bytes, &applied).is_ok()
        }
        None => Distribution::list_from_slice(bytes, &Preferences::DEFAULT)
            .is_ok_and(|list| list.len() == DISTRIBUTIONS),
    }
}

fn value(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
}

/// Mean milliseconds per decode over `iterations`.
fn time(iterations: u32, decode: impl Fn(&[u8]) -> bool, bytes: &[u8]) -> f64 {
    let started = Instant::now();
    for _ in 0..iterations {
        assert!(decode(black_box(bytes)), "the bytes did not decode");
    }
    started.elapsed().as_secs_f64() * 1e3 / f64::from(iterations)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// In a child: decode the bytes in `path` (case `index`) once with
/// `decoder` and print the peak memory the decode added, in KiB. Reading
/// the bytes from a file leaves no freed memory for the decode to reuse.
fn child(path: &str, index: usize, decoder: &str) {
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:").unwrap_or(0);
    let ok = match decoder {
        "typed" => typed(index, &bytes),
        _ => value(&bytes),
    };
    let peak = status_kib("VmHWM:").unwrap_or(0);
    println!("{} {}", u8::from(ok), peak.saturating_sub(before));
}

fn peak_mib(path: &std::path::Path, index: usize, decoder: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .arg("--child")
        .arg(path)
        .args([&index.to_string(), decoder])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut fields = text.split_whitespace();
    (fields.next()? == "1").then_some(())?;
    Some(fields.next()?.parse::<f64>().ok()? / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let path = args.get(at + 1).map_or("", String::as_str);
        let index = args
            .get(at + 2)
            .and_then(|i| i.parse().ok())
            .unwrap_or(usize::MAX);
        child(
            path,
            index,
            args.get(at + 3).map_or("value", String::as_str),
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (rounds, iterations) = if quick { (1, 1) } else { (ROUNDS, 5) };
    let path = std::env::temp_dir().join(format!("rxinfer-posteriors-{}.json", std::process::id()));
    for index in 0..case_count() {
        let bytes = bytes(index);
        println!(
            "\n{}: {:.1} MB, {iterations} decodes per run",
            name(index),
            bytes.len() as f64 / 1e6
        );
        println!(" run  typed ms   Value ms   typed/Value");
        let (mut typed_sum, mut value_sum) = (0.0, 0.0);
        for round in 1..=rounds {
            let t = time(iterations, |b| typed(index, b), &bytes);
            let v = time(iterations, value, &bytes);
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
        let peaks = std::fs::write(&path, &bytes).ok().and_then(|()| {
            Some((
                peak_mib(&path, index, "typed")?,
                peak_mib(&path, index, "value")?,
            ))
        });
        match peaks {
            Some((t, v)) => println!("peak memory added: typed {t:.1} MiB, Value {v:.1} MiB"),
            None => println!("peak memory: not measured (needs Linux /proc)"),
        }
    }
    let _ = std::fs::remove_file(&path);
}
