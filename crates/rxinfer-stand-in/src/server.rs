//! Accepting connections, serving them, and stopping: gracefully, as
//! [`StandIn::shutdown`](crate::StandIn::shutdown) does, or at once, as a
//! killed process does.

use std::{error::Error, fmt, io, net::SocketAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use http::{Request, header::AUTHORIZATION};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Mutex, watch},
    task::{JoinHandle, JoinSet},
};

use crate::{RecordedRequest, clock, routes::route, state::State};

/// How long a graceful stop waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How a server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Stops accepting and lets open connections finish, up to
    /// [`SHUTDOWN_GRACE`].
    Graceful,
    /// Stops accepting, closes every connection and abandons every handler
    /// at once, as the operating system does for a killed process.
    // Only a cluster's replica is killed.
    #[cfg_attr(not(feature = "cluster"), allow(dead_code))]
    Kill,
}

/// One server on `127.0.0.1`: its address, what it serves from, and its
/// current run, which a restart replaces.
pub(crate) struct Server {
    addr: SocketAddr,
    url: String,
    state: Arc<State>,
    // A tokio lock: stopping waits for the run's end while holding it, so a
    // restart cannot start a run beside one still stopping.
    run: Mutex<Option<Run>>,
}

impl Server {
    /// Binds `127.0.0.1:port` and serves `state` from it.
    pub(crate) async fn bind(state: State, port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}{}", state.config.base_path);
        let state = Arc::new(state);
        let run = Run::start(listener, Arc::clone(&state));
        Ok(Self {
            addr,
            url,
            state,
            run: Mutex::new(Some(run)),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    /// Stops serving, `how`, and returns when the run is over; nothing
    /// when it is not running.
    pub(crate) async fn stop(&self, how: Stop) {
        let mut run = self.run.lock().await;
        if let Some(current) = run.take() {
            current.stop(how).await;
        }
    }
}

#[cfg(feature = "cluster")]
impl Server {
    /// Serves again on the same address, killing the current run first,
    /// if any, as a supervisor restarts a process.
    pub(crate) async fn restart(&self) -> io::Result<()> {
        let mut run = self.run.lock().await;
        if let Some(current) = run.take() {
            current.stop(Stop::Kill).await;
        }
        let listener = rebind(self.addr).await?;
        *run = Some(Run::start(listener, Arc::clone(&self.state)));
        Ok(())
    }
}

/// How often, and how far apart, [`rebind`] tries a busy address.
#[cfg(feature = "cluster")]
const REBIND_ATTEMPTS: u32 = 50;
#[cfg(feature = "cluster")]
const REBIND_PAUSE: Duration = Duration::from_millis(20);

/// Binds `addr` again. tokio sets `SO_REUSEADDR` on Unix, so the closed
/// connections' `TIME_WAIT` does not block it; on other systems, or while
/// the old socket is still being released, the port can be busy for a
/// moment, hence the retries.
#[cfg(feature = "cluster")]
async fn rebind(addr: SocketAddr) -> io::Result<TcpListener> {
    let mut attempts = 1;
    loop {
        match TcpListener::bind(addr).await {
            Err(error)
                if error.kind() == io::ErrorKind::AddrInUse && attempts < REBIND_ATTEMPTS =>
            {
                attempts += 1;
                tokio::time::sleep(REBIND_PAUSE).await;
            }
            bound => return bound,
        }
    }
}

/// Serving from one listener, until stopped. Dropping it stops the run
/// gracefully: its accept loop sees the sender gone.
struct Run {
    stop: watch::Sender<Option<Stop>>,
    task: JoinHandle<()>,
}

impl Run {
    fn start(listener: TcpListener, state: Arc<State>) -> Self {
        let (stop, stopped) = watch::channel(None);
        let task = tokio::spawn(serve(listener, state, stopped));
        Self { stop, task }
    }

    async fn stop(self, how: Stop) {
        // No receiver left means the run has already ended.
        let _ = self.stop.send(Some(how));
        let _ = self.task.await;
    }
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<Option<Stop>>,
) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    state.count_connection();
                    connections.spawn(connection(stream, Arc::clone(&state), stopped.clone(), &graceful));
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            // Reaps finished connections, so that the set does not grow.
            Some(_) = connections.join_next() => {}
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    if *stopped.borrow() != Some(Stop::Kill) {
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    }
    // Aborts the connections left and waits for them: each socket is
    // closed when this returns.
    connections.shutdown().await;
}

/// Serves one accepted connection until it closes or the server stops.
fn connection(
    stream: TcpStream,
    state: Arc<State>,
    stopped: watch::Receiver<Option<Stop>>,
    graceful: &GracefulShutdown,
) -> impl Future<Output = ()> + Send + use<> {
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| handle(Arc::clone(&state), stopped.clone(), request));
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    async move {
        let _ = connection.await;
    }
}

/// The largest request body read: more than the 16 MB MongoDB lets the
/// real server store in one episode.
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// What a handler returns to close its connection without answering:
/// hyper then drops the connection.
#[derive(Debug)]
struct Unanswered;

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the stand-in closed the connection without answering")
    }
}

impl Error for Unanswered {}

async fn handle(
    state: Arc<State>,
    stopped: watch::Receiver<Option<Stop>>,
    request: Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Unanswered> {
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
    // and with it an inline handler, when the client disconnects. Only a
    // killed server abandons it. The request is recorded there too, so a
    // call whose client left counts.
    // Its answer waits for the millisecond of any stamp it took to pass,
    // as the real server's requests take longer than one (see `clock`).
    let handled = tokio::spawn(clock::after_its_stamps(async move {
        let response = tokio::select! {
            response = answer(&state, &request, &body) => response,
            () = killed(stopped) => None,
        };
        if state.config.record_requests {
            record(&state, request, body);
        }
        response
    }));
    match handled.await {
        Ok(Some(response)) => Ok(response),
        Ok(None) => Err(Unanswered),
        Err(_) => {
            let mut response = http::Response::new(Full::default());
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            Ok(response)
        }
    }
}

/// The answer to `request`, or `None` to close the connection instead.
async fn answer(
    state: &State,
    request: &Request<()>,
    body: &Bytes,
) -> Option<http::Response<Full<Bytes>>> {
    #[cfg(feature = "cluster")]
    {
        use crate::fault::Intercept;
        state.control.count(request.method(), request.uri().path());
        let delay = state.control.delay();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match state.control.intercept() {
            Some(Intercept::Answer(answer)) => return Some(answer),
            Some(Intercept::Drop) => return None,
            None => {}
        }
    }
    Some(route(state, request, body).await)
}

/// Returns when the server is killed; never when it stops gracefully or is
/// dropped, as its handlers then run to their end.
async fn killed(mut stopped: watch::Receiver<Option<Stop>>) {
    if stopped
        .wait_for(|stop| *stop == Some(Stop::Kill))
        .await
        .is_err()
    {
        std::future::pending::<()>().await;
    }
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
        #[cfg(feature = "cluster")]
        replica: state.replica,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StandIn;
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
