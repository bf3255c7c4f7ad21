//! The models the real server ships that the stand-in computes exactly,
//! the real server's test models, and one of the stand-in's own.

mod beta_bernoulli;
mod conjugate_regression;
mod dirichlet_categorical;
pub(crate) mod testing;

pub use beta_bernoulli::BetaBernoulli;
pub use conjugate_regression::ConjugateRegression;
pub use dirichlet_categorical::DirichletCategorical;

use rxinfer_models::{Event, JsonObject};
use serde_json::Value;

use crate::ModelError;

/// The number at `key`, as Julia's arithmetic takes it (see [`real`]).
fn number(object: &JsonObject, key: &str) -> Result<f64, ModelError> {
    real(object.get(key)).ok_or_else(|| ModelError::new(format!("`{key}` is not a number")))
}

/// A JSON value as a real number to Julia: a number, or a boolean (`Bool`
/// is an `Integer` there: `true + 1 == 2`, `convert(Float64, true) ==
/// 1.0`). Anything else is refused, as Julia's arithmetic refuses it.
fn real(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

/// An event's `data.observation`.
fn observation(event: &Event) -> Option<&Value> {
    event.data.as_ref()?.get("observation")
}
