//! Raw TCP peers on 127.0.0.1 for what the stand-in server cannot be: a
//! server that answers fixed bytes, never answers, or sends without end.
//! Each captures the request bytes it reads, so tests can assert on the
//! wire format.
//!
//! | behaviour | for |
//! |---|---|
//! | [`Behaviour::Respond`] | unexpected statuses, malformed bodies, request capture |
//! | [`Behaviour::RespondThenClose`] | servers that die mid-response |
//! | [`Behaviour::Silent`] | timeouts before the response head |
//! | [`Behaviour::Stall`] | timeouts while reading the body |
//! | [`Behaviour::Endless`] | body limits: the client must stop reading |
//! | [`Behaviour::Close`] | connections dropped before any answer |
//! | [`Behaviour::Sequence`] | a server that fails, then recovers (retries) |

// Each test binary uses part of this module.
#![allow(dead_code)]

pub(crate) mod coin;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rxinfer_client::{ApiError, ApiErrorKind, Client, TransportError};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::mpsc,
    task::JoinHandle,
};

/// What the peer does once it has read a request head.
#[derive(Clone)]
pub(crate) enum Behaviour {
    /// Writes these bytes, then reads the next request on the connection.
    Respond(Vec<u8>),
    /// Writes these bytes, then closes the connection, as a server that
    /// dies mid-response.
    RespondThenClose(Vec<u8>),
    /// Never answers; keeps the connection open.
    Silent,
    /// Writes these bytes (a response head), then nothing more.
    Stall(Vec<u8>),
    /// Writes these bytes (a response head), then 64 KiB chunks of `x` for
    /// as long as the client reads them.
    Endless(Vec<u8>),
    /// Closes the connection.
    Close,
    /// Behaves as the first entry for the first request the peer reads (on
    /// any connection), the second for the second, and as the last for the
    /// rest.
    Sequence(Arc<[Behaviour]>, Arc<AtomicUsize>),
}

impl Behaviour {
    /// A [`Behaviour::Sequence`] of `steps`.
    pub(crate) fn sequence(steps: Vec<Behaviour>) -> Self {
        Behaviour::Sequence(steps.into(), Arc::default())
    }

    /// What to do for the request at hand.
    fn step(&self) -> &Behaviour {
        match self {
            Behaviour::Sequence(steps, next) => {
                let index = next
                    .fetch_add(1, Ordering::SeqCst)
                    .min(steps.len().saturating_sub(1));
                steps.get(index).map_or(&Behaviour::Close, Behaviour::step)
            }
            other => other,
        }
    }
}

/// A running raw peer. Dropping it stops it.
pub(crate) struct RawServer {
    /// `http://127.0.0.1:PORT/v1`
    pub(crate) url: String,
    requests: mpsc::UnboundedReceiver<Vec<u8>>,
    counted: usize,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Starts a peer that behaves as `behaviour` on every request.
    pub(crate) async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}/v1", listener.local_addr().expect("local addr"));
        let (captured, requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, behaviour.clone(), captured.clone()));
            }
        });
        Self {
            url,
            requests,
            counted: 0,
            task,
        }
    }

    /// How many requests the peer has read so far.
    pub(crate) fn requests_read(&mut self) -> usize {
        let mut count = 0;
        while self.requests.try_recv().is_ok() {
            count += 1;
        }
        self.counted += count;
        self.counted
    }

    /// The bytes of the next request the peer read (head and any body).
    pub(crate) async fn next_request(&mut self) -> String {
        let bytes = tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .expect("a request within 5 s")
            .expect("the peer is running");
        String::from_utf8(bytes).expect("requests are ASCII")
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    behaviour: Behaviour,
    captured: mpsc::UnboundedSender<Vec<u8>>,
) {
    while let Some(request) = read_request(&mut stream).await {
        let _ = captured.send(request);
        match behaviour.step() {
            Behaviour::Respond(bytes) => {
                if stream.write_all(bytes).await.is_err() {
                    return;
                }
            }
            Behaviour::RespondThenClose(bytes) => {
                let _ = stream.write_all(bytes).await;
                return;
            }
            Behaviour::Silent => std::future::pending::<()>().await,
            Behaviour::Stall(head) => {
                let _ = stream.write_all(head).await;
                std::future::pending::<()>().await;
            }
            Behaviour::Endless(head) => {
                let _ = stream.write_all(head).await;
                let chunk = vec![b'x'; 64 * 1024];
                while stream.write_all(&chunk).await.is_ok() {}
                return;
            }
            Behaviour::Close | Behaviour::Sequence(..) => return,
        }
    }
}

/// Reads one request: the head, then as many body bytes as its
/// `content-length` says.
async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut buffer).await.ok().filter(|&n| n > 0)?;
        request.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let read = stream.read(&mut buffer).await.ok().filter(|&n| n > 0)?;
        request.extend_from_slice(&buffer[..read]);
    }
    Some(request)
}

/// A complete HTTP/1.1 response with a `content-length`.
pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A JSON `200 OK` with `body`.
pub(crate) fn json_ok(body: &str) -> Vec<u8> {
    response(
        "200 OK",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}

/// A URL on 127.0.0.1 where nothing listens.
pub(crate) async fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}/v1")
}

/// Fails the test instead of letting it hang when `future` (which the
/// feature under test should end quickly) does not finish within 10 s.
pub(crate) async fn within_10s<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("finished within 10 s")
}

/// The transport failure behind `error`, if that is what it is.
pub(crate) fn transport_error(error: &ApiError) -> Option<&TransportError> {
    match error.kind() {
        ApiErrorKind::Transport(error) => Some(error),
        _ => None,
    }
}

/// Whether `error` says no token could be obtained for the call.
pub(crate) fn no_token(error: &ApiError) -> bool {
    matches!(
        transport_error(error),
        Some(TransportError::TokenAcquisition(_))
    )
}

/// A default-stack client of `url`, sending `token` when there is one.
pub(crate) fn client(url: &str, token: Option<&str>) -> Client {
    let mut builder = Client::builder().base_url(url).expect("valid URL");
    if let Some(token) = token {
        builder = builder.token(token).expect("valid token");
    }
    builder.build().expect("the client builds")
}

/// A forwarding HTTP proxy on 127.0.0.1: absolute-form requests and
/// `CONNECT` tunnels. It keeps the head of the first request of each
/// connection it serves.
pub(crate) struct ProxyServer {
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    heads: mpsc::UnboundedReceiver<String>,
    task: JoinHandle<()>,
}

impl ProxyServer {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let (seen, heads) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, seen.clone()));
            }
        });
        Self { url, heads, task }
    }

    /// The request heads of the connections served so far.
    pub(crate) fn heads(&mut self) -> Vec<String> {
        let mut heads = Vec::new();
        while let Ok(head) = self.heads.try_recv() {
            heads.push(head);
        }
        heads
    }

    /// The first lines of the connections served so far.
    pub(crate) fn first_lines(&mut self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or_default().to_owned())
            .collect()
    }
}

impl Drop for ProxyServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forwards one client connection (plain or TLS) as a proxy does.
pub(crate) async fn forward<S>(mut client: S, seen: mpsc::UnboundedSender<String>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let head = String::from_utf8_lossy(&request).into_owned();
    let first = head.lines().next().unwrap_or_default().to_owned();
    let _ = seen.send(head.clone());
    let mut words = first.split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let authority = if method == "CONNECT" {
        target.to_owned()
    } else {
        let rest = target.trim_start_matches("http://");
        rest.split('/').next().unwrap_or_default().to_owned()
    };
    let Ok(mut upstream) = TcpStream::connect(&authority).await else {
        return;
    };
    if method == "CONNECT" {
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    } else if upstream.write_all(&request).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// A SOCKS5 proxy on 127.0.0.1 (RFC 1928, with RFC 1929 user/password when
/// `credentials` are given): it keeps each `CONNECT` target it was asked
/// for, as `host:port`, then relays the bytes.
pub(crate) struct Socks5Server {
    /// `127.0.0.1:PORT`
    pub(crate) address: String,
    targets: mpsc::UnboundedReceiver<String>,
    task: JoinHandle<()>,
}

impl Socks5Server {
    pub(crate) async fn start(credentials: Option<(&'static str, &'static str)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local addr").to_string();
        let (seen, targets) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(socks5(client, credentials, seen.clone()));
            }
        });
        Self {
            address,
            targets,
            task,
        }
    }

    /// The targets asked for so far.
    pub(crate) fn targets(&mut self) -> Vec<String> {
        let mut targets = Vec::new();
        while let Ok(target) = self.targets.try_recv() {
            targets.push(target);
        }
        targets
    }
}

impl Drop for Socks5Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn socks5(
    mut client: TcpStream,
    credentials: Option<(&'static str, &'static str)>,
    seen: mpsc::UnboundedSender<String>,
) -> Option<()> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await.ok()?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await.ok()?;
    match credentials {
        None => client.write_all(&[5, 0]).await.ok()?,
        Some((user, password)) => {
            client.write_all(&[5, 2]).await.ok()?;
            let mut version_and_length = [0u8; 2];
            client.read_exact(&mut version_and_length).await.ok()?;
            let mut given_user = vec![0u8; usize::from(version_and_length[1])];
            client.read_exact(&mut given_user).await.ok()?;
            let mut length = [0u8; 1];
            client.read_exact(&mut length).await.ok()?;
            let mut given_password = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut given_password).await.ok()?;
            let accepted = given_user == user.as_bytes() && given_password == password.as_bytes();
            client
                .write_all(&[1, if accepted { 0 } else { 1 }])
                .await
                .ok()?;
            if !accepted {
                return None;
            }
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await.ok()?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await.ok()?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut length = [0u8; 1];
            client.read_exact(&mut length).await.ok()?;
            let mut name = vec![0u8; usize::from(length[0])];
            client.read_exact(&mut name).await.ok()?;
            String::from_utf8(name).ok()?
        }
        _ => return None,
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await.ok()?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    let _ = seen.send(target.clone());
    let mut upstream = TcpStream::connect(&target).await.ok()?;
    client
        .write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
        .await
        .ok()?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream)
        .await
        .ok()?;
    Some(())
}

/// A listener on 127.0.0.1 that keeps the first bytes of each connection
/// and answers nothing: what a proxy port would receive.
pub(crate) async fn first_bytes_listener() -> (String, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("local addr").to_string();
    let (seen, bytes) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 4096];
            let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer))
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or(0);
            let _ = seen.send(buffer[..read].to_vec());
        }
    });
    (address, bytes)
}
