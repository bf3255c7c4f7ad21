//! `BetaBernoulli-v1`: a coin's bias from 0/1 observations.

use rxinfer_models::{Event, JsonObject, object};
use serde_json::{Value, json};

use super::{number, observation, real};
use crate::{Argument, Field, Inference, Learning, Model, ModelConfig, ModelError};

/// `BetaBernoulli-v1`, computing what the real server computes: a Beta
/// prior `(prior_a, prior_b)` (default 1 and 1) on the bias of a coin seen
/// as `{"observation": x}`.
///
/// `x` is what `model.jl` hands RxInfer unchanged: a number, or a boolean,
/// which Julia's arithmetic takes as 1 or 0 (the server's own tests send
/// `rand(Bernoulli(p), n)`, booleans). RxInfer turns it into the message
/// `Beta(1 + x, 2 - x)` and multiplies Betas as `Beta(a + a' - 1, b + b' -
/// 1)`; Distributions.jl refuses a Beta whose parameters are not both
/// positive. So any `x` with `-1 < x < 2` is taken, not only 0 and 1.
///
/// - Inference on `x` with the current episode's `(posterior_a,
///   posterior_b) = (A, B)`: the posterior `Beta(A + (1 + x) - 1, B + (2 -
///   x) - 1)`, whose mean `a / (a + b)` is `mean_p`; `number_of_infer_calls`
///   counts up in the state. Nothing accumulates, so the same call twice
///   answers the same. An `x` or parameters the Beta refuses: 400.
/// - Learning on `n` events: the same product, one event after the other,
///   as floats; for 0/1 observations `(A + s, B + n - s)` with `s` ones. An
///   event without a usable observation: 500.
#[derive(Debug, Clone)]
pub struct BetaBernoulli {
    config: ModelConfig,
}

impl Default for BetaBernoulli {
    fn default() -> Self {
        Self {
            // models/beta-bernoulli-v1/config.yaml, as the real server
            // lists it.
            config: ModelConfig::new("BetaBernoulli-v1")
                .with_description("A simple Beta-Bernoulli model")
                .with_author("Lazy Dynamics")
                .with_roles(["user"])
                .with_argument(
                    Argument::new(
                        "prior_a",
                        "The initial alpha parameter of the prior Beta distribution `p`",
                    )
                    .with_type("int")
                    .with_required(false)
                    .with_default(1),
                )
                .with_argument(
                    Argument::new(
                        "prior_b",
                        "The initial beta parameter of the prior Beta distribution `p`",
                    )
                    .with_type("int")
                    .with_required(false)
                    .with_default(1),
                )
                .with_parameter(Field::new(
                    "posterior_a",
                    "The posterior parameter `a` of the Beta distribution",
                ))
                .with_parameter(Field::new(
                    "posterior_b",
                    "The posterior parameter `b` of the Beta distribution",
                ))
                .with_data(
                    Field::new(
                        "observation",
                        "A single `1` or `0` value indicating the outcome of a Bernoulli trial",
                    )
                    .with_type("int")
                    .with_required(true),
                ),
        }
    }
}

/// A `Beta(a, b)` as Distributions.jl builds it: both parameters positive.
fn beta(a: f64, b: f64) -> Result<(f64, f64), ModelError> {
    if a > 0.0 && b > 0.0 {
        Ok((a, b))
    } else {
        Err(ModelError::new(format!(
            "Beta: the parameters must be positive, got ({a}, {b})"
        )))
    }
}

/// The posterior after observing `x` from `prior`: RxInfer's message from
/// the Bernoulli node, `Beta(1 + x, 2 - x)`, times the prior, in its order
/// of operations (exact for 0/1 and integer priors, and the real rounding
/// otherwise).
fn observe((a, b): (f64, f64), x: Option<&Value>) -> Result<(f64, f64), ModelError> {
    let x = real(x).ok_or_else(|| ModelError::new("an observation is a number or a boolean"))?;
    let (ma, mb) = beta(1.0 + x, 2.0 - x)?;
    beta(a + ma - 1.0, b + mb - 1.0)
}

/// The episode's `Beta(posterior_a, posterior_b)`.
fn prior(parameters: &JsonObject) -> Result<(f64, f64), ModelError> {
    beta(
        number(parameters, "posterior_a")?,
        number(parameters, "posterior_b")?,
    )
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
        let (a, b) = observe(prior(parameters)?, data.get("observation"))?;
        let calls = state
            .get("number_of_infer_calls")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let mut state = state.clone();
        state.insert("number_of_infer_calls".to_owned(), json!(calls));
        let results = object([
            ("mean_p", json!(a / (a + b))),
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
        let mut posterior = prior(parameters)?;
        for event in events {
            posterior = observe(posterior, observation(event))?;
        }
        let parameters = object([
            ("posterior_a", json!(posterior.0)),
            ("posterior_b", json!(posterior.1)),
        ]);
        Ok(Learning::new(parameters, state.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(xs: &[Value]) -> Vec<Event> {
        xs.iter()
            .enumerate()
            .map(|(i, x)| Event::new(i as i64 + 1, object([("observation", x.clone())])))
            .collect()
    }

    fn learn(xs: &[Value]) -> Result<JsonObject, ModelError> {
        let model = BetaBernoulli::default();
        let parameters = model.initial_parameters(&JsonObject::new())?;
        let state = model.initial_state(&JsonObject::new())?;
        Ok(model
            .run_learning(&state, &parameters, &events(xs))?
            .parameters)
    }

    fn infer(parameters: JsonObject, x: Value) -> Result<f64, ModelError> {
        let model = BetaBernoulli::default();
        let state = model.initial_state(&JsonObject::new())?;
        let inferred = model.run_inference(&state, &parameters, &object([("observation", x)]))?;
        inferred.results["mean_p"]
            .as_f64()
            .ok_or_else(|| ModelError::new("no mean_p"))
    }

    /// The server's own test sends `rand(Bernoulli(p), n)`: booleans.
    #[test]
    fn booleans_are_the_ones_and_zeros_they_stand_for() -> Result<(), ModelError> {
        let as_numbers = learn(&[json!(1), json!(0), json!(1)])?;
        let as_booleans = learn(&[json!(true), json!(false), json!(true)])?;
        assert_eq!(as_booleans, as_numbers);
        assert_eq!(
            as_booleans,
            object([("posterior_a", 3.0), ("posterior_b", 2.0)])
        );
        let fresh = object([("posterior_a", 1), ("posterior_b", 1)]);
        assert_eq!(infer(fresh.clone(), json!(true))?, 2.0 / 3.0);
        assert_eq!(infer(fresh, json!(false))?, 1.0 / 3.0);
        Ok(())
    }

    #[test]
    fn what_the_beta_refuses_fails() {
        let fresh = || object([("posterior_a", 1), ("posterior_b", 1)]);
        // Beta(1 + 2, 2 - 2): a zero parameter.
        assert!(infer(fresh(), json!(2)).is_err());
        assert!(infer(fresh(), json!(-1)).is_err());
        assert!(infer(fresh(), json!("1")).is_err());
        assert!(infer(fresh(), Value::Null).is_err());
        assert!(infer(object([("posterior_a", 0), ("posterior_b", 1)]), json!(1)).is_err());
        assert!(learn(&[json!(1), json!(2)]).is_err());
    }

    /// Not only 0 and 1: RxInfer takes any `x` the Beta message allows.
    #[test]
    fn a_fraction_is_taken_with_the_real_rounding() -> Result<(), ModelError> {
        let fresh = object([("posterior_a", 1), ("posterior_b", 1)]);
        assert_eq!(infer(fresh, json!(0.5))?, 0.5);
        // (0.1 + 2 - 1) / ((0.1 + 2 - 1) + (0.1 + 1 - 1)), as RxInfer
        // rounds it, is 0.9166666666666666; (0.1 + 1) / (0.1 + 0.1 + 1)
        // is 0.9166666666666667.
        let fractional = object([("posterior_a", 0.1), ("posterior_b", 0.1)]);
        assert_eq!(infer(fractional, json!(1))?, 0.9166666666666666);
        Ok(())
    }
}
