//! What a test changes in one replica while it runs, a delay before each
//! answer and a [`Fault`], and what it reads back: the requests the
//! replica received.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use http::Method;

use crate::{
    Fault,
    fault::{Intercept, RouteFault},
    state::lock,
};

/// The run-time controls and counters of one replica.
#[derive(Default)]
pub(crate) struct Control {
    settings: Mutex<Settings>,
    received: Mutex<HashMap<(Method, String), usize>>,
}

#[derive(Default)]
struct Settings {
    fault: Option<Fault>,
    delay: Duration,
    /// Token checks since the fault was set, for [`Fault::Unauthorized`].
    token_checks: usize,
}

impl Control {
    pub(crate) fn fail(&self, fault: Fault) {
        let mut settings = lock(&self.settings);
        settings.fault = Some(fault);
        settings.token_checks = 0;
    }

    pub(crate) fn slow(&self, delay: Duration) {
        lock(&self.settings).delay = delay;
    }

    pub(crate) fn heal(&self) {
        *lock(&self.settings) = Settings::default();
    }

    pub(crate) fn delay(&self) -> Duration {
        lock(&self.settings).delay
    }

    /// What the fault does to a request before it is routed.
    pub(crate) fn intercept(&self) -> Option<Intercept> {
        lock(&self.settings).fault.as_ref()?.intercept()
    }

    /// What the fault does to a request routed to `/ping` or not, and
    /// whose token is about to be checked or not.
    pub(crate) fn on_route(&self, ping: bool, checks_token: bool) -> Option<RouteFault> {
        let mut guard = lock(&self.settings);
        let settings = &mut *guard;
        match settings.fault {
            Some(Fault::DatabaseDown) if !ping => Some(RouteFault::Internal),
            Some(Fault::Unauthorized { from }) if checks_token => {
                settings.token_checks += 1;
                (settings.token_checks >= from).then_some(RouteFault::Unauthorized)
            }
            _ => None,
        }
    }

    /// Counts a request read, by method and path as sent.
    pub(crate) fn count(&self, method: &Method, path: &str) {
        *lock(&self.received)
            .entry((method.clone(), path.to_owned()))
            .or_default() += 1;
    }

    pub(crate) fn received(&self) -> usize {
        lock(&self.received).values().sum()
    }

    pub(crate) fn received_for(&self, method: &Method, path: &str) -> usize {
        let key = (method.clone(), path.to_owned());
        lock(&self.received).get(&key).copied().unwrap_or(0)
    }
}
