//! One client over several replicas of the server that share one
//! database.
//!
//! [`Replicas`] is the set: its members, each one's health, and the policy
//! ([`HealthPolicy`]) that ejects and readmits them. It is a cheap handle:
//! members can be added and removed while calls run, and its
//! [`status`](Replicas::status) reports each one. As a tower layer it
//! makes [`Balanced`], the service that spreads calls over the members
//! with tower's power-of-two-choices balancer, weighing each by its
//! latency and calls in flight (tower's `PeakEwma`). Each member is an
//! `Endpoint` over a clone of the same inner service (the pool, with any
//! layers of yours), which rewrites the call's URL to its replica and
//! judges each answer ([`health`]).
//!
//! The set is addressed by its first URL: the transport's base URL. Calls
//! to that origin under that path are balanced; any other request goes to
//! the inner service as it is.

mod balanced;
mod endpoint;
mod health;
mod probe;

pub use balanced::{Balanced, BalancedFuture};
pub use health::{HealthPolicy, ReplicaState};

use std::{
    fmt,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use http::HeaderValue;
use tower::Layer;

use crate::{BaseUrl, Error, IntoBaseUrl};

pub(crate) use endpoint::ReplicaFailed;
pub(crate) use health::{Ejection, Health, Verdict};

/// A set of replicas of one server, sharing one database, for one client
/// to spread its calls over: a handle, cheap to clone, that every clone
/// and every client built over it shares.
///
/// ```
/// use rxinfer_transport::{Config, Replicas, Transport};
///
/// let replicas = Replicas::new(["http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1"])?;
/// let mut config = Config::default();
/// config.base_url = replicas.base_url().clone();
/// let transport = Transport::with_layer(config, replicas.clone())?.with_token("my-token")?;
/// replicas.insert("http://10.0.0.3:8000/v1")?;
/// assert_eq!(replicas.status().len(), 3);
/// # let _ = transport;
/// # Ok::<(), rxinfer_transport::Error>(())
/// ```
///
/// What it keeps true:
/// - one token serves every replica (it is one identity), and goes to no
///   other host;
/// - a call that may be sent again (the [`RetryPolicy`](crate::RetryPolicy)
///   says which) goes to another replica after a `5xx`, a dropped
///   connection or a replica it could not reach; a call that changes state
///   is never sent twice;
/// - a replica that answers `401` to a token another replica accepted,
///   which that replica still accepts when asked at once, reads another
///   database: it is ejected, the token is not renewed, and the call fails
///   with [`Error::ReplicaRejectedToken`] unless it may be sent again
///   elsewhere (when the other replica refuses it too, the database forgot
///   the token: the `401` is the call's answer);
/// - when no replica is ready, a call fails without being sent, with
///   [`Error::NoReplicaReady`], once the retry policy's attempts (each of
///   which fails at once, with no connection tried) are spent.
///
/// It does not order calls: one instance's calls still go one at a time
/// through its instance handle, above the transport.
#[derive(Clone)]
pub struct Replicas {
    shared: Arc<SetShared>,
}

/// What every handle, balancer and endpoint of one set reads.
pub(crate) struct SetShared {
    base: BaseUrl,
    policy: HealthPolicy,
    members: Mutex<Vec<Arc<Replica>>>,
    /// Bumped at each change of `members`, so that balancers see it with
    /// one atomic load.
    version: AtomicU64,
    next_id: AtomicU64,
    /// The last `Authorization` a replica accepted, for probes (marked
    /// sensitive).
    authorization: RwLock<Option<HeaderValue>>,
}

/// Starts probing a replica once it is ejected: made by the first
/// endpoint of the replica, over its inner service.
pub(crate) type Recover = Arc<dyn Fn() + Send + Sync>;

/// One member of the set.
pub(crate) struct Replica {
    pub(crate) id: u64,
    pub(crate) base: BaseUrl,
    /// The `Host` header for its origin.
    pub(crate) host: Option<HeaderValue>,
    pub(crate) health: Health,
    /// Set when it leaves the set: nothing is sent to it any more, probes
    /// included.
    removed: AtomicBool,
    recover: Mutex<Option<Recover>>,
}

impl Replica {
    pub(crate) fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    /// Keeps `recover` unless the replica has one already.
    pub(crate) fn offer_recovery(&self, recover: &Recover) {
        let mut kept = self.recover.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            *kept = Some(Arc::clone(recover));
        }
    }

    /// Starts probing when the replica is ejected and no probe runs (the
    /// last one's runtime may have ended).
    pub(crate) fn ensure_recovery(&self) {
        if self.is_removed() || !self.health.needs_recovery() {
            return;
        }
        let recover = self
            .recover
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(recover) = recover {
            recover();
        }
    }
}

/// One replica as [`Replicas::status`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicaStatus {
    /// Its base URL.
    pub url: BaseUrl,
    /// Whether it takes calls.
    pub state: ReplicaState,
    /// Attempts sent to it, probes aside: a call sent again elsewhere
    /// counts at each replica it reached.
    pub calls: u64,
    /// Attempts that failed: a `5xx`, a dropped connection, no connection.
    pub failures: u64,
    /// How many times it was ejected.
    pub ejections: u64,
}

impl Replicas {
    /// A set of the replicas at `urls`, with the default
    /// [`HealthPolicy`]. The first URL addresses the set: give it to the
    /// transport as its base URL (`ClientBuilder::build_replicas` does),
    /// else calls bypass the set. One server written twice is one member
    /// (see [`insert`](Self::insert)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] for a URL that cannot address a server,
    /// [`Error::NoReplicas`] for an empty list.
    pub fn new<I>(urls: I) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: IntoBaseUrl,
    {
        Self::with_policy(urls, HealthPolicy::new())
    }

    /// A set of the replicas at `urls`, judged by `policy`.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_policy<I>(urls: I, policy: HealthPolicy) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: IntoBaseUrl,
    {
        let urls = urls
            .into_iter()
            .map(IntoBaseUrl::into_base_url)
            .collect::<Result<Vec<_>, _>>()?;
        let base = urls.first().cloned().ok_or(Error::NoReplicas)?;
        let replicas = Self {
            shared: Arc::new(SetShared {
                base,
                policy,
                members: Mutex::default(),
                version: AtomicU64::new(0),
                next_id: AtomicU64::new(0),
                authorization: RwLock::default(),
            }),
        };
        for url in urls {
            replicas.insert(url)?;
        }
        Ok(replicas)
    }

    /// The URL that addresses the set: the first replica's. Use it as the
    /// transport's base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.shared.base
    }

    /// Adds the replica at `url`; `false` when it is a member already (the
    /// same scheme, host in any case, port, written or the scheme's
    /// default, and path: `http://a/v1/` is `http://A:80/v1`). Calls that
    /// start after this may go to it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] for a URL that cannot address a server.
    pub fn insert(&self, url: impl IntoBaseUrl) -> Result<bool, Error> {
        let base = url.into_base_url()?;
        let mut members = self.shared.members();
        if members
            .iter()
            .any(|member| same_server(&member.base, &base))
        {
            return Ok(false);
        }
        members.push(Arc::new(Replica {
            id: self.shared.next_id.fetch_add(1, Ordering::Relaxed),
            host: crate::transport::host(&base),
            base,
            health: Health::default(),
            removed: AtomicBool::new(false),
            recover: Mutex::new(None),
        }));
        self.shared.version.fetch_add(1, Ordering::Release);
        Ok(true)
    }

    /// Removes the replica at `url`; `false` when it is not a member.
    /// Calls already sent to it finish there; nothing else is sent to it,
    /// probes included. Inserted again, it starts with new counters.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidBaseUrl`] for a URL that cannot address a server.
    pub fn remove(&self, url: impl IntoBaseUrl) -> Result<bool, Error> {
        let url = &url.into_base_url()?;
        let mut members = self.shared.members();
        let before = members.len();
        members.retain(|member| {
            let keep = !same_server(&member.base, url);
            if !keep {
                member.removed.store(true, Ordering::Release);
                member.health.stop_recovery();
            }
            keep
        });
        let removed = members.len() != before;
        if removed {
            self.shared.version.fetch_add(1, Ordering::Release);
        }
        Ok(removed)
    }

    /// Each member, in the order they joined.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.shared
            .members()
            .iter()
            .map(|member| {
                let (calls, failures, ejections) = member.health.counts();
                ReplicaStatus {
                    url: member.base.clone(),
                    state: member.health.state(),
                    calls,
                    failures,
                    ejections,
                }
            })
            .collect()
    }

    /// The policy that judges the members.
    pub fn policy(&self) -> &HealthPolicy {
        &self.shared.policy
    }
}

impl SetShared {
    pub(crate) fn members(&self) -> MutexGuard<'_, Vec<Arc<Replica>>> {
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub(crate) fn base(&self) -> &BaseUrl {
        &self.base
    }

    pub(crate) fn policy(&self) -> &HealthPolicy {
        &self.policy
    }

    /// Whether any member takes calls.
    pub(crate) fn any_admitted(&self) -> bool {
        self.members()
            .iter()
            .any(|member| !member.health.is_ejected())
    }

    /// Whether `replica`, whose answers take `latency` seconds on average,
    /// is slower than the fastest other member by the policy's factor.
    pub(crate) fn is_slow(&self, replica: u64, latency: f64) -> bool {
        let fastest = self
            .members()
            .iter()
            .filter(|member| member.id != replica && !member.health.is_ejected())
            .filter_map(|member| member.health.latency())
            .min_by(f64::total_cmp);
        fastest.is_some_and(|fastest| latency > self.policy.slow_factor * fastest)
    }

    /// Notes that a replica accepted `value`, the token probes carry.
    pub(crate) fn note_accepted(&self, value: &HeaderValue) {
        let known = self
            .authorization
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|known| known.as_bytes() == value.as_bytes());
        if !known {
            let mut value = value.clone();
            value.set_sensitive(true);
            *self
                .authorization
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Some(value);
        }
    }

    /// The last `Authorization` a replica accepted, if any.
    pub(crate) fn authorization(&self) -> Option<HeaderValue> {
        self.authorization
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Another member in the set that last accepted `token`, the most
    /// recent first.
    pub(crate) fn accepted_elsewhere(&self, replica: u64, token: u64) -> Option<Arc<Replica>> {
        self.members()
            .iter()
            .filter(|member| member.id != replica && !member.health.is_ejected())
            .filter_map(|member| {
                let standing = member.health.token_standing()?;
                (standing.token == token && standing.accepts).then_some((standing.at, member))
            })
            .max_by_key(|(at, _)| *at)
            .map(|(_, member)| Arc::clone(member))
    }

    /// The database forgot `token`: no replica accepts it any more.
    pub(crate) fn forget_acceptances(&self, token: u64) {
        for member in self.members().iter() {
            member.health.forget_acceptance(token);
        }
    }

    /// Whether another member takes calls without suspicion.
    pub(crate) fn has_other_ready(&self, replica: u64) -> bool {
        self.members().iter().any(|member| {
            member.id != replica && !member.health.is_ejected() && !member.health.is_suspect()
        })
    }

    /// Starts probing every ejected member that has no probe running.
    pub(crate) fn ensure_recoveries(&self) {
        let members = self.members().clone();
        for member in members {
            member.ensure_recovery();
        }
    }
}

/// Whether two base URLs address one server: the same scheme, host (in
/// any case), port (the scheme's default when none is written) and path.
fn same_server(a: &BaseUrl, b: &BaseUrl) -> bool {
    let port = |base: &BaseUrl| {
        base.authority()
            .port_u16()
            .unwrap_or(if *base.scheme() == http::uri::Scheme::HTTPS {
                443
            } else {
                80
            })
    };
    a.scheme() == b.scheme()
        && a.authority()
            .host()
            .eq_ignore_ascii_case(b.authority().host())
        && port(a) == port(b)
        && a.path() == b.path()
}

impl<S> Layer<S> for Replicas {
    type Service = Balanced<S>;

    fn layer(&self, inner: S) -> Balanced<S> {
        Balanced::new(Arc::clone(&self.shared), inner)
    }
}

impl fmt::Debug for Replicas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replicas")
            .field("base", &self.shared.base)
            .field("members", &self.status())
            .finish_non_exhaustive()
    }
}
