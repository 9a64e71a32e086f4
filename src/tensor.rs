//! Tensors and the one layout decision, said once.
//!
//! # Layout
//! Activations are **NHWC** (`[batch, height, width, channels]`), conv kernels are
//! **HWIO** (`[kh, kw, in_channels, filters]`) and dense kernels are `[in, out]`:
//! exactly Keras' `channels_last` layouts. Keras weights and Keras' `Flatten` order
//! therefore carry over without permutation, and an NHWC im2col row
//! (`ky, kx, ci`) lines up with a HWIO kernel reshaped to `[kh*kw*cin, filters]`,
//! so a convolution is one GEMM whose output is already NHWC.

use ndarray::{ArrayD, Axis, IxDyn};

use crate::error::{fmt_shape, Error, Result};

/// A dense f32 tensor in standard (row-major) layout; the first axis is the batch.
pub type Tensor = ArrayD<f32>;

/// A zero tensor of the given shape.
pub fn zeros(shape: &[usize]) -> Tensor {
    Tensor::zeros(IxDyn(shape))
}

/// Builds a tensor from a flat row-major buffer, checking that the sizes agree.
pub fn from_vec(shape: &[usize], data: Vec<f32>) -> Result<Tensor> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(Error::Shape(format!(
            "a tensor of shape {} needs {expected} values, got {}",
            fmt_shape(shape, false),
            data.len()
        )));
    }
    Tensor::from_shape_vec(IxDyn(shape), data).map_err(|e| Error::Shape(e.to_string()))
}

/// `t` in standard (row-major) layout: `t` itself when it already is (no copy). Every
/// tensor the engine makes is; inputs from elsewhere pass through here once.
pub fn standard(t: Tensor) -> Tensor {
    if t.is_standard_layout() {
        t
    } else {
        t.as_standard_layout().into_owned()
    }
}

/// The row-major values of a tensor in standard layout: what the kernels work on (see
/// the README's design notes on `ndarray`). A tensor in another layout here is a bug.
pub fn data(t: &Tensor) -> &[f32] {
    t.as_slice().expect("engine tensors are in standard layout (see tensor::standard)")
}

/// [`data`], mutable.
pub fn data_mut(t: &mut Tensor) -> &mut [f32] {
    t.as_slice_mut().expect("engine tensors are in standard layout (see tensor::standard)")
}

/// A tensor from a kernel's output buffer, whose size matches `shape` by construction:
/// a mismatch is a bug, not an input error (inputs go through [`from_vec`]).
pub fn shaped(shape: &[usize], data: Vec<f32>) -> Tensor {
    Tensor::from_shape_vec(IxDyn(shape), data).expect("a kernel's output has its shape's size")
}

/// The row-major data of a tensor, copying only if it is not already contiguous.
pub fn contiguous(t: &Tensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(t.iter().copied().collect()),
    }
}

/// Selects rows (first-axis entries) of `t` by index into a new tensor.
pub fn gather_rows(t: &Tensor, rows: &[usize]) -> Tensor {
    let row_len: usize = t.shape()[1..].iter().product();
    let src = contiguous(t);
    let mut out = Vec::with_capacity(rows.len() * row_len);
    for &r in rows {
        out.extend_from_slice(&src[r * row_len..(r + 1) * row_len]);
    }
    let mut shape = t.shape().to_vec();
    shape[0] = rows.len();
    shaped(&shape, out)
}

/// Rows `range` (first-axis entries) of `t`, as a new tensor: a slice of the batch axis.
pub fn row_range(t: &Tensor, range: std::ops::Range<usize>) -> Tensor {
    t.slice_axis(Axis(0), range.into()).to_owned()
}

/// Checks `t`'s per-example shape against what a model expects.
pub fn check_example_shape(t: &Tensor, expected: &[usize], what: &str) -> Result<()> {
    if t.ndim() == 0 || &t.shape()[1..] != expected {
        let found = if t.ndim() == 0 { "a scalar".to_string() } else { fmt_shape(&t.shape()[1..], true) };
        return Err(Error::Shape(format!(
            "{what}: expected input of shape {}, found {found}",
            fmt_shape(expected, true)
        )));
    }
    Ok(())
}

/// The index of the first NaN or infinite value, if any. Checked a block at a time
/// without stopping inside a block, so the check vectorises (it runs over every
/// gradient before each update and over every input of a fit).
pub fn first_non_finite(v: &[f32]) -> Option<usize> {
    const BLOCK: usize = 64;
    for (b, block) in v.chunks(BLOCK).enumerate() {
        if !block.iter().fold(true, |ok, x| ok & x.is_finite()) {
            return block.iter().position(|x| !x.is_finite()).map(|i| b * BLOCK + i);
        }
    }
    None
}

/// Rejects inputs with NaN or infinite values, naming the first bad example.
pub fn check_finite(t: &Tensor, what: &str) -> Result<()> {
    let per: usize = t.shape().iter().skip(1).product::<usize>().max(1);
    match first_non_finite(&contiguous(t)) {
        None => Ok(()),
        Some(i) => Err(Error::Data(format!("{what}: example {} contains NaN or an infinite value", i / per))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_finite_value_is_found_in_any_block() {
        let mut v = vec![1.0f32; 300];
        assert_eq!(first_non_finite(&v), None);
        assert_eq!(first_non_finite(&[]), None);
        for (at, bad) in [(0, f32::NAN), (63, f32::INFINITY), (64, f32::NEG_INFINITY), (299, f32::NAN)] {
            v[at] = bad;
            assert_eq!(first_non_finite(&v), Some(at));
            v[at] = 1.0;
        }
        v[200] = f32::NAN;
        v[130] = f32::INFINITY;
        assert_eq!(first_non_finite(&v), Some(130));
    }

    #[test]
    fn standard_copies_only_what_is_not_row_major() {
        let t = from_vec(&[2, 3], vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let at = t.as_ptr();
        // Already standard: the same buffer comes back (no copy in the layers' forward).
        let t = standard(t);
        assert_eq!(t.as_ptr(), at);
        // A transposed tensor made standard: its values in row-major order of its shape.
        let tt = standard(t.reversed_axes());
        assert_eq!(tt.shape(), &[3, 2]);
        assert_eq!(data(&tt), &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn row_range_and_gather_rows_take_whole_examples() {
        let t = from_vec(&[4, 2], (0..8).map(|v| v as f32).collect()).unwrap();
        assert_eq!(data(&row_range(&t, 1..3)), &[2.0, 3.0, 4.0, 5.0]);
        assert_eq!(row_range(&t, 1..3), gather_rows(&t, &[1, 2]));
        assert_eq!(data(&gather_rows(&t, &[3, 0])), &[6.0, 7.0, 0.0, 1.0]);
    }
}
