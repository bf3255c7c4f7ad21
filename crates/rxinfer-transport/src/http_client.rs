//! The pooled HTTP/1.1 client at the bottom of the stack.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::client::legacy::{self, ResponseFuture};
use tower::Service;

use crate::RequestBody;

#[cfg(feature = "rustls")]
pub(crate) type Connector = crate::tls::Connector;
#[cfg(not(feature = "rustls"))]
pub(crate) type Connector = crate::ProxyConnector;

/// hyper-util's pooled HTTP/1.1 client (TCP, and TLS for `https` with the
/// `rustls` feature), behind one reference count: the stack is cloned for
/// every call and for every retry, and this makes that clone one atomic
/// increment instead of one per part of the client. Clones share the
/// connection pool.
#[derive(Debug, Clone)]
pub struct HttpClient(Arc<legacy::Client<Connector, RequestBody>>);

impl HttpClient {
    pub(crate) fn new(client: legacy::Client<Connector, RequestBody>) -> Self {
        Self(Arc::new(client))
    }
}

impl Service<Request<RequestBody>> for HttpClient {
    type Response = Response<Incoming>;
    type Error = legacy::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The pool has no back-pressure: a call waits for a connection.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        self.0.request(request)
    }
}
