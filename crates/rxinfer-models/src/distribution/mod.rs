//! [`Distribution`]: a probability distribution as the server writes it,
//! under any of the sixteen `distributions_repr` × `distributions_data`
//! forms, typed for the families RxInfer returns; and [`Moment`], a mean,
//! a covariance or a point.
//!
//! Decoding reads the bytes once: the wrapper's `tag` comes before `data`
//! on the server, so the parameters are read knowing the family. Which
//! form the payload is in shows in its shape (an object of fields, a list
//! of parameters, `{"mean","cov"}`, or `null`), so only the matrices
//! inside need the preferences the server applied.

use serde::de::DeserializeSeed;
use serde_json::Value;

use crate::{ArrayData, MdArray, Preferences, linalg};

mod decode;
mod encode;

pub(crate) use decode::read_list;
use decode::{DistributionSeed, ListSeed, Param};
pub use encode::EncodedDistribution;
use encode::Out;

/// A first or second moment, or a point: a number, a vector, or an array
/// (a covariance matrix, or what the server wrote of one).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Moment {
    /// Of a univariate distribution.
    Scalar(f64),
    /// A mean of a multivariate distribution.
    Vector(Vec<f64>),
    /// A matrix: a covariance, a matrix-variate mean.
    Array(ArrayData<f64>),
}

impl Moment {
    /// The number, for a univariate distribution.
    pub fn as_scalar(&self) -> Option<f64> {
        match self {
            Moment::Scalar(x) => Some(*x),
            _ => None,
        }
    }

    /// The vector, for a multivariate mean.
    pub fn as_vector(&self) -> Option<&[f64]> {
        match self {
            Moment::Vector(v) => Some(v),
            _ => None,
        }
    }

    /// The whole matrix, when every element was written.
    pub fn as_matrix(&self) -> Option<&MdArray> {
        match self {
            Moment::Array(array) => array.as_full(),
            _ => None,
        }
    }

    /// The vector, owned.
    pub fn into_vector(self) -> Option<Vec<f64>> {
        match self {
            Moment::Vector(v) => Some(v),
            _ => None,
        }
    }

    /// The whole matrix, owned.
    pub fn into_matrix(self) -> Option<MdArray> {
        match self {
            Moment::Array(array) => array.into_full().ok(),
            _ => None,
        }
    }

    fn out(&self) -> Out<'_> {
        match self {
            Moment::Scalar(x) => Out::Float(*x),
            Moment::Vector(v) => Out::Floats(v),
            Moment::Array(a) => Out::Matrix(std::borrow::Cow::Borrowed(a)),
        }
    }
}

/// A probability distribution, as the server wrote it.
///
/// The families RxInfer commonly returns are typed variants, named by the
/// server's `tag` and holding their parameters under readable names; on
/// the wire they keep Julia's field names (`μ`, `Σ`, `Λ`, `α`, ...).
/// What a form does not carry is said by the variant: `mean_cov` gives
/// [`Moments`](Self::Moments), `none` gives [`Opaque`](Self::Opaque), and
/// an unknown tag or a list of parameters without a tag is kept as
/// [`Other`](Self::Other), never an error. Matrices are [`ArrayData`], so
/// a covariance written as its diagonal says so.
///
/// [`Deserialize`](serde::Deserialize) reads with the server's default preferences;
/// [`from_json`](Self::from_json) and [`from_slice`](Self::from_slice) take
/// the preferences the server applied, for matrices written without a
/// wrapper. [`Serialize`](serde::Serialize) writes the server's default form;
/// [`encode`](Self::encode) any other.
///
/// ```
/// use rxinfer_models::{Distribution, DistributionsData, DistributionsRepr, Preferences};
///
/// let d: Distribution = serde_json::from_str(
///     r#"{"encoding":"named_params","type":"Distribution{Univariate, Continuous}","tag":"NormalMeanVariance","data":{"μ":1.0,"v":2.0}}"#,
/// )?;
/// assert_eq!(d, Distribution::NormalMeanVariance { mean: 1.0, variance: 2.0 });
/// assert_eq!(d.mean().and_then(|m| m.as_scalar()), Some(1.0));
/// assert_eq!(d.cov().and_then(|c| c.as_scalar()), Some(2.0));
///
/// let prefer = Preferences::new()
///     .with_distributions_repr(DistributionsRepr::DictTag)
///     .with_distributions_data(DistributionsData::Params);
/// assert_eq!(
///     serde_json::to_string(&d.encode(&prefer))?,
///     r#"{"tag":"NormalMeanVariance","data":[1.0,2.0]}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Distribution {
    /// `NormalMeanVariance`: fields `μ`, `v`.
    NormalMeanVariance {
        /// `μ`.
        mean: f64,
        /// `v`.
        variance: f64,
    },
    /// `NormalMeanPrecision`: fields `μ`, `w`.
    NormalMeanPrecision {
        /// `μ`.
        mean: f64,
        /// `w`.
        precision: f64,
    },
    /// `NormalWeightedMeanPrecision`: fields `xi` (precision × mean), `w`.
    NormalWeightedMeanPrecision {
        /// `xi`.
        weighted_mean: f64,
        /// `w`.
        precision: f64,
    },
    /// `MvNormalMeanCovariance`: fields `μ`, `Σ`.
    MvNormalMeanCovariance {
        /// `μ`.
        mean: Vec<f64>,
        /// `Σ`.
        covariance: ArrayData,
    },
    /// `MvNormalMeanPrecision`: fields `μ`, `Λ`.
    MvNormalMeanPrecision {
        /// `μ`.
        mean: Vec<f64>,
        /// `Λ`.
        precision: ArrayData,
    },
    /// `MvNormalWeightedMeanPrecision`: fields `xi`, `Λ`.
    MvNormalWeightedMeanPrecision {
        /// `xi`.
        weighted_mean: Vec<f64>,
        /// `Λ`.
        precision: ArrayData,
    },
    /// `GammaShapeRate`: fields `a`, `b`.
    GammaShapeRate {
        /// `a`.
        shape: f64,
        /// `b`.
        rate: f64,
    },
    /// `Gamma` (`GammaShapeScale`): fields `α`, `θ`.
    GammaShapeScale {
        /// `α`.
        shape: f64,
        /// `θ`.
        scale: f64,
    },
    /// `Beta`: fields `α`, `β`.
    Beta {
        /// `α`.
        alpha: f64,
        /// `β`.
        beta: f64,
    },
    /// `Bernoulli`: field `p`.
    Bernoulli {
        /// `p`.
        p: f64,
    },
    /// `DiscreteNonParametric` (`Categorical`): fields `support`, `p`.
    Categorical {
        /// `support`: `1..=n` for a `Categorical`.
        support: Vec<f64>,
        /// `p`.
        p: Vec<f64>,
    },
    /// `Dirichlet`: field `alpha` (the server also writes the cached
    /// `alpha0` and `lmnB`, recomputed here when written).
    Dirichlet {
        /// `alpha`.
        alpha: Vec<f64>,
    },
    /// `Wishart`: fields `df`, `S` (and the cached `logc0`, `rank`,
    /// `singular`, recomputed here when written).
    Wishart {
        /// `df`.
        df: f64,
        /// `S`.
        scale: ArrayData,
    },
    /// `WishartFast`: fields `ν`, `invS` (the inverse scale).
    WishartFast {
        /// `ν`.
        df: f64,
        /// `invS`.
        inv_scale: ArrayData,
    },
    /// `PointMass`: field `point`. The server cannot write it (it is not a
    /// `Distribution` in Julia); read for newer servers and own models.
    PointMass {
        /// `point`.
        point: Moment,
    },
    /// `mean_cov`: the first two moments only.
    Moments {
        /// The tag, when the wrapper carried it.
        tag: Option<String>,
        /// The `type`, when the wrapper carried it.
        type_name: Option<String>,
        /// `mean`.
        mean: Moment,
        /// `cov`.
        cov: Moment,
    },
    /// `none`: the family at most.
    Opaque {
        /// The tag, when the wrapper carried it.
        tag: Option<String>,
        /// The `type`, when the wrapper carried it.
        type_name: Option<String>,
    },
    /// A family not typed here, or parameters that do not say which
    /// family: kept as written.
    Other {
        /// The tag, when the wrapper carried it.
        tag: Option<String>,
        /// The `type`, when the wrapper carried it.
        type_name: Option<String>,
        /// The payload.
        data: Value,
    },
}

const UNIVARIATE_CONTINUOUS: &str = "Distribution{Univariate, Continuous}";
const UNIVARIATE_DISCRETE: &str = "Distribution{Univariate, Discrete}";

/// A typed family: its tag, `type`, fields (in Julia's declaration order)
/// and `params` order.
struct Family {
    tag: &'static str,
    type_name: &'static str,
    fields: &'static [&'static str],
    params: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    family(
        "NormalMeanVariance",
        UNIVARIATE_CONTINUOUS,
        &["μ", "v"],
        &["μ", "v"],
    ),
    family(
        "NormalMeanPrecision",
        UNIVARIATE_CONTINUOUS,
        &["μ", "w"],
        &["μ", "w"],
    ),
    family(
        "NormalWeightedMeanPrecision",
        UNIVARIATE_CONTINUOUS,
        &["xi", "w"],
        &["xi", "w"],
    ),
    family(
        "MvNormalMeanCovariance",
        "AbstractMvNormal",
        &["μ", "Σ"],
        &["μ", "Σ"],
    ),
    family(
        "MvNormalMeanPrecision",
        "AbstractMvNormal",
        &["μ", "Λ"],
        &["μ", "Λ"],
    ),
    family(
        "MvNormalWeightedMeanPrecision",
        "AbstractMvNormal",
        &["xi", "Λ"],
        &["xi", "Λ"],
    ),
    family(
        "GammaShapeRate",
        UNIVARIATE_CONTINUOUS,
        &["a", "b"],
        &["a", "b"],
    ),
    family("Gamma", UNIVARIATE_CONTINUOUS, &["α", "θ"], &["α", "θ"]),
    family("Beta", UNIVARIATE_CONTINUOUS, &["α", "β"], &["α", "β"]),
    family("Bernoulli", UNIVARIATE_DISCRETE, &["p"], &["p"]),
    family(
        "DiscreteNonParametric",
        UNIVARIATE_DISCRETE,
        &["support", "p"],
        &["p"],
    ),
    family(
        "Dirichlet",
        "Distribution{Multivariate, Continuous}",
        &["alpha", "alpha0", "lmnB"],
        &["alpha"],
    ),
    family(
        "Wishart",
        "Distribution{Matrixvariate, Continuous}",
        &["df", "S", "logc0", "rank", "singular"],
        &["df", "S"],
    ),
    family(
        "WishartFast",
        "Distribution{Matrixvariate, Continuous}",
        &["ν", "invS"],
        &["ν", "S"],
    ),
    family("PointMass", "Any", &["point"], &["point"]),
];

const fn family(
    tag: &'static str,
    type_name: &'static str,
    fields: &'static [&'static str],
    params: &'static [&'static str],
) -> Family {
    Family {
        tag,
        type_name,
        fields,
        params,
    }
}

fn family_of(tag: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.tag == tag)
}

/// The family whose fields are exactly `keys`, for parameters written
/// without a tag.
fn family_with_fields(keys: &[(String, Param)]) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| {
        f.fields.len() == keys.len() && f.fields.iter().all(|n| keys.iter().any(|(k, _)| k == n))
    })
}

impl Distribution {
    /// Reads `value`, written under `applied` (the server's
    /// `Preference-Applied`).
    ///
    /// # Errors
    ///
    /// When `value` is not a distribution in any of the server's forms.
    pub fn from_json(value: &Value, applied: &Preferences) -> Result<Self, serde_json::Error> {
        DistributionSeed(*applied).deserialize(value)
    }

    /// Reads `bytes`, written under `applied`, without building a
    /// `serde_json::Value` first.
    ///
    /// # Errors
    ///
    /// As [`from_json`](Self::from_json), and when `bytes` are not JSON.
    pub fn from_slice(bytes: &[u8], applied: &Preferences) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let d = DistributionSeed(*applied).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(d)
    }

    /// Reads a list of distributions from `bytes` (say, a state-space
    /// model's `states`), each written under `applied`.
    ///
    /// # Errors
    ///
    /// As [`from_slice`](Self::from_slice), and when `bytes` are not a list.
    pub fn list_from_slice(
        bytes: &[u8],
        applied: &Preferences,
    ) -> Result<Vec<Self>, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let list = ListSeed(*applied).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(list)
    }

    fn family(&self) -> Option<&'static Family> {
        let tag = match self {
            Distribution::NormalMeanVariance { .. } => "NormalMeanVariance",
            Distribution::NormalMeanPrecision { .. } => "NormalMeanPrecision",
            Distribution::NormalWeightedMeanPrecision { .. } => "NormalWeightedMeanPrecision",
            Distribution::MvNormalMeanCovariance { .. } => "MvNormalMeanCovariance",
            Distribution::MvNormalMeanPrecision { .. } => "MvNormalMeanPrecision",
            Distribution::MvNormalWeightedMeanPrecision { .. } => "MvNormalWeightedMeanPrecision",
            Distribution::GammaShapeRate { .. } => "GammaShapeRate",
            Distribution::GammaShapeScale { .. } => "Gamma",
            Distribution::Beta { .. } => "Beta",
            Distribution::Bernoulli { .. } => "Bernoulli",
            Distribution::Categorical { .. } => "DiscreteNonParametric",
            Distribution::Dirichlet { .. } => "Dirichlet",
            Distribution::Wishart { .. } => "Wishart",
            Distribution::WishartFast { .. } => "WishartFast",
            Distribution::PointMass { .. } => "PointMass",
            _ => return None,
        };
        family_of(tag)
    }

    /// The server's `tag`: the Julia type's name (`NormalMeanVariance`,
    /// `Gamma`, `DiscreteNonParametric`), when known.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Distribution::Moments { tag, .. }
            | Distribution::Opaque { tag, .. }
            | Distribution::Other { tag, .. } => tag.as_deref(),
            typed => typed.family().map(|f| f.tag),
        }
    }

    /// The server's `type`: the Julia supertype's name, such as
    /// `Distribution{Univariate, Continuous}`, when known.
    pub fn type_name(&self) -> Option<&str> {
        match self {
            Distribution::Moments { type_name, .. }
            | Distribution::Opaque { type_name, .. }
            | Distribution::Other { type_name, .. } => type_name.as_deref(),
            typed => typed.family().map(|f| f.type_name),
        }
    }

    /// The mean, when the form carries or implies it.
    pub fn mean(&self) -> Option<Moment> {
        Some(match self {
            Distribution::NormalMeanVariance { mean, .. }
            | Distribution::NormalMeanPrecision { mean, .. } => Moment::Scalar(*mean),
            Distribution::NormalWeightedMeanPrecision {
                weighted_mean,
                precision,
            } => Moment::Scalar(weighted_mean / precision),
            Distribution::MvNormalMeanCovariance { mean, .. }
            | Distribution::MvNormalMeanPrecision { mean, .. } => Moment::Vector(mean.clone()),
            Distribution::MvNormalWeightedMeanPrecision {
                weighted_mean,
                precision,
            } => {
                let covariance = inverse(precision)?;
                if weighted_mean.len() != covariance.shape()[0] {
                    return None;
                }
                Moment::Vector(linalg::times(covariance.as_row_major(), weighted_mean))
            }
            Distribution::GammaShapeRate { shape, rate } => Moment::Scalar(shape / rate),
            Distribution::GammaShapeScale { shape, scale } => Moment::Scalar(shape * scale),
            Distribution::Beta { alpha, beta } => Moment::Scalar(alpha / (alpha + beta)),
            Distribution::Bernoulli { p } => Moment::Scalar(*p),
            Distribution::Categorical { support, p } if support.len() == p.len() => {
                Moment::Scalar(support.iter().zip(p).map(|(s, p)| s * p).sum())
            }
            Distribution::Dirichlet { alpha } => {
                let inv = 1.0 / alpha.iter().sum::<f64>();
                Moment::Vector(alpha.iter().map(|a| a * inv).collect())
            }
            Distribution::Wishart { df, scale } => {
                Moment::Array(scale.as_full()?.clone().map(|s| df * s).into())
            }
            Distribution::WishartFast { df, inv_scale } => {
                Moment::Array(inverse(inv_scale)?.map(|s| df * s).into())
            }
            Distribution::PointMass { point } => point.clone(),
            Distribution::Moments { mean, .. } => mean.clone(),
            Distribution::Categorical { .. }
            | Distribution::Opaque { .. }
            | Distribution::Other { .. } => return None,
        })
    }

    /// The variance of a univariate distribution, the covariance matrix of
    /// a multivariate one (of `vec(X)` for a matrix-variate one), when the
    /// form carries or implies it.
    pub fn cov(&self) -> Option<Moment> {
        Some(match self {
            Distribution::NormalMeanVariance { variance, .. } => Moment::Scalar(*variance),
            Distribution::NormalMeanPrecision { precision, .. }
            | Distribution::NormalWeightedMeanPrecision { precision, .. } => {
                Moment::Scalar(1.0 / precision)
            }
            Distribution::MvNormalMeanCovariance { covariance, .. } => {
                Moment::Array(covariance.clone())
            }
            Distribution::MvNormalMeanPrecision { precision, .. }
            | Distribution::MvNormalWeightedMeanPrecision { precision, .. } => {
                Moment::Array(inverse(precision)?.into())
            }
            Distribution::GammaShapeRate { shape, rate } => Moment::Scalar(shape / (rate * rate)),
            Distribution::GammaShapeScale { shape, scale } => Moment::Scalar(shape * scale * scale),
            Distribution::Beta { alpha, beta } => {
                let s = alpha + beta;
                Moment::Scalar(alpha * beta / (s * s * (s + 1.0)))
            }
            Distribution::Bernoulli { p } => Moment::Scalar(p * (1.0 - p)),
            Distribution::Categorical { support, p } if support.len() == p.len() => {
                let mean: f64 = support.iter().zip(p).map(|(s, p)| s * p).sum();
                Moment::Scalar(
                    support
                        .iter()
                        .zip(p)
                        .map(|(s, p)| (s - mean).powi(2) * p)
                        .sum(),
                )
            }
            Distribution::Dirichlet { alpha } => Moment::Array(dirichlet_cov(alpha)?.into()),
            Distribution::Wishart { df, scale } => {
                Moment::Array(wishart_cov(*df, scale.as_full()?)?.into())
            }
            Distribution::WishartFast { df, inv_scale } => {
                Moment::Array(wishart_cov(*df, &inverse(inv_scale)?)?.into())
            }
            Distribution::Moments { cov, .. } => cov.clone(),
            Distribution::Categorical { .. }
            | Distribution::PointMass { .. }
            | Distribution::Opaque { .. }
            | Distribution::Other { .. } => return None,
        })
    }

    /// The answer form under `preferences`, to serialize: what the server
    /// writes, keys in its order (floats as [`MdArray::encode`] writes them). A typed family takes every form; a lossy
    /// one keeps its own payload under the wrapper asked for.
    pub fn encode<'a>(&'a self, preferences: &Preferences) -> EncodedDistribution<'a> {
        EncodedDistribution {
            distribution: self,
            preferences: *preferences,
        }
    }

    /// The answer form under `preferences` as a JSON value (whose objects
    /// sort their keys, unless serde_json's `preserve_order` is on).
    pub fn to_json(&self, preferences: &Preferences) -> Value {
        serde_json::to_value(self.encode(preferences)).unwrap_or(Value::Null)
    }
}

fn square(array: &ArrayData) -> Option<(&[f64], usize)> {
    let full = array.as_full()?;
    match full.shape() {
        [n, m] if n == m => Some((full.as_row_major(), *n)),
        _ => None,
    }
}

fn inverse(array: &ArrayData) -> Option<MdArray> {
    let (a, n) = square(array)?;
    Some(MdArray::square(n, linalg::inverse(a, n)?))
}

/// The largest Dirichlet whose `k`×`k` covariance [`Distribution::cov`]
/// computes: 8 MB of floats.
const MAX_DIRICHLET_COV: usize = 1024;

/// The largest Wishart scale whose `p²`×`p²` covariance
/// [`Distribution::cov`] computes: 8 MB of floats.
const MAX_WISHART_COV: usize = 32;

/// Distributions.jl's `cov(::Dirichlet)`; `None` above
/// [`MAX_DIRICHLET_COV`] categories.
fn dirichlet_cov(alpha: &[f64]) -> Option<MdArray> {
    let k = alpha.len();
    if k > MAX_DIRICHLET_COV {
        return None;
    }
    let alpha0: f64 = alpha.iter().sum();
    let c = 1.0 / (alpha0 * alpha0 * (alpha0 + 1.0));
    let mut cov = vec![0.0; k * k];
    for j in 0..k {
        let ajc = alpha[j] * c;
        for i in 0..j {
            cov[i * k + j] = -alpha[i] * ajc;
            cov[j * k + i] = cov[i * k + j];
        }
        cov[j * k + j] = (alpha0 - alpha[j]) * ajc;
    }
    Some(MdArray::square(k, cov))
}

/// The covariance of `vec(W)` (column-major) for `W ~ Wishart(df, S)`:
/// `cov(W_ij, W_kl) = df (S_ik S_jl + S_il S_jk)`; `None` unless the
/// scale is square, and above [`MAX_WISHART_COV`] rows.
fn wishart_cov(df: f64, scale: &MdArray) -> Option<MdArray> {
    let p = match *scale.shape() {
        [p, q] if p == q && p <= MAX_WISHART_COV => p,
        _ => return None,
    };
    let s = |i: usize, j: usize| scale.get(&[i, j]).copied().unwrap_or(f64::NAN);
    let n = p * p;
    let mut cov = vec![0.0; n * n];
    for (row, slot) in cov.chunks_mut(n.max(1)).enumerate().take(n) {
        let (i, j) = (row % p, row / p);
        for (column, value) in slot.iter_mut().enumerate() {
            let (k, l) = (column % p, column / p);
            *value = df * (s(i, k) * s(j, l) + s(i, l) * s(j, k));
        }
    }
    Some(MdArray::square(n, cov))
}

/// Distributions.jl's cached `logc0` of a full-rank Wishart.
fn wishart_logc0(df: f64, scale: &ArrayData) -> Option<f64> {
    let (s, p) = square(scale)?;
    let pf = p as f64;
    let half = df / 2.0;
    let log_mv_gamma = pf * (pf - 1.0) / 4.0 * std::f64::consts::PI.ln()
        + (1..=p)
            .map(|j| linalg::ln_gamma(half + (1.0 - j as f64) / 2.0))
            .sum::<f64>();
    Some(-(half * pf * std::f64::consts::LN_2 + half * linalg::log_det(s, p)? + log_mv_gamma))
}
