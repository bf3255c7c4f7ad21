//! One-call readers: a matrix, a vector or a distribution under a key of a
//! free-form object (results, state, parameters), with an error that says
//! what was there instead.

use serde_json::Value;

use crate::{ArrayData, Distribution, JsonObject, MdArray, Preferences, distribution};

/// Why a value could not be read under a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The key is absent.
    #[error("no `{key}` in the object")]
    Missing {
        /// The key.
        key: String,
    },
    /// The key holds something else.
    #[error("`{key}` holds {found}, not {expected}")]
    Unexpected {
        /// The key.
        key: String,
        /// What was asked for.
        expected: &'static str,
        /// What is there, in words.
        found: String,
    },
}

impl ReadError {
    /// The key read.
    pub fn key(&self) -> &str {
        match self {
            ReadError::Missing { key } | ReadError::Unexpected { key, .. } => key,
        }
    }
}

/// Typed reads of a free-form object written under given preferences (the
/// server's `Preference-Applied`). [`FreeForm`](crate::FreeForm)'s readers
/// are this with the server's defaults.
///
/// ```
/// use rxinfer_models::{MdArrayData, MdArrayRepr, Preferences, Reader, object};
/// use serde_json::json;
///
/// let applied = Preferences::new()
///     .with_mdarray_repr(MdArrayRepr::Data)
///     .with_mdarray_data(MdArrayData::Diagonal);
/// let state = object([("x_Λ", json!([1.0, 1.0])), ("order", json!(2))]);
/// let reader = Reader::new(&state, &applied);
/// assert_eq!(reader.array("x_Λ")?.diagonal(), Some(vec![1.0, 1.0]));
/// let error = reader.matrix("x_Λ").unwrap_err();
/// assert_eq!(error.to_string(), "`x_Λ` holds a diagonal of 2 values, not a whole matrix");
/// # Ok::<(), rxinfer_models::ReadError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    object: &'a JsonObject,
    applied: Preferences,
}

impl<'a> Reader<'a> {
    /// Reads `object`, written under `applied`.
    pub fn new(object: &'a JsonObject, applied: &Preferences) -> Self {
        Self {
            object,
            applied: *applied,
        }
    }

    fn value(&self, key: &str) -> Result<&'a Value, ReadError> {
        self.object.get(key).ok_or_else(|| ReadError::Missing {
            key: key.to_owned(),
        })
    }

    fn unexpected(key: &str, expected: &'static str, found: String) -> ReadError {
        ReadError::Unexpected {
            key: key.to_owned(),
            expected,
            found,
        }
    }

    /// The array under `key`, in whatever form it was written.
    ///
    /// # Errors
    ///
    /// When `key` is absent or holds no array.
    pub fn array(&self, key: &str) -> Result<ArrayData, ReadError> {
        let value = self.value(key)?;
        ArrayData::from_json(value, &self.applied)
            .map_err(|e| Self::unexpected(key, "a matrix or array", found(value, Some(&e))))
    }

    /// The whole matrix under `key`.
    ///
    /// # Errors
    ///
    /// When `key` is absent, holds no array, a vector, or an array without
    /// all its elements (a diagonal, a list without a shape, `none`).
    pub fn matrix(&self, key: &str) -> Result<MdArray, ReadError> {
        match self.array(key)?.into_full() {
            Ok(array) if array.ndim() >= 2 => Ok(array),
            Ok(vector) => Err(Self::unexpected(
                key,
                "a whole matrix",
                format!("a vector of {} values", vector.len()),
            )),
            Err(partial) => Err(Self::unexpected(key, "a whole matrix", partial.describe())),
        }
    }

    /// The vector of numbers under `key` (`null` elements read as `NaN`).
    ///
    /// # Errors
    ///
    /// When `key` is absent or holds no flat list of numbers.
    pub fn vector(&self, key: &str) -> Result<Vec<f64>, ReadError> {
        let value = self.value(key)?;
        let numbers = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|x| match x {
                    Value::Null => Some(f64::NAN),
                    x => x.as_f64(),
                })
                .collect::<Option<Vec<f64>>>()
        });
        numbers.ok_or_else(|| Self::unexpected(key, "a vector of numbers", found(value, None)))
    }

    /// The distribution under `key`.
    ///
    /// # Errors
    ///
    /// When `key` is absent or holds no distribution: under a wrapper,
    /// an object without a `tag`.
    pub fn distribution(&self, key: &str) -> Result<Distribution, ReadError> {
        let value = self.value(key)?;
        // Every wrapper but `data` carries the tag; bare, a list or `null`
        // can be a distribution's payload.
        let shaped = if self.is_data_repr() {
            !matches!(value, Value::Object(fields) if fields.get("type").and_then(Value::as_str) == Some("mdarray"))
        } else {
            value.get("tag").is_some_and(Value::is_string)
        };
        match Distribution::from_json(value, &self.applied) {
            Ok(d) if shaped => Ok(d),
            Ok(_) => Err(Self::unexpected(key, "a distribution", found(value, None))),
            Err(e) => Err(Self::unexpected(
                key,
                "a distribution",
                found(value, Some(&e)),
            )),
        }
    }

    /// The list of distributions under `key` (a state-space model's
    /// `states`, say).
    ///
    /// # Errors
    ///
    /// When `key` is absent or holds no list of distributions.
    pub fn distributions(&self, key: &str) -> Result<Vec<Distribution>, ReadError> {
        let value = self.value(key)?;
        distribution::read_list(value, &self.applied)
            .map_err(|e| Self::unexpected(key, "a list of distributions", found(value, Some(&e))))
    }

    /// Whether distributions were written bare, so that a list or `null`
    /// can be one.
    fn is_data_repr(&self) -> bool {
        self.applied.distributions_repr() == crate::DistributionsRepr::Data
    }
}

/// What `value` is, in words.
fn found(value: &Value, error: Option<&serde_json::Error>) -> String {
    let what = match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(items) => {
            let kind = match items.first() {
                Some(Value::Object(_)) => "objects",
                Some(Value::Array(_)) => "arrays",
                Some(Value::Number(_)) => "numbers",
                Some(Value::String(_)) => "strings",
                _ => "items",
            };
            format!("a list of {} {kind}", items.len())
        }
        Value::Object(fields) => match (fields.get("type"), fields.get("tag")) {
            (_, Some(Value::String(tag))) => format!("a distribution tagged {tag:?}"),
            (Some(Value::String(t)), None) if t == "mdarray" => "an mdarray".to_owned(),
            _ => {
                let keys: Vec<&str> = fields.keys().map(String::as_str).take(5).collect();
                format!("an object with keys {keys:?}")
            }
        },
    };
    match error {
        Some(error) => format!("{what} (read as one: {error})"),
        None => what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FreeForm, object};
    use serde_json::json;

    #[test]
    fn every_reader_names_what_it_found() {
        let results = object([
            ("n", json!(3)),
            ("name", json!("x")),
            (
                "d",
                json!({"encoding":"named_params","type":"Distribution{Univariate, Continuous}","tag":"Beta","data":{"α":1.0,"β":2.0}}),
            ),
        ]);
        assert_eq!(
            results.matrix("missing").unwrap_err(),
            ReadError::Missing {
                key: "missing".into()
            }
        );
        let e = results.matrix("n").unwrap_err();
        assert!(e.to_string().starts_with("`n` holds the number 3"), "{e}");
        let e = results.vector("d").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`d` holds a distribution tagged \"Beta\", not a vector of numbers"
        );
        let e = results.distribution("name").unwrap_err();
        assert!(e.to_string().starts_with("`name` holds a string"), "{e}");
        assert_eq!(
            results.distribution("d").unwrap(),
            Distribution::Beta {
                alpha: 1.0,
                beta: 2.0
            }
        );
        assert_eq!(e.key(), "name");
    }

    #[test]
    fn a_list_is_a_distribution_only_when_distributions_are_bare() {
        let results = object([
            ("xs", json!([1.0, 2.0])),
            (
                "m",
                json!({"type":"mdarray","encoding":"none","shape":[2,2],"data":null}),
            ),
            ("o", json!({"a": 1})),
            (
                "v",
                json!({"type":"mdarray","encoding":"array_of_arrays","shape":[2],"data":[1,2]}),
            ),
        ]);
        assert!(results.distribution("xs").is_err());
        assert!(results.distribution("m").is_err());
        assert!(results.distribution("o").is_err());
        let e = results.matrix("v").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`v` holds a vector of 2 values, not a whole matrix"
        );
        let bare = Preferences::new().with_distributions_repr(crate::DistributionsRepr::Data);
        assert!(matches!(
            results.read_with(&bare).distribution("xs"),
            Ok(Distribution::Other { .. })
        ));
        assert_eq!(results.vector("xs").unwrap(), [1.0, 2.0]);
    }
}
