//! Accepting connections, serving them, and shutting down.

use std::{convert::Infallible, io, net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Request, header::AUTHORIZATION};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{RecordedRequest, StandInBuilder, clock, routes::route, state::State};

/// How long shutdown waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running stand-in server on `127.0.0.1`. It stops on
/// [`shutdown`](Self::shutdown) or when dropped.
///
/// Everything it stores lives in memory, in one process; the real server
/// keeps it in MongoDB.
///
/// ```
/// # tokio_test::block_on(async {
/// use rxinfer_stand_in::StandIn;
///
/// let server = StandIn::start().await?;
/// server.insert_token("known", ["admin"]);
/// println!("serving at {}", server.url());
/// server.shutdown().await;
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
pub struct StandIn {
    addr: SocketAddr,
    url: String,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl StandIn {
    /// Starts a server with the defaults: routes under `/v1`, no
    /// development token, no recording.
    ///
    /// # Errors
    ///
    /// When `127.0.0.1:0` cannot be bound.
    pub async fn start() -> io::Result<Self> {
        Self::builder().start().await
    }

    /// A builder for a server with other options.
    pub fn builder() -> StandInBuilder {
        StandInBuilder::default()
    }

    pub(crate) async fn bind(config: StandInBuilder) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}{}", config.base_path);
        let state = Arc::new(State::new(config));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&state), stopped));
        Ok(Self {
            addr,
            url,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The base URL of the API, such as `http://127.0.0.1:41234/v1`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stores `token` as valid, with `roles`.
    pub fn insert_token<I, R>(&self, token: &str, roles: I)
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let roles = roles.into_iter().map(Into::into).collect();
        self.state.insert_token(token.to_owned(), roles);
    }

    /// Forgets every token, as when they all expire: each is then answered
    /// with `401`.
    pub fn revoke_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// How many tokens the server has minted.
    pub fn tokens_generated(&self) -> usize {
        self.state.generated()
    }

    /// How many TCP connections the server has accepted.
    pub fn connections_accepted(&self) -> usize {
        self.state.connections()
    }

    /// The requests received so far, when recording is on.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Stops accepting, lets open connections finish (up to a few seconds),
    /// and returns when the server is gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("url", &self.url)
            .field("models", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(listener: TcpListener, state: Arc<State>, mut stopped: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    state.count_connection();
                    let _ = stream.set_nodelay(true);
                    let state = Arc::clone(&state);
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// The largest request body read: more than the 16 MB MongoDB lets the
/// real server store in one episode.
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let mut response = http::Response::new(Full::default());
            *response.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(response);
        }
    };
    let request = Request::from_parts(parts, ());
    // In a task of its own, as RxInferServer (HTTP.jl) runs a handler to its
    // end after the client has gone: hyper drops the connection's future,
    // and with it an inline handler, when the client disconnects. The
    // request is recorded there too, so a call whose client left counts.
    // Its answer waits for the millisecond of any stamp it took to pass,
    // as the real server's requests take longer than one (see `clock`).
    let handled = tokio::spawn(clock::after_its_stamps(async move {
        let response = route(&state, &request, &body).await;
        if state.config.record_requests {
            record(&state, request, body);
        }
        response
    }));
    Ok(handled.await.unwrap_or_else(|_| {
        let mut response = http::Response::new(Full::default());
        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        response
    }))
}

/// Keeps what arrived, its token marked sensitive.
fn record(state: &State, request: Request<()>, body: Bytes) {
    let (mut parts, ()) = request.into_parts();
    if let Some(value) = parts.headers.get_mut(AUTHORIZATION) {
        value.set_sensitive(true);
    }
    state.record(RecordedRequest {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpStream,
    };

    /// Sends a raw request and returns the status line of the answer.
    async fn status_line(addr: SocketAddr, request: &str) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = vec![0; 1024];
        let read = stream.read(&mut answer).await?;
        let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
        Ok(answer.lines().next().unwrap_or_default().to_owned())
    }

    #[tokio::test]
    async fn serves_until_shutdown_then_refuses() -> io::Result<()> {
        let server = StandIn::start().await?;
        let addr = server.addr();
        let request = "POST /v1/token/generate HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(status_line(addr, request).await?, "HTTP/1.1 200 OK");
        assert_eq!(server.connections_accepted(), 1);
        assert_eq!(server.tokens_generated(), 1);

        server.shutdown().await;
        assert!(TcpStream::connect(addr).await.is_err());
        Ok(())
    }

    #[tokio::test]
    async fn dropping_the_server_stops_it() -> io::Result<()> {
        let server = StandIn::start().await?;
        let addr = server.addr();
        drop(server);
        // The accept loop ends on its next turn.
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_err() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("still accepting connections after drop");
    }

    #[tokio::test]
    async fn records_requests_with_the_token_hidden_from_debug() -> io::Result<()> {
        let server = StandIn::builder().record_requests(true).start().await?;
        let request =
            "GET /v1/token/roles HTTP/1.1\r\nhost: x\r\nauthorization: Bearer hidden-42\r\n\r\n";
        assert_eq!(
            status_line(server.addr(), request).await?,
            "HTTP/1.1 401 Unauthorized"
        );
        let recorded = server.requests();
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].method, http::Method::GET);
        assert_eq!(recorded[0].uri, "/v1/token/roles");
        assert_eq!(recorded[0].headers[AUTHORIZATION], "Bearer hidden-42");
        assert!(!format!("{recorded:?}").contains("hidden-42"));
        Ok(())
    }
}
