//! The stand-in as a process of its own: for running the examples twice
//! against one server, or trying a client by hand.
//!
//! ```text
//! cargo run -p rxinfer-stand-in -- --port 8000 --dev-token
//! ```
//!
//! It prints its base URL on the first line of its output and serves until
//! it is stopped. Its state lives in memory: a restart forgets every token
//! and instance, as a wiped database would.

use std::process::ExitCode;

use rxinfer_stand_in::StandIn;

const USAGE: &str = "usage: rxinfer-stand-in [--port N] [--dev-token]";

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
