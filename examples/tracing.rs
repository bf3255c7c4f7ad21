//! Tracing output of the client: one span per call, with OpenTelemetry's
//! field names (operation, method, URL, server, status, error type). The
//! token appears nowhere.
//!
//! ```text
//! cargo run --example tracing
//! ```

use rxinfer_client::Client;
use rxinfer_stand_in::StandIn;
use tracing::Level;
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .init();

    let server = StandIn::start().await?;
    server.insert_token("example-secret-token", ["user"]);
    let client = Client::builder()
        .base_url(server.url())?
        .token("example-secret-token")?
        .build()?;
    client.authentication().token_roles().await?;
    let _ = client.without_token().authentication().token_roles().await;
    Ok(())
}
