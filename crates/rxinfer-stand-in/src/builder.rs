//! Options of the stand-in server.

use std::{fmt, io, sync::Arc, time::Duration};

use rxinfer_models::ServerInfo;

use crate::{BetaBernoulli, DirichletCategorical, Model, StandIn, models};

/// Configures and starts a [`StandIn`].
///
/// ```
/// # tokio_test::block_on(async {
/// let server = rxinfer_stand_in::StandIn::builder()
///     .dev_token(true)
///     .record_requests(true)
///     .start()
///     .await?;
/// # Ok::<(), std::io::Error>(())
/// # });
/// ```
#[derive(Clone)]
pub struct StandInBuilder {
    pub(crate) base_path: String,
    pub(crate) dev_token: bool,
    pub(crate) fail_token_generation: bool,
    pub(crate) record_requests: bool,
    pub(crate) forget_generated_tokens: bool,
    pub(crate) unavailable_for: usize,
    pub(crate) models: Vec<Arc<dyn Model>>,
    pub(crate) server_info: ServerInfo,
    pub(crate) inference_delay: Duration,
    pub(crate) inference_cost: Duration,
    pub(crate) port: u16,
}

impl Default for StandInBuilder {
    fn default() -> Self {
        Self {
            base_path: "/v1".to_owned(),
            dev_token: false,
            fail_token_generation: false,
            record_requests: false,
            forget_generated_tokens: false,
            unavailable_for: 0,
            models: vec![
                Arc::new(BetaBernoulli::default()),
                Arc::new(DirichletCategorical::default()),
            ],
            server_info: ServerInfo::new("4.4.2", "0.1.4", "CommunityEdition", "1.11.5"),
            inference_delay: Duration::ZERO,
            inference_cost: Duration::ZERO,
            port: 0,
        }
    }
}

impl fmt::Debug for StandInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let models: Vec<&str> = self.models.iter().map(|m| m.config().name()).collect();
        f.debug_struct("StandInBuilder")
            .field("base_path", &self.base_path)
            .field("dev_token", &self.dev_token)
            .field("fail_token_generation", &self.fail_token_generation)
            .field("record_requests", &self.record_requests)
            .field("forget_generated_tokens", &self.forget_generated_tokens)
            .field("unavailable_for", &self.unavailable_for)
            .field("models", &models)
            .field("inference_delay", &self.inference_delay)
            .field("inference_cost", &self.inference_cost)
            .field("port", &self.port)
            .finish()
    }
}

impl StandInBuilder {
    /// Serves the routes under `path` instead of `/v1` (`""` for none).
    pub fn base_path(mut self, path: &str) -> Self {
        self.base_path = path.trim_end_matches('/').to_owned();
        self
    }

    /// Accepts the development token, as a real server with
    /// `RXINFER_SERVER_ENABLE_DEV_TOKEN=true` does: `dev-token` has roles
    /// `["user"]`, `dev-token:a,b` has roles `["a", "b"]`; all of them are
    /// one owner.
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

    /// Keeps every request for [`StandIn::requests`].
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record_requests = record;
        self
    }

    /// Serves `model` too, replacing a model of the same name (the built-in
    /// `BetaBernoulli-v1` and `DirichletCategorical-v1`, say).
    pub fn model(mut self, model: impl Model) -> Self {
        let name = model.config().name().to_owned();
        self.models.retain(|m| m.config().name() != name);
        self.models.push(Arc::new(model));
        self
    }

    /// Serves the models of the real server's own test suite too, as a
    /// server started with `RXINFER_SERVER_LOAD_TEST_MODELS=true` does:
    /// `TestModelCreateEndpoint`, `TestModelInferenceCall`,
    /// `TestModelInformationEndpoint`, `TestModelLearningCall` and
    /// `TestModelComplexState` (role `test-only`), and
    /// `TestModelRolesAvailability` (role `test-model-roles-availability`),
    /// each with its `config.yaml` and what its `model.jl` does (the
    /// complex state's `matrix` in the server's default JSON form of a
    /// matrix). A model of the same name added before is replaced.
    pub fn with_test_models(mut self) -> Self {
        for model in models::testing::all() {
            let name = model.config().name().to_owned();
            self.models.retain(|m| m.config().name() != name);
            self.models.push(model);
        }
        self
    }

    /// Serves no model but those added with [`model`](Self::model).
    pub fn without_builtin_models(mut self) -> Self {
        self.models.clear();
        self
    }

    /// Answers `GET /info` with `info`.
    pub fn server_info(mut self, info: ServerInfo) -> Self {
        self.server_info = info;
        self
    }

    /// Waits `delay` between reading an instance's state and writing the
    /// state inference computed, without holding a lock, as the real server
    /// does: concurrent inferences on one instance then lose updates, which
    /// lets a test show that its code serialises them.
    ///
    /// This serialises nothing: concurrent inferences all wait at once.
    /// For a server that runs one inference at a time, see
    /// `inference_cost` (feature `cluster`); with both, the window is
    /// open only between replicas.
    pub fn inference_delay(mut self, delay: Duration) -> Self {
        self.inference_delay = delay;
        self
    }

    /// Makes each inference and each learning (`/infer`, `/learn`) take
    /// `cost`, one at a time per server or [replica](crate::Replica), as a
    /// real server's single worker runs one model at a time: a call waits
    /// for the calls before it, so a replica answers at most one such call
    /// per `cost`, however many arrive together. Other routes are not
    /// held up.
    ///
    /// Unlike [`inference_delay`](Self::inference_delay), the race window
    /// of a read-modify-write, this is throughput: a client that spreads
    /// its inferences over replicas finishes sooner than one that sends
    /// them all to one.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub fn inference_cost(mut self, cost: Duration) -> Self {
        self.inference_cost = cost;
        self
    }

    /// Listens on `port` of `127.0.0.1` (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds `127.0.0.1` at the [port](Self::port) and starts serving on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound.
    pub async fn start(self) -> io::Result<StandIn> {
        StandIn::bind(self).await
    }

    /// Starts `replicas` stand-ins with these options, sharing one store,
    /// on the current tokio runtime. The first listens on the
    /// [port](Self::port), the others on free ports.
    ///
    /// # Errors
    ///
    /// When `replicas` is 0 ([`InvalidInput`](io::ErrorKind::InvalidInput)),
    /// or a socket cannot be bound.
    #[cfg(feature = "cluster")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cluster")))]
    pub async fn start_cluster(self, replicas: usize) -> io::Result<crate::StandInCluster> {
        crate::StandInCluster::bind(self, replicas).await
    }
}
