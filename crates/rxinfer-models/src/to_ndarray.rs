//! Conversions between [`MdArray`] and `ndarray`'s arrays (feature
//! `ndarray`). Both hold elements in row-major order, so nothing moves.

use ndarray::{Array, ArrayD, Dimension, IxDyn};

use crate::{MdArray, ShapeError};

#[cfg_attr(docsrs, doc(cfg(feature = "ndarray")))]
impl<T> TryFrom<MdArray<T>> for ArrayD<T> {
    type Error = ShapeError;

    /// The same array; `.into_dimensionality::<Ix2>()` makes a matrix of it.
    fn try_from(array: MdArray<T>) -> Result<Self, ShapeError> {
        let (shape, data) = array.into_parts();
        let elements = data.len();
        Array::from_shape_vec(IxDyn(&shape), data)
            .map_err(|_| ShapeError::Misfit { shape, elements })
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "ndarray")))]
impl<T: Clone, D: Dimension> From<Array<T, D>> for MdArray<T> {
    fn from(array: Array<T, D>) -> Self {
        let shape = array.shape().to_vec();
        // `iter` walks in logical (row-major) order, whatever the layout.
        MdArray::trusted(shape, array.iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Ix2, array};

    #[test]
    fn round_trips_a_transposed_view_in_logical_order() {
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let m = MdArray::from(a.clone().reversed_axes());
        assert_eq!(m.shape(), [3, 2]);
        assert_eq!(m.as_row_major(), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let back = ArrayD::try_from(MdArray::from(a.clone()))
            .unwrap()
            .into_dimensionality::<Ix2>()
            .unwrap();
        assert_eq!(back, a);
    }
}
