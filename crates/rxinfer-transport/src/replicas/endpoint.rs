//! One replica as the balancer sees it: a service that sends the set's
//! calls to its replica's URL, answers "not ready" while the replica is out
//! (or suspect, while its balancer passes over suspects), and judges each
//! answer.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
};

use http::{
    HeaderValue, Request, Response, Uri,
    header::{AUTHORIZATION, HOST},
};
use pin_project_lite::pin_project;
use tokio::time::Instant;
use tower::Service;

use super::{Ejection, Recover, Replica, SetShared, Verdict, probe};
use crate::{AnsweredBy, BaseUrl, BoxError, Error, Operation, RequestBody};

/// A response extension: the replica that answered failed while another
/// is ready, and the call may go there. The retry policy sends an
/// idempotent call again on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplicaFailed;

/// Asks a replica whether it accepts a token now.
type AskToken = Arc<
    dyn Fn(Arc<Replica>, HeaderValue) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync,
>;

/// One member of the set over a clone of the inner service.
pub(crate) struct Endpoint<S> {
    replica: Arc<Replica>,
    set: Arc<SetShared>,
    inner: S,
    /// Its balancer's: whether suspects answer "not ready" now.
    passing_over_suspects: Arc<AtomicBool>,
    recover: Recover,
    ask_token: AskToken,
}

impl<S, B> Endpoint<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    pub(crate) fn new(
        replica: Arc<Replica>,
        set: Arc<SetShared>,
        inner: S,
        passing_over_suspects: Arc<AtomicBool>,
    ) -> Self {
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
        replica.offer_recovery(&recover);
        let ask_token: AskToken = {
            let inner = inner.clone();
            let timeout = set.policy().probe_timeout;
            Arc::new(move |replica, authorization| {
                Box::pin(probe::accepts(
                    inner.clone(),
                    replica,
                    authorization,
                    timeout,
                ))
            })
        };
        Self {
            replica,
            set,
            inner,
            passing_over_suspects,
            recover,
            ask_token,
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
    type Future = EndpointFuture<S::Future, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let health = &self.replica.health;
        if health.is_ejected() {
            match health.wait_for_readmission(cx.waker()) {
                // Readmitted meanwhile.
                None => {}
                Some(needs_recovery) => {
                    if needs_recovery {
                        // None runs: its runtime ended since the ejection.
                        (self.recover)();
                    }
                    return Poll::Pending;
                }
            }
        }
        if self.passing_over_suspects.load(Ordering::Relaxed) && health.is_suspect() {
            // Polled again at the balancer's next pick, when suspects may
            // be taken.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
            // tower's balancer drops an endpoint whose readiness fails, for
            // good: it counts as a failed answer instead (ejected after
            // enough, and then probed through the same service), and the
            // endpoint is asked again at the next pick.
            Poll::Ready(Err(error)) => {
                let error = Error::from(error.into());
                tracing::warn!(replica = %self.replica.base, %error, "the service under a replica failed to be ready");
                if health.failed(self.set.policy()) {
                    tracing::warn!(replica = %self.replica.base, reason = ?Ejection::Failing, "replica ejected");
                    (self.recover)();
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn call(&mut self, mut request: Request<RequestBody>) -> Self::Future {
        match rebase(request.uri(), self.set.base(), &self.replica.base) {
            Some(uri) => *request.uri_mut() = uri,
            None => {
                // The balancer sends only the set's own calls here.
                return EndpointFuture::failed(Error::InvalidRequestUri(
                    "the request is not under the replica set's URL".into(),
                ));
            }
        }
        if let (Some(host), true) = (&self.replica.host, request.headers().contains_key(HOST)) {
            request.headers_mut().insert(HOST, host.clone());
        }
        let authorization = request.headers().get(AUTHORIZATION).cloned();
        let idempotent = Operation::of(&request).idempotent;
        self.replica.health.count_call();
        EndpointFuture {
            inner: Some(self.inner.call(request)),
            judge: Some(Judge {
                replica: Arc::clone(&self.replica),
                set: Arc::clone(&self.set),
                idempotent,
                authorization,
                recover: Arc::clone(&self.recover),
                ask_token: Arc::clone(&self.ask_token),
                sent_at: Instant::now(),
            }),
            asking: None,
            early: None,
        }
    }
}

pin_project! {
    /// The response future of one replica: the answer, judged.
    pub struct EndpointFuture<F, B> {
        #[pin]
        inner: Option<F>,
        judge: Option<Judge>,
        // A `401` held while another replica is asked about its token.
        asking: Option<Asking<B>>,
        early: Option<Error>,
    }

    impl<F, B> PinnedDrop for EndpointFuture<F, B> {
        fn drop(this: Pin<&mut Self>) {
            // Given up before its answer: the call's deadline, or the
            // caller's.
            if let Some(judge) = this.project().judge.take() {
                judge.abandoned();
            }
        }
    }
}

/// A `401` waiting for another replica's word on the same token.
struct Asking<B> {
    response: Response<B>,
    other_accepts: Pin<Box<dyn Future<Output = bool> + Send>>,
    token: u64,
}

impl<F, B> EndpointFuture<F, B> {
    fn failed(error: Error) -> Self {
        Self {
            inner: None,
            judge: None,
            asking: None,
            early: Some(error),
        }
    }
}

impl<F, B, E> Future for EndpointFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(error) = this.early.take() {
            return Poll::Ready(Err(error));
        }
        if let Some(asking) = this.asking.as_mut() {
            let other_accepts = std::task::ready!(asking.other_accepts.as_mut().poll(cx));
            let Some(asking) = this.asking.take() else {
                return Poll::Pending;
            };
            return Poll::Ready(match this.judge.take() {
                Some(judge) => judge.token_answered(asking, other_accepts),
                None => Ok(asking.response),
            });
        }
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return Poll::Ready(Err(Error::Middleware("polled after its answer".into())));
        };
        let outcome = match std::task::ready!(inner.poll(cx)) {
            Ok(response) => Ok(response),
            Err(error) => Err(Error::from(error.into())),
        };
        this.inner.set(None);
        let Some(judge) = this.judge.as_ref() else {
            return Poll::Ready(outcome);
        };
        match judge.judge(outcome) {
            Judged::Answer(answer) => {
                *this.judge = None;
                Poll::Ready(answer)
            }
            Judged::AskAnother(asking) => {
                *this.asking = Some(asking);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

/// What judging an answer needs.
struct Judge {
    replica: Arc<Replica>,
    set: Arc<SetShared>,
    idempotent: bool,
    authorization: Option<HeaderValue>,
    recover: Recover,
    ask_token: AskToken,
    sent_at: Instant,
}

/// What follows an answer.
enum Judged<B> {
    Answer(Result<Response<B>, Error>),
    /// A `401` to a token another replica accepted: ask that one first.
    AskAnother(Asking<B>),
}

impl Judge {
    /// Records what `outcome` says of the replica, and marks an answer
    /// that another replica should be asked for.
    fn judge<B>(&self, outcome: Result<Response<B>, Error>) -> Judged<B> {
        let verdict = match &outcome {
            Ok(response) => Verdict::of_status(
                response.status(),
                self.authorization.is_some(),
                self.idempotent,
            ),
            Err(error) if error.never_sent() || error.is_connect() => Verdict::Unreachable,
            Err(Error::Http(_) | Error::Body(_)) => Verdict::Failed,
            Err(Error::LayerTimeout { .. }) => {
                self.gave_up();
                return Judged::Answer(outcome);
            }
            // Another layer's failure, or the client's own: nothing on the
            // replica.
            Err(_) => return Judged::Answer(outcome),
        };
        let health = &self.replica.health;
        let policy = self.set.policy();
        match verdict {
            Verdict::Healthy { accepted_token } => {
                health.succeeded();
                if let (true, Some(authorization)) = (accepted_token, &self.authorization) {
                    health.judged_token(token_hash(authorization), true);
                    self.set.note_accepted(authorization);
                }
                self.observe_latency(self.sent_at.elapsed());
            }
            Verdict::Failed => {
                if health.failed(policy) {
                    self.ejected(Ejection::Failing);
                }
            }
            Verdict::Doubtful => health.doubted(policy),
            Verdict::Unreachable => {
                if health.eject(Ejection::Unreachable, policy) {
                    self.ejected(Ejection::Unreachable);
                }
            }
            Verdict::RejectedToken => {
                if let (Ok(response), Some(authorization)) = (outcome, &self.authorization) {
                    return self.rejected(response, authorization);
                }
                return Judged::Answer(Err(Error::Middleware("a 401 without its answer".into())));
            }
        }
        Judged::Answer(outcome.map(|mut response| {
            response
                .extensions_mut()
                .insert(AnsweredBy(self.replica.base.clone()));
            if verdict == Verdict::Failed
                && self.idempotent
                && self.set.has_other_ready(self.replica.id)
            {
                response.extensions_mut().insert(ReplicaFailed);
            }
            response
        }))
    }

    /// A `401` to `authorization`: when another replica accepted that
    /// token, it is asked whether it still does before this one is judged.
    fn rejected<B>(&self, response: Response<B>, authorization: &HeaderValue) -> Judged<B> {
        let token = token_hash(authorization);
        self.replica.health.judged_token(token, false);
        match self.set.accepted_elsewhere(self.replica.id, token) {
            Some(other) => Judged::AskAnother(Asking {
                response,
                other_accepts: (self.ask_token)(other, authorization.clone()),
                token,
            }),
            None => Judged::Answer(Ok(response)),
        }
    }

    /// The other replica's word on the token this one refused: it accepts
    /// it, so this one reads another database (ejected, and the call fails
    /// without renewing the token); or it refuses it too, so the database
    /// forgot the token and the `401` is the answer.
    fn token_answered<B>(
        self,
        asking: Asking<B>,
        other_accepts: bool,
    ) -> Result<Response<B>, Error> {
        if !other_accepts {
            self.set.forget_acceptances(asking.token);
            let mut response = asking.response;
            response
                .extensions_mut()
                .insert(AnsweredBy(self.replica.base.clone()));
            return Ok(response);
        }
        if self
            .replica
            .health
            .eject(Ejection::ForeignToken, self.set.policy())
        {
            self.ejected(Ejection::ForeignToken);
        }
        Err(Error::ReplicaRejectedToken {
            replica: self.replica.base.clone(),
        })
    }

    /// Adds an answer's latency, and passes the replica over while it is
    /// much slower than the fastest.
    fn observe_latency(&self, latency: std::time::Duration) {
        let health = &self.replica.health;
        let average = health.observe_latency(latency);
        if self.set.is_slow(self.replica.id, average) {
            if !health.is_suspect() {
                tracing::info!(replica = %self.replica.base, latency_ms = average * 1e3, "replica passed over: its answers are slow");
            }
            health.answers_slowly(self.set.policy());
        }
    }

    /// The attempt was given up unanswered: what it waited counts as its
    /// latency, and as a failed answer when it waited as long as a probe
    /// may.
    fn gave_up(&self) {
        let waited = self.sent_at.elapsed();
        self.observe_latency(waited);
        if waited >= self.set.policy().probe_timeout
            && self.replica.health.failed(self.set.policy())
        {
            self.ejected(Ejection::Failing);
        }
    }

    fn abandoned(self) {
        self.gave_up();
    }

    /// The replica just left the set: says so, and starts probing it.
    fn ejected(&self, why: Ejection) {
        tracing::warn!(replica = %self.replica.base, reason = ?why, "replica ejected");
        (self.recover)();
    }
}

/// A token's identity among the set's standings: a hash of its
/// `Authorization` value, never the value itself.
fn token_hash(authorization: &HeaderValue) -> u64 {
    authorization
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        })
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

    #[test]
    fn tokens_are_told_apart_by_a_hash_of_their_header() {
        let one = HeaderValue::from_static("Bearer one");
        assert_eq!(token_hash(&one), token_hash(&one.clone()));
        assert_ne!(
            token_hash(&one),
            token_hash(&HeaderValue::from_static("Bearer two"))
        );
    }
}
