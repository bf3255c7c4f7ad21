//! When to send a failed call again, how long to wait, and how many retries
//! the client as a whole may spend.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime},
};

use http::{Response, StatusCode, header::RETRY_AFTER};
use tower::{
    retry::budget::{Budget, TpsBudget},
    util::rng::{HasherRng, Rng},
};

use crate::{Error, Operation};

/// When to send a call again: the retry policy of the default stack, also
/// usable with tower's [`Retry`](tower::retry::Retry) layer in a stack of
/// your own.
///
/// | outcome | sent again for |
/// |---|---|
/// | [`Error::Connect`], or a proxy that could not be reached: the request never left | every operation, `POST` included |
/// | [`Error::Http`] or [`Error::Body`]: the connection dropped before the whole answer | idempotent operations (`GET`, `DELETE`) |
/// | `429 Too Many Requests`, `503 Service Unavailable` | idempotent operations |
/// | in a replica set (`Replicas`, feature `replicas`): a replica's `5xx`, or [`Error::ReplicaRejectedToken`], sent to another replica | idempotent operations |
/// | [`Error::NoReplicaReady`]: the request never left | every operation |
/// | a token that could not be obtained, a proxy's refusal (`407`), TLS, timeouts, anything else | never |
///
/// So an operation that changes server state (`token_generate`,
/// `run_inference`, ...) is never sent twice once it may have reached the
/// server; which operations are idempotent is the
/// [`Operation`](crate::Operation) extension's to say, or else the method's.
///
/// Waits grow exponentially from [`base_delay`](Self::base_delay) with full
/// jitter; a `Retry-After` (seconds or an HTTP date) is honoured; either is
/// capped at [`max_delay`](Self::max_delay). A budget shared by all clones
/// (tower's [`TpsBudget`]) stops retries from multiplying load on a
/// struggling server: over the last ten seconds, each call earns a fifth of
/// a retry, on top of ten retries a second.
///
/// ```
/// use std::time::Duration;
/// use rxinfer_transport::RetryPolicy;
///
/// let policy = RetryPolicy::new()
///     .max_retries(3)
///     .base_delay(Duration::from_millis(50))
///     .max_delay(Duration::from_secs(2));
/// let off = RetryPolicy::disabled();
/// assert!(!off.is_enabled());
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Arc<TpsBudget>,
    // Per call, when used with tower's Retry, which clones the policy for
    // each request: the retries made, and whether one followed a lost
    // answer.
    pub(crate) retries: u32,
    pub(crate) lost_answer: bool,
}

impl RetryPolicy {
    /// Two retries, from 100 ms, capped at 5 s, with the default budget.
    pub fn new() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            budget: Arc::new(budget(Duration::from_secs(10), 10, 0.2)),
            retries: 0,
            lost_answer: false,
        }
    }

    /// Never retries.
    pub fn disabled() -> Self {
        Self::new().max_retries(0)
    }

    /// At most `retries` retries per call.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first wait's upper bound; each retry doubles it.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// No wait is longer, whatever `Retry-After` asks.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// A budget (tower's [`TpsBudget`]) that allows `min_per_sec` retries a
    /// second and `retry_ratio` of a retry per call, counted over the last
    /// `ttl`. `ttl` is clamped to 1-60 s and the ratio to 0-1000, the
    /// ranges tower accepts. tower rounds the ratio: up to 1, a retry costs
    /// ⌊1/ratio⌋ calls (so 0.6 earns a retry per call), and above 1, a call
    /// earns 1000/⌊1000/ratio⌋ retries. A ratio below 0.001 counts as 0,
    /// where tower's arithmetic would saturate and shrink the reserve.
    pub fn budget(mut self, ttl: Duration, min_per_sec: u32, retry_ratio: f32) -> Self {
        self.budget = Arc::new(budget(ttl, min_per_sec, retry_ratio));
        self
    }

    /// Whether the calls can be retried at all.
    pub fn is_enabled(&self) -> bool {
        self.max_retries > 0
    }

    /// Counts a call towards the budget.
    pub(crate) fn deposit(&self) {
        if self.is_enabled() {
            self.budget.deposit();
        }
    }

    /// How long to wait before sending a call of `operation` again after
    /// `outcome` and `retries` retries so far, or `None` to give up. The
    /// retry is taken from the budget: call it once per retry made.
    pub(crate) fn wait<RB>(
        &self,
        operation: &Operation,
        outcome: Result<&Response<RB>, &Error>,
        retries: u32,
    ) -> Option<Duration> {
        let delay = self.delay(operation, outcome, retries)?;
        self.withdraw(retries, delay).then_some(delay)
    }

    /// The wait a retry would take, without asking the budget: whether the
    /// outcome is worth another attempt, and how long until it.
    pub(crate) fn delay<RB>(
        &self,
        operation: &Operation,
        outcome: Result<&Response<RB>, &Error>,
        retries: u32,
    ) -> Option<Duration> {
        let asked = worth_retrying(operation.idempotent, outcome)?;
        if retries >= self.max_retries {
            return None;
        }
        Some(asked.max(self.backoff(retries)).min(self.max_delay))
    }

    /// Takes retry number `retries + 1`, to be sent after `delay`, from the
    /// budget; `false` when the budget is spent.
    pub(crate) fn withdraw(&self, retries: u32, delay: Duration) -> bool {
        if !self.budget.withdraw() {
            return false;
        }
        tracing::debug!(
            retry = retries + 1,
            delay_ms = delay.as_millis() as u64,
            "sending the call again"
        );
        true
    }

    /// Exponential backoff with full jitter: a uniform wait up to
    /// `base_delay * 2^retries`. A fresh generator per wait, so that calls
    /// draw different waits (a clone's generator repeats its original's).
    fn backoff(&self, retries: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retries).unwrap_or(u32::MAX))
            .min(self.max_delay);
        ceiling.mul_f64(HasherRng::default().next_f64())
    }
}

/// The wait an outcome asks for before a retry, or `None` when it is not
/// worth retrying.
fn worth_retrying<RB>(
    idempotent: bool,
    outcome: Result<&Response<RB>, &Error>,
) -> Option<Duration> {
    match outcome {
        Err(error) if error.never_sent() => Some(Duration::ZERO),
        Err(Error::Http(_) | Error::Body(_) | Error::ReplicaRejectedToken { .. }) if idempotent => {
            Some(Duration::ZERO)
        }
        #[cfg(feature = "replicas")]
        Ok(response)
            if idempotent
                && response
                    .extensions()
                    .get::<crate::replicas::ReplicaFailed>()
                    .is_some() =>
        {
            Some(Duration::ZERO)
        }
        Ok(response)
            if idempotent
                && matches!(
                    response.status(),
                    StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
                ) =>
        {
            Some(retry_after(response).unwrap_or_default())
        }
        _ => None,
    }
}

/// The wait a `Retry-After` header asks for, in seconds or as an HTTP date.
pub(crate) fn retry_after<RB>(response: &Response<RB>) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("max_retries", &self.max_retries)
            .field("base_delay", &self.base_delay)
            .field("max_delay", &self.max_delay)
            .finish_non_exhaustive()
    }
}

/// tower's budget, over arguments clamped to the ranges it asserts.
fn budget(ttl: Duration, min_per_sec: u32, retry_ratio: f32) -> TpsBudget {
    let ratio = if retry_ratio.is_finite() && retry_ratio >= 0.001 {
        retry_ratio.min(1000.0)
    } else {
        0.0
    };
    TpsBudget::new(
        ttl.clamp(Duration::from_secs(1), Duration::from_secs(60)),
        min_per_sec.min(i32::MAX as u32 - 1),
        ratio,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn response(status: u16, retry_after: Option<&'static str>) -> Response<()> {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::from_u16(status).expect("status");
        if let Some(value) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static(value));
        }
        response
    }

    const GET: Operation = Operation::new("get");
    const POST: Operation = Operation::new("post").never_resent();

    fn decide(
        policy: &RetryPolicy,
        operation: Operation,
        outcome: Result<Response<()>, Error>,
    ) -> Option<Duration> {
        policy.wait(&operation, outcome.as_ref(), 0)
    }

    #[test]
    fn what_is_retried_for_which_operation() {
        let connect = || Err(Error::Connect("refused".into()));
        let unreachable_proxy = || {
            Err(Error::Proxy {
                proxy: "http://p:1".into(),
                status: None,
                source: None,
            })
        };
        let refusing_proxy = || {
            Err(Error::Proxy {
                proxy: "http://p:1".into(),
                status: Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED),
                source: None,
            })
        };
        let dropped = || Err(Error::Http("closed".into()));
        let cut = || Err(Error::Body("reset".into()));
        let cases = [
            (GET, connect(), true),
            (POST, connect(), true),
            (POST, unreachable_proxy(), true),
            (GET, refusing_proxy(), false),
            (GET, dropped(), true),
            (POST, dropped(), false),
            (GET, cut(), true),
            (POST, cut(), false),
            (GET, Ok(response(503, None)), true),
            (GET, Ok(response(429, None)), true),
            (POST, Ok(response(503, None)), false),
            (GET, Ok(response(500, None)), false),
            (GET, Ok(response(200, None)), false),
            (GET, Err(Error::Timeout(Duration::from_secs(1))), false),
            (GET, Err(Error::Tls("untrusted".into())), false),
            (GET, Err(Error::TokenAcquisition("no".into())), false),
        ];
        for (operation, outcome, retried) in cases {
            let description = format!("{} {outcome:?}", operation.name);
            let policy = RetryPolicy::new();
            assert_eq!(
                decide(&policy, operation, outcome).is_some(),
                retried,
                "{description}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::new().max_delay(Duration::from_secs(3));
        assert_eq!(
            decide(&policy, GET, Ok(response(503, Some("2")))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            decide(&policy, GET, Ok(response(429, Some("120")))),
            Some(Duration::from_secs(3))
        );
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let mut dated = response(503, None);
        dated.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from_str(&in_a_minute).expect("date"),
        );
        assert_eq!(
            decide(&policy, GET, Ok(dated)),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_max_retries() {
        let policy = RetryPolicy::new()
            .max_retries(3)
            .base_delay(Duration::from_millis(100));
        let unavailable = response(503, None);
        let mut waits = Vec::new();
        while let Some(wait) = policy.wait(&GET, Ok(&unavailable), waits.len() as u32) {
            waits.push(wait);
        }
        assert_eq!(waits.len(), 3);
        for (retry, wait) in waits.iter().enumerate() {
            assert!(
                *wait <= Duration::from_millis(100 << retry),
                "retry {retry}: {wait:?}"
            );
        }
    }

    #[test]
    fn calls_draw_different_jitter() {
        let policy = RetryPolicy::new().base_delay(Duration::from_secs(1000));
        let waits: std::collections::HashSet<Duration> = (0..8)
            .filter_map(|_| decide(&policy.clone(), GET, Ok(response(503, None))))
            .collect();
        // Eight uniform draws up to 1000 s: equal ones mean shared state.
        assert_eq!(waits.len(), 8, "{waits:?}");
    }

    #[test]
    fn an_exhausted_budget_stops_retries() {
        let policy = RetryPolicy::new()
            .max_retries(10)
            .budget(Duration::from_secs(1), 0, 0.0);
        assert!(decide(&policy, GET, Ok(response(503, None))).is_none());
    }

    #[test]
    fn calls_earn_retries() {
        // No reserve, half a retry per call: two calls earn one retry.
        let policy = RetryPolicy::new()
            .max_retries(10)
            .budget(Duration::from_secs(1), 0, 0.5);
        assert!(decide(&policy, GET, Ok(response(503, None))).is_none());
        policy.deposit();
        policy.deposit();
        assert!(decide(&policy, GET, Ok(response(503, None))).is_some());
        assert!(decide(&policy, GET, Ok(response(503, None))).is_none());
        // A hundred calls earn fifty retries, and no more.
        for _ in 0..100 {
            policy.deposit();
        }
        let granted = (0..1000)
            .filter(|_| decide(&policy, GET, Ok(response(503, None))).is_some())
            .count();
        assert_eq!(granted, 50);
    }

    #[test]
    fn a_tiny_ratio_keeps_the_reserve_of_min_per_sec() {
        let policy = RetryPolicy::new()
            .max_retries(10)
            .budget(Duration::from_secs(10), 10, 1e-20);
        let granted = (0..1000)
            .filter(|_| decide(&policy, GET, Ok(response(503, None))).is_some())
            .count();
        assert_eq!(granted, 100, "ten retries a second over ten seconds");
    }

    #[test]
    fn out_of_range_budgets_are_clamped_not_panics() {
        let _ = RetryPolicy::new().budget(Duration::ZERO, u32::MAX, f32::NAN);
        let _ = RetryPolicy::new().budget(Duration::from_secs(3600), 0, -1.0);
        let _ = RetryPolicy::new().budget(Duration::from_secs(5), 1, 1e9);
    }

    proptest::proptest! {
        #[test]
        fn retry_after_never_panics_and_reads_seconds(
            value in proptest::prelude::any::<String>(),
            seconds in 0u64..10_000_000,
        ) {
            let mut response = Response::new(());
            if let Ok(header) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(RETRY_AFTER, header);
                let _ = retry_after(&response);
            }
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
            proptest::prop_assert_eq!(retry_after(&response), Some(Duration::from_secs(seconds)));
        }
    }
}
