//! Writing a [`Distribution`] in any of the server's forms, keys in its
//! order.

use serde::{
    Serialize, Serializer,
    ser::{SerializeMap, SerializeSeq},
};
use std::borrow::Cow;

use serde_json::Value;

use super::{Distribution, Moment, inverse, wishart_logc0};
use crate::{ArrayData, DistributionsData, DistributionsRepr, Preferences, linalg};

impl Distribution {
    /// The fields of a typed family, in Julia's order, as written under
    /// `named_params`.
    fn named_params(&self) -> Vec<Out<'_>> {
        match self {
            Distribution::NormalMeanVariance {
                mean: a,
                variance: b,
            }
            | Distribution::NormalMeanPrecision {
                mean: a,
                precision: b,
            }
            | Distribution::NormalWeightedMeanPrecision {
                weighted_mean: a,
                precision: b,
            }
            | Distribution::GammaShapeRate { shape: a, rate: b }
            | Distribution::GammaShapeScale { shape: a, scale: b }
            | Distribution::Beta { alpha: a, beta: b } => vec![Out::Float(*a), Out::Float(*b)],
            Distribution::MvNormalMeanCovariance {
                mean: v,
                covariance: m,
            }
            | Distribution::MvNormalMeanPrecision {
                mean: v,
                precision: m,
            }
            | Distribution::MvNormalWeightedMeanPrecision {
                weighted_mean: v,
                precision: m,
            } => vec![Out::Floats(v), Out::Matrix(Cow::Borrowed(m))],
            Distribution::Bernoulli { p } => vec![Out::Float(*p)],
            Distribution::Categorical { support, p } => vec![Out::Support(support), Out::Floats(p)],
            Distribution::Dirichlet { alpha } => {
                let alpha0: f64 = alpha.iter().sum();
                let lmnb = alpha.iter().map(|a| linalg::ln_gamma(*a)).sum::<f64>()
                    - linalg::ln_gamma(alpha0);
                vec![Out::Floats(alpha), Out::Float(alpha0), Out::Float(lmnb)]
            }
            Distribution::Wishart { df, scale } => {
                let p = scale.shape().and_then(|s| s.first()).copied().unwrap_or(0);
                vec![
                    Out::Float(*df),
                    Out::Matrix(Cow::Borrowed(scale)),
                    wishart_logc0(*df, scale).map_or(Out::Null, Out::Float),
                    Out::Int(p as i64),
                    Out::Bool(false),
                ]
            }
            Distribution::WishartFast { df, inv_scale } => {
                vec![Out::Float(*df), Out::Matrix(Cow::Borrowed(inv_scale))]
            }
            Distribution::PointMass { point } => vec![Out::Moment(Cow::Borrowed(point))],
            _ => Vec::new(),
        }
    }

    /// The parameters of a typed family, in `params` order.
    fn params(&self) -> Vec<Out<'_>> {
        match self {
            Distribution::Categorical { support, p } if !is_one_to(support) => {
                vec![Out::Support(support), Out::Floats(p)]
            }
            Distribution::Categorical { p, .. } => vec![Out::Floats(p)],
            Distribution::Dirichlet { alpha } => vec![Out::Floats(alpha)],
            Distribution::Wishart { df, scale } => {
                vec![Out::Float(*df), Out::Matrix(Cow::Borrowed(scale))]
            }
            Distribution::WishartFast { df, inv_scale } => vec![
                Out::Float(*df),
                inverse(inv_scale).map_or(Out::Null, |s| Out::Matrix(Cow::Owned(s.into()))),
            ],
            typed => typed.named_params(),
        }
    }
}

fn is_one_to(support: &[f64]) -> bool {
    support
        .iter()
        .enumerate()
        .all(|(i, s)| *s == (i + 1) as f64)
}

impl Serialize for Distribution {
    /// The server's default form: `dict` wrapper, `named_params`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.encode(&Preferences::DEFAULT).serialize(serializer)
    }
}

/// A [`Distribution`] in an answer form, ready to serialize. Made by
/// [`Distribution::encode`].
#[derive(Debug)]
pub struct EncodedDistribution<'a> {
    pub(super) distribution: &'a Distribution,
    pub(super) preferences: Preferences,
}

/// A value being written, with what it needs to be written.
pub(super) enum Out<'a> {
    Float(f64),
    Int(i64),
    Bool(bool),
    Null,
    Floats(&'a [f64]),
    Support(&'a [f64]),
    Matrix(Cow<'a, ArrayData>),
    Moment(Cow<'a, Moment>),
}

struct Write<'a>(&'a Out<'a>, &'a Preferences);

impl Serialize for Write<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let preferences = self.1;
        match self.0 {
            Out::Float(x) => x.serialize(serializer),
            Out::Int(x) => x.serialize(serializer),
            Out::Bool(x) => x.serialize(serializer),
            Out::Null => serializer.serialize_unit(),
            Out::Floats(v) => v.serialize(serializer),
            // Julia's support of a `Categorical` is integers.
            Out::Support(v) if v.iter().all(|s| s.fract() == 0.0 && s.abs() < 9e15) => {
                let mut seq = serializer.serialize_seq(Some(v.len()))?;
                for s in *v {
                    seq.serialize_element(&(*s as i64))?;
                }
                seq.end()
            }
            Out::Support(v) => v.serialize(serializer),
            Out::Matrix(a) => a.encode(preferences).serialize(serializer),
            Out::Moment(m) => Write(&m.out(), preferences).serialize(serializer),
        }
    }
}

/// The payload of an encoded distribution.
enum Body<'a> {
    /// `Other`'s payload, kept whole.
    Whole(&'a Value),
    Fields(Vec<(&'static str, Out<'a>)>),
    List(Vec<Out<'a>>),
    Null,
}

impl Serialize for EncodedDistribution<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.distribution;
        let preferences = &self.preferences;
        let (encoding, body) = self.body();
        let tag = d.tag();
        let type_name = d.type_name();
        let mut map = match preferences.distributions_repr() {
            DistributionsRepr::Data => return BodyWrite(&body, preferences).serialize(serializer),
            DistributionsRepr::Dict => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("encoding", encoding.as_str())?;
                map.serialize_entry("type", &type_name)?;
                map
            }
            DistributionsRepr::DictTypeAndTag => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("type", &type_name)?;
                map
            }
            DistributionsRepr::DictTag => serializer.serialize_map(None)?,
        };
        map.serialize_entry("tag", &tag)?;
        map.serialize_entry("data", &BodyWrite(&body, preferences))?;
        map.end()
    }
}

impl<'a> EncodedDistribution<'a> {
    fn body(&self) -> (DistributionsData, Body<'a>) {
        let d = self.distribution;
        let preferences = &self.preferences;
        match d {
            Distribution::Moments { mean, cov, .. } => (
                DistributionsData::MeanCov,
                Body::Fields(vec![
                    ("mean", Out::Moment(Cow::Borrowed(mean))),
                    ("cov", Out::Moment(Cow::Borrowed(cov))),
                ]),
            ),
            Distribution::Opaque { .. } => (DistributionsData::None, Body::Null),
            Distribution::Other { data, .. } => (
                match data {
                    Value::Object(_) => DistributionsData::NamedParams,
                    Value::Null => DistributionsData::None,
                    _ => DistributionsData::Params,
                },
                Body::Whole(data),
            ),
            typed => {
                let encoding = preferences.distributions_data();
                let fields = typed.family().map_or(&[][..], |f| f.fields);
                let body = match encoding {
                    DistributionsData::NamedParams => {
                        Body::Fields(fields.iter().copied().zip(typed.named_params()).collect())
                    }
                    DistributionsData::Params => Body::List(typed.params()),
                    DistributionsData::MeanCov => Body::Fields(vec![
                        (
                            "mean",
                            typed
                                .mean()
                                .map_or(Out::Null, |m| Out::Moment(Cow::Owned(m))),
                        ),
                        (
                            "cov",
                            typed
                                .cov()
                                .map_or(Out::Null, |c| Out::Moment(Cow::Owned(c))),
                        ),
                    ]),
                    DistributionsData::None => Body::Null,
                };
                (encoding, body)
            }
        }
    }
}

struct BodyWrite<'a>(&'a Body<'a>, &'a Preferences);

impl Serialize for BodyWrite<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let preferences = self.1;
        match self.0 {
            Body::Null => serializer.serialize_unit(),
            Body::Whole(data) => crate::encode_value(data, preferences).serialize(serializer),
            Body::List(list) => {
                let mut seq = serializer.serialize_seq(Some(list.len()))?;
                for out in list {
                    seq.serialize_element(&Write(out, preferences))?;
                }
                seq.end()
            }
            Body::Fields(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, out) in fields {
                    map.serialize_entry(key, &Write(out, preferences))?;
                }
                map.end()
            }
        }
    }
}
