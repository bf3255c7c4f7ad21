//! `ConjugateRegression-v1`: Bayesian linear regression with known noise,
//! whose posterior over the weights is an exact multivariate Normal. A
//! model of this stand-in, not one the real server ships: it exists so
//! that clients can test reading multivariate posteriors and matrices.

use rxinfer_models::{
    Distribution, Event, FreeForm, JsonObject, MdArray, Moment, Preferences, object,
};
use serde_json::{Value, json};

use crate::{Argument, Field, Inference, Learning, Model, ModelConfig, ModelError};

/// `ConjugateRegression-v1`: `y = x·w + ε`, `ε ~ N(0, noise_variance)`
/// known, with the prior `w ~ N(0, prior_variance · I)` over `dimension`
/// weights.
///
/// - Arguments: `dimension` (integer, default 2, at most 1000),
///   `prior_variance` (default 100.0), `noise_variance` (default 1.0).
/// - Data (inference) and events (learning) are `{"X": rows, "y": values}`,
///   `X` a list of `dimension`-long rows, as a matrix is sent.
/// - Inference answers, from the current episode's parameters and the
///   data: `w`, the posterior (an `MvNormalMeanCovariance`), `precision`,
///   its precision matrix (an mdarray), and `y_predicted`, the predictive
///   distribution of each row's `y` (`NormalMeanVariance`s). It counts
///   `number_of_infer_calls` in the state and changes no parameters.
/// - Learning makes the posterior after all the events the episode's new
///   `w` and `precision`.
///
/// The posterior is the textbook one: `Λ = Λ₀ + XᵀX/σ²`,
/// `μ = Λ⁻¹(Λ₀μ₀ + Xᵀy/σ²)`, `Σ = Λ⁻¹`.
///
/// ```
/// use rxinfer_models::{Distribution, FreeForm, JsonObject, object};
/// use rxinfer_stand_in::{ConjugateRegression, Model};
/// use serde_json::json;
///
/// let model = ConjugateRegression::default();
/// let arguments = object([("dimension", 1)]);
/// let parameters = model.initial_parameters(&arguments)?;
/// let state = model.initial_state(&arguments)?;
/// let data = object([("X", json!([[1.0], [1.0]])), ("y", json!([2.0, 2.0]))]);
/// let inferred = model.run_inference(&state, &parameters, &data)?;
/// let Distribution::MvNormalMeanCovariance { mean, .. } = inferred.results.distribution("w")? else {
///     unreachable!()
/// };
/// // Prior N(0, 100), two observations of 2 with noise variance 1.
/// assert!((mean[0] - 2.0 * 200.0 / 201.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConjugateRegression {
    config: ModelConfig,
}

impl Default for ConjugateRegression {
    fn default() -> Self {
        Self {
            config: ModelConfig::new("ConjugateRegression-v1")
                .with_description(
                    "Bayesian linear regression with known noise: an exact Gaussian posterior \
                     over the weights (a model of the rxinfer-client stand-in)",
                )
                .with_author("rxinfer-client")
                .with_roles(["user"])
                .with_argument(
                    Argument::new("dimension", "The number of weights")
                        .with_type("int")
                        .with_default(2),
                )
                .with_argument(
                    Argument::new("prior_variance", "The variance of each weight's prior")
                        .with_type("float")
                        .with_default(100.0),
                )
                .with_argument(
                    Argument::new("noise_variance", "The known variance of the noise")
                        .with_type("float")
                        .with_default(1.0),
                )
                .with_parameter(
                    Field::new("w", "The posterior over the weights").with_type("distribution"),
                )
                .with_parameter(Field::new("precision", "Its precision matrix").with_type("matrix"))
                .with_data(Field::new("X", "The inputs, one row each").with_type("matrix"))
                .with_data(Field::new("y", "The outputs").with_type("vector")),
        }
    }
}

/// The weights' Gaussian: its mean, covariance (what `w` carries) and
/// precision (what the update adds to), each computed once.
struct Gaussian {
    mean: Vec<f64>,
    covariance: MdArray,
    precision: MdArray,
}

impl Gaussian {
    /// The prior `N(0, variance · I)` over `d` weights.
    fn prior(d: usize, variance: f64) -> Result<Self, ModelError> {
        let diagonal = |value: f64| {
            let mut m = vec![0.0; d * d];
            for i in 0..d {
                m[i * d + i] = value;
            }
            MdArray::from_row_major(vec![d, d], m).map_err(|e| ModelError::new(e.to_string()))
        };
        Ok(Self {
            mean: vec![0.0; d],
            covariance: diagonal(variance)?,
            precision: diagonal(1.0 / variance)?,
        })
    }

    /// The posterior after `rows` with outputs `ys`, noise variance `noise`.
    fn update(&self, rows: &[Vec<f64>], ys: &[f64], noise: f64) -> Result<Self, ModelError> {
        let d = self.mean.len();
        let mut precision = self.precision.as_row_major().to_vec();
        // ξ = Λ₀μ₀ + Xᵀy/σ².
        let mut xi: Vec<f64> = (0..d)
            .map(|i| (0..d).map(|j| precision[i * d + j] * self.mean[j]).sum())
            .collect();
        for (row, y) in rows.iter().zip(ys) {
            if row.len() != d {
                return Err(ModelError::new(format!("a row of `X` is not {d} long")));
            }
            for i in 0..d {
                xi[i] += row[i] * y / noise;
                for j in 0..d {
                    precision[i * d + j] += row[i] * row[j] / noise;
                }
            }
        }
        let precision = MdArray::from_row_major(vec![d, d], precision)
            .map_err(|e| ModelError::new(e.to_string()))?;
        // Σ = Λ⁻¹ (the models crate inverts), μ = Σξ.
        let covariance = Distribution::MvNormalMeanPrecision {
            mean: xi.clone(),
            precision: precision.clone().into(),
        }
        .cov()
        .and_then(Moment::into_matrix)
        .ok_or_else(|| ModelError::new("the posterior precision is not positive definite"))?;
        let sigma = covariance.as_row_major();
        let mean = (0..d)
            .map(|i| (0..d).map(|j| sigma[i * d + j] * xi[j]).sum())
            .collect();
        Ok(Self {
            mean,
            covariance,
            precision,
        })
    }

    /// As the episode's parameters: `w` and `precision`, in the server's
    /// default forms, which the stand-in rewrites per request.
    fn parameters(&self) -> JsonObject {
        let w = Distribution::MvNormalMeanCovariance {
            mean: self.mean.clone(),
            covariance: self.covariance.clone().into(),
        };
        object([
            ("w", serde_json::to_value(&w).unwrap_or(Value::Null)),
            ("precision", self.precision.to_json(&Preferences::DEFAULT)),
        ])
    }

    fn from_parameters(parameters: &JsonObject) -> Result<Self, ModelError> {
        let unreadable = |e: rxinfer_models::ReadError| ModelError::new(e.to_string());
        let (mean, covariance) = match parameters.distribution("w").map_err(unreadable)? {
            Distribution::MvNormalMeanCovariance { mean, covariance } => (
                mean,
                covariance
                    .into_full()
                    .map_err(|_| ModelError::new("`w` has no whole covariance"))?,
            ),
            other => return Err(ModelError::new(format!("`w` is {other:?}"))),
        };
        let precision = parameters.matrix("precision").map_err(unreadable)?;
        Ok(Self {
            mean,
            covariance,
            precision,
        })
    }
}

fn positive(arguments: &JsonObject, key: &str, default: f64) -> Result<f64, ModelError> {
    match arguments.get(key) {
        None => Ok(default),
        Some(value) => value
            .as_f64()
            .filter(|x| *x > 0.0 && x.is_finite())
            .ok_or_else(|| ModelError::new(format!("`{key}` must be a positive number"))),
    }
}

fn dimension(arguments: &JsonObject) -> Result<usize, ModelError> {
    match arguments.get("dimension") {
        None => Ok(2),
        Some(value) => value
            .as_u64()
            .filter(|d| (1..=1000).contains(d))
            .map(|d| d as usize)
            .ok_or_else(|| ModelError::new("`dimension` must be an integer from 1 to 1000")),
    }
}

/// `X` and `y` of one batch.
fn batch(data: &JsonObject) -> Result<(Vec<Vec<f64>>, Vec<f64>), ModelError> {
    let rows: Vec<Vec<f64>> = data
        .get("X")
        .and_then(Value::as_array)
        .and_then(|rows| {
            rows.iter()
                .map(|row| row.as_array()?.iter().map(Value::as_f64).collect())
                .collect()
        })
        .ok_or_else(|| ModelError::new("`X` is not a list of rows of numbers"))?;
    let ys = data
        .vector("y")
        .map_err(|e| ModelError::new(e.to_string()))?;
    if ys.len() != rows.len() {
        return Err(ModelError::new("`X` and `y` differ in length"));
    }
    Ok((rows, ys))
}

impl Model for ConjugateRegression {
    fn config(&self) -> &ModelConfig {
        &self.config
    }

    fn initial_state(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        Ok(object([
            ("dimension", json!(dimension(arguments)?)),
            (
                "noise_variance",
                json!(positive(arguments, "noise_variance", 1.0)?),
            ),
            ("number_of_infer_calls", json!(0)),
        ]))
    }

    fn initial_parameters(&self, arguments: &JsonObject) -> Result<JsonObject, ModelError> {
        let variance = positive(arguments, "prior_variance", 100.0)?;
        Ok(Gaussian::prior(dimension(arguments)?, variance)?.parameters())
    }

    fn run_inference(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        data: &JsonObject,
    ) -> Result<Inference, ModelError> {
        let noise = state.f64("noise_variance").unwrap_or(1.0);
        let (rows, ys) = batch(data)?;
        let posterior = Gaussian::from_parameters(parameters)?.update(&rows, &ys, noise)?;
        let cov = posterior.covariance.as_row_major();
        let d = posterior.mean.len();
        let predicted: Vec<Value> = rows
            .iter()
            .map(|x| {
                let mean: f64 = x.iter().zip(&posterior.mean).map(|(a, b)| a * b).sum();
                let spread: f64 = (0..d)
                    .map(|i| (0..d).map(|j| x[i] * cov[i * d + j] * x[j]).sum::<f64>())
                    .sum();
                let y = Distribution::NormalMeanVariance {
                    mean,
                    variance: spread + noise,
                };
                serde_json::to_value(&y).unwrap_or(Value::Null)
            })
            .collect();
        let mut results = posterior.parameters();
        results.insert("y_predicted".to_owned(), Value::Array(predicted));
        let mut state = state.clone();
        let calls = state.i64("number_of_infer_calls").unwrap_or(0) + 1;
        state.insert("number_of_infer_calls".to_owned(), json!(calls));
        Ok(Inference::new(results, state))
    }

    fn run_learning(
        &self,
        state: &JsonObject,
        parameters: &JsonObject,
        events: &[Event],
    ) -> Result<Learning, ModelError> {
        let noise = state.f64("noise_variance").unwrap_or(1.0);
        let (mut rows, mut ys) = (Vec::new(), Vec::new());
        for event in events {
            let Some(data) = &event.data else { continue };
            let (r, y) = batch(data)?;
            rows.extend(r);
            ys.extend(y);
        }
        let posterior = Gaussian::from_parameters(parameters)?.update(&rows, &ys, noise)?;
        Ok(Learning::new(posterior.parameters(), state.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posterior_is_the_closed_form_one() -> Result<(), Box<dyn std::error::Error>> {
        // Two weights, prior N(0, 100 I), noise variance 0.5.
        let model = ConjugateRegression::default();
        let arguments = object([("noise_variance", 0.5)]);
        let (state, parameters) = (
            model.initial_state(&arguments)?,
            model.initial_parameters(&arguments)?,
        );
        let data = object([
            ("X", json!([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])),
            ("y", json!([1.0, 2.0, 3.5])),
        ]);
        let inferred = model.run_inference(&state, &parameters, &data)?;
        // Λ = I/100 + XᵀX/0.5 = [[4.01, 2], [2, 4.01]]; ξ = Xᵀy/0.5 = [9, 11].
        let (a, b) = (4.01, 2.0);
        let det = a * a - b * b;
        let expected_mean = [(a * 9.0 - b * 11.0) / det, (a * 11.0 - b * 9.0) / det];
        let w = inferred.results.distribution("w")?;
        let Distribution::MvNormalMeanCovariance { mean, covariance } = w else {
            panic!("not an MvNormalMeanCovariance: {w:?}");
        };
        for (m, e) in mean.iter().zip(expected_mean) {
            assert!((m - e).abs() < 1e-12, "{m} {e}");
        }
        let covariance = covariance.into_full().expect("a whole covariance");
        assert!((covariance.get(&[0, 1]).copied().unwrap_or(0.0) + b / det).abs() < 1e-12);
        assert_eq!(
            inferred.results.matrix("precision")?.as_row_major(),
            [a, b, b, a]
        );
        assert_eq!(inferred.results.distributions("y_predicted")?.len(), 3);
        assert_eq!(inferred.state.i64("number_of_infer_calls"), Some(1));

        // Learning from the same data as one event gives the same posterior.
        let learned = model.run_learning(&state, &parameters, &[Event::new(1, data)])?;
        assert_eq!(
            learned.parameters.distribution("w")?,
            inferred.results.distribution("w")?
        );
        Ok(())
    }

    #[test]
    fn bad_arguments_and_data_are_refused() {
        let model = ConjugateRegression::default();
        assert!(model.initial_state(&object([("dimension", 0)])).is_err());
        assert!(
            model
                .initial_parameters(&object([("prior_variance", -1.0)]))
                .is_err()
        );
        let parameters = model.initial_parameters(&JsonObject::new()).unwrap();
        let state = model.initial_state(&JsonObject::new()).unwrap();
        for data in [
            object([("X", json!([[1.0]])), ("y", json!([1.0]))]),
            object([("X", json!([[1.0, 2.0]])), ("y", json!([]))]),
            object([("y", json!([1.0]))]),
        ] {
            assert!(model.run_inference(&state, &parameters, &data).is_err());
        }
    }
}
