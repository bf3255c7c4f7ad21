//! What the client knows of one replica's health, and the rules that
//! change it: the outcome of each attempt ([`Verdict`]), ejection, and
//! readmission after a probe.

use std::{
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
    },
    task::Waker,
    time::Duration,
};

use http::StatusCode;
use tokio::{task::JoinHandle, time::Instant};

/// The shortest wait between probes.
const SHORTEST: Duration = Duration::from_millis(50);

/// The shortest probe timeout.
const SHORTEST_PROBE: Duration = Duration::from_millis(10);

/// When a replica leaves the set and how it comes back.
///
/// | outcome of an attempt | effect |
/// |---|---|
/// | no connection (refused, reset, TLS) | ejected at once |
/// | a `401` to the token another replica accepts, which that replica still accepts when asked | ejected at once: it reads another database |
/// | a `502`, `503` or `504`; a `5xx` to a request that may be sent again; the connection dropped before the answer; no answer within [`probe_timeout`](Self::probe_timeout) before the call gave up | suspect for [`suspect_for`](Self::suspect_for): calls go to other replicas while any is ready; ejected after [`failures_to_eject`](Self::failures_to_eject) in a row |
/// | another `5xx` to a request that changes state (RxInferServer's bare `500` to a body it cannot read) | suspect, not counted towards ejection: the request may be at fault |
/// | answers slower than the fastest replica's by [`slow_factor`](Self::slow_factor) (averages of recent answers) | suspect for [`suspect_for`](Self::suspect_for), not a failure |
/// | any other answer | healthy again; the count of failures starts over |
///
/// An ejected replica takes no calls until a probe shows it can serve:
/// after [`ejection`](Self::ejection), doubled after each failed probe up
/// to [`max_ejection`](Self::max_ejection). The probe reads the database
/// (`/ping` does not): `GET /models/i/<an id no instance has>` with the
/// token the calls carry, which a serving replica answers `404` (`401`
/// when the calls carry no token and the probe sends one no server knows).
///
/// ```
/// use std::time::Duration;
/// use rxinfer_transport::HealthPolicy;
///
/// let policy = HealthPolicy::new()
///     .failures_to_eject(5)
///     .ejection(Duration::from_millis(500), Duration::from_secs(10));
/// # let _ = policy;
/// ```
#[derive(Debug, Clone)]
pub struct HealthPolicy {
    pub(crate) failures_to_eject: u32,
    pub(crate) suspect_for: Duration,
    pub(crate) slow_factor: f64,
    pub(crate) ejection: Duration,
    pub(crate) max_ejection: Duration,
    pub(crate) probe_timeout: Duration,
}

impl HealthPolicy {
    /// Ejection after 3 failures in a row, suspicion for 1 s (also of a
    /// replica 5 times slower than the fastest), probes from 1 s to 30 s
    /// apart, each given 2 s.
    pub fn new() -> Self {
        Self {
            failures_to_eject: 3,
            suspect_for: Duration::from_secs(1),
            slow_factor: 5.0,
            ejection: Duration::from_secs(1),
            max_ejection: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(2),
        }
    }

    /// How many failed answers in a row eject a replica (at least 1).
    pub fn failures_to_eject(mut self, failures: u32) -> Self {
        self.failures_to_eject = failures.max(1);
        self
    }

    /// How long a replica that failed an answer is passed over while
    /// another is ready.
    pub fn suspect_for(mut self, duration: Duration) -> Self {
        self.suspect_for = duration;
        self
    }

    /// How many times slower than the fastest replica a replica answers,
    /// on average over its recent answers, before calls pass it over
    /// (`f64::INFINITY`: never). The balancer weighs latency already, but
    /// a server that runs one call at a time queues them: its latency then
    /// grows with its load, and a replica ten times slower than the others
    /// would still take a share of the calls.
    pub fn slow_factor(mut self, factor: f64) -> Self {
        self.slow_factor = if factor.is_nan() {
            f64::INFINITY
        } else {
            factor.max(1.0)
        };
        self
    }

    /// The wait before the first probe of an ejected replica, and the
    /// longest wait it doubles to.
    /// Waits shorter than 50 ms count as 50 ms: probes back to back would
    /// load a replica that is down.
    pub fn ejection(mut self, first: Duration, longest: Duration) -> Self {
        self.ejection = first.max(SHORTEST);
        self.max_ejection = longest.max(self.ejection);
        self
    }

    /// How long a probe may take before it counts as failed (at least
    /// 10 ms). An attempt given up unanswered after as long (the call's
    /// deadline, a timeout layer of yours) counts as a failed answer.
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout.max(SHORTEST_PROBE);
        self
    }
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a replica stands, as [`ReplicaStatus`](crate::ReplicaStatus)
/// reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplicaState {
    /// Takes calls.
    Ready,
    /// Failed an answer lately, or answers much slower than the fastest
    /// ([`HealthPolicy::slow_factor`]): takes calls only when no other
    /// replica is ready.
    Suspect,
    /// Takes no calls until a probe readmits it.
    Ejected,
}

/// Why a replica was ejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ejection {
    Unreachable,
    Failing,
    ForeignToken,
}

/// What one attempt's outcome says about the replica that answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Healthy {
        accepted_token: bool,
    },
    /// The replica failed: counts towards ejection.
    Failed,
    /// A failure that may be the request's own: the replica is suspect,
    /// but the failure does not count towards ejection.
    Doubtful,
    Unreachable,
    RejectedToken,
}

impl Verdict {
    /// The verdict on an answer with `status` to a request that carried a
    /// token (`authorized`) or not, and may be sent again (`idempotent`)
    /// or not.
    ///
    /// A gateway's `502`, `503` or `504` says the replica is not serving.
    /// RxInferServer answers other `5xx` (a bare `500`) to a body it cannot
    /// read or a model that throws as well as to a database it cannot
    /// reach: for a request with a body, the request may be at fault.
    pub(crate) fn of_status(status: StatusCode, authorized: bool, idempotent: bool) -> Self {
        match status {
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Verdict::Failed,
            status if status.is_server_error() && idempotent => Verdict::Failed,
            status if status.is_server_error() => Verdict::Doubtful,
            StatusCode::UNAUTHORIZED if authorized => Verdict::RejectedToken,
            status => Verdict::Healthy {
                // Statuses the server answers once the token passed.
                accepted_token: authorized
                    && (status.is_success()
                        || status == StatusCode::BAD_REQUEST
                        || status == StatusCode::NOT_FOUND),
            },
        }
    }
}

/// What a replica said of one token, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenStanding {
    /// The token, by a hash of its `Authorization` value.
    pub(crate) token: u64,
    pub(crate) accepts: bool,
    pub(crate) at: Instant,
}

/// One replica's health, shared by every client over its set.
#[derive(Debug, Default)]
pub(crate) struct Health {
    failures: AtomicU32,
    ejected: AtomicBool,
    /// Whether `suspect_until` may be set: spares a lock on every pick.
    suspected: AtomicBool,
    calls: AtomicU64,
    failed: AtomicU64,
    ejections: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    suspect_until: Option<Instant>,
    /// An average of the latest answers' latencies, in seconds.
    latency: Option<f64>,
    token: Option<TokenStanding>,
    /// The balancers waiting for this replica (one per client over the
    /// set).
    waiting: Vec<Waker>,
    recovery: Option<JoinHandle<()>>,
    /// The wait before the next probe.
    backoff: Duration,
    why: Option<Ejection>,
}

impl Health {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_ejected(&self) -> bool {
        self.ejected.load(Ordering::Acquire)
    }

    pub(crate) fn state(&self) -> ReplicaState {
        if self.is_ejected() {
            ReplicaState::Ejected
        } else if self.is_suspect() {
            ReplicaState::Suspect
        } else {
            ReplicaState::Ready
        }
    }

    pub(crate) fn is_suspect(&self) -> bool {
        self.suspected.load(Ordering::Relaxed)
            && self
                .inner()
                .suspect_until
                .is_some_and(|until| Instant::now() < until)
    }

    fn suspect(&self, inner: &mut Inner, policy: &HealthPolicy) {
        // A suspicion too long to represent lasts until the next success.
        let now = Instant::now();
        inner.suspect_until = Some(
            now.checked_add(policy.suspect_for)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
        );
        self.suspected.store(true, Ordering::Relaxed);
    }

    /// Adds an answer's latency to the average; the new average. An
    /// answer counts at most three times the average so far: one expensive
    /// call (an inference among lookups) hardly moves it, while a replica
    /// that is slow at every call shows it from its first answer.
    pub(crate) fn observe_latency(&self, latency: Duration) -> f64 {
        /// The weight of the newest answer.
        const NEWEST: f64 = 0.1;
        /// How many times the average an answer may count.
        const CAP: f64 = 3.0;
        let seconds = latency.as_secs_f64();
        let mut inner = self.inner();
        let average = inner.latency.map_or(seconds, |average| {
            average + NEWEST * (seconds.min(CAP * average) - average)
        });
        inner.latency = Some(average);
        average
    }

    /// The average latency of the latest answers, if any came.
    pub(crate) fn latency(&self) -> Option<f64> {
        self.inner().latency
    }

    /// Passes the replica over for a while: its answers are slow.
    pub(crate) fn answers_slowly(&self, policy: &HealthPolicy) {
        let mut inner = self.inner();
        self.suspect(&mut inner, policy);
    }

    /// Calls sent, answers failed, ejections: what the status reports.
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
            self.ejections.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn count_call(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_standing(&self) -> Option<TokenStanding> {
        self.inner().token
    }

    /// Records what the replica said of `token`.
    pub(crate) fn judged_token(&self, token: u64, accepts: bool) {
        self.inner().token = Some(TokenStanding {
            token,
            accepts,
            at: Instant::now(),
        });
    }

    /// Forgets that the replica accepted `token`: the database forgot it.
    pub(crate) fn forget_acceptance(&self, token: u64) {
        let mut inner = self.inner();
        if inner
            .token
            .is_some_and(|standing| standing.token == token && standing.accepts)
        {
            inner.token = None;
        }
    }

    /// Records a healthy answer.
    pub(crate) fn succeeded(&self) {
        if self.failures.load(Ordering::Relaxed) != 0 {
            self.failures.store(0, Ordering::Relaxed);
            self.inner().suspect_until = None;
            self.suspected.store(false, Ordering::Relaxed);
        }
    }

    /// Records a failure that may be the request's own: suspect, without
    /// counting towards ejection.
    pub(crate) fn doubted(&self, policy: &HealthPolicy) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.inner();
        self.suspect(&mut inner, policy);
    }

    /// Records a failed answer; `true` when it ejects the replica.
    pub(crate) fn failed(&self, policy: &HealthPolicy) -> bool {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures >= policy.failures_to_eject {
            return self.eject(Ejection::Failing, policy);
        }
        let mut inner = self.inner();
        self.suspect(&mut inner, policy);
        false
    }

    /// Takes the replica out of the set; `false` when it was out already.
    pub(crate) fn eject(&self, why: Ejection, policy: &HealthPolicy) -> bool {
        if why == Ejection::Unreachable {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let mut inner = self.inner();
        if self.ejected.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.ejections.fetch_add(1, Ordering::Relaxed);
        inner.why = Some(why);
        inner.backoff = policy.ejection;
        true
    }

    /// Puts the replica back after a probe it passed, and wakes the
    /// balancer if it waits for it.
    pub(crate) fn readmit(&self) {
        let mut inner = self.inner();
        self.failures.store(0, Ordering::Relaxed);
        inner.suspect_until = None;
        inner.latency = None;
        self.suspected.store(false, Ordering::Relaxed);
        inner.why = None;
        inner.token = None;
        self.ejected.store(false, Ordering::Release);
        for waker in inner.waiting.drain(..) {
            waker.wake();
        }
    }

    /// The wait before the next probe, doubled for the one after.
    pub(crate) fn next_backoff(&self, policy: &HealthPolicy) -> Duration {
        let mut inner = self.inner();
        let wait = inner.backoff.max(policy.ejection);
        inner.backoff = wait.saturating_mul(2).min(policy.max_ejection);
        wait
    }

    /// Remembers `waker` to wake at readmission: `Some(true)` when no
    /// recovery runs (none started, or its runtime ended), so the caller
    /// starts one; `None` when the replica was readmitted meanwhile.
    pub(crate) fn wait_for_readmission(&self, waker: &Waker) -> Option<bool> {
        let mut inner = self.inner();
        // Under the lock readmission takes: it cannot slip in between.
        if !self.is_ejected() {
            return None;
        }
        if !inner.waiting.iter().any(|waiting| waiting.will_wake(waker)) {
            inner.waiting.push(waker.clone());
        }
        Some(!self.recovery_runs(&inner))
    }

    fn recovery_runs(&self, inner: &Inner) -> bool {
        inner
            .recovery
            .as_ref()
            .is_some_and(|recovery| !recovery.is_finished())
    }

    /// Whether the replica is ejected with no recovery running.
    pub(crate) fn needs_recovery(&self) -> bool {
        self.is_ejected() && !self.recovery_runs(&self.inner())
    }

    /// Keeps the task that probes the replica until it is readmitted.
    pub(crate) fn recovering(&self, recovery: JoinHandle<()>) {
        if let Some(old) = self.inner().recovery.replace(recovery) {
            old.abort();
        }
    }

    /// Stops probing: the replica left the set.
    pub(crate) fn stop_recovery(&self) {
        if let Some(recovery) = self.inner().recovery.take() {
            recovery.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_judge_the_replica() {
        let judged =
            |status, authorized, idempotent| Verdict::of_status(status, authorized, idempotent);
        assert_eq!(
            judged(StatusCode::INTERNAL_SERVER_ERROR, true, true),
            Verdict::Failed
        );
        // A change answered 500: maybe the request's fault.
        assert_eq!(
            judged(StatusCode::INTERNAL_SERVER_ERROR, true, false),
            Verdict::Doubtful
        );
        assert_eq!(
            judged(StatusCode::BAD_GATEWAY, false, false),
            Verdict::Failed
        );
        assert_eq!(
            judged(StatusCode::UNAUTHORIZED, true, true),
            Verdict::RejectedToken
        );
        // Without a token, a 401 says nothing about the replica.
        assert_eq!(
            judged(StatusCode::UNAUTHORIZED, false, true),
            Verdict::Healthy {
                accepted_token: false
            }
        );
        assert_eq!(
            judged(StatusCode::NOT_FOUND, true, true),
            Verdict::Healthy {
                accepted_token: true
            }
        );
        // A proxy's refusal says nothing of the token.
        assert_eq!(
            judged(StatusCode::TOO_MANY_REQUESTS, true, true),
            Verdict::Healthy {
                accepted_token: false
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_in_a_row_eject_and_a_success_between_them_forgives() {
        let policy = HealthPolicy::new().failures_to_eject(3);
        let health = Health::default();
        assert!(!health.failed(&policy));
        assert_eq!(health.state(), ReplicaState::Suspect);
        health.succeeded();
        assert_eq!(health.state(), ReplicaState::Ready);
        assert!(!health.failed(&policy));
        assert!(!health.failed(&policy));
        assert!(health.failed(&policy));
        assert_eq!(health.state(), ReplicaState::Ejected);
        assert_eq!(health.counts(), (0, 4, 1));
        health.readmit();
        assert_eq!(health.state(), ReplicaState::Ready);
    }

    #[tokio::test(start_paused = true)]
    async fn suspicion_wears_off() {
        let policy = HealthPolicy::new().suspect_for(Duration::from_millis(100));
        let health = Health::default();
        health.failed(&policy);
        assert!(health.is_suspect());
        tokio::time::advance(Duration::from_millis(101)).await;
        assert!(!health.is_suspect());
        assert_eq!(health.state(), ReplicaState::Ready);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_replica_is_suspect_without_failing() {
        let policy = HealthPolicy::new();
        let health = Health::default();
        assert_eq!(health.observe_latency(Duration::from_millis(40)), 0.040);
        let average = health.observe_latency(Duration::from_millis(80));
        assert!((average - 0.044).abs() < 1e-9, "{average}");
        // One answer counts at most three times the average.
        let average = health.observe_latency(Duration::from_secs(10));
        assert!((average - 0.0528).abs() < 1e-9, "{average}");
        health.answers_slowly(&policy);
        assert_eq!(health.state(), ReplicaState::Suspect);
        assert_eq!(health.counts(), (0, 0, 0));
        // A success does not clear it: the answers are still slow.
        health.succeeded();
        assert_eq!(health.state(), ReplicaState::Suspect);
        tokio::time::advance(policy.suspect_for).await;
        assert_eq!(health.state(), ReplicaState::Ready);
    }

    #[tokio::test]
    async fn durations_too_long_to_represent_do_not_panic() {
        let policy = HealthPolicy::new()
            .suspect_for(Duration::MAX)
            .ejection(Duration::MAX, Duration::MAX)
            .slow_factor(f64::NAN);
        let health = Health::default();
        assert!(!health.failed(&policy));
        assert_eq!(health.state(), ReplicaState::Suspect);
        health.answers_slowly(&policy);
        health.eject(Ejection::Unreachable, &policy);
        assert_eq!(health.next_backoff(&policy), Duration::MAX);
        assert_eq!(policy.slow_factor, f64::INFINITY);
    }

    #[test]
    fn probes_back_off_up_to_the_longest_wait() {
        assert_eq!(
            HealthPolicy::new()
                .ejection(Duration::ZERO, Duration::ZERO)
                .ejection,
            SHORTEST
        );
        let policy =
            HealthPolicy::new().ejection(Duration::from_millis(100), Duration::from_millis(300));
        let health = Health::default();
        health.eject(Ejection::Unreachable, &policy);
        let waits: Vec<_> = (0..4).map(|_| health.next_backoff(&policy)).collect();
        assert_eq!(
            waits,
            [100, 200, 300, 300].map(Duration::from_millis).to_vec()
        );
        assert!(!health.eject(Ejection::Failing, &policy), "already out");
    }
}
