//! [`ArrayData`]: a matrix as the server wrote it, under any of the twenty
//! `mdarray_repr` × `mdarray_data` forms, honest about the forms that lose
//! elements or the shape; and the decoder that reads it straight from the
//! bytes.
//!
//! The decoder walks nested arrays once, collecting the elements in
//! row-major order and the length seen at each depth, and only then reads
//! them with the shape and encoding found beside them (the server writes
//! `shape` before `data`, but any key order is read).

use std::{fmt, marker::PhantomData};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor},
};
use serde_json::Value;

use crate::{Element, MdArray, MdArrayData, Preferences, mdarray::write_wrapped};

/// A matrix (an array of two or more dimensions) as the server wrote it.
///
/// Which of these a body decodes to depends on the form:
///
/// | form | decodes to |
/// |---|---|
/// | any wrapper with a shape, `array_of_arrays` or `reshape_*` | [`Full`](Self::Full) |
/// | nested arrays alone (`mdarray_repr=data`) | [`Full`](Self::Full), the shape from the nesting |
/// | `diagonal` | [`Diagonal`](Self::Diagonal): not a matrix |
/// | `reshape_*` alone (`mdarray_repr=data`) | [`Flat`](Self::Flat): the elements, no shape |
/// | `none` | [`Omitted`](Self::Omitted) |
///
/// Only the `dict` wrapper names its encoding; the others are read with
/// the [`Preferences`] the server applied (its `Preference-Applied`), given
/// to [`from_json`](Self::from_json) and [`from_slice`](Self::from_slice).
/// [`Deserialize`] reads with the server's defaults.
///
/// ```
/// use rxinfer_models::{ArrayData, MdArrayData, MdArrayRepr, Preferences};
///
/// let applied = Preferences::new()
///     .with_mdarray_repr(MdArrayRepr::DictShape)
///     .with_mdarray_data(MdArrayData::ReshapeColumnMajor);
/// let full = ArrayData::<i64>::from_slice(br#"{"shape":[2,2],"data":[1,3,2,4]}"#, &applied)?;
/// assert_eq!(full.as_full().map(|m| m.as_row_major()), Some(&[1, 2, 3, 4][..]));
///
/// let diagonal: ArrayData = serde_json::from_str(
///     r#"{"type":"mdarray","encoding":"diagonal","shape":[2,2],"data":[1,4]}"#,
/// )?;
/// assert!(diagonal.as_full().is_none());
/// assert_eq!(diagonal.diagonal(), Some(vec![1.0, 4.0]));
/// assert_eq!(diagonal.describe(), "a diagonal of 2 values (shape [2, 2])");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ArrayData<T = f64> {
    /// Every element, with the shape.
    Full(MdArray<T>),
    /// Only `A[k,k,...,k]` (`mdarray_data=diagonal`), with the shape when
    /// a wrapper carried it.
    Diagonal {
        /// The whole array's shape, when written.
        shape: Option<Vec<usize>>,
        /// The diagonal.
        values: Vec<T>,
    },
    /// Every element in one flat list, without a shape
    /// (`mdarray_repr=data` with `reshape_*`): also how a plain vector
    /// reads under those preferences.
    Flat {
        /// The order the elements are in.
        order: FlatOrder,
        /// The elements.
        values: Vec<T>,
    },
    /// No elements (`mdarray_data=none`), with the shape when written.
    Omitted {
        /// The array's shape, when written.
        shape: Option<Vec<usize>>,
    },
}

/// The order of a [`ArrayData::Flat`] list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlatOrder {
    /// The last index fastest (`reshape_row_major`).
    RowMajor,
    /// The first index fastest (`reshape_column_major`).
    ColumnMajor,
}

impl<T: Element> ArrayData<T> {
    /// Reads `value`, written under `applied` (the server's
    /// `Preference-Applied`; [`Preferences::DEFAULT`] when it sent none).
    ///
    /// # Errors
    ///
    /// When `value` is not an array in any of the server's forms, or its
    /// elements are not `T`s.
    pub fn from_json(value: &Value, applied: &Preferences) -> Result<Self, serde_json::Error> {
        ArraySeed::new(applied).deserialize(value)
    }

    /// Reads `bytes`, written under `applied`, without building a
    /// `serde_json::Value` first.
    ///
    /// # Errors
    ///
    /// As [`from_json`](Self::from_json), and when `bytes` are not JSON.
    pub fn from_slice(bytes: &[u8], applied: &Preferences) -> Result<Self, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let array = ArraySeed::new(applied).deserialize(&mut deserializer)?;
        deserializer.end()?;
        Ok(array)
    }
}

impl<T> ArrayData<T> {
    /// The whole array, when every element was written.
    pub fn as_full(&self) -> Option<&MdArray<T>> {
        match self {
            ArrayData::Full(array) => Some(array),
            _ => None,
        }
    }

    /// The whole array, or this value back when elements are missing.
    ///
    /// # Errors
    ///
    /// When the form lost elements or the shape; [`describe`](Self::describe) says which.
    pub fn into_full(self) -> Result<MdArray<T>, Self> {
        match self {
            ArrayData::Full(array) => Ok(array),
            other => Err(other),
        }
    }

    /// The whole array, given the `shape` a form without one left out (a
    /// flat list in its order, or a 1-D array); a whole array of that
    /// shape as it is.
    ///
    /// # Errors
    ///
    /// When the elements do not fill `shape`, or the form lost elements.
    pub fn into_full_with_shape(self, shape: &[usize]) -> Result<MdArray<T>, Self>
    where
        T: Clone,
    {
        let shape = shape.to_vec();
        match self {
            ArrayData::Full(array) if array.shape() == shape => Ok(array),
            ArrayData::Full(array) if array.ndim() == 1 => {
                let values = array.into_row_major();
                MdArray::from_row_major(shape, values.clone()).map_err(|_| ArrayData::Flat {
                    order: FlatOrder::RowMajor,
                    values,
                })
            }
            ArrayData::Flat { order, values } => {
                let built = match order {
                    FlatOrder::RowMajor => MdArray::from_row_major(shape, values.clone()),
                    FlatOrder::ColumnMajor => MdArray::from_column_major(shape, values.clone()),
                };
                built.map_err(|_| ArrayData::Flat { order, values })
            }
            other => Err(other),
        }
    }

    /// The shape, when written.
    pub fn shape(&self) -> Option<&[usize]> {
        match self {
            ArrayData::Full(array) => Some(array.shape()),
            ArrayData::Diagonal { shape, .. } | ArrayData::Omitted { shape } => shape.as_deref(),
            ArrayData::Flat { .. } => None,
        }
    }

    /// The diagonal `A[k,...,k]`, from a whole array or a diagonal.
    pub fn diagonal(&self) -> Option<Vec<T>>
    where
        T: Clone,
    {
        match self {
            ArrayData::Full(array) => Some(array.diagonal()),
            ArrayData::Diagonal { values, .. } => Some(values.clone()),
            _ => None,
        }
    }

    /// The elements as a vector: a one-dimensional array, or a flat list
    /// (which is also how a plain vector reads under `reshape_*`).
    pub fn into_vector(self) -> Option<Vec<T>> {
        match self {
            ArrayData::Full(array) if array.ndim() == 1 => Some(array.into_row_major()),
            ArrayData::Flat { values, .. } => Some(values),
            _ => None,
        }
    }

    /// What this is, in words, for messages.
    pub fn describe(&self) -> String {
        let shape = |shape: &Option<Vec<usize>>| match shape {
            Some(shape) => format!(" (shape {shape:?})"),
            None => String::new(),
        };
        match self {
            ArrayData::Full(array) => format!("an array of shape {:?}", array.shape()),
            ArrayData::Diagonal { shape: s, values } => {
                format!("a diagonal of {} values{}", values.len(), shape(s))
            }
            ArrayData::Flat { order, values } => format!(
                "{} values in {} order without a shape",
                values.len(),
                match order {
                    FlatOrder::RowMajor => "row-major",
                    FlatOrder::ColumnMajor => "column-major",
                }
            ),
            ArrayData::Omitted { shape: s } => format!("an array without its data{}", shape(s)),
        }
    }

    /// The same form with `f` applied to each element.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> ArrayData<U> {
        let mut all = |values: Vec<T>| values.into_iter().map(&mut f).collect();
        match self {
            ArrayData::Full(array) => ArrayData::Full(array.map(f)),
            ArrayData::Diagonal { shape, values } => ArrayData::Diagonal {
                shape,
                values: all(values),
            },
            ArrayData::Flat { order, values } => ArrayData::Flat {
                order,
                values: all(values),
            },
            ArrayData::Omitted { shape } => ArrayData::Omitted { shape },
        }
    }

    /// The answer form under `preferences`, to serialize. A whole array
    /// takes any form; a lossy one keeps its own (`encoding` says which),
    /// wrapped as asked, or bare when the wrapper needs a shape it lacks.
    pub fn encode<'a>(&'a self, preferences: &Preferences) -> EncodedArrayData<'a, T> {
        EncodedArrayData {
            array: self,
            preferences: *preferences,
        }
    }
}

impl<T> From<MdArray<T>> for ArrayData<T> {
    fn from(array: MdArray<T>) -> Self {
        ArrayData::Full(array)
    }
}

impl<'de, T: Element> Deserialize<'de> for ArrayData<T> {
    /// Reads with the server's default preferences.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ArraySeed::new(&Preferences::DEFAULT).deserialize(deserializer)
    }
}

/// An [`ArrayData`] in an answer form, ready to serialize. Made by
/// [`ArrayData::encode`].
#[derive(Debug)]
pub struct EncodedArrayData<'a, T> {
    array: &'a ArrayData<T>,
    preferences: Preferences,
}

impl<T: Serialize + Clone> Serialize for EncodedArrayData<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = self.preferences.mdarray_repr();
        let (encoding, shape, payload): (MdArrayData, _, Option<&[T]>) = match self.array {
            ArrayData::Full(array) => return array.encode(&self.preferences).serialize(serializer),
            ArrayData::Diagonal { shape, values } => (MdArrayData::Diagonal, shape, Some(values)),
            ArrayData::Flat { order, values } => (
                match order {
                    FlatOrder::RowMajor => MdArrayData::ReshapeRowMajor,
                    FlatOrder::ColumnMajor => MdArrayData::ReshapeColumnMajor,
                },
                &None,
                Some(values),
            ),
            ArrayData::Omitted { shape } => (MdArrayData::None, shape, None),
        };
        match shape {
            Some(shape) => write_wrapped(serializer, repr, encoding, shape, &payload),
            None => payload.serialize(serializer),
        }
    }
}

/// Reads an [`ArrayData`] under given preferences; the seed behind
/// [`ArrayData::from_json`] and [`ArrayData::from_slice`].
pub(crate) struct ArraySeed<T> {
    data: MdArrayData,
    element: PhantomData<T>,
}

impl<T> ArraySeed<T> {
    pub(crate) fn new(applied: &Preferences) -> Self {
        Self {
            data: applied.mdarray_data(),
            element: PhantomData,
        }
    }
}

impl<'de, T: Element> DeserializeSeed<'de> for ArraySeed<T> {
    type Value = ArrayData<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ArrayVisitor {
            data: self.data,
            element: PhantomData,
        })
    }
}

struct ArrayVisitor<T> {
    data: MdArrayData,
    element: PhantomData<T>,
}

impl<'de, T: Element> Visitor<'de> for ArrayVisitor<T> {
    type Value = ArrayData<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array in one of the server's mdarray forms")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ArrayData::Omitted { shape: None })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let nest = Nest::read(seq)?;
        nest.bare(self.data).map_err(de::Error::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut shape, mut encoding, mut payload) = (None, None, None);
        while let Some(key) = map.next_key::<WrapperKey>()? {
            match key {
                WrapperKey::Type => {
                    let kind: std::borrow::Cow<'de, str> = map.next_value()?;
                    if kind != "mdarray" {
                        return Err(de::Error::custom(format_args!(
                            "not an mdarray: its type is {kind:?}"
                        )));
                    }
                }
                WrapperKey::Encoding => {
                    let name: std::borrow::Cow<'de, str> = map.next_value()?;
                    encoding = Some(MdArrayData::from_wire(&name).ok_or_else(|| {
                        de::Error::custom(format_args!("unknown mdarray encoding {name:?}"))
                    })?);
                }
                WrapperKey::Shape => shape = Some(map.next_value::<Vec<usize>>()?),
                WrapperKey::Data => payload = map.next_value_seed(Payload(PhantomData))?,
                WrapperKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let shape = shape.ok_or_else(|| de::Error::custom("an object without `shape`"))?;
        match payload {
            None => Ok(ArrayData::Omitted { shape: Some(shape) }),
            Some(nest) => nest
                .wrapped(shape, encoding, self.data)
                .map_err(de::Error::custom),
        }
    }
}

/// The keys of an mdarray wrapper, read without allocating.
enum WrapperKey {
    Type,
    Encoding,
    Shape,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for WrapperKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = WrapperKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<WrapperKey, E> {
                Ok(match key {
                    "type" => WrapperKey::Type,
                    "encoding" => WrapperKey::Encoding,
                    "shape" => WrapperKey::Shape,
                    "data" => WrapperKey::Data,
                    _ => WrapperKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// `data` of a wrapper: nested arrays, or `null`.
struct Payload<T>(PhantomData<T>);

impl<'de, T: Element> DeserializeSeed<'de> for Payload<T> {
    type Value = Option<Nest<T>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct PayloadVisitor<T>(PhantomData<T>);
        impl<'de, T: Element> Visitor<'de> for PayloadVisitor<T> {
            type Value = Option<Nest<T>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Nest::read(seq).map(Some)
            }
        }
        deserializer.deserialize_any(PayloadVisitor(PhantomData))
    }
}

/// Nested arrays read flat: the elements in row-major order, the length
/// of the arrays at each depth, and the depth of the elements.
#[derive(Debug)]
pub(crate) struct Nest<T> {
    values: Vec<T>,
    lengths: Vec<Option<usize>>,
    leaf_depth: Option<usize>,
}

impl<T: Element> Nest<T> {
    /// Reads the array whose elements `seq` yields.
    pub(crate) fn read<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
        let mut nest = Nest {
            values: Vec::with_capacity(seq.size_hint().unwrap_or(0)),
            lengths: Vec::new(),
            leaf_depth: None,
        };
        Level {
            nest: &mut nest,
            depth: 0,
        }
        .visit_seq(seq)?;
        Ok(nest)
    }
}

impl<T> Nest<T> {
    /// The elements, in row-major order.
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }

    /// Whether this is one flat list (a 1-D array: never an mdarray).
    pub(crate) fn is_flat(&self) -> bool {
        self.lengths.len() == 1
    }

    /// The same nesting with `f` applied to each element.
    pub(crate) fn map_ref<U>(&self, f: impl FnMut(&T) -> U) -> Nest<U> {
        Nest {
            values: self.values.iter().map(f).collect(),
            lengths: self.lengths.clone(),
            leaf_depth: self.leaf_depth,
        }
    }

    /// The shape the nesting shows, once it is known to be rectangular.
    fn dims(&self) -> Result<Vec<usize>, String> {
        let dims: Vec<usize> = self.lengths.iter().map(|l| l.unwrap_or(0)).collect();
        match self.leaf_depth {
            Some(leaf) if leaf != dims.len() => {
                Err("a ragged array: elements and arrays at the same depth".to_owned())
            }
            _ => Ok(dims),
        }
    }

    /// An array written without a wrapper (`mdarray_repr=data`), or a
    /// plain vector.
    pub(crate) fn bare(self, data: MdArrayData) -> Result<ArrayData<T>, String> {
        let dims = self.dims()?;
        let values = self.values;
        if dims.len() != 1 {
            return MdArray::from_row_major(dims, values)
                .map(ArrayData::Full)
                .map_err(|e| e.to_string());
        }
        Ok(match data {
            MdArrayData::ReshapeRowMajor => ArrayData::Flat {
                order: FlatOrder::RowMajor,
                values,
            },
            MdArrayData::ReshapeColumnMajor => ArrayData::Flat {
                order: FlatOrder::ColumnMajor,
                values,
            },
            MdArrayData::Diagonal => ArrayData::Diagonal {
                shape: None,
                values,
            },
            MdArrayData::ArrayOfArrays | MdArrayData::None => {
                ArrayData::Full(MdArray::from_row_major(dims, values).map_err(|e| e.to_string())?)
            }
        })
    }

    /// An array's data written beside its `shape`, in `encoding` when the
    /// wrapper named it, else in the form `asked` for.
    fn wrapped(
        self,
        shape: Vec<usize>,
        encoding: Option<MdArrayData>,
        asked: MdArrayData,
    ) -> Result<ArrayData<T>, String>
    where
        T: Clone,
    {
        let dims = self.dims()?;
        let values = self.values;
        let elements = crate::mdarray::elements(&shape).map_err(|e| e.to_string())?;
        let smallest = shape.iter().copied().min().unwrap_or(0);
        let flat = dims.len() == 1;
        let encoding = match encoding {
            Some(encoding) => encoding,
            None if !flat || shape.len() < 2 => MdArrayData::ArrayOfArrays,
            // A flat list beside a shape, its encoding unnamed: the form
            // asked for tells, or the length when only one form fits.
            None if asked != MdArrayData::ArrayOfArrays => asked,
            None if values.len() == elements && shape.iter().filter(|&&n| n > 1).count() <= 1 => {
                MdArrayData::ReshapeRowMajor
            }
            None if values.len() == smallest && values.len() != elements => MdArrayData::Diagonal,
            None => {
                return Err(format!(
                    "{} elements in one list for shape {shape:?}: their order is unknown; \
                     read with the preferences the server applied",
                    values.len()
                ));
            }
        };
        let misfit = |what: &str| {
            format!(
                "{what}: {} elements in {} dimension(s) for shape {shape:?}",
                values.len(),
                dims.len()
            )
        };
        // Nested data fit their shape; an empty array nests only as deep
        // as its first empty dimension.
        let fits_nested = dims == shape
            || (flat && shape.len() < 2)
            || (elements == 0 && values.is_empty() && shape.starts_with(&dims));
        let full = |array: Result<MdArray<T>, crate::ShapeError>| {
            array.map(ArrayData::Full).map_err(|e| e.to_string())
        };
        match encoding {
            MdArrayData::ArrayOfArrays if fits_nested => {
                full(MdArray::from_row_major(shape, values))
            }
            MdArrayData::ArrayOfArrays => Err(misfit("nested data that do not fit the shape")),
            MdArrayData::ReshapeRowMajor if flat || values.is_empty() => {
                full(MdArray::from_row_major(shape, values))
            }
            MdArrayData::ReshapeColumnMajor if flat || values.is_empty() => {
                full(MdArray::from_column_major(shape, values))
            }
            MdArrayData::Diagonal if (flat || values.is_empty()) && values.len() == smallest => {
                Ok(ArrayData::Diagonal {
                    shape: Some(shape),
                    values,
                })
            }
            MdArrayData::None => Err(misfit("data under encoding `none`")),
            _ => Err(misfit("data that do not fit their encoding")),
        }
    }
}

impl Nest<Value> {
    /// The nested arrays as a JSON value again.
    pub(crate) fn into_value(self) -> Value {
        match self.dims() {
            Ok(dims) => match MdArray::from_row_major(dims, self.values) {
                Ok(array) => Value::from(array),
                Err(_) => Value::Null,
            },
            // Unreachable for what `read` accepts; flat rather than lost.
            Err(_) => Value::Array(self.values),
        }
    }
}

/// One depth of nested arrays being read.
struct Level<'n, T> {
    nest: &'n mut Nest<T>,
    depth: usize,
}

impl<T> Level<'_, T> {
    fn leaf(&mut self, value: Option<T>, what: de::Unexpected<'_>) -> Result<(), String>
    where
        T: Element,
    {
        let value = value.ok_or_else(|| format!("{what} where {} was expected", T::NAME))?;
        match self.nest.leaf_depth {
            Some(depth) if depth != self.depth => {
                return Err("a ragged array: elements at different depths".to_owned());
            }
            _ => self.nest.leaf_depth = Some(self.depth),
        }
        self.nest.values.push(value);
        Ok(())
    }
}

impl<'de, T: Element> DeserializeSeed<'de> for Level<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Element> Visitor<'de> for Level<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array whose elements are each {}", T::NAME)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth;
        let mut length = 0;
        while seq
            .next_element_seed(Level {
                nest: &mut *self.nest,
                depth: depth + 1,
            })?
            .is_some()
        {
            length += 1;
        }
        let lengths = &mut self.nest.lengths;
        if lengths.len() <= depth {
            lengths.resize(depth + 1, None);
        }
        match lengths[depth] {
            Some(seen) if seen != length => Err(de::Error::custom(format_args!(
                "a ragged array: lengths {seen} and {length} at depth {depth}"
            ))),
            _ => {
                lengths[depth] = Some(length);
                Ok(())
            }
        }
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.leaf(T::from_u64(v), de::Unexpected::Unsigned(v))
            .map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        self.leaf(T::from_i64(v), de::Unexpected::Signed(v))
            .map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        self.leaf(T::from_f64(v), de::Unexpected::Float(v))
            .map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.leaf(T::from_bool(v), de::Unexpected::Bool(v))
            .map_err(E::custom)
    }

    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.leaf(T::from_null(), de::Unexpected::Unit)
            .map_err(E::custom)
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.leaf(T::from_str(v), de::Unexpected::Str(v))
            .map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MdArrayRepr;

    fn read<T: Element>(json: &str, prefs: &Preferences) -> Result<ArrayData<T>, String> {
        ArrayData::from_slice(json.as_bytes(), prefs).map_err(|e| e.to_string())
    }

    #[test]
    fn ragged_and_mistyped_data_are_errors_that_say_so() {
        let d = Preferences::DEFAULT;
        for (json, says) in [
            ("[[1,2],[3]]", "ragged"),
            ("[[1,2],3]", "ragged"),
            ("[[[1]],[2]]", "ragged"),
            (
                r#"{"shape":[2,2],"data":[[1,2],[3,4],[5,6]]}"#,
                "do not fit",
            ),
            (
                r#"{"type":"distribution","shape":[1],"data":[1]}"#,
                "not an mdarray",
            ),
            (r#"{"data":[1]}"#, "without `shape`"),
            (
                r#"{"shape":[2,2],"encoding":"sideways","data":[1]}"#,
                "unknown mdarray encoding",
            ),
            (r#"{"shape":[2,2],"data":[1,2,3,4]}"#, "order is unknown"),
            ("[1.5]", ""),
        ] {
            let result = read::<i64>(json, &d);
            match says {
                "" => assert!(
                    result
                        .unwrap_err()
                        .contains("where an integer was expected")
                ),
                says => assert!(result.unwrap_err().contains(says), "{json}"),
            }
        }
        assert!(read::<f64>(r#"["a"]"#, &d).is_err());
    }

    #[test]
    fn empty_arrays_keep_their_shape() {
        let d = Preferences::DEFAULT;
        let a = read::<f64>(
            r#"{"type":"mdarray","encoding":"array_of_arrays","shape":[0,3],"data":[]}"#,
            &d,
        )
        .unwrap();
        assert_eq!(a.shape(), Some(&[0, 3][..]));
        let b = read::<f64>("[[],[]]", &d).unwrap();
        assert_eq!(b.shape(), Some(&[2, 0][..]));
    }

    #[test]
    fn nulls_read_as_nan_in_floats_and_exactly_in_values() {
        let m = read::<f64>("[[1,null]]", &Preferences::DEFAULT).unwrap();
        assert!(m.as_full().unwrap().as_row_major()[1].is_nan());
        let v = read::<Value>("[[1,1.0,null,true]]", &Preferences::DEFAULT).unwrap();
        assert_eq!(
            serde_json::to_string(&v.as_full().unwrap()).unwrap(),
            "[[1,1.0,null,true]]"
        );
    }

    #[test]
    fn a_flat_list_beside_a_shape_reads_when_only_one_form_fits() {
        let d = Preferences::DEFAULT;
        let row = read::<i64>(r#"{"shape":[1,4],"data":[1,2,3,4]}"#, &d).unwrap();
        assert_eq!(row.as_full().unwrap().shape(), [1, 4]);
        let diagonal = read::<i64>(r#"{"shape":[2,3],"data":[1,5]}"#, &d).unwrap();
        assert_eq!(diagonal.diagonal(), Some(vec![1, 5]));
        let asked = Preferences::new()
            .with_mdarray_repr(MdArrayRepr::DictShape)
            .with_mdarray_data(MdArrayData::ReshapeRowMajor);
        let full = read::<i64>(r#"{"shape":[2,2],"data":[1,2,3,4]}"#, &asked).unwrap();
        assert_eq!(full.as_full().unwrap().as_row_major(), [1, 2, 3, 4]);
    }
}
