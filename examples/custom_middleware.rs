//! Middleware of your own in the default stack, without rebuilding it: a
//! hand-written layer counting attempts and tower-http's
//! `SetRequestHeaderLayer` go in with `ClientBuilder::layer` (every attempt,
//! retries included), tower-http's `TraceLayer` around the built client
//! (every call once). Retries, the deadline, the base URL, the token's
//! origin binding, the body limit, TLS and proxies all stay in place.
//!
//! ```text
//! cargo run --example custom_middleware
//! ```

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{
    BoxClient, Client, HttpClient, RequestBody, RetryPolicy,
    http::{HeaderName, HeaderValue, Request},
    tower::{ServiceExt, layer::layer_fn, service_fn},
};
use rxinfer_stand_in::StandIn;
use tower_http::{set_header::SetRequestHeaderLayer, trace::TraceLayer};

/// What an application keeps: one type, whatever the layers.
struct App {
    client: BoxClient,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The first two requests get a 503: the stack retries them.
    let server = StandIn::builder()
        .dev_token(true)
        .unavailable_for(2)
        .record_requests(true)
        .start()
        .await?;

    let attempts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&attempts);
    let count_attempts = layer_fn(move |inner: HttpClient| {
        let counted = Arc::clone(&counted);
        service_fn(move |request: Request<RequestBody>| {
            counted.fetch_add(1, Ordering::Relaxed);
            inner.clone().oneshot(request)
        })
    });

    let client = Client::builder()
        .base_url(server.url())?
        .token("dev-token")?
        .retry(RetryPolicy::new().base_delay(Duration::from_millis(10)))
        // Added first, outermost: the header layer wraps the counting one,
        // which sits right over the pooled client.
        .layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-request-source"),
            HeaderValue::from_static("custom-middleware-example"),
        ))
        .layer(count_attempts)
        .build()?
        .layer(TraceLayer::new_for_http());
    let app = App {
        client: client.boxed(),
    };

    let roles = app.client.authentication().token_roles().await?;
    println!("roles: {:?}", roles.roles);
    let pong = tokio::spawn(app.client.server().ping_server()).await??;
    println!("ping: {}", pong.status);

    println!(
        "attempts counted by our layer: {} (two 503s retried, then two answers)",
        attempts.load(Ordering::Relaxed)
    );
    for request in server.requests() {
        println!(
            "server saw {} {} with x-request-source = {:?}",
            request.method,
            request.uri,
            request.headers.get("x-request-source")
        );
    }
    Ok(())
}
