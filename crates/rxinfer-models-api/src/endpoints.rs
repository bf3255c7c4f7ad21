//! The sixteen endpoints, as static table entries, and the calls that
//! build their paths and bodies. Everything that changes server state is
//! never sent twice once it may have reached the server.

use http::Method;
use rxinfer_api_core::{Call, Endpoint, segment};
use rxinfer_models::{
    AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest,
    CreateModelInstanceRequest, InferRequest, LearnRequest,
};
use rxinfer_transport::Operation;

const fn read(name: &'static str, path: &'static str) -> Endpoint {
    Endpoint::fixed(Method::GET, Operation::new(name), path)
}

const fn read_at(name: &'static str) -> Endpoint {
    Endpoint::new(Method::GET, Operation::new(name).with_path_parameters())
}

const fn change(name: &'static str) -> Endpoint {
    Endpoint::new(
        Method::POST,
        Operation::new(name).never_resent().with_path_parameters(),
    )
}

const fn delete(name: &'static str) -> Endpoint {
    Endpoint::new(Method::DELETE, Operation::new(name).with_path_parameters())
}

pub(crate) static GET_AVAILABLE_MODELS: Endpoint =
    read("get_available_models", "/models/available");
pub(crate) static GET_AVAILABLE_MODEL: Endpoint = read_at("get_available_model");
pub(crate) static CREATE_MODEL_INSTANCE: Endpoint = Endpoint::fixed(
    Method::POST,
    Operation::new("create_model_instance").never_resent(),
    "/models/create-instance",
);
pub(crate) static GET_MODEL_INSTANCES: Endpoint = read("get_model_instances", "/models/instances");
pub(crate) static GET_MODEL_INSTANCE: Endpoint = read_at("get_model_instance");
pub(crate) static DELETE_MODEL_INSTANCE: Endpoint = delete("delete_model_instance");
pub(crate) static GET_MODEL_INSTANCE_STATE: Endpoint = read_at("get_model_instance_state");
pub(crate) static GET_MODEL_INSTANCE_PARAMETERS: Endpoint =
    read_at("get_model_instance_parameters");
pub(crate) static RUN_INFERENCE: Endpoint = change("run_inference");
pub(crate) static RUN_LEARNING: Endpoint = change("run_learning");
pub(crate) static CREATE_EPISODE: Endpoint = change("create_episode");
pub(crate) static GET_EPISODES: Endpoint = read_at("get_episodes");
pub(crate) static GET_EPISODE_INFO: Endpoint = read_at("get_episode_info");
pub(crate) static DELETE_EPISODE: Endpoint = delete("delete_episode");
pub(crate) static ATTACH_EVENTS_TO_EPISODE: Endpoint = change("attach_events_to_episode");
pub(crate) static WIPE_EPISODE: Endpoint = change("wipe_episode");
pub(crate) static ATTACH_METADATA_TO_EVENT: Endpoint = change("attach_metadata_to_event");

fn instance(id: &str) -> String {
    format!("/models/i/{}", segment(id))
}

fn episode(id: &str, name: &str) -> String {
    format!("/models/i/{}/episodes/{}", segment(id), segment(name))
}

pub(crate) fn get_available_models() -> Call {
    Call::fixed(&GET_AVAILABLE_MODELS)
}

pub(crate) fn get_available_model(model_name: &str) -> Call {
    Call::at(
        &GET_AVAILABLE_MODEL,
        format!("/models/available/{}", segment(model_name)),
    )
}

pub(crate) fn create_model_instance(request: &CreateModelInstanceRequest) -> Call {
    Call::fixed(&CREATE_MODEL_INSTANCE).json(request)
}

pub(crate) fn get_model_instances() -> Call {
    Call::fixed(&GET_MODEL_INSTANCES)
}

pub(crate) fn get_model_instance(id: &str) -> Call {
    Call::at(&GET_MODEL_INSTANCE, instance(id))
}

pub(crate) fn delete_model_instance(id: &str) -> Call {
    Call::at(&DELETE_MODEL_INSTANCE, instance(id))
}

pub(crate) fn get_model_instance_state(id: &str) -> Call {
    Call::at(&GET_MODEL_INSTANCE_STATE, instance(id) + "/state")
}

pub(crate) fn get_model_instance_parameters(id: &str) -> Call {
    Call::at(&GET_MODEL_INSTANCE_PARAMETERS, instance(id) + "/parameters")
}

pub(crate) fn run_inference(id: &str, request: &InferRequest) -> Call {
    Call::at(&RUN_INFERENCE, instance(id) + "/infer").json(request)
}

pub(crate) fn run_learning(id: &str, request: &LearnRequest) -> Call {
    Call::at(&RUN_LEARNING, instance(id) + "/learn").json(request)
}

pub(crate) fn create_episode(id: &str, request: &CreateEpisodeRequest) -> Call {
    Call::at(&CREATE_EPISODE, instance(id) + "/create-episode").json(request)
}

pub(crate) fn get_episodes(id: &str) -> Call {
    Call::at(&GET_EPISODES, instance(id) + "/episodes")
}

pub(crate) fn get_episode_info(id: &str, name: &str) -> Call {
    Call::at(&GET_EPISODE_INFO, episode(id, name))
}

pub(crate) fn delete_episode(id: &str, name: &str) -> Call {
    Call::at(&DELETE_EPISODE, episode(id, name))
}

pub(crate) fn attach_events_to_episode(
    id: &str,
    name: &str,
    request: &AttachEventsToEpisodeRequest,
) -> Call {
    Call::at(
        &ATTACH_EVENTS_TO_EPISODE,
        episode(id, name) + "/attach-events",
    )
    .json(request)
}

pub(crate) fn wipe_episode(id: &str, name: &str) -> Call {
    Call::at(&WIPE_EPISODE, episode(id, name) + "/wipe")
}

pub(crate) fn attach_metadata_to_event(
    id: &str,
    name: &str,
    event_id: i64,
    request: &AttachMetadataToEventRequest,
) -> Call {
    Call::at(
        &ATTACH_METADATA_TO_EVENT,
        format!("{}/events/{event_id}/attach-metadata", episode(id, name)),
    )
    .json(request)
}

/// Every endpoint, for tests that go through them all.
#[cfg(test)]
pub(crate) static ALL: [&Endpoint; 17] = [
    &GET_AVAILABLE_MODELS,
    &GET_AVAILABLE_MODEL,
    &CREATE_MODEL_INSTANCE,
    &GET_MODEL_INSTANCES,
    &GET_MODEL_INSTANCE,
    &DELETE_MODEL_INSTANCE,
    &GET_MODEL_INSTANCE_STATE,
    &GET_MODEL_INSTANCE_PARAMETERS,
    &RUN_INFERENCE,
    &RUN_LEARNING,
    &CREATE_EPISODE,
    &GET_EPISODES,
    &GET_EPISODE_INFO,
    &DELETE_EPISODE,
    &ATTACH_EVENTS_TO_EPISODE,
    &WIPE_EPISODE,
    &ATTACH_METADATA_TO_EVENT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gets_and_deletes_may_be_sent_twice() {
        for endpoint in ALL {
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
