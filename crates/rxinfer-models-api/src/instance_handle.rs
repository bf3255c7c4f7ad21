//! One instance's calls, one at a time, in the order they were made.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{
            AtomicU8,
            Ordering::{AcqRel, Acquire},
        },
    },
    time::Duration,
};

use http_body::Body;
use rxinfer_api_core::{ApiError, ApiErrorKind, ApiResponse, ApiService, Call, SentEvent};
use rxinfer_models::{
    AttachEventsToEpisodeRequest, CreateEpisodeRequest, EpisodeInfo, InferRequest, InferResponse,
    LearnRequest, LearnResponse, ModelInstanceParameters, ModelInstanceState, SuccessResponse,
    Timestamp,
};
use rxinfer_transport::{DEFAULT_TIMEOUT, Error};
use serde::de::DeserializeOwned;
use tokio::{
    runtime::Handle,
    sync::oneshot,
    time::{Instant, timeout_at},
};

use crate::{
    ModelsApi,
    instance_line::{Line, stamp},
    models_api::calls,
};

/// The episode the server records an inference's event in when the
/// request names none.
const DEFAULT_EPISODE: &str = "default";

/// Whether the event of an inference whose answer was lost was recorded;
/// see [`InstanceHandle::reconcile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconciliation {
    /// The server ran the inference and recorded its event.
    Recorded {
        /// The event's id (`None` where the server kept none).
        event_id: Option<i64>,
    },
    /// No event carries the timestamp: the server never ran it, and
    /// sending it again is safe.
    NotRecorded,
}

/// A call waiting for its turn.
const WAITING: u8 = 0;
/// A call whose turn came: sent.
const SENT: u8 = 1;
/// A call given up before its turn: never sent.
const GIVEN_UP: u8 = 2;

/// Gives up a call still waiting for its turn; `false` when it was sent.
fn give_up(progress: &AtomicU8) -> bool {
    progress
        .compare_exchange(WAITING, GIVEN_UP, AcqRel, Acquire)
        .is_ok()
}

/// Gives the call up when its caller's future is dropped.
struct GiveUp(Arc<AtomicU8>);

impl Drop for GiveUp {
    fn drop(&mut self) {
        give_up(&self.0);
    }
}

/// The largest episode `reconcile` reads: 64 MiB, past the 16 MB MongoDB
/// holds in one episode.
const RECONCILE_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How long a call whose caller gave up may run on in the background,
/// holding its instance's turn: two minutes.
pub const DEFAULT_ABANDONED_BOUND: Duration = Duration::from_secs(120);

/// A handle on one instance whose calls run one at a time, in the order
/// they were made: the server takes no lock, so two overlapping inferences
/// on one instance lose a state update, two learns count the same events
/// twice, and an attach loses events. Calls on other instances are not
/// slowed.
///
/// What the line guarantees, for every handle on the same id made from one
/// [`ModelsApi`] and its clones (a `Client` and its clones):
///
/// - **Order of making.** A call takes its place when its method is called,
///   not when its future is first polled: in `tokio::join!(learn, attach)`,
///   with `attach` made first, the events are attached before the learning.
/// - **Held until the server is done.** A caller that gives up (its timeout,
///   a dropped future) does not pass the turn on while the server may still
///   run its call: the exchange goes on in the background until its answer
///   arrives or its connection closes, for at most the
///   [abandoned bound](Self::with_abandoned_bound) (default
///   [`DEFAULT_ABANDONED_BOUND`]). A call given up before its turn is never
///   sent, and its timeout says so ([`ApiError::never_sent`]).
/// - **One timeout for the whole wait.** The [timeout](Self::with_timeout)
///   counts from the method call, the wait for the turn included.
/// - **Shared and bounded.** Handles on one id share one line; a line goes
///   away when no handle or call holds it.
///
/// What it cannot do: order calls made by other processes, or by other
/// clients built separately, or calls on the instance not made through a
/// handle. Route each instance id to one process (one client) to keep one
/// writer per instance across processes.
///
/// Calls need a Tokio runtime, as every call does; one made outside a
/// runtime takes its place when first polled.
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
    /// Names the calls' URLs in errors.
    api: ModelsApi<S>,
    /// Sends them, with the abandoned bound as the exchange's deadline.
    background: ModelsApi<S>,
    instance_id: Arc<str>,
    line: Arc<Line>,
    timeout: Duration,
    abandoned_bound: Duration,
}

impl<S: Clone> Clone for InstanceHandle<S> {
    fn clone(&self) -> Self {
        Self {
            api: self.api.clone(),
            background: self.background.clone(),
            instance_id: Arc::clone(&self.instance_id),
            line: Arc::clone(&self.line),
            timeout: self.timeout,
            abandoned_bound: self.abandoned_bound,
        }
    }
}

impl<S: Clone> InstanceHandle<S> {
    pub(crate) fn new(api: ModelsApi<S>, instance_id: Arc<str>, line: Arc<Line>) -> Self {
        let client = api.client();
        let timeout = client
            .options()
            .timeout_override()
            .or(client.service_timeout())
            .unwrap_or(DEFAULT_TIMEOUT);
        Self {
            background: api.clone(),
            api,
            instance_id,
            line,
            timeout,
            abandoned_bound: DEFAULT_ABANDONED_BOUND,
        }
        .sending()
    }

    /// The background API: the handle's options, with the later of the
    /// timeout and the abandoned bound as the exchange's own deadline.
    fn sending(mut self) -> Self {
        let options = self.api.client().options().clone();
        let deadline = self.timeout.max(self.abandoned_bound);
        self.background = self.api.with_options(options.timeout(deadline));
        self
    }

    /// The same handle, same line, whose callers wait at most `timeout`
    /// from the method call to the answer, the wait for the turn included.
    /// Default: the API's [`RequestOptions::timeout`](rxinfer_api_core::RequestOptions::timeout)
    /// if set, else the client's timeout (`ClientBuilder::timeout`, known
    /// through [`ApiClient::service_timeout`](rxinfer_api_core::ApiClient::service_timeout)),
    /// else [`DEFAULT_TIMEOUT`] (30 s).
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
        .sending()
    }

    /// The same handle, same line, whose calls, once their callers gave
    /// up, run on in the background holding the turn for at most `bound`
    /// from when they were sent (and never less than the timeout); then
    /// their connection is closed and the turn passes. Default
    /// [`DEFAULT_ABANDONED_BOUND`] (2 minutes).
    pub fn with_abandoned_bound(&self, bound: Duration) -> Self {
        Self {
            abandoned_bound: bound,
            ..self.clone()
        }
        .sending()
    }
}

impl<S> InstanceHandle<S> {
    /// The instance's id.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// The timeout callers wait for, the turn included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl<S> InstanceHandle<S>
where
    S: ApiService + Send + Sync,
    S::Future: Send,
    S::ResponseBody: Send,
    <S::ResponseBody as Body>::Data: Send,
{
    /// Takes `call`'s place in the line now, and sends it in a task of its
    /// own once the calls before it are done; the task holds the turn
    /// until the answer, whether or not its caller still waits for it.
    fn in_turn<T>(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<ApiResponse<T>, ApiError>> + use<S, T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.in_turn_via(call, &self.background, self.timeout)
    }

    /// As [`in_turn`](Self::in_turn), sent through `sender`, its caller
    /// waiting at most `timeout`.
    fn in_turn_via<T>(
        &self,
        call: Call,
        sender: &ModelsApi<S>,
        timeout: Duration,
    ) -> impl Future<Output = Result<ApiResponse<T>, ApiError>> + use<S, T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let deadline = Instant::now().checked_add(timeout);
        let client = self.api.client();
        let timed_out = client.error(&call, ApiErrorKind::Transport(Error::Timeout(timeout)));
        // The request may have been sent: its answer is lost.
        let lost = client.error(
            &call,
            ApiErrorKind::Transport(Error::Http(
                "the call's task ended without an answer: its runtime shut down".into(),
            )),
        );
        let exchange = sender.client().send::<T>(call);
        let line = Arc::clone(&self.line);
        let (answer, answered) = oneshot::channel();
        // Whether the call went out: decided once, by whichever comes
        // first, its turn (sent) or its caller giving up (never sent).
        let progress = Arc::new(AtomicU8::new(WAITING));
        let sending = Arc::clone(&progress);
        // Takes the call's place in the line and starts its task.
        let start = move || {
            let (turn, before) = line.join();
            tokio::spawn(async move {
                let _turn = turn;
                let _line = line;
                if let Some(before) = before {
                    let _ = before.await;
                }
                let turn_came = sending.compare_exchange(WAITING, SENT, AcqRel, Acquire);
                if turn_came.is_ok() {
                    let _ = answer.send(exchange.await);
                }
            });
        };
        // In a runtime the place is taken now; outside one, where no task
        // can start, at the first poll.
        let mut unstarted = if Handle::try_current().is_ok() {
            start();
            None
        } else {
            Some(start)
        };
        // A caller that drops its future, polled or not, before the turn
        // came gives the call up.
        let abandon = GiveUp(Arc::clone(&progress));
        async move {
            let _abandon = abandon;
            if let Some(start) = unstarted.take() {
                start();
            }
            let outcome = match deadline {
                Some(deadline) => timeout_at(deadline, answered).await,
                None => Ok(answered.await),
            };
            match outcome {
                Ok(Ok(answer)) => answer,
                Ok(Err(_)) => Err(lost),
                Err(_) if give_up(&progress) => Err(timed_out.mark_never_sent()),
                Err(_) => Err(timed_out),
            }
        }
    }

    /// [`ModelsApi::run_inference`] on this instance, in turn. A request
    /// without a timestamp is stamped with one unique within this process
    /// (strictly later than the last, to the millisecond the server keeps),
    /// so that when its answer is lost ([`ApiError::answer_lost`]) the
    /// error carries the [`SentEvent`] that [`reconcile`](Self::reconcile)
    /// looks for. The client never sends it again by itself.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::run_inference`].
    pub fn run_inference(
        &self,
        request: &InferRequest,
    ) -> impl Future<Output = Result<ApiResponse<InferResponse>, ApiError>> + use<S> {
        let mut stamped = request.clone();
        let timestamp = stamped.timestamp.get_or_insert_with(stamp).clone();
        let episode = stamped.episode_name.as_deref().unwrap_or(DEFAULT_EPISODE);
        let sent = SentEvent::new(timestamp, episode);
        let call = self.in_turn(calls::run_inference(&self.instance_id, &stamped));
        async move {
            call.await.map_err(|error| {
                if error.answer_lost() {
                    error.with_sent_event(sent)
                } else {
                    error
                }
            })
        }
    }

    /// Whether the event of an inference whose answer was lost was
    /// recorded: looks for its timestamp in its episode, in turn, so after
    /// the lost call is done with (its answer arrived in the background, or
    /// its connection closed).
    ///
    /// [`Reconciliation::NotRecorded`] means the server never ran the
    /// inference, so sending it again is safe; the server records the
    /// event whether or not the model then succeeds.
    /// [`Reconciliation::Recorded`] means it ran: the state may have
    /// changed. Timestamps are compared as the server stores them (offset
    /// dropped, cut to milliseconds); one the server cannot read is an
    /// error, never `NotRecorded`.
    ///
    /// Limits, where `NotRecorded` is wrong:
    /// - the server records the event and runs the model side by side, so
    ///   a recording that fails on its own (an episode that does not exist,
    ///   or is full at MongoDB's 16 MB) leaves no event while the state may
    ///   still change;
    /// - an episode wiped or deleted since the call;
    /// - a lost call whose connection was closed at the
    ///   [abandoned bound](Self::with_abandoned_bound), or by a proxy or a
    ///   timeout layer of your own, may still be starting on the server;
    ///   keep the bound above the server's longest inference;
    /// - timestamps are unique within this process: a caller's own
    ///   timestamps, or calls from another process, may collide.
    ///
    /// ```no_run
    /// # async fn run(coin: rxinfer_models_api::InstanceHandle<rxinfer_transport::Transport>,
    /// #              request: rxinfer_models::InferRequest) -> Result<(), rxinfer_api_core::ApiError> {
    /// use rxinfer_models_api::Reconciliation;
    ///
    /// match coin.run_inference(&request).await {
    ///     Ok(answer) => println!("{:?}", answer.results),
    ///     Err(error) => match error.sent_event() {
    ///         Some(sent) if error.answer_lost() => match coin.reconcile(sent).await? {
    ///             Reconciliation::Recorded { event_id } => println!("it ran: event {event_id:?}"),
    ///             Reconciliation::NotRecorded => { coin.run_inference(&request).await?; }
    ///             _ => {}
    ///         },
    ///         _ => return Err(error),
    ///     },
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::get_episode_info`].
    pub fn reconcile(
        &self,
        sent: &SentEvent,
    ) -> impl Future<Output = Result<Reconciliation, ApiError>> + use<S> {
        let call = calls::get_episode_info(&self.instance_id, &sent.episode_name);
        let prepared = match sent.timestamp.as_event_time() {
            Some(sent_at) => {
                // It waits behind the lost call (up to the abandoned
                // bound), and an episode can be large.
                let options = self.api.client().options().clone();
                let reader = self.api.with_options(
                    options
                        .timeout(self.timeout.max(self.abandoned_bound))
                        .body_limit(RECONCILE_BODY_LIMIT),
                );
                let waited = self.timeout.saturating_add(self.abandoned_bound);
                Ok((
                    self.in_turn_via::<EpisodeInfo>(call, &reader, waited),
                    sent_at,
                ))
            }
            None => Err(self.api.client().error(
                &call,
                ApiErrorKind::InvalidRequest(
                    "the sent timestamp is not one the server reads, so no event carries it".into(),
                ),
            )),
        };
        async move {
            let (episode, sent_at) = prepared?;
            let episode = episode.await?;
            let recorded = episode.events.iter().find(|event| {
                let at = event.timestamp.as_ref().and_then(Timestamp::as_event_time);
                at == Some(sent_at)
            });
            Ok(match recorded {
                Some(event) => Reconciliation::Recorded {
                    event_id: event.event_id,
                },
                None => Reconciliation::NotRecorded,
            })
        }
    }

    /// [`ModelsApi::run_learning`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::run_learning`].
    pub fn run_learning(
        &self,
        request: &LearnRequest,
    ) -> impl Future<Output = Result<ApiResponse<LearnResponse>, ApiError>> + use<S> {
        self.in_turn(calls::run_learning(&self.instance_id, request))
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
    ) -> impl Future<Output = Result<ApiResponse<SuccessResponse>, ApiError>> + use<S> {
        self.in_turn(calls::attach_events_to_episode(
            &self.instance_id,
            episode_name,
            request,
        ))
    }

    /// [`ModelsApi::create_episode`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::create_episode`].
    pub fn create_episode(
        &self,
        request: &CreateEpisodeRequest,
    ) -> impl Future<Output = Result<ApiResponse<rxinfer_models::EpisodeInfo>, ApiError>> + use<S>
    {
        self.in_turn(calls::create_episode(&self.instance_id, request))
    }

    /// [`ModelsApi::wipe_episode`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::wipe_episode`].
    pub fn wipe_episode(
        &self,
        episode_name: &str,
    ) -> impl Future<Output = Result<ApiResponse<SuccessResponse>, ApiError>> + use<S> {
        self.in_turn(calls::wipe_episode(&self.instance_id, episode_name))
    }

    /// [`ModelsApi::get_model_instance_state`] on this instance, in turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::get_model_instance_state`].
    pub fn get_model_instance_state(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<ModelInstanceState>, ApiError>> + use<S> {
        self.in_turn(calls::get_model_instance_state(&self.instance_id))
    }

    /// [`ModelsApi::get_model_instance_parameters`] on this instance, in
    /// turn.
    ///
    /// # Errors
    ///
    /// As [`ModelsApi::get_model_instance_parameters`].
    pub fn get_model_instance_parameters(
        &self,
    ) -> impl Future<Output = Result<ApiResponse<ModelInstanceParameters>, ApiError>> + use<S> {
        self.in_turn(calls::get_model_instance_parameters(&self.instance_id))
    }
}
