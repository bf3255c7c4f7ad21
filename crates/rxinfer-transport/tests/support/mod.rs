//! A scripted HTTP/1.1 server on 127.0.0.1 for the transport's socket-level
//! tests: it records each request's head and answers from a script, one
//! request per connection.

#![allow(dead_code)] // each test file uses part of it

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// What the server saw of one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seen {
    pub(crate) request_line: String,
    pub(crate) host: Option<String>,
    pub(crate) authorization: Option<String>,
}

/// How the server meets one request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Answer {
    /// These bytes, then the connection closes.
    Bytes(&'static str),
    /// Nothing, ever: the connection stays open.
    Silent,
    /// The connection closes at once, with no answer.
    Drop,
}

pub(crate) const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 18\r\nconnection: close\r\n\r\n{\"roles\":[\"user\"]}";
pub(crate) const UNAVAILABLE: &str = "HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
pub(crate) const UNAUTHORIZED: &str =
    "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

/// A server that meets requests with `script`, then answers `OK`; its URL
/// (`http://127.0.0.1:PORT`) and what it saw.
pub(crate) async fn server(script: &[Answer]) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let record = Arc::clone(&record);
            let answers = Arc::clone(&answers);
            tokio::spawn(async move {
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
                record.lock().expect("record").push(Seen {
                    request_line: head.lines().next().unwrap_or_default().to_owned(),
                    host: header("host"),
                    authorization: header("authorization"),
                });
                let answer = answers
                    .lock()
                    .expect("answers")
                    .pop_front()
                    .unwrap_or(Answer::Bytes(OK));
                match answer {
                    Answer::Bytes(bytes) => {
                        let _ = socket.write_all(bytes.as_bytes()).await;
                        let _ = socket.shutdown().await;
                    }
                    Answer::Silent => std::future::pending::<()>().await,
                    Answer::Drop => drop(socket),
                }
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

pub(crate) async fn read_head(socket: &mut tokio::net::TcpStream) -> String {
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
