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
