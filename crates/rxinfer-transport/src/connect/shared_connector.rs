//! The pool's connector behind one reference count.
//!
//! hyper-util clones its connector twice for every request: with the
//! client, and into the connection attempt it prepares in case the pool has
//! no idle connection. The full connector holds four reference counts (the
//! TCP settings, the TLS configuration twice, the server-name resolver), so
//! that cost eight atomic increments and as many decrements a call, where a
//! bare `HttpConnector` costs two of each. Behind one `Arc` a clone is one
//! increment; the connector itself is cloned only when a connection is
//! actually opened.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::Uri;
use tower::{Service, ServiceExt};

/// A connector `C` shared by all its clones.
pub(super) struct SharedConnector<C>(Arc<C>);

impl<C> SharedConnector<C> {
    pub(super) fn new(connector: C) -> Self {
        Self(Arc::new(connector))
    }
}

impl<C> Clone for SharedConnector<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

type Connecting<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

impl<C> Service<Uri> for SharedConnector<C>
where
    C: Service<Uri> + Clone + Send + Sync + 'static,
    C::Future: Send,
{
    type Response = C::Response;
    type Error = C::Error;
    // Boxed: opening a connection is rare next to the calls over it, and a
    // boxed future is `Unpin` whatever `C`'s is, as hyper-util requires.
    type Future = Connecting<C::Response, C::Error>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Each connection takes readiness on its own clone, in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(C::clone(&self.0).oneshot(uri))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_takes_readiness_on_its_own_clone_of_the_connector()
    -> Result<(), std::convert::Infallible> {
        #[derive(Clone, Default)]
        struct NeedsReady {
            ready: bool,
        }
        impl Service<Uri> for NeedsReady {
            type Response = bool;
            type Error = std::convert::Infallible;
            type Future = std::future::Ready<Result<bool, Self::Error>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                self.ready = true;
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: Uri) -> Self::Future {
                std::future::ready(Ok(self.ready))
            }
        }
        let mut shared = SharedConnector::new(NeedsReady::default());
        let clone = shared.clone();
        assert!(Arc::ptr_eq(&shared.0, &clone.0));
        assert!(shared.call(Uri::from_static("http://example.test")).await?);
        assert!(!shared.0.ready, "the shared connector itself is untouched");
        Ok(())
    }
}
