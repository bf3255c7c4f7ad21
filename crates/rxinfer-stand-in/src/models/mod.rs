//! The models the real server ships that the stand-in computes exactly.

mod beta_bernoulli;
mod dirichlet_categorical;

pub use beta_bernoulli::BetaBernoulli;
pub use dirichlet_categorical::DirichletCategorical;

use rxinfer_models::{Event, FreeForm, JsonObject};
use serde_json::Value;

use crate::ModelError;

/// The number at `key`.
fn number(object: &JsonObject, key: &str) -> Result<f64, ModelError> {
    object
        .f64(key)
        .ok_or_else(|| ModelError::new(format!("`{key}` is not a number")))
}

/// An event's `data.observation`.
fn observation(event: &Event) -> Option<&Value> {
    event.data.as_ref()?.get("observation")
}
