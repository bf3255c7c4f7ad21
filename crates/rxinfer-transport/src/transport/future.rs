//! The response future of the default stack: one future for the whole
//! stack, its common path written by hand.
//!
//! A call that has its token at hand and is settled by its first attempt
//! goes through three states (ready, sending, reading) inside this one
//! future, which the caller holds inline: no allocation of its own. Anything
//! rarer (fetching a token, renewing it, retrying) moves into
//! [`Exchange::slow`], boxed. Boxing one async block for the whole call
//! cost a 3 KB future allocated and moved per call (measured), which is
//! what this avoids.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use http::{Extensions, Request, Response, response::Parts};
use http_body::Body;
use http_body_util::Limited;
use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::Service;
use tracing::Span;

use super::{
    ResponseBody, Shared,
    deadline::Deadline,
    exchange::{Exchange, Plan, record},
};
use crate::{
    BoxError, Error, RequestBody,
    rules::body_limit::{Gather, collected, start_reading},
};

type Outcome = Result<Response<ResponseBody>, Error>;
type Slow = Pin<Box<dyn Future<Output = Outcome> + Send>>;

pin_project! {
    /// Response future of [`Transport`](crate::Transport).
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<RequestBody>>,
        B: Body,
    {
        #[pin]
        state: State<S::Future, B>,
        // Set at the first poll, so that building a call needs no runtime.
        deadline: Deadline,
        span: Span,
        exchange: Option<Exchange<S>>,
        extensions: Option<Extensions>,
        // The response's head while its body is read, kept out of `state`:
        // a smaller state costs less to move at each transition.
        head: Option<Parts>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B>
    where
        B: Body,
    {
        Ready,
        Sending { #[pin] future: F },
        Reading { #[pin] body: Gather<Limited<B>> },
        Slow { future: Slow },
        Done { error: Option<Error> },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// The call of `request` through `inner`, its exchange built in place.
    pub(super) fn new(inner: S, shared: Arc<Shared>, request: Request<RequestBody>) -> Self {
        let (parts, body) = request.into_parts();
        let plan = match Plan::of(&shared, &parts) {
            Ok(plan) => plan,
            Err((error, span)) => {
                return Self::alone(State::Done { error: Some(error) }, Duration::ZERO, span);
            }
        };
        let exchange = Exchange {
            inner,
            shared,
            method: parts.method,
            path: parts.uri,
            uri: Some(plan.uri),
            headers: parts.headers,
            body,
            operation: plan.operation,
            limit: plan.limit,
            wants_token: plan.wants_token,
            token: plan.token,
        };
        if exchange.token.is_none() && exchange.wants_token {
            // No token at hand where one is needed: fetch it first.
            // Its retries end by this deadline, at most a moment earlier
            // than the one the future sets at its first poll.
            let deadline = Instant::now().checked_add(plan.timeout);
            let slow = exchange.slow(None, Some(parts.extensions), plan.span.clone(), deadline);
            let state = State::Slow {
                future: Box::pin(slow),
            };
            return Self::alone(state, plan.timeout, plan.span);
        }
        Self {
            state: State::Ready,
            deadline: Deadline::new(plan.timeout),
            span: plan.span,
            exchange: Some(exchange),
            extensions: Some(parts.extensions),
            head: None,
        }
    }

    /// A call whose `state` needs no exchange of the future's own: failed
    /// already, or on the rare path.
    fn alone(state: State<S::Future, B>, timeout: Duration, span: Span) -> Self {
        Self {
            state,
            deadline: Deadline::new(timeout),
            span,
            exchange: None,
            extensions: None,
            head: None,
        }
    }
}

impl<S, B> Future for ResponseFuture<S, B>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let outcome = match poll_state(
            this.state.as_mut(),
            this.exchange,
            this.extensions,
            this.head,
            this.span,
            this.deadline,
            cx,
        ) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => {
                if this.deadline.poll_expired(cx).is_pending() {
                    return Poll::Pending;
                }
                // Dropping the call closes its connection.
                this.state.set(State::Done { error: None });
                *this.head = None;
                Err(Error::Timeout(this.deadline.timeout()))
            }
        };
        this.deadline.leave();
        record(this.span, &outcome);
        Poll::Ready(outcome)
    }
}

/// Drives the call's state to its outcome.
fn poll_state<S, B>(
    mut state: Pin<&mut State<S::Future, B>>,
    exchange: &mut Option<Exchange<S>>,
    extensions: &mut Option<Extensions>,
    head: &mut Option<Parts>,
    span: &Span,
    deadline: &Deadline,
    cx: &mut Context<'_>,
) -> Poll<Outcome>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let failed = |e: S::Error| Error::from(e.into());
    loop {
        let first = match state.as_mut().project() {
            StateProj::Ready => {
                let Some(call) = exchange.as_mut() else {
                    return Poll::Ready(Err(lost()));
                };
                match ready!(call.inner.poll_ready(cx)) {
                    Ok(()) => match call.attempt(extensions.take()) {
                        Ok(request) => {
                            let future = call.inner.call(request);
                            state.set(State::Sending { future });
                            continue;
                        }
                        Err(error) => Err(error),
                    },
                    Err(error) => Err(failed(error)),
                }
            }
            StateProj::Sending { future } => match ready!(future.poll(cx)) {
                Ok(response) => {
                    let limit = exchange.as_ref().map_or(0, |call| call.limit);
                    let (parts, body) = response.into_parts();
                    match start_reading(body, limit) {
                        Ok(body) => {
                            *head = Some(parts);
                            state.set(State::Reading { body });
                            continue;
                        }
                        Err(error) => Err(error),
                    }
                }
                Err(error) => Err(failed(error)),
            },
            StateProj::Reading { body } => {
                let limit = exchange.as_ref().map_or(0, |call| call.limit);
                match (collected(ready!(body.poll(cx)), limit), head.take()) {
                    (Ok(bytes), Some(parts)) => {
                        Ok(Response::from_parts(parts, ResponseBody::new(bytes)))
                    }
                    (Err(error), _) => Err(error),
                    (Ok(_), None) => Err(lost()),
                }
            }
            StateProj::Slow { future } => {
                let outcome = ready!(future.as_mut().poll(cx));
                // Polled again, the call answers `lost()`, not a panic.
                state.set(State::Done { error: None });
                return Poll::Ready(outcome);
            }
            StateProj::Done { error } => {
                return Poll::Ready(Err(error.take().unwrap_or_else(lost)));
            }
        };
        // The first attempt's outcome: the end of the call, or the rare path.
        match exchange.take() {
            Some(call) if !call.settled(&first) => {
                state.set(State::Slow {
                    future: Box::pin(call.slow(Some(first), None, span.clone(), deadline.expiry())),
                });
            }
            _ => {
                state.set(State::Done { error: None });
                return Poll::Ready(first);
            }
        }
    }
}

/// A state that cannot be reached: polled again after completion.
fn lost() -> Error {
    Error::Middleware("the response future was polled after it completed".into())
}
