//! The operations as methods on a clonable service, and as free functions
//! over any service; both build the same [`Call`](rxinfer_api_core::Call)
//! and return the same type.

use std::sync::Arc;

use rxinfer_api_core::{ApiClient, RequestOptions};
#[allow(unused_imports)] // the documentation's links
use rxinfer_api_core::{ApiError, ApiErrorKind};
#[allow(unused_imports)] // the documentation's links
use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, AvailableModel,
    CreateEpisodeRequest, CreateModelInstanceRequest, CreateModelInstanceResponse, EpisodeInfo,
    InferRequest, InferResponse, LearnRequest, LearnResponse, ModelInstance,
    ModelInstanceParameters, ModelInstanceState, SuccessResponse,
};

use crate::{InstanceHandle, instance_line::Lines};

/// The Models API over a clonable service, such as the default
/// [`Transport`](rxinfer_transport::Transport), as the official Python
/// client's `ModelsApi`: model discovery, instances, their state and
/// parameters, inference, learning, episodes and events.
///
/// Each method builds its request at once (so arguments are borrowed only
/// for the call) and returns a future that owns a clone of the service, so
/// it can be spawned.
///
/// The server takes no lock on an instance: concurrent `run_inference` or
/// `run_learning` calls on one instance can lose each other's state update.
/// [`instance`](Self::instance) gives a handle that sends its calls one at a
/// time.
#[derive(Debug, Clone)]
pub struct ModelsApi<S> {
    client: ApiClient<S>,
    /// The instance lines of this API and its clones.
    lines: Arc<Lines>,
}

impl<S> ModelsApi<S> {
    /// The API over `service`, with no per-call overrides.
    pub fn new(service: S) -> Self {
        Self::from_client(ApiClient::new(service))
    }

    /// The API over `client`'s service and settings, with instance lines
    /// of its own.
    pub fn from_client(client: ApiClient<S>) -> Self {
        Self {
            client,
            lines: Arc::default(),
        }
    }

    /// The same API, sharing its instance lines, over `client`.
    pub fn with_client<T>(&self, client: ApiClient<T>) -> ModelsApi<T> {
        ModelsApi {
            client,
            lines: Arc::clone(&self.lines),
        }
    }

    /// The same API, sharing its instance lines, applying `options` to
    /// every call made through it.
    pub fn with_options(&self, options: RequestOptions) -> Self
    where
        S: Clone,
    {
        self.with_client(self.client.clone().with_options(options))
    }

    /// The service and settings calls go through.
    pub fn client(&self) -> &ApiClient<S> {
        &self.client
    }

    /// A handle on the instance `instance_id` that sends the calls made
    /// through it one at a time, in the order they were made, so that none
    /// loses another's state update. Every handle on the same id from this
    /// API and its clones shares one line. Other calls are not slowed. See
    /// [`InstanceHandle`] for what the line guarantees and what it cannot.
    pub fn instance(&self, instance_id: impl Into<String>) -> InstanceHandle<S>
    where
        S: Clone,
    {
        let id: Arc<str> = instance_id.into().into();
        let line = self.lines.line(&id);
        InstanceHandle::new(self.clone(), id, line)
    }
}

/// The Models API's table of operations, one entry each, handed to the
/// macro named first with the tokens in braces before them: to
/// [`rxinfer_api_core::declare_operations!`] here, and to the blocking
/// client's. [`rxinfer_api_core::declare_operations!`] says the form of an
/// entry.
#[macro_export]
macro_rules! models_operations {
    ($($then:ident)::+ { $($prefix:tt)* }) => {
        $($then)::+! {
            $($prefix)*
            /// Lists the models this token may create (`GET /models/available`):
            /// those sharing a role with it, possibly none.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | every visible [`AvailableModel`], in no set order |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// let models = api.get_available_models().await?;
            /// assert!(models.iter().any(|m| m.details.name.as_deref() == Some("BetaBernoulli-v1")));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_available_models() -> Vec<$crate::__models::AvailableModel>
                = GET "/models/available";

            /// Describes one model (`GET /models/available/{model_name}`), with its
            /// whole configuration.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`AvailableModel`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 ``The requested model name `NAME` could not be found``: unknown, or not visible to this token | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// let model = api.get_available_model("BetaBernoulli-v1").await?;
            /// assert_eq!(model.details.author.as_deref(), Some("Lazy Dynamics"));
            /// assert!(api.get_available_model("NoSuchModel-v9").await.unwrap_err().is_not_found());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_available_model(model_name: &str) -> $crate::__models::AvailableModel
                = GET ["models", "available", model_name];

            /// Creates an instance of a model (`POST /models/create-instance`), with
            /// the model's default arguments overlaid by the request's, a `default`
            /// episode, and the model's initial state and parameters. Never sent
            /// twice once it may have reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`CreateModelInstanceResponse`], the new id |
            /// | 400 `model configuration validation error - model configuration argument NAME is required` | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown model, or not visible to this token | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            /// | 500, empty body: a body the server cannot read (a description over 128 characters) | [`UnexpectedStatus`](rxinfer_api_core::ApiErrorKind::UnexpectedStatus) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::{CreateModelInstanceRequest, object};
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// let request = CreateModelInstanceRequest::new("BetaBernoulli-v1")
            ///     .with_description("coin")
            ///     .with_arguments(object([("prior_a", 2)]));
            /// let created = api.create_model_instance(&request).await?;
            /// assert_eq!(created.instance_id.len(), 36);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn create_model_instance(request: &$crate::__models::CreateModelInstanceRequest) -> $crate::__models::CreateModelInstanceResponse
                = POST "/models/create-instance" json(request), never_resent;

            /// Lists this token's instances (`GET /models/instances`); other
            /// tokens' never appear.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | every [`ModelInstance`] not deleted, possibly none |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// assert!(api.get_model_instances().await?.is_empty());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_model_instances() -> Vec<$crate::__models::ModelInstance>
                = GET "/models/instances";

            /// Describes one instance (`GET /models/i/{instance_id}`).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`ModelInstance`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 `The requested model instance could not be found`: unknown, deleted, or another token's (never 401, whatever the document says) | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let instance = api.get_model_instance(&id).await?;
            /// assert_eq!(instance.model_name, "BetaBernoulli-v1");
            /// assert_eq!(instance.current_episode, "default");
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_model_instance(instance_id: &str) -> $crate::__models::ModelInstance
                = GET ["models", "i", instance_id];

            /// Deletes an instance (`DELETE /models/i/{instance_id}`); every later
            /// call on it answers 404. Sent again when the connection drops after
            /// the request was written; if that second request answers 404, the
            /// first one most likely did the delete, and the call succeeds with
            /// the 404 status and the message [`DELETED_BEFORE`](rxinfer_api_core::DELETED_BEFORE).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `Model instance deleted successfully` | [`SuccessResponse`] |
            /// | 404 to a request sent again after a lost answer | [`SuccessResponse`] with [`DELETED_BEFORE`](rxinfer_api_core::DELETED_BEFORE) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown, already deleted, or another token's | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// api.delete_model_instance(&id).await?;
            /// assert!(api.get_model_instance(&id).await.unwrap_err().is_not_found());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn delete_model_instance(instance_id: &str) -> $crate::__models::SuccessResponse
                = DELETE ["models", "i", instance_id];

            /// Reads an instance's whole state (`GET /models/i/{instance_id}/state`).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`ModelInstanceState`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::FreeForm;
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let state = api.get_model_instance_state(&id).await?;
            /// assert_eq!(state.i64("number_of_infer_calls"), Some(0));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_model_instance_state(instance_id: &str) -> $crate::__models::ModelInstanceState
                = GET ["models", "i", instance_id, "state"];

            /// Reads the parameters of an instance's current episode
            /// (`GET /models/i/{instance_id}/parameters`).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`ModelInstanceParameters`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::FreeForm;
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let parameters = api.get_model_instance_parameters(&id).await?;
            /// assert_eq!(parameters.f64("posterior_a"), Some(1.0));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_model_instance_parameters(instance_id: &str) -> $crate::__models::ModelInstanceParameters
                = GET ["models", "i", instance_id, "parameters"];

            /// Runs inference (`POST /models/i/{instance_id}/infer`) with the
            /// current episode's parameters, records the data as an event of the
            /// episode the request names (`default` unless named, not the current
            /// one), and stores the new state. Never sent twice once it may have
            /// reached the server.
            ///
            /// Not safe to run concurrently on one instance: the server takes no
            /// lock, so one call's state update can be lost. Use
            /// [`instance`](Self::instance) to serialise them.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`InferResponse`]; `event_id` is `None` and `errors` says why when recording failed (an episode that does not exist) |
            /// | 400 `Unable to run inference due to internal error`: the model failed on the data | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            /// | 500, empty body: a body without `data` | [`UnexpectedStatus`](rxinfer_api_core::ApiErrorKind::UnexpectedStatus) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::{FreeForm, InferRequest, object};
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let answer = api.run_inference(&id, &InferRequest::new(object([("observation", 1)]))).await?;
            /// assert_eq!(answer.event_id, Some(1));
            /// assert_eq!(answer.f64("mean_p"), Some(2.0 / 3.0));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn run_inference(instance_id: &str, request: &$crate::__models::InferRequest) -> $crate::__models::InferResponse
                = POST ["models", "i", instance_id, "infer"] json(request), never_resent;

            /// Learns from one episode's events (`POST /models/i/{instance_id}/learn`):
            /// the unprocessed ones, or all with `relearn` (which the server does
            /// not reset the parameters for). Stores the new parameters in that
            /// episode and marks the events processed. Never sent twice once it may
            /// have reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`LearnResponse`] |
            /// | 400 `Learning is supported only for one episode at a time` | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance, or `The requested episode could not be found` | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            /// | 500, empty body: a model that cannot learn from the events | [`UnexpectedStatus`](rxinfer_api_core::ApiErrorKind::UnexpectedStatus) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::{AttachEventsToEpisodeRequest, FreeForm, LearnRequest, NewEvent, object};
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let events = [1, 1, 0].map(|x| NewEvent::new(object([("observation", x)])));
            /// api.attach_events_to_episode(&id, "default", &AttachEventsToEpisodeRequest::new(events)).await?;
            /// let learned = api.run_learning(&id, &LearnRequest::new(["default"])).await?;
            /// assert_eq!(learned.f64("posterior_a"), Some(3.0));
            /// assert_eq!(learned.f64("posterior_b"), Some(2.0));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn run_learning(instance_id: &str, request: &$crate::__models::LearnRequest) -> $crate::__models::LearnResponse
                = POST ["models", "i", instance_id, "learn"] json(request), never_resent;

            /// Creates an episode (`POST /models/i/{instance_id}/create-episode`),
            /// empty, with the model's initial parameters; it becomes the current
            /// episode. Never sent twice once it may have reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`EpisodeInfo`] |
            /// | 400 `The requested episode already exists` | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::CreateEpisodeRequest;
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let episode = api.create_episode(&id, &CreateEpisodeRequest::new("morning / run #1")).await?;
            /// assert!(episode.events.is_empty());
            /// assert_eq!(api.get_model_instance(&id).await?.current_episode, "morning / run #1");
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn create_episode(instance_id: &str, request: &$crate::__models::CreateEpisodeRequest) -> $crate::__models::EpisodeInfo
                = POST ["models", "i", instance_id, "create-episode"] json(request), never_resent;

            /// Lists an instance's episodes with all their events and parameters
            /// (`GET /models/i/{instance_id}/episodes`). The list can be large: raise
            /// the body limit for the call with
            /// [`RequestOptions::body_limit`](rxinfer_api_core::RequestOptions::body_limit).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | every [`EpisodeInfo`] not deleted |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404 | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let episodes = api.get_episodes(&id).await?;
            /// assert_eq!(episodes.len(), 1);
            /// assert_eq!(episodes[0].episode_name, "default");
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_episodes(instance_id: &str) -> Vec<$crate::__models::EpisodeInfo>
                = GET ["models", "i", instance_id, "episodes"];

            /// Describes one episode
            /// (`GET /models/i/{instance_id}/episodes/{episode_name}`); the name is
            /// percent-encoded, so any string works.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 | [`EpisodeInfo`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance, or `The requested episode could not be found` | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let episode = api.get_episode_info(&id, "default").await?;
            /// assert_eq!(episode.instance_id, id);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn get_episode_info(instance_id: &str, episode_name: &str) -> $crate::__models::EpisodeInfo
                = GET ["models", "i", instance_id, "episodes", episode_name];

            /// Deletes an episode (`DELETE /models/i/{instance_id}/episodes/{episode_name}`);
            /// if it was current, `default` becomes current again. `default` itself
            /// cannot be deleted (wipe it instead).
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `Episode deleted successfully` | [`SuccessResponse`] |
            /// | 404 to a request sent again after a lost answer (see [`delete_model_instance`](Self::delete_model_instance)) | [`SuccessResponse`] with [`DELETED_BEFORE`](rxinfer_api_core::DELETED_BEFORE) |
            /// | 400 `Default episode cannot be deleted, wipe data instead` | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance or episode | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::CreateEpisodeRequest;
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// api.create_episode(&id, &CreateEpisodeRequest::new("trial")).await?;
            /// api.delete_episode(&id, "trial").await?;
            /// assert_eq!(api.get_model_instance(&id).await?.current_episode, "default");
            /// assert!(api.delete_episode(&id, "default").await.is_err());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn delete_episode(instance_id: &str, episode_name: &str) -> $crate::__models::SuccessResponse
                = DELETE ["models", "i", instance_id, "episodes", episode_name];

            /// Attaches events to an episode
            /// (`POST .../episodes/{episode_name}/attach-events`), numbered after its
            /// last. Never sent twice once it may have reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `Events attached to the episode successfully` | [`SuccessResponse`] |
            /// | 400 `Unable to attach events to the episode due to internal error` (such as no events) | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance or episode | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::{AttachEventsToEpisodeRequest, NewEvent, object};
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let events = AttachEventsToEpisodeRequest::new([NewEvent::new(object([("observation", 1)]))]);
            /// api.attach_events_to_episode(&id, "default", &events).await?;
            /// assert_eq!(api.get_episode_info(&id, "default").await?.events[0].event_id, Some(1));
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn attach_events_to_episode(
                instance_id: &str,
                episode_name: &str,
                request: &$crate::__models::AttachEventsToEpisodeRequest
            ) -> $crate::__models::SuccessResponse
                = POST ["models", "i", instance_id, "episodes", episode_name, "attach-events"] json(request), never_resent;

            /// Wipes an episode (`POST .../episodes/{episode_name}/wipe`): no events,
            /// the event ids start again from 1, and its parameters are the model's
            /// initial ones. Works on `default`. Never sent twice once it may have
            /// reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `Episode wiped successfully` | [`SuccessResponse`] |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance or episode | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// api.wipe_episode(&id, "default").await?;
            /// assert!(api.get_episode_info(&id, "default").await?.events.is_empty());
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn wipe_episode(instance_id: &str, episode_name: &str) -> $crate::__models::SuccessResponse
                = POST ["models", "i", instance_id, "episodes", episode_name, "wipe"], never_resent;

            /// Replaces an event's metadata
            /// (`POST .../episodes/{episode_name}/events/{event_id}/attach-metadata`).
            /// Never sent twice once it may have reached the server.
            ///
            /// | status | result |
            /// |---|---|
            /// | 200 `Metadata attached to the event successfully` | [`SuccessResponse`] |
            /// | 400 `Unable to attach metadata to the event due to internal error`: no such event, or the same metadata again | [`BadRequest`](rxinfer_api_core::ApiErrorKind::BadRequest) |
            /// | 401 | [`Unauthorized`](rxinfer_api_core::ApiErrorKind::Unauthorized) |
            /// | 404: unknown instance or episode | [`NotFound`](rxinfer_api_core::ApiErrorKind::NotFound) |
            ///
            /// # Errors
            ///
            /// An [`ApiError`] whose kind the status decides, or a transport failure.
            ///
            /// ```
            /// use rxinfer_models::{AttachMetadataToEventRequest, InferRequest, object};
            ///
            /// # tokio_test::block_on(async {
            /// # let stand_in = rxinfer_stand_in::StandIn::builder().dev_token(true).start().await?;
            /// # let api = rxinfer_models_api::doc::api(stand_in.url())?;
            /// # let id = rxinfer_models_api::doc::coin(&api).await?;
            /// let inferred = api.run_inference(&id, &InferRequest::new(object([("observation", 0)]))).await?;
            /// let event_id = inferred.event_id.expect("recorded");
            /// let metadata = AttachMetadataToEventRequest::new(object([("source", "sensor-7")]));
            /// api.attach_metadata_to_event(&id, "default", event_id, &metadata).await?;
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// # });
            /// ```
            fn attach_metadata_to_event(
                instance_id: &str,
                episode_name: &str,
                event_id: i64,
                request: &$crate::__models::AttachMetadataToEventRequest
            ) -> $crate::__models::SuccessResponse
                = POST ["models", "i", instance_id, "episodes", episode_name, "events", event_id, "attach-metadata"] json(request), never_resent;
        }
    };
}

models_operations!(rxinfer_api_core::declare_operations { ModelsApi; });

#[cfg(test)]
mod tests {
    use http::Method;

    use super::endpoint;

    #[test]
    fn only_gets_and_deletes_may_be_sent_twice() {
        for endpoint in endpoint::ALL {
            let resendable = endpoint.method == Method::GET || endpoint.method == Method::DELETE;
            assert_eq!(
                endpoint.operation.idempotent, resendable,
                "{}",
                endpoint.operation.name
            );
            assert!(
                endpoint.operation.needs_token,
                "{}",
                endpoint.operation.name
            );
        }
    }
}
