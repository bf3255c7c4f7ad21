//! What the server remembers: tokens, instances and episodes, recorded
//! requests, shared by every replica as the real server's replicas share
//! one MongoDB; and what each replica keeps for itself: its counters and
//! its inference worker.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{RecordedRequest, StandInBuilder, store::Store};

/// What every replica of one deployment sees: the database, and the
/// stand-in's record of what arrived.
#[derive(Default)]
pub(crate) struct Shared {
    tokens: Mutex<HashMap<String, Vec<String>>>,
    store: Mutex<Store>,
    requests: Mutex<Vec<RecordedRequest>>,
    generated: AtomicUsize,
}

/// One replica: the shared part, and what is its own.
pub(crate) struct State {
    pub(crate) config: StandInBuilder,
    shared: Arc<Shared>,
    /// Which replica of its deployment this is, from 0.
    #[cfg(feature = "cluster")]
    pub(crate) replica: usize,
    connections: AtomicUsize,
    answered: AtomicUsize,
    /// The one worker that runs inference and learning when they have a
    /// cost: a real server's Julia handler runs one model at a time.
    worker: Semaphore,
    #[cfg(feature = "cluster")]
    pub(crate) control: crate::control::Control,
}

impl State {
    /// A server of its own: a deployment of one replica.
    pub(crate) fn new(config: StandInBuilder) -> Self {
        Self::sharing(config, Arc::default())
    }

    fn sharing(config: StandInBuilder, shared: Arc<Shared>) -> Self {
        Self {
            config,
            shared,
            #[cfg(feature = "cluster")]
            replica: 0,
            connections: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            worker: Semaphore::new(1),
            #[cfg(feature = "cluster")]
            control: crate::control::Control::default(),
        }
    }

    /// Replica `replica` of the deployment that shares `shared`.
    #[cfg(feature = "cluster")]
    pub(crate) fn replica(config: StandInBuilder, shared: Arc<Shared>, replica: usize) -> Self {
        Self {
            replica,
            ..Self::sharing(config, shared)
        }
    }

    /// Mints and stores a new token with roles `["user"]`.
    pub(crate) fn mint_token(&self) -> String {
        let token = uuid::Uuid::new_v4().to_string();
        if !self.config.forget_generated_tokens {
            self.insert_token(token.clone(), vec!["user".to_owned()]);
        }
        self.shared.generated.fetch_add(1, Ordering::Relaxed);
        token
    }

    pub(crate) fn insert_token(&self, token: String, roles: Vec<String>) {
        self.shared.insert_token(token, roles);
    }

    pub(crate) fn revoke_tokens(&self) {
        self.shared.revoke_tokens();
    }

    pub(crate) fn roles(&self, token: &str) -> Option<Vec<String>> {
        lock(&self.shared.tokens).get(token).cloned()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.shared.store)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.shared.requests).push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Counts a request; whether it falls in the unavailable start.
    pub(crate) fn still_unavailable(&self) -> bool {
        self.answered.fetch_add(1, Ordering::Relaxed) < self.config.unavailable_for
    }

    pub(crate) fn count_connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn generated(&self) -> usize {
        self.shared.generated()
    }

    /// Waits for this replica's worker, then for the inference cost of the
    /// configuration; the worker stays
    /// taken until the returned permit is dropped. `None` at no cost: the
    /// work then runs at once, concurrently.
    pub(crate) async fn inference_turn(&self) -> Option<SemaphorePermit<'_>> {
        let cost = self.config.inference_cost;
        if cost.is_zero() {
            return None;
        }
        // The semaphore is never closed, so this always gets a permit.
        let permit = self.worker.acquire().await.ok()?;
        tokio::time::sleep(cost).await;
        Some(permit)
    }
}

impl Shared {
    pub(crate) fn insert_token(&self, token: String, roles: Vec<String>) {
        lock(&self.tokens).insert(token, roles);
    }

    pub(crate) fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub(crate) fn generated(&self) -> usize {
        self.generated.load(Ordering::Relaxed)
    }
}

/// A panic elsewhere cannot leave a map half-written, so a poisoned lock is
/// still safe to use.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
