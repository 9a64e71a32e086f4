//! The closed set of layers. Each family lives in its own file as a plain struct with
//! an explicit `forward` and `backward`; this file holds the `Layer` enum that
//! dispatches to them, the `LayerSpec` that describes a layer before it is built
//! (what `clone_model` and the model file carry), and the parameter type.
//!
//! A sequential CNN needs no general autograd tape: each layer keeps what its
//! backward pass needs from the last training-mode forward pass.

pub mod activation;
pub mod conv;
pub mod dense;
pub mod dropout;
pub mod norm;
pub mod pool;
pub mod reshape;

use crate::error::{fmt_shape, Error, Result};
use crate::rng::Rng;
use crate::tensor::{data, data_mut, shaped, standard, Tensor};

pub use activation::Activation;

/// A weight of a layer, in Keras' `get_weights()` order within the layer.
#[derive(Debug, Clone)]
pub struct Param {
    /// Keras' variable name within the layer: `kernel`, `bias`, `gamma`, `moving_mean`, ...
    pub name: &'static str,
    pub value: Tensor,
    /// Gradient from the last backward pass (only for parameters that got one).
    pub grad: Option<Tensor>,
    /// False for statistics that no optimizer updates (BN moving mean/variance).
    pub trainable: bool,
}

impl Param {
    fn new(name: &'static str, value: Tensor, trainable: bool) -> Param {
        Param { name, value, grad: None, trainable }
    }
}

/// `valid` (no padding) or `same` (output size `ceil(in / stride)`), as in Keras.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Valid,
    Same,
}

impl Padding {
    pub fn from_name(s: &str) -> Result<Padding> {
        match s {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            other => Err(Error::Config(format!("unsupported padding '{other}' (supported: valid, same)"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
        }
    }
}

/// Whether a forward pass is part of training (dropout active, BN batch statistics,
/// activations kept for backward) or inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Train,
    Infer,
}

/// The gradient handed to a layer's backward pass: with respect to its output, or
/// (for a fused, numerically stable loss such as sigmoid + binary cross-entropy)
/// already with respect to the input of its final activation.
pub enum Grad {
    Output(Tensor),
    PreActivation(Tensor),
}

/// A layer's description, before weights exist: Keras' layer config.
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    Conv2D {
        filters: usize,
        kernel_size: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
        activation: Activation,
        use_bias: bool,
    },
    MaxPooling2D {
        pool_size: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
    },
    AveragePooling2D {
        pool_size: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
    },
    GlobalAveragePooling2D,
    Flatten,
    Dense {
        units: usize,
        activation: Activation,
        use_bias: bool,
    },
    Dropout {
        rate: f32,
        seed: Option<u64>,
    },
    Activation {
        activation: Activation,
    },
    LeakyReLU {
        negative_slope: f32,
    },
    BatchNormalization {
        momentum: f32,
        epsilon: f32,
        center: bool,
        scale: bool,
    },
}

impl LayerSpec {
    /// Keras' class name.
    pub fn class_name(&self) -> &'static str {
        match self {
            LayerSpec::Conv2D { .. } => "Conv2D",
            LayerSpec::MaxPooling2D { .. } => "MaxPooling2D",
            LayerSpec::AveragePooling2D { .. } => "AveragePooling2D",
            LayerSpec::GlobalAveragePooling2D => "GlobalAveragePooling2D",
            LayerSpec::Flatten => "Flatten",
            LayerSpec::Dense { .. } => "Dense",
            LayerSpec::Dropout { .. } => "Dropout",
            LayerSpec::Activation { .. } => "Activation",
            LayerSpec::LeakyReLU { .. } => "LeakyReLU",
            LayerSpec::BatchNormalization { .. } => "BatchNormalization",
        }
    }

    /// Keras' default name stem (`conv2d`, `max_pooling2d`, ...), numbered per model family.
    pub fn name_stem(&self) -> &'static str {
        match self {
            LayerSpec::Conv2D { .. } => "conv2d",
            LayerSpec::MaxPooling2D { .. } => "max_pooling2d",
            LayerSpec::AveragePooling2D { .. } => "average_pooling2d",
            LayerSpec::GlobalAveragePooling2D => "global_average_pooling2d",
            LayerSpec::Flatten => "flatten",
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::Activation { .. } => "activation",
            LayerSpec::LeakyReLU { .. } => "leaky_re_lu",
            LayerSpec::BatchNormalization { .. } => "batch_normalization",
        }
    }

    /// Shorthands mirroring Keras' constructors with Keras' defaults.
    pub fn conv2d(filters: usize, kernel: usize, padding: Padding, activation: Activation) -> LayerSpec {
        LayerSpec::Conv2D {
            filters,
            kernel_size: (kernel, kernel),
            strides: (1, 1),
            padding,
            activation,
            use_bias: true,
        }
    }
    pub fn max_pool(pool: usize) -> LayerSpec {
        LayerSpec::MaxPooling2D { pool_size: (pool, pool), strides: (pool, pool), padding: Padding::Valid }
    }
    pub fn dense(units: usize, activation: Activation) -> LayerSpec {
        LayerSpec::Dense { units, activation, use_bias: true }
    }
    pub fn batch_norm() -> LayerSpec {
        LayerSpec::BatchNormalization { momentum: 0.99, epsilon: 1e-3, center: true, scale: true }
    }

    /// Checks the settings themselves (not the input shape).
    pub fn validate(&self) -> Result<()> {
        crate::limits::check_spec_dims(self)?;
        let bad = |what: String| Err(Error::Config(format!("{}: {what}", self.class_name())));
        match *self {
            LayerSpec::Conv2D { filters, kernel_size, strides, .. }
                if filters == 0 || kernel_size.0 == 0 || kernel_size.1 == 0 || strides.0 == 0 || strides.1 == 0 =>
            {
                return bad(format!(
                    "filters, kernel_size and strides must be positive (got {filters}, {kernel_size:?}, {strides:?})"
                ));
            }
            LayerSpec::MaxPooling2D { pool_size, strides, .. }
            | LayerSpec::AveragePooling2D { pool_size, strides, .. }
                if pool_size.0 == 0 || pool_size.1 == 0 || strides.0 == 0 || strides.1 == 0 =>
            {
                return bad(format!("pool_size and strides must be positive (got {pool_size:?}, {strides:?})"));
            }
            LayerSpec::Dense { units: 0, .. } => return bad("units must be positive".into()),
            LayerSpec::Dropout { rate, .. } if !(0.0..1.0).contains(&rate) => {
                return bad(format!("rate must be in [0, 1), got {rate}"))
            }
            LayerSpec::BatchNormalization { momentum, epsilon, .. }
                if !(0.0..=1.0).contains(&momentum) || epsilon <= 0.0 =>
            {
                return bad(format!("momentum must be in [0, 1] and epsilon positive (got {momentum}, {epsilon})"))
            }
            _ => {}
        }
        Ok(())
    }

    /// The per-example output shape for a per-example input shape, or an error that
    /// says why this layer cannot take that input.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.validate()?;
        let spatial = |what: &str| -> Result<(usize, usize, usize)> {
            match *input {
                [h, w, c] => Ok((h, w, c)),
                _ => Err(Error::Shape(format!(
                    "{} needs a 3-D input (height, width, channels) per example, got {}{what}",
                    self.class_name(),
                    fmt_shape(input, true)
                ))),
            }
        };
        let window = |h: usize, w: usize, k: (usize, usize), s: (usize, usize), p: Padding| -> Result<(usize, usize)> {
            let (oh, _) = crate::kernels::conv_geometry(h, k.0, s.0, p == Padding::Same);
            let (ow, _) = crate::kernels::conv_geometry(w, k.1, s.1, p == Padding::Same);
            if oh == 0 || ow == 0 {
                return Err(Error::Shape(format!(
                    "{}: a {}x{} window with 'valid' padding does not fit the {}x{} input",
                    self.class_name(),
                    k.0,
                    k.1,
                    h,
                    w
                )));
            }
            Ok((oh, ow))
        };
        Ok(match *self {
            LayerSpec::Conv2D { filters, kernel_size, strides, padding, .. } => {
                let (h, w, _) = spatial("")?;
                let (oh, ow) = window(h, w, kernel_size, strides, padding)?;
                vec![oh, ow, filters]
            }
            LayerSpec::MaxPooling2D { pool_size, strides, padding }
            | LayerSpec::AveragePooling2D { pool_size, strides, padding } => {
                let (h, w, c) = spatial("")?;
                let (oh, ow) = window(h, w, pool_size, strides, padding)?;
                vec![oh, ow, c]
            }
            LayerSpec::GlobalAveragePooling2D => {
                let (_, _, c) = spatial("")?;
                vec![c]
            }
            LayerSpec::Flatten => vec![input.iter().product()],
            LayerSpec::Dense { units, .. } => {
                if input.is_empty() {
                    return Err(Error::Shape("Dense needs at least a 1-D input per example".into()));
                }
                let mut s = input.to_vec();
                *s.last_mut().unwrap() = units;
                s
            }
            LayerSpec::BatchNormalization { .. } if input.is_empty() => {
                return Err(Error::Shape("BatchNormalization needs at least a 1-D input per example".into()))
            }
            LayerSpec::Dropout { .. }
            | LayerSpec::Activation { .. }
            | LayerSpec::LeakyReLU { .. }
            | LayerSpec::BatchNormalization { .. } => input.to_vec(),
        })
    }
}

/// A built layer: its settings plus its weights and whatever its backward pass needs.
#[derive(Debug, Clone)]
pub enum Layer {
    Conv2D(conv::Conv2D),
    Pool2D(pool::Pool2D),
    GlobalAveragePooling2D(pool::GlobalAveragePooling2D),
    Flatten(reshape::Flatten),
    Dense(dense::Dense),
    Dropout(dropout::Dropout),
    Activation(activation_layer::ActivationLayer),
    LeakyReLU(activation_layer::LeakyReLU),
    BatchNormalization(norm::BatchNormalization),
}

/// The standalone `Activation` and `LeakyReLU` layers.
pub mod activation_layer {
    use super::*;

    #[derive(Debug, Clone)]
    pub struct ActivationLayer {
        pub activation: Activation,
        y: Option<Tensor>,
        /// The input of the last forward pass for sigmoid/softmax (a loss's logits).
        pub logits: Option<Tensor>,
    }

    impl ActivationLayer {
        pub fn new(activation: Activation) -> Self {
            ActivationLayer { activation, y: None, logits: None }
        }

        pub fn forward(&mut self, x: Tensor, mode: Mode) -> Tensor {
            let last = *x.shape().last().unwrap_or(&1);
            let mut x = standard(x);
            self.logits = matches!(self.activation, Activation::Sigmoid | Activation::Softmax).then(|| x.clone());
            self.activation.forward(data_mut(&mut x), last);
            self.y = (mode == Mode::Train).then(|| x.clone());
            x
        }

        pub fn backward(&mut self, g: Grad) -> Result<Tensor> {
            match g {
                Grad::PreActivation(dz) => Ok(dz),
                Grad::Output(mut dy) => {
                    let y = self
                        .y
                        .as_ref()
                        .ok_or_else(|| Error::Config("Activation: backward without a training forward pass".into()))?;
                    let last = *y.shape().last().unwrap_or(&1);
                    self.activation.backward(data(y), data_mut(&mut dy), last);
                    Ok(dy)
                }
            }
        }
    }

    #[derive(Debug, Clone)]
    pub struct LeakyReLU {
        pub negative_slope: f32,
        x: Option<Tensor>,
    }

    impl LeakyReLU {
        pub fn new(negative_slope: f32) -> Self {
            LeakyReLU { negative_slope, x: None }
        }

        pub fn forward(&mut self, x: Tensor, mode: Mode) -> Tensor {
            let mut x = standard(x);
            self.x = (mode == Mode::Train).then(|| x.clone());
            activation::leaky_relu_forward(data_mut(&mut x), self.negative_slope);
            x
        }

        pub fn backward(&mut self, g: Grad) -> Result<Tensor> {
            let (Grad::Output(mut dy) | Grad::PreActivation(mut dy)) = g;
            let x = self
                .x
                .as_ref()
                .ok_or_else(|| Error::Config("LeakyReLU: backward without a training forward pass".into()))?;
            activation::leaky_relu_backward(data(x), data_mut(&mut dy), self.negative_slope);
            Ok(dy)
        }
    }
}

impl Layer {
    /// Builds a layer for a per-example input shape, initialising its weights as Keras
    /// does (glorot-uniform kernels, zero biases, BN gamma=1, beta=0, mean=0, var=1).
    pub fn build(spec: &LayerSpec, input: &[usize], rng: &mut Rng) -> Result<Layer> {
        crate::limits::check_layer(spec, input)?;
        Ok(match *spec {
            LayerSpec::Conv2D { filters, kernel_size, strides, padding, activation, use_bias } => Layer::Conv2D(
                conv::Conv2D::new(input[2], filters, kernel_size, strides, padding, activation, use_bias, rng),
            ),
            LayerSpec::MaxPooling2D { pool_size, strides, padding } => {
                Layer::Pool2D(pool::Pool2D::new(pool::PoolKind::Max, pool_size, strides, padding))
            }
            LayerSpec::AveragePooling2D { pool_size, strides, padding } => {
                Layer::Pool2D(pool::Pool2D::new(pool::PoolKind::Average, pool_size, strides, padding))
            }
            LayerSpec::GlobalAveragePooling2D => Layer::GlobalAveragePooling2D(pool::GlobalAveragePooling2D::default()),
            LayerSpec::Flatten => Layer::Flatten(reshape::Flatten::default()),
            LayerSpec::Dense { units, activation, use_bias } => {
                Layer::Dense(dense::Dense::new(*input.last().unwrap(), units, activation, use_bias, rng))
            }
            LayerSpec::Dropout { rate, seed } => {
                Layer::Dropout(dropout::Dropout::new(rate, seed.unwrap_or_else(|| rng.next_u64())))
            }
            LayerSpec::Activation { activation } => {
                Layer::Activation(activation_layer::ActivationLayer::new(activation))
            }
            LayerSpec::LeakyReLU { negative_slope } => {
                Layer::LeakyReLU(activation_layer::LeakyReLU::new(negative_slope))
            }
            LayerSpec::BatchNormalization { momentum, epsilon, center, scale } => Layer::BatchNormalization(
                norm::BatchNormalization::new(*input.last().unwrap(), momentum, epsilon, center, scale),
            ),
        })
    }

    /// The spec this layer was built from.
    pub fn spec(&self) -> LayerSpec {
        match self {
            Layer::Conv2D(l) => l.spec(),
            Layer::Pool2D(l) => l.spec(),
            Layer::GlobalAveragePooling2D(_) => LayerSpec::GlobalAveragePooling2D,
            Layer::Flatten(_) => LayerSpec::Flatten,
            Layer::Dense(l) => l.spec(),
            Layer::Dropout(l) => LayerSpec::Dropout { rate: l.rate, seed: l.seed },
            Layer::Activation(l) => LayerSpec::Activation { activation: l.activation },
            Layer::LeakyReLU(l) => LayerSpec::LeakyReLU { negative_slope: l.negative_slope },
            Layer::BatchNormalization(l) => l.spec(),
        }
    }

    pub fn params(&self) -> &[Param] {
        match self {
            Layer::Conv2D(l) => &l.params,
            Layer::Dense(l) => &l.params,
            Layer::BatchNormalization(l) => &l.params,
            _ => &[],
        }
    }

    pub fn params_mut(&mut self) -> &mut [Param] {
        match self {
            Layer::Conv2D(l) => &mut l.params,
            Layer::Dense(l) => &mut l.params,
            Layer::BatchNormalization(l) => &mut l.params,
            _ => &mut [],
        }
    }

    /// The activation applied at the end of this layer, if it has one (used to fuse
    /// the final activation with the loss).
    pub fn final_activation(&self) -> Option<Activation> {
        match self {
            Layer::Conv2D(l) => Some(l.activation),
            Layer::Dense(l) => Some(l.activation),
            Layer::Activation(l) => Some(l.activation),
            _ => None,
        }
    }

    /// The pre-activation of the last forward pass, when the layer ends in sigmoid or softmax.
    pub fn logits(&self) -> Option<&Tensor> {
        match self {
            Layer::Dense(l) => l.logits.as_ref(),
            Layer::Activation(l) => l.logits.as_ref(),
            _ => None,
        }
    }

    /// Whether the forward pass in training mode is random (so features cannot be cached).
    pub fn is_stochastic(&self) -> bool {
        matches!(self, Layer::Dropout(d) if d.rate > 0.0)
    }

    /// Forward pass on a batch. `frozen` tells BatchNormalization to run in inference
    /// mode even while training (Keras >= 2.1.3 semantics).
    pub fn forward(&mut self, x: Tensor, mode: Mode, frozen: bool) -> Result<Tensor> {
        Ok(match self {
            Layer::Conv2D(l) => l.forward(x, mode)?,
            Layer::Pool2D(l) => l.forward(x, mode)?,
            Layer::GlobalAveragePooling2D(l) => l.forward(x, mode)?,
            Layer::Flatten(l) => l.forward(x)?,
            Layer::Dense(l) => l.forward(x, mode)?,
            Layer::Dropout(l) => l.forward(x, mode),
            Layer::Activation(l) => l.forward(x, mode),
            Layer::LeakyReLU(l) => l.forward(x, mode),
            Layer::BatchNormalization(l) => l.forward(x, mode, mode == Mode::Train && !frozen)?,
        })
    }

    /// Backward pass: stores parameter gradients when `param_grads` is set and returns
    /// the gradient w.r.t. the layer's input when `need_dx` is set.
    pub fn backward(&mut self, g: Grad, need_dx: bool, param_grads: bool) -> Result<Option<Tensor>> {
        Ok(match self {
            Layer::Conv2D(l) => l.backward(g, need_dx, param_grads)?,
            Layer::Dense(l) => l.backward(g, need_dx, param_grads)?,
            Layer::BatchNormalization(l) => l.backward(g, need_dx, param_grads)?,
            Layer::Pool2D(l) => need_dx.then(|| l.backward(output_grad(g)?)).transpose()?,
            Layer::GlobalAveragePooling2D(l) => need_dx.then(|| l.backward(output_grad(g)?)).transpose()?,
            Layer::Flatten(l) => need_dx.then(|| l.backward(output_grad(g)?)).transpose()?,
            Layer::Dropout(l) => need_dx.then(|| l.backward(output_grad(g)?)).transpose()?,
            Layer::Activation(l) => Some(l.backward(g)?),
            Layer::LeakyReLU(l) => Some(l.backward(g)?),
        })
    }

    /// Drops activations kept for backward (after inference or to free memory).
    pub fn clear_cache(&mut self) {
        match self {
            Layer::Conv2D(l) => l.clear_cache(),
            Layer::Dense(l) => l.clear_cache(),
            Layer::BatchNormalization(l) => l.clear_cache(),
            Layer::Activation(l) => l.logits = None,
            _ => {}
        }
    }
}

fn output_grad(g: Grad) -> Result<Tensor> {
    match g {
        Grad::Output(t) => Ok(t),
        Grad::PreActivation(_) => {
            Err(Error::Config("a fused loss gradient reached a layer without an activation".into()))
        }
    }
}

/// Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)).
pub(crate) fn glorot_uniform(shape: &[usize], fan_in: usize, fan_out: usize, rng: &mut Rng) -> Tensor {
    let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n).map(|_| rng.uniform(-limit, limit)).collect();
    shaped(shape, data)
}

/// Reads `[N, d1, .., dk]` as `[N * d1 * .. * d(k-1), dk]` for layers that act on the last axis.
pub(crate) fn rows_and_last(shape: &[usize]) -> (usize, usize) {
    let last = *shape.last().unwrap_or(&1);
    let rows = shape.iter().product::<usize>().checked_div(last).unwrap_or(0);
    (rows, last)
}
