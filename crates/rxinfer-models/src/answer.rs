//! Writing a free-form answer (results, state, parameters) the way the
//! server does: matrices and distributions held in the server's default
//! form are written in the form the request preferred, everything else as
//! it is.
//!
//! A server keeps model outputs as JSON with matrices as
//! [`MdArray::to_json`](crate::MdArray::to_json) and distributions as
//! [`Distribution`](crate::Distribution)'s `Serialize` give them (the
//! `dict` forms, which name themselves); [`encode_value`] rewrites them per
//! request. Plain nested arrays stay plain, as a Julia vector of vectors
//! does.

use serde::{Serialize, Serializer, ser::SerializeMap, ser::SerializeSeq};
use serde_json::{Map, Value};

use crate::{ArrayData, Distribution, Preferences};

/// `value` written under `preferences`: matrices (two or more
/// dimensions) and distributions held exactly in the server's default form
/// are written in the preferred one, everything else as it is.
///
/// ```
/// use rxinfer_models::{MdArray, MdArrayData, MdArrayRepr, Preferences, encode_value};
/// use serde_json::json;
///
/// let m = MdArray::from_rows(vec![vec![1, 2], vec![3, 4]])?;
/// let state = json!({"matrix": m.to_json(&Preferences::DEFAULT), "plain": [[1, 2], [3, 4]]});
/// let prefer = Preferences::new()
///     .with_mdarray_repr(MdArrayRepr::Data)
///     .with_mdarray_data(MdArrayData::ReshapeColumnMajor);
/// assert_eq!(
///     serde_json::to_string(&encode_value(&state, &prefer))?,
///     r#"{"matrix":[1,3,2,4],"plain":[[1,2],[3,4]]}"#,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encode_value<'a>(value: &'a Value, preferences: &Preferences) -> EncodedValue<'a> {
    EncodedValue {
        value,
        preferences: *preferences,
    }
}

/// A JSON value being written under some preferences; made by
/// [`encode_value`].
#[derive(Debug, Clone, Copy)]
pub struct EncodedValue<'a> {
    value: &'a Value,
    preferences: Preferences,
}

impl Serialize for EncodedValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let preferences = &self.preferences;
        match self.value {
            Value::Object(fields) if names_mdarray(fields) => match held_array(self.value) {
                Some(array) => array.encode(preferences).serialize(serializer),
                None => self.plain_object(fields, serializer),
            },
            Value::Object(fields) if names_distribution(fields) => {
                match held_distribution(self.value) {
                    Some(d) => d.encode(preferences).serialize(serializer),
                    None => self.plain_object(fields, serializer),
                }
            }
            Value::Object(fields) => self.plain_object(fields, serializer),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&encode_value(item, preferences))?;
                }
                seq.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

impl EncodedValue<'_> {
    fn plain_object<S: Serializer>(
        &self,
        fields: &Map<String, Value>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, value) in fields {
            map.serialize_entry(key, &encode_value(value, &self.preferences))?;
        }
        map.end()
    }
}

/// Whether `fields` are the keys of the server's default mdarray form.
fn names_mdarray(fields: &Map<String, Value>) -> bool {
    fields.len() == 4
        && fields.get("type").and_then(Value::as_str) == Some("mdarray")
        && fields.get("encoding").and_then(Value::as_str) == Some("array_of_arrays")
        && fields.contains_key("shape")
        && fields.contains_key("data")
}

/// Whether `fields` are the keys of the server's default distribution
/// form.
fn names_distribution(fields: &Map<String, Value>) -> bool {
    fields.len() == 4
        && fields.get("encoding").and_then(Value::as_str) == Some("named_params")
        && fields.get("type").is_some_and(Value::is_string)
        && fields.get("tag").is_some_and(Value::is_string)
        && fields.contains_key("data")
}

/// The matrix `value` holds, when it is exactly what a matrix of two or
/// more dimensions writes under the defaults. Anything else (a client's
/// data a model echoes, say) is written as it is, as the server echoes it.
fn held_array(value: &Value) -> Option<ArrayData<Value>> {
    let array = ArrayData::<Value>::from_json(value, &Preferences::DEFAULT).ok()?;
    let full = array.as_full().filter(|a| a.ndim() >= 2)?;
    (full.to_json(&Preferences::DEFAULT) == *value).then_some(array)
}

/// The typed distribution `value` holds, when it is exactly what that
/// distribution writes under the defaults.
fn held_distribution(value: &Value) -> Option<Distribution> {
    let d = Distribution::from_json(value, &Preferences::DEFAULT).ok()?;
    let typed = !matches!(
        d,
        Distribution::Moments { .. } | Distribution::Opaque { .. } | Distribution::Other { .. }
    );
    (typed && d.to_json(&Preferences::DEFAULT) == *value).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DistributionsData, DistributionsRepr, MdArray, MdArrayData, MdArrayRepr};
    use serde_json::json;

    #[test]
    fn matrices_and_distributions_anywhere_follow_the_preferences() {
        let m = MdArray::from_rows(vec![vec![3.0, 0.0], vec![0.0, 4.0]]).unwrap();
        let d = Distribution::MvNormalMeanCovariance {
            mean: vec![1.0, 2.0],
            covariance: m.clone().into(),
        };
        let results =
            json!({"states": [d, d], "A": m.to_json(&Preferences::DEFAULT), "n": 1, "v": [1.0]});
        let prefer = Preferences::new()
            .with_distributions_repr(DistributionsRepr::Data)
            .with_distributions_data(DistributionsData::MeanCov)
            .with_mdarray_repr(MdArrayRepr::Data)
            .with_mdarray_data(MdArrayData::Diagonal);
        let moments = r#"{"mean":[1.0,2.0],"cov":[3.0,4.0]}"#;
        assert_eq!(
            serde_json::to_string(&encode_value(&results, &prefer)).unwrap(),
            format!(r#"{{"A":[3.0,4.0],"n":1,"states":[{moments},{moments}],"v":[1.0]}}"#)
        );
        // The defaults write what is held.
        assert_eq!(
            serde_json::to_value(encode_value(&results, &Preferences::DEFAULT)).unwrap(),
            results
        );
    }

    #[test]
    fn look_alikes_are_written_as_they_are() {
        // What a client sent and a model echoes is not the server's.
        let prefer = Preferences::new()
            .with_mdarray_repr(MdArrayRepr::Data)
            .with_distributions_repr(DistributionsRepr::Data);
        for odd in [
            json!({"type": "mdarray", "encoding": "sideways", "shape": [1], "data": [1]}),
            json!({"type": "mdarray", "encoding": "array_of_arrays", "shape": [2], "data": [1, 2]}),
            json!({"type": "mdarray", "encoding": "array_of_arrays", "shape": [], "data": [7]}),
            json!({"type": "mdarray", "encoding": "array_of_arrays", "shape": [1, 1], "data": [[1]], "note": 1}),
            json!({"encoding": "gzip", "type": "blob", "tag": "NormalMeanVariance", "data": {"μ": 1, "v": 2}}),
            json!({"encoding": "named_params", "type": "x", "tag": "NormalMeanVariance", "data": {"μ": 1, "v": 2}}),
            json!({"encoding": "a", "type": "b", "tag": "c", "data": {"mean": 1, "cov": 2}}),
        ] {
            assert_eq!(
                serde_json::to_value(encode_value(&odd, &prefer)).unwrap(),
                odd,
                "{odd}"
            );
        }
    }
}
