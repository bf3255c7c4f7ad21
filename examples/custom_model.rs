//! A model of your own in the stand-in, as a test double for code that uses
//! RxInferServer: `Exponential-v1` estimates the rate of an exponential
//! distribution from waiting times (a Gamma prior, conjugate), and the
//! application code under test talks to it through the client.
//!
//! `cargo run --example custom_model` runs it; `cargo test --example
//! custom_model` (and `cargo test --workspace`) runs its tests.

use rxinfer_client::{
    ApiError, Client,
    models::{
        AttachEventsToEpisodeRequest, CreateModelInstanceRequest, Event, FreeForm, InferRequest,
        JsonObject, LearnRequest, NewEvent, object,
    },
};
use rxinfer_stand_in::{Argument, Inference, Learning, Model, ModelConfig, ModelError, StandIn};

/// Gamma(`shape`, `rate`) on the rate λ of exponential waiting times.
struct Exponential {
    config: ModelConfig,
}

impl Exponential {
    fn new() -> Self {
        Self {
            config: ModelConfig::new("Exponential-v1")
                .with_description("The rate of exponential waiting times")
                .with_author("An application team")
                .with_argument(Argument::new("shape", "Gamma prior shape").with_default(1.0))
                .with_argument(Argument::new("rate", "Gamma prior rate").with_default(1.0)),
        }
    }
}

fn number(object: &JsonObject, key: &str) -> Result<f64, ModelError> {
    object
        .f64(key)
        .ok_or_else(|| ModelError::new(format!("`{key}` is not a number")))
}

impl Model for Exponential {
    fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn initial_state(&self, _: &JsonObject) -> Result<JsonObject, ModelError> {
        Ok(object([("inferences", 0)]))
    }

    /// A prior that is not two numbers fails the creation (a bare 500), as
    /// a `model.jl` that throws in `initial_parameters` does.
    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        Ok(object([
            ("shape", number(arguments, "shape")?),
            ("rate", number(arguments, "rate")?),
        ]))
    }

    /// The expected waiting time under the current parameters.
    fn run_inference(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        _: &JsonObject,
    ) -> Result<Inference, ModelError> {
        let (shape, rate) = (number(parameters, "shape")?, number(parameters, "rate")?);
        let inferences = state.i64("inferences").unwrap_or(0) + 1;
        Ok(Inference::new(
            object([("expected_wait", rate / (shape - 1.0).max(f64::MIN_POSITIVE))]),
            object([("inferences", inferences)]),
        ))
    }

    /// Conjugate update: shape + n, rate + Σ waits.
    fn run_learning(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        events: &[Event],
    ) -> Result<Learning, ModelError> {
        let (mut shape, mut rate) = (number(parameters, "shape")?, number(parameters, "rate")?);
        for event in events {
            let data = event
                .data
                .as_ref()
                .ok_or_else(|| ModelError::new("no data"))?;
            shape += 1.0;
            rate += number(data, "wait")?;
        }
        Ok(Learning::new(
            object([("shape", shape), ("rate", rate)]),
            state.clone(),
        ))
    }
}

/// The application code under test: learns from waiting times and says
/// how long the next wait should be.
async fn expected_wait(client: &Client, waits: &[f64]) -> Result<Option<f64>, ApiError> {
    let models = client.models();
    let id = models
        .create_model_instance(&CreateModelInstanceRequest::new("Exponential-v1"))
        .await?
        .into_data()
        .instance_id;
    let events = waits.iter().map(|w| NewEvent::new(object([("wait", *w)])));
    models
        .attach_events_to_episode(&id, "default", &AttachEventsToEpisodeRequest::new(events))
        .await?;
    models
        .run_learning(&id, &LearnRequest::new(["default"]))
        .await?;
    let answer = models
        .run_inference(&id, &InferRequest::new(JsonObject::new()))
        .await?;
    models.delete_model_instance(&id).await?;
    Ok(answer.f64("expected_wait"))
}

async fn stand_in() -> std::io::Result<(StandIn, Client)> {
    let server = StandIn::builder()
        .dev_token(true)
        .model(Exponential::new())
        .start()
        .await?;
    let client = Client::builder()
        .base_url(server.url())
        .and_then(|builder| builder.token("dev-token"))
        .and_then(|builder| builder.build())
        .map_err(std::io::Error::other)?;
    Ok((server, client))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (server, client) = stand_in().await?;
    println!("the stand-in at {} serves Exponential-v1 too", server.url());
    let waits = [2.0, 3.5, 1.0, 4.5, 3.0];
    match expected_wait(&client, &waits).await? {
        Some(wait) => println!("after {waits:?}: the next wait should be about {wait:.2}"),
        None => println!("no expected wait in the answer"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_application_learns_the_mean_wait() -> Result<(), Box<dyn std::error::Error>> {
        let (_server, client) = stand_in().await?;
        // Gamma(1 + 5, 1 + 14) → expected wait 15 / 5 = 3.
        let wait = expected_wait(&client, &[2.0, 3.5, 1.0, 4.5, 3.0]).await?;
        assert_eq!(wait, Some(3.0));
        Ok(())
    }

    #[tokio::test]
    async fn bad_data_is_the_servers_500() -> Result<(), Box<dyn std::error::Error>> {
        let (_server, client) = stand_in().await?;
        let models = client.models();
        let id = models
            .create_model_instance(&CreateModelInstanceRequest::new("Exponential-v1"))
            .await?
            .into_data()
            .instance_id;
        let events = [NewEvent::new(object([("wait", "soon")]))];
        models
            .attach_events_to_episode(&id, "default", &AttachEventsToEpisodeRequest::new(events))
            .await?;
        let error = models
            .run_learning(&id, &LearnRequest::new(["default"]))
            .await
            .expect_err("a wait that is not a number");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
        Ok(())
    }
}
