//! Runs the stand-in server until killed, for peers outside this process.
//!
//! ```text
//! stand-in [--dev-token]
//! ```
//!
//! It binds a free port on 127.0.0.1 and prints its base URL as the first
//! line of standard output.

use std::io::Write;

use rxinfer_stand_in::StandIn;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let dev_token = std::env::args().any(|a| a == "--dev-token");
    let server = StandIn::builder().dev_token(dev_token).start().await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", server.url())?;
    stdout.flush()?;
    std::future::pending::<()>().await;
    Ok(())
}
