//! `DirichletCategorical-v1`: probabilities of categories from one-hot
//! observations.

use rxinfer_models::{Event, JsonObject, object};
use serde_json::{Value, json};

use super::{observation, real};
use crate::{Argument, Field, Inference, Learning, Model, ModelConfig, ModelError};

/// `DirichletCategorical-v1`, computing what the real server computes: a
/// Dirichlet prior `prior_alpha` (default `[1.0, 1.0, 1.0]`) on the
/// probabilities of categories.
///
/// - Creation stores `prior_alpha` as given, unchecked, as `model.jl`
///   does: no Dirichlet is built yet.
/// - Inference ignores its data and answers `predicted_probs`, the mean of
///   `Dirichlet(posterior_alpha)` as Distributions.jl computes it,
///   `alpha[i] * (1 / sum(alpha))` with Julia's `sum` (bit for bit below
///   16 categories: Julia may reorder longer sums for the CPU), and
///   `number_of_infer_calls`. An `alpha` that is not a vector of numbers,
///   or with an entry that is not positive (Distributions.jl refuses that
///   Dirichlet), or whose mean is not a probability vector: 400.
/// - Learning adds each event's `data.observation` (a one-hot vector) to
///   `posterior_alpha`, as RxInfer multiplies Dirichlets (`a + (x + 1) -
///   1`, one event after the other); events without one are skipped. With
///   no such event the parameters stay exactly as stored (integers stay
///   integers), as `model.jl` then leaves them alone. An observation or
///   `alpha` that cannot be used: 500.
#[derive(Debug, Clone)]
pub struct DirichletCategorical {
    config: ModelConfig,
}

impl Default for DirichletCategorical {
    fn default() -> Self {
        Self {
            // models/dirichlet-categorical-v1/config.yaml, as the real
            // server lists it (its `data` says `observations`; the code
            // reads `observation`).
            config: ModelConfig::new("DirichletCategorical-v1")
                .with_description("A simple Dirichlet-Categorical model")
                .with_author("Lazy Dynamics")
                .with_roles(["user"])
                .with_argument(
                    Argument::new(
                        "prior_alpha",
                        "The initial alpha parameter of the prior Dirichlet distribution `alpha`",
                    )
                    .with_type("array")
                    .with_required(false)
                    .with_default(json!([1.0, 1.0, 1.0])),
                )
                .with_parameter(Field::new(
                    "posterior_alpha",
                    "The posterior parameter `alpha` of the Dirichlet distribution",
                ))
                .with_data(
                    Field::new("observations", "The observations to make predictions on")
                        .with_type("array")
                        .with_required(true),
                ),
        }
    }
}

/// `convert(Vector{Float64}, value)`: an array of numbers (or booleans,
/// which Julia converts to 0.0 and 1.0).
fn vector(value: Option<&Value>, what: &str) -> Result<Vec<f64>, ModelError> {
    value
        .and_then(Value::as_array)
        .and_then(|items| items.iter().map(|item| real(Some(item))).collect())
        .ok_or_else(|| ModelError::new(format!("`{what}` is not a vector of numbers")))
}

/// `Dirichlet(alpha)`: Distributions.jl refuses an `alpha` with an entry
/// that is not positive.
fn dirichlet(alpha: Vec<f64>) -> Result<Vec<f64>, ModelError> {
    if alpha.iter().all(|a| *a > 0.0) {
        Ok(alpha)
    } else {
        Err(ModelError::new(
            "Dirichlet: alpha must be a positive vector",
        ))
    }
}

/// `mean(Dirichlet(alpha))` as Distributions.jl computes it: `alpha .*
/// inv(alpha0)` with `alpha0 = sum(alpha)`, then the check of
/// `Categorical(p)` (entries not negative, summing to about one).
fn mean(alpha: &[f64]) -> Result<Vec<f64>, ModelError> {
    let inverse = 1.0 / julia_sum(alpha);
    let p: Vec<f64> = alpha.iter().map(|a| a * inverse).collect();
    // `isprobvec`: `isapprox(sum(p), 1)` with the default tolerance.
    let total = julia_sum(&p);
    let tolerance = f64::EPSILON.sqrt() * total.abs().max(1.0);
    if p.iter().all(|x| *x >= 0.0) && (total - 1.0).abs() <= tolerance {
        Ok(p)
    } else {
        Err(ModelError::new(
            "Categorical: p is not a probability vector",
        ))
    }
}

/// Julia's `sum(::Vector{Float64})` (`Base.mapreduce`): left to right below
/// 16 entries; from 16 on, halves summed pairwise down to blocks of at
/// most 1024 entries, each summed from left to right.
///
/// Julia sums those blocks in a `@simd` loop, which lets the compiler
/// reorder the additions for the machine's vector width: for 16 entries or
/// more the last bit can differ from a server on another CPU. Below 16 it
/// is exact.
fn julia_sum(xs: &[f64]) -> f64 {
    match xs {
        [] => 0.0,
        [x] => *x,
        _ if xs.len() < 16 => in_order(xs),
        _ => pairwise(xs),
    }
}

fn pairwise(xs: &[f64]) -> f64 {
    const BLOCK: usize = 1024;
    match xs {
        [] => 0.0,
        [x] => *x,
        _ if xs.len() - 1 < BLOCK => in_order(xs),
        _ => {
            let (left, right) = xs.split_at((xs.len() - 1) / 2 + 1);
            pairwise(left) + pairwise(right)
        }
    }
}

fn in_order(xs: &[f64]) -> f64 {
    xs.iter()
        .skip(1)
        .fold(xs.first().copied().unwrap_or(0.0), |sum, x| sum + x)
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
        let alpha = dirichlet(vector(
            parameters.get("posterior_alpha"),
            "posterior_alpha",
        )?)?;
        let probabilities = mean(&alpha)?;
        let calls = state
            .get("number_of_infer_calls")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            + 1;
        let mut state = state.clone();
        state.insert("number_of_infer_calls".to_owned(), json!(calls));
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
        let seen: Vec<&Value> = events.iter().filter_map(observation).collect();
        // `model.jl` only builds the Dirichlet when there is something to
        // learn; otherwise it returns the parameters as they were stored.
        if seen.is_empty() {
            let unchanged = object([(
                "posterior_alpha",
                parameters
                    .get("posterior_alpha")
                    .cloned()
                    .unwrap_or(Value::Null),
            )]);
            return Ok(Learning::new(unchanged, state.clone()));
        }
        let seen: Vec<Vec<f64>> = seen
            .into_iter()
            .map(|x| vector(Some(x), "observation"))
            .collect::<Result<_, _>>()?;
        let mut alpha = dirichlet(vector(
            parameters.get("posterior_alpha"),
            "posterior_alpha",
        )?)?;
        for x in seen {
            if x.len() != alpha.len() {
                return Err(ModelError::new("the observation has the wrong length"));
            }
            // The message `Dirichlet(x .+ 1)` times the posterior so far.
            let message = dirichlet(x.iter().map(|x| x + 1.0).collect())?;
            alpha = dirichlet(
                alpha
                    .iter()
                    .zip(message)
                    .map(|(a, m)| a + m - 1.0)
                    .collect(),
            )?;
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

    fn infer(alpha: Value) -> Result<Value, ModelError> {
        let model = DirichletCategorical::default();
        let arguments = object([("prior_alpha", alpha)]);
        let state = model.initial_state(&arguments)?;
        let parameters = model.initial_parameters(&arguments)?;
        let inferred = model.run_inference(&state, &parameters, &JsonObject::new())?;
        Ok(inferred.results["predicted_probs"].clone())
    }

    /// Distributions.jl requires every alpha > 0: the real inference
    /// fails on such an alpha (400), though creation, which builds no
    /// Dirichlet, stored it.
    #[test]
    fn a_zero_or_negative_alpha_fails_inference() {
        assert!(infer(json!([0, 1, 1])).is_err());
        assert!(infer(json!([1.0, -0.5, 1.0])).is_err());
        assert!(infer(json!([])).is_err());
    }

    /// Learning from an observation builds the Dirichlet, which refuses
    /// an alpha that is not positive (500).
    #[test]
    fn learning_from_a_zero_alpha_fails() -> Result<(), ModelError> {
        let model = DirichletCategorical::default();
        let arguments = object([("prior_alpha", json!([0.0, 1.0, 1.0]))]);
        let parameters = model.initial_parameters(&arguments)?;
        let state = model.initial_state(&arguments)?;
        let one = [Event::new(1, object([("observation", json!([1, 0, 0]))]))];
        assert!(model.run_learning(&state, &parameters, &one).is_err());
        Ok(())
    }

    /// `mean(Dirichlet)` is `alpha .* inv(alpha0)`: for `[0.1, 0.1, 0.7]`
    /// that is 0.11111111111111112, where `alpha / sum` gives
    /// 0.11111111111111113.
    #[test]
    fn predicted_probs_are_alpha_times_the_inverse_of_the_sum() -> Result<(), ModelError> {
        let sum = 0.1 + 0.1 + 0.7;
        assert_ne!(0.1 * (1.0 / sum), 0.1 / sum);
        assert_eq!(
            infer(json!([0.1, 0.1, 0.7]))?,
            json!([0.11111111111111112, 0.11111111111111112, 0.7777777777777778])
        );
        Ok(())
    }

    /// Julia sums 16 entries or more pairwise (halves down to blocks of
    /// 1024), which for 3000 entries differs from a plain left-to-right
    /// sum in the last bits.
    #[test]
    fn long_vectors_are_summed_as_julia_sums_them() {
        let alpha: Vec<f64> = (0..3000).map(|i| 0.1 + f64::from(i % 10) * 0.37).collect();
        let left_to_right = alpha.iter().fold(0.0, |s, a| s + a);
        let julia = julia_sum(&alpha);
        assert_ne!(julia, left_to_right);
        let halves = |xs: &[f64]| xs.iter().skip(1).fold(xs[0], |s, a| s + a);
        // 3000 entries: halves of 1500, each again halved to 750-entry
        // blocks summed in order.
        let expected = (halves(&alpha[..750]) + halves(&alpha[750..1500]))
            + (halves(&alpha[1500..2250]) + halves(&alpha[2250..]));
        assert_eq!(julia, expected);
        assert_eq!(julia_sum(&[0.1, 0.2, 0.3]), (0.1 + 0.2) + 0.3);
        assert_eq!(julia_sum(&[]), 0.0);
    }

    /// With nothing to learn, `model.jl` returns the stored parameters as
    /// they are: integers stay integers.
    #[test]
    fn learning_nothing_keeps_the_stored_values() -> Result<(), ModelError> {
        let model = DirichletCategorical::default();
        let arguments = object([("prior_alpha", json!([1, 2, 3]))]);
        let parameters = model.initial_parameters(&arguments)?;
        let state = model.initial_state(&arguments)?;
        let no_observation = [Event::new(1, object([("other", json!(1))]))];
        for events in [&[][..], &no_observation[..]] {
            let learned = model.run_learning(&state, &parameters, events)?;
            assert_eq!(learned.parameters, parameters);
            assert_eq!(learned.parameters["posterior_alpha"].to_string(), "[1,2,3]");
        }
        Ok(())
    }
}
