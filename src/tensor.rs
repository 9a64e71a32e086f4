//! Tensors and the one layout decision, said once.
//!
//! # Layout
//! Activations are **NHWC** (`[batch, height, width, channels]`), conv kernels are
//! **HWIO** (`[kh, kw, in_channels, filters]`) and dense kernels are `[in, out]`:
//! exactly Keras' `channels_last` layouts. Keras weights and Keras' `Flatten` order
//! therefore carry over without permutation, and an NHWC im2col row
//! (`ky, kx, ci`) lines up with a HWIO kernel reshaped to `[kh*kw*cin, filters]`,
//! so a convolution is one GEMM whose output is already NHWC.

use ndarray::{ArrayD, IxDyn};

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
    Tensor::from_shape_vec(IxDyn(&shape), out).expect("gather_rows: sizes agree by construction")
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

/// Rejects inputs with NaN or infinite values, naming the first bad example.
pub fn check_finite(t: &Tensor, what: &str) -> Result<()> {
    let per: usize = t.shape().iter().skip(1).product::<usize>().max(1);
    match t.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Data(format!("{what}: example {} contains NaN or an infinite value", i / per))),
    }
}
