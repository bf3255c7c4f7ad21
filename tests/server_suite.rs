//! RxInferServer's own test suite for the Models API, ported and run
//! against the stand-in over real HTTP, through this client (as the Julia
//! suite runs through its generated client). Each test names the
//! `@testitem` it comes from, in `test/src/tags/Models_tests.jl`,
//! `test/models/beta-bernoulli-v1_tests.jl` or
//! `test/models/dirichlet-categorical-v1-tests.jl` of
//! lazydynamics/RxInferServer at commit 5f98c5a. The tests of the other
//! shipped models need the `Prefer` header and models the stand-in does
//! not compute; they are not here.
//!
//! The suite runs with the test models loaded and the development token
//! on (`TestUtils.TestClient(roles = ...)` sends `dev-token:roles`);
//! `with_temporary_token` generates a token and gives it role `test-only`
//! in the database, here with `StandIn::insert_token`. Random data
//! (`StableRNG(1234)`) cannot be reproduced; a fixed generator stands in,
//! with the same assertions.

use rxinfer_client::{
    ApiError, Client,
    models::{
        AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest,
        CreateModelInstanceRequest, EpisodeInfo, InferRequest, JsonObject, LearnRequest, NewEvent,
        Timestamp, object,
    },
};
use rxinfer_stand_in::StandIn;
use serde_json::{Value, json};

async fn server() -> StandIn {
    StandIn::builder()
        .dev_token(true)
        .with_test_models()
        .start()
        .await
        .expect("the stand-in starts")
}

fn with_token(server: &StandIn, token: &str) -> Client {
    Client::builder()
        .base_url(server.url())
        .and_then(|builder| builder.token(token))
        .expect("valid settings")
        .build()
        .expect("the client builds")
}

/// `TestUtils.TestClient(roles = roles)`: the development token with roles.
fn test_client(server: &StandIn, roles: &[&str]) -> Client {
    with_token(server, &format!("dev-token:{}", roles.join(",")))
}

/// `TestUtils.TestClient()`: roles `["test-only"]`.
fn client(server: &StandIn) -> Client {
    test_client(server, &["test-only"])
}

/// `TestUtils.TestClient(authorized = false)`.
fn unauthorized(server: &StandIn) -> Client {
    Client::builder()
        .base_url(server.url())
        .expect("valid settings")
        .build()
        .expect("the client builds")
}

/// `TestUtils.with_temporary_token()`: a generated token with role
/// `test-only`.
async fn temporary_client(server: &StandIn) -> Client {
    let token = unauthorized(server)
        .authentication()
        .token_generate()
        .await
        .expect("a token")
        .into_data()
        .token;
    server.insert_token(token.expose(), ["test-only"]);
    with_token(server, token.expose())
}

/// The status and message of a failure.
fn failed(error: ApiError) -> (u16, Option<String>) {
    (
        error.status().map_or(0, |s| s.as_u16()),
        error.message().map(str::to_owned),
    )
}

fn not_found(message: &str) -> (u16, Option<String>) {
    (404, Some(message.to_owned()))
}

fn bad_request(message: &str) -> (u16, Option<String>) {
    (400, Some(message.to_owned()))
}

const INSTANCE_NOT_FOUND: &str = "The requested model instance could not be found";
const MODEL_NOT_FOUND: &str = "The requested model could not be found";
const DELETED: &str = "Model instance deleted successfully";

fn create(model: &str, description: &str) -> CreateModelInstanceRequest {
    CreateModelInstanceRequest::new(model).with_description(description)
}

async fn new_instance(client: &Client, request: &CreateModelInstanceRequest) -> String {
    client
        .models()
        .create_model_instance(request)
        .await
        .expect("created")
        .into_data()
        .instance_id
}

async fn delete(client: &Client, id: &str) {
    let deleted = client
        .models()
        .delete_model_instance(id)
        .await
        .expect("deleted");
    assert_eq!(deleted.message, DELETED);
}

async fn episode(client: &Client, id: &str, name: &str) -> EpisodeInfo {
    client
        .models()
        .get_episode_info(id, name)
        .await
        .expect("an episode")
        .into_data()
}

fn events<I: IntoIterator<Item = Value>>(observations: I) -> AttachEventsToEpisodeRequest {
    AttachEventsToEpisodeRequest::new(
        observations
            .into_iter()
            .map(|x| NewEvent::new(object([("observation", x)]))),
    )
}

fn observation(x: impl Into<Value>) -> InferRequest {
    InferRequest::new(object([("observation", x.into())]))
}

fn learn(episode: &str) -> LearnRequest {
    LearnRequest::new([episode])
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn instant(t: &Timestamp) -> time::OffsetDateTime {
    t.to_offset_date_time().expect("a created_at")
}

/// The wall-clock time of an event's `timestamp` (it has no offset).
fn wall(t: Option<&Timestamp>) -> time::PrimitiveDateTime {
    t.expect("a timestamp")
        .to_primitive_date_time()
        .expect("an event time")
}

fn parameter(p: &JsonObject) -> Option<&Value> {
    p.get("parameter")
}

// --- test/src/tags/Models_tests.jl -------------------------------------

/// "It should be possible to get a list of available models"
#[tokio::test]
async fn list_of_available_models() {
    let server = server().await;
    let models = client(&server)
        .models()
        .get_available_models()
        .await
        .expect("listed");
    assert!(!models.is_empty());
}

/// "It should be possible to get a list of available models specific to
/// the user's roles"
#[tokio::test]
async fn available_models_follow_the_roles() {
    let server = server().await;
    let listed = |roles: &'static [&'static str]| {
        let client = test_client(&server, roles);
        async move {
            client
                .models()
                .get_available_models()
                .await
                .expect("listed")
                .into_data()
        }
    };
    assert!(listed(&["arbitrary"]).await.is_empty());
    assert!(!listed(&["arbitrary", "test-only"]).await.is_empty());
    assert!(!listed(&["test-only", "arbitrary"]).await.is_empty());

    // "no access"
    let error = test_client(&server, &["user", "test-only", "arbitrary"])
        .models()
        .get_available_model("TestModelRolesAvailability")
        .await
        .expect_err("no access");
    assert_eq!(
        failed(error),
        not_found("The requested model name `TestModelRolesAvailability` could not be found")
    );
    // "has access"
    let model = test_client(&server, &["test-model-roles-availability"])
        .models()
        .get_available_model("TestModelRolesAvailability")
        .await
        .expect("visible");
    assert_eq!(
        model.details.name.as_deref(),
        Some("TestModelRolesAvailability")
    );
}

/// "It should not be possible to get a list of available models without
/// authorization"
#[tokio::test]
async fn available_models_need_a_token() {
    let server = server().await;
    let error = unauthorized(&server)
        .models()
        .get_available_models()
        .await
        .expect_err("no token");
    let (status, message) = failed(error);
    assert_eq!(status, 401);
    assert!(
        message.is_some_and(|m| m.contains("The request requires authentication")),
        "the 401's message"
    );
}

/// "It should be possible to get info for a model", and "... with mixed
/// roles"
#[tokio::test]
async fn info_for_a_model() {
    let server = server().await;
    for roles in [
        &["test-only"][..],
        &["arbitrary", "test-only"],
        &["test-only", "arbitrary"],
    ] {
        let model = test_client(&server, roles)
            .models()
            .get_available_model("TestModelInformationEndpoint")
            .await
            .expect("visible")
            .into_data();
        let description = "This model is used to test the information endpoint.";
        assert_eq!(
            model.details.name.as_deref(),
            Some("TestModelInformationEndpoint")
        );
        assert_eq!(model.details.description.as_deref(), Some(description));
        assert_eq!(
            model.config.get("name"),
            Some(&json!("TestModelInformationEndpoint"))
        );
        assert_eq!(model.config.get("description"), Some(&json!(description)));
        assert_eq!(model.config.get("author"), Some(&json!("Lazy Dynamics")));
    }
}

/// "It should not be possible to get info for a model without
/// authorization", and "... for a non-existent model"
#[tokio::test]
async fn info_needs_a_token_and_an_existing_model() {
    let server = server().await;
    let error = unauthorized(&server)
        .models()
        .get_available_model("TestModelInformationEndpoint")
        .await
        .expect_err("no token");
    assert_eq!(failed(error).0, 401);
    let error = client(&server)
        .models()
        .get_available_model("NonExistentModel")
        .await
        .expect_err("no such model");
    assert_eq!(
        failed(error),
        not_found("The requested model name `NonExistentModel` could not be found")
    );
}

/// "It should be possible to create a model instance, get instance details
/// and delete model instance"
#[tokio::test]
async fn create_describe_and_delete_an_instance() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let arguments = object([("a", 2.0), ("b", 3.0)]);
    let id = new_instance(
        &client,
        &create("TestModelCreateEndpoint", "Testing create endpoint")
            .with_arguments(arguments.clone()),
    )
    .await;

    let instance = models.get_model_instance(&id).await.expect("described");
    assert_eq!(instance.instance_id, id);
    assert_eq!(instance.model_name, "TestModelCreateEndpoint");
    assert_eq!(instance.description, "Testing create endpoint");
    assert_eq!(instance.arguments, arguments);
    assert!(instant(&instance.created_at) < now());
    assert_eq!(instance.current_episode, "default");

    let state = models.get_model_instance_state(&id).await.expect("state");
    assert_eq!(state.state, arguments);
    let parameters = models
        .get_model_instance_parameters(&id)
        .await
        .expect("parameters");
    assert_eq!(parameters.parameters, arguments);

    let all = models.get_model_instances().await.expect("listed");
    assert!(all.iter().any(|m| m.instance_id == id));

    delete(&client, &id).await;
    let error = models.get_model_instance(&id).await.expect_err("deleted");
    assert_eq!(failed(error), not_found(INSTANCE_NOT_FOUND));
    let all = models.get_model_instances().await.expect("listed");
    assert!(!all.iter().any(|m| m.instance_id == id));
}

/// "Other clients should not have access to the model instance"
#[tokio::test]
async fn other_clients_have_no_access() {
    let server = server().await;
    let client = client(&server);
    let id = new_instance(
        &client,
        &create("TestModelCreateEndpoint", "Testing create endpoint")
            .with_arguments(object([("a", 2.0), ("b", 3.0)])),
    )
    .await;
    let another = temporary_client(&server).await;
    let theirs = another.models();
    let errors = [
        theirs.get_model_instance(&id).await.map(drop),
        theirs.get_model_instance_state(&id).await.map(drop),
        theirs.get_model_instance_parameters(&id).await.map(drop),
        theirs.delete_model_instance(&id).await.map(drop),
    ];
    for error in errors {
        assert_eq!(
            failed(error.expect_err("not theirs")),
            not_found(INSTANCE_NOT_FOUND)
        );
    }
    delete(&client, &id).await;
}

/// "It should not be possible to create a model instance without
/// authorization", and "... with no access to model"
#[tokio::test]
async fn creation_needs_a_token_and_access() {
    let server = server().await;
    let request = create("TestModelCreateEndpoint", "Testing create endpoint")
        .with_arguments(object([("a", 2.0), ("b", 3.0)]));
    let error = unauthorized(&server)
        .models()
        .create_model_instance(&request)
        .await
        .expect_err("no token");
    assert_eq!(failed(error).0, 401);

    let request = create(
        "TestModelRolesAvailability",
        "Attempting to create a a model without access",
    );
    let error = client(&server)
        .models()
        .create_model_instance(&request)
        .await
        .expect_err("no access");
    assert_eq!(
        failed(error),
        not_found("The requested model name `TestModelRolesAvailability` could not be found")
    );
    // "Double check that the model actually exists for a user with access"
    let model = test_client(&server, &["test-model-roles-availability"])
        .models()
        .get_available_model("TestModelRolesAvailability")
        .await
        .expect("visible");
    assert_eq!(
        model.details.name.as_deref(),
        Some("TestModelRolesAvailability")
    );
}

/// "It should be possible to get a list of created models instances"
#[tokio::test]
async fn list_of_created_instances() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let described = |n: i64| {
        format!("Testing creation of a model instance with arbitrary description that includes {n}")
    };
    let first = new_instance(
        &client,
        &create("TestModelCreateEndpoint", &described(42))
            .with_arguments(object([("a", 42), ("b", 123)])),
    )
    .await;
    let second = new_instance(
        &client,
        &create("TestModelCreateEndpoint", &described(123))
            .with_arguments(object([("a", 123), ("b", 42)])),
    )
    .await;
    let all = models.get_model_instances().await.expect("listed");
    for (id, description) in [(&first, described(42)), (&second, described(123))] {
        assert!(all.iter().any(|m| &m.instance_id == id));
        assert!(all.iter().any(|m| m.description == description));
    }
    assert!(all.len() >= 2);

    let theirs = temporary_client(&server).await;
    assert!(
        theirs
            .models()
            .get_model_instances()
            .await
            .expect("listed")
            .is_empty()
    );

    delete(&client, &first).await;
    let all = models.get_model_instances().await.expect("listed");
    assert!(!all.iter().any(|m| m.instance_id == first));
    assert!(all.iter().any(|m| m.instance_id == second));
    delete(&client, &second).await;
    let all = models.get_model_instances().await.expect("listed");
    assert!(
        !all.iter()
            .any(|m| m.instance_id == first || m.instance_id == second)
    );
}

/// "Creating model without arguments should create a model with default
/// values"
#[tokio::test]
async fn defaults_fill_the_missing_arguments() {
    let server = server().await;
    let client = client(&server);
    for (given, expected) in [
        (None, object([("a", 1), ("b", 1)])),
        (Some(object([("a", 3)])), object([("a", 3), ("b", 1)])),
        (Some(object([("b", 3)])), object([("a", 1), ("b", 3)])),
    ] {
        let mut request = create("TestModelCreateEndpoint", "Testing default arguments");
        if let Some(given) = given {
            request = request.with_arguments(given);
        }
        let id = new_instance(&client, &request).await;
        let instance = client
            .models()
            .get_model_instance(&id)
            .await
            .expect("described");
        // Julia compares 1.0 == 1: the defaults are the YAML's 1.0.
        let as_numbers = |o: &JsonObject| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_f64()))
                .collect::<Vec<_>>()
        };
        assert_eq!(as_numbers(&instance.arguments), as_numbers(&expected));
        delete(&client, &id).await;
    }
}

/// "When creating a model, a default episode should be created
/// automatically"
#[tokio::test]
async fn a_default_episode_comes_with_the_instance() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create(
            "TestModelCreateEndpoint",
            "Testing creation of a model instance with no arguments",
        ),
    )
    .await;
    let instance = models.get_model_instance(&id).await.expect("described");
    assert_eq!(instance.current_episode, "default");
    let default = episode(&client, &id, "default").await;
    assert_eq!(default.episode_name, "default");
    assert!(instant(&default.created_at) < now());
    assert!(instant(&default.created_at) >= instant(&instance.created_at));
    assert_eq!(default.instance_id, id);
    assert!(default.events.is_empty());
    let all = models.get_episodes(&id).await.expect("listed");
    assert!(all.iter().any(|e| e.episode_name == "default"));
    assert!(all.iter().any(|e| e.created_at == default.created_at));

    let theirs = temporary_client(&server).await;
    let theirs = theirs.models();
    let errors = [
        theirs.get_episode_info(&id, "default").await.map(drop),
        theirs.get_episodes(&id).await.map(drop),
        theirs.wipe_episode(&id, "default").await.map(drop),
        theirs
            .attach_events_to_episode(&id, "default", &events([json!(1)]))
            .await
            .map(drop),
        theirs.delete_episode(&id, "default").await.map(drop),
    ];
    for error in errors {
        assert_eq!(failed(error.expect_err("not theirs")).0, 404);
    }
    delete(&client, &id).await;
    assert_eq!(
        failed(models.get_episodes(&id).await.expect_err("deleted")).0,
        404
    );
}

/// "Episodes can be created, deleted and wiped"
#[tokio::test]
async fn episodes_can_be_created_deleted_and_wiped() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create(
            "TestModelCreateEndpoint",
            "Testing creation of a model instance with no arguments",
        ),
    )
    .await;
    let instance = models.get_model_instance(&id).await.expect("described");
    assert_eq!(instance.current_episode, "default");
    let current = || async {
        models
            .get_model_instance(&id)
            .await
            .expect("described")
            .into_data()
            .current_episode
    };
    let names = || async {
        models
            .get_episodes(&id)
            .await
            .expect("listed")
            .into_data()
            .into_iter()
            .map(|e| e.episode_name)
            .collect::<Vec<_>>()
    };

    let created = models
        .create_episode(&id, &CreateEpisodeRequest::new("new_episode"))
        .await
        .expect("created");
    assert_eq!(created.episode_name, "new_episode");
    assert!(instant(&created.created_at) > instant(&instance.created_at));
    assert_eq!(created.instance_id, id);
    assert!(created.events.is_empty());
    assert_eq!(current().await, "new_episode");

    let twice = models
        .create_episode(&id, &CreateEpisodeRequest::new("new_episode"))
        .await
        .expect_err("exists");
    assert_eq!(
        failed(twice),
        bad_request("The requested episode already exists")
    );
    let listed = names().await;
    assert!(listed.contains(&"new_episode".to_owned()) && listed.contains(&"default".to_owned()));

    let default = models
        .delete_episode(&id, "default")
        .await
        .expect_err("default stays");
    assert_eq!(
        failed(default),
        bad_request("Default episode cannot be deleted, wipe data instead")
    );

    models
        .create_episode(&id, &CreateEpisodeRequest::new("yet_another_episode"))
        .await
        .expect("created");
    assert_eq!(current().await, "yet_another_episode");

    let deleted = models
        .delete_episode(&id, "new_episode")
        .await
        .expect("deleted");
    assert_eq!(deleted.message, "Episode deleted successfully");
    assert_eq!(current().await, "yet_another_episode");
    assert!(!names().await.contains(&"new_episode".to_owned()));

    models
        .delete_episode(&id, "yet_another_episode")
        .await
        .expect("deleted");
    assert_eq!(current().await, "default");
    assert_eq!(names().await, ["default"]);

    let wiped = models.wipe_episode(&id, "default").await.expect("wiped");
    assert_eq!(wiped.message, "Episode wiped successfully");
    assert!(episode(&client, &id, "default").await.events.is_empty());
}

/// The events of "It should be possible to load external data into an
/// episode after creation of the episode".
fn external_events() -> (
    Vec<(&'static str, Value, JsonObject)>,
    AttachEventsToEpisodeRequest,
) {
    let events = vec![
        ("2024-03-20T12:00:00", json!(1), object([("a", "b")])),
        ("2024-03-20T12:00:01", json!(0), object([("c", "d")])),
        (
            "2024-03-20T12:00:02",
            json!(0),
            object([("a", "b"), ("c", "d")]),
        ),
    ];
    let request = AttachEventsToEpisodeRequest::new(events.iter().map(|(at, x, metadata)| {
        NewEvent::new(object([("observation", x.clone())]))
            .with_timestamp(*at)
            .with_metadata(metadata.clone())
    }));
    (events, request)
}

/// "It should be possible to load external data into an episode after
/// creation of the episode"
#[tokio::test]
async fn external_data_is_loaded_into_an_episode() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create(
            "TestModelCreateEndpoint",
            "Testing creation of a model instance with no arguments",
        ),
    )
    .await;
    models
        .create_episode(&id, &CreateEpisodeRequest::new("load-data-here"))
        .await
        .expect("created");
    let (sent, request) = external_events();
    let check_loaded = || async {
        let loaded = episode(&client, &id, "load-data-here").await;
        assert_eq!(loaded.events.len(), 3);
        for (i, (event, (at, x, metadata))) in loaded.events.iter().zip(&sent).enumerate() {
            assert_eq!(event.data, Some(object([("observation", x.clone())])));
            assert_eq!(event.metadata.as_ref(), Some(metadata));
            assert_eq!(event.event_id, Some(i as i64 + 1));
            assert_eq!(
                wall(event.timestamp.as_ref()),
                wall(Some(&Timestamp::new(*at)))
            );
        }
    };
    models
        .attach_events_to_episode(&id, "load-data-here", &request)
        .await
        .expect("attached");
    check_loaded().await;
    assert!(episode(&client, &id, "default").await.events.is_empty());

    // Wiping the default episode leaves the other one alone.
    let wiped = models.wipe_episode(&id, "default").await.expect("wiped");
    assert_eq!(wiped.message, "Episode wiped successfully");
    assert_eq!(
        episode(&client, &id, "load-data-here").await.events.len(),
        3
    );
    models
        .wipe_episode(&id, "load-data-here")
        .await
        .expect("wiped");
    assert!(
        episode(&client, &id, "load-data-here")
            .await
            .events
            .is_empty()
    );
    // Loading again after the wipe: ids start again from 1.
    models
        .attach_events_to_episode(&id, "load-data-here", &request)
        .await
        .expect("attached");
    check_loaded().await;

    delete(&client, &id).await;
    assert_eq!(
        failed(
            models
                .get_episode_info(&id, "default")
                .await
                .expect_err("deleted")
        )
        .0,
        404
    );
}

/// "Inference calls should update the model's state"
#[tokio::test]
async fn inference_updates_the_state() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    let calls = || async {
        models
            .get_model_instance_state(&id)
            .await
            .expect("state")
            .state
            .get("number_of_inference_calls")
            .cloned()
    };
    assert_eq!(calls().await, Some(json!(0)));
    let inferred = models
        .run_inference(&id, &observation(1))
        .await
        .expect("inferred");
    assert_eq!(inferred.results.get("observation"), Some(&json!(1)));
    assert_eq!(calls().await, Some(json!(1)));

    delete(&client, &id).await;
    let errors = [
        models.get_model_instance_state(&id).await.map(drop),
        models.get_model_instance_parameters(&id).await.map(drop),
        models.get_episode_info(&id, "default").await.map(drop),
    ];
    for error in errors {
        assert_eq!(
            failed(error.expect_err("deleted")),
            not_found(INSTANCE_NOT_FOUND)
        );
    }
}

/// "Inference requests should populate the episode with events"
#[tokio::test]
async fn inference_populates_the_episode() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    let empty = episode(&client, &id, "default").await;
    assert_eq!(empty.episode_name, "default");
    assert_eq!(empty.instance_id, id);
    assert!(empty.events.is_empty());

    let mut event_ids = Vec::new();
    let first = models
        .run_inference(&id, &observation(1))
        .await
        .expect("inferred");
    event_ids.push(first.event_id);
    let one = episode(&client, &id, "default").await;
    assert_eq!(one.events.len(), 1);
    assert_eq!(one.events[0].data, Some(object([("observation", 1)])));
    let now = now();
    assert!(
        wall(one.events[0].timestamp.as_ref())
            < time::PrimitiveDateTime::new(now.date(), now.time())
    );

    for _ in 0..10 {
        let inferred = models
            .run_inference(&id, &observation(0))
            .await
            .expect("inferred");
        event_ids.push(inferred.event_id);
    }
    let eleven = episode(&client, &id, "default").await;
    assert_eq!(eleven.events.len(), 11);
    let mut stamps: Vec<_> = eleven
        .events
        .iter()
        .map(|e| e.timestamp.clone().expect("a timestamp").into_string())
        .collect();
    stamps.sort();
    stamps.dedup();
    assert_eq!(stamps.len(), 11, "allunique(timestamps)");
    let mut ids: Vec<_> = eleven.events.iter().map(|e| e.event_id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 11, "allunique(event_id)");
    assert!(ids.iter().all(|id| event_ids.contains(id)));

    delete(&client, &id).await;
    assert_eq!(
        failed(
            models
                .get_episode_info(&id, "default")
                .await
                .expect_err("deleted")
        ),
        not_found(INSTANCE_NOT_FOUND)
    );
}

/// "It should be possible to attach metadata to different events"
#[tokio::test]
async fn metadata_attaches_to_events() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    let first = models
        .run_inference(&id, &observation(1))
        .await
        .expect("inferred")
        .event_id
        .expect("an event id");
    let second = models
        .run_inference(&id, &observation(1))
        .await
        .expect("inferred")
        .event_id
        .expect("an event id");
    assert_ne!(first, second);

    let metadata_of = |events: &[rxinfer_client::models::Event], id: i64| {
        events
            .iter()
            .find(|e| e.event_id == Some(id))
            .expect("the event")
            .metadata
            .clone()
    };
    let one = object([("key", "value"), ("hello", "world")]);
    models
        .attach_metadata_to_event(
            &id,
            "default",
            first,
            &AttachMetadataToEventRequest::new(one.clone()),
        )
        .await
        .expect("attached");
    let events = episode(&client, &id, "default").await.events;
    assert_eq!(metadata_of(&events, first), Some(one.clone()));
    assert_eq!(metadata_of(&events, second), None, "no metadata key");

    let two = object([
        ("another_key", "another_value"),
        ("another_hello", "another_world"),
    ]);
    models
        .attach_metadata_to_event(
            &id,
            "default",
            second,
            &AttachMetadataToEventRequest::new(two.clone()),
        )
        .await
        .expect("attached");
    let events = episode(&client, &id, "default").await.events;
    assert_eq!(metadata_of(&events, second), Some(two));
    assert_eq!(metadata_of(&events, first), Some(one));

    delete(&client, &id).await;
    assert_eq!(
        failed(
            models
                .get_episode_info(&id, "default")
                .await
                .expect_err("deleted")
        ),
        not_found(INSTANCE_NOT_FOUND)
    );
    for event_id in [first, second] {
        let late = AttachMetadataToEventRequest::new(object([(
            "updated_key_after_deletion",
            "updated_value_after_deletion",
        )]));
        let error = models
            .attach_metadata_to_event(&id, "default", event_id, &late)
            .await
            .expect_err("deleted");
        assert_eq!(failed(error), not_found(MODEL_NOT_FOUND));
    }
}

/// "Inference requests should be able to specify the episode"
#[tokio::test]
async fn inference_names_its_episode() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    for name in ["episode1", "episode2"] {
        let created = models
            .create_episode(&id, &CreateEpisodeRequest::new(name))
            .await
            .expect("created");
        assert_eq!(created.episode_name, name);
        assert!(episode(&client, &id, name).await.events.is_empty());
    }
    for (name, x) in [("episode1", 1), ("episode2", 0)] {
        models
            .run_inference(&id, &observation(x).with_episode(name))
            .await
            .expect("inferred");
    }
    for (name, x) in [("episode1", 1), ("episode2", 0)] {
        let events = episode(&client, &id, name).await.events;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, Some(object([("observation", x)])));
    }
    assert!(episode(&client, &id, "default").await.events.is_empty());

    delete(&client, &id).await;
    for name in ["episode1", "episode2", "default"] {
        assert_eq!(
            failed(
                models
                    .get_episode_info(&id, name)
                    .await
                    .expect_err("deleted")
            ),
            not_found(INSTANCE_NOT_FOUND)
        );
    }
}

/// "It should be possible to wipe an episode"
#[tokio::test]
async fn an_episode_can_be_wiped() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    models
        .create_episode(&id, &CreateEpisodeRequest::new("another_episode"))
        .await
        .expect("created");
    for name in ["default", "another_episode"] {
        for _ in 0..10 {
            models
                .run_inference(&id, &observation(1).with_episode(name))
                .await
                .expect("inferred");
        }
    }
    assert_eq!(
        episode(&client, &id, "another_episode").await.events.len(),
        10
    );
    models.wipe_episode(&id, "default").await.expect("wiped");
    assert_eq!(
        episode(&client, &id, "another_episode").await.events.len(),
        10
    );
    assert!(episode(&client, &id, "default").await.events.is_empty());
    models
        .wipe_episode(&id, "another_episode")
        .await
        .expect("wiped");
    assert!(
        episode(&client, &id, "another_episode")
            .await
            .events
            .is_empty()
    );
    delete(&client, &id).await;
    for name in ["another_episode", "default"] {
        assert_eq!(
            failed(
                models
                    .get_episode_info(&id, name)
                    .await
                    .expect_err("deleted")
            ),
            not_found(INSTANCE_NOT_FOUND)
        );
    }
}

/// "It should be possible to specify the timestamp of the inference request
/// manually"
#[tokio::test]
async fn inference_takes_a_given_timestamp() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelInferenceCall", "Testing inference call"),
    )
    .await;
    // `ZonedDateTime(Dates.now(), localzone())`: now, with the zone's
    // offset, to the millisecond.
    let now = now();
    let now = now
        .replace_nanosecond(u32::from(now.millisecond()) * 1_000_000)
        .expect("a valid time");
    let given = Timestamp::from(now);
    models
        .run_inference(&id, &observation(1).with_timestamp(given))
        .await
        .expect("inferred");
    let events = episode(&client, &id, "default").await.events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, Some(object([("observation", 1)])));
    assert_eq!(
        wall(events[0].timestamp.as_ref()),
        time::PrimitiveDateTime::new(now.date(), now.time())
    );
    delete(&client, &id).await;
}

/// "It should be possible to learn from previous observations"
#[tokio::test]
async fn learning_from_previous_observations() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelLearningCall", "Testing learning call"),
    )
    .await;
    let state = || async {
        models
            .get_model_instance_state(&id)
            .await
            .expect("state")
            .into_data()
            .state
    };
    for i in 1..=10 {
        models
            .run_inference(&id, &observation(i))
            .await
            .expect("inferred");
    }
    let learned = models
        .run_learning(&id, &learn("default"))
        .await
        .expect("learned");
    assert_eq!(parameter(&learned.learned_parameters), Some(&json!(55)));
    let parameters = models
        .get_model_instance_parameters(&id)
        .await
        .expect("parameters");
    assert_eq!(parameter(&parameters.parameters), Some(&json!(55)));
    let now = state().await;
    assert_eq!(now.get("number_of_learning_calls"), Some(&json!(1)));
    assert_eq!(now.get("number_of_inference_calls"), Some(&json!(10)));

    for _ in 0..10 {
        models
            .run_inference(&id, &observation(-1))
            .await
            .expect("inferred");
    }
    let learned = models
        .run_learning(&id, &learn("default"))
        .await
        .expect("learned");
    assert_eq!(parameter(&learned.learned_parameters), Some(&json!(45)));
    let now = state().await;
    assert_eq!(now.get("number_of_learning_calls"), Some(&json!(2)));
    assert_eq!(now.get("number_of_inference_calls"), Some(&json!(20)));
    delete(&client, &id).await;
}

/// "It should be possible to continually learn from observations"
#[tokio::test]
async fn continual_learning() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelLearningCall", "Testing continual learning call"),
    )
    .await;
    for (batch, expected, total) in [(1..=10, 55, 10), (11..=20, 210, 20)] {
        models
            .attach_events_to_episode(&id, "default", &events(batch.map(|i| json!(i))))
            .await
            .expect("attached");
        let learned = models
            .run_learning(&id, &learn("default"))
            .await
            .expect("learned");
        assert_eq!(
            parameter(&learned.learned_parameters),
            Some(&json!(expected))
        );
        let state = models.get_model_instance_state(&id).await.expect("state");
        assert_eq!(
            state.state.get("number_of_learning_calls"),
            Some(&json!(total / 10))
        );
        assert_eq!(
            state.state.get("number_of_inference_calls"),
            Some(&json!(0))
        );
        let default = episode(&client, &id, "default").await;
        assert_eq!(default.events.len(), total);
        assert_eq!(parameter(&default.parameters), Some(&json!(expected)));
    }
    delete(&client, &id).await;
}

/// "When creating a new episode, its parameters should be default"
#[tokio::test]
async fn a_new_episode_starts_from_the_initial_parameters() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelLearningCall", "Testing learning call"),
    )
    .await;
    let current_parameter = || async {
        parameter(
            &models
                .get_model_instance_parameters(&id)
                .await
                .expect("parameters")
                .parameters,
        )
        .cloned()
    };
    models
        .attach_events_to_episode(&id, "default", &events((1..=10).map(|i| json!(i))))
        .await
        .expect("attached");
    let learned = models
        .run_learning(&id, &learn("default"))
        .await
        .expect("learned");
    assert_eq!(parameter(&learned.learned_parameters), Some(&json!(55)));
    assert_eq!(
        parameter(&episode(&client, &id, "default").await.parameters),
        Some(&json!(55))
    );

    let created = models
        .create_episode(&id, &CreateEpisodeRequest::new("new_episode"))
        .await
        .expect("created");
    assert_eq!(created.episode_name, "new_episode");
    assert_ne!(parameter(&created.parameters), Some(&json!(55)));

    models
        .attach_events_to_episode(&id, "new_episode", &events((1..=5).map(|i| json!(i))))
        .await
        .expect("attached");
    let learned = models
        .run_learning(&id, &learn("new_episode"))
        .await
        .expect("learned");
    assert_eq!(parameter(&learned.learned_parameters), Some(&json!(15)));
    assert_eq!(
        parameter(&episode(&client, &id, "new_episode").await.parameters),
        Some(&json!(15))
    );
    assert_eq!(
        parameter(&episode(&client, &id, "default").await.parameters),
        Some(&json!(55))
    );
    assert_eq!(current_parameter().await, Some(json!(15)));

    let wiped = models
        .wipe_episode(&id, "new_episode")
        .await
        .expect("wiped");
    assert_eq!(wiped.message, "Episode wiped successfully");
    assert_eq!(
        parameter(&episode(&client, &id, "new_episode").await.parameters),
        Some(&json!(0))
    );
    assert_eq!(
        parameter(&episode(&client, &id, "default").await.parameters),
        Some(&json!(55))
    );
    assert_eq!(current_parameter().await, Some(json!(0)));

    let deleted = models
        .delete_episode(&id, "new_episode")
        .await
        .expect("deleted");
    assert_eq!(deleted.message, "Episode deleted successfully");
    assert_eq!(current_parameter().await, Some(json!(55)));
    delete(&client, &id).await;
}

/// "The learning on a non-current episode should not affect the current
/// episode"
#[tokio::test]
async fn learning_another_episode_leaves_the_current_one() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelLearningCall", "Testing learning call"),
    )
    .await;
    for name in ["episode1", "episode2"] {
        let created = models
            .create_episode(&id, &CreateEpisodeRequest::new(name))
            .await
            .expect("created");
        assert_eq!(created.episode_name, name);
        assert_eq!(parameter(&created.parameters), Some(&json!(0)));
    }
    let current = || async {
        models
            .get_model_instance(&id)
            .await
            .expect("described")
            .into_data()
            .current_episode
    };
    assert_eq!(current().await, "episode2");
    models
        .attach_events_to_episode(&id, "episode1", &events((1..=10).map(|i| json!(i))))
        .await
        .expect("attached");
    let learned = models
        .run_learning(&id, &learn("episode1"))
        .await
        .expect("learned");
    assert_eq!(parameter(&learned.learned_parameters), Some(&json!(55)));
    assert_eq!(current().await, "episode2");
    assert_eq!(
        parameter(&episode(&client, &id, "episode2").await.parameters),
        Some(&json!(0))
    );
    let parameters = models
        .get_model_instance_parameters(&id)
        .await
        .expect("parameters");
    assert_eq!(parameter(&parameters.parameters), Some(&json!(0)));
    delete(&client, &id).await;
}

/// "It should be possible to relearn from an episode"
#[tokio::test]
async fn relearning_an_episode() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("TestModelLearningCall", "Testing learning call"),
    )
    .await;
    models
        .attach_events_to_episode(&id, "default", &events((1..=10).map(|i| json!(i))))
        .await
        .expect("attached");
    for (request, expected, calls, processed) in [
        (learn("default"), 55, 1, 10),
        (learn("default").with_relearn(false), 55, 2, 10),
        (learn("default").with_relearn(true), 110, 3, 20),
    ] {
        let learned = models.run_learning(&id, &request).await.expect("learned");
        assert_eq!(
            parameter(&learned.learned_parameters),
            Some(&json!(expected))
        );
        let state = models.get_model_instance_state(&id).await.expect("state");
        assert_eq!(
            state.state,
            object([
                ("number_of_learning_calls", calls),
                ("number_of_inference_calls", 0),
                ("number_of_processed_events", processed),
            ])
        );
    }
    delete(&client, &id).await;
}

/// "It should be possible to create an episode with bad name and retrieve
/// it"
#[tokio::test]
async fn an_episode_with_a_bad_name() {
    let server = server().await;
    let client = client(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create(
            "TestModelLearningCall",
            "Testing creation of a model instance with no arguments",
        ),
    )
    .await;
    let name = " %%% -- ////// %% <> >< == () {} [] | # % & * + , / : ; = ? @ [ ]";

    let created = models
        .create_episode(&id, &CreateEpisodeRequest::new(name))
        .await
        .expect("created");
    assert_eq!(created.episode_name, name);
    let found = episode(&client, &id, name).await;
    assert_eq!(found.episode_name, name);
    assert_eq!(found.instance_id, id);
    assert!(found.events.is_empty());
    let all = models.get_episodes(&id).await.expect("listed");
    assert!(all.iter().any(|e| e.episode_name == name));
    assert!(all.iter().any(|e| e.episode_name == "default"));

    let attach = AttachEventsToEpisodeRequest::new([
        NewEvent::new(object([("observation", 1)]))
            .with_timestamp("2024-03-20T12:00:00")
            .with_metadata(object([("test_key", "test_value")])),
        NewEvent::new(object([("observation", 2)]))
            .with_timestamp("2024-03-20T12:00:01")
            .with_metadata(object([("another_key", "another_value")])),
    ]);
    models
        .attach_events_to_episode(&id, name, &attach)
        .await
        .expect("attached");
    let events = episode(&client, &id, name).await.events;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].data, Some(object([("observation", 1)])));
    assert_eq!(events[1].data, Some(object([("observation", 2)])));

    let metadata = object([("added_key", "added_value")]);
    models
        .attach_metadata_to_event(
            &id,
            name,
            1,
            &AttachMetadataToEventRequest::new(metadata.clone()),
        )
        .await
        .expect("attached");
    assert_eq!(
        episode(&client, &id, name).await.events[0].metadata,
        Some(metadata)
    );

    let wiped = models.wipe_episode(&id, name).await.expect("wiped");
    assert_eq!(wiped.message, "Episode wiped successfully");
    assert!(episode(&client, &id, name).await.events.is_empty());

    models
        .run_inference(&id, &observation(42).with_episode(name))
        .await
        .expect("inferred");
    let events = episode(&client, &id, name).await.events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, Some(object([("observation", 42)])));

    models
        .attach_events_to_episode(&id, name, &events_of(1..=5))
        .await
        .expect("attached");
    models
        .run_learning(&id, &learn(name))
        .await
        .expect("learned");

    let deleted = models.delete_episode(&id, name).await.expect("deleted");
    assert_eq!(deleted.message, "Episode deleted successfully");
    assert_eq!(
        failed(
            models
                .get_episode_info(&id, name)
                .await
                .expect_err("deleted")
        )
        .0,
        404
    );
    let all = models.get_episodes(&id).await.expect("listed");
    assert!(!all.iter().any(|e| e.episode_name == name));
    delete(&client, &id).await;
}

fn events_of(xs: std::ops::RangeInclusive<i64>) -> AttachEventsToEpisodeRequest {
    events(xs.map(|i| json!(i)))
}

// --- test/models/beta-bernoulli-v1_tests.jl ----------------------------

/// A fixed stand-in for `StableRNG(1234)`: a 64-bit LCG, uniform in [0, 1).
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn user(server: &StandIn) -> Client {
    test_client(server, &["user"])
}

/// "it should be possible to create a model instance with correct
/// arguments"
#[tokio::test]
async fn beta_bernoulli_created_with_arguments() {
    let server = server().await;
    let client = user(&server);
    let id = new_instance(
        &client,
        &create("BetaBernoulli-v1", "Testing beta bernoulli model")
            .with_arguments(object([("prior_a", 2), ("prior_b", 3)])),
    )
    .await;
    delete(&client, &id).await;
}

/// "model should be able to learn from observations and make predictions":
/// the observations are `rand(rng, Bernoulli(true_p), n)`, booleans.
#[tokio::test]
async fn beta_bernoulli_learns_and_predicts() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    let mut rng = Lcg(1234);
    for n in [500, 1000] {
        for true_p in [0.2, 0.5, 0.8] {
            let observations: Vec<bool> = (0..n).map(|_| rng.uniform() < true_p).collect();
            for prior_a in [1, 2, 5] {
                for prior_b in [1, 2, 5] {
                    let id = new_instance(
                        &client,
                        &create("BetaBernoulli-v1", "Testing beta bernoulli model")
                            .with_arguments(object([("prior_a", prior_a), ("prior_b", prior_b)])),
                    )
                    .await;
                    models
                        .attach_events_to_episode(
                            &id,
                            "default",
                            &events(observations.iter().map(|x| json!(x))),
                        )
                        .await
                        .expect("attached");
                    assert_eq!(episode(&client, &id, "default").await.events.len(), n);
                    let learned = models
                        .run_learning(&id, &learn("default"))
                        .await
                        .expect("learned");
                    let successes = observations.iter().filter(|x| **x).count();
                    let expected_a = (prior_a as usize + successes) as f64;
                    let expected_b = (prior_b as usize + n - successes) as f64;
                    assert_eq!(
                        learned.learned_parameters.get("posterior_a"),
                        Some(&json!(expected_a))
                    );
                    assert_eq!(
                        learned.learned_parameters.get("posterior_b"),
                        Some(&json!(expected_b))
                    );
                    for x in [0, 1] {
                        let inferred = models
                            .run_inference(&id, &observation(x))
                            .await
                            .expect("inferred");
                        assert!(inferred.results.contains_key("number_of_infer_calls"));
                        let mean_p = inferred
                            .results
                            .get("mean_p")
                            .and_then(Value::as_f64)
                            .expect("mean_p");
                        assert!((0.0..=1.0).contains(&mean_p));
                        assert!((mean_p - true_p).abs() <= 0.1, "{mean_p} vs {true_p}");
                    }
                    delete(&client, &id).await;
                }
            }
        }
    }
}

/// "model should support continual learning"
#[tokio::test]
async fn beta_bernoulli_learns_continually() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("BetaBernoulli-v1", "Testing continual learning")
            .with_arguments(object([("prior_a", 1), ("prior_b", 1)])),
    )
    .await;
    let posterior = |learned: &JsonObject| {
        (
            learned.get("posterior_a").and_then(Value::as_f64),
            learned.get("posterior_b").and_then(Value::as_f64),
        )
    };
    let batches = [
        ([1, 1, 0, 1, 1, 1, 0, 1, 1, 1], (9.0, 3.0)),
        ([0, 1, 0, 0, 1, 0, 0, 1, 0, 0], (12.0, 10.0)),
    ];
    for (batch, (a, b)) in batches {
        models
            .attach_events_to_episode(&id, "default", &events(batch.map(|x| json!(x))))
            .await
            .expect("attached");
        let learned = models
            .run_learning(&id, &learn("default"))
            .await
            .expect("learned");
        assert_eq!(posterior(&learned.learned_parameters), (Some(a), Some(b)));
    }
    let mean_p = || async {
        models
            .run_inference(&id, &observation(1))
            .await
            .expect("inferred")
            .results
            .get("mean_p")
            .and_then(Value::as_f64)
            .expect("mean_p")
    };
    for _ in 0..2 {
        assert!((mean_p().await - 13.0 / 23.0).abs() <= 1e-6);
    }
    let learned = models
        .run_learning(&id, &learn("default"))
        .await
        .expect("learned");
    assert_eq!(
        posterior(&learned.learned_parameters),
        (Some(14.0), Some(10.0))
    );
    assert!((mean_p().await - 15.0 / 25.0).abs() <= 1e-6);
    delete(&client, &id).await;
}

/// "model should handle different prior parameters"
#[tokio::test]
async fn beta_bernoulli_with_different_priors() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    for prior_a in [1, 5, 10] {
        for prior_b in [1, 3, 8] {
            let id = new_instance(
                &client,
                &create("BetaBernoulli-v1", "Testing different priors")
                    .with_arguments(object([("prior_a", prior_a), ("prior_b", prior_b)])),
            )
            .await;
            let inferred = models
                .run_inference(&id, &observation(1))
                .await
                .expect("inferred");
            assert!(inferred.results.contains_key("number_of_infer_calls"));
            let mean_p = inferred
                .results
                .get("mean_p")
                .and_then(Value::as_f64)
                .expect("mean_p");
            assert!((0.0..=1.0).contains(&mean_p));
            let expected = f64::from(prior_a + 1) / f64::from(prior_a + 1 + prior_b);
            assert!((mean_p - expected).abs() <= 1e-6);
            delete(&client, &id).await;
        }
    }
}

// --- test/models/dirichlet-categorical-v1-tests.jl ---------------------

/// Julia's `isapprox` of two vectors: the norm of the difference within
/// `sqrt(eps)` times the larger norm.
fn approx(x: &[f64], y: &[f64]) -> bool {
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let difference: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    x.len() == y.len() && norm(&difference) <= f64::EPSILON.sqrt() * norm(x).max(norm(y))
}

fn floats(value: Option<&Value>) -> Vec<f64> {
    value
        .and_then(Value::as_array)
        .expect("a vector")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// "it should be possible to create a Dirichlet-Categorical model instance
/// with correct arguments"
#[tokio::test]
async fn dirichlet_categorical_created_with_arguments() {
    let server = server().await;
    let client = user(&server);
    let id = new_instance(
        &client,
        &create(
            "DirichletCategorical-v1",
            "Testing Dirichlet-Categorical model",
        )
        .with_arguments(object([("prior_alpha", json!([2.0, 3.0, 4.0]))])),
    )
    .await;
    delete(&client, &id).await;
}

/// "model should be able to learn from observations and make predictions"
/// (inference sends `Dict("observation" => missing)`, JSON `null`)
#[tokio::test]
async fn dirichlet_categorical_learns_and_predicts() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    let mut rng = Lcg(1234);
    for n in [500, 1000] {
        for true_probs in [[0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.33, 0.34, 0.33]] {
            let observations: Vec<[f64; 3]> = (0..n)
                .map(|_| {
                    let u = rng.uniform();
                    let k = if u < true_probs[0] {
                        0
                    } else if u < true_probs[0] + true_probs[1] {
                        1
                    } else {
                        2
                    };
                    let mut one_hot = [0.0; 3];
                    one_hot[k] = 1.0;
                    one_hot
                })
                .collect();
            for prior_alpha in [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [5.0, 3.0, 2.0]] {
                let id = new_instance(
                    &client,
                    &create(
                        "DirichletCategorical-v1",
                        "Testing Dirichlet-Categorical model",
                    )
                    .with_arguments(object([("prior_alpha", json!(prior_alpha))])),
                )
                .await;
                models
                    .attach_events_to_episode(
                        &id,
                        "default",
                        &events(observations.iter().map(|x| json!(x))),
                    )
                    .await
                    .expect("attached");
                assert_eq!(episode(&client, &id, "default").await.events.len(), n);
                let learned = models
                    .run_learning(&id, &learn("default"))
                    .await
                    .expect("learned");
                let posterior = floats(learned.learned_parameters.get("posterior_alpha"));
                let expected: Vec<f64> = (0..3)
                    .map(|k| prior_alpha[k] + observations.iter().map(|x| x[k]).sum::<f64>())
                    .collect();
                assert!(
                    approx(&posterior, &expected),
                    "{posterior:?} vs {expected:?}"
                );

                let inferred = models
                    .run_inference(
                        &id,
                        &InferRequest::new(object([("observation", Value::Null)])),
                    )
                    .await
                    .expect("inferred");
                assert!(inferred.results.contains_key("number_of_infer_calls"));
                let probs = floats(inferred.results.get("predicted_probs"));
                assert_eq!(probs.len(), 3);
                assert!((probs.iter().sum::<f64>() - 1.0).abs() <= 1e-6);
                let total: f64 = posterior.iter().sum();
                let expected: Vec<f64> = posterior.iter().map(|a| a / total).collect();
                assert!(approx(&probs, &expected));
                delete(&client, &id).await;
            }
        }
    }
}

/// "model should support continual learning"
#[tokio::test]
async fn dirichlet_categorical_learns_continually() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    let id = new_instance(
        &client,
        &create("DirichletCategorical-v1", "Testing continual learning")
            .with_arguments(object([("prior_alpha", json!([1.0, 1.0, 1.0, 1.0]))])),
    )
    .await;
    let one_hot = |k: usize| {
        let mut x = [0.0; 4];
        x[k - 1] = 1.0;
        json!(x)
    };
    for (batch, expected) in [
        ([1, 1, 2, 1, 3, 1, 2, 1, 4, 1], [7.0, 3.0, 2.0, 2.0]),
        ([2, 2, 3, 2, 3, 3, 4, 4, 3, 2], [7.0, 7.0, 6.0, 4.0]),
    ] {
        models
            .attach_events_to_episode(&id, "default", &events(batch.map(one_hot)))
            .await
            .expect("attached");
        let learned = models
            .run_learning(&id, &learn("default"))
            .await
            .expect("learned");
        assert!(approx(
            &floats(learned.learned_parameters.get("posterior_alpha")),
            &expected
        ));
    }
    delete(&client, &id).await;
}

/// "inference should produce correct probabilities for different prior
/// parameters"
#[tokio::test]
async fn dirichlet_categorical_predicts_from_its_prior() {
    let server = server().await;
    let client = user(&server);
    let models = client.models();
    for (prior_alpha, description) in [
        (vec![2.0, 2.0], "Two categories"),
        (vec![1.0, 1.0, 1.0], "Uniform prior"),
        (vec![5.0, 3.0, 2.0, 10.0], "Non-uniform prior"),
    ] {
        let id = new_instance(
            &client,
            &create("DirichletCategorical-v1", description)
                .with_arguments(object([("prior_alpha", json!(prior_alpha))])),
        )
        .await;
        let inferred = models
            .run_inference(
                &id,
                &InferRequest::new(object([("observation", Value::Null)])),
            )
            .await
            .expect("inferred");
        let probs = floats(inferred.results.get("predicted_probs"));
        assert_eq!(probs.len(), prior_alpha.len());
        assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!((probs.iter().sum::<f64>() - 1.0).abs() <= 1e-6);
        let total: f64 = prior_alpha.iter().sum();
        let expected: Vec<f64> = prior_alpha.iter().map(|a| a / total).collect();
        assert!(approx(&probs, &expected));
        let _ = client.models().delete_model_instance(&id).await;
    }
}
