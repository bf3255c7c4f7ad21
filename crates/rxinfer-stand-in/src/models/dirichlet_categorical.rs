//! `DirichletCategorical-v1`: probabilities of categories from one-hot
//! observations.

use rxinfer_models::{Event, JsonObject, object};
use serde_json::{Value, json};

use super::observation;
use crate::{Argument, Inference, Learning, Model, ModelConfig, ModelError};

/// `DirichletCategorical-v1`, computing what the real server computes: a
/// Dirichlet prior `prior_alpha` (default `[1.0, 1.0, 1.0]`) on the
/// probabilities of categories.
///
/// - Inference ignores its data and answers `predicted_probs`, the current
///   episode's `posterior_alpha` normalised, with `number_of_infer_calls`.
/// - Learning adds each event's `data.observation` (a one-hot vector) to
///   `posterior_alpha`; events without one are skipped.
#[derive(Debug, Clone)]
pub struct DirichletCategorical {
    config: ModelConfig,
}

impl Default for DirichletCategorical {
    fn default() -> Self {
        Self {
            config: ModelConfig::new("DirichletCategorical-v1")
                .with_description("A Dirichlet-Categorical model")
                .with_author("Lazy Dynamics")
                .with_roles(["user"])
                .with_argument(
                    Argument::new("prior_alpha", "The concentration of the Dirichlet prior")
                        .with_type("vector")
                        .with_default(json!([1.0, 1.0, 1.0])),
                ),
        }
    }
}

fn vector(value: Option<&Value>, what: &str) -> Result<Vec<f64>, ModelError> {
    value
        .and_then(Value::as_array)
        .and_then(|items| items.iter().map(Value::as_f64).collect())
        .ok_or_else(|| ModelError::new(format!("`{what}` is not a vector of numbers")))
}

impl Model for DirichletCategorical {
    fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn initial_state(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        let prior = arguments
            .get("prior_alpha")
            .cloned()
            .unwrap_or(json!([1.0, 1.0, 1.0]));
        Ok(object([
            ("prior_alpha", prior),
            ("number_of_infer_calls", json!(0)),
        ]))
    }

    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        let prior = arguments
            .get("prior_alpha")
            .cloned()
            .unwrap_or(json!([1.0, 1.0, 1.0]));
        Ok(object([("posterior_alpha", prior)]))
    }

    fn run_inference(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        _: &JsonObject,
    ) -> Result<Inference, ModelError> {
        let alpha = vector(parameters.get("posterior_alpha"), "posterior_alpha")?;
        let total: f64 = alpha.iter().sum();
        if total <= 0.0 {
            return Err(ModelError::new("`posterior_alpha` sums to zero"));
        }
        let calls = state
            .get("number_of_infer_calls")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let mut state = state.clone();
        state.insert("number_of_infer_calls".to_owned(), json!(calls));
        let probabilities: Vec<f64> = alpha.iter().map(|a| a / total).collect();
        let results = object([
            ("predicted_probs", json!(probabilities)),
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
        let mut alpha = vector(parameters.get("posterior_alpha"), "posterior_alpha")?;
        for event in events {
            let Some(seen) = observation(event) else {
                continue;
            };
            let seen = vector(Some(seen), "observation")?;
            if seen.len() != alpha.len() {
                return Err(ModelError::new("the observation has the wrong length"));
            }
            for (a, x) in alpha.iter_mut().zip(seen) {
                *a += x;
            }
        }
        Ok(Learning::new(
            object([("posterior_alpha", json!(alpha))]),
            state.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_counts_and_predicts_their_proportions() -> Result<(), ModelError> {
        let model = DirichletCategorical::default();
        let parameters = model.initial_parameters(&JsonObject::new())?;
        let state = model.initial_state(&JsonObject::new())?;
        let events: Vec<Event> = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
            .into_iter()
            .enumerate()
            .map(|(i, x)| Event::new(i as i64 + 1, object([("observation", json!(x))])))
            .chain([Event::new(4, JsonObject::new())])
            .collect();
        let learned = model.run_learning(&state, &parameters, &events)?;
        assert_eq!(
            learned.parameters["posterior_alpha"],
            json!([3.0, 1.0, 2.0])
        );
        let inferred = model.run_inference(&state, &learned.parameters, &JsonObject::new())?;
        assert_eq!(
            inferred.results["predicted_probs"],
            json!([0.5, 1.0 / 6.0, 1.0 / 3.0])
        );
        assert_eq!(inferred.state["number_of_infer_calls"], json!(1));
        Ok(())
    }
}
