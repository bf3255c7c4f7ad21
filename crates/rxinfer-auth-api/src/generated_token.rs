//! A token the client generates by itself, once, keeps in a store if it
//! has one, and replaces (when allowed, and never silently) when the
//! server rejects it.

use std::{
    fmt,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use http_body::Body;
use rxinfer_api_core::ApiService;
use rxinfer_transport::{
    BaseUrl, BearerToken, Error, Fingerprint, OnUnauthorized, SharedError, TokenFuture, TokenSource,
};
use tokio::sync::watch;

use crate::{AuthenticationApi, TokenStore, origin_of};

/// A token was replaced: the server rejected `old` (`401`) and `new` was
/// generated. On RxInferServer they are two identities: `new` cannot reach
/// the instances `old` created. Only fingerprints, never the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenReplaced {
    /// The rejected token's fingerprint.
    pub old: Fingerprint,
    /// The new token's fingerprint.
    pub new: Fingerprint,
}

impl TokenReplaced {
    /// The replacement of `old` by `new`.
    pub fn new(old: Fingerprint, new: Fingerprint) -> Self {
        Self { old, new }
    }
}

/// What the application is told of each replacement.
type Hook = Arc<dyn Fn(TokenReplaced) + Send + Sync>;

/// A [`TokenSource`] that calls `token_generate` the first time a token is
/// needed and keeps the result; with a [`TokenStore`]
/// ([`with_store`](Self::with_store)) it first loads the token kept for the
/// server, and saves the one it generates.
///
/// **Renewal.** RxInferServer never expires a token, so a `401` means the
/// server's database does not know it, and a new token is a new identity
/// that cannot reach the old one's instances. Without a store, a rejected
/// token is replaced by default (the program had no identity worth
/// keeping); with a store, never, unless
/// [`renew_on_unauthorized`](Self::renew_on_unauthorized) allows it, and
/// then the store is updated. Every replacement is reported: a `tracing`
/// warning with both tokens' fingerprints, the
/// [`on_replaced`](Self::on_replaced) hook, and the
/// [`replacements`](TokenSource::replacements) count.
///
/// Generation is single-flight and its outcome is shared: any number of
/// calls waiting for a token cause one `token_generate`, and they all get
/// its outcome, its failure included (a call that starts after a failure
/// tries again). When the server answers `401` to the token, it is dropped,
/// one new token is generated (single-flight again) and the call is sent
/// once more. A failure is a
/// [`TokenAcquisition`](rxinfer_transport::Error::TokenAcquisition) error,
/// which no retry re-sends, so `token_generate` is never sent again by a
/// retry of the call that needed the token.
///
/// ```no_run
/// use std::sync::Arc;
/// use rxinfer_auth_api::{AuthenticationApi, GeneratedToken};
/// use rxinfer_transport::{Config, Transport};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let anonymous = Transport::new(Config::default())?;
/// let source = GeneratedToken::new(AuthenticationApi::new(anonymous.clone()));
/// let transport = anonymous.with_token_source(Arc::new(source));
/// // The first call generates the token.
/// let roles = AuthenticationApi::new(transport).token_roles().await?;
/// # Ok(())
/// # }
/// ```
pub struct GeneratedToken<S> {
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    api: AuthenticationApi<S>,
    state: Mutex<State>,
    /// The store and the origin its token is kept under.
    store: Option<(Arc<dyn TokenStore>, String)>,
    /// Whether a rejected token is replaced; `None`: the default (yes
    /// without a store, no with one).
    renew: Option<bool>,
    /// The token the server rejected, until a generation replaces it (the
    /// generation then neither loads the store, which holds it, nor
    /// replaces silently).
    rejected: Mutex<Option<BearerToken>>,
    replaced: AtomicU64,
    hook: Option<Hook>,
}

type Outcome = Result<BearerToken, SharedError>;

/// One generation: every caller that waits on it gets its outcome. It runs
/// in a task of its own, so that a caller giving up (its deadline, a dropped
/// future) neither aborts a `POST` that may have reached the server nor
/// makes the next caller send another.
type Generation = Arc<watch::Receiver<Option<Outcome>>>;

/// Where a new generation's task reports its outcome.
type Report = watch::Sender<Option<Outcome>>;

/// The outcome of `generation`, if it has one.
fn outcome(generation: &Generation) -> Option<Outcome> {
    generation.borrow().clone()
}

enum State {
    Empty,
    Held(BearerToken),
    Generating(Generation),
}

impl<S> GeneratedToken<S> {
    /// Generates tokens through `api`, whose service should send no token
    /// (`token_generate` never sends one anyway).
    pub fn new(api: AuthenticationApi<S>) -> Self {
        Self {
            shared: Arc::new(Shared {
                api,
                state: Mutex::new(State::Empty),
                store: None,
                renew: None,
                rejected: Mutex::new(None),
                replaced: AtomicU64::new(0),
                hook: None,
            }),
        }
    }

    /// How many rejected tokens this source has replaced.
    pub fn replacements(&self) -> u64 {
        self.shared.replaced.load(Ordering::Relaxed)
    }
}

impl<S: Clone> GeneratedToken<S> {
    /// A new source with `change` made to the settings of this one, and no
    /// token yet.
    fn configured(&self, change: impl FnOnce(&mut Shared<S>)) -> Self {
        let old = &self.shared;
        let mut shared = Shared {
            api: old.api.clone(),
            state: Mutex::new(State::Empty),
            store: old.store.clone(),
            renew: old.renew,
            rejected: Mutex::new(None),
            replaced: AtomicU64::new(0),
            hook: old.hook.clone(),
        };
        change(&mut shared);
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Keeps the token in `store`, under `base`'s origin: the first call
    /// loads the token kept there, or generates one and saves it, so the
    /// program keeps its identity (and reaches its instances) across
    /// restarts. A rejected token is then not replaced unless
    /// [`renew_on_unauthorized`](Self::renew_on_unauthorized) says so.
    pub fn with_store(&self, store: Arc<dyn TokenStore>, base: &BaseUrl) -> Self {
        self.configured(|shared| shared.store = Some((store, origin_of(base))))
    }

    /// Whether a token the server rejects (`401`) is replaced by a new one
    /// and the call sent once more (default: yes without a store, no with
    /// one). With a store, the new token is saved over the old.
    pub fn renew_on_unauthorized(&self, renew: bool) -> Self {
        self.configured(|shared| shared.renew = Some(renew))
    }

    /// Calls `hook` with each replacement, after it is made.
    pub fn on_replaced(&self, hook: impl Fn(TokenReplaced) + Send + Sync + 'static) -> Self {
        self.configured(|shared| shared.hook = Some(Arc::new(hook)))
    }
}

impl<S> Shared<S> {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn rejected(&self) -> MutexGuard<'_, Option<BearerToken>> {
        self.rejected.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn renews(&self) -> bool {
        self.renew.unwrap_or(self.store.is_none())
    }

    /// Tells the log, the counter and the hook that `old` was replaced.
    fn report(&self, old: &BearerToken, new: &BearerToken) {
        let replaced = TokenReplaced::new(old.fingerprint(), new.fingerprint());
        self.replaced.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            old = %replaced.old,
            new = %replaced.new,
            "the server rejected the token; a new one replaces it, which cannot reach \
             the instances the old one created"
        );
        if let Some(hook) = &self.hook {
            // A hook that panics must not undo the replacement it reports.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(replaced)));
        }
    }

    fn current(&self) -> Option<BearerToken> {
        match &*self.state() {
            State::Held(token) => Some(token.clone()),
            State::Generating(generation) => match outcome(generation) {
                Some(Ok(token)) => Some(token),
                _ => None,
            },
            State::Empty => None,
        }
    }

    /// The token, or the generation to wait on: the one in flight, or a new
    /// one when there is none (or the last one failed), with the sender its
    /// task reports through.
    fn token_or_generation(&self) -> Result<BearerToken, (Generation, Option<Report>)> {
        let mut state = self.state();
        match &*state {
            State::Held(token) => return Ok(token.clone()),
            State::Generating(generation) => match outcome(generation) {
                // A closed channel with no outcome: the runtime that ran
                // the generation ended under it. A new one starts here, on
                // the caller's runtime.
                None if generation.has_changed().is_err() => {}
                None => return Err((Arc::clone(generation), None)),
                Some(Ok(token)) => return Ok(token),
                Some(Err(_)) => {}
            },
            State::Empty => {}
        }
        let (report, generation) = watch::channel(None);
        let generation = Arc::new(generation);
        *state = State::Generating(Arc::clone(&generation));
        Err((generation, Some(report)))
    }

    /// Keeps `token` once `generation` produced it, unless a newer
    /// generation has started since.
    fn hold(&self, generation: &Generation, token: &BearerToken) {
        let mut state = self.state();
        if matches!(&*state, State::Generating(current) if Arc::ptr_eq(current, generation)) {
            *state = State::Held(token.clone());
        }
    }

    /// Drops `rejected` if it is still the token in use (a newer one
    /// another call already generated is kept), and remembers it for the
    /// generation that replaces it.
    fn drop_token(&self, rejected: &BearerToken) {
        let mut state = self.state();
        let in_use = match &*state {
            State::Held(token) => token == rejected,
            State::Generating(generation) => {
                matches!(outcome(generation), Some(Ok(token)) if token == *rejected)
            }
            State::Empty => false,
        };
        if in_use {
            *state = State::Empty;
            *self.rejected() = Some(rejected.clone());
        }
    }
}

impl<S> Shared<S>
where
    S: ApiService,
{
    /// The token kept in the store, or else (and always when replacing
    /// `rejected`) a new one, saved to the store.
    async fn obtain(&self, rejected: Option<BearerToken>) -> Result<BearerToken, SharedError> {
        if let (Some((store, origin)), None) = (&self.store, &rejected) {
            if let Some(kept) = store.load(origin).await.map_err(SharedError::new)? {
                tracing::debug!(token = %kept.fingerprint(), "using the kept token");
                return Ok(kept);
            }
        }
        let token = self.generate().await?;
        if let Some((store, origin)) = &self.store {
            store.save(origin, &token).await.map_err(SharedError::new)?;
        }
        if let Some(old) = rejected {
            // Forgotten only once replaced: a generation that failed, or
            // was abandoned, leaves it for the next one to report.
            let mut still = self.rejected();
            if still.as_ref() == Some(&old) {
                *still = None;
            }
            drop(still);
            self.report(&old, &token);
        }
        Ok(token)
    }

    async fn generate(&self) -> Result<BearerToken, SharedError> {
        tracing::debug!("generating a token");
        let generated = self.api.token_generate().await.map_err(SharedError::new)?;
        // Wrapped once, in `fetch`: the chain reads "no token could be
        // obtained", then why.
        BearerToken::new(generated.token.expose()).map_err(SharedError::new)
    }
}

impl<S> Clone for GeneratedToken<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S> fmt::Debug for GeneratedToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.shared.current().is_some() {
            "held"
        } else {
            "none yet"
        };
        f.debug_struct("GeneratedToken")
            .field("token", &format_args!("<{state}>"))
            .finish()
    }
}

impl<S> TokenSource for GeneratedToken<S>
where
    S: ApiService + Send + Sync,
    S::Future: Send,
    S::ResponseBody: Send,
    <S::ResponseBody as Body>::Data: Send,
{
    fn current(&self) -> Option<BearerToken> {
        self.shared.current()
    }

    fn fetch(&self) -> TokenFuture {
        let shared = Arc::clone(&self.shared);
        Box::pin(async move {
            // A generation abandoned by its runtime is started once more,
            // here; a second abandonment is this runtime's own shutdown.
            for _ in 0..2 {
                let (generation, report) = match shared.token_or_generation() {
                    Ok(token) => return Ok(token),
                    Err(waiting) => waiting,
                };
                if let Some(report) = report {
                    // Started before this future can be dropped, so the
                    // generation runs exactly once whatever its callers do.
                    let generating = Arc::clone(&shared);
                    let rejected = shared.rejected().clone();
                    tokio::spawn(async move {
                        report.send_replace(Some(generating.obtain(rejected).await));
                    });
                }
                let mut waiting = (*generation).clone();
                let finished = waiting.wait_for(Option::is_some).await.map(|o| o.clone());
                match finished {
                    Ok(Some(Ok(token))) => {
                        shared.hold(&generation, &token);
                        return Ok(token);
                    }
                    Ok(Some(Err(error))) => {
                        return Err(Error::TokenAcquisition(Box::new(error)));
                    }
                    // The runtime that ran it shut down under it.
                    Ok(None) | Err(_) => continue,
                }
            }
            Err(Error::TokenAcquisition(
                "the token generation was abandoned: its runtime shut down".into(),
            ))
        })
    }

    fn on_unauthorized(&self, rejected: &BearerToken) -> OnUnauthorized {
        if !self.shared.renews() {
            return OnUnauthorized::Return;
        }
        self.shared.drop_token(rejected);
        OnUnauthorized::RenewAndResend
    }

    fn replacements(&self) -> u64 {
        GeneratedToken::replacements(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, Response};
    use rxinfer_transport::{RequestBody, ResponseBody};
    use std::{
        convert::Infallible,
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };
    use tower::{Service, service_fn};

    /// A token_generate endpoint that counts calls and answers `t1`, `t2`,
    /// ..., or `400` when `fail` says so.
    fn counting(
        calls: Arc<AtomicUsize>,
        fail: fn(usize) -> bool,
    ) -> GeneratedToken<
        impl Service<
            Request<RequestBody>,
            Response = Response<ResponseBody>,
            Error = Infallible,
            Future = impl Send,
        > + Clone
        + Send
        + Sync,
    > {
        GeneratedToken::new(AuthenticationApi::new(service_fn(
            move |_: Request<RequestBody>| {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let mut response =
                        Response::new(ResponseBody::from(format!(r#"{{"token":"t{n}"}}"#)));
                    if fail(n) {
                        *response.status_mut() = http::StatusCode::BAD_REQUEST;
                    }
                    Ok::<_, Infallible>(response)
                }
            },
        )))
    }

    #[tokio::test]
    async fn concurrent_fetches_share_one_generation() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls), |_| false);
        let fetches: Vec<_> = (0..100).map(|_| tokio::spawn(source.fetch())).collect();
        for fetch in fetches {
            assert_eq!(fetch.await.expect("task")?, BearerToken::new("t1")?);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(source.current(), Some(BearerToken::new("t1")?));
        Ok(())
    }

    #[tokio::test]
    async fn a_failed_generation_is_shared_then_tried_again() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls), |n| n == 1);
        let fetches: Vec<_> = (0..20).map(|_| tokio::spawn(source.fetch())).collect();
        for fetch in fetches {
            let outcome = fetch.await.expect("task");
            assert!(
                matches!(outcome, Err(Error::TokenAcquisition(_))),
                "{outcome:?}"
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A call that starts after the failure generates again.
        assert_eq!(source.fetch().await?, BearerToken::new("t2")?);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }

    #[tokio::test]
    async fn renewal_drops_only_the_rejected_token() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls), |_| false);
        let first = source.fetch().await?;
        assert_eq!(
            source.on_unauthorized(&BearerToken::new("stale")?),
            OnUnauthorized::RenewAndResend
        );
        assert_eq!(source.current(), Some(first.clone()));
        source.on_unauthorized(&first);
        assert_eq!(source.current(), None);
        assert_eq!(source.fetch().await?, BearerToken::new("t2")?);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }

    /// A generation whose runtime ends while it is in flight is started
    /// again by the next call, on that call's runtime (before: every later
    /// call failed at once with "the token generation was abandoned").
    #[test]
    fn a_generation_abandoned_by_its_runtime_is_started_again() -> Result<(), Error> {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a runtime")
        };
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls), |_| false);
        let first = runtime();
        first.block_on(async {
            let fetch = source.fetch();
            let gave_up = tokio::time::timeout(Duration::from_millis(2), fetch).await;
            assert!(gave_up.is_err(), "the generation takes 10 ms");
        });
        drop(first);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the first one was sent");
        let token = runtime().block_on(source.fetch())?;
        assert_eq!(token, BearerToken::new("t2")?);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        Ok(())
    }

    /// A generation that fails after a rejection leaves the rejected token
    /// for the next one, which reports the replacement (before: the next
    /// replaced it silently).
    #[tokio::test]
    async fn a_replacement_after_a_failed_generation_is_still_reported() -> Result<(), Error> {
        let calls = Arc::new(AtomicUsize::new(0));
        let source = counting(Arc::clone(&calls), |n| n == 2);
        let first = source.fetch().await?;
        source.on_unauthorized(&first);
        assert!(source.fetch().await.is_err(), "the second generation fails");
        assert_eq!(source.replacements(), 0);
        let third = source.fetch().await?;
        assert_eq!(third, BearerToken::new("t3")?);
        assert_eq!(source.replacements(), 1, "reported");
        Ok(())
    }

    #[tokio::test]
    async fn debug_hides_the_token() -> Result<(), Error> {
        let source = counting(Arc::default(), |_| false);
        assert_eq!(
            format!("{source:?}"),
            "GeneratedToken { token: <none yet> }"
        );
        source.fetch().await?;
        assert_eq!(format!("{source:?}"), "GeneratedToken { token: <held> }");
        Ok(())
    }
}
