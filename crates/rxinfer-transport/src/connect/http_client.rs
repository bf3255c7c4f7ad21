//! The pooled HTTP/1.1 client at the bottom of the stack.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response, header::PROXY_AUTHORIZATION, uri::Scheme};
use hyper::body::Incoming;
use hyper_util::client::{
    legacy::{self, ResponseFuture},
    proxy::matcher::Matcher,
};
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
#[derive(Clone)]
pub struct HttpClient(Arc<Pool>);

struct Pool {
    client: legacy::Client<Connector, RequestBody>,
    // For plain-http requests through a proxy that wants credentials, which
    // go with each request rather than with the connection.
    proxies: Option<Arc<Matcher>>,
}

impl HttpClient {
    pub(crate) fn new(
        client: legacy::Client<Connector, RequestBody>,
        proxies: Option<Arc<Matcher>>,
    ) -> Self {
        Self(Arc::new(Pool { client, proxies }))
    }

    fn add_proxy_credentials(&self, request: &mut Request<RequestBody>) {
        let Some(proxies) = &self.0.proxies else {
            return;
        };
        if request.uri().scheme() != Some(&Scheme::HTTP) {
            return;
        }
        let credentials = proxies
            .intercept(request.uri())
            .and_then(|proxy| proxy.basic_auth().cloned());
        if let Some(mut credentials) = credentials {
            credentials.set_sensitive(true);
            request
                .headers_mut()
                .insert(PROXY_AUTHORIZATION, credentials);
        }
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("proxied", &self.0.proxies.is_some())
            .finish_non_exhaustive()
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

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        self.add_proxy_credentials(&mut request);
        self.0.client.request(request)
    }
}
