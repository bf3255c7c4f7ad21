//! What the server remembers: tokens, instances and episodes, counters,
//! recorded requests.

use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use crate::{RecordedRequest, StandInBuilder, store::Store};

/// Shared by every connection of one server.
pub(crate) struct State {
    pub(crate) config: StandInBuilder,
    tokens: Mutex<HashMap<String, Vec<String>>>,
    store: Mutex<Store>,
    requests: Mutex<Vec<RecordedRequest>>,
    generated: AtomicUsize,
    connections: AtomicUsize,
    answered: AtomicUsize,
}

impl State {
    pub(crate) fn new(config: StandInBuilder) -> Self {
        Self {
            config,
            tokens: Mutex::default(),
            store: Mutex::default(),
            requests: Mutex::default(),
            generated: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
        }
    }

    /// Mints and stores a new token with roles `["user"]`.
    pub(crate) fn mint_token(&self) -> String {
        let token = uuid::Uuid::new_v4().to_string();
        if !self.config.forget_generated_tokens {
            self.insert_token(token.clone(), vec!["user".to_owned()]);
        }
        self.generated.fetch_add(1, Ordering::Relaxed);
        token
    }

    pub(crate) fn insert_token(&self, token: String, roles: Vec<String>) {
        lock(&self.tokens).insert(token, roles);
    }

    pub(crate) fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }

    pub(crate) fn roles(&self, token: &str) -> Option<Vec<String>> {
        lock(&self.tokens).get(token).cloned()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
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
        self.generated.load(Ordering::Relaxed)
    }
}

/// A panic elsewhere cannot leave a map half-written, so a poisoned lock is
/// still safe to use.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
