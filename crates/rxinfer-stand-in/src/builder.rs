//! Options of the stand-in server.

use std::io;

use crate::MockServer;

/// Configures and starts a [`MockServer`].
///
/// ```
/// # tokio_test::block_on(async {
/// let server = rxinfer_mock_server::MockServer::builder()
///     .dev_token(true)
///     .record_requests(true)
///     .start()
///     .await?;
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    pub(crate) base_path: String,
    pub(crate) dev_token: bool,
    pub(crate) fail_token_generation: bool,
    pub(crate) record_requests: bool,
    pub(crate) forget_generated_tokens: bool,
    pub(crate) unavailable_for: usize,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        Self {
            base_path: "/v1".to_owned(),
            dev_token: false,
            fail_token_generation: false,
            record_requests: false,
            forget_generated_tokens: false,
            unavailable_for: 0,
        }
    }
}

impl MockServerBuilder {
    /// Serves the routes under `path` instead of `/v1` (`""` for none).
    pub fn base_path(mut self, path: &str) -> Self {
        self.base_path = path.trim_end_matches('/').to_owned();
        self
    }

    /// Accepts the development token, as a real server with
    /// `RXINFER_SERVER_ENABLE_DEV_TOKEN=true` does: `dev-token` has roles
    /// `["user"]`, `dev-token:a,b` has roles `["a", "b"]`.
    pub fn dev_token(mut self, enabled: bool) -> Self {
        self.dev_token = enabled;
        self
    }

    /// Answers every token generation with the real server's `400`, as when
    /// it cannot store a token.
    pub fn fail_token_generation(mut self, fail: bool) -> Self {
        self.fail_token_generation = fail;
        self
    }

    /// Mints tokens but never stores them, as a server that loses its token
    /// store: every generated token is then answered with `401`.
    pub fn forget_generated_tokens(mut self, forget: bool) -> Self {
        self.forget_generated_tokens = forget;
        self
    }

    /// Answers the first `requests` requests with `503 Service Unavailable`
    /// and `Retry-After: 0`, as a server that is starting up.
    pub fn unavailable_for(mut self, requests: usize) -> Self {
        self.unavailable_for = requests;
        self
    }

    /// Keeps every request for [`MockServer::requests`].
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound.
    pub async fn start(self) -> io::Result<MockServer> {
        MockServer::bind(self).await
    }
}
