//! One call through the default stack, start to finish: the only place
//! the stack's order is written.

use std::{sync::Arc, time::Duration};

use http::{Extensions, Request, Response, StatusCode, Uri, header::AUTHORIZATION, request::Parts};
use http_body::Body;
use tower::{Service, ServiceExt};
use tracing::{Instrument, Span, field::Empty};

use super::{ResponseBody, Shared};
use crate::{
    BearerToken, BoxError, Error, Operation, RequestBody, RequestBodyLimit, RequestTimeout,
    auth::insert_token, middleware::read_limited,
};

/// Serves one request through `inner`.
pub(super) async fn call<S, B>(
    inner: S,
    shared: Arc<Shared>,
    request: Request<RequestBody>,
) -> Result<Response<ResponseBody>, Error>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    let operation = Operation::of(&request);
    let (parts, body) = request.into_parts();
    let timeout = parts
        .extensions
        .get::<RequestTimeout>()
        .map_or(shared.config.timeout, |t| t.0);
    let limit = parts
        .extensions
        .get::<RequestBodyLimit>()
        .map_or(shared.config.body_limit, |l| l.0);
    // 1. Where: the absolute URL under the base.
    let uri = shared
        .resolver
        .absolute(&parts.uri, operation.fixed_path)
        .map_err(Error::InvalidRequestUri)?;
    // 2. The span, only when someone listens.
    let span = span(&operation, &parts, &uri);
    let exchange = Exchange {
        inner,
        shared,
        parts,
        uri,
        body,
        operation,
        limit,
        span: span.clone(),
    };
    // 3. The deadline covers the token, every attempt and every wait.
    let bounded = tokio::time::timeout(timeout, exchange.run());
    let outcome = if span.is_disabled() {
        bounded.await
    } else {
        bounded.instrument(span.clone()).await
    };
    let outcome = outcome.unwrap_or(Err(Error::Timeout(timeout)));
    if !span.is_disabled() {
        record(&span, &outcome);
    }
    outcome
}

fn span(operation: &Operation, parts: &Parts, uri: &Uri) -> Span {
    let span = tracing::debug_span!(
        "rxinfer.call",
        rxinfer.operation = operation.name,
        http.request.method = %parts.method,
        url.full = Empty,
        server.address = Empty,
        server.port = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        http.request.resend_count = Empty,
    );
    if !span.is_disabled() {
        // The URL holds no secret: tokens never travel in it, and a base URL
        // with credentials is refused.
        span.record("url.full", tracing::field::display(uri));
        span.record("server.address", uri.host().unwrap_or_default());
        span.record("server.port", port(uri));
    }
    span
}

fn port(uri: &Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        })
}

fn record(span: &Span, outcome: &Result<Response<ResponseBody>, Error>) {
    match outcome {
        Ok(response) => {
            let status = response.status();
            span.record("http.response.status_code", status.as_u16());
            if status.is_client_error() || status.is_server_error() {
                span.record("error.type", status.as_str());
            }
            tracing::debug!(parent: span, status = status.as_u16(), "rxinfer call answered");
        }
        Err(error) => {
            span.record("error.type", error.kind_name());
            tracing::debug!(parent: span, error = %error, "rxinfer call failed");
        }
    }
}

/// What one call keeps between its attempts.
struct Exchange<S> {
    inner: S,
    shared: Arc<Shared>,
    parts: Parts,
    uri: Uri,
    body: RequestBody,
    operation: Operation,
    limit: usize,
    span: Span,
}

impl<S, B> Exchange<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    async fn run(mut self) -> Result<Response<ResponseBody>, Error> {
        // 4. The token: fetched once, before and outside the attempts, so
        // that no retry can fetch (or generate) it again.
        let auth = self.shared.auth.clone();
        let mut token = match &auth {
            Some(auth) if auth.wants_token(&self.uri, &self.parts.headers, &self.operation) => {
                Some(auth.token().await?)
            }
            _ => None,
        };
        let retry = self.shared.config.retry.clone();
        retry.deposit();
        let mut extensions = Some(std::mem::take(&mut self.parts.extensions));
        let mut retries = 0;
        let mut renewed = false;
        loop {
            // 5. One attempt.
            let request = self.attempt(token.as_ref(), extensions.take());
            let outcome = self.send(request).await;
            if let (Ok(response), Some(auth), Some(rejected)) = (&outcome, &auth, &token) {
                if response.status() == StatusCode::UNAUTHORIZED && !renewed {
                    if let Some(fresh) = auth.renewed(rejected).await? {
                        token = Some(fresh);
                        renewed = true;
                        continue;
                    }
                }
            }
            match retry.wait(&self.operation, outcome.as_ref(), retries) {
                Some(delay) => {
                    retries += 1;
                    self.span.record("http.request.resend_count", retries);
                    sleep(delay).await;
                }
                None => return outcome,
            }
        }
    }

    /// The request of one attempt: the call's own headers over the
    /// defaults, the token, and on the first attempt the call's extensions
    /// (later attempts carry its [`Operation`] only).
    fn attempt(
        &self,
        token: Option<&BearerToken>,
        extensions: Option<Extensions>,
    ) -> Request<RequestBody> {
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.parts.method.clone();
        *request.uri_mut() = self.uri.clone();
        let headers = request.headers_mut();
        *headers = self.shared.defaults.clone();
        if !self.parts.headers.is_empty() {
            for name in self.parts.headers.keys() {
                headers.remove(name);
            }
            for (name, value) in &self.parts.headers {
                headers.append(name.clone(), value.clone());
            }
        }
        if !self.operation.needs_token {
            headers.remove(AUTHORIZATION);
        }
        if let Some(token) = token {
            insert_token(&mut request, token);
        }
        *request.extensions_mut() = extensions.unwrap_or_else(|| {
            let mut extensions = Extensions::new();
            extensions.insert(self.operation);
            extensions
        });
        request
    }

    /// Sends one attempt and reads its body whole.
    async fn send(
        &mut self,
        request: Request<RequestBody>,
    ) -> Result<Response<ResponseBody>, Error> {
        let failed = |e: S::Error| Error::from(e.into());
        let ready = self.inner.ready().await.map_err(failed)?;
        let response = ready.call(request).await.map_err(failed)?;
        let (parts, body) = response.into_parts();
        let body = read_limited(body, self.limit).await?;
        Ok(Response::from_parts(parts, ResponseBody::new(body)))
    }
}

async fn sleep(delay: Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}
