//! Conformance checks against peers nobody here wrote. Run them all with
//! `scripts/conformance.sh`; the pieces:
//!
//! | piece | checks |
//! |---|---|
//! | `tests/models_match_spec.rs` | each model against the schema of the same name in the official OpenAPI document |
//! | `src/bin/prism-checks.rs` | the client against Prism, a mock driven by that document, which rejects non-conforming requests |
//! | `src/bin/stand-in.rs` | the stand-in server as a process, for the official Python client and schemathesis to drive |
//! | `tests/operations_match_spec.rs` | [`every_operation`]'s table against the document: every operation, its documented statuses, its security |
//! | `tests/retry_classes.rs` | each operation, sent to a server that drops it: resent only when safe |
//!
//! [`Checks`] runs named checks and reports each, so a run's output says
//! what it proved.
#![forbid(unsafe_code)]

use std::{fmt::Display, future::Future, pin::Pin};

use rxinfer_client::{
    ApiError, Client,
    models::{
        AttachEventsToEpisodeRequest, AttachMetadataToEventRequest, CreateEpisodeRequest,
        CreateModelInstanceRequest, InferRequest, LearnRequest, NewEvent, object,
    },
};

/// A call of one operation, its answer dropped.
pub type Call = Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send>>;

/// One operation of the document, called through the client.
pub struct Operation {
    /// The client's name for it (the `operationId` in snake case).
    pub name: &'static str,
    /// Its method and path template, as the document writes them.
    pub route: &'static str,
    /// Whether it needs the bearer token.
    pub needs_token: bool,
    /// Whether the client may send it again once it may have reached the
    /// server.
    pub resendable: bool,
    /// The error statuses the document lists for it.
    pub documented_errors: &'static [u16],
    /// The call, with valid arguments (an instance id that is a UUID).
    pub call: Call,
}

/// An instance id of UUID form, as the document's `format: uuid` wants.
pub const INSTANCE_ID: &str = "6f1c2d4e-0000-4000-8000-000000000000";

/// Every operation of the document, in its order, through `client`.
pub fn every_operation(client: &Client) -> Vec<Operation> {
    fn call<T: Send + 'static>(
        future: impl Future<Output = Result<T, ApiError>> + Send + 'static,
    ) -> Call {
        Box::pin(async move { future.await.map(|_| ()) })
    }
    let operation = |name, route, needs_token, resendable, documented_errors, call| Operation {
        name,
        route,
        needs_token,
        resendable,
        documented_errors,
        call,
    };
    let (auth, server, models) = (client.authentication(), client.server(), client.models());
    let id = INSTANCE_ID;
    let event = NewEvent::new(object([("observation", 1)]));
    vec![
        operation(
            "get_server_info",
            "GET /info",
            true,
            true,
            &[401],
            call(server.get_server_info()),
        ),
        operation(
            "ping_server",
            "GET /ping",
            false,
            true,
            &[],
            call(server.ping_server()),
        ),
        operation(
            "token_generate",
            "POST /token/generate",
            false,
            false,
            &[400],
            call(auth.token_generate()),
        ),
        operation(
            "token_roles",
            "GET /token/roles",
            true,
            true,
            &[401],
            call(auth.token_roles()),
        ),
        operation(
            "get_available_models",
            "GET /models/available",
            true,
            true,
            &[401],
            call(models.get_available_models()),
        ),
        operation(
            "get_available_model",
            "GET /models/available/{model_name}",
            true,
            true,
            &[401, 404],
            call(models.get_available_model("BetaBernoulli-v1")),
        ),
        operation(
            "create_model_instance",
            "POST /models/create-instance",
            true,
            false,
            &[400, 401, 404],
            call(models.create_model_instance(
                &CreateModelInstanceRequest::new("BetaBernoulli-v1").with_description("coin"),
            )),
        ),
        operation(
            "get_model_instances",
            "GET /models/instances",
            true,
            true,
            &[401],
            call(models.get_model_instances()),
        ),
        operation(
            "get_model_instance",
            "GET /models/i/{instance_id}",
            true,
            true,
            &[401, 404],
            call(models.get_model_instance(id)),
        ),
        operation(
            "delete_model_instance",
            "DELETE /models/i/{instance_id}",
            true,
            true,
            &[401, 404],
            call(models.delete_model_instance(id)),
        ),
        operation(
            "get_model_instance_state",
            "GET /models/i/{instance_id}/state",
            true,
            true,
            &[400, 401, 404],
            call(models.get_model_instance_state(id)),
        ),
        operation(
            "get_model_instance_parameters",
            "GET /models/i/{instance_id}/parameters",
            true,
            true,
            &[400, 401, 404],
            call(models.get_model_instance_parameters(id)),
        ),
        operation(
            "run_inference",
            "POST /models/i/{instance_id}/infer",
            true,
            false,
            &[401, 404],
            call(
                models.run_inference(
                    id,
                    &InferRequest::new(object([("observation", 1)]))
                        .with_timestamp("2024-03-20T12:00:00Z"),
                ),
            ),
        ),
        operation(
            "run_learning",
            "POST /models/i/{instance_id}/learn",
            true,
            false,
            &[401, 404],
            call(models.run_learning(id, &LearnRequest::new(["default"]))),
        ),
        operation(
            "create_episode",
            "POST /models/i/{instance_id}/create-episode",
            true,
            false,
            &[400, 401, 404],
            call(models.create_episode(id, &CreateEpisodeRequest::new("experiment 1"))),
        ),
        operation(
            "get_episodes",
            "GET /models/i/{instance_id}/episodes",
            true,
            true,
            &[401, 404],
            call(models.get_episodes(id)),
        ),
        operation(
            "get_episode_info",
            "GET /models/i/{instance_id}/episodes/{episode_name}",
            true,
            true,
            &[401, 404],
            call(models.get_episode_info(id, "default")),
        ),
        operation(
            "delete_episode",
            "DELETE /models/i/{instance_id}/episodes/{episode_name}",
            true,
            true,
            &[400, 401, 404],
            call(models.delete_episode(id, "experiment 1")),
        ),
        operation(
            "attach_events_to_episode",
            "POST /models/i/{instance_id}/episodes/{episode_name}/attach-events",
            true,
            false,
            &[400, 401, 404],
            call(models.attach_events_to_episode(
                id,
                "default",
                &AttachEventsToEpisodeRequest::new([event]),
            )),
        ),
        operation(
            "wipe_episode",
            "POST /models/i/{instance_id}/episodes/{episode_name}/wipe",
            true,
            false,
            &[401, 404],
            call(models.wipe_episode(id, "default")),
        ),
        operation(
            "attach_metadata_to_event",
            "POST /models/i/{instance_id}/episodes/{episode_name}/events/{event_id}/attach-metadata",
            true,
            false,
            &[401, 404],
            call(models.attach_metadata_to_event(
                id,
                "default",
                1,
                &AttachMetadataToEventRequest::new(object([("source", "conformance")])),
            )),
        ),
    ]
}

/// Runs named checks one after another, printing `ok` or `FAIL` for each.
#[derive(Debug, Default)]
pub struct Checks {
    failed: usize,
    passed: usize,
}

impl Checks {
    /// No checks run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `check`, which returns why it failed, if it did.
    pub async fn run<F, E>(&mut self, name: &str, check: F)
    where
        F: Future<Output = Result<(), E>>,
        E: Display,
    {
        match check.await {
            Ok(()) => {
                self.passed += 1;
                println!("ok    {name}");
            }
            Err(reason) => {
                self.failed += 1;
                println!("FAIL  {name}: {reason}");
            }
        }
    }

    /// Prints the tally and tells whether every check passed.
    pub fn finish(self, suite: &str) -> bool {
        println!("{suite}: {} passed, {} failed", self.passed, self.failed);
        self.failed == 0
    }
}
