//! [`MdArray`]: a multi-dimensional array, a shape plus every element, as
//! the server's matrices are; and [`EncodedArray`], its answer form under
//! given [`Preferences`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, ser::SerializeMap};
use serde_json::Value;

use crate::{ArrayData, Element, MdArrayData, MdArrayRepr, Preferences};

/// A multi-dimensional array with all its elements: a shape (rows first,
/// as Julia's `size`) and the elements in row-major order (the last index
/// fastest).
///
/// - [`Serialize`] writes nested arrays, a matrix as a list of rows: the
///   form the server's models read in requests (`Float64.(data["x"])`),
///   and what [`Value::from`] gives.
/// - [`MdArray::encode`] writes the answer form the server writes, under
///   any [`Preferences`].
/// - [`Deserialize`] reads the self-describing forms: the server's default
///   (`{"type":"mdarray","encoding":...}`), any wrapper whose data are
///   nested arrays, and plain nested arrays. Forms that need the
///   preferences to be read, or that lose elements, go through
///   [`ArrayData`].
///
/// ```
/// use rxinfer_models::{MdArray, MdArrayData, MdArrayRepr, Preferences};
///
/// let m: MdArray = serde_json::from_str(
///     r#"{"type":"mdarray","encoding":"reshape_column_major","shape":[2,2],"data":[1,3,2,4]}"#,
/// )?;
/// assert_eq!(m.shape(), [2, 2]);
/// assert_eq!(m.as_row_major(), [1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(m.get(&[1, 0]), Some(&3.0));
///
/// // Requests carry nested arrays...
/// assert_eq!(serde_json::to_string(&m)?, "[[1.0,2.0],[3.0,4.0]]");
/// // ...answers the server's forms.
/// let prefer = Preferences::new().with_mdarray_data(MdArrayData::Diagonal);
/// assert_eq!(
///     serde_json::to_string(&m.encode(&prefer))?,
///     r#"{"type":"mdarray","encoding":"diagonal","shape":[2,2],"data":[1.0,4.0]}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MdArray<T = f64> {
    shape: Vec<usize>,
    data: Vec<T>,
}

/// Why elements and a shape do not make an array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// The number of elements is not the product of the shape.
    #[error("{elements} elements do not fill shape {shape:?}")]
    Misfit {
        /// The shape asked for.
        shape: Vec<usize>,
        /// How many elements were given.
        elements: usize,
    },
    /// A shape no array here may have: more than
    /// [`MAX_DIMENSIONS`](MdArray::MAX_DIMENSIONS) dimensions, more
    /// elements than addresses, or an empty array whose nested form would
    /// hold more than [`MAX_EMPTY_ROWS`](MdArray::MAX_EMPTY_ROWS) empty
    /// lists (a few bytes that would be written as gigabytes).
    #[error("shape {shape:?} is too large for an array")]
    TooLarge {
        /// The shape asked for.
        shape: Vec<usize>,
    },
    /// The array has another number of dimensions than the target type.
    #[error("an array of shape {shape:?} is not {expected}-dimensional")]
    Dimensions {
        /// The array's shape.
        shape: Vec<usize>,
        /// The dimensions the target has.
        expected: usize,
    },
}

/// The number of elements of `shape`, once it is one an array may have.
pub(crate) fn elements(shape: &[usize]) -> Result<usize, ShapeError> {
    let too_large = || ShapeError::TooLarge {
        shape: shape.to_vec(),
    };
    if shape.len() > MdArray::<f64>::MAX_DIMENSIONS {
        return Err(too_large());
    }
    let product = shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(too_large)?;
    if product == 0 {
        // Only the dimensions before the first zero are written out.
        let rows = shape
            .iter()
            .take_while(|&&d| d != 0)
            .try_fold(1usize, |n, &d| n.checked_mul(d));
        if rows.is_none_or(|rows| rows > MdArray::<f64>::MAX_EMPTY_ROWS) {
            return Err(too_large());
        }
    }
    Ok(product)
}

impl<T> MdArray<T> {
    /// The most dimensions an array may have (Julia arrays in practice
    /// have a handful; the bound keeps writing one from recursing deep).
    pub const MAX_DIMENSIONS: usize = 32;

    /// The most empty lists an empty array may nest (`[10000000, 0]` is
    /// ten million `[]`).
    pub const MAX_EMPTY_ROWS: usize = 1 << 20;

    /// An array of `shape` from its elements in row-major order (C's,
    /// NumPy's: the last index fastest).
    ///
    /// # Errors
    ///
    /// When the number of elements is not the product of the shape, or the
    /// shape is [too large](ShapeError::TooLarge).
    pub fn from_row_major(shape: Vec<usize>, data: Vec<T>) -> Result<Self, ShapeError> {
        if elements(&shape)? != data.len() {
            return Err(ShapeError::Misfit {
                shape,
                elements: data.len(),
            });
        }
        Ok(Self { shape, data })
    }

    /// An array of `shape` from its elements in column-major order
    /// (Julia's, Fortran's: the first index fastest).
    ///
    /// # Errors
    ///
    /// When the number of elements is not the product of the shape.
    pub fn from_column_major(shape: Vec<usize>, data: Vec<T>) -> Result<Self, ShapeError>
    where
        T: Clone,
    {
        let column_major = Self::from_row_major(shape, data)?;
        let data = reorder(&column_major.shape, &column_major.data, Order::ColumnToRow);
        Ok(Self {
            shape: column_major.shape,
            data,
        })
    }

    /// The `n`×`n` matrix of the `n²` row-major `data`, which the caller
    /// computed to fit.
    pub(crate) fn square(n: usize, data: Vec<T>) -> Self {
        Self::trusted(vec![n, n], data)
    }

    /// An array whose elements the caller knows fill `shape`.
    pub(crate) fn trusted(shape: Vec<usize>, data: Vec<T>) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Self { shape, data }
    }

    /// A matrix from its rows.
    ///
    /// # Errors
    ///
    /// When the rows differ in length.
    pub fn from_rows(rows: Vec<Vec<T>>) -> Result<Self, ShapeError> {
        let columns = rows.first().map_or(0, Vec::len);
        let shape = vec![rows.len(), columns];
        if rows.iter().any(|row| row.len() != columns) {
            let elements = rows.iter().map(Vec::len).sum();
            return Err(ShapeError::Misfit { shape, elements });
        }
        Self::from_row_major(shape, rows.into_iter().flatten().collect())
    }

    /// The size of each dimension, rows first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    pub fn as_row_major(&self) -> &[T] {
        &self.data
    }

    /// The elements in row-major order, owned.
    pub fn into_row_major(self) -> Vec<T> {
        self.data
    }

    /// The shape and the row-major elements.
    pub fn into_parts(self) -> (Vec<usize>, Vec<T>) {
        (self.shape, self.data)
    }

    /// The elements in column-major order.
    pub fn to_column_major(&self) -> Vec<T>
    where
        T: Clone,
    {
        reorder(&self.shape, &self.data, Order::RowToColumn)
    }

    /// The element at `index` (one index per dimension), if inside.
    pub fn get(&self, index: &[usize]) -> Option<&T> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut offset = 0;
        for (&i, &size) in index.iter().zip(&self.shape) {
            if i >= size {
                return None;
            }
            offset = offset * size + i;
        }
        self.data.get(offset)
    }

    /// The rows: runs along the last dimension (for a matrix, its rows).
    pub fn rows(&self) -> impl Iterator<Item = &[T]> {
        let width = self.shape.last().copied().unwrap_or(1).max(1);
        self.data.chunks(width)
    }

    /// `A[k,k,...,k]` for `k` below the smallest dimension: what the
    /// server writes under `mdarray_data=diagonal`.
    pub fn diagonal(&self) -> Vec<T>
    where
        T: Clone,
    {
        let n = self.shape.iter().copied().min().unwrap_or(0);
        if n == 0 || self.data.is_empty() {
            return Vec::new();
        }
        // Every dimension is at least 1 and their product fits: so do
        // the strides.
        let steps: usize = self
            .shape
            .iter()
            .rev()
            .scan(1, |stride, &size| {
                let this = *stride;
                *stride *= size;
                Some(this)
            })
            .sum();
        (0..n)
            .filter_map(|k| self.data.get(k * steps).cloned())
            .collect()
    }

    /// The same shape with `f` applied to each element.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> MdArray<U> {
        MdArray {
            shape: self.shape,
            data: self.data.into_iter().map(f).collect(),
        }
    }

    /// The answer form under `preferences`, to serialize: what the server
    /// writes, keys in its order (floats in Rust's shortest form, which
    /// differs from Julia's only in how exponents read: `1e-5`, `1.0e-5`). Arrays of fewer than
    /// two dimensions are plain arrays, as on the server.
    pub fn encode<'a>(&'a self, preferences: &Preferences) -> EncodedArray<'a, T> {
        EncodedArray {
            array: self,
            repr: preferences.mdarray_repr(),
            data: preferences.mdarray_data(),
        }
    }
}

impl<T: Element> MdArray<T> {
    /// The answer form under `preferences` as a JSON value (whose objects
    /// sort their keys, unless serde_json's `preserve_order` is on; use
    /// [`encode`](Self::encode) for the server's key order).
    pub fn to_json(&self, preferences: &Preferences) -> Value {
        serde_json::to_value(self.encode(preferences)).unwrap_or(Value::Null)
    }
}

#[derive(Clone, Copy)]
enum Order {
    RowToColumn,
    ColumnToRow,
}

/// The elements of `shape` rearranged between the two orders.
fn reorder<T: Clone>(shape: &[usize], data: &[T], order: Order) -> Vec<T> {
    // An empty array has nothing to move, and strides of its shape may
    // not fit.
    if shape.len() < 2 || data.is_empty() {
        return data.to_vec();
    }
    // Walk the output order and fetch each element from the input one.
    let (walk, read): (Vec<usize>, Vec<usize>) = match order {
        Order::RowToColumn => (shape.iter().rev().copied().collect(), row_strides(shape)),
        Order::ColumnToRow => (shape.to_vec(), column_strides(shape)),
    };
    let read: Vec<usize> = match order {
        Order::RowToColumn => read.into_iter().rev().collect(),
        Order::ColumnToRow => read,
    };
    let mut index = vec![0; walk.len()];
    let mut out = Vec::with_capacity(data.len());
    let mut offset = 0;
    for _ in 0..data.len() {
        if let Some(element) = data.get(offset) {
            out.push(element.clone());
        }
        // Advance the walk's last index, carrying into earlier ones.
        for d in (0..walk.len()).rev() {
            index[d] += 1;
            offset += read[d];
            if index[d] < walk[d] {
                break;
            }
            offset -= read[d] * walk[d];
            index[d] = 0;
        }
    }
    out
}

fn row_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

fn column_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in 1..shape.len() {
        strides[d] = strides[d - 1] * shape[d - 1];
    }
    strides
}

/// Nested arrays over a row-major block.
struct Nested<'a, T> {
    shape: &'a [usize],
    data: &'a [T],
}

impl<T: Serialize> Serialize for Nested<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let Some((&outer, inner)) = self.shape.split_first() else {
            return match self.data.first() {
                Some(element) => element.serialize(serializer),
                None => serializer.serialize_unit(),
            };
        };
        let mut seq = serializer.serialize_seq(Some(outer))?;
        if inner.is_empty() {
            for element in self.data {
                seq.serialize_element(element)?;
            }
        } else {
            let block = inner.iter().product::<usize>();
            for index in 0..outer {
                let data = self
                    .data
                    .get(index * block..(index + 1) * block)
                    .unwrap_or(&[]);
                seq.serialize_element(&Nested { shape: inner, data })?;
            }
        }
        seq.end()
    }
}

impl<T: Serialize> Serialize for MdArray<T> {
    /// Nested arrays: the request form.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Nested {
            shape: &self.shape,
            data: &self.data,
        }
        .serialize(serializer)
    }
}

impl<'de, T: Element> Deserialize<'de> for MdArray<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ArrayData::deserialize(deserializer)?
            .into_full()
            .map_err(|partial| {
                serde::de::Error::custom(format_args!(
                    "expected a whole array, found {}",
                    partial.describe()
                ))
            })
    }
}

impl<T: Serialize> From<MdArray<T>> for Value {
    /// Nested arrays, as a request carries a matrix.
    fn from(array: MdArray<T>) -> Self {
        serde_json::to_value(&array).unwrap_or(Value::Null)
    }
}

/// An [`MdArray`] in the answer form of some [`Preferences`], ready to
/// serialize. Made by [`MdArray::encode`].
pub struct EncodedArray<'a, T> {
    array: &'a MdArray<T>,
    repr: MdArrayRepr,
    data: MdArrayData,
}

impl<T> fmt::Debug for EncodedArray<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedArray")
            .field("shape", &self.array.shape)
            .field("repr", &self.repr)
            .field("data", &self.data)
            .finish()
    }
}

/// The payload of an encoded array.
enum Payload<'a, T> {
    Nested(Nested<'a, T>),
    Flat(&'a [T]),
    Owned(Vec<T>),
    Null,
}

impl<T: Serialize> Serialize for Payload<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Payload::Nested(nested) => nested.serialize(serializer),
            Payload::Flat(flat) => flat.serialize(serializer),
            Payload::Owned(flat) => flat.serialize(serializer),
            Payload::Null => serializer.serialize_unit(),
        }
    }
}

impl<T: Serialize + Clone> Serialize for EncodedArray<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let array = self.array;
        if array.ndim() < 2 {
            return array.serialize(serializer);
        }
        let payload = match self.data {
            MdArrayData::ArrayOfArrays => Payload::Nested(Nested {
                shape: &array.shape,
                data: &array.data,
            }),
            MdArrayData::ReshapeRowMajor => Payload::Flat(&array.data),
            MdArrayData::ReshapeColumnMajor => Payload::Owned(array.to_column_major()),
            MdArrayData::Diagonal => Payload::Owned(array.diagonal()),
            MdArrayData::None => Payload::Null,
        };
        write_wrapped(serializer, self.repr, self.data, &array.shape, &payload)
    }
}

/// The wrapper `repr` around `payload`, keys in the server's order.
pub(crate) fn write_wrapped<S: Serializer, P: Serialize>(
    serializer: S,
    repr: MdArrayRepr,
    encoding: MdArrayData,
    shape: &[usize],
    payload: &P,
) -> Result<S::Ok, S::Error> {
    let mut map = match repr {
        MdArrayRepr::Data => return payload.serialize(serializer),
        MdArrayRepr::Dict => {
            let mut map = serializer.serialize_map(Some(4))?;
            map.serialize_entry("type", "mdarray")?;
            map.serialize_entry("encoding", encoding.as_str())?;
            map
        }
        MdArrayRepr::DictTypeAndShape => {
            let mut map = serializer.serialize_map(Some(3))?;
            map.serialize_entry("type", "mdarray")?;
            map
        }
        MdArrayRepr::DictShape => serializer.serialize_map(Some(2))?,
    };
    map.serialize_entry("shape", shape)?;
    map.serialize_entry("data", payload)?;
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iota(shape: &[usize]) -> MdArray<i64> {
        let n: usize = shape.iter().product();
        MdArray::from_row_major(shape.to_vec(), (1..=n as i64).collect()).unwrap()
    }

    #[test]
    fn column_major_round_trips_in_any_dimension() {
        for shape in [
            vec![2, 3],
            vec![3, 2],
            vec![2, 3, 2],
            vec![1, 2, 2, 2],
            vec![4],
            vec![],
            vec![2, 0, 3],
        ] {
            let a = iota(&shape);
            let back = MdArray::from_column_major(shape.clone(), a.to_column_major()).unwrap();
            assert_eq!(back, a, "{shape:?}");
        }
    }

    #[test]
    fn orders_match_the_server_on_a_3d_array() {
        // Julia `[1 3 5; 2 4 6;;; 7 9 11; 8 10 12]`, shape [2,3,2]: its
        // column-major elements are 1..12.
        let a = MdArray::from_column_major(vec![2, 3, 2], (1..=12).collect::<Vec<i64>>()).unwrap();
        assert_eq!(a.as_row_major(), [1, 7, 3, 9, 5, 11, 2, 8, 4, 10, 6, 12]);
        assert_eq!(a.diagonal(), [1, 10]);
        assert_eq!(a.get(&[1, 2, 0]), Some(&6));
        assert_eq!(a.get(&[2, 0, 0]), None);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            "[[[1,7],[3,9],[5,11]],[[2,8],[4,10],[6,12]]]"
        );
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused() {
        assert_eq!(
            MdArray::from_row_major(vec![2, 2], vec![1.0; 3]),
            Err(ShapeError::Misfit {
                shape: vec![2, 2],
                elements: 3
            })
        );
        for shape in [
            vec![usize::MAX, 2],
            vec![1 << 32, 1 << 32, 0],
            vec![10_000_000, 0],
            vec![1; 33],
        ] {
            assert_eq!(
                MdArray::<f64>::from_row_major(shape.clone(), Vec::new()),
                Err(ShapeError::TooLarge { shape })
            );
        }
        // Empty arrays with a zero first are cheap whatever follows.
        let empty = MdArray::<f64>::from_row_major(vec![0, 1 << 40, 1 << 40], Vec::new()).unwrap();
        assert!(empty.diagonal().is_empty() && empty.to_column_major().is_empty());
        assert!(MdArray::from_rows(vec![vec![1.0, 2.0], vec![3.0]]).is_err());
        assert_eq!(
            MdArray::from_rows(vec![vec![1, 2], vec![3, 4]]).unwrap(),
            iota(&[2, 2])
        );
    }

    #[test]
    fn one_dimension_is_plain_under_every_preference() {
        let v = iota(&[3]);
        let prefer = Preferences::new().with_mdarray_data(MdArrayData::Diagonal);
        assert_eq!(
            serde_json::to_string(&v.encode(&prefer)).unwrap(),
            "[1,2,3]"
        );
    }
}
