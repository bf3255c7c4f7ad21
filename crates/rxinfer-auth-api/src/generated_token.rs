//! A token the client generates by itself, once, and renews when the server
//! rejects it.

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use bytes::Bytes;
use http::{Request, Response};
use rxinfer_transport::{BearerToken, Error, RequestBody, TokenFuture, TokenSource};
use tower::Service;

use crate::{ApiError, AuthenticationApi};

/// A [`TokenSource`] that calls `token_generate` the first time a token is
/// needed and keeps the result.
///
/// Acquisition is single-flight: any number of concurrent first calls cause
/// exactly one `token_generate`, and they all use its token. When the server
/// answers `401` to that token, it is dropped, one new token is generated
/// (single-flight again) and the call is repeated once.
///
/// ```no_run
/// use std::sync::Arc;
/// use rxinfer_auth_api::{AuthenticationApi, GeneratedToken};
/// use rxinfer_transport::Transport;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let anonymous = Transport::builder().base_url("http://localhost:8000/v1")?.build()?;
/// let source = GeneratedToken::new(AuthenticationApi::new(anonymous.clone()));
/// let transport = Transport::builder()
///     .base_url("http://localhost:8000/v1")?
///     .token_source(Arc::new(source))
///     .build()?;
/// // The first call generates the token.
/// let roles = AuthenticationApi::new(transport).token_roles().await?;
/// # Ok(())
/// # }
/// ```
pub struct GeneratedToken<S> {
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    api: AuthenticationApi<S>,
    token: Mutex<Option<BearerToken>>,
    // Held while generating, so that concurrent acquisitions share one.
    generating: tokio::sync::Mutex<()>,
}

impl<S> GeneratedToken<S> {
    /// Generates tokens through `api`, whose service should send no token.
    pub fn new(api: AuthenticationApi<S>) -> Self {
        Self {
            shared: Arc::new(Shared {
                api,
                token: Mutex::new(None),
                generating: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl<S> Shared<S> {
    fn current(&self) -> Option<BearerToken> {
        self.token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl<S> Clone for GeneratedToken<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> fmt::Debug for GeneratedToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.shared.current().is_some() {
            "held"
        } else {
            "none yet"
        };
        f.debug_struct("GeneratedToken")
            .field("token", &format_args!("<{state}>"))
            .finish()
    }
}

impl<S> TokenSource for GeneratedToken<S>
where
    S: Service<Request<RequestBody>, Response = Response<Bytes>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<Error>,
{
    fn current(&self) -> Option<BearerToken> {
        self.shared.current()
    }

    fn acquire(&self) -> TokenFuture {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            let _generating = shared.generating.lock().await;
            // Whoever held the lock before us may have generated one already.
            if let Some(token) = shared.current() {
                return Ok(token);
            }
            let generated = shared.api.token_generate().await.map_err(|e| match e {
                ApiError::Transport(transport) => transport,
                other => Error::TokenAcquisition(other.into()),
            })?;
            let token = BearerToken::new(generated.token.expose())
                .map_err(|e| Error::TokenAcquisition(e.into()))?;
            *shared.token.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
            Ok(token)
        })
    }

    fn renewable(&self) -> bool {
        true
    }

    fn renew(&self, rejected: &BearerToken) -> bool {
        let mut token = self
            .shared
            .token
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the rejected token is dropped: a newer one another call
        // already generated is kept and used for the repeat.
        if token.as_ref() == Some(rejected) {
            *token = None;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        convert::Infallible,
        sync::atomic::{AtomicUsize, Ordering},
    };
    use tower::service_fn;

    /// A token_generate endpoint that counts calls and answers `t1`, `t2`, ...
    fn counting(
        calls: Arc<AtomicUsize>,
    ) -> GeneratedToken<
        impl Service<
            Request<RequestBody>,
            Response = Response<Bytes>,
            Error = Infallible,
            Future = impl Send,
        > + Clone
        + Send
        + Sync,
    > {
        GeneratedToken::new(AuthenticationApi::new(service_fn(
            move |_: Request<RequestBody>| {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    tokio::task::yield_now().await;
                    Ok::<_, Infallible>(Response::new(Bytes::from(format!(
                        r#"{{"token":"t{n}"}}"#
                    ))))
                }
            },
        )))
    }

    #[tokio::test]
    async fn concurrent_acquisitions_share_one_generation() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls));
        let acquisitions: Vec<_> = (0..100).map(|_| tokio::spawn(source.acquire())).collect();
        for acquisition in acquisitions {
            let token = acquisition
                .await
                .map_err(|e| Error::TokenAcquisition(e.into()))??;
            assert_eq!(token, BearerToken::new("t1")?);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        Ok(())
    }

    #[tokio::test]
    async fn renew_drops_only_the_rejected_token() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls));
        let first = source.acquire().await?;
        assert!(source.renew(&BearerToken::new("stale")?));
        assert_eq!(source.current(), Some(first.clone()));
        assert!(source.renew(&first));
        assert_eq!(source.current(), None);
        assert_eq!(source.acquire().await?, BearerToken::new("t2")?);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_generation_is_an_acquisition_error_and_debug_hides_tokens()
    -> Result<(), Error> {
        let source = GeneratedToken::new(AuthenticationApi::new(service_fn(
            |_: Request<RequestBody>| async {
                let mut response = Response::new(Bytes::from_static(br#"{"error":"Bad Request"}"#));
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
                Ok::<_, Infallible>(response)
            },
        )));
        assert!(matches!(
            source.acquire().await,
            Err(Error::TokenAcquisition(_))
        ));
        assert_eq!(
            format!("{source:?}"),
            "GeneratedToken { token: <none yet> }"
        );
        Ok(())
    }
}
