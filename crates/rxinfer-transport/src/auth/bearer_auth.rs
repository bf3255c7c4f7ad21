//! Add `Authorization: Bearer <token>` to requests that need it, from a
//! [`TokenSource`], and renew a rejected token once.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
};

use http::{Request, Response, StatusCode, header::AUTHORIZATION};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceExt};

use crate::{BaseUrl, BearerToken, Error, StaticToken, TokenSource, request_copy::copy};

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
    source: Arc<dyn TokenSource>,
    origin: Option<BaseUrl>,
}

impl BearerAuthLayer {
    /// Sends `token` with every request not marked [`NoAuth`].
    pub fn new(token: BearerToken) -> Self {
        Self::from_source(Arc::new(StaticToken::new(token)))
    }

    /// Sends the token `source` gives, and renews it on a `401` when the
    /// source can.
    pub fn from_source(source: Arc<dyn TokenSource>) -> Self {
        Self {
            source,
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
/// With a token at hand that cannot be renewed (the common case) it only
/// adds the header. When the source must first acquire a token, or can
/// renew one, the call waits for the token and, on a `401` to a renewable
/// token, asks the source for a new one and sends the request once more; a
/// second `401` goes to the caller.
///
/// ```
/// use rxinfer_transport::{BearerAuthLayer, BearerToken, Error};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// # tokio_test::block_on(async {
/// let service = ServiceBuilder::new()
///     .layer(BearerAuthLayer::new(BearerToken::new("abc")?))
///     .service(service_fn(|request: http::Request<()>| async move {
///         Ok::<_, Error>(http::Response::new(request.headers()["authorization"].clone()))
///     }));
/// let response = service.oneshot(http::Request::new(())).await?;
/// assert_eq!(response.body(), "Bearer abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct BearerAuth<S> {
    inner: S,
    // Shared, so the per-call clone of the stack costs one reference count.
    config: Arc<BearerAuthLayer>,
}

impl<S> BearerAuth<S> {
    fn wants_token<B>(&self, request: &Request<B>) -> bool {
        request.extensions().get::<NoAuth>().is_none()
            && !request.headers().contains_key(AUTHORIZATION)
            && self
                .config
                .origin
                .as_ref()
                .is_none_or(|base| base.is_same_origin(request.uri()))
    }
}

impl<S, B, RB> Service<Request<B>> for BearerAuth<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<Error>,
    B: Clone + Send + 'static,
    RB: Send + 'static,
{
    type Response = Response<RB>;
    type Error = Error;
    type Future = BearerAuthFuture<S::Future, Response<RB>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        if !self.wants_token(&request) {
            return BearerAuthFuture::direct(self.inner.call(request));
        }
        let source = &self.config.source;
        let at_hand = if source.renewable() {
            None
        } else {
            source.current()
        };
        if let Some(token) = at_hand {
            request
                .headers_mut()
                .insert(AUTHORIZATION, token.into_header_value());
            return BearerAuthFuture::direct(self.inner.call(request));
        }
        // The ready service goes with the call; this one takes a fresh clone.
        let ready = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, ready);
        BearerAuthFuture::waiting(Box::pin(authenticate(inner, Arc::clone(source), request)))
    }
}

/// Waits for a token, sends, and on a `401` to a renewable token sends once
/// more with a new one.
async fn authenticate<S, B, RB>(
    mut inner: S,
    source: Arc<dyn TokenSource>,
    mut request: Request<B>,
) -> Result<Response<RB>, Error>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: Into<Error>,
    B: Clone,
{
    let token = match source.current() {
        Some(token) => token,
        None => {
            tracing::debug!("acquiring a token");
            source.acquire().await?
        }
    };
    let again = source.renewable().then(|| copy(&request));
    insert_token(&mut request, &token);
    let response = inner.call(request).await.map_err(Into::into)?;
    let Some(mut again) = again else {
        return Ok(response);
    };
    if response.status() != StatusCode::UNAUTHORIZED || !source.renew(&token) {
        return Ok(response);
    }
    tracing::debug!("the server rejected the token; renewing it and sending once more");
    let token = source.acquire().await?;
    insert_token(&mut again, &token);
    let ready = inner.ready().await.map_err(Into::into)?;
    ready.call(again).await.map_err(Into::into)
}

fn insert_token<B>(request: &mut Request<B>, token: &BearerToken) {
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header_value().clone());
}

type Waiting<R> = Pin<Box<dyn Future<Output = Result<R, Error>> + Send>>;

pin_project! {
    /// Response future of [`BearerAuth`]: the inner call directly, or a
    /// call that waits for a token (and may be repeated once).
    pub struct BearerAuthFuture<F, R> {
        #[pin]
        state: State<F, R>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, R> {
        Direct { #[pin] future: F },
        Waiting { future: Waiting<R> },
    }
}

impl<F, R> BearerAuthFuture<F, R> {
    fn direct(future: F) -> Self {
        Self {
            state: State::Direct { future },
        }
    }

    fn waiting(future: Waiting<R>) -> Self {
        Self {
            state: State::Waiting { future },
        }
    }
}

impl<F, R, E> Future for BearerAuthFuture<F, R>
where
    F: Future<Output = Result<R, E>>,
    E: Into<Error>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Direct { future } => {
                Poll::Ready(ready!(future.poll(cx)).map_err(Into::into))
            }
            StateProj::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenFuture;
    use http::HeaderValue;
    use std::sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    };
    use tokio_test::{assert_pending, assert_ready_ok};
    use tower::service_fn;
    use tower_test::mock;

    type Mock = mock::Mock<Request<()>, Response<()>>;
    type Handle = mock::Handle<Request<()>, Response<()>>;

    fn service(layer: BearerAuthLayer) -> (mock::Spawn<BearerAuth<Mock>>, Handle) {
        mock::spawn_layer(layer)
    }

    fn token(value: &str) -> BearerToken {
        BearerToken::new(value).expect("valid token")
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
        send.send_response(Response::new(()));
        tokio::spawn(response);
        seen
    }

    #[tokio::test]
    async fn adds_a_sensitive_bearer_header() {
        let seen = forwarded(
            BearerAuthLayer::new(token("t0k3n")),
            request("/token/roles"),
        )
        .await;
        let value = &seen.headers()[AUTHORIZATION];
        assert_eq!(value, "Bearer t0k3n");
        assert!(value.is_sensitive());
        assert!(!format!("{:?}", seen.headers()).contains("t0k3n"));
    }

    #[tokio::test]
    async fn skips_requests_marked_no_auth() {
        let mut request = request("/token/generate");
        request.extensions_mut().insert(NoAuth);
        let seen = forwarded(BearerAuthLayer::new(token("t0k3n")), request).await;
        assert!(seen.headers().get(AUTHORIZATION).is_none());
    }

    #[tokio::test]
    async fn keeps_an_authorization_header_set_by_the_caller() {
        let mut request = request("/token/roles");
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer other"));
        let seen = forwarded(BearerAuthLayer::new(token("t0k3n")), request).await;
        assert_eq!(seen.headers()[AUTHORIZATION], "Bearer other");
    }

    #[tokio::test]
    async fn bound_token_goes_only_to_its_origin() {
        let base = BaseUrl::parse("http://127.0.0.1:8000/v1").expect("valid base");
        let layer = BearerAuthLayer::new(token("t0k3n")).bound_to(base);

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
        let (mut service, mut handle) = service(BearerAuthLayer::new(token("t0k3n")));
        handle.allow(0);
        assert_pending!(service.poll_ready());
        handle.allow(1);
        assert_ready_ok!(service.poll_ready());
    }

    /// A renewable source that hands out `t1`, `t2`, ... and counts.
    #[derive(Debug, Default)]
    struct Counting {
        current: Mutex<Option<BearerToken>>,
        acquired: AtomicUsize,
        renewed: AtomicUsize,
    }

    impl TokenSource for Arc<Counting> {
        fn current(&self) -> Option<BearerToken> {
            self.current.lock().ok()?.clone()
        }

        fn acquire(&self) -> TokenFuture {
            let n = self.acquired.fetch_add(1, Ordering::SeqCst) + 1;
            let next = token(&format!("t{n}"));
            if let Ok(mut current) = self.current.lock() {
                *current = Some(next.clone());
            }
            Box::pin(async move { Ok(next) })
        }

        fn renewable(&self) -> bool {
            true
        }

        fn renew(&self, _: &BearerToken) -> bool {
            self.renewed.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut current) = self.current.lock() {
                *current = None;
            }
            true
        }
    }

    /// A server that accepts only `accepted` and reports every token it saw.
    fn server(
        accepted: &'static str,
        seen: Arc<Mutex<Vec<String>>>,
    ) -> impl Service<Request<()>, Response = Response<()>, Error = Error, Future = impl Send>
    + Clone
    + Send {
        service_fn(move |request: Request<()>| {
            let header = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if let Ok(mut seen) = seen.lock() {
                seen.push(header.clone());
            }
            async move {
                let status = if header == format!("Bearer {accepted}") {
                    200
                } else {
                    401
                };
                let mut response = Response::new(());
                *response.status_mut() =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
                Ok(response)
            }
        })
    }

    #[tokio::test]
    async fn acquires_a_token_when_none_is_at_hand() -> Result<(), Error> {
        let source = Arc::new(Counting::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let layer = BearerAuthLayer::from_source(Arc::new(Arc::clone(&source)));
        let response = layer
            .layer(server("t1", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 200);
        assert_eq!(source.acquired.load(Ordering::SeqCst), 1);
        assert_eq!(
            *seen.lock().map_err(|_| Error::MissingToken)?,
            ["Bearer t1"]
        );
        Ok(())
    }

    #[tokio::test]
    async fn renews_once_on_a_401_then_gives_up() -> Result<(), Error> {
        let source = Arc::new(Counting::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let layer = BearerAuthLayer::from_source(Arc::new(Arc::clone(&source)));

        // t1 is rejected, t2 is accepted: one renewal, the caller sees 200.
        let response = layer
            .layer(server("t2", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 200);
        assert_eq!(
            *seen.lock().map_err(|_| Error::MissingToken)?,
            ["Bearer t1", "Bearer t2"]
        );

        // Nothing is accepted: one renewal, then the second 401 is returned.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let response = layer
            .layer(server("never", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 401);
        assert_eq!(seen.lock().map_err(|_| Error::MissingToken)?.len(), 2);
        assert_eq!(source.renewed.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_static_token_is_never_replaced_on_a_401() -> Result<(), Error> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let layer = BearerAuthLayer::new(token("static"));
        let response = layer
            .layer(server("other", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 401);
        assert_eq!(
            *seen.lock().map_err(|_| Error::MissingToken)?,
            ["Bearer static"]
        );
        Ok(())
    }
}
