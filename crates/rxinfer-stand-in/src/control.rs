//! What a test changes in one replica while it runs: a delay before each
//! answer, and a [`Fault`].

use std::{sync::Mutex, time::Duration};

use crate::{
    Fault,
    fault::{Intercept, RouteFault},
    state::lock,
};

/// The run-time controls of one replica.
#[derive(Default)]
pub(crate) struct Control {
    settings: Mutex<Settings>,
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
}
