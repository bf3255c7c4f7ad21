//! A synchronous client, for scripts and tests, as `reqwest::blocking`: the
//! same builder, the same operations and errors, each call returning its
//! result instead of a future.
//!
//! Calls run on a Tokio runtime of the client's own, on a thread it starts
//! (the thread ends when the last clone of the client is dropped). A call
//! blocks the calling thread until its answer is there. Made from inside an
//! async runtime, it does not panic (unlike a runtime nested in another):
//! it blocks that runtime's worker thread for the call's duration, which
//! stalls the other tasks on that thread, so prefer the async
//! [`Client`](crate::Client) there.
//!
//! ```no_run
//! use rxinfer_client::{Client, models::{CreateModelInstanceRequest, InferRequest, object}};
//!
//! let client = Client::builder()
//!     .base_url("http://localhost:8000/v1")?
//!     .generate_token()
//!     .build_blocking()?;
//! let created = client.models().create_model_instance(&CreateModelInstanceRequest::new("BetaBernoulli-v1"))?;
//! let answer = client.models().run_inference(&created.instance_id, &InferRequest::new(object([("observation", 1)])))?;
//! println!("{:?}", answer.results);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::{future::Future, pin::Pin, sync::mpsc as std_mpsc};

use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse};
use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, AvailableModel,
    CreateEpisodeRequest, CreateModelInstanceRequest, CreateModelInstanceResponse, EpisodeInfo,
    InferRequest, InferResponse, LearnRequest, LearnResponse, ModelInstance,
    ModelInstanceParameters, ModelInstanceState, PingResponse, ServerInfo, SuccessResponse,
    TokenGenerateResponse, TokenRolesResponse,
};
use rxinfer_transport::Error;
use tokio::sync::mpsc;

use crate::BoxClient;

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A synchronous RxInferServer client; build it with
/// [`ClientBuilder::build_blocking`](crate::ClientBuilder::build_blocking).
/// Cloning is cheap; clones share the runtime and the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: BoxClient,
    jobs: mpsc::UnboundedSender<Job>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Client").finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(inner: BoxClient) -> Result<Self, Error> {
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Middleware(e.into()))?;
        std::thread::Builder::new()
            .name("rxinfer-blocking".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| Error::Middleware(e.into()))?;
        Ok(Self { inner, jobs })
    }

    /// Runs `call` on the client's runtime and waits for its result.
    fn wait<T: Send + 'static>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, ApiError>> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = std_mpsc::sync_channel(1);
        let job = Box::pin(async move {
            let _ = answer.send(call.await);
        });
        let stopped = || {
            ApiError::new(
                operation,
                http::Method::GET,
                String::new(),
                ApiErrorKind::Transport(Error::Middleware(
                    "the blocking client's runtime has stopped".into(),
                )),
            )
        };
        self.jobs.send(job).map_err(|_| stopped())?;
        answered.recv().map_err(|_| stopped())?
    }

    /// The Authentication API, blocking.
    pub fn authentication(&self) -> AuthenticationApi<'_> {
        AuthenticationApi { client: self }
    }

    /// The Server API, blocking.
    pub fn server(&self) -> ServerApi<'_> {
        ServerApi { client: self }
    }

    /// The Models API, blocking.
    pub fn models(&self) -> ModelsApi<'_> {
        ModelsApi { client: self }
    }
}

/// Declares a blocking API group: each method runs the async client's
/// method of the same name and waits for it.
macro_rules! blocking_group {
    ($group:ident, $accessor:ident, $async_group:literal, [
        $( fn $name:ident($($arg:ident: $ty:ty),*) -> $answer:ty; )*
    ]) => {
        #[doc = concat!("The ", $async_group, ", blocking; see [`crate::", $async_group, "`].")]
        #[derive(Debug, Clone, Copy)]
        pub struct $group<'a> {
            client: &'a Client,
        }

        impl $group<'_> {
            $(
                #[doc = concat!("[`crate::", $async_group, "::", stringify!($name), "`], blocking.")]
                ///
                /// # Errors
                ///
                #[doc = concat!("As [`crate::", $async_group, "::", stringify!($name), "`].")]
                pub fn $name(&self, $($arg: $ty),*) -> Result<ApiResponse<$answer>, ApiError> {
                    let call = self.client.inner.$accessor().$name($($arg),*);
                    self.client.wait(stringify!($name), call)
                }
            )*
        }
    };
}

blocking_group!(AuthenticationApi, authentication, "AuthenticationApi", [
    fn token_generate() -> TokenGenerateResponse;
    fn token_roles() -> TokenRolesResponse;
]);

blocking_group!(ServerApi, server, "ServerApi", [
    fn ping_server() -> PingResponse;
    fn get_server_info() -> ServerInfo;
]);

blocking_group!(ModelsApi, models, "ModelsApi", [
    fn get_available_models() -> Vec<AvailableModel>;
    fn get_available_model(model_name: &str) -> AvailableModel;
    fn create_model_instance(request: &CreateModelInstanceRequest) -> CreateModelInstanceResponse;
    fn get_model_instances() -> Vec<ModelInstance>;
    fn get_model_instance(instance_id: &str) -> ModelInstance;
    fn delete_model_instance(instance_id: &str) -> SuccessResponse;
    fn get_model_instance_state(instance_id: &str) -> ModelInstanceState;
    fn get_model_instance_parameters(instance_id: &str) -> ModelInstanceParameters;
    fn run_inference(instance_id: &str, request: &InferRequest) -> InferResponse;
    fn run_learning(instance_id: &str, request: &LearnRequest) -> LearnResponse;
    fn create_episode(instance_id: &str, request: &CreateEpisodeRequest) -> EpisodeInfo;
    fn get_episodes(instance_id: &str) -> Vec<EpisodeInfo>;
    fn get_episode_info(instance_id: &str, episode_name: &str) -> EpisodeInfo;
    fn delete_episode(instance_id: &str, episode_name: &str) -> SuccessResponse;
    fn attach_events_to_episode(instance_id: &str, episode_name: &str, request: &AttachEventsToEpisodeRequest) -> SuccessResponse;
    fn wipe_episode(instance_id: &str, episode_name: &str) -> SuccessResponse;
    fn attach_metadata_to_event(instance_id: &str, episode_name: &str, event_id: i64, request: &AttachMetadataToEventRequest) -> SuccessResponse;
]);
