//! Retries, per-call overrides, server selection and proxy settings, against
//! the stand-in: it answers its first two requests with 503, and the client
//! retries through them.
//!
//! ```text
//! cargo run --example resilience
//! ```

use std::time::Duration;

use http::{HeaderName, HeaderValue};
use rxinfer_client::{
    Client, RequestOptions,
    transport::{BaseUrl, Proxy, RetryPolicy},
};
use rxinfer_stand_in::StandIn;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = StandIn::builder()
        .unavailable_for(2)
        .dev_token(true)
        .start()
        .await?;

    // The spec's server variables build URLs; here, the stand-in's port.
    let local = BaseUrl::local(server.addr().port(), "v1")?;
    println!(
        "server: {local} (the public one would be {})",
        BaseUrl::public("v1")?
    );

    let client = Client::builder()
        .base_url(local)?
        .token("dev-token")?
        .retry(
            RetryPolicy::new()
                .max_retries(3)
                .base_delay(Duration::from_millis(20)),
        )
        // A proxy for everything but loopback: these calls go direct.
        .proxy(Proxy::all("http://proxy.invalid:3128")?.no_proxy("localhost,127.0.0.1"))
        .build()?;

    let roles = client.authentication().token_roles().await?;
    println!("roles {:?} after two 503s, retried", roles.roles);

    // One call with its own timeout, header and token.
    let roles = client
        .authentication()
        .with_options(
            RequestOptions::new()
                .timeout(Duration::from_secs(2))
                .header(
                    HeaderName::from_static("x-request-id"),
                    HeaderValue::from_static("demo-1"),
                )
                .token(rxinfer_client::transport::BearerToken::new(
                    "dev-token:analyst,admin",
                )?),
        )
        .token_roles()
        .await?;
    println!("with a per-call token: roles {:?}", roles.roles);
    Ok(())
}
