//! The service that spreads a set's calls over its members, on tower's
//! power-of-two-choices balancer.
//!
//! tower's `Balance` takes `&mut self` and must be asked for readiness
//! right before each call, so one sits behind a lock that every clone
//! shares, and a call picks its replica under that lock when it is first
//! polled. Readiness is never waited for under the lock: the balancer is
//! polled with a waker that wakes every call waiting on it
//! ([`WakeAll`]), which it needs only when the inner service pushes back.
//!
//! A pick first passes over suspect replicas (see
//! [`HealthPolicy`](super::HealthPolicy)), so that a call sent again after
//! a failure goes elsewhere, and takes them only when no other replica is
//! ready. When every member is ejected, the call fails at once.

use std::{
    collections::HashSet,
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicBool, Ordering},
        mpsc::{Receiver, Sender, channel},
    },
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use futures_core::Stream;
use http::{Request, Response};
use tower::{
    Service, ServiceExt,
    balance::p2c::Balance,
    discover::Change,
    load::{CompleteOnResponse, PeakEwma},
};

use super::{SetShared, endpoint::Endpoint};
use crate::{BoxError, Error, RequestBody};

/// The latency a replica is assumed to have before its first answer: low,
/// so that a replica that joins takes calls (and is measured) at once.
const FIRST_ESTIMATE: Duration = Duration::from_millis(1);

/// How fast a replica's latency estimate forgets a slow answer.
const DECAY: Duration = Duration::from_secs(10);

type Member<S> = PeakEwma<Endpoint<S>, CompleteOnResponse>;

/// A boxed call in flight: the balancer's future type cannot be named.
type Sending<B> = Pin<Box<dyn Future<Output = Result<Response<B>, BoxError>> + Send>>;

/// The set's calls spread over its members: what
/// [`Replicas`](super::Replicas) makes of an inner service as a layer. It
/// is cheap to clone, and clones share the balancer.
pub struct Balanced<S> {
    set: Arc<SetShared>,
    /// Made at the first call, where the inner service's types are known.
    /// Made at the first call, where the inner service's bounds hold.
    picker: Arc<OnceLock<Mutex<Picker<S>>>>,
    /// For requests that are not the set's, and the template of members.
    inner: S,
}

/// The balancer and what keeps its members in step with the set.
struct Picker<S> {
    balance: Balance<Changes<S>, Request<RequestBody>>,
    changes: Sender<Change<u64, Member<S>>>,
    /// Members the balancer holds, by id.
    holds: HashSet<u64>,
    /// The inner service, cloned for members that join.
    template: S,
    version: Option<u64>,
    /// Calls waiting for the balancer's readiness.
    waiting: Arc<WakeAll>,
    /// Whether this balancer's endpoints answer "not ready" while suspect:
    /// set while it picks, under its lock.
    passing_over_suspects: Arc<AtomicBool>,
}

impl<S> Balanced<S> {
    pub(crate) fn new(set: Arc<SetShared>, inner: S) -> Self {
        Self {
            picker: Arc::default(),
            set,
            inner,
        }
    }
}

impl<S: Clone> Clone for Balanced<S> {
    fn clone(&self) -> Self {
        Self {
            set: Arc::clone(&self.set),
            picker: Arc::clone(&self.picker),
            inner: self.inner.clone(),
        }
    }
}

impl<S> fmt::Debug for Balanced<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Balanced")
            .field("base", self.set.base())
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<RequestBody>> for Balanced<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = Error;
    type Future = BalancedFuture<S, B>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Each call picks its replica when first polled (see the module
        // docs): a pick made here could be taken by another clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        self.picker
            .get_or_init(|| Mutex::new(Picker::new(self.inner.clone())));
        let state = if super::endpoint::under(request.uri(), self.set.base()).is_some() {
            State::Picking {
                request: Some(request),
            }
        } else {
            let inner = self.inner.clone();
            State::Sending {
                sending: Box::pin(async move { inner.oneshot(request).await.map_err(Into::into) }),
            }
        };
        BalancedFuture {
            set: Arc::clone(&self.set),
            picker: Arc::clone(&self.picker),
            state,
        }
    }
}

/// The response future of [`Balanced`]: picks a replica, then waits for
/// its answer.
pub struct BalancedFuture<S, B> {
    set: Arc<SetShared>,
    picker: Arc<OnceLock<Mutex<Picker<S>>>>,
    state: State<B>,
}

// Each attempt holds one, and moves from the first state to the second
// once: boxing the request would cost an allocation per call instead.
#[allow(clippy::large_enum_variant)]
enum State<B> {
    Picking {
        request: Option<Request<RequestBody>>,
    },
    Sending {
        sending: Sending<B>,
    },
}

// No field is structurally pinned: the call in flight is pinned in its box.
impl<S, B> Unpin for BalancedFuture<S, B> {}

impl<S, B> fmt::Debug for BalancedFuture<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Picking { .. } => "picking",
            State::Sending { .. } => "sending",
        };
        f.debug_struct("BalancedFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl<S, B> Future for BalancedFuture<S, B>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    type Output = Result<Response<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Picking { request } => {
                    let Some(picker) = this.picker.get() else {
                        return Poll::Ready(Err(Error::Middleware(
                            "a replica set's call without its balancer".into(),
                        )));
                    };
                    let sending = {
                        match lock(picker).pick(&this.set, request, cx) {
                            Poll::Ready(Ok(sending)) => sending,
                            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                            Poll::Pending => return Poll::Pending,
                        }
                    };
                    this.state = State::Sending { sending };
                }
                State::Sending { sending } => {
                    return sending.as_mut().poll(cx).map_err(Error::from);
                }
            }
        }
    }
}

impl<S, B> Picker<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Send + 'static,
{
    fn new(template: S) -> Self {
        let (changes, received) = channel();
        Self {
            balance: Balance::new(Changes(received)),
            changes,
            holds: HashSet::new(),
            template,
            version: None,
            waiting: Arc::default(),
            passing_over_suspects: Arc::default(),
        }
    }

    /// Sends `request` to the replica the balancer picks, once one is
    /// ready.
    fn pick(
        &mut self,
        set: &Arc<SetShared>,
        request: &mut Option<Request<RequestBody>>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Sending<B>, Error>> {
        self.follow(set);
        let mut ready = self.poll_balance();
        if ready.is_pending() {
            if !set.any_admitted() {
                // Probes that died with an earlier runtime start again.
                set.ensure_recoveries();
                return Poll::Ready(Err(Error::NoReplicaReady));
            }
            // Register before the last look, so that a member ready in
            // between wakes this call.
            self.waiting.register(cx.waker());
            ready = self.poll_balance();
        }
        match ready {
            Poll::Ready(Ok(())) => match request.take() {
                Some(request) => Poll::Ready(Ok(Box::pin(self.balance.call(request)))),
                None => Poll::Ready(Err(Error::Middleware("polled after its answer".into()))),
            },
            Poll::Ready(Err(error)) => Poll::Ready(Err(Error::from(error))),
            Poll::Pending if set.any_admitted() => Poll::Pending,
            Poll::Pending => Poll::Ready(Err(Error::NoReplicaReady)),
        }
    }

    /// Polls the balancer, passing over suspect replicas first.
    ///
    /// A suspect answers "not ready" and asks to be polled again; the
    /// balancer's queue of waiting members (futures-util's
    /// `FuturesUnordered`) stops after two such members in one poll, so
    /// the first pass is repeated until every member has been asked: else
    /// a ready replica behind two suspects would not be seen, and the
    /// second pass would take a suspect.
    fn poll_balance(&mut self) -> Poll<Result<(), BoxError>> {
        let waker = Waker::from(Arc::clone(&self.waiting));
        let mut cx = Context::from_waker(&waker);
        self.passing_over_suspects.store(true, Ordering::Relaxed);
        let mut first = Poll::Pending;
        for _ in 0..=self.holds.len() {
            first = self.balance.poll_ready(&mut cx);
            if first.is_ready() {
                break;
            }
        }
        self.passing_over_suspects.store(false, Ordering::Relaxed);
        if first.is_ready() {
            return first;
        }
        self.balance.poll_ready(&mut cx)
    }

    /// Brings the balancer's members in line with the set's.
    fn follow(&mut self, set: &Arc<SetShared>) {
        let version = set.version();
        if self.version == Some(version) {
            return;
        }
        let members = set.members().clone();
        for member in &members {
            if self.holds.insert(member.id) {
                let endpoint = Endpoint::new(
                    Arc::clone(member),
                    Arc::clone(set),
                    self.template.clone(),
                    Arc::clone(&self.passing_over_suspects),
                );
                let weighed = PeakEwma::new(
                    endpoint,
                    FIRST_ESTIMATE,
                    DECAY.as_nanos() as f64,
                    CompleteOnResponse::default(),
                );
                let _ = self.changes.send(Change::Insert(member.id, weighed));
            }
        }
        let changes = &self.changes;
        self.holds.retain(|id| {
            let held = members.iter().any(|member| member.id == *id);
            if !held {
                let _ = changes.send(Change::Remove(*id));
            }
            held
        });
        self.version = Some(version);
    }
}

/// The membership changes the balancer reads: sent under the picker's
/// lock right before it polls, so never waited for.
struct Changes<S>(Receiver<Change<u64, Member<S>>>);

impl<S> Stream for Changes<S> {
    type Item = Result<Change<u64, Member<S>>, std::convert::Infallible>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.0.try_recv() {
            Ok(change) => Poll::Ready(Some(Ok(change))),
            // The sender lives beside the balancer: never disconnected
            // while it polls.
            Err(_) => Poll::Pending,
        }
    }
}

/// A waker for the balancer that wakes every call waiting on it: the
/// balancer keeps only the last waker it was polled with.
#[derive(Default)]
struct WakeAll(Mutex<Vec<Waker>>);

impl WakeAll {
    fn register(&self, waker: &Waker) {
        let mut waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !waiting.iter().any(|known| known.will_wake(waker)) {
            waiting.push(waker.clone());
        }
    }
}

impl Wake for WakeAll {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waiting = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in waiting {
            waker.wake();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
