//! Free-form JSON objects: model arguments, state, parameters, data,
//! results and metadata, whose keys each model defines.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{ArrayData, Distribution, MdArray, Preferences, ReadError, Reader};

/// A JSON object with any keys, as the server sends model-specific data.
pub type JsonObject = serde_json::Map<String, Value>;

/// Typed reads of a free-form object: a number, a string, or the whole
/// object as a type of your own.
///
/// ```
/// use rxinfer_models::{FreeForm, ModelInstanceParameters};
///
/// let parameters: ModelInstanceParameters =
///     serde_json::from_str(r#"{"parameters":{"posterior_a":9.0,"posterior_b":3}}"#)?;
/// assert_eq!(parameters.f64("posterior_a"), Some(9.0));
/// assert_eq!(parameters.f64("posterior_b"), Some(3.0));
///
/// #[derive(serde::Deserialize)]
/// struct Beta { posterior_a: f64, posterior_b: f64 }
/// let beta: Beta = parameters.decode()?;
/// assert_eq!(beta.posterior_a / (beta.posterior_a + beta.posterior_b), 0.75);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait FreeForm {
    /// The object.
    fn object(&self) -> &JsonObject;

    /// The value at `key`.
    fn get(&self, key: &str) -> Option<&Value> {
        self.object().get(key)
    }

    /// The number at `key`, integer or not.
    fn f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    /// The integer at `key`.
    fn i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }

    /// The string at `key`.
    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The whole object as `T`.
    ///
    /// # Errors
    ///
    /// When the object does not have `T`'s shape.
    fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.object().clone()))
    }

    /// The object's typed readers, for values written under `applied`
    /// (the answer's `Preference-Applied`).
    fn read_with(&self, applied: &Preferences) -> Reader<'_> {
        Reader::new(self.object(), applied)
    }

    /// The vector of numbers at `key`.
    ///
    /// # Errors
    ///
    /// As [`Reader::vector`], which says what was found instead.
    fn vector(&self, key: &str) -> Result<Vec<f64>, ReadError> {
        self.read_with(&Preferences::DEFAULT).vector(key)
    }

    /// The array at `key`, written under the server's defaults.
    ///
    /// # Errors
    ///
    /// As [`Reader::array`].
    fn array(&self, key: &str) -> Result<ArrayData, ReadError> {
        self.read_with(&Preferences::DEFAULT).array(key)
    }

    /// The whole matrix at `key`, written under the server's defaults.
    ///
    /// # Errors
    ///
    /// As [`Reader::matrix`].
    fn matrix(&self, key: &str) -> Result<MdArray, ReadError> {
        self.read_with(&Preferences::DEFAULT).matrix(key)
    }

    /// The distribution at `key`, written under the server's defaults.
    ///
    /// # Errors
    ///
    /// As [`Reader::distribution`].
    fn distribution(&self, key: &str) -> Result<Distribution, ReadError> {
        self.read_with(&Preferences::DEFAULT).distribution(key)
    }

    /// The list of distributions at `key`, written under the server's
    /// defaults.
    ///
    /// # Errors
    ///
    /// As [`Reader::distributions`].
    fn distributions(&self, key: &str) -> Result<Vec<Distribution>, ReadError> {
        self.read_with(&Preferences::DEFAULT).distributions(key)
    }
}

impl FreeForm for JsonObject {
    fn object(&self) -> &JsonObject {
        self
    }
}

/// A JSON value given where a free-form object is taken (model data,
/// arguments, metadata), which is not an object. The value is kept:
/// [`into_value`](Self::into_value) gives it back.
///
/// ```
/// use rxinfer_models::{InferRequest, NotAnObject};
/// use serde_json::json;
///
/// let request = InferRequest::try_new(json!({"observation": 1}))?;
/// assert_eq!(request.data["observation"], 1);
///
/// let error = InferRequest::try_new(json!([1, 2])).unwrap_err();
/// assert_eq!(error.to_string(), "a JSON object was expected, not an array");
/// assert_eq!(error.into_value(), json!([1, 2]));
/// # Ok::<(), NotAnObject>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("a JSON object was expected, not {}", kind(.value))]
pub struct NotAnObject {
    value: Value,
}

impl NotAnObject {
    /// What was given instead: "an array", "a string", "a number",
    /// "a boolean" or "null".
    pub fn found(&self) -> &'static str {
        kind(&self.value)
    }

    /// The value that was given.
    pub fn into_value(self) -> Value {
        self.value
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The object inside `value`, such as one written with `serde_json::json!`.
///
/// ```
/// use rxinfer_models::{CreateModelInstanceRequest, try_object};
/// use serde_json::json;
///
/// let request = CreateModelInstanceRequest::new("BetaBernoulli-v1")
///     .with_arguments(try_object(json!({"prior_a": 1, "prior_b": 1}))?);
/// assert!(try_object(json!("text")).is_err());
/// # Ok::<(), rxinfer_models::NotAnObject>(())
/// ```
///
/// # Errors
///
/// [`NotAnObject`], holding `value`, when it is not an object.
pub fn try_object(value: Value) -> Result<JsonObject, NotAnObject> {
    match value {
        Value::Object(object) => Ok(object),
        value => Err(NotAnObject { value }),
    }
}

/// `try_new` for the types built from one free-form object by their `new`:
/// the same, from a `serde_json::Value` such as `json!` writes. (Not
/// `TryFrom<Value>`, which would read as decoding the whole type from its
/// JSON, as `serde_json::from_value` does.)
macro_rules! try_new_from_json {
    ($($type:ident),* $(,)?) => {
        $(
            impl crate::$type {
                #[doc = concat!(
                    "[`new`](crate::", stringify!($type), "::new) from the object in `value`, ",
                    "such as `serde_json::json!` writes.\n\n",
                    "# Errors\n\n[`NotAnObject`], holding `value`, when it is not an object."
                )]
                pub fn try_new(value: Value) -> Result<Self, NotAnObject> {
                    try_object(value).map(Self::new)
                }
            }
        )*
    };
}

try_new_from_json!(
    InferRequest,
    LearnResponse,
    NewEvent,
    AttachMetadataToEventRequest,
    ModelInstanceState,
    ModelInstanceParameters,
);

/// Builds a [`JsonObject`] from key-value pairs, for request bodies.
///
/// ```
/// use rxinfer_models::object;
///
/// let data = object([("observation", 1)]);
/// assert_eq!(serde_json::to_string(&data)?, r#"{"observation":1}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn object<K, V, I>(pairs: I) -> JsonObject
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<Value>,
{
    pairs
        .into_iter()
        .map(|(key, value)| (key.into(), value.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{InferRequest, NewEvent};

    #[test]
    fn a_non_object_says_what_it_is_and_is_kept() {
        for (value, found) in [
            (json!(null), "null"),
            (json!(true), "a boolean"),
            (json!(1.5), "a number"),
            (json!("x"), "a string"),
            (json!([1]), "an array"),
        ] {
            let error = NewEvent::try_new(value.clone()).expect_err("not an object");
            assert_eq!(error.found(), found);
            assert_eq!(
                error.to_string(),
                format!("a JSON object was expected, not {found}")
            );
            assert_eq!(error.into_value(), value);
        }
    }

    #[test]
    fn an_object_builds_what_new_builds() {
        let data = object([("x", 1)]);
        let built = InferRequest::try_new(Value::Object(data.clone())).expect("an object");
        assert_eq!(built, InferRequest::new(data));
    }
}
