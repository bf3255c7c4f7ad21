//! Conversions between [`MdArray`] and `nalgebra`'s `DMatrix` (feature
//! `nalgebra`). nalgebra stores columns first; the conversions reorder.

use nalgebra::{DMatrix, Scalar};

use crate::{MdArray, ShapeError};

#[cfg_attr(docsrs, doc(cfg(feature = "nalgebra")))]
impl<T: Scalar> TryFrom<MdArray<T>> for DMatrix<T> {
    type Error = ShapeError;

    /// The matrix, when the array has two dimensions.
    fn try_from(array: MdArray<T>) -> Result<Self, ShapeError> {
        match *array.shape() {
            [rows, columns] => Ok(DMatrix::from_row_slice(rows, columns, array.as_row_major())),
            _ => Err(ShapeError::Dimensions {
                shape: array.shape().to_vec(),
                expected: 2,
            }),
        }
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "nalgebra")))]
impl<T: Scalar> From<DMatrix<T>> for MdArray<T> {
    fn from(matrix: DMatrix<T>) -> Self {
        let shape = vec![matrix.nrows(), matrix.ncols()];
        MdArray::trusted(shape, matrix.transpose().as_slice().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stay_rows() {
        let m = MdArray::from_rows(vec![vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]).unwrap();
        let matrix = DMatrix::try_from(m.clone()).unwrap();
        assert_eq!(matrix[(1, 0)], 4.0);
        assert_eq!(MdArray::from(matrix), m);
        let cube = MdArray::from_row_major(vec![1, 1, 1], vec![1.0]).unwrap();
        assert!(DMatrix::try_from(cube).is_err());
    }
}
