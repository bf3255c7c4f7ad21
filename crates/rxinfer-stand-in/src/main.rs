//! The stand-in as a process of its own: for running the examples twice
//! against one server, or trying a client by hand.
//!
//! ```text
//! cargo run -p rxinfer-stand-in -- --port 8000 --dev-token
//! ```
//!
//! `--test-models` serves the models of the real server's own test suite
//! too, as `RXINFER_SERVER_LOAD_TEST_MODELS=true` does there;
//! `--conjugate-regression` serves the stand-in's own
//! `ConjugateRegression-v1` (see `examples/posteriors.rs`).
//!
//! It prints its base URL on the first line of its output and serves until
//! it is stopped. Its state lives in memory: a restart forgets every token
//! and instance, as a wiped database would.

use std::process::ExitCode;

use rxinfer_stand_in::{ConjugateRegression, StandIn};

const USAGE: &str =
    "usage: rxinfer-stand-in [--port N] [--dev-token] [--test-models] [--conjugate-regression]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut builder = StandIn::builder();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|port| port.parse().ok()) {
                Some(port) => builder = builder.port(port),
                None => {
                    eprintln!("--port needs a number from 0 to 65535\n{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            "--dev-token" => builder = builder.dev_token(true),
            // The real server's RXINFER_SERVER_LOAD_TEST_MODELS=true.
            "--test-models" => builder = builder.with_test_models(),
            "--conjugate-regression" => builder = builder.model(ConjugateRegression::default()),
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    match builder.start().await {
        Ok(server) => {
            println!("{}", server.url());
            std::future::pending::<()>().await;
            drop(server);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("the stand-in could not listen: {error}");
            ExitCode::FAILURE
        }
    }
}
