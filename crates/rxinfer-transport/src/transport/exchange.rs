//! What one call keeps to send its request, and again: the request's
//! facts, the attempt it builds, and the rare paths (fetching a token,
//! renewing it after a `401`, waiting to retry), which run as one async
//! function off the fast path.

use std::{sync::Arc, time::Duration};

use http::{Extensions, HeaderMap, Method, Request, Response, StatusCode, Uri, request};
use http_body::Body;
use tokio::time::Instant;
use tower::{Service, ServiceExt};
use tracing::{Span, field::Empty};

use super::{ResponseBody, Shared, deadline::Timer};
use crate::{
    BearerToken, BoxError, Error, Operation, RequestBody, RequestBodyLimit, RequestTimeout,
    ResentAfterLostAnswer, TokenRejected,
    rules::{
        body_limit::read_limited,
        credentials::{Authorizer, set_authorization},
    },
};

/// One call: everything needed to build its request, for each attempt.
pub(super) struct Exchange<S> {
    pub(super) inner: S,
    pub(super) shared: Arc<Shared>,
    pub(super) method: Method,
    /// The request's URI as the call gave it, resolved again for later
    /// attempts.
    pub(super) path: Uri,
    /// Its resolution, until the first attempt takes it: a clone per call
    /// saved (two reference counts up and down; callgrind: about 90
    /// instructions).
    pub(super) uri: Option<Uri>,
    /// The call's own headers, over the defaults.
    pub(super) headers: HeaderMap,
    pub(super) body: RequestBody,
    pub(super) operation: Operation,
    pub(super) limit: usize,
    /// Whether the request carries the token: its operation needs one, it
    /// has no `Authorization` of its own, and it goes to the token's origin.
    pub(super) wants_token: bool,
    pub(super) token: Option<BearerToken>,
}

/// What a call's request says of it, read before its exchange is built (so
/// that the exchange is built once, in place, rather than moved through
/// the steps that read it).
pub(super) struct Plan {
    pub(super) operation: Operation,
    pub(super) uri: Uri,
    pub(super) timeout: Duration,
    pub(super) limit: usize,
    pub(super) span: Span,
    /// Whether a token goes with it, and the token when one is at hand.
    pub(super) wants_token: bool,
    pub(super) token: Option<BearerToken>,
}

impl Plan {
    /// Resolves the request's URL under the base, reads its per-call
    /// settings, opens its span, and takes the token when it is at hand.
    pub(super) fn of(shared: &Shared, parts: &request::Parts) -> Result<Self, (Error, Span)> {
        let found = parts.extensions.get::<Operation>().copied();
        let operation = found.unwrap_or_else(|| Operation::by_method(&parts.method));
        let (mut timeout, mut limit) = (shared.config.timeout, shared.config.body_limit);
        // Most calls carry their operation alone: two lookups saved.
        if parts.extensions.len() > usize::from(found.is_some()) {
            if let Some(RequestTimeout(per_call)) = parts.extensions.get() {
                timeout = *per_call;
            }
            if let Some(RequestBodyLimit(per_call)) = parts.extensions.get() {
                limit = *per_call;
            }
        }
        let uri = match shared.resolver.absolute(&parts.uri, operation.fixed_path) {
            Ok(uri) => uri,
            Err(error) => {
                let span = span(&operation, &parts.method, None);
                return Err((Error::InvalidRequestUri(error), span));
            }
        };
        let span = span(&operation, &parts.method, Some(&uri));
        let auth = shared.auth.as_ref();
        let wants_token =
            auth.is_some_and(|auth| auth.wants_token(&uri, &parts.headers, &operation));
        let token = auth.filter(|_| wants_token).and_then(Authorizer::current);
        Ok(Self {
            operation,
            uri,
            timeout,
            limit,
            span,
            wants_token,
            token,
        })
    }
}

impl<S> Exchange<S> {
    /// The request of one attempt: the call's own headers over the
    /// defaults, and the token; on the first attempt the call's extensions,
    /// on later ones its [`Operation`] only. Later attempts resolve the
    /// call's URI again, which fails only as the first resolution would
    /// have (it is the same base and the same URI), with
    /// [`Error::InvalidRequestUri`], which is never re-sent.
    pub(super) fn attempt(
        &mut self,
        extensions: Option<Extensions>,
    ) -> Result<Request<RequestBody>, Error> {
        let uri = match self.uri.take() {
            Some(uri) => uri,
            None => self
                .shared
                .resolver
                .absolute(&self.path, self.operation.fixed_path)
                .map_err(Error::InvalidRequestUri)?,
        };
        let mut request = Request::new(self.body.clone());
        *request.method_mut() = self.method.clone();
        *request.headers_mut() = self.shared.headers(&uri, self.token.is_some());
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        if !self.headers.is_empty() {
            for name in self.headers.keys() {
                headers.remove(name);
            }
            for (name, value) in &self.headers {
                headers.append(name.clone(), value.clone());
            }
        }
        // Last, over the call's own headers: a call with a token has no
        // `Authorization` of its own (see `wants_token`).
        set_authorization(headers, &self.operation, self.token.as_ref());
        *request.extensions_mut() = extensions.unwrap_or_else(|| {
            let mut extensions = Extensions::new();
            extensions.insert(self.operation);
            extensions
        });
        Ok(request)
    }

    /// Whether `outcome` of the first attempt ends the call: anything but a
    /// `401` to a token the source may renew, or a failure the retry policy
    /// sends again.
    pub(super) fn settled(&self, outcome: &Result<Response<ResponseBody>, Error>) -> bool {
        let may_renew = self.token.is_some()
            && matches!(outcome, Ok(response) if response.status() == StatusCode::UNAUTHORIZED);
        // Only asks: the retry is taken from the budget when it is made.
        !may_renew
            && self
                .shared
                .config
                .retry
                .delay(&self.operation, outcome.as_ref(), 0)
                .is_none()
    }
}

impl<S, B> Exchange<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    /// The rare paths of a call: fetch the token when none was at hand
    /// (once, before any attempt, so that no retry fetches it again), then
    /// attempt (unless `first` is the first attempt's outcome), renewing
    /// the token once after a `401` and waiting between retries. A retry
    /// whose wait cannot end before the call's `deadline` (`None`: too far
    /// to represent) is not made: the caller gets the last answer (a `503`
    /// and its message, say) rather than a bare timeout after waiting for
    /// nothing.
    pub(super) async fn slow(
        mut self,
        first: Option<Result<Response<ResponseBody>, Error>>,
        extensions: Option<Extensions>,
        span: Span,
        deadline: Option<Instant>,
    ) -> Result<Response<ResponseBody>, Error> {
        let shared = Arc::clone(&self.shared);
        let auth = shared.auth.as_ref();
        if self.token.is_none() && self.wants_token {
            if let Some(auth) = auth {
                self.token = Some(auth.token().await?);
            }
        }
        let retry = &shared.config.retry;
        let mut outcome = first;
        let mut extensions = extensions;
        let mut retries = 0;
        let mut renewed = false;
        let mut lost_answer = false;
        loop {
            let result = match outcome.take() {
                Some(result) => result,
                None => match self.attempt(extensions.take()) {
                    Ok(request) => self.send(request).await,
                    Err(error) => Err(error),
                },
            };
            if let (Ok(response), Some(auth), Some(rejected)) = (&result, auth, &self.token) {
                if response.status() == StatusCode::UNAUTHORIZED && !renewed {
                    if let Some(fresh) = auth.renewed(rejected).await? {
                        self.token = Some(fresh);
                        renewed = true;
                        continue;
                    }
                }
            }
            let delay = retry
                .delay(&self.operation, result.as_ref(), retries)
                .filter(|delay| ends_before(*delay, deadline))
                .filter(|delay| retry.withdraw(retries, *delay));
            match delay {
                Some(delay) => {
                    // Before the answer's head: once a status arrived (a
                    // body cut short), the server had answered.
                    lost_answer |= matches!(result, Err(Error::Http(_))) || replica_failed(&result);
                    retries += 1;
                    span.record("http.request.resend_count", retries);
                    if !delay.is_zero() {
                        Timer::after(delay).await;
                    }
                }
                None => return finish(result, lost_answer, self.token.as_ref()),
            }
        }
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

/// The call's answer, marked with what its caller may need to know of its
/// attempts: that an earlier one's answer was lost, or which token a `401`
/// rejected.
fn finish(
    result: Result<Response<ResponseBody>, Error>,
    lost_answer: bool,
    token: Option<&BearerToken>,
) -> Result<Response<ResponseBody>, Error> {
    let mut response = result?;
    if lost_answer {
        response.extensions_mut().insert(ResentAfterLostAnswer);
    }
    if let Some(token) = token.filter(|_| response.status() == StatusCode::UNAUTHORIZED) {
        response
            .extensions_mut()
            .insert(TokenRejected(token.fingerprint()));
    }
    Ok(response)
}

/// Whether a wait of `delay` from now ends before `deadline` (`None`: a
/// deadline too far to represent).
fn ends_before(delay: Duration, deadline: Option<Instant>) -> bool {
    match (Instant::now().checked_add(delay), deadline) {
        (Some(end), Some(deadline)) => end < deadline,
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

/// The call's span, with OpenTelemetry's field names; a disabled span when
/// nobody listens, which costs nothing further.
fn span(operation: &Operation, method: &Method, uri: Option<&Uri>) -> Span {
    let span = tracing::debug_span!(
        "rxinfer.call",
        rxinfer.operation = operation.name,
        http.request.method = %method,
        url.full = Empty,
        server.address = Empty,
        server.port = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        http.request.resend_count = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    // A URL with userinfo (only from an absolute URI a caller passed to the
    // transport: a base URL with credentials is refused) is not recorded.
    let uri = uri.filter(|uri| uri.authority().is_none_or(|a| !a.as_str().contains('@')));
    if let Some(uri) = uri {
        // The URL holds no secret: tokens never travel in it.
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

/// Writes the call's outcome into its span.
pub(super) fn record(span: &Span, outcome: &Result<Response<ResponseBody>, Error>) {
    if span.is_disabled() {
        return;
    }
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

/// Whether a replica's failed answer is sent elsewhere: it may have done
/// part of the work, as a lost answer may (a `DELETE` sent again finds its
/// own earlier delete).
#[cfg(feature = "replicas")]
fn replica_failed<B>(result: &Result<Response<B>, Error>) -> bool {
    result.as_ref().is_ok_and(|response| {
        response
            .extensions()
            .get::<crate::replicas::ReplicaFailed>()
            .is_some()
    })
}

#[cfg(not(feature = "replicas"))]
fn replica_failed<B>(_: &Result<Response<B>, Error>) -> bool {
    false
}
