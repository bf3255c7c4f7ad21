//! Instances and episodes, as the real server keeps them in MongoDB: owned
//! by the token that created them, soft-deleted, with the exact messages of
//! its failures.

use std::sync::Arc;

use rxinfer_models::{
    CreateModelInstanceRequest, EpisodeInfo, Event, InferRequest, InferResponse, JsonObject,
    ModelInstance, NewEvent, Timestamp,
};

use crate::{Model, ModelError, clock};

/// How an operation failed, as the real server answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `400` with this message.
    BadRequest(&'static str),
    /// `400` with a message made for the case.
    BadRequestWith(String),
    /// `404` with this message.
    NotFound(&'static str),
    /// `404` with a message made for the case.
    NotFoundWith(String),
    /// A bare `500`: an exception escaped to the HTTP server.
    Internal,
}

pub(crate) const INSTANCE_NOT_FOUND: &str = "The requested model instance could not be found";
/// What the episode operations say of an unknown instance.
pub(crate) const MODEL_NOT_FOUND: &str = "The requested model could not be found";
pub(crate) const EPISODE_NOT_FOUND: &str = "The requested episode could not be found";
const EPISODE_OR_EVENT_NOT_FOUND: &str =
    "The requested episode could not be found or the event with the specified ID does not exist";
const EPISODE_EXISTS: &str = "The requested episode already exists";
const DEFAULT_EPISODE: &str = "Default episode cannot be deleted, wipe data instead";
const INFERENCE_FAILED: &str = "Unable to run inference due to internal error";
const ONE_EPISODE: &str = "Learning is supported only for one episode at a time";
const EVENTS_NOT_ATTACHED: &str = "Unable to attach events to the episode due to internal error";
const METADATA_NOT_ATTACHED: &str = "Unable to attach metadata to the event due to internal error";
/// In `errors` when inference ran but its event could not be recorded.
pub(crate) const EVENT_NOT_RECORDED: &str =
    "Unable to attach data to the episode due to internal error";

struct Instance {
    id: String,
    model: Arc<dyn Model>,
    owner: String,
    created_at: Timestamp,
    description: String,
    arguments: JsonObject,
    state: JsonObject,
    current_episode: String,
    deleted: bool,
}

struct Episode {
    instance_id: String,
    name: String,
    created_at: Timestamp,
    events: Vec<Event>,
    counter: i64,
    parameters: JsonObject,
    deleted: bool,
}

impl Episode {
    fn new(instance_id: &str, name: &str, parameters: JsonObject) -> Self {
        Self {
            instance_id: instance_id.to_owned(),
            name: name.to_owned(),
            created_at: clock::now(),
            events: Vec::new(),
            counter: 0,
            parameters,
            deleted: false,
        }
    }

    fn info(&self) -> EpisodeInfo {
        EpisodeInfo::new(&self.instance_id, &self.name, self.created_at.clone())
            .with_events(self.events.clone())
            .with_parameters(self.parameters.clone())
    }

    fn next_id(&mut self) -> i64 {
        self.counter += 1;
        self.counter
    }
}

/// Everything stored, in insertion order.
#[derive(Default)]
pub(crate) struct Store {
    instances: Vec<Instance>,
    episodes: Vec<Episode>,
}

/// What inference needs, read under the lock and computed outside it.
pub(crate) struct InferenceInput {
    pub(crate) model: Arc<dyn Model>,
    pub(crate) state: JsonObject,
    pub(crate) parameters: JsonObject,
    pub(crate) event_id: Option<i64>,
}

impl Store {
    fn instance(&self, owner: &str, id: &str) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.id == id && i.owner == owner && !i.deleted)
    }

    fn instance_mut(&mut self, owner: &str, id: &str) -> Option<&mut Instance> {
        self.instances
            .iter_mut()
            .find(|i| i.id == id && i.owner == owner && !i.deleted)
    }

    fn episode_mut(&mut self, id: &str, name: &str) -> Option<&mut Episode> {
        self.episodes
            .iter_mut()
            .find(|e| e.instance_id == id && e.name == name && !e.deleted)
    }

    fn episode(&self, id: &str, name: &str) -> Option<&Episode> {
        self.episodes
            .iter()
            .find(|e| e.instance_id == id && e.name == name && !e.deleted)
    }

    pub(crate) fn create_instance(
        &mut self,
        owner: &str,
        model: Arc<dyn Model>,
        request: &CreateModelInstanceRequest,
    ) -> Result<String, Failure> {
        let arguments = model
            .config()
            .arguments(request.arguments.as_ref())
            .map_err(|missing| {
                Failure::BadRequestWith(format!(
                    "model configuration validation error - model configuration argument {missing} is required"
                ))
            })?;
        let id = uuid::Uuid::new_v4().to_string();
        // Both run before anything is stored; a model that throws here
        // escapes the real server's handler: a bare 500.
        let state = model
            .initial_state(&arguments)
            .map_err(|_| Failure::Internal)?;
        let parameters = model
            .initial_parameters(&arguments)
            .map_err(|_| Failure::Internal)?;
        // As the real server: the instance is stored (and stamped) first,
        // then its default episode, so the episode never precedes it.
        self.instances.push(Instance {
            id: id.clone(),
            state,
            model,
            owner: owner.to_owned(),
            created_at: clock::now(),
            description: request.description.clone().unwrap_or_default(),
            arguments,
            current_episode: "default".to_owned(),
            deleted: false,
        });
        self.episodes.push(Episode::new(&id, "default", parameters));
        Ok(id)
    }

    pub(crate) fn instances(&self, owner: &str) -> Vec<ModelInstance> {
        self.instances
            .iter()
            .filter(|i| i.owner == owner && !i.deleted)
            .map(describe)
            .collect()
    }

    pub(crate) fn describe(&self, owner: &str, id: &str) -> Result<ModelInstance, Failure> {
        self.instance(owner, id)
            .map(describe)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))
    }

    pub(crate) fn delete_instance(&mut self, owner: &str, id: &str) -> Result<(), Failure> {
        let instance = self
            .instance_mut(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        instance.deleted = true;
        Ok(())
    }

    pub(crate) fn state(&self, owner: &str, id: &str) -> Result<JsonObject, Failure> {
        self.instance(owner, id)
            .map(|i| i.state.clone())
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))
    }

    pub(crate) fn parameters(&self, owner: &str, id: &str) -> Result<JsonObject, Failure> {
        let instance = self
            .instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        self.episode(id, &instance.current_episode)
            .map(|e| e.parameters.clone())
            .ok_or(Failure::NotFound("The current episode could not be found"))
    }

    /// The first half of inference: records the event in the episode the
    /// request names (not the current one), and reads what the model needs.
    pub(crate) fn begin_inference(
        &mut self,
        owner: &str,
        id: &str,
        request: &InferRequest,
        timestamp: Timestamp,
    ) -> Result<InferenceInput, Failure> {
        let instance = self
            .instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        let (model, state, current) = (
            Arc::clone(&instance.model),
            instance.state.clone(),
            instance.current_episode.clone(),
        );
        let parameters = self
            .episode(id, &current)
            .map(|e| e.parameters.clone())
            .ok_or(Failure::BadRequest(
                "Unable to get current episode for inference",
            ))?;
        let named = request.episode_name.as_deref().unwrap_or("default");
        let event_id = self.episode_mut(id, named).map(|episode| {
            let event_id = episode.next_id();
            let mut event = Event::new(event_id, request.data.clone()).with_timestamp(timestamp);
            event.metadata = None;
            episode.events.push(event);
            event_id
        });
        Ok(InferenceInput {
            model,
            state,
            parameters,
            event_id,
        })
    }

    /// The second half: stores the state the model computed.
    pub(crate) fn finish_inference(
        &mut self,
        owner: &str,
        id: &str,
        input: &InferenceInput,
        outcome: Result<crate::Inference, ModelError>,
    ) -> Result<InferResponse, Failure> {
        let inference = outcome.map_err(|_| Failure::BadRequest(INFERENCE_FAILED))?;
        let instance = self.instance_mut(owner, id).ok_or(Failure::BadRequest(
            "Unable to update model's state due to internal error",
        ))?;
        instance.state = inference.state;
        let errors = match input.event_id {
            Some(_) => Vec::new(),
            None => vec![
                rxinfer_models::ErrorResponse::new("Bad Request").with_message(EVENT_NOT_RECORDED),
            ],
        };
        Ok(InferResponse::new(input.event_id, inference.results).with_errors(errors))
    }

    pub(crate) fn learn(
        &mut self,
        owner: &str,
        id: &str,
        episodes: &[String],
        relearn: bool,
    ) -> Result<JsonObject, Failure> {
        let instance = self
            .instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        let (model, state) = (Arc::clone(&instance.model), instance.state.clone());
        let [name] = episodes else {
            return Err(Failure::BadRequest(ONE_EPISODE));
        };
        let episode = self
            .episode_mut(id, name)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))?;
        let used: Vec<usize> = (0..episode.events.len())
            .filter(|&i| relearn || episode.events[i].processed != Some(true))
            .collect();
        let events: Vec<Event> = used.iter().map(|&i| episode.events[i].clone()).collect();
        let learned = model
            .run_learning(&state, &episode.parameters, &events)
            .map_err(|_| Failure::Internal)?;
        episode.parameters = learned.parameters.clone();
        for i in used {
            episode.events[i].processed = Some(true);
        }
        if let Some(instance) = self.instance_mut(owner, id) {
            instance.state = learned.state;
        }
        Ok(learned.parameters)
    }

    pub(crate) fn create_episode(
        &mut self,
        owner: &str,
        id: &str,
        name: &str,
    ) -> Result<EpisodeInfo, Failure> {
        let instance = self
            .instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        // The real server checks the name before it asks the model.
        if self.episode(id, name).is_some() {
            return Err(Failure::BadRequest(EPISODE_EXISTS));
        }
        let parameters = instance
            .model
            .initial_parameters(&instance.arguments)
            .map_err(|_| Failure::Internal)?;
        let episode = Episode::new(id, name, parameters);
        let info = episode.info();
        self.episodes.push(episode);
        if let Some(instance) = self.instance_mut(owner, id) {
            instance.current_episode = name.to_owned();
        }
        Ok(info)
    }

    pub(crate) fn episodes(&self, owner: &str, id: &str) -> Result<Vec<EpisodeInfo>, Failure> {
        self.instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        Ok(self
            .episodes
            .iter()
            .filter(|e| e.instance_id == id && !e.deleted)
            .map(Episode::info)
            .collect())
    }

    pub(crate) fn episode_info(
        &self,
        owner: &str,
        id: &str,
        name: &str,
    ) -> Result<EpisodeInfo, Failure> {
        self.instance(owner, id)
            .ok_or(Failure::NotFound(INSTANCE_NOT_FOUND))?;
        self.episode(id, name)
            .map(Episode::info)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))
    }

    pub(crate) fn delete_episode(
        &mut self,
        owner: &str,
        id: &str,
        name: &str,
    ) -> Result<(), Failure> {
        self.instance(owner, id)
            .ok_or(Failure::NotFound(MODEL_NOT_FOUND))?;
        if name == "default" {
            return Err(Failure::BadRequest(DEFAULT_EPISODE));
        }
        let episode = self
            .episode_mut(id, name)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))?;
        episode.deleted = true;
        if let Some(instance) = self.instance_mut(owner, id) {
            if instance.current_episode == name {
                instance.current_episode = "default".to_owned();
            }
        }
        Ok(())
    }

    pub(crate) fn wipe_episode(
        &mut self,
        owner: &str,
        id: &str,
        name: &str,
    ) -> Result<(), Failure> {
        let instance = self
            .instance(owner, id)
            .ok_or(Failure::NotFound(MODEL_NOT_FOUND))?;
        let model = Arc::clone(&instance.model);
        let arguments = instance.arguments.clone();
        // The real server looks the episode up before it asks the model.
        self.episode(id, name)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))?;
        let parameters = model
            .initial_parameters(&arguments)
            .map_err(|_| Failure::Internal)?;
        let episode = self
            .episode_mut(id, name)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))?;
        episode.events.clear();
        episode.counter = 0;
        episode.parameters = parameters;
        Ok(())
    }

    pub(crate) fn attach_events(
        &mut self,
        owner: &str,
        id: &str,
        name: &str,
        events: Vec<(NewEvent, Timestamp)>,
    ) -> Result<(), Failure> {
        self.instance(owner, id)
            .ok_or(Failure::NotFound(MODEL_NOT_FOUND))?;
        let episode = self
            .episode_mut(id, name)
            .ok_or(Failure::NotFound(EPISODE_NOT_FOUND))?;
        // An empty list changes nothing, which the server reports as a failure.
        if events.is_empty() {
            return Err(Failure::BadRequest(EVENTS_NOT_ATTACHED));
        }
        for (event, timestamp) in events {
            let event_id = episode.next_id();
            episode.events.push(
                Event::new(event_id, event.data.unwrap_or_default())
                    .with_timestamp(timestamp)
                    .with_metadata(event.metadata.unwrap_or_default())
                    .with_processed(event.processed.unwrap_or(false)),
            );
        }
        Ok(())
    }

    pub(crate) fn attach_metadata(
        &mut self,
        owner: &str,
        id: &str,
        name: &str,
        event_id: i64,
        metadata: JsonObject,
    ) -> Result<(), Failure> {
        self.instance(owner, id)
            .ok_or(Failure::NotFound(MODEL_NOT_FOUND))?;
        let episode = self
            .episode_mut(id, name)
            .ok_or(Failure::NotFound(EPISODE_OR_EVENT_NOT_FOUND))?;
        let event = episode
            .events
            .iter_mut()
            .find(|e| e.event_id == Some(event_id))
            .ok_or(Failure::BadRequest(METADATA_NOT_ATTACHED))?;
        // Replacing metadata with the same changes nothing, which the
        // server reports as a failure.
        if event.metadata.as_ref() == Some(&metadata) {
            return Err(Failure::BadRequest(METADATA_NOT_ATTACHED));
        }
        event.metadata = Some(metadata);
        Ok(())
    }
}

fn describe(instance: &Instance) -> ModelInstance {
    ModelInstance::new(
        &instance.id,
        instance.model.config().name(),
        instance.created_at.clone(),
    )
    .with_description(&instance.description)
    .with_arguments(instance.arguments.clone())
    .with_current_episode(&instance.current_episode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ModelConfig, clock, model::tests_support::counter};

    /// A model that cannot start: `initial_state` fails, as a `model.jl`
    /// reading an argument that is not there.
    struct Unstartable(ModelConfig);

    impl Model for Unstartable {
        fn config(&self) -> &ModelConfig {
            &self.0
        }
        fn initial_state(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
            Err(ModelError::new("KeyError: key \"size\" not found"))
        }
        fn initial_parameters(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
            Ok(JsonObject::new())
        }
        fn run_inference(
            &self,
            _: &JsonObject,
            _: &JsonObject,
            _: &JsonObject,
        ) -> Result<crate::Inference, ModelError> {
            Err(ModelError::new("no run_inference"))
        }
        fn run_learning(
            &self,
            _: &JsonObject,
            _: &JsonObject,
            _: &[Event],
        ) -> Result<crate::Learning, ModelError> {
            Err(ModelError::new("no run_learning"))
        }
    }

    #[test]
    fn a_model_that_cannot_start_fails_the_creation_and_stores_nothing() {
        let mut store = Store::default();
        let model: Arc<dyn Model> = Arc::new(Unstartable(ModelConfig::new("U")));
        let created = store.create_instance("me", model, &CreateModelInstanceRequest::new("U"));
        assert_eq!(created, Err(Failure::Internal));
        assert!(store.instances("me").is_empty());
        assert!(store.episodes.is_empty());
    }

    /// The real server's test "When creating a model, a default episode
    /// should be created automatically" checks `created_at >= mcat`. With
    /// a clock that moves between any two stamps, the episode must still
    /// not precede its instance.
    #[test]
    fn the_default_episode_is_stamped_after_its_instance() {
        clock::source::tick_on_every_stamp();
        let mut store = Store::default();
        let model: Arc<dyn Model> = Arc::new(counter("M", false));
        let id = store
            .create_instance("me", model, &CreateModelInstanceRequest::new("M"))
            .expect("created");
        let instance = store.describe("me", &id).expect("an instance");
        let episode = store
            .episode_info("me", &id, "default")
            .expect("an episode");
        let instant = |t: &Timestamp| t.to_offset_date_time().expect("a created_at");
        assert!(
            instant(&episode.created_at) >= instant(&instance.created_at),
            "episode {} before instance {}",
            episode.created_at,
            instance.created_at
        );
    }
}
