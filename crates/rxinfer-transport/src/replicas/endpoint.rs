//! One replica as the balancer sees it: a service that sends the set's
//! calls to its replica's URL, answers "not ready" while the replica is out
//! (or suspect, while the balancer passes over suspects), and judges each
//! answer.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, atomic::Ordering},
    task::{Context, Poll},
};

use http::{
    Request, Response, Uri,
    header::{AUTHORIZATION, HOST},
};
use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::Service;

use super::{Ejection, Replica, SetShared, Verdict, probe};
use crate::{BaseUrl, BoxError, Error, Operation, RequestBody};

/// A response extension: the replica that answered failed, and the call
/// may go to another. The retry policy sends an idempotent call again on
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplicaFailed;

/// Starts probing the replica, once it is ejected.
type Recover = Arc<dyn Fn() + Send + Sync>;

/// One member of the set over a clone of the inner service.
pub(crate) struct Endpoint<S> {
    replica: Arc<Replica>,
    set: Arc<SetShared>,
    inner: S,
    recover: Recover,
}

impl<S, B> Endpoint<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    pub(crate) fn new(replica: Arc<Replica>, set: Arc<SetShared>, inner: S) -> Self {
        let recover: Recover = {
            let (replica, set, inner) = (
                Arc::downgrade(&replica),
                Arc::downgrade(&set),
                inner.clone(),
            );
            Arc::new(move || {
                if let (Some(replica), Some(set)) = (replica.upgrade(), set.upgrade()) {
                    probe::start(&replica, &set, inner.clone());
                }
            })
        };
        Self {
            replica,
            set,
            inner,
            recover,
        }
    }
}

impl<S, B> Service<Request<RequestBody>> for Endpoint<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = Error;
    type Future = EndpointFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let health = &self.replica.health;
        if health.is_ejected() {
            if health.wait_for_readmission(cx.waker()) {
                // None runs: its runtime ended since the ejection.
                (self.recover)();
            }
            return Poll::Pending;
        }
        if self.set.passing_over_suspects.load(Ordering::Relaxed) && health.is_suspect() {
            // Polled again at the balancer's next pick, when suspects may
            // be taken.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.inner
            .poll_ready(cx)
            .map_err(|error| Error::from(error.into()))
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        let rebased = rebase(request.uri(), self.set.base(), &self.replica.base);
        if let Some(uri) = rebased {
            *request.uri_mut() = uri;
        }
        if let (Some(host), true) = (&self.replica.host, request.headers().contains_key(HOST)) {
            request.headers_mut().insert(HOST, host.clone());
        }
        let authorized = match request.headers().get(AUTHORIZATION) {
            Some(value) => {
                self.set.note_authorization(value);
                true
            }
            None => false,
        };
        let idempotent = Operation::of(&request).idempotent;
        self.replica.health.count_call();
        EndpointFuture {
            inner: self.inner.call(request),
            judge: Some(Judge {
                replica: Arc::clone(&self.replica),
                set: Arc::clone(&self.set),
                idempotent,
                authorized,
                recover: Arc::clone(&self.recover),
                sent_at: Instant::now(),
            }),
        }
    }
}

pin_project! {
    /// The response future of one replica: the answer, judged.
    pub struct EndpointFuture<F> {
        #[pin]
        inner: F,
        judge: Option<Judge>,
    }
}

/// What judging an answer needs.
struct Judge {
    replica: Arc<Replica>,
    set: Arc<SetShared>,
    idempotent: bool,
    authorized: bool,
    recover: Recover,
    sent_at: Instant,
}

impl<F, B, E> Future for EndpointFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = match std::task::ready!(this.inner.poll(cx)) {
            Ok(response) => Ok(response),
            Err(error) => Err(Error::from(error.into())),
        };
        Poll::Ready(match this.judge.take() {
            Some(judge) => judge.judge(outcome),
            None => outcome,
        })
    }
}

impl Judge {
    /// Records what `outcome` says of the replica, and marks an answer
    /// that another replica should be asked for.
    fn judge<B>(self, outcome: Result<Response<B>, Error>) -> Result<Response<B>, Error> {
        let verdict = match &outcome {
            Ok(response) => Verdict::of_status(response.status(), self.authorized),
            Err(error) if error.never_sent() || error.is_connect() => Verdict::Unreachable,
            Err(Error::Http(_) | Error::Body(_)) => Verdict::Failed,
            // Another layer's failure, or the client's own: nothing on the
            // replica.
            Err(_) => return outcome,
        };
        let health = &self.replica.health;
        let policy = self.set.policy();
        match verdict {
            Verdict::Healthy { accepted_token } => {
                health.succeeded(accepted_token);
                let latency = health.observe_latency(self.sent_at.elapsed());
                if self.set.is_slow(self.replica.id, latency) {
                    if !health.is_suspect() {
                        tracing::info!(replica = %self.replica.base, latency_ms = latency * 1e3, "replica passed over: its answers are slow");
                    }
                    health.answers_slowly(policy);
                }
            }
            Verdict::Failed => {
                if health.failed(policy) {
                    self.ejected(Ejection::Failing);
                }
            }
            Verdict::Unreachable => {
                if health.eject(Ejection::Unreachable, policy) {
                    self.ejected(Ejection::Unreachable);
                }
            }
            Verdict::RejectedToken => {
                health.rejected_token();
                if self.set.others_accept_token(self.replica.id) {
                    if health.eject(Ejection::ForeignToken, policy) {
                        self.ejected(Ejection::ForeignToken);
                    }
                    return Err(Error::ReplicaRejectedToken {
                        replica: self.replica.base.clone(),
                    });
                }
            }
        }
        match outcome {
            Ok(mut response) if verdict == Verdict::Failed && self.idempotent => {
                response.extensions_mut().insert(ReplicaFailed);
                Ok(response)
            }
            other => other,
        }
    }
}

/// What follows `base` in `uri` (path and query), when `uri` is under it.
pub(crate) fn under<'u>(uri: &'u Uri, base: &BaseUrl) -> Option<&'u str> {
    if !base.is_same_origin(uri) {
        return None;
    }
    let target = uri.path_and_query().map_or("/", |target| target.as_str());
    let rest = target.strip_prefix(base.path())?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some(rest)
}

impl Judge {
    /// The replica just left the set: says so, and starts probing it.
    fn ejected(&self, why: Ejection) {
        tracing::warn!(replica = %self.replica.base, reason = ?why, "replica ejected");
        (self.recover)();
    }
}

/// `uri` moved from under `from` to under `to`, when it is under `from`.
pub(crate) fn rebase(uri: &Uri, from: &BaseUrl, to: &BaseUrl) -> Option<Uri> {
    let rest = under(uri, from)?;
    let mut moved = String::with_capacity(to.path().len() + rest.len() + 1);
    moved.push_str(to.path());
    if moved.is_empty() && !rest.starts_with('/') {
        moved.push('/');
    }
    moved.push_str(rest);
    Uri::builder()
        .scheme(to.scheme().clone())
        .authority(to.authority().clone())
        .path_and_query(moved)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_under_the_set_move_to_the_replica() -> Result<(), BoxError> {
        let from: BaseUrl = "http://a.example:8000/v1".parse()?;
        let cases = [
            (
                "http://b.example:9000/v1",
                "/v1/token/roles",
                "http://b.example:9000/v1/token/roles",
            ),
            (
                "http://b.example:9000/api/v1",
                "/v1/models/i/x?y=1",
                "http://b.example:9000/api/v1/models/i/x?y=1",
            ),
            (
                "http://b.example:9000",
                "/v1/ping",
                "http://b.example:9000/ping",
            ),
            ("http://b.example:9000", "/v1", "http://b.example:9000/"),
            (
                "http://b.example:9000/v2",
                "/v1?q",
                "http://b.example:9000/v2?q",
            ),
        ];
        for (to, path, expected) in cases {
            let to: BaseUrl = to.parse()?;
            let uri: Uri = format!("http://a.example:8000{path}").parse()?;
            let moved = rebase(&uri, &from, &to).map(|uri| uri.to_string());
            assert_eq!(moved.as_deref(), Some(expected), "{path} to {to}");
        }
        Ok(())
    }

    #[test]
    fn other_origins_and_paths_stay_where_they_are() -> Result<(), BoxError> {
        let from: BaseUrl = "http://a.example:8000/v1".parse()?;
        let to: BaseUrl = "http://b.example:9000/v1".parse()?;
        for uri in [
            "http://c.example:8000/v1/ping",
            "https://a.example:8000/v1/ping",
            "http://a.example:8000/v10/ping",
            "http://a.example:8000/other",
        ] {
            assert_eq!(rebase(&uri.parse()?, &from, &to), None, "{uri}");
        }
        Ok(())
    }
}
