//! The element types an [`MdArray`](crate::MdArray) holds: numbers as the
//! server writes them, read without going through `serde_json::Value`.

use serde::Serialize;
use serde_json::{Number, Value};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
    impl Sealed for serde_json::Value {}
}

/// An element of an [`MdArray`](crate::MdArray): `f64` (integers and
/// floats alike; `null`, how the server writes `NaN` and `±Inf`, reads as
/// `NaN`), `i64` (integers only, as Julia's `Int` arrays), or
/// `serde_json::Value` (any scalar, kept exactly as written: `1` stays
/// `1`, `1.0` stays `1.0`).
///
/// Sealed: the decoder depends on how each reads a JSON scalar.
pub trait Element: Clone + Serialize + sealed::Sealed {
    /// What the element is, for errors.
    const NAME: &'static str;

    /// From an unsigned JSON integer.
    fn from_u64(value: u64) -> Option<Self>;
    /// From a negative JSON integer.
    fn from_i64(value: i64) -> Option<Self>;
    /// From a JSON number with a fraction or an exponent.
    fn from_f64(value: f64) -> Option<Self>;
    /// From JSON `null`.
    fn from_null() -> Option<Self>;
    /// From a JSON boolean.
    fn from_bool(value: bool) -> Option<Self>;
    /// From a JSON string (Julia `String`s, `Symbol`s and dates).
    fn from_str(value: &str) -> Option<Self>;
}

impl Element for f64 {
    const NAME: &'static str = "a number";

    fn from_u64(value: u64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_i64(value: i64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_f64(value: f64) -> Option<Self> {
        Some(value)
    }
    fn from_null() -> Option<Self> {
        Some(f64::NAN)
    }
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
    fn from_str(_: &str) -> Option<Self> {
        None
    }
}

impl Element for i64 {
    const NAME: &'static str = "an integer";

    fn from_u64(value: u64) -> Option<Self> {
        i64::try_from(value).ok()
    }
    fn from_i64(value: i64) -> Option<Self> {
        Some(value)
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    fn from_null() -> Option<Self> {
        None
    }
    fn from_bool(_: bool) -> Option<Self> {
        None
    }
    fn from_str(_: &str) -> Option<Self> {
        None
    }
}

impl Element for Value {
    const NAME: &'static str = "a JSON scalar";

    fn from_u64(value: u64) -> Option<Self> {
        Some(Value::Number(value.into()))
    }
    fn from_i64(value: i64) -> Option<Self> {
        Some(Value::Number(value.into()))
    }
    fn from_f64(value: f64) -> Option<Self> {
        Some(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }
    fn from_null() -> Option<Self> {
        Some(Value::Null)
    }
    fn from_bool(value: bool) -> Option<Self> {
        Some(Value::Bool(value))
    }
    fn from_str(value: &str) -> Option<Self> {
        Some(Value::String(value.to_owned()))
    }
}
