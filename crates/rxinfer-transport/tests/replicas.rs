//! A replica set over real sockets: calls spread over replicas, a replica
//! that fails, drops connections, cannot be reached, rejects the token or
//! lost its database leaves the set, and comes back only after a probe
//! that reads the database; calls that change state are never sent twice.

mod support;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use http::{Method, Request, StatusCode};
use rxinfer_transport::{
    Config, Error, HealthPolicy, Operation, ReplicaState, Replicas, RequestBody, RetryPolicy,
    Transport,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tower::{Service, ServiceExt};

const TOKEN: &str = "0f2b6d0e-6a0e-4c53-9a59-3a1f6f7d1c11";
const PROBE_PATH: &str = "/models/i/00000000-0000-4000-8000-000000000000";

/// How a test replica answers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Serving,
    /// `500`, empty, connection closed: a handler that threw.
    Failing,
    /// The connection closes with no answer.
    Dropping,
    /// `401` to every token: it reads another database.
    ForeignDatabase,
    /// `/ping` answers, everything else is a bare `500`.
    DatabaseDown,
    /// Reads the request and never answers, holding the connection open: a
    /// process stuck on a lock, or a black-holed network path.
    Hanging,
    /// Serves reads; answers each `POST` with the bare `500` the real server
    /// sends for a malformed body (models-api-behaviour.md §1): the
    /// request's fault, not the replica's.
    ChangesAre500,
    /// Knows only `TOKEN`: serves it at once, and answers any other token
    /// with `401` after 300 ms. Every replica of one database does this.
    KnowsOnlyTheToken,
    /// Waits 300 ms, then answers a bare `500`; probes too.
    SlowlyFailing,
}

/// What a replica saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    host: Option<String>,
    authorization: Option<String>,
}

/// A replica on 127.0.0.1 that can be switched, stopped and restarted on
/// its port.
struct TestReplica {
    addr: SocketAddr,
    base_path: &'static str,
    mode: Arc<Mutex<Mode>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: Option<JoinHandle<()>>,
}

impl TestReplica {
    async fn start(base_path: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut replica = Self {
            addr: listener.local_addr().expect("address"),
            base_path,
            mode: Arc::new(Mutex::new(Mode::Serving)),
            seen: Arc::default(),
            task: None,
        };
        replica.serve(listener);
        replica
    }

    fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.base_path)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    /// Calls seen, probes aside.
    fn calls(&self) -> usize {
        self.seen()
            .iter()
            .filter(|seen| !seen.path.ends_with(PROBE_PATH))
            .count()
    }

    fn probes(&self) -> usize {
        self.seen().len() - self.calls()
    }

    /// Stops listening and drops every open connection: a killed process.
    fn kill(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    async fn restart(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("bind again");
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let (mode, seen) = (Arc::clone(&self.mode), Arc::clone(&self.seen));
        self.task = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((socket, _)) = listener.accept().await {
                connections.spawn(answer(socket, Arc::clone(&mode), Arc::clone(&seen)));
            }
        }));
    }
}

impl Drop for TestReplica {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn answer(mut socket: TcpStream, mode: Arc<Mutex<Mode>>, seen: Arc<Mutex<Vec<Seen>>>) {
    let head = support::read_head(&mut socket).await;
    let header = |name: &str| {
        head.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().to_owned())
    };
    let length: usize = header("content-length")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = socket.read_exact(&mut body).await;
    let mut line = head.lines().next().unwrap_or_default().split(' ');
    let path = line.nth(1).unwrap_or_default();
    seen.lock().expect("seen").push(Seen {
        path: path.to_owned(),
        host: header("host"),
        authorization: header("authorization"),
    });
    let mode = *mode.lock().expect("mode");
    let authorization = header("authorization");
    if path.ends_with("/slow") {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    if path.ends_with("/expensive") {
        // An inference, say: seconds where a lookup takes milliseconds.
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let reply = match mode {
        Mode::Dropping => return,
        Mode::Hanging => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Mode::ChangesAre500 if head.starts_with("POST") => bare(500),
        Mode::KnowsOnlyTheToken if authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            json(401, r#"{"error":"Unauthorized","message":"no"}"#)
        }
        Mode::SlowlyFailing => {
            tokio::time::sleep(Duration::from_millis(300)).await;
            bare(500)
        }
        Mode::Failing => bare(500),
        Mode::ForeignDatabase => json(401, r#"{"error":"Unauthorized","message":"no"}"#),
        Mode::DatabaseDown if !path.ends_with("/ping") => bare(500),
        // As the server: a token it does not know is refused first.
        _ if path.ends_with(PROBE_PATH)
            && authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) =>
        {
            json(401, r#"{"error":"Unauthorized","message":"no"}"#)
        }
        _ if path.ends_with(PROBE_PATH) => json(404, r#"{"error":"Not Found","message":"no"}"#),
        _ => json(200, r#"{"roles":["user"]}"#),
    };
    let _ = socket.write_all(reply.as_bytes()).await;
    let _ = socket.shutdown().await;
}

fn bare(status: u16) -> String {
    format!("HTTP/1.1 {status} Oops\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
}

fn json(status: u16, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A policy quick enough for tests.
fn quick() -> HealthPolicy {
    HealthPolicy::new()
        .failures_to_eject(2)
        .suspect_for(Duration::from_secs(5))
        .ejection(Duration::from_millis(50), Duration::from_millis(200))
        .probe_timeout(Duration::from_millis(500))
}

type Over = Transport<rxinfer_transport::Balanced<rxinfer_transport::HttpClient>>;

fn over(replicas: &Replicas) -> Over {
    over_timeout(replicas, Duration::from_secs(5))
}

static CHANGE: Operation = Operation::new("run_inference").never_resent();

async fn get(transport: &mut Over) -> Result<StatusCode, Error> {
    get_path(transport, "/token/roles").await
}

async fn post(transport: &mut Over) -> Result<StatusCode, Error> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/models/i/abc/infer")
        .body(RequestBody::from(r#"{"data":{}}"#))
        .expect("request");
    request.extensions_mut().insert(CHANGE);
    let response = transport.ready().await?.call(request).await?;
    Ok(response.status())
}

fn state(replicas: &Replicas, replica: &TestReplica) -> ReplicaState {
    replicas
        .status()
        .into_iter()
        .find(|status| status.url.to_string() == replica.url())
        .map(|status| status.state)
        .expect("a member")
}

#[tokio::test]
async fn calls_spread_over_the_replicas_each_at_its_own_url_with_the_one_token() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/api/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let transport = over(&replicas);
    // Eight callers at once: calls in flight weigh on each replica.
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut transport = transport.clone();
        callers.spawn(async move {
            for _ in 0..5 {
                assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
            }
        });
    }
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller");
    }
    assert!(
        a.calls() >= 4 && b.calls() >= 4,
        "{} and {}",
        a.calls(),
        b.calls()
    );
    let bearer = format!("Bearer {TOKEN}");
    for seen in b.seen() {
        assert_eq!(seen.path, "/api/v1/token/roles");
        assert_eq!(seen.host.as_deref(), Some(b.addr.to_string().as_str()));
        assert_eq!(seen.authorization.as_deref(), Some(bearer.as_str()));
    }
    for seen in a.seen() {
        assert_eq!(seen.path, "/v1/token/roles");
        assert_eq!(seen.host.as_deref(), Some(a.addr.to_string().as_str()));
    }
    let counted: u64 = replicas.status().iter().map(|status| status.calls).sum();
    assert_eq!(counted, 40);
}

#[tokio::test]
async fn a_killed_replica_costs_no_call_that_may_be_sent_again_and_a_probe_brings_it_back() {
    let mut a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let c = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url(), c.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    a.kill();
    for _ in 0..30 {
        assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
    }
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    assert_eq!(a.calls(), 0);
    a.restart().await;
    // Probes back off from 50 ms: well within a second.
    let mut waited = Duration::ZERO;
    while state(&replicas, &a) != ReplicaState::Ready && waited < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert_eq!(state(&replicas, &a), ReplicaState::Ready);
    let probe = a
        .seen()
        .into_iter()
        .find(|seen| seen.path.ends_with(PROBE_PATH));
    let probe = probe.expect("a probe reached the restarted replica");
    assert_eq!(probe.authorization, Some(format!("Bearer {TOKEN}")));
    for _ in 0..30 {
        get(&mut transport).await.expect("answer");
    }
    assert!(a.calls() > 0, "the readmitted replica takes calls again");
}

#[tokio::test]
async fn a_failing_replica_is_passed_over_and_a_change_is_sent_once() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::Failing);
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    for _ in 0..20 {
        assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
    }
    // Its failure made it suspect: the read that met it went to the other
    // replica, and so did every later call.
    assert_eq!(a.calls(), 1);
    assert_eq!(state(&replicas, &a), ReplicaState::Suspect);
    let status = &replicas.status()[0];
    assert_eq!((status.calls, status.failures), (1, 1));

    // A change that meets a failing replica is not sent again.
    let c = TestReplica::start("/v1").await;
    c.set(Mode::Failing);
    let only_c = Replicas::with_policy([c.url()], quick()).expect("set");
    let mut to_c = over(&only_c);
    assert_eq!(
        post(&mut to_c).await.expect("an answer"),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(c.calls(), 1);
}

#[tokio::test]
async fn a_dropped_connection_resends_a_read_elsewhere_but_never_a_change() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::Dropping);
    b.set(Mode::Dropping);
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    let outcome = post(&mut transport).await;
    assert!(matches!(outcome, Err(Error::Http(_))), "{outcome:?}");
    assert_eq!(a.calls() + b.calls(), 1, "sent once");

    b.set(Mode::Serving);
    assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
}

#[tokio::test]
async fn a_replica_on_another_database_is_ejected_and_the_token_kept() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let c = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url(), c.url()], quick()).expect("set");
    let transport = over(&replicas);
    // Calls six at a time, so that every replica takes some.
    let round = |transport: &Over| {
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let mut transport = transport.clone();
            callers.spawn(async move {
                // A read goes elsewhere; a change reports the replica.
                assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
                match post(&mut transport).await {
                    Ok(status) => {
                        assert_eq!(status, StatusCode::OK);
                        0
                    }
                    Err(Error::ReplicaRejectedToken { replica }) => {
                        assert!(replica.to_string().ends_with("/v1"));
                        1
                    }
                    Err(other) => panic!("{other:?}"),
                }
            });
        }
        callers
    };
    let mut callers = round(&transport);
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller");
    }
    c.set(Mode::ForeignDatabase);
    let mut rejected = 0;
    for _ in 0..30 {
        let mut callers = round(&transport);
        while let Some(caller) = callers.join_next().await {
            rejected += caller.expect("a caller");
        }
        if state(&replicas, &c) == ReplicaState::Ejected {
            break;
        }
    }
    // Changes in flight at c when it was found out, at most.
    assert!(rejected <= 6, "{rejected}");
    assert_eq!(state(&replicas, &c), ReplicaState::Ejected);
    // Its probes carry the same token, which it still rejects: it stays out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state(&replicas, &c), ReplicaState::Ejected);
    assert!(c.probes() >= 1);
}

#[tokio::test]
async fn a_replica_whose_database_is_down_passes_ping_but_not_the_probe() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let policy = quick().failures_to_eject(1);
    let replicas = Replicas::with_policy([a.url(), b.url()], policy).expect("set");
    let mut transport = over(&replicas);
    a.set(Mode::DatabaseDown);
    for _ in 0..20 {
        assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
    }
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(a.probes() >= 2, "{}", a.probes());
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    a.set(Mode::Serving);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(state(&replicas, &a), ReplicaState::Ready);
}

#[tokio::test]
async fn with_every_replica_out_a_call_fails_at_once() {
    let mut a = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy(
        [a.url()],
        quick().ejection(Duration::from_secs(60), Duration::from_secs(60)),
    )
    .expect("set");
    let mut transport = over(&replicas);
    a.kill();
    let outcome = get(&mut transport).await;
    assert!(matches!(outcome, Err(Error::NoReplicaReady)), "{outcome:?}");
    let started = std::time::Instant::now();
    let outcome = post(&mut transport).await;
    assert!(matches!(outcome, Err(Error::NoReplicaReady)), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn replicas_join_and_leave_while_calls_run() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    for _ in 0..10 {
        get(&mut transport).await.expect("answer");
    }
    assert_eq!(b.calls(), 0);
    assert!(replicas.insert(b.url()).expect("a URL"));
    assert!(
        !replicas.insert(b.url()).expect("a URL"),
        "a member already"
    );
    for _ in 0..40 {
        get(&mut transport).await.expect("answer");
    }
    assert!(b.calls() > 0);
    assert!(replicas.remove(a.url()).expect("a URL"));
    let before = a.calls();
    for _ in 0..10 {
        get(&mut transport).await.expect("answer");
    }
    assert_eq!(a.calls(), before, "a removed replica takes no calls");
    // The set is still addressed by its first URL.
    assert_eq!(replicas.base_url().to_string(), a.url());
}

#[test]
fn an_empty_set_is_refused() {
    let none: [&str; 0] = [];
    assert!(matches!(Replicas::new(none), Err(Error::NoReplicas)));
    assert!(matches!(
        Replicas::new(["ftp://nope"]),
        Err(Error::InvalidBaseUrl(_))
    ));
}

#[tokio::test]
async fn a_request_outside_the_set_goes_where_it_is_addressed_without_the_token() {
    let a = TestReplica::start("/v1").await;
    let elsewhere = TestReplica::start("/other").await;
    let replicas = Replicas::with_policy([a.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    let request = Request::get(format!("{}/thing", elsewhere.url()))
        .body(RequestBody::default())
        .expect("request");
    let response = transport
        .ready()
        .await
        .expect("ready")
        .call(request)
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let seen = elsewhere.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/other/thing");
    assert_eq!(seen[0].authorization, None, "the token stays with the set");
    assert_eq!(a.calls(), 0);
    assert_eq!(replicas.status()[0].calls, 0);
}

// ---------------------------------------------------------------------
// Cases from the adversarial review of issue 17: each failed before its
// fix, and its comment says what went wrong then.
// ---------------------------------------------------------------------

/// A transport over `replicas` as `over` builds it, with `timeout`.
fn over_timeout(replicas: &Replicas, timeout: Duration) -> Over {
    let mut config = Config::default();
    config.base_url = replicas.base_url().clone();
    config.retry = RetryPolicy::new()
        .max_retries(3)
        .base_delay(Duration::from_millis(1));
    config.timeout = timeout;
    Transport::with_layer(config, replicas.clone())
        .expect("transport")
        .with_token(TOKEN)
        .expect("token")
}

/// A `GET` of `path` through any transport.
async fn get_path<S>(transport: &mut S, path: &str) -> Result<StatusCode, Error>
where
    S: Service<
            Request<RequestBody>,
            Response = http::Response<rxinfer_transport::ResponseBody>,
            Error = Error,
        >,
{
    let request = Request::get(path)
        .body(RequestBody::default())
        .expect("request");
    let response = transport.ready().await?.call(request).await?;
    Ok(response.status())
}

async fn wait_for(replicas: &Replicas, replica: &TestReplica, wanted: ReplicaState) {
    let mut waited = Duration::ZERO;
    while state(replicas, replica) != wanted && waited < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    assert_eq!(state(replicas, replica), wanted);
}

/// Before its fix: `Health::wait_for_readmission` keeps ONE waker
/// (`health.rs`, `Inner::waiting`), but every client built over the set has
/// a balancer of its own, whose endpoint for an ejected replica parks its
/// waker there. The last client to park overwrites the others, and
/// `readmit` wakes only that one. In every other client's balancer the
/// replica stays pending for good: it never takes that client's calls
/// again, and once the client's other replicas are gone its calls wait out
/// their whole deadline although the set reports a Ready replica.
#[tokio::test]
async fn two_clients_over_one_set_both_take_a_readmitted_replica_back() {
    let mut a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let mut first = over(&replicas);
    a.kill();
    // The first client meets the dead replica and ejects it; its balancer
    // parks on the replica's readmission.
    for _ in 0..50 {
        get(&mut first).await.expect("answer");
        if state(&replicas, &a) == ReplicaState::Ejected {
            break;
        }
    }
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    // A second client over the same set: its balancer parks on it too.
    let mut second = over(&replicas);
    for _ in 0..5 {
        get(&mut second).await.expect("answer");
    }
    a.restart().await;
    wait_for(&replicas, &a, ReplicaState::Ready).await;
    // b leaves: a, readmitted, is the only replica.
    assert!(replicas.remove(b.url()).expect("a URL"));
    assert_eq!(get(&mut second).await.expect("answer"), StatusCode::OK);
    let outcome = tokio::time::timeout(Duration::from_secs(2), get(&mut first)).await;
    assert!(
        matches!(outcome, Ok(Ok(StatusCode::OK))),
        "the first client never sees a again: {outcome:?}, status {:?}",
        replicas.status()
    );
}

/// A layer of the user's whose readiness fails once (a `Buffer` whose
/// worker restarted, a circuit breaker that trips, ...).
#[derive(Clone)]
struct HiccupOnce<S> {
    inner: S,
    armed: Arc<std::sync::atomic::AtomicBool>,
}

impl<S> Service<Request<RequestBody>> for HiccupOnce<S>
where
    S: Service<Request<RequestBody>> + Send,
    S::Future: Send + 'static,
    S::Error: Into<rxinfer_transport::BoxError>,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = rxinfer_transport::BoxError;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<S::Response, rxinfer_transport::BoxError>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        if self.armed.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return std::task::Poll::Ready(Err("a passing hiccup of my layer".into()));
        }
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request<RequestBody>) -> Self::Future {
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

/// Before its fix: `Endpoint::poll_ready` (endpoint.rs) hands the inner service's
/// readiness error to tower's balancer, which drops a failed endpoint for
/// good ("dropping failed endpoint"). `Picker::holds` still lists it, so
/// `follow` never inserts it again, the set still reports it Ready, and no
/// probe runs: one failed readiness of a user's layer loses the replica
/// for the life of the client. With one replica every later call waits
/// out its deadline.
#[tokio::test]
async fn a_layers_failed_readiness_does_not_lose_the_replica_for_good() {
    let a = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url()], quick()).expect("set");
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let hiccup = {
        let armed = Arc::clone(&armed);
        tower::layer::layer_fn(move |inner| HiccupOnce {
            inner,
            armed: Arc::clone(&armed),
        })
    };
    let mut config = Config::default();
    config.base_url = replicas.base_url().clone();
    config.timeout = Duration::from_secs(2);
    let mut transport = Transport::with_layer(
        config,
        tower::layer::util::Stack::new(hiccup, replicas.clone()),
    )
    .expect("transport")
    .with_token(TOKEN)
    .expect("token");
    // The first call meets the hiccup: it may fail, but not the next ones.
    let _ = get_path(&mut transport, "/token/roles").await;
    assert!(!armed.load(std::sync::atomic::Ordering::SeqCst));
    let outcome = get_path(&mut transport, "/token/roles").await;
    assert!(
        matches!(outcome, Ok(StatusCode::OK)),
        "{outcome:?}; the set says {:?}",
        replicas.status()
    );
}

/// Before its fix: a replica that accepts calls and never answers is never judged.
/// When the transport's deadline drops the attempt, `EndpointFuture` is
/// dropped before `Judge::judge` runs, and `judge` itself ignores
/// `LayerTimeout` (a per-attempt timeout layer of the user's): the replica
/// stays Ready, is never probed, and keeps taking its share of the calls
/// whenever the others are busy, each one lost at its deadline (a change
/// among them, which may or may not have run there).
#[tokio::test]
async fn a_replica_that_never_answers_stops_taking_calls() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::Hanging);
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let transport = over_timeout(&replicas, Duration::from_secs(1));
    // One call meets the hung replica and waits out its deadline: nothing
    // could have told the client before.
    let mut met = false;
    for _ in 0..30 {
        match get(&mut transport.clone()).await {
            Ok(_) => {}
            Err(error) if error.is_timeout() => {
                met = true;
                break;
            }
            Err(error) => panic!("{error:?}"),
        }
    }
    assert!(met, "no call went to the hung replica");
    // From then on, eight callers of a call that takes 300 ms on a serving
    // replica: none should be sent to the replica that never answered.
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut transport = transport.clone();
        callers.spawn(async move {
            let mut timeouts = 0;
            for _ in 0..4 {
                match get_path(&mut transport, "/models/i/x/slow").await {
                    Ok(_) => {}
                    Err(error) if error.is_timeout() => timeouts += 1,
                    Err(error) => panic!("{error:?}"),
                }
            }
            timeouts
        });
    }
    let mut timeouts = 0;
    while let Some(caller) = callers.join_next().await {
        timeouts += caller.expect("a caller");
    }
    assert_eq!(
        timeouts,
        0,
        "{timeouts} of 32 later calls waited out their deadline at the hung replica, \
         which the set still reports as {:?}",
        state(&replicas, &a)
    );
}

/// Before its fix: every `5xx` counts against the replica (`Verdict::of_status`),
/// but the real server answers a bare `500` to a malformed body, a missing
/// field, or a model whose code throws (models-api-behaviour.md §1): the
/// request's fault. A handful of such calls, each sent once, eject every
/// healthy replica (suspect replicas are passed over, so consecutive bad
/// calls visit each in turn), and then every other call of the process
/// fails with `NoReplicaReady`.
#[tokio::test]
async fn malformed_changes_answered_500_do_not_eject_healthy_replicas() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::ChangesAre500);
    b.set(Mode::ChangesAre500);
    let policy = quick().ejection(Duration::from_secs(5), Duration::from_secs(5));
    let replicas = Replicas::with_policy([a.url(), b.url()], policy).expect("set");
    let mut transport = over(&replicas);
    for _ in 0..4 {
        // The caller's own mistake: answered 500, sent once.
        assert_eq!(
            post(&mut transport).await.expect("an answer"),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
    assert_eq!(a.calls() + b.calls(), 4);
    let outcome = get(&mut transport).await;
    assert!(
        matches!(outcome, Ok(StatusCode::OK)),
        "a read of a healthy cluster: {outcome:?}; {:?}",
        replicas.status()
    );
}

/// Before its fix: the set holds one token's standing per replica, recorded when
/// an answer comes back, without checking that the token it answered is
/// still the one noted (`note_authorization` forgets standings only when a
/// call is sent). Two clients over one set with two identities (or one
/// client with a per-call token, `RequestOptions::token`): a `401` to the
/// wrong token, arriving after the right token was accepted elsewhere,
/// counts as "the others accept the token" (`others_accept_token`), and a
/// healthy replica on the one database is ejected. Repeated, a client with
/// a bad token ejects the cluster from under the good one.
#[tokio::test]
async fn a_stranger_token_does_not_eject_a_healthy_replica() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::KnowsOnlyTheToken);
    b.set(Mode::KnowsOnlyTheToken);
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let mut good = over(&replicas);
    let mut stranger = good.with_token("someone-elses-token").expect("token");
    // The stranger's read is answered 401 after 300 ms; meanwhile the good
    // client's read goes to the other replica and is served.
    let strangers = tokio::spawn(async move { get(&mut stranger).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(get(&mut good).await.expect("answer"), StatusCode::OK);
    let outcome = strangers.await.expect("task");
    assert!(
        matches!(outcome, Ok(StatusCode::UNAUTHORIZED)),
        "{outcome:?}"
    );
    for status in replicas.status() {
        assert_eq!(
            status.state,
            ReplicaState::Ready,
            "both replicas read the one database: {:?}",
            replicas.status()
        );
    }
}

/// Before its fix: probing resumes only when the balancer polls an ejected
/// endpoint (`Endpoint::poll_ready` -> `wait_for_readmission`), but `pick`
/// returns `NoReplicaReady` before polling when every member is ejected.
/// A probe task dies with the runtime it was spawned on, so a client used
/// from a later runtime never probes again: every call fails with
/// `NoReplicaReady` forever, though the replica serves. (The docs of
/// `probe::start` and `wait_for_readmission` promise the next pick
/// restarts it.)
#[test]
fn a_replica_ejected_under_a_runtime_that_ended_is_probed_again() {
    // The replica's server runs on a runtime of its own, driven by a thread
    // of its own for the whole test.
    let servers = Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
    {
        let servers = Arc::clone(&servers);
        std::thread::spawn(move || servers.block_on(std::future::pending::<()>()));
    }
    let servers = servers.handle().clone();
    let mut a = servers.block_on(TestReplica::start("/v1"));
    let replicas = Replicas::with_policy([a.url()], quick()).expect("set");
    let transport = over(&replicas);
    a.kill();
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    first.block_on(async {
        let mut transport = transport.clone();
        let _ = get(&mut transport).await;
    });
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    drop(first);
    servers.block_on(a.restart());
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let outcome = second.block_on(async {
        let mut transport = transport.clone();
        let mut outcome = get(&mut transport).await;
        for _ in 0..40 {
            if outcome.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            outcome = get(&mut transport).await;
        }
        outcome
    });
    assert!(
        matches!(outcome, Ok(StatusCode::OK)),
        "{outcome:?}; {:?}",
        replicas.status()
    );
}

/// Before its fix: `Replicas::remove` stops the replica's probing, but an attempt
/// still in flight at the removed replica is judged afterwards, and an
/// ejection then starts a new probe task (`Judge` holds the `Arc<Replica>`
/// and `recover` only needs it alive). That task keeps sending the set's
/// token to the removed host, backing off to 30 s, for as long as the
/// balancer still holds the endpoint: until the next pick, which an idle
/// client never makes.
#[tokio::test]
async fn a_removed_replica_is_not_probed_with_the_token() {
    let a = TestReplica::start("/v1").await;
    a.set(Mode::SlowlyFailing);
    let replicas = Replicas::with_policy([a.url()], quick().failures_to_eject(1)).expect("set");
    let transport = over(&replicas);
    let in_flight = {
        let mut transport = transport.clone();
        tokio::spawn(async move { post(&mut transport).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(replicas.remove(a.url()).expect("a URL"));
    let _ = in_flight.await.expect("task");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let probes: Vec<_> = a
        .seen()
        .into_iter()
        .filter(|seen| seen.path.ends_with(PROBE_PATH))
        .collect();
    assert!(
        probes.is_empty(),
        "{} probes with the token reached a host that left the set: {:?}",
        probes.len(),
        probes.first().map(|probe| probe.authorization.is_some())
    );
}

/// Before its fix: `is_slow` compares a replica's average latency over whatever
/// calls it happened to serve with the fastest other replica's. Calls
/// differ in cost (an inference takes seconds, a lookup milliseconds), so
/// the replica that served the last expensive call is "5 times slower than
/// the fastest" and passed over, though it is as fast as the others; in a
/// mixed workload replicas turn suspect in turn, and the balancer's choice
/// degenerates to "the one that served no expensive call lately".
#[tokio::test]
async fn an_expensive_call_does_not_make_its_replica_suspect() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url()], HealthPolicy::new()).expect("set");
    let transport = over(&replicas);
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut transport = transport.clone();
        callers.spawn(async move {
            for _ in 0..5 {
                get(&mut transport).await.expect("answer");
            }
        });
    }
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller");
    }
    assert!(a.calls() > 0 && b.calls() > 0);
    // One call that costs 1.5 s on any replica.
    let mut transport = transport.clone();
    assert_eq!(
        get_path(&mut transport, "/models/i/x/expensive")
            .await
            .expect("answer"),
        StatusCode::OK
    );
    for status in replicas.status() {
        assert_eq!(status.state, ReplicaState::Ready, "{:?}", replicas.status());
    }
}

/// Before its fix (against the rule "a call that changes state is never sent
/// twice" as the server guarantees state it; DELETE is a soft delete): a
/// `5xx` answer now marks an idempotent call `ReplicaFailed`, which the
/// retry policy re-sends, so a `DELETE` answered `500` is sent up to
/// `1 + max_retries` times, to the same replica when every replica is
/// suspect (before this change a `500` was never re-sent). Since the
/// retry does not set `lost_answer`, a `404` to the second send is not
/// marked `ResentAfterLostAnswer` either, so the API's `DELETED_BEFORE`
/// rule does not apply.
#[tokio::test]
async fn a_delete_answered_500_is_not_sent_again() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::Failing);
    b.set(Mode::Failing);
    let policy = HealthPolicy::new().failures_to_eject(10);
    let replicas = Replicas::with_policy([a.url(), b.url()], policy).expect("set");
    let mut transport = over(&replicas);
    let request = Request::delete("/models/i/abc")
        .body(RequestBody::default())
        .expect("request");
    let response = transport
        .ready()
        .await
        .expect("ready")
        .call(request)
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // Sent again on the other replica only: never twice to one replica,
    // and not once every replica has failed it.
    assert_eq!((a.calls(), b.calls()), (1, 1));
}

/// A `DELETE` whose first replica failed and whose second found nothing to
/// delete: the earlier attempt may have done it, and the answer says so.
#[tokio::test]
async fn a_delete_sent_again_after_a_failure_is_marked() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::Failing);
    let replicas = Replicas::with_policy([a.url(), b.url()], quick()).expect("set");
    let mut transport = over(&replicas);
    // Until one meets the failing replica first.
    for _ in 0..20 {
        let request = Request::delete(format!("/models/i/{}", "0".repeat(8)))
            .body(RequestBody::default())
            .expect("request");
        let response = transport
            .ready()
            .await
            .expect("ready")
            .call(request)
            .await
            .expect("an answer");
        if a.calls() > 0 {
            assert!(
                response
                    .extensions()
                    .get::<rxinfer_transport::ResentAfterLostAnswer>()
                    .is_some(),
                "{:?}",
                response.status()
            );
            return;
        }
    }
    panic!("no DELETE met the failing replica");
}

/// Before its fix (minor): membership compares `BaseUrl`s as written, so one
/// server spelled with and without its scheme's default port is two
/// members: it takes twice its share of the calls, and its opinion of the
/// token counts twice in `others_accept_token`'s majority.
#[test]
fn one_server_spelled_two_ways_is_one_member() {
    let replicas = Replicas::new(["http://a.example/v1", "http://b.example/v1"]).expect("set");
    assert!(
        !replicas.insert("http://a.example:80/v1").expect("a URL"),
        "{:?}",
        replicas.status()
    );
    assert_eq!(replicas.status().len(), 2);
}

/// Before its fix: "the others accept the token" (`others_accept_token`) is judged
/// from what each replica said last, however long ago. When the one
/// database forgets the token (wiped, restored from an old backup), every
/// replica answers `401`, the only answer the server can give; but the
/// first replicas to say so are outvoted by the stale "accepts" of the
/// others and ejected as readers of "another database", their callers get
/// `ReplicaRejectedToken` instead of the `401`, and with a token that is
/// never replaced they stay out (their probes are answered `401` too)
/// while the others serve.
#[tokio::test]
async fn a_forgotten_token_is_not_taken_for_foreign_replicas() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let c = TestReplica::start("/v1").await;
    let replicas = Replicas::with_policy([a.url(), b.url(), c.url()], quick()).expect("set");
    let transport = over(&replicas);
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut transport = transport.clone();
        callers.spawn(async move {
            for _ in 0..5 {
                get(&mut transport).await.expect("answer");
            }
        });
    }
    while let Some(caller) = callers.join_next().await {
        caller.expect("a caller");
    }
    // The one database forgets the token: every replica answers 401.
    for replica in [&a, &b, &c] {
        replica.set(Mode::ForeignDatabase);
    }
    let mut transport = transport.clone();
    for _ in 0..3 {
        let outcome = post(&mut transport).await;
        assert!(
            matches!(outcome, Ok(StatusCode::UNAUTHORIZED)),
            "{outcome:?}; {:?}",
            replicas.status()
        );
    }
    for status in replicas.status() {
        assert_eq!(status.state, ReplicaState::Ready, "{:?}", replicas.status());
    }
}

/// Before its fix (minor, a careless policy): `HealthPolicy::ejection` takes any
/// duration, and `next_backoff` doubles zero to zero: with
/// `ejection(Duration::ZERO, Duration::ZERO)` the probe task sends probes
/// back to back, as fast as the replica answers, for as long as it is out
/// (and with `probe_timeout(Duration::ZERO)` no probe can ever pass).
/// `failures_to_eject` and `slow_factor` are clamped; these are not.
#[tokio::test]
async fn a_zero_ejection_does_not_probe_in_a_tight_loop() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    a.set(Mode::DatabaseDown);
    let policy = quick()
        .failures_to_eject(1)
        .ejection(Duration::ZERO, Duration::ZERO);
    let replicas = Replicas::with_policy([a.url(), b.url()], policy).expect("set");
    let mut transport = over(&replicas);
    for _ in 0..30 {
        get(&mut transport).await.expect("answer");
        if state(&replicas, &a) == ReplicaState::Ejected {
            break;
        }
    }
    assert_eq!(state(&replicas, &a), ReplicaState::Ejected);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        a.probes() <= 10,
        "{} probes in half a second at a replica that is down",
        a.probes()
    );
}

/// Two suspect replicas and one ready: the ready one takes the calls. (The
/// balancer's queue of waiting members stopped after two that asked to be
/// polled again, so the ready one behind them was not seen and a suspect
/// was taken.)
#[tokio::test]
async fn with_two_suspects_the_ready_replica_takes_the_calls() {
    let a = TestReplica::start("/v1").await;
    let b = TestReplica::start("/v1").await;
    let c = TestReplica::start("/v1").await;
    let policy = quick().failures_to_eject(100);
    let replicas = Replicas::with_policy([a.url(), b.url(), c.url()], policy).expect("set");
    let mut transport = over(&replicas);
    b.set(Mode::Failing);
    c.set(Mode::Dropping);
    // Until both have failed once.
    for _ in 0..50 {
        get(&mut transport).await.expect("answer");
        if b.calls() > 0 && c.calls() > 0 {
            break;
        }
    }
    assert_eq!(state(&replicas, &b), ReplicaState::Suspect);
    assert_eq!(state(&replicas, &c), ReplicaState::Suspect);
    let before = (b.calls(), c.calls());
    for _ in 0..20 {
        assert_eq!(
            post(&mut transport).await.expect("an answer"),
            StatusCode::OK
        );
    }
    assert_eq!((b.calls(), c.calls()), before, "a suspect took a call");
}
