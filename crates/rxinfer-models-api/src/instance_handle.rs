//! One instance's calls, one at a time.

use std::{future::Future, sync::Arc};

use http::{Request, Response};
use http_body::Body;
use rxinfer_api_core::{ApiError, ApiResponse, BoxError};
use rxinfer_models::{
    AttachEventsToEpisodeRequest, CreateEpisodeRequest, InferRequest, InferResponse, LearnRequest,
    LearnResponse, ModelInstanceParameters, ModelInstanceState, SuccessResponse,
};
use rxinfer_transport::RequestBody;
use tokio::sync::Mutex;
use tower::Service;

use crate::ModelsApi;

/// A handle on one instance whose calls (through it and its clones) run one
/// at a time, in the order they were made: the server takes no lock, so
/// two concurrent inferences on one instance can lose a state update, and
/// this keeps that from happening without slowing any other call.
///
/// ```
/// use rxinfer_models::{InferRequest, object};
///
/// # tokio_test::block_on(async {
/// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
/// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
/// # let id = rxinfer_models_api::doc::coin(&api).await?;
/// let coin = api.instance(&id);
/// let calls: Vec<_> = (0..10)
///     .map(|_| tokio::spawn(coin.run_inference(&InferRequest::new(object([("observation", 1)])))))
///     .collect();
/// for call in calls {
///     call.await??;
/// }
/// // No update was lost.
/// assert_eq!(coin.get_model_instance_state().await?.state["number_of_infer_calls"], 10);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// ```
#[derive(Debug)]
pub struct InstanceHandle<S> {
    api: ModelsApi<S>,
    instance_id: Arc<str>,
    turn: Arc<Mutex<()>>,
}

impl<S: Clone> Clone for InstanceHandle<S> {
    fn clone(&self) -> Self {
        Self {
            api: self.api.clone(),
            instance_id: Arc::clone(&self.instance_id),
            turn: Arc::clone(&self.turn),
        }
    }
}

impl<S> InstanceHandle<S> {
    pub(crate) fn new(api: ModelsApi<S>, instance_id: String) -> Self {
        Self {
            api,
            instance_id: instance_id.into(),
            turn: Arc::default(),
        }
    }

    /// The instance's id.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Runs `call` once the calls before it are done.
    fn in_turn<F: Future>(&self, call: F) -> impl Future<Output = F::Output> + use<F, S> {
        let turn = Arc::clone(&self.turn);
        async move {
            let _turn = turn.lock_owned().await;
            call.await
        }
    }
}

impl<S, B> InstanceHandle<S>
where
    S: Service<Request<RequestBody>, Response = Response<B>> + Clone + 'static,
    S::Error: Into<BoxError>,
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    /// [`ModelsApi::run_inference`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::run_inference`].
    pub fn run_inference(
        &self,
        request: &InferRequest,
    ) -> impl Future<Output = Result<ApiResponse<InferResponse>, ApiError>> + use<S, B> {
        self.in_turn(self.api.run_inference(&self.instance_id, request))
    }

    /// [`ModelsApi::run_learning`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::run_learning`].
    pub fn run_learning(
        &self,
        request: &LearnRequest,
    ) -> impl Future<Output = Result<ApiResponse<LearnResponse>, ApiError>> + use<S, B> {
        self.in_turn(self.api.run_learning(&self.instance_id, request))
    }

    /// [`ModelsApi::attach_events_to_episode`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::attach_events_to_episode`].
    pub fn attach_events_to_episode(
        &self,
        episode_name: &str,
        request: &AttachEventsToEpisodeRequest,
    ) -> impl Future<Output = Result<ApiResponse<SuccessResponse>, ApiError>> + use<S, B> {
        self.in_turn(
            self.api
                .attach_events_to_episode(&self.instance_id, episode_name, request),
        )
    }

    /// [`ModelsApi::create_episode`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::create_episode`].
    pub fn create_episode(
        &self,
        request: &CreateEpisodeRequest,
    ) -> impl Future<Output = Result<ApiResponse<rxinfer_models::EpisodeInfo>, ApiError>> + use<S, B>
    {
        self.in_turn(self.api.create_episode(&self.instance_id, request))
    }

    /// [`ModelsApi::wipe_episode`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::wipe_episode`].
    pub fn wipe_episode(
        &self,
        episode_name: &str,
    ) -> impl Future<Output = Result<ApiResponse<SuccessResponse>, ApiError>> + use<S, B> {
        self.in_turn(self.api.wipe_episode(&self.instance_id, episode_name))
    }

    /// [`ModelsApi::get_model_instance_state`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::get_model_instance_state`].
    pub fn get_model_instance_state(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<ModelInstanceState>, ApiError>> + use<S, B> {
        self.in_turn(self.api.get_model_instance_state(&self.instance_id))
    }

    /// [`ModelsApi::get_model_instance_parameters`] on this instance, in
    /// turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::get_model_instance_parameters`].
    pub fn get_model_instance_parameters(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<ModelInstanceParameters>, ApiError>> + use<S, B>
    {
        self.in_turn(self.api.get_model_instance_parameters(&self.instance_id))
    }
}
