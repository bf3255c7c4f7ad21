//! The default stack rebuilt with two more layers: one of our own (counting
//! requests) and one from tower-http (a fixed `X-Request-Source` header).
//!
//! ```text
//! cargo run --example custom_middleware
//! ```

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll},
};

use http::{HeaderName, HeaderValue, Request};
use rxinfer_client::{
    Client, Transport,
    transport::{
        BaseUrl, BearerAuthLayer, BearerToken, ResponseBodyLimitLayer, SetBaseUrlLayer,
        SetUserAgentLayer, TimeoutLayer,
    },
};
use rxinfer_mock_server::MockServer;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::set_header::SetRequestHeaderLayer;

/// Counts the requests that pass through it.
#[derive(Clone, Default)]
struct CountLayer {
    count: Arc<AtomicUsize>,
}

impl<S> Layer<S> for CountLayer {
    type Service = Count<S>;

    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            count: Arc::clone(&self.count),
        }
    }
}

#[derive(Clone)]
struct Count<S> {
    inner: S,
    count: Arc<AtomicUsize>,
}

impl<S, B> Service<Request<B>> for Count<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> S::Future {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.inner.call(request)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::builder().record_requests(true).start().await?;
    server.insert_token("example-token", ["user", "admin"]);
    let base: BaseUrl = server.url().parse()?;

    let counter = CountLayer::default();
    // Outside in, as in the default stack, with our two layers added just
    // above the body limit.
    let stack = ServiceBuilder::new()
        .layer(TimeoutLayer::default())
        .layer(SetUserAgentLayer::default())
        .layer(SetBaseUrlLayer::new(base.clone()))
        .layer(BearerAuthLayer::new(BearerToken::new("example-token")?).bound_to(base))
        .layer(counter.clone())
        .layer(SetRequestHeaderLayer::overriding(
            HeaderName::from_static("x-request-source"),
            HeaderValue::from_static("custom-middleware-example"),
        ))
        .layer(ResponseBodyLimitLayer::default())
        .service(Transport::http_client()?);

    let client = Client::from_service(stack);
    let roles = client.authentication().token_roles().await?;
    println!("roles: {:?}", roles.roles);
    client.authentication().token_roles().await?;

    println!(
        "requests counted by our layer: {}",
        counter.count.load(Ordering::Relaxed)
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
