//! Element-wise activations (and softmax over the last axis), used both as the
//! `activation=` argument of Conv2D/Dense and as standalone `Activation` /
//! `LeakyReLU` layers.

use crate::error::{Error, Result};

/// The activations Keras accepts by name that the engine supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Linear,
    Relu,
    Sigmoid,
    Softmax,
    Tanh,
    Elu,
    Selu,
}

/// SELU constants from Klambauer et al. (2017), as in Keras.
const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_SCALE: f32 = 1.050_701;

pub const SUPPORTED: &str = "linear, relu, sigmoid, softmax, tanh, elu, selu";

impl Activation {
    pub fn from_name(name: &str) -> Result<Activation> {
        Ok(match name {
            "linear" | "None" | "" => Activation::Linear,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "softmax" => Activation::Softmax,
            "tanh" => Activation::Tanh,
            "elu" => Activation::Elu,
            "selu" => Activation::Selu,
            other => return Err(Error::Config(format!("unsupported activation '{other}' (supported: {SUPPORTED})"))),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Softmax => "softmax",
            Activation::Tanh => "tanh",
            Activation::Elu => "elu",
            Activation::Selu => "selu",
        }
    }

    /// Applies the activation in place; `last` is the size of the last axis (for softmax).
    pub fn forward(self, z: &mut [f32], last: usize) {
        match self {
            Activation::Linear => {}
            // Written as a select: `f32::max` becomes a call to `fmaxf` on wasm32.
            Activation::Relu => z.iter_mut().for_each(|v| *v = if *v > 0.0 { *v } else { 0.0 }),
            Activation::Sigmoid => z.iter_mut().for_each(|v| *v = sigmoid(*v)),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Elu => z.iter_mut().for_each(|v| {
                if *v <= 0.0 {
                    *v = v.exp_m1()
                }
            }),
            Activation::Selu => z
                .iter_mut()
                .for_each(|v| *v = if *v > 0.0 { SELU_SCALE * *v } else { SELU_SCALE * SELU_ALPHA * v.exp_m1() }),
            Activation::Softmax => {
                for row in z.chunks_mut(last.max(1)) {
                    softmax_in_place(row);
                }
            }
        }
    }

    /// Turns `dy` (gradient w.r.t. the output `y`) into the gradient w.r.t. the
    /// pre-activation, in place, from the output alone: for relu, elu and selu,
    /// `y <= 0` exactly when `z <= 0`, and their derivatives there are functions of `y`
    /// (elu: `y + 1`; selu: `y + scale * alpha`), so no pre-activation is kept.
    pub fn backward(self, y: &[f32], dy: &mut [f32], last: usize) {
        match self {
            Activation::Linear => {}
            // Selects, not conditional stores, so that they vectorise.
            Activation::Relu => dy.iter_mut().zip(y).for_each(|(g, y)| *g = if *y <= 0.0 { 0.0 } else { *g }),
            Activation::Sigmoid => dy.iter_mut().zip(y).for_each(|(g, y)| *g *= y * (1.0 - y)),
            Activation::Tanh => dy.iter_mut().zip(y).for_each(|(g, y)| *g *= 1.0 - y * y),
            Activation::Elu => dy.iter_mut().zip(y).for_each(|(g, y)| *g = if *y <= 0.0 { *g * (y + 1.0) } else { *g }),
            Activation::Selu => dy
                .iter_mut()
                .zip(y)
                .for_each(|(g, y)| *g *= if *y > 0.0 { SELU_SCALE } else { y + SELU_SCALE * SELU_ALPHA }),
            Activation::Softmax => {
                let last = last.max(1);
                for (g, y) in dy.chunks_mut(last).zip(y.chunks(last)) {
                    // dz_i = y_i * (dy_i - sum_j dy_j y_j)
                    let dot: f32 = g.iter().zip(y).map(|(a, b)| a * b).sum();
                    g.iter_mut().zip(y).for_each(|(g, y)| *g = y * (*g - dot));
                }
            }
        }
    }
}

pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Max-subtracted softmax: never overflows.
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// `LeakyReLU(negative_slope)`: x for x > 0, slope * x otherwise.
pub fn leaky_relu_forward(z: &mut [f32], slope: f32) {
    z.iter_mut().for_each(|v| *v = if *v < 0.0 { *v * slope } else { *v });
}

pub fn leaky_relu_backward(z: &[f32], dy: &mut [f32], slope: f32) {
    dy.iter_mut().zip(z).for_each(|(g, z)| *g = if *z < 0.0 { *g * slope } else { *g });
}
