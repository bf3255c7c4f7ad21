//! [`BearerAuthLayer`]: the credential rules
//! ([`rules::credentials`](crate::rules::credentials)) as a layer of its
//! own, for stacks built by hand. tower-http's `AddAuthorization` does not
//! fit: it sends the token to every host, on every request, and cannot
//! renew it.

use std::{future::Future, pin::Pin, sync::Arc, task::Context, task::Poll};

use http::{Request, Response, StatusCode};
use tower::{Layer, Service, ServiceExt};

use crate::{
    BaseUrl, BearerToken, BoxError, Error, Operation, StaticToken, TokenRejected, TokenSource,
    rules::credentials::{Authorizer, set_authorization},
};

/// Layer that adds a bearer token to requests; see [`BearerAuth`].
#[derive(Debug, Clone)]
pub struct BearerAuthLayer {
    authorizer: Authorizer,
}

impl BearerAuthLayer {
    /// Sends `token` with every request that needs one.
    pub fn new(token: BearerToken) -> Self {
        Self::from_source(Arc::new(StaticToken::new(token)))
    }

    /// Sends the token `source` gives, and renews it on a `401` when the
    /// source says so.
    pub fn from_source(source: Arc<dyn TokenSource>) -> Self {
        Self {
            authorizer: Authorizer::new(source, None),
        }
    }

    /// Sends the token only to `base`'s origin (scheme, host and port), so a
    /// request to any other host never sees it. The default stack always
    /// binds the token this way.
    pub fn bound_to(mut self, base: BaseUrl) -> Self {
        self.authorizer = self.authorizer.bound_to(base);
        self
    }
}

impl<S> Layer<S> for BearerAuthLayer {
    type Service = BearerAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            authorizer: Arc::new(self.authorizer.clone()),
        }
    }
}

/// Adds `Authorization: Bearer <token>`, marked sensitive, to each request
/// whose [`Operation`] needs a token, unless it already has an
/// `Authorization` header or (when bound to an origin) goes to another
/// origin. A request whose operation needs no token has any
/// `Authorization` header removed.
///
/// On a `401` it asks the source what to do; when the source renews the
/// token, the request is sent once more with the new one.
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
    // Shared, so cloning the stack per call costs one reference count.
    authorizer: Arc<Authorizer>,
}

/// Response future of [`BearerAuth`].
pub type BearerAuthFuture<R> = Pin<Box<dyn Future<Output = Result<R, Error>> + Send>>;

impl<S, B, RB> Service<Request<B>> for BearerAuth<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Clone + Send + 'static,
    RB: Send + 'static,
{
    type Response = Response<RB>;
    type Error = Error;
    type Future = BearerAuthFuture<Response<RB>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is taken on the clone that makes the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        let authorizer = Arc::clone(&self.authorizer);
        Box::pin(async move {
            let operation = Operation::of(&request);
            if !authorizer.wants_token(request.uri(), request.headers(), &operation) {
                set_authorization(request.headers_mut(), &operation, None);
                return send(inner, request).await;
            }
            let token = authorizer.token().await?;
            let again = super::copy(&request);
            set_authorization(request.headers_mut(), &operation, Some(&token));
            let response = send(inner.clone(), request).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            match authorizer.renewed(&token).await? {
                None => Ok(rejected(response, &token)),
                Some(renewed) => {
                    let mut again = again;
                    set_authorization(again.headers_mut(), &operation, Some(&renewed));
                    let response = send(inner, again).await?;
                    Ok(rejected(response, &renewed))
                }
            }
        })
    }
}

/// A `401` to `token`, marked with the token's fingerprint as the default
/// stack marks it ([`TokenRejected`]); any other answer as it is.
fn rejected<RB>(mut response: Response<RB>, token: &BearerToken) -> Response<RB> {
    if response.status() == StatusCode::UNAUTHORIZED {
        response
            .extensions_mut()
            .insert(TokenRejected(token.fingerprint()));
    }
    response
}

async fn send<S, B, RB>(service: S, request: Request<B>) -> Result<Response<RB>, Error>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: Into<BoxError>,
{
    service
        .oneshot(request)
        .await
        .map_err(|e| Error::from(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OnUnauthorized, TokenFuture};
    use http::{HeaderValue, header::AUTHORIZATION};
    use std::sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    };
    use tower::service_fn;

    fn token(value: &str) -> BearerToken {
        BearerToken::new(value).expect("valid token")
    }

    fn request(uri: &str) -> Request<()> {
        Request::builder().uri(uri).body(()).expect("valid request")
    }

    /// Sends `request` through the layer and returns the Authorization
    /// header the inner service saw.
    async fn seen(layer: BearerAuthLayer, request: Request<()>) -> Option<HeaderValue> {
        let echo = service_fn(|request: Request<()>| async move {
            Ok::<_, Error>(Response::new(request.headers().get(AUTHORIZATION).cloned()))
        });
        layer
            .layer(echo)
            .oneshot(request)
            .await
            .expect("answered")
            .into_body()
    }

    #[tokio::test]
    async fn adds_a_sensitive_bearer_header() {
        let value = seen(
            BearerAuthLayer::new(token("t0k3n")),
            request("/token/roles"),
        )
        .await
        .expect("a header");
        assert_eq!(value, "Bearer t0k3n");
        assert!(value.is_sensitive());
    }

    #[tokio::test]
    async fn requests_that_need_no_token_lose_any_authorization() {
        let mut request = request("/token/generate");
        request
            .extensions_mut()
            .insert(Operation::new("token_generate").without_token());
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer mine"));
        assert_eq!(
            seen(BearerAuthLayer::new(token("t0k3n")), request).await,
            None
        );
    }

    #[tokio::test]
    async fn keeps_an_authorization_header_set_by_the_caller() {
        let mut request = request("/token/roles");
        request
            .headers_mut()
            .insert(AUTHORIZATION, HeaderValue::from_static("Bearer other"));
        let value = seen(BearerAuthLayer::new(token("t0k3n")), request).await;
        assert_eq!(value.expect("a header"), "Bearer other");
    }

    #[tokio::test]
    async fn bound_token_goes_only_to_its_origin() {
        let base = BaseUrl::parse("http://127.0.0.1:8000/v1").expect("valid base");
        let layer = BearerAuthLayer::new(token("t0k3n")).bound_to(base);
        let value = seen(
            layer.clone(),
            request("http://127.0.0.1:8000/v1/token/roles"),
        )
        .await;
        assert_eq!(value.expect("a header"), "Bearer t0k3n");
        for elsewhere in [
            "http://evil.example:8000/v1/token/roles",
            "http://127.0.0.1:9000/v1/token/roles",
            "https://127.0.0.1:8000/v1/token/roles",
            "/v1/token/roles",
        ] {
            assert_eq!(
                seen(layer.clone(), request(elsewhere)).await,
                None,
                "{elsewhere}"
            );
        }
    }

    /// A renewable source that hands out `t1`, `t2`, ... and counts.
    #[derive(Debug, Default)]
    struct Counting {
        current: Mutex<Option<BearerToken>>,
        fetched: AtomicUsize,
        renewed: AtomicUsize,
    }

    impl TokenSource for Arc<Counting> {
        fn current(&self) -> Option<BearerToken> {
            self.current.lock().expect("lock").clone()
        }

        fn fetch(&self) -> TokenFuture {
            let n = self.fetched.fetch_add(1, Ordering::SeqCst) + 1;
            let next = token(&format!("t{n}"));
            *self.current.lock().expect("lock") = Some(next.clone());
            Box::pin(async move { Ok(next) })
        }

        fn on_unauthorized(&self, _: &BearerToken) -> OnUnauthorized {
            self.renewed.fetch_add(1, Ordering::SeqCst);
            *self.current.lock().expect("lock") = None;
            OnUnauthorized::RenewAndResend
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
            seen.lock().expect("lock").push(header.clone());
            async move {
                let mut response = Response::new(());
                if header != format!("Bearer {accepted}") {
                    *response.status_mut() = StatusCode::UNAUTHORIZED;
                }
                Ok(response)
            }
        })
    }

    #[tokio::test]
    async fn fetches_a_token_when_none_is_at_hand() -> Result<(), Error> {
        let source = Arc::new(Counting::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let layer = BearerAuthLayer::from_source(Arc::new(Arc::clone(&source)));
        let response = layer
            .layer(server("t1", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 200);
        assert_eq!(source.fetched.load(Ordering::SeqCst), 1);
        assert_eq!(*seen.lock().expect("lock"), ["Bearer t1"]);
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
        assert_eq!(*seen.lock().expect("lock"), ["Bearer t1", "Bearer t2"]);

        // Nothing is accepted: one renewal, then the second 401 is returned.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let response = layer
            .layer(server("never", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 401);
        assert_eq!(seen.lock().expect("lock").len(), 2);
        assert_eq!(source.renewed.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_static_token_is_never_replaced_on_a_401() -> Result<(), Error> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let response = BearerAuthLayer::new(token("static"))
            .layer(server("other", Arc::clone(&seen)))
            .oneshot(request("/r"))
            .await?;
        assert_eq!(response.status(), 401);
        assert_eq!(*seen.lock().expect("lock"), ["Bearer static"]);
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_fetch_is_a_token_acquisition_error() {
        #[derive(Debug)]
        struct Failing;
        impl TokenSource for Failing {
            fn current(&self) -> Option<BearerToken> {
                None
            }
            fn fetch(&self) -> TokenFuture {
                Box::pin(async { Err(Error::Connect("refused".into())) })
            }
        }
        let result = BearerAuthLayer::from_source(Arc::new(Failing))
            .layer(server("x", Arc::default()))
            .oneshot(request("/r"))
            .await;
        assert!(
            matches!(result, Err(Error::TokenAcquisition(_))),
            "{result:?}"
        );
    }
}
