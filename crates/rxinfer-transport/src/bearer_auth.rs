//! Add `Authorization: Bearer <token>` to requests that need it.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, header::AUTHORIZATION};
use tower::{Layer, Service};

use crate::{BaseUrl, BearerToken};

/// Marks a request as needing no authentication, so [`BearerAuth`] sends no
/// token with it. Endpoints such as `POST /token/generate` carry it, because
/// the server would otherwise echo the token back instead of minting one.
///
/// ```
/// use rxinfer_transport::NoAuth;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(NoAuth);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoAuth;

/// Layer that adds a bearer token to requests; see [`BearerAuth`].
#[derive(Debug, Clone)]
pub struct BearerAuthLayer {
    token: BearerToken,
    origin: Option<BaseUrl>,
}

impl BearerAuthLayer {
    /// Sends `token` with every request not marked [`NoAuth`].
    pub fn new(token: BearerToken) -> Self {
        Self {
            token,
            origin: None,
        }
    }

    /// Sends the token only to `base`'s origin (scheme, host and port), so a
    /// request to any other host never sees it. The default stack always
    /// binds the token this way.
    pub fn bound_to(mut self, base: BaseUrl) -> Self {
        self.origin = Some(base);
        self
    }
}

impl<S> Layer<S> for BearerAuthLayer {
    type Service = BearerAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            config: Arc::new(self.clone()),
        }
    }
}

/// Adds `Authorization: Bearer <token>`, marked sensitive, to each request,
/// unless the request is marked [`NoAuth`], already has an `Authorization`
/// header, or (when bound to an origin) goes to another origin.
///
/// It never fails and adds no future of its own: errors and responses are
/// the inner service's.
///
/// ```
/// use rxinfer_transport::{BearerAuthLayer, BearerToken};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let service = ServiceBuilder::new()
///     .layer(BearerAuthLayer::new(BearerToken::new("abc")?))
///     .service(service_fn(|request: http::Request<()>| async move {
///         Ok::<_, std::convert::Infallible>(request.headers()["authorization"].clone())
///     }));
/// assert_eq!(service.oneshot(http::Request::new(())).await?, "Bearer abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct BearerAuth<S> {
    inner: S,
    // Shared, so the per-call clone of the stack costs one reference count
    // rather than one for the token and two for the origin.
    config: Arc<BearerAuthLayer>,
}

impl<S> BearerAuth<S> {
    fn wants_token<B>(&self, request: &Request<B>) -> bool {
        request.extensions().get::<NoAuth>().is_none()
            && self
                .config
                .origin
                .as_ref()
                .is_none_or(|base| base.is_same_origin(request.uri()))
    }
}

impl<S, B> Service<Request<B>> for BearerAuth<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if self.wants_token(&request) {
            request
                .headers_mut()
                .entry(AUTHORIZATION)
                .or_insert_with(|| self.config.token.header_value().clone());
        }
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use tokio_test::{assert_pending, assert_ready_ok};
    use tower_test::mock;

    type Mock = mock::Mock<Request<()>, ()>;
    type Handle = mock::Handle<Request<()>, ()>;

    fn service(layer: BearerAuthLayer) -> (mock::Spawn<BearerAuth<Mock>>, Handle) {
        mock::spawn_layer(layer)
    }

    fn token() -> BearerToken {
        BearerToken::new("t0k3n").expect("valid token")
    }

    fn request(uri: &str) -> Request<()> {
        Request::builder().uri(uri).body(()).expect("valid request")
    }

    /// Sends `request` through the layer and returns what the inner service got.
    async fn forwarded(layer: BearerAuthLayer, request: Request<()>) -> Request<()> {
        let (mut service, mut handle) = service(layer);
        assert_ready_ok!(service.poll_ready());
        let response = service.call(request);
        let (seen, send) = handle.next_request().await.expect("request forwarded");
        send.send_response(());
        tokio::spawn(response);
        seen
    }

    #[tokio::test]
    async fn adds_a_sensitive_bearer_header() {
        let seen = forwarded(BearerAuthLayer::new(token()), request("/token/roles")).await;
        let value = &seen.headers()[AUTHORIZATION];
        assert_eq!(value, "Bearer t0k3n");
        assert!(value.is_sensitive());
        assert!(!format!("{:?}", seen.headers()).contains("t0k3n"));
    }

    #[tokio::test]
    async fn skips_requests_marked_no_auth() {
        let mut request = request("/token/generate");
        request.extensions_mut().insert(NoAuth);
        let seen = forwarded(BearerAuthLayer::new(token()), request).await;
        assert!(seen.headers().get(AUTHORIZATION).is_none());
    }

    #[tokio::test]
    async fn keeps_an_authorization_header_set_by_the_caller() {
        let mut request = request("/token/roles");
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer other"));
        let seen = forwarded(BearerAuthLayer::new(token()), request).await;
        assert_eq!(seen.headers()[AUTHORIZATION], "Bearer other");
    }

    #[tokio::test]
    async fn bound_token_goes_only_to_its_origin() {
        let base = BaseUrl::parse("http://127.0.0.1:8000/v1").expect("valid base");
        let layer = BearerAuthLayer::new(token()).bound_to(base);

        let seen = forwarded(
            layer.clone(),
            request("http://127.0.0.1:8000/v1/token/roles"),
        )
        .await;
        assert_eq!(seen.headers()[AUTHORIZATION], "Bearer t0k3n");

        for elsewhere in [
            "http://evil.example:8000/v1/token/roles",
            "http://127.0.0.1:9000/v1/token/roles",
            "/v1/token/roles",
        ] {
            let seen = forwarded(layer.clone(), request(elsewhere)).await;
            assert!(seen.headers().get(AUTHORIZATION).is_none(), "{elsewhere}");
        }
    }

    #[tokio::test]
    async fn readiness_is_the_inner_services() {
        let (mut service, mut handle) = service(BearerAuthLayer::new(token()));
        handle.allow(0);
        assert_pending!(service.poll_ready());
        handle.allow(1);
        assert_ready_ok!(service.poll_ready());
    }
}
