//! Where the token comes from: acquired by the client itself (once, however
//! many calls wait for it), renewed when the server rejects it, or read from
//! the environment.
//!
//! ```text
//! cargo run --example token_lifecycle
//! ```

use rxinfer_client::{Client, TransportError};
use rxinfer_mock_server::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start().await?;

    // No token up front: the first call that needs one generates it.
    let client = Client::builder()
        .base_url(server.url())?
        .acquire_token()
        .build()?;
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.authentication().token_roles().await })
        })
        .collect();
    for call in calls {
        call.await??;
    }
    println!(
        "50 concurrent calls, tokens generated: {}",
        server.tokens_generated()
    );

    // The server forgets every token; the next call renews it once.
    server.revoke_tokens();
    let roles = client.authentication().token_roles().await?;
    println!(
        "after expiry: roles {:?}, tokens generated: {}",
        roles.roles,
        server.tokens_generated()
    );

    // Or read RXINFER_TOKEN (then BEARER_TOKEN), with a clear error if unset.
    match Client::builder().base_url(server.url())?.token_from_env() {
        Ok(builder) => println!(
            "using the token from the environment: {:?}",
            builder.build()?
        ),
        Err(error @ TransportError::MissingToken) => println!("{error}"),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}
