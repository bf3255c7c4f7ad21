//! Reading a [`Distribution`] from any of the server's forms in one pass.

use std::fmt;

use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor},
};
use serde_json::Value;

use super::{Distribution, Family, Moment, family_of, family_with_fields, inverse};
use crate::{ArrayData, Preferences, array_data::Nest};

impl<'de> Deserialize<'de> for Distribution {
    /// Reads with the server's default preferences.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        DistributionSeed(Preferences::DEFAULT).deserialize(deserializer)
    }
}

/// A parameter as read, before its family says what it is.
pub(super) enum Param {
    Scalar(Value),
    List(Nest<Value>),
    Object(Value),
}

/// A number as a parameter holds it: `null` is how the server writes
/// `NaN` and `±Inf`; anything else is not a number.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Null => Some(f64::NAN),
        other => other.as_f64(),
    }
}

impl Param {
    fn scalar(&self) -> Option<f64> {
        match self {
            Param::Scalar(v) => number(v),
            _ => None,
        }
    }

    /// A vector: a flat list whatever the matrix preferences (they never
    /// touch 1-D arrays), or a one-dimensional array in a wrapper.
    fn vector(&self, preferences: &Preferences) -> Option<Vec<f64>> {
        match self {
            Param::List(nest) if nest.is_flat() => nest.values().iter().map(number).collect(),
            _ => match self.any_array(preferences)? {
                ArrayData::Full(a) if a.ndim() == 1 => Some(a.into_row_major()),
                _ => None,
            },
        }
    }

    /// A matrix in any form the preferences allow, never a plain vector:
    /// under the default forms a bare list is no matrix.
    fn array(&self, preferences: &Preferences) -> Option<ArrayData> {
        match self.any_array(preferences)? {
            ArrayData::Full(a) if a.ndim() < 2 => None,
            array => Some(array),
        }
    }

    fn any_array(&self, preferences: &Preferences) -> Option<ArrayData> {
        match self {
            Param::List(nest) => {
                if !nest.values().iter().all(|v| number(v).is_some()) {
                    return None;
                }
                nest.map_ref(|v| number(v).unwrap_or(f64::NAN))
                    .bare(preferences.mdarray_data())
                    .ok()
            }
            Param::Object(v) => ArrayData::<f64>::from_json(v, preferences).ok(),
            Param::Scalar(Value::Null) => Some(ArrayData::Omitted { shape: None }),
            Param::Scalar(_) => None,
        }
    }

    /// A mean (`matrix` false: a number or a vector, unless nested) or a
    /// covariance (`matrix` true: a number or an array in any form).
    fn moment(&self, preferences: &Preferences, matrix: bool) -> Option<Moment> {
        Some(match self {
            Param::Scalar(Value::Null) if matrix => {
                Moment::Array(ArrayData::Omitted { shape: None })
            }
            Param::Scalar(_) => Moment::Scalar(self.scalar()?),
            Param::List(nest) if nest.is_flat() && !matrix => {
                Moment::Vector(self.vector(preferences)?)
            }
            Param::List(_) | Param::Object(_) => match self.any_array(preferences)? {
                ArrayData::Full(a) if a.ndim() < 2 && matrix => return None,
                ArrayData::Full(a) if a.ndim() == 1 => Moment::Vector(a.into_row_major()),
                array => Moment::Array(array),
            },
        })
    }

    fn into_value(self) -> Value {
        match self {
            Param::Scalar(v) | Param::Object(v) => v,
            Param::List(nest) => nest.into_value(),
        }
    }
}

/// The parameters by name, read as a family is built.
struct Fields<'f> {
    fields: &'f [(String, Param)],
    preferences: &'f Preferences,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Param> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, p)| p)
    }
    fn scalar(&self, name: &str) -> Option<f64> {
        self.get(name)?.scalar()
    }
    fn vector(&self, name: &str) -> Option<Vec<f64>> {
        self.get(name)?.vector(self.preferences)
    }
    fn array(&self, name: &str) -> Option<ArrayData> {
        self.get(name)?.array(self.preferences)
    }

    /// The typed distribution of `family` from these fields.
    fn build(&self, family: &Family) -> Option<Distribution> {
        Some(match family.tag {
            "NormalMeanVariance" => Distribution::NormalMeanVariance {
                mean: self.scalar("μ")?,
                variance: self.scalar("v")?,
            },
            "NormalMeanPrecision" => Distribution::NormalMeanPrecision {
                mean: self.scalar("μ")?,
                precision: self.scalar("w")?,
            },
            "NormalWeightedMeanPrecision" => Distribution::NormalWeightedMeanPrecision {
                weighted_mean: self.scalar("xi")?,
                precision: self.scalar("w")?,
            },
            "MvNormalMeanCovariance" => Distribution::MvNormalMeanCovariance {
                mean: self.vector("μ")?,
                covariance: self.array("Σ")?,
            },
            "MvNormalMeanPrecision" => Distribution::MvNormalMeanPrecision {
                mean: self.vector("μ")?,
                precision: self.array("Λ")?,
            },
            "MvNormalWeightedMeanPrecision" => Distribution::MvNormalWeightedMeanPrecision {
                weighted_mean: self.vector("xi")?,
                precision: self.array("Λ")?,
            },
            "GammaShapeRate" => Distribution::GammaShapeRate {
                shape: self.scalar("a")?,
                rate: self.scalar("b")?,
            },
            "Gamma" => Distribution::GammaShapeScale {
                shape: self.scalar("α")?,
                scale: self.scalar("θ")?,
            },
            "Beta" => Distribution::Beta {
                alpha: self.scalar("α")?,
                beta: self.scalar("β")?,
            },
            "Bernoulli" => Distribution::Bernoulli {
                p: self.scalar("p")?,
            },
            "DiscreteNonParametric" => {
                let p = self.vector("p")?;
                let support = match self.get("support") {
                    Some(support) => support.vector(self.preferences)?,
                    None => (1..=p.len()).map(|i| i as f64).collect(),
                };
                Distribution::Categorical { support, p }
            }
            "Dirichlet" => Distribution::Dirichlet {
                alpha: self.vector("alpha")?,
            },
            "Wishart" => Distribution::Wishart {
                df: self.scalar("df")?,
                scale: self.array("S")?,
            },
            "WishartFast" => {
                let df = self.scalar("ν")?;
                let inv_scale = match self.array("invS") {
                    Some(inv) => inv,
                    None => inverse(&self.array("S")?)?.into(),
                };
                Distribution::WishartFast { df, inv_scale }
            }
            "PointMass" => Distribution::PointMass {
                point: self.get("point")?.moment(self.preferences, false)?,
            },
            _ => return None,
        })
    }
}

/// What a distribution's payload was.
enum Payload {
    Null,
    List(Vec<Param>),
    Fields(Vec<(String, Param)>),
    Raw(Value),
}

fn fields_value(fields: Vec<(String, Param)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, p)| (k, p.into_value()))
            .collect(),
    )
}

fn build(
    tag: Option<String>,
    type_name: Option<String>,
    payload: Payload,
    preferences: &Preferences,
) -> Distribution {
    let other = |tag, type_name, data| Distribution::Other {
        tag,
        type_name,
        data,
    };
    match payload {
        Payload::Null => Distribution::Opaque { tag, type_name },
        Payload::Raw(data) => other(tag, type_name, data),
        Payload::Fields(fields)
            if fields.len() == 2 && fields.iter().all(|(k, _)| k == "mean" || k == "cov") =>
        {
            let read = Fields {
                fields: &fields,
                preferences,
            };
            match (
                read.get("mean").and_then(|m| m.moment(preferences, false)),
                read.get("cov").and_then(|c| c.moment(preferences, true)),
            ) {
                (Some(mean), Some(cov)) => Distribution::Moments {
                    tag,
                    type_name,
                    mean,
                    cov,
                },
                _ => other(tag, type_name, fields_value(fields)),
            }
        }
        Payload::Fields(fields) => {
            let family = match &tag {
                Some(tag) => family_of(tag),
                None => family_with_fields(&fields),
            };
            typed_or_other(family, fields, preferences)
                .unwrap_or_else(|fields| other(tag, type_name, fields_value(fields)))
        }
        Payload::List(list) => {
            let family = tag.as_deref().and_then(family_of);
            let Some(family) = family else {
                return other(tag, type_name, list_value(list));
            };
            let names: &[&str] = match (family.tag, list.len()) {
                ("DiscreteNonParametric", 2) => &["support", "p"],
                _ => family.params,
            };
            if names.len() != list.len() {
                return other(tag, type_name, list_value(list));
            }
            let fields = names.iter().map(|n| (*n).to_owned()).zip(list).collect();
            typed_or_other(Some(family), fields, preferences).unwrap_or_else(|fields| {
                other(
                    tag,
                    type_name,
                    list_value(fields.into_iter().map(|(_, p)| p).collect()),
                )
            })
        }
    }
}

fn list_value(list: Vec<Param>) -> Value {
    Value::Array(list.into_iter().map(Param::into_value).collect())
}

/// The typed distribution, or the fields back when they do not make one.
fn typed_or_other(
    family: Option<&Family>,
    fields: Vec<(String, Param)>,
    preferences: &Preferences,
) -> Result<Distribution, Vec<(String, Param)>> {
    let read = Fields {
        fields: &fields,
        preferences,
    };
    match family.and_then(|family| read.build(family)) {
        Some(typed) => Ok(typed),
        None => Err(fields),
    }
}

/// Reads a [`Distribution`] under given preferences.
#[derive(Clone, Copy)]
pub(super) struct DistributionSeed(pub(super) Preferences);

impl<'de> DeserializeSeed<'de> for DistributionSeed {
    type Value = Distribution;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Distribution, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DistributionSeed {
    type Value = Distribution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a distribution in one of the server's forms")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Distribution, E> {
        Ok(Distribution::Opaque {
            tag: None,
            type_name: None,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Distribution, A::Error> {
        let list = ParamList.visit_seq(seq)?;
        Ok(build(None, None, Payload::List(list), &self.0))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Distribution, A::Error> {
        let preferences = self.0;
        let (mut tag, mut type_name, mut wrapped) = (None::<String>, None::<String>, false);
        let (mut payload, mut fields) = (None, Vec::new());
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "encoding" => {
                    wrapped = true;
                    map.next_value::<de::IgnoredAny>()?;
                }
                "type" => {
                    wrapped = true;
                    type_name = Some(map.next_value()?);
                }
                "tag" => {
                    wrapped = true;
                    tag = Some(map.next_value()?);
                }
                "data" => {
                    wrapped = true;
                    let known = tag.as_deref().is_none_or(|t| family_of(t).is_some());
                    payload = Some(map.next_value_seed(PayloadSeed { known })?);
                }
                _ => {
                    let param = map.next_value_seed(ParamSeed)?;
                    fields.push((key.into_owned(), param));
                }
            }
        }
        let payload = match (wrapped, payload) {
            (false, _) => Payload::Fields(fields),
            (true, Some(payload)) => payload,
            (true, None) => Payload::Null,
        };
        Ok(build(tag, type_name, payload, &preferences))
    }
}

/// A wrapper's `data`: typed parameters when the family is known (or not
/// yet said), the raw value otherwise.
struct PayloadSeed {
    known: bool,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = Payload;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Payload, D::Error> {
        if !self.known {
            return Value::deserialize(deserializer).map(Payload::Raw);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the parameters of a distribution")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Payload, E> {
        Ok(Payload::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Payload, A::Error> {
        ParamList.visit_seq(seq).map(Payload::List)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
        let mut fields = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let param = map.next_value_seed(ParamSeed)?;
            fields.push((key, param));
        }
        Ok(Payload::Fields(fields))
    }
}

/// A list of parameters (`params`).
struct ParamList;

impl<'de> Visitor<'de> for ParamList {
    type Value = Vec<Param>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of parameters")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Param>, A::Error> {
        let mut list = Vec::new();
        while let Some(param) = seq.next_element_seed(ParamSeed)? {
            list.push(param);
        }
        Ok(list)
    }
}

/// One parameter: a scalar, nested arrays, or an object (an mdarray).
struct ParamSeed;

impl<'de> DeserializeSeed<'de> for ParamSeed {
    type Value = Param;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Param, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ParamSeed {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a parameter")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Param, E> {
        Ok(Param::Scalar(Value::Bool(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Param, E> {
        Ok(Param::Scalar(v.into()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Param, E> {
        Ok(Param::Scalar(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Param, E> {
        Ok(Param::Scalar(v.into()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Param, E> {
        Ok(Param::Scalar(v.into()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Param, E> {
        Ok(Param::Scalar(Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Param, A::Error> {
        Nest::read(seq).map(Param::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Param, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Param::Object)
    }
}

/// A list of distributions.
pub(super) struct ListSeed(pub(super) Preferences);

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<Distribution>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<Distribution>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of distributions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(d) = seq.next_element_seed(DistributionSeed(self.0))? {
            list.push(d);
        }
        Ok(list)
    }
}

/// Reads a list of distributions from a JSON value under `applied`, for
/// the readers.
pub(crate) fn read_list(
    value: &Value,
    applied: &Preferences,
) -> Result<Vec<Distribution>, serde_json::Error> {
    ListSeed(*applied).deserialize(value)
}
