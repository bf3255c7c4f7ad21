//! When to send a failed call again, how long to wait, and how many retries
//! the client as a whole may spend.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime},
};

use http::{Method, Request, Response, StatusCode, header::RETRY_AFTER};
use tokio::time::Sleep;
use tower::{
    retry::{
        Policy,
        budget::{Budget, TpsBudget},
    },
    util::rng::{HasherRng, Rng},
};

use crate::{Error, request_copy::copy};

/// The retry policy of the default stack, for tower's
/// [`Retry`](tower::retry::Retry) layer.
///
/// | outcome | retried for |
/// |---|---|
/// | [`Error::Connect`]: the request never left | every method, `POST` included |
/// | [`Error::Http`]: the connection dropped before an answer | idempotent methods (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`) |
/// | `429 Too Many Requests`, `503 Service Unavailable` | idempotent methods |
/// | anything else | never |
///
/// So `token_generate` (`POST`) is never sent twice once it may have reached
/// the server, where a second one could mint a second token.
///
/// Waits grow exponentially from [`base_delay`](Self::base_delay) with full
/// jitter; a `Retry-After` (seconds or an HTTP date) is honoured; either is
/// capped at [`max_delay`](Self::max_delay). A budget shared by all clones
/// (tower's [`TpsBudget`]: at least 10 retries a second, plus 20% of calls,
/// over 10 s) stops retries from multiplying load on a struggling server.
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
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Arc<TpsBudget>,
    // Per call: tower clones the policy for each request.
    retries: u32,
    rng: HasherRng,
}

impl RetryPolicy {
    /// Two retries, from 100 ms, capped at 5 s, with the default budget.
    pub fn new() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            budget: Arc::new(TpsBudget::default()),
            retries: 0,
            rng: HasherRng::default(),
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

    /// A budget of at least `min_per_sec` retries a second plus
    /// `retry_ratio` retries per call, over the last `ttl` (1 to 60 s).
    /// Values out of range are clamped.
    pub fn budget(mut self, ttl: Duration, min_per_sec: u32, retry_ratio: f32) -> Self {
        let ttl = ttl.clamp(Duration::from_secs(1), Duration::from_secs(60));
        let min_per_sec = min_per_sec.min(i32::MAX as u32 - 1);
        let retry_ratio = if retry_ratio.is_finite() {
            retry_ratio.clamp(0.0, 1000.0)
        } else {
            0.0
        };
        self.budget = Arc::new(TpsBudget::new(ttl, min_per_sec, retry_ratio));
        self
    }

    /// Whether the calls can be retried at all.
    pub fn is_enabled(&self) -> bool {
        self.max_retries > 0
    }

    /// How long to wait before retry number `self.retries + 1`, or `None`
    /// when the outcome is not worth retrying.
    fn wait_for<RB>(
        &self,
        method: &Method,
        result: &Result<Response<RB>, Error>,
    ) -> Option<Duration> {
        let idempotent = matches!(
            *method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        match result {
            Err(Error::Connect(_)) => Some(Duration::ZERO),
            Err(Error::Http(_)) if idempotent => Some(Duration::ZERO),
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

    /// Exponential backoff with full jitter: a uniform wait up to
    /// `base_delay * 2^retries`.
    fn backoff(&mut self) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(self.retries).unwrap_or(u32::MAX))
            .min(self.max_delay);
        ceiling.mul_f64(self.rng.next_f64())
    }
}

/// The wait a `Retry-After` header asks for, in seconds or as an HTTP date.
fn retry_after<RB>(response: &Response<RB>) -> Option<Duration> {
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

impl<B: Clone, RB> Policy<Request<B>, Response<RB>, Error> for RetryPolicy {
    type Future = Sleep;

    fn retry(
        &mut self,
        request: &mut Request<B>,
        result: &mut Result<Response<RB>, Error>,
    ) -> Option<Self::Future> {
        if self.retries == 0 {
            self.budget.deposit();
        }
        let asked = self.wait_for(request.method(), result)?;
        if self.retries >= self.max_retries || !self.budget.withdraw() {
            return None;
        }
        if self.retries == 0 {
            // Each call's policy is a clone, so its generator would repeat
            // every other call's draws; fresh keys decorrelate the jitter.
            self.rng = HasherRng::default();
        }
        let delay = asked.max(self.backoff()).min(self.max_delay);
        self.retries += 1;
        tracing::debug!(
            retry = self.retries,
            delay_ms = delay.as_millis() as u64,
            "retrying the call"
        );
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &Request<B>) -> Option<Request<B>> {
        self.is_enabled().then(|| copy(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn response(status: u16, retry_after: Option<&'static str>) -> Result<Response<()>, Error> {
        let mut response = Response::new(());
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
        if let Some(value) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static(value));
        }
        Ok(response)
    }

    fn decide(
        policy: &mut RetryPolicy,
        method: Method,
        mut result: Result<Response<()>, Error>,
    ) -> Option<Duration> {
        let mut request = Request::new(());
        *request.method_mut() = method;
        let sleep = Policy::retry(policy, &mut request, &mut result)?;
        Some(
            sleep
                .deadline()
                .saturating_duration_since(tokio::time::Instant::now()),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn what_is_retried_for_which_method() {
        let connect = || Err(Error::Connect("refused".into()));
        let dropped = || Err(Error::Http("closed".into()));
        let cases = [
            (Method::GET, connect(), true),
            (Method::POST, connect(), true),
            (Method::GET, dropped(), true),
            (Method::POST, dropped(), false),
            (Method::GET, response(503, None), true),
            (Method::GET, response(429, None), true),
            (Method::POST, response(503, None), false),
            (Method::GET, response(500, None), false),
            (Method::GET, response(200, None), false),
            (
                Method::GET,
                Err(Error::Timeout(Duration::from_secs(1))),
                false,
            ),
            (Method::GET, Err(Error::Tls("untrusted".into())), false),
        ];
        for (method, result, retried) in cases {
            let description = format!("{method} {result:?}");
            let mut policy = RetryPolicy::new();
            assert_eq!(
                decide(&mut policy, method, result).is_some(),
                retried,
                "{description}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_capped() {
        let mut policy = RetryPolicy::new().max_delay(Duration::from_secs(3));
        assert_eq!(
            decide(&mut policy, Method::GET, response(503, Some("2"))),
            Some(Duration::from_secs(2))
        );
        let mut policy = RetryPolicy::new().max_delay(Duration::from_secs(3));
        assert_eq!(
            decide(&mut policy, Method::GET, response(429, Some("120"))),
            Some(Duration::from_secs(3))
        );
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let mut response = response(503, None);
        if let Ok(r) = &mut response {
            r.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from_str(&in_a_minute).expect("date"),
            );
        }
        let mut policy = RetryPolicy::new().max_delay(Duration::from_secs(3));
        assert_eq!(
            decide(&mut policy, Method::GET, response),
            Some(Duration::from_secs(3))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_grows_with_jitter_and_stops_at_max_retries() {
        let mut policy = RetryPolicy::new()
            .max_retries(3)
            .base_delay(Duration::from_millis(100));
        let mut waits = Vec::new();
        while let Some(wait) = decide(&mut policy, Method::GET, response(503, None)) {
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

    #[tokio::test(start_paused = true)]
    async fn calls_draw_different_jitter() {
        let policy = RetryPolicy::new().base_delay(Duration::from_secs(1000));
        let waits: std::collections::HashSet<Duration> = (0..8)
            .filter_map(|_| decide(&mut policy.clone(), Method::GET, response(503, None)))
            .collect();
        // Eight uniform draws up to 1000 s: equal ones mean shared state.
        assert_eq!(waits.len(), 8, "{waits:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_budget_stops_retries() {
        let policy = RetryPolicy::new()
            .max_retries(10)
            .budget(Duration::from_secs(1), 0, 0.0);
        let mut one_call = policy.clone();
        assert!(decide(&mut one_call, Method::GET, response(503, None)).is_none());
    }

    #[test]
    fn a_disabled_policy_keeps_no_copy() {
        let mut policy = RetryPolicy::disabled();
        assert!(
            Policy::<Request<()>, Response<()>, Error>::clone_request(
                &mut policy,
                &Request::new(())
            )
            .is_none()
        );
    }

    #[test]
    fn out_of_range_budgets_are_clamped_not_panics() {
        let _ = RetryPolicy::new().budget(Duration::ZERO, u32::MAX, f32::NAN);
        let _ = RetryPolicy::new().budget(Duration::from_secs(3600), 0, -1.0);
        let _ = RetryPolicy::new().budget(Duration::from_secs(5), 1, 1e9);
    }
}
