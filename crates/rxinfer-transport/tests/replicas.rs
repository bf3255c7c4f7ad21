//! A replica set over real sockets: calls spread over replicas, a replica
//! that fails, drops connections, cannot be reached, rejects the token or
//! lost its database leaves the set, and comes back only after a probe
//! that reads the database; calls that change state are never sent twice.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
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
    let head = read_head(&mut socket).await;
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
    let reply = match mode {
        Mode::Dropping => return,
        Mode::Failing => bare(500),
        Mode::ForeignDatabase => json(401, r#"{"error":"Unauthorized","message":"no"}"#),
        Mode::DatabaseDown if !path.ends_with("/ping") => bare(500),
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

async fn read_head(socket: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
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
    let mut config = Config::default();
    config.base_url = replicas.base_url().clone();
    config.retry = RetryPolicy::new()
        .max_retries(3)
        .base_delay(Duration::from_millis(1));
    config.timeout = Duration::from_secs(5);
    Transport::with_layer(config, replicas.clone())
        .expect("transport")
        .with_token(TOKEN)
        .expect("token")
}

static CHANGE: Operation = Operation::new("run_inference").never_resent();

async fn get(transport: &mut Over) -> Result<StatusCode, Error> {
    let request = Request::get("/token/roles")
        .body(RequestBody::default())
        .expect("request");
    let response = transport.ready().await?.call(request).await?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    Ok(status)
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
    let mut transport = over(&replicas);
    for _ in 0..20 {
        get(&mut transport).await.expect("answer");
    }
    c.set(Mode::ForeignDatabase);
    let mut rejected = 0;
    for _ in 0..20 {
        // A read goes elsewhere; a change reports the replica.
        assert_eq!(get(&mut transport).await.expect("answer"), StatusCode::OK);
        match post(&mut transport).await {
            Ok(status) => assert_eq!(status, StatusCode::OK),
            Err(Error::ReplicaRejectedToken { replica }) => {
                assert_eq!(replica.to_string(), c.url());
                rejected += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(rejected <= 1, "{rejected}");
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
    assert!(replicas.remove(&a.url().parse().expect("a URL")));
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
