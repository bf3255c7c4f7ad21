//! A minimal HTTP/1.1 client over real 127.0.0.1 sockets, for tests that
//! drive the stand-in from outside: one connection per call, JSON in and
//! out.

// Each test binary uses part of this module.
#![allow(dead_code)]

use rxinfer_stand_in::StandIn;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A stand-in accepting the development token (`dev-token[:roles]`).
pub(crate) async fn dev_server() -> StandIn {
    StandIn::builder()
        .dev_token(true)
        .start()
        .await
        .expect("the stand-in starts")
}

/// Sends `method path` (under `/v1`) with `token` and `body`; the status
/// and the body as JSON (`Null` when empty).
pub(crate) async fn call(
    server: &StandIn,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} /v1{path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(server.addr()).await.expect("connects");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let answer = String::from_utf8(answer).expect("UTF-8 answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).expect("a JSON body")
    };
    (status, json)
}

/// `GET path` as `dev-token`.
pub(crate) async fn get(server: &StandIn, path: &str) -> (u16, Value) {
    call(server, "GET", path, "dev-token", None).await
}

/// `POST path` as `dev-token` with a JSON `body`.
pub(crate) async fn post(server: &StandIn, path: &str, body: Value) -> (u16, Value) {
    call(server, "POST", path, "dev-token", Some(&body)).await
}

/// A new instance of `model` with `arguments`, as `dev-token`: its id.
pub(crate) async fn instance(server: &StandIn, model: &str, arguments: Value) -> String {
    let (status, body) = post(
        server,
        "/models/create-instance",
        serde_json::json!({"model_name": model, "arguments": arguments}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["instance_id"]
        .as_str()
        .expect("an instance id")
        .to_owned()
}
