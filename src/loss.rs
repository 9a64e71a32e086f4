//! Losses, averaged over the batch as Keras does (`sum_over_batch_size`), each
//! reduced with a mean over the last axis first.
//!
//! Numerical stability: when the model's last activation is the loss's natural
//! partner (sigmoid + binary cross-entropy, softmax + categorical cross-entropy),
//! the loss and its gradient are computed from the pre-activation logits, as
//! TensorFlow's Keras does: no `log(0)`, no NaN for saturated outputs, and the
//! gradient is simply `p - y`. Otherwise probabilities are clipped to
//! `[1e-7, 1 - 1e-7]` (Keras' epsilon).

use crate::error::{fmt_shape, Error, Result};
use crate::layers::activation::{sigmoid, softmax_in_place};
use crate::layers::Activation;
use crate::tensor::Tensor;

const EPSILON: f32 = 1e-7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    BinaryCrossentropy,
    SparseCategoricalCrossentropy,
    CategoricalCrossentropy,
    MeanSquaredError,
}

pub const SUPPORTED: &str = "binary_crossentropy, sparse_categorical_crossentropy, categorical_crossentropy, mse";

impl Loss {
    pub fn from_name(name: &str) -> Result<Loss> {
        Ok(match name {
            "binary_crossentropy" | "binaryCrossentropy" | "BinaryCrossentropy" => Loss::BinaryCrossentropy,
            "sparse_categorical_crossentropy" | "sparseCategoricalCrossentropy" | "SparseCategoricalCrossentropy" => {
                Loss::SparseCategoricalCrossentropy
            }
            "categorical_crossentropy" | "categoricalCrossentropy" | "CategoricalCrossentropy" => {
                Loss::CategoricalCrossentropy
            }
            "mse" | "mean_squared_error" | "meanSquaredError" | "MeanSquaredError" => Loss::MeanSquaredError,
            other => return Err(Error::Config(format!("unsupported loss '{other}' (supported: {SUPPORTED})"))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Loss::BinaryCrossentropy => "binary_crossentropy",
            Loss::SparseCategoricalCrossentropy => "sparse_categorical_crossentropy",
            Loss::CategoricalCrossentropy => "categorical_crossentropy",
            Loss::MeanSquaredError => "mse",
        }
    }

    /// Whether the loss is computed from logits for this final activation.
    pub fn fuses_with(self, act: Option<Activation>) -> bool {
        matches!(
            (self, act),
            (Loss::BinaryCrossentropy, Some(Activation::Sigmoid))
                | (Loss::SparseCategoricalCrossentropy | Loss::CategoricalCrossentropy, Some(Activation::Softmax))
        )
    }

    /// Checks that this loss makes sense for a model's per-example output shape and
    /// final activation, with advice when it does not.
    pub fn check_output(self, out: &[usize], act: Option<Activation>) -> Result<()> {
        let last = out.last().copied().unwrap_or(0);
        match self {
            Loss::BinaryCrossentropy if !matches!(act, Some(Activation::Sigmoid)) => Err(Error::Config(format!(
                "binary_crossentropy expects probabilities from a sigmoid output layer, but the last layer's activation is {}; use Dense(1, activation='sigmoid')",
                act.map_or("none", |a| a.name())
            ))),
            Loss::SparseCategoricalCrossentropy | Loss::CategoricalCrossentropy if !matches!(act, Some(Activation::Softmax)) => {
                Err(Error::Config(format!(
                    "{} expects probabilities from a softmax output layer, but the last layer's activation is {}",
                    self.name(),
                    act.map_or("none", |a| a.name())
                )))
            }
            Loss::SparseCategoricalCrossentropy | Loss::CategoricalCrossentropy if last < 2 => Err(Error::Config(format!(
                "{} needs at least 2 output units (got output shape {}); for two classes with one unit use binary_crossentropy",
                self.name(),
                fmt_shape(out, true)
            ))),
            _ => Ok(()),
        }
    }

    /// Checks targets `y` against the model's per-example output shape `out`.
    pub fn check_targets(self, y: &Tensor, n: usize, out: &[usize]) -> Result<()> {
        if y.ndim() == 0 || y.shape()[0] != n {
            return Err(Error::Data(format!(
                "got {n} inputs but {} targets",
                if y.ndim() == 0 { 0 } else { y.shape()[0] }
            )));
        }
        let per: usize = y.shape()[1..].iter().product();
        let out_size: usize = out.iter().product();
        let classes = out.last().copied().unwrap_or(1);
        if let Some(bad) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data(format!("target {} is not a finite number", bad / per.max(1))));
        }
        match self {
            Loss::SparseCategoricalCrossentropy => {
                if per != out_size / classes {
                    return Err(Error::Data(format!(
                        "sparse_categorical_crossentropy takes one class index per example (targets of shape {}), got {}",
                        fmt_shape(&out[..out.len() - 1], true),
                        fmt_shape(&y.shape()[1..], true)
                    )));
                }
                if let Some((i, v)) =
                    y.iter().enumerate().find(|(_, v)| v.fract() != 0.0 || **v < 0.0 || **v >= classes as f32)
                {
                    return Err(Error::Data(format!(
                        "label {v} of example {} is out of range: labels must be integers 0..={}",
                        i / per.max(1),
                        classes - 1
                    )));
                }
            }
            _ => {
                if per != out_size {
                    return Err(Error::Data(format!(
                        "{} needs targets shaped like the model output {}, got {}",
                        self.name(),
                        fmt_shape(out, true),
                        fmt_shape(&y.shape()[1..], true)
                    )));
                }
                if self == Loss::BinaryCrossentropy {
                    if let Some((i, v)) = y.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
                        return Err(Error::Data(format!(
                            "binary_crossentropy target {v} of example {} is outside [0, 1]",
                            i / per.max(1)
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The batch's summed per-example loss and the gradient of the batch-mean loss:
    /// with respect to the logits `z` when `logits` is given (fused), else w.r.t. `p`.
    /// `p` and `z` are `[rows, last]` flattened; `y` has `rows` (sparse) or `rows * last` values.
    pub fn loss_and_grad(
        self,
        p: &[f32],
        logits: Option<&[f32]>,
        y: &[f32],
        last: usize,
        batch: usize,
    ) -> (f64, Vec<f32>) {
        let rows = p.len() / last.max(1);
        let mut grad = vec![0.0f32; p.len()];
        let mut total = 0.0f64;
        let inv_n = 1.0 / batch as f32;
        match (self, logits) {
            (Loss::BinaryCrossentropy, Some(z)) => {
                let inv = inv_n / last as f32;
                for i in 0..p.len() {
                    // max(z, 0) - z y + log(1 + exp(-|z|))
                    let (zi, yi) = (z[i], y[i]);
                    total += (zi.max(0.0) - zi * yi + (-zi.abs()).exp().ln_1p()) as f64 / last as f64;
                    grad[i] = (sigmoid(zi) - yi) * inv;
                }
            }
            (Loss::BinaryCrossentropy, None) => {
                let inv = inv_n / last as f32;
                for i in 0..p.len() {
                    let pi = p[i].clamp(EPSILON, 1.0 - EPSILON);
                    let yi = y[i];
                    total += -(yi * pi.ln() + (1.0 - yi) * (1.0 - pi).ln()) as f64 / last as f64;
                    grad[i] = (pi - yi) / (pi * (1.0 - pi)) * inv;
                }
            }
            (Loss::SparseCategoricalCrossentropy | Loss::CategoricalCrossentropy, Some(z)) => {
                let mut s = vec![0.0f32; last];
                for r in 0..rows {
                    let zr = &z[r * last..(r + 1) * last];
                    let max = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let lse = max + zr.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
                    s.copy_from_slice(zr);
                    softmax_in_place(&mut s);
                    let g = &mut grad[r * last..(r + 1) * last];
                    if self == Loss::SparseCategoricalCrossentropy {
                        let t = y[r] as usize;
                        total += (lse - zr[t]) as f64;
                        g.iter_mut().zip(&s).for_each(|(g, s)| *g = s * inv_n);
                        g[t] -= inv_n;
                    } else {
                        let yr = &y[r * last..(r + 1) * last];
                        let ysum: f32 = yr.iter().sum();
                        total += yr.iter().zip(zr).map(|(y, z)| (y * (lse - z)) as f64).sum::<f64>();
                        for j in 0..last {
                            g[j] = (s[j] * ysum - yr[j]) * inv_n;
                        }
                    }
                }
            }
            (Loss::SparseCategoricalCrossentropy | Loss::CategoricalCrossentropy, None) => {
                for r in 0..rows {
                    let pr = &p[r * last..(r + 1) * last];
                    let g = &mut grad[r * last..(r + 1) * last];
                    if self == Loss::SparseCategoricalCrossentropy {
                        let t = y[r] as usize;
                        let pt = pr[t].clamp(EPSILON, 1.0 - EPSILON);
                        total += -(pt.ln()) as f64;
                        g[t] = -inv_n / pt;
                    } else {
                        let yr = &y[r * last..(r + 1) * last];
                        for j in 0..last {
                            let pj = pr[j].clamp(EPSILON, 1.0 - EPSILON);
                            total += -(yr[j] * pj.ln()) as f64;
                            g[j] = -yr[j] / pj * inv_n;
                        }
                    }
                }
            }
            (Loss::MeanSquaredError, _) => {
                let inv = inv_n / last as f32;
                for i in 0..p.len() {
                    let d = p[i] - y[i];
                    total += (d * d) as f64 / last as f64;
                    grad[i] = 2.0 * d * inv;
                }
            }
        }
        (total, grad)
    }
}
