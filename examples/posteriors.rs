//! Posteriors as Rust types: run the stand-in's `ConjugateRegression-v1`
//! (Bayesian linear regression with known noise, whose posterior over the
//! weights is an exact multivariate Normal), ask for its answer in two
//! different forms, print what came over the wire, and show that both
//! decode to the same posterior mean and covariance.
//!
//! ```text
//! cargo run --example posteriors
//! ```
//!
//! With `RXINFER_SERVER_URL` set it uses that server, which must serve
//! `ConjugateRegression-v1` (the stand-in as a process does:
//! `cargo run -p rxinfer-stand-in -- --port 8000 --dev-token --conjugate-regression`).

use std::process::ExitCode;

use rxinfer_client::{
    Client, RequestOptions,
    models::{
        CreateModelInstanceRequest, DistributionsData, DistributionsRepr, InferRequest, MdArray,
        MdArrayData, MdArrayRepr, Moment, Preferences, object,
    },
};
use rxinfer_stand_in::{ConjugateRegression, StandIn};

const MODEL: &str = "ConjugateRegression-v1";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Ten rows of two inputs, and outputs from weights (1.5, -0.5) with a
/// little fixed noise.
fn batch() -> Result<InferRequest, Box<dyn std::error::Error>> {
    let rows: Vec<Vec<f64>> = (0..10)
        .map(|i| {
            let t = f64::from(i);
            vec![1.0, (t * 0.9).sin() * 2.0]
        })
        .collect();
    let y: Vec<f64> = rows
        .iter()
        .enumerate()
        .map(|(i, x)| 1.5 * x[0] - 0.5 * x[1] + 0.1 * (i as f64 * 2.3).cos())
        .collect();
    let x = MdArray::from_rows(rows)?;
    // A matrix goes as rows, the form the server's models read.
    Ok(InferRequest::new(object([
        ("X", serde_json::Value::from(x)),
        ("y", serde_json::Value::from(y)),
    ])))
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (url, stand_in) = match std::env::var("RXINFER_SERVER_URL") {
        Ok(url) if !url.trim().is_empty() => (url, None),
        _ => {
            let server = StandIn::builder()
                .dev_token(true)
                .model(ConjugateRegression::default())
                .start()
                .await?;
            (server.url().to_owned(), Some(server))
        }
    };
    let client = Client::builder()
        .base_url(url.as_str())?
        .token("dev-token")?
        .build()?;
    let models = client.models();
    if models.get_available_model(MODEL).await.is_err() {
        return Err(format!(
            "{url} does not serve {MODEL}, a model of the stand-in; run without \
             RXINFER_SERVER_URL, or point it at the stand-in"
        )
        .into());
    }
    let instance = models
        .create_model_instance(&CreateModelInstanceRequest::new(MODEL))
        .await?;
    let id = instance.instance_id.clone();
    let request = batch()?;

    let forms = [
        ("the server's defaults", Preferences::new()),
        (
            "shape beside column-major data, moments only",
            Preferences::new()
                .with_mdarray_repr(MdArrayRepr::DictShape)
                .with_mdarray_data(MdArrayData::ReshapeColumnMajor)
                .with_distributions_repr(DistributionsRepr::DictTag)
                .with_distributions_data(DistributionsData::MeanCov),
        ),
    ];
    let mut posteriors = Vec::new();
    for (name, prefer) in forms {
        let answer = models
            .with_options(RequestOptions::new().preferences(prefer))
            .run_inference(&id, &request)
            .await?;
        let applied = answer.preferences_applied();
        println!("\n{name} (Preference-Applied: {:?})", applied.to_string());
        println!(
            "  w on the wire: {}",
            serde_json::to_string(&answer.results["w"])?
        );
        let w = answer.read().distribution("w")?;
        let (Some(Moment::Vector(mean)), Some(cov)) = (w.mean(), w.cov()) else {
            return Err(format!("`w` carries no mean and covariance: {w:?}").into());
        };
        let cov = cov
            .as_matrix()
            .ok_or("the covariance came without its elements")?
            .clone();
        println!("  posterior mean       {mean:.6?}");
        for (i, row) in cov.rows().enumerate() {
            let label = if i == 0 { "posterior covariance" } else { "" };
            let row: Vec<String> = row.iter().map(|x| format!("{x:.3e}")).collect();
            println!("  {label:<20} [{}]", row.join(", "));
        }
        posteriors.push((mean, cov));
    }
    models.delete_model_instance(&id).await?;
    if let Some(server) = stand_in {
        server.shutdown().await;
    }
    if posteriors.windows(2).all(|pair| pair[0] == pair[1]) {
        println!("\nboth forms decode to the same posterior, bit for bit");
        Ok(())
    } else {
        Err("the two forms decoded to different posteriors".into())
    }
}
