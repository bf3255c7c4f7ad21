//! The stand-in cluster over real loopback sockets: replicas sharing one
//! store, stopped and restarted.
#![cfg(feature = "cluster")]

use std::{io, net::SocketAddr, time::Duration};

use std::time::Instant;

use http::{Method, StatusCode};
use rxinfer_stand_in::{Fault, StandIn, StandInCluster, UNAUTHORIZED_MESSAGE};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// What came back for one request sent on a connection of its own.
#[derive(Debug)]
enum Reply {
    /// An answer: its status, its head (lowercased), its body.
    Answered {
        status: u16,
        head: String,
        body: String,
    },
    /// The connection was closed (or reset) without an answer.
    Closed,
}

impl Reply {
    /// The head's lines but the date, sorted: what two answers share when
    /// they are the same answer.
    fn head_without_date(&self) -> Vec<String> {
        let Reply::Answered { head, .. } = self else {
            panic!("no answer: the connection was closed")
        };
        let mut lines: Vec<String> = head
            .lines()
            .filter(|line| !line.starts_with("date:"))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    }

    /// The status and the body as JSON (`Null` when empty).
    fn json(&self) -> (u16, Value) {
        match self {
            Reply::Answered { status, body, .. } if body.is_empty() => (*status, Value::Null),
            Reply::Answered { status, body, .. } => {
                (*status, serde_json::from_str(body).expect("a JSON body"))
            }
            Reply::Closed => panic!("no answer: the connection was closed"),
        }
    }
}

/// Sends `method /v1{path}` with `token` and `body`; `Err` only when the
/// connection cannot be made.
async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> io::Result<Reply> {
    let mut stream = TcpStream::connect(addr).await?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let authorization = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} /v1{path} HTTP/1.1\r\nhost: x\r\n{authorization}content-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer).await {
        Ok(_) if answer.is_empty() => return Ok(Reply::Closed),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(Reply::Closed),
        Err(e) => return Err(e),
    }
    let answer = String::from_utf8(answer).expect("UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head.split(' ').nth(1).expect("a status line");
    Ok(Reply::Answered {
        status: status.parse().expect("a status"),
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    })
}

async fn get(addr: SocketAddr, path: &str) -> (u16, Value) {
    let reply = send(addr, "GET", path, Some("dev-token"), None).await;
    reply.expect("connects").json()
}

async fn post(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let reply = send(addr, "POST", path, Some("dev-token"), Some(&body)).await;
    reply.expect("connects").json()
}

/// A cluster of `n` accepting the development token.
async fn cluster(n: usize) -> StandInCluster {
    StandIn::builder()
        .dev_token(true)
        .start_cluster(n)
        .await
        .expect("the cluster starts")
}

/// A new `BetaBernoulli-v1` instance created through `addr`: its id.
async fn coin(addr: SocketAddr) -> String {
    let (status, body) = post(
        addr,
        "/models/create-instance",
        json!({"model_name": "BetaBernoulli-v1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["instance_id"].as_str().expect("an id").to_owned()
}

fn addrs(cluster: &StandInCluster) -> Vec<SocketAddr> {
    cluster.replicas().iter().map(|r| r.addr()).collect()
}

#[tokio::test]
async fn replicas_listen_apart_and_know_their_place() {
    let cluster = cluster(3).await;
    let urls = cluster.urls();
    assert_eq!(urls.len(), 3);
    for (index, replica) in cluster.replicas().iter().enumerate() {
        assert_eq!(replica.index(), index);
        assert_eq!(replica.url(), urls[index]);
        assert_eq!(replica.url(), format!("http://{}/v1", replica.addr()));
    }
    assert_ne!(urls[0], urls[1]);
    assert_ne!(urls[1], urls[2]);
}

#[tokio::test]
async fn a_cluster_of_none_is_refused() {
    let error = StandInCluster::start(0).await.expect_err("no replicas");
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_token_minted_on_one_replica_works_on_another() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let (status, minted) = send(first, "POST", "/token/generate", None, None)
        .await
        .expect("connects")
        .json();
    assert_eq!(status, 200);
    let token = minted["token"].as_str().expect("a token");

    let reply = send(second, "GET", "/token/roles", Some(token), None).await;
    assert_eq!(
        reply.expect("connects").json(),
        (200, json!({"roles": ["user"]}))
    );
    assert_eq!(cluster.tokens_generated(), 1);

    // Revoked for the cluster, the token fails on every replica.
    cluster.revoke_tokens();
    for addr in [first, second] {
        let reply = send(addr, "GET", "/token/roles", Some(token), None).await;
        assert_eq!(reply.expect("connects").json().0, 401);
    }
}

#[tokio::test]
async fn a_token_inserted_in_the_cluster_works_on_every_replica() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    cluster.insert_token("known", ["admin"]);
    for addr in addrs(&cluster) {
        let reply = send(addr, "GET", "/token/roles", Some("known"), None).await;
        assert_eq!(
            reply.expect("connects").json(),
            (200, json!({"roles": ["admin"]}))
        );
    }
}

#[tokio::test]
async fn an_instance_created_on_one_replica_is_used_on_another() {
    let cluster = cluster(2).await;
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let id = coin(first).await;

    let (status, described) = get(second, &format!("/models/i/{id}")).await;
    assert_eq!(status, 200, "{described}");
    assert_eq!(described["instance_id"], id.as_str());

    let infer = json!({"data": {"observation": 1}});
    let (status, _) = post(second, &format!("/models/i/{id}/infer"), infer).await;
    assert_eq!(status, 200);
    let (status, episode) = get(first, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(status, 200);
    assert_eq!(episode["events"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_stopped_replica_refuses_and_a_restarted_one_serves_the_same_data() {
    let cluster = cluster(2).await;
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let replica = &cluster.replicas()[0];
    let id = coin(first).await;

    replica.stop().await;
    let refused = TcpStream::connect(first).await.expect_err("refused");
    assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    // The other replica serves on; what it stores is there after the restart.
    let id_while_down = coin(second).await;
    replica.stop().await; // a stopped replica stays stopped

    replica.restart().await.expect("restarts");
    assert_eq!(replica.addr(), first);
    for id in [&id, &id_while_down] {
        assert_eq!(get(first, &format!("/models/i/{id}")).await.0, 200);
    }
    // Restarting a running replica kills it and serves again.
    replica.restart().await.expect("restarts again");
    assert_eq!(get(first, &format!("/models/i/{id}")).await.0, 200);
    assert_eq!(replica.connections_accepted(), 4);
}

#[tokio::test]
async fn stop_closes_idle_connections() {
    let cluster = StandInCluster::start(1).await.expect("starts");
    let replica = &cluster.replicas()[0];
    let mut idle = TcpStream::connect(replica.addr()).await.expect("connects");
    // Accepted before the stop.
    while replica.connections_accepted() == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    replica.stop().await;
    let mut byte = [0; 1];
    let read = tokio::time::timeout(Duration::from_secs(1), idle.read(&mut byte)).await;
    match read.expect("closed at once, not left open") {
        Ok(0) => {}
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        Ok(n) => panic!("{n} bytes from a stopped replica"),
    }
}

#[tokio::test]
async fn stop_abandons_a_request_in_flight_and_its_handler() {
    // The handler records the event, then waits before writing the state.
    let cluster = StandIn::builder()
        .dev_token(true)
        .inference_delay(Duration::from_millis(100))
        .start_cluster(1)
        .await
        .expect("starts");
    let replica = cluster.replicas()[0].clone();
    let addr = replica.addr();
    let id = coin(addr).await;
    let (_, before) = get(addr, &format!("/models/i/{id}/state")).await;

    let path = format!("/models/i/{id}/infer");
    let infer = json!({"data": {"observation": 1}});
    let in_flight =
        tokio::spawn(
            async move { send(addr, "POST", &path, Some("dev-token"), Some(&infer)).await },
        );
    tokio::time::sleep(Duration::from_millis(20)).await;
    replica.stop().await;
    let reply = in_flight
        .await
        .expect("the client task")
        .expect("it connected");
    assert!(matches!(reply, Reply::Closed), "{reply:?}");

    // Past the handler's delay, nothing more was written.
    tokio::time::sleep(Duration::from_millis(150)).await;
    replica.restart().await.expect("restarts");
    let (_, after) = get(addr, &format!("/models/i/{id}/state")).await;
    assert_eq!(after, before, "the abandoned handler wrote the state");
    let (_, episode) = get(addr, &format!("/models/i/{id}/episodes/default")).await;
    assert_eq!(episode["events"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_first_replica_takes_the_port_asked_for() {
    // A free port, found by binding one and letting it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let cluster = StandIn::builder()
        .port(port)
        .start_cluster(2)
        .await
        .expect("starts");
    assert_eq!(cluster.replicas()[0].addr().port(), port);
    assert_ne!(cluster.replicas()[1].addr().port(), port);
}

#[tokio::test]
async fn shutdown_stops_every_replica() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    let addrs = addrs(&cluster);
    cluster.shutdown().await;
    for addr in addrs {
        assert!(TcpStream::connect(addr).await.is_err());
    }
}

#[tokio::test]
async fn a_status_fault_answers_that_status_with_a_json_error() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    let [failing, healthy] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.replicas()[0].fail(Fault::Status(StatusCode::SERVICE_UNAVAILABLE));

    let reply = send(failing, "GET", "/ping", None, None)
        .await
        .expect("connects");
    let (status, body) = reply.json();
    assert_eq!(status, 503);
    assert_eq!(body["error"], "Service Unavailable");
    assert!(body["message"].is_string(), "{body}");
    assert!(
        reply
            .head_without_date()
            .contains(&"content-type: application/json".to_owned())
    );
    // Any path, routed or not.
    let reply = send(failing, "GET", "/no/such/route", None, None).await;
    assert_eq!(reply.expect("connects").json().0, 503);

    let reply = send(healthy, "GET", "/ping", None, None).await;
    assert_eq!(
        reply.expect("connects").json(),
        (200, json!({"status": "ok"}))
    );
    cluster.replicas()[0].heal();
    let reply = send(failing, "GET", "/ping", None, None).await;
    assert_eq!(
        reply.expect("connects").json(),
        (200, json!({"status": "ok"}))
    );
}

#[tokio::test]
async fn a_dropping_replica_reads_the_request_and_closes_without_an_answer() {
    let cluster = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .start_cluster(2)
        .await
        .expect("starts");
    let [failing, healthy] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.replicas()[0].fail(Fault::DropConnection);

    let create = json!({"model_name": "BetaBernoulli-v1"});
    let reply = send(
        failing,
        "POST",
        "/models/create-instance",
        Some("dev-token"),
        Some(&create),
    );
    assert!(matches!(reply.await.expect("connects"), Reply::Closed));
    // Read and recorded, not handled.
    let recorded = cluster.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].replica, 0);
    assert_eq!(recorded[0].body, create.to_string());
    assert_eq!(get(healthy, "/models/instances").await, (200, json!([])));
}

#[tokio::test]
async fn an_internal_error_fault_is_the_bare_500_of_a_throwing_handler() {
    let cluster = cluster(2).await;
    let [failing, healthy] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.replicas()[0].fail(Fault::InternalError);

    let faulted = send(failing, "GET", "/ping", None, None)
        .await
        .expect("connects");
    assert_eq!(faulted.json(), (500, Value::Null));
    assert!(
        faulted
            .head_without_date()
            .contains(&"connection: close".to_owned())
    );
    // The same answer as a malformed body's on a healthy replica.
    let malformed = send(
        healthy,
        "POST",
        "/models/create-instance",
        Some("dev-token"),
        None,
    );
    let malformed = malformed.await.expect("connects");
    assert_eq!(malformed.json(), (500, Value::Null));
    assert_eq!(faulted.head_without_date(), malformed.head_without_date());
}

#[tokio::test]
async fn an_unauthorized_fault_refuses_valid_tokens_from_the_nth_check_on() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    let [failing, healthy] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.insert_token("known", ["user"]);
    cluster.replicas()[0].fail(Fault::Unauthorized { from: 3 });
    let roles = |addr| async move {
        send(addr, "GET", "/token/roles", Some("known"), None)
            .await
            .expect("connects")
            .json()
    };

    assert_eq!(roles(failing).await.0, 200);
    // Neither checks a token, so neither counts.
    assert_eq!(get(failing, "/ping").await.0, 200);
    let generated = send(failing, "POST", "/token/generate", None, None).await;
    assert_eq!(generated.expect("connects").json().0, 200);
    assert_eq!(roles(failing).await.0, 200);
    let refused = json!({"error": "Unauthorized", "message": UNAUTHORIZED_MESSAGE});
    assert_eq!(roles(failing).await, (401, refused.clone()));
    assert_eq!(roles(failing).await, (401, refused));
    assert_eq!(
        roles(healthy).await.0,
        200,
        "the other replica reads the right database"
    );

    cluster.replicas()[0].heal();
    assert_eq!(roles(failing).await.0, 200);
    // Set again, the count starts again.
    cluster.replicas()[0].fail(Fault::Unauthorized { from: 1 });
    assert_eq!(roles(failing).await.0, 401);
}

#[tokio::test]
async fn a_replica_whose_database_is_down_pings_ok_and_fails_the_rest() {
    let cluster = StandInCluster::start(2).await.expect("starts");
    let [failing, healthy] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.insert_token("known", ["user"]);
    cluster.replicas()[0].fail(Fault::DatabaseDown);

    let ping = send(failing, "GET", "/ping", None, None)
        .await
        .expect("connects");
    assert_eq!(ping.json(), (200, json!({"status": "ok"})));
    let roles = send(failing, "GET", "/token/roles", Some("known"), None).await;
    let roles = roles.expect("connects");
    assert_eq!(roles.json(), (500, Value::Null));
    assert!(
        roles
            .head_without_date()
            .contains(&"connection: close".to_owned())
    );
    let generated = send(failing, "POST", "/token/generate", None, None).await;
    assert_eq!(generated.expect("connects").json(), (500, Value::Null));
    let instances = send(failing, "GET", "/models/instances", Some("known"), None).await;
    assert_eq!(instances.expect("connects").json(), (500, Value::Null));

    let roles = send(healthy, "GET", "/token/roles", Some("known"), None).await;
    assert_eq!(roles.expect("connects").json().0, 200);
    cluster.replicas()[0].heal();
    let roles = send(failing, "GET", "/token/roles", Some("known"), None).await;
    assert_eq!(roles.expect("connects").json().0, 200);
}

#[tokio::test]
async fn a_slowed_replica_answers_late_until_healed() {
    const DELAY: Duration = Duration::from_millis(250);
    let cluster = StandInCluster::start(2).await.expect("starts");
    let [slowed, other] = addrs(&cluster)[..] else {
        unreachable!()
    };
    cluster.replicas()[0].slow(DELAY);
    let ping = |addr| async move {
        let started = Instant::now();
        let reply = send(addr, "GET", "/ping", None, None)
            .await
            .expect("connects");
        assert_eq!(reply.json().0, 200);
        started.elapsed()
    };

    assert!(ping(slowed).await >= DELAY);
    assert!(ping(other).await < DELAY);
    // A fault applies after the delay; a new one replaces the old.
    cluster.replicas()[0].fail(Fault::InternalError);
    cluster.replicas()[0].fail(Fault::DropConnection);
    let started = Instant::now();
    let reply = send(slowed, "GET", "/ping", None, None)
        .await
        .expect("connects");
    assert!(matches!(reply, Reply::Closed), "{reply:?}");
    assert!(started.elapsed() >= DELAY);

    cluster.replicas()[0].heal();
    assert!(ping(slowed).await < DELAY);
}

#[tokio::test]
async fn inference_cost_runs_one_call_at_a_time_per_replica() {
    const COST: Duration = Duration::from_millis(50);
    let cluster = StandIn::builder()
        .dev_token(true)
        .inference_cost(COST)
        .start_cluster(2)
        .await
        .expect("starts");
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let id = coin(first).await;
    let infer = |addr| {
        let path = format!("/models/i/{id}/infer");
        async move {
            post(addr, &path, json!({"data": {"observation": 1}}))
                .await
                .0
        }
    };
    let learn = |addr| {
        let path = format!("/models/i/{id}/learn");
        async move { post(addr, &path, json!({"episodes": ["default"]})).await.0 }
    };

    let started = Instant::now();
    assert_eq!(tokio::join!(infer(first), infer(first)), (200, 200));
    assert!(started.elapsed() >= 2 * COST, "{:?}", started.elapsed());

    let started = Instant::now();
    assert_eq!(tokio::join!(infer(first), infer(second)), (200, 200));
    let elapsed = started.elapsed();
    assert!(elapsed >= COST && elapsed < 2 * COST, "{elapsed:?}");

    // Learning takes the same worker; other routes do not wait for it.
    let started = Instant::now();
    let ping = async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let pinged = Instant::now();
        assert_eq!(get(first, "/ping").await.0, 200);
        pinged.elapsed()
    };
    let (learned, inferred, pinged) = tokio::join!(learn(first), infer(first), ping);
    assert_eq!((learned, inferred), (200, 200));
    assert!(started.elapsed() >= 2 * COST, "{:?}", started.elapsed());
    assert!(pinged < COST, "{pinged:?}");
}

#[tokio::test]
async fn each_replica_counts_what_it_received() {
    let cluster = cluster(2).await;
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let [one, two] = cluster.replicas() else {
        unreachable!()
    };
    get(first, "/ping").await;
    get(first, "/ping").await;
    get(second, "/token/roles").await;
    one.fail(Fault::DropConnection);
    let dropped = send(first, "DELETE", "/models/i/x", Some("dev-token"), None).await;
    assert!(matches!(dropped.expect("connects"), Reply::Closed));

    assert_eq!(one.requests_received(), 3);
    assert_eq!(one.requests_received_for(&Method::GET, "/v1/ping"), 2);
    assert_eq!(
        one.requests_received_for(&Method::DELETE, "/v1/models/i/x"),
        1
    );
    assert_eq!(
        one.requests_received_for(&Method::GET, "/v1/token/roles"),
        0
    );
    assert_eq!(two.requests_received(), 1);
    assert_eq!(
        two.requests_received_for(&Method::GET, "/v1/token/roles"),
        1
    );
    assert_eq!(one.connections_accepted(), 3);
    assert_eq!(two.connections_accepted(), 1);
}

#[tokio::test]
async fn recorded_requests_say_which_replica_got_them() {
    let cluster = StandIn::builder()
        .record_requests(true)
        .start_cluster(2)
        .await
        .expect("starts");
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    send(second, "GET", "/ping", None, None)
        .await
        .expect("connects");
    send(first, "GET", "/info", None, None)
        .await
        .expect("connects");

    let recorded: Vec<_> = cluster
        .requests()
        .iter()
        .map(|r| (r.replica, r.uri.to_string()))
        .collect();
    assert_eq!(
        recorded,
        [(1, "/v1/ping".to_owned()), (0, "/v1/info".to_owned())]
    );
}

#[tokio::test]
async fn duplicated_state_changes_are_the_calls_that_arrived_twice() {
    let cluster = StandIn::builder()
        .dev_token(true)
        .record_requests(true)
        .start_cluster(2)
        .await
        .expect("starts");
    let [first, second] = addrs(&cluster)[..] else {
        unreachable!()
    };
    let create = json!({"model_name": "BetaBernoulli-v1"});
    let as_user = |addr, token: &'static str, body: Value| async move {
        send(
            addr,
            "POST",
            "/models/create-instance",
            Some(token),
            Some(&body),
        )
        .await
        .expect("connects")
        .json()
    };
    // The same call on one replica, then again on another: a failover retry.
    let created = as_user(first, "dev-token", create.clone()).await;
    as_user(second, "dev-token", create.clone()).await;
    // Another caller, another body, reads: none is a repeat.
    as_user(second, "dev-token:a", create.clone()).await;
    as_user(
        first,
        "dev-token",
        json!({"model_name": "DirichletCategorical-v1"}),
    )
    .await;
    get(first, "/models/instances").await;
    get(second, "/models/instances").await;
    assert_eq!(cluster.duplicated_state_changes().len(), 1);

    // A DELETE sent three times is two repeats.
    let id = created.1["instance_id"].as_str().expect("an id").to_owned();
    for addr in [first, second, first] {
        send(
            addr,
            "DELETE",
            &format!("/models/i/{id}"),
            Some("dev-token"),
            None,
        )
        .await
        .expect("connects");
    }
    let duplicated = cluster.duplicated_state_changes();
    let seen: Vec<_> = duplicated
        .iter()
        .map(|r| (r.method.clone(), r.replica))
        .collect();
    assert_eq!(
        seen,
        [(Method::POST, 1), (Method::DELETE, 1), (Method::DELETE, 0)]
    );
    assert_eq!(duplicated[0].body, create.to_string());
}
