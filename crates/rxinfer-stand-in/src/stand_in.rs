//! The stand-in server as one process: a server of its own.

use std::{io, net::SocketAddr};

use crate::{
    RecordedRequest, StandInBuilder,
    server::{Server, Stop},
    state::State,
};

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
    server: Server,
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
        let port = config.port;
        let server = Server::bind(State::new(config), port).await?;
        Ok(Self { server })
    }

    /// The base URL of the API, such as `http://127.0.0.1:41234/v1`.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Stores `token` as valid, with `roles`.
    pub fn insert_token<I, R>(&self, token: &str, roles: I)
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let roles = roles.into_iter().map(Into::into).collect();
        self.server.state().insert_token(token.to_owned(), roles);
    }

    /// Forgets every token, as when they all expire: each is then answered
    /// with `401`.
    pub fn revoke_tokens(&self) {
        self.server.state().revoke_tokens();
    }

    /// How many tokens the server has minted.
    pub fn tokens_generated(&self) -> usize {
        self.server.state().generated()
    }

    /// How many TCP connections the server has accepted.
    pub fn connections_accepted(&self) -> usize {
        self.server.state().connections()
    }

    /// The requests received so far, when recording is on.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.state().requests()
    }

    /// Stops accepting, lets open connections finish (up to a few seconds),
    /// and returns when the server is gone.
    pub async fn shutdown(self) {
        self.server.stop(Stop::Graceful).await;
    }
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("url", &self.url())
            .field("models", &self.server.state().config)
            .finish_non_exhaustive()
    }
}
