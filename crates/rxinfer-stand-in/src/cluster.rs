//! Replicas sharing one store, as RxInferServer scales out: each replica is
//! a process of its own, and all of them read and write one MongoDB, so
//! any replica can serve any call.
//!
//! How the pieces fit: a [`StandInCluster`] binds `n` [`Server`]s, one per
//! replica, whose [`State`]s share one [`Shared`] (tokens, store, recorded
//! requests) and keep their own counters, worker and
//! [`Control`](crate::control::Control) (delay, [`Fault`], requests
//! received). A [`Replica`] is a cheap handle on one server: stopping it
//! kills the server's run, restarting it binds the same address again
//! and serves the same state. The faults themselves act in the server
//! (before routing) and in the routes (once the route is known); see
//! [`crate::fault`].

use std::{collections::HashSet, io, net::SocketAddr, sync::Arc, time::Duration};

use http::{Method, header::AUTHORIZATION};

use crate::{
    Fault, RecordedRequest, StandInBuilder,
    server::{Server, Stop},
    state::{Shared, State},
};

/// Replicas of one stand-in deployment, sharing tokens and the store as
/// RxInferServer's replicas share one MongoDB. Each replica listens on a
/// port of its own; the cluster stops on [`shutdown`](Self::shutdown), or
/// when it and every [`Replica`] handle are dropped.
///
/// Started with [`StandInCluster::start`] or
/// [`StandInBuilder::start_cluster`]; every replica has the builder's
/// options. Give a client [`urls`](Self::urls), then stop, slow or fail
/// [replicas](Self::replicas) while it runs, and assert on what it
/// reported and on where its calls went.
///
/// ```
/// # tokio_test::block_on(async {
/// use std::time::Duration;
///
/// use rxinfer_stand_in::{Fault, StandIn};
/// use tokio::{
///     io::{AsyncReadExt, AsyncWriteExt},
///     net::TcpStream,
/// };
///
/// let cluster = StandIn::builder()
///     .record_requests(true)
///     .inference_cost(Duration::from_millis(5)) // one at a time per replica
///     .start_cluster(2)
///     .await?;
/// cluster.insert_token("known", ["user"]); // valid on every replica
/// let (first, second) = (&cluster.replicas()[0], &cluster.replicas()[1]);
///
/// first.stop().await; // refused, as a killed process
/// assert!(TcpStream::connect(first.addr()).await.is_err());
/// second.fail(Fault::DatabaseDown); // `/ping` ok, everything else a bare 500
///
/// // Run the client against `cluster.urls()`; here, a ping by hand.
/// let mut stream = TcpStream::connect(second.addr()).await?;
/// let ping = "GET /v1/ping HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
/// stream.write_all(ping.as_bytes()).await?;
/// let mut answer = String::new();
/// stream.read_to_string(&mut answer).await?;
/// assert!(answer.starts_with("HTTP/1.1 200 OK"));
/// assert_eq!(second.requests_received(), 1);
///
/// first.restart().await?; // the same URL, the same data
/// second.heal();
/// assert!(cluster.duplicated_state_changes().is_empty());
/// cluster.shutdown().await;
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub struct StandInCluster {
    replicas: Vec<Replica>,
    shared: Arc<Shared>,
}

impl StandInCluster {
    /// Starts `replicas` stand-ins with the defaults (routes under `/v1`,
    /// no development token, no recording), sharing one store.
    ///
    /// # Errors
    ///
    /// When `replicas` is 0 ([`InvalidInput`](io::ErrorKind::InvalidInput)),
    /// or a socket cannot be bound.
    pub async fn start(replicas: usize) -> io::Result<Self> {
        StandInBuilder::default().start_cluster(replicas).await
    }

    pub(crate) async fn bind(config: StandInBuilder, replicas: usize) -> io::Result<Self> {
        if replicas == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a stand-in cluster needs at least one replica",
            ));
        }
        let shared = Arc::<Shared>::default();
        let mut started = Vec::with_capacity(replicas);
        for index in 0..replicas {
            // One port cannot serve two replicas: the others take free ones.
            let port = if index == 0 { config.port } else { 0 };
            let state = State::replica(config.clone(), Arc::clone(&shared), index);
            let server = Server::bind(state, port).await?;
            started.push(Replica {
                server: Arc::new(server),
            });
        }
        Ok(Self {
            replicas: started,
            shared,
        })
    }

    /// The replicas, in the order they were started: `replicas()[i]` has
    /// [`index`](Replica::index) `i`.
    pub fn replicas(&self) -> &[Replica] {
        &self.replicas
    }

    /// Every replica's base URL, in order, as a client configured with
    /// several servers takes them.
    pub fn urls(&self) -> Vec<String> {
        self.replicas.iter().map(|r| r.url().to_owned()).collect()
    }

    /// Stores `token` as valid, with `roles`, for every replica.
    pub fn insert_token<I, R>(&self, token: &str, roles: I)
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let roles = roles.into_iter().map(Into::into).collect();
        self.shared.insert_token(token.to_owned(), roles);
    }

    /// Forgets every token, as when they all expire: each is then answered
    /// with `401` by every replica.
    pub fn revoke_tokens(&self) {
        self.shared.revoke_tokens();
    }

    /// How many tokens the replicas have minted, together.
    pub fn tokens_generated(&self) -> usize {
        self.shared.generated()
    }

    /// The requests every replica received so far, when
    /// [recording](StandInBuilder::record_requests) is on, in the order
    /// they were handled; [`RecordedRequest::replica`] says which replica
    /// got each.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// The recorded requests that change state (`POST`, `PUT`, `PATCH`,
    /// `DELETE`) and repeat an earlier one: the same method, path and
    /// query, `Authorization` and body, on whichever replicas. A client
    /// that re-sends a call after a lost answer or a failover shows here;
    /// an empty list means no state change arrived twice. Each repeat is
    /// listed once per extra arrival, in the order handled, with the
    /// replica that got it. Empty unless
    /// [recording](StandInBuilder::record_requests) is on.
    ///
    /// The token is part of the comparison so that two clients making the
    /// same call are not one client repeating it; a token generation
    /// without a token is the same request whoever sends it, so leave
    /// `/token/generate` out when several clients generate tokens.
    pub fn duplicated_state_changes(&self) -> Vec<RecordedRequest> {
        let requests = self.requests();
        let mut seen = HashSet::new();
        requests
            .iter()
            .filter(|r| changes_state(&r.method))
            .filter(|r| {
                let token = r.headers.get(AUTHORIZATION);
                !seen.insert((&r.method, &r.uri, token, &r.body))
            })
            .cloned()
            .collect()
    }

    /// Stops every replica as [`StandIn::shutdown`](crate::StandIn::shutdown)
    /// does, and returns when all are gone.
    pub async fn shutdown(self) {
        for replica in &self.replicas {
            replica.server.stop(Stop::Graceful).await;
        }
    }
}

fn changes_state(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

impl std::fmt::Debug for StandInCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandInCluster")
            .field("replicas", &self.replicas)
            .finish_non_exhaustive()
    }
}

/// One replica of a [`StandInCluster`]: a cheap handle, cloned to control
/// the replica from another task. What it serves is shared with the other
/// replicas; its port, URL and counters are its own.
#[derive(Clone)]
#[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
pub struct Replica {
    server: Arc<Server>,
}

impl Replica {
    /// Which replica this is: its place in
    /// [`StandInCluster::replicas`], from 0.
    pub fn index(&self) -> usize {
        self.server.state().replica
    }

    /// The base URL of the API on this replica, such as
    /// `http://127.0.0.1:41234/v1`; the same after a
    /// [`restart`](Self::restart).
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The socket address the replica listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// How many requests the replica has read, over all its runs, whatever
    /// it answered: one it dropped under a [`Fault`], or abandoned when
    /// [stopped](Self::stop), counts too.
    pub fn requests_received(&self) -> usize {
        self.server.state().control.received()
    }

    /// How many of the [received](Self::requests_received) requests had
    /// `method` and `path`: the path as sent, base path included and query
    /// left out (`/v1/models/i/ID/infer`).
    pub fn requests_received_for(&self, method: &Method, path: &str) -> usize {
        self.server.state().control.received_for(method, path)
    }

    /// How many TCP connections the replica has accepted, over all its
    /// runs.
    pub fn connections_accepted(&self) -> usize {
        self.server.state().connections()
    }

    /// Stops the replica as a killed process stops: the port refuses
    /// connections, every open connection is closed without an answer, and
    /// handlers in flight are abandoned where they stand (what they stored
    /// stays stored). Returns when every socket is closed; does nothing to
    /// a stopped replica.
    pub async fn stop(&self) {
        self.server.stop(Stop::Kill).await;
    }

    /// Serves again on the same port, with everything the cluster stores
    /// still there, as a restarted process finds the database; a running
    /// replica is [stopped](Self::stop) first. Its counters keep counting.
    ///
    /// # Errors
    ///
    /// When the port cannot be bound again, after retrying for about a
    /// second while it is busy.
    pub async fn restart(&self) -> io::Result<()> {
        self.server.restart().await
    }

    /// Makes the replica fail as `fault` says from its next request on,
    /// replacing any earlier fault, until [`heal`](Self::heal). Requests
    /// already being handled are not affected.
    pub fn fail(&self, fault: Fault) {
        self.server.state().control.fail(fault);
    }

    /// Delays each answer by `delay` from the next request on, before any
    /// fault applies and on top of any
    /// [inference cost](StandInBuilder::inference_cost), as a replica on
    /// an overloaded machine, until [`heal`](Self::heal).
    pub fn slow(&self, delay: Duration) {
        self.server.state().control.slow(delay);
    }

    /// Clears the fault and the delay: the replica serves as it started.
    pub fn heal(&self) {
        self.server.state().control.heal();
    }
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("index", &self.index())
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}
