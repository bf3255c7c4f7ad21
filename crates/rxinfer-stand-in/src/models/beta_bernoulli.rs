//! `BetaBernoulli-v1`: a coin's bias from 0/1 observations.

use rxinfer_models::{Event, JsonObject, object};
use serde_json::{Value, json};

use super::{number, observation};
use crate::{Argument, Inference, Learning, Model, ModelConfig, ModelError};

/// `BetaBernoulli-v1`, computing what the real server computes: a Beta
/// prior `(prior_a, prior_b)` (default 1 and 1) on the bias of a coin seen
/// as `{"observation": 0 or 1}`.
///
/// - Inference on `x` with the current episode's `(posterior_a,
///   posterior_b) = (A, B)`: `mean_p = (A + x) / (A + B + 1)`, and
///   `number_of_infer_calls` counts up in the state; nothing accumulates,
///   so the same call twice answers the same.
/// - Learning on `n` events with `s` ones: `(A + s, B + n - s)`, as floats.
#[derive(Debug, Clone)]
pub struct BetaBernoulli {
    config: ModelConfig,
}

impl Default for BetaBernoulli {
    fn default() -> Self {
        Self {
            config: ModelConfig::new("BetaBernoulli-v1")
                .with_description("A simple Beta-Bernoulli model")
                .with_author("Lazy Dynamics")
                .with_roles(["user"])
                .with_argument(
                    Argument::new("prior_a", "The alpha parameter of the Beta prior")
                        .with_type("float")
                        .with_default(1),
                )
                .with_argument(
                    Argument::new("prior_b", "The beta parameter of the Beta prior")
                        .with_type("float")
                        .with_default(1),
                ),
        }
    }
}

/// A coin flip: exactly 0 or 1.
fn flip(value: Option<&Value>) -> Result<f64, ModelError> {
    match value.and_then(Value::as_f64) {
        Some(x) if x == 0.0 || x == 1.0 => Ok(x),
        _ => Err(ModelError::new("an observation is 0 or 1")),
    }
}

impl Model for BetaBernoulli {
    fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn initial_state(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        let prior = |key| arguments.get(key).cloned().unwrap_or(json!(1));
        Ok(object([
            ("prior_a", prior("prior_a")),
            ("prior_b", prior("prior_b")),
            ("number_of_infer_calls", json!(0)),
        ]))
    }

    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        let prior = |key| arguments.get(key).cloned().unwrap_or(json!(1));
        Ok(object([
            ("posterior_a", prior("prior_a")),
            ("posterior_b", prior("prior_b")),
        ]))
    }

    fn run_inference(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        data: &JsonObject,
    ) -> Result<Inference, ModelError> {
        let x = flip(data.get("observation"))?;
        let (a, b) = (
            number(parameters, "posterior_a")?,
            number(parameters, "posterior_b")?,
        );
        let calls = state
            .get("number_of_infer_calls")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let mut state = state.clone();
        state.insert("number_of_infer_calls".to_owned(), json!(calls));
        let results = object([
            ("mean_p", json!((a + x) / (a + b + 1.0))),
            ("number_of_infer_calls", json!(calls)),
        ]);
        Ok(Inference::new(results, state))
    }

    fn run_learning(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        events: &[Event],
    ) -> Result<Learning, ModelError> {
        let (a, b) = (
            number(parameters, "posterior_a")?,
            number(parameters, "posterior_b")?,
        );
        let mut ones = 0.0;
        for event in events {
            ones += flip(observation(event))?;
        }
        let n = events.len() as f64;
        let parameters = object([
            ("posterior_a", json!(a + ones)),
            ("posterior_b", json!(b + n - ones)),
        ]);
        Ok(Learning::new(parameters, state.clone()))
    }
}
