//! `GpuModel`: a GPU-resident copy of a `Sequential`, for training (compiled models)
//! and inference.
//!
//! Weights, gradients, optimizer state and every activation live in GPU buffers.
//! A training step is a fixed list of kernel dispatches (recorded once per batch
//! size: bind groups and parameter uniforms are built up front), encoded into ONE
//! command buffer and submitted; only the batch (and dropout masks) go up, nothing
//! comes back. Loss and accuracy sums accumulate on the GPU and are read back at
//! the end of an epoch (`take_metrics`). `read_state` brings the weights (BN moving
//! statistics included) and the optimizer state back for the `Sequential`, so a model
//! can move between the backends. The training loop over these steps is the shared
//! one ([`FitCursor`](crate::train::cursor::FitCursor)), stepped by
//! [`GpuFitSession`](super::fit::GpuFitSession).
//!
//! The layers are the `Sequential`'s own: each GPU layer keeps its [`LayerSpec`] (the
//! settings) and the buffers its kernels need, so a new layer kind cannot be missed here
//! (the `match`es over `LayerSpec` are exhaustive).
//!
//! Freezing follows the compile snapshot exactly as the CPU path: frozen layers run
//! forward only (BN in inference mode), no weight gradient is computed for them,
//! and back-propagation stops at the first trainable layer.
//!
//! # Buffers per layer
//! `out` `[max_batch, ..out_shape]` and `grad` (its gradient), aliased for `Flatten`;
//! conv layers keep their im2col matrix `cols` `[batch * out_h * out_w, kh * kw * cin]`
//! (reused for the input gradient), max pooling its argmax, BN its `xhat` and stats.

use std::collections::HashMap;
use std::rc::Rc;

use super::context::{gpu_err, GpuContext};
use super::kernels::{self as k, LossKind, OptimParams};
use super::ops::Op;
use crate::error::{Error, Result};
use crate::kernels::Window;
use crate::layers::{Activation, Layer, LayerSpec, Padding};
use crate::loss::Loss;
use crate::model::sequential::Evaluation;
use crate::model::{LayerRef, Sequential};
use crate::optim::OptimizerConfig;
use crate::tensor::{check_example_shape, check_finite, contiguous, row_range, Tensor};
use crate::train::step::StepSums;

/// What a recorded plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PlanKind {
    Train,
    Evaluate,
    Predict,
}

/// A parameter on the GPU, in `Layer::params()` order.
struct GParam {
    value: wgpu::Buffer,
    grad: wgpu::Buffer,
    len: usize,
    /// Optimizer state (velocity; or Adam's m, v) when the optimizer owns it.
    state: Vec<wgpu::Buffer>,
}

/// Buffers a layer's kernels need besides its activations and parameters.
#[derive(Default)]
struct Scratch {
    /// Conv2D: the im2col matrix, reused for the input gradient.
    cols: Option<wgpu::Buffer>,
    /// Pooling: the argmax of each output (max pooling; bound but unused by average pooling).
    argmax: Option<wgpu::Buffer>,
    /// Dropout: this step's mask, drawn on the CPU by the layer itself (its seeded stream).
    mask: Option<(wgpu::Buffer, LayerRef)>,
    bn: Option<BnBuffers>,
}

/// BatchNormalization's buffers: gamma and beta (ones and zeros where the layer has none),
/// their gradients, the positions of the moving statistics among the parameters, the
/// normalisation statistics `[mean | inv_std]` and the normalised input.
struct BnBuffers {
    gamma: wgpu::Buffer,
    beta: wgpu::Buffer,
    grads: (wgpu::Buffer, wgpu::Buffer),
    moving: (usize, usize),
    stats: wgpu::Buffer,
    xhat: wgpu::Buffer,
}

impl Scratch {
    fn cols(&self) -> &wgpu::Buffer {
        self.cols.as_ref().expect("a Conv2D layer has its im2col buffer")
    }
    fn argmax(&self) -> &wgpu::Buffer {
        self.argmax.as_ref().expect("a pooling layer has its argmax buffer")
    }
    fn mask(&self) -> &wgpu::Buffer {
        &self.mask.as_ref().expect("a Dropout layer has its mask buffer").0
    }
    fn bn(&self) -> &BnBuffers {
        self.bn.as_ref().expect("a BatchNormalization layer has its buffers")
    }
}

struct GLayer {
    spec: LayerSpec,
    in_shape: Vec<usize>,
    out_shape: Vec<usize>,
    out: wgpu::Buffer,
    grad: wgpu::Buffer,
    params: Vec<GParam>,
    frozen: bool,
    scratch: Scratch,
}

impl GLayer {
    fn window(&self, batch: usize) -> Window {
        window(&self.spec, &self.in_shape, batch).expect("only convolution and pooling layers have a window")
    }
}

/// A `Sequential` resident on the GPU.
pub struct GpuModel {
    ctx: Rc<GpuContext>,
    layers: Vec<GLayer>,
    input_shape: Vec<usize>,
    max_batch: usize,
    loss: Loss,
    fused: bool,
    optimizer: OptimizerConfig,
    /// `(layer, param)` of every optimizer slot, from the compile snapshot.
    slots: Vec<(usize, usize)>,
    first_trainable: Option<usize>,
    step: i32,
    x: wgpu::Buffer,
    y: wgpu::Buffer,
    y_per_example: usize,
    row_loss: wgpu::Buffer,
    row_correct: wgpu::Buffer,
    /// `[loss_sum, correct, diverged]` of the training steps since the last `take_metrics`.
    acc_train: wgpu::Buffer,
    acc_eval: wgpu::Buffer,
    optim_params: wgpu::Buffer,
    dummy: wgpu::Buffer,
    /// Whether the model was compiled; if not, `loss` and `optimizer` are placeholders
    /// and only `predict` is allowed (training and evaluating fail as on the CPU).
    compiled: bool,
    /// Recorded ops by (batch, kind, first layer, end layer).
    plans: HashMap<(usize, PlanKind, usize, usize), Vec<Op>>,
    /// Examples and counted predictions since the last `take_metrics`.
    seen: usize,
    counted: usize,
}

fn prod(s: &[usize]) -> usize {
    s.iter().product()
}

/// The most values one GPU buffer may hold (WebGPU's default storage-binding limit,
/// which is what the device is opened with).
fn buffer_limit() -> usize {
    wgpu::Limits::default().max_storage_buffer_binding_size as usize / 4
}

/// The window of a convolution or pooling layer over its input, for a batch.
fn window(spec: &LayerSpec, in_shape: &[usize], batch: usize) -> Option<Window> {
    let (k, strides, padding) = match *spec {
        LayerSpec::Conv2D { kernel_size, strides, padding, .. } => (kernel_size, strides, padding),
        LayerSpec::MaxPooling2D { pool_size, strides, padding }
        | LayerSpec::AveragePooling2D { pool_size, strides, padding } => (pool_size, strides, padding),
        _ => return None,
    };
    Some(Window::new(batch, in_shape[0], in_shape[1], in_shape[2], k, strides, padding == Padding::Same))
}

/// Values in a layer's two largest buffers for a batch: its activation and, for a conv
/// layer, its im2col matrix (else 0). Both grow linearly with the batch.
fn buffer_values(spec: &LayerSpec, in_shape: &[usize], out_shape: &[usize], batch: usize) -> (usize, usize) {
    let cols = match spec {
        LayerSpec::Conv2D { .. } => window(spec, in_shape, batch).map_or(0, |w| w.rows() * w.cols()),
        _ => 0,
    };
    (batch * prod(out_shape), cols)
}

fn not_compiled() -> Error {
    Error::NotCompiled("call compile(loss, optimizer) before fit or evaluate".into())
}

impl GpuModel {
    /// Uploads a model (weights, and a compiled model's optimizer state) for batches of
    /// at most `max_batch` examples. An uncompiled model can predict, as in Keras, but
    /// not train or evaluate (that fails as on the CPU).
    pub fn new(ctx: Rc<GpuContext>, model: &Sequential, max_batch: usize) -> Result<GpuModel> {
        ctx.check_alive()?;
        let compiled = model.compiled().ok();
        let max_batch = max_batch.max(1);
        let state = model.optimizer_state();
        let n_slots = compiled.map_or(0, |c| c.slots.len());
        let mut layers = Vec::new();
        let limit = buffer_limit();
        for (i, l) in model.layers().iter().enumerate() {
            let node = l.borrow();
            let spec = node.layer.spec();
            let in_shape = node.input_shape.clone();
            let out_shape = node.output_shape.clone();
            let (out_len, cols_len) = buffer_values(&spec, &in_shape, &out_shape, max_batch);
            if out_len > limit {
                return Err(gpu_err(format!("layer {i} '{}': a batch of {max_batch} needs {out_len} values, more than one GPU buffer holds; use a smaller batch", node.name)));
            }
            if cols_len > limit {
                return Err(gpu_err(format!("layer {i} '{}': the im2col matrix of a batch of {max_batch} is larger than one GPU buffer; use a smaller batch", node.name)));
            }
            let frozen = compiled.is_none_or(|c| !c.trainable[i]);
            let mut params = Vec::new();
            for (j, p) in node.layer.params().iter().enumerate() {
                let data = contiguous(&p.value);
                let mut st = Vec::new();
                if let Some((s, c)) = compiled.and_then(|c| Some((c.slots.iter().position(|&s| s == (i, j))?, c))) {
                    let parts = match c.optimizer_config {
                        OptimizerConfig::Sgd { momentum, .. } if momentum > 0.0 => vec![s],
                        OptimizerConfig::Sgd { .. } => vec![],
                        OptimizerConfig::Adam { .. } => vec![s, n_slots + s],
                    };
                    for idx in parts {
                        match state.get(idx) {
                            Some(v) if v.len() == data.len() => st.push(ctx.upload("optimizer state", v)),
                            _ => st.push(ctx.zeros("optimizer state", data.len())),
                        }
                    }
                }
                params.push(GParam {
                    value: ctx.upload(p.name, &data),
                    grad: ctx.zeros("grad", data.len()),
                    len: data.len(),
                    state: st,
                });
            }
            let (out, grad) = match (&spec, layers.last()) {
                (LayerSpec::Flatten, Some(prev)) => {
                    let prev: &GLayer = prev;
                    (prev.out.clone(), prev.grad.clone())
                }
                _ => (ctx.zeros("activation", out_len), ctx.zeros("activation grad", out_len)),
            };
            let mut scratch = Scratch::default();
            match spec {
                LayerSpec::Conv2D { .. } => scratch.cols = Some(ctx.zeros("im2col", cols_len)),
                LayerSpec::MaxPooling2D { .. } | LayerSpec::AveragePooling2D { .. } => {
                    scratch.argmax = Some(ctx.zeros("argmax", out_len))
                }
                LayerSpec::Dropout { .. } => scratch.mask = Some((ctx.zeros("dropout mask", out_len), l.clone())),
                LayerSpec::BatchNormalization { .. } => {
                    let c = *in_shape.last().unwrap_or(&1);
                    let pos = |name: &str| node.layer.params().iter().position(|p| p.name == name);
                    scratch.bn = Some(BnBuffers {
                        gamma: pos("gamma")
                            .map_or_else(|| ctx.upload("gamma=1", &vec![1.0; c]), |j| params[j].value.clone()),
                        beta: pos("beta").map_or_else(|| ctx.zeros("beta=0", c), |j| params[j].value.clone()),
                        grads: (
                            pos("gamma").map_or_else(|| ctx.zeros("dgamma", c), |j| params[j].grad.clone()),
                            pos("beta").map_or_else(|| ctx.zeros("dbeta", c), |j| params[j].grad.clone()),
                        ),
                        moving: (
                            pos("moving_mean").expect("BN has a moving mean"),
                            pos("moving_variance").expect("BN has a moving variance"),
                        ),
                        stats: ctx.zeros("bn stats", 2 * c),
                        xhat: ctx.zeros("xhat", out_len),
                    });
                }
                LayerSpec::Dense { .. }
                | LayerSpec::GlobalAveragePooling2D
                | LayerSpec::Flatten
                | LayerSpec::Activation { .. }
                | LayerSpec::LeakyReLU { .. } => {}
            }
            layers.push(GLayer { spec, in_shape, out_shape, out, grad, params, frozen, scratch });
        }
        let out_shape = model.output_shape();
        let last = *out_shape.last().unwrap_or(&1);
        let rows_per_example = prod(&out_shape) / last.max(1);
        // Placeholders for an uncompiled model: never used, it cannot train or evaluate.
        let (loss, optimizer) =
            compiled.map_or((Loss::MeanSquaredError, OptimizerConfig::sgd(0.0)), |c| (c.loss, c.optimizer_config));
        let y_per_example =
            if loss == Loss::SparseCategoricalCrossentropy { rows_per_example } else { prod(&out_shape) };
        let fused = compiled.is_some()
            && loss.fuses_with(model.layers().last().and_then(|l| l.borrow().layer.final_activation()));
        let in_len = max_batch * prod(model.input_shape());
        Ok(GpuModel {
            x: ctx.zeros("x", in_len),
            y: ctx.zeros("y", max_batch * y_per_example),
            y_per_example,
            row_loss: ctx.zeros("row loss", max_batch * rows_per_example),
            row_correct: ctx.zeros("row correct", max_batch * rows_per_example),
            acc_train: ctx.zeros("train metrics", 3),
            acc_eval: ctx.zeros("eval metrics", 3),
            optim_params: k::uniform(&ctx, &OptimParams::default()),
            dummy: ctx.zeros("unused", 1),
            layers,
            input_shape: model.input_shape().to_vec(),
            max_batch,
            loss,
            fused,
            optimizer,
            slots: compiled.map_or_else(Vec::new, |c| c.slots.clone()),
            first_trainable: compiled.and_then(|c| c.first_trainable),
            compiled: compiled.is_some(),
            step: model.optimizer_steps(),
            plans: HashMap::new(),
            seen: 0,
            counted: 0,
            ctx,
        })
    }

    pub fn context(&self) -> &Rc<GpuContext> {
        &self.ctx
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// The largest batch, at most `want`, for which `model`'s buffers each fit in one GPU
    /// buffer: the batch to predict or evaluate with, where the batch only groups the
    /// work (every example's result is the same whatever the batch).
    pub fn largest_batch(model: &Sequential, want: usize) -> usize {
        let per_example = model
            .layers()
            .iter()
            .map(|l| {
                let node = l.borrow();
                let (out, cols) = buffer_values(&node.layer.spec(), &node.input_shape, &node.output_shape, 1);
                out.max(cols)
            })
            .fold(prod(model.input_shape()), usize::max)
            .max(1);
        want.clamp(1, (buffer_limit() / per_example).max(1))
    }

    /// The buffer that feeds layer `i` (for `i > 0` the previous layer's output, which
    /// is also where cached features of a frozen base are uploaded).
    fn input_of(&self, i: usize) -> &wgpu::Buffer {
        if i == 0 {
            &self.x
        } else {
            &self.layers[i - 1].out
        }
    }

    /// Per-example shape entering layer `i`.
    fn shape_into(&self, i: usize) -> &[usize] {
        if i == 0 {
            &self.input_shape
        } else {
            &self.layers[i - 1].out_shape
        }
    }

    /// Records the ops of one pass over layers `from..to` for `batch`: forward, and for
    /// Train/Evaluate (where `to` is the last layer) the loss, and for Train backward
    /// (down to the first trainable layer) and the optimizer updates.
    fn record(&self, batch: usize, plan: PlanKind, from: usize, to: usize) -> Vec<Op> {
        let mut ops = Vec::new();
        for i in from..to {
            self.record_forward(&mut ops, i, batch, plan);
        }
        if plan == PlanKind::Predict {
            return ops;
        }
        self.record_loss(&mut ops, batch, plan == PlanKind::Train);
        if plan == PlanKind::Train {
            if let Some(first) = self.first_trainable {
                let first = first.max(from);
                for i in (first..self.layers.len()).rev() {
                    self.record_backward(&mut ops, i, first, batch);
                }
                self.record_updates(&mut ops);
            }
        }
        ops
    }

    /// Layer `i`'s forward pass: `input_of(i)` -> `layers[i].out`.
    fn record_forward(&self, ops: &mut Vec<Op>, i: usize, batch: usize, plan: PlanKind) {
        let ctx = &*self.ctx;
        let l = &self.layers[i];
        let input = self.input_of(i);
        let out_len = batch * prod(&l.out_shape);
        let n_layers = self.layers.len();
        // With a fused loss the last layer's activation is left to the loss kernel.
        let skip_act = plan != PlanKind::Predict && self.fused && i == n_layers - 1;
        let copy_in = || Op::Copy { src: input.clone(), dst: l.out.clone(), bytes: (out_len * 4) as u64 };
        match l.spec {
            LayerSpec::Conv2D { filters, activation, use_bias, .. } => {
                let (w, cols) = (l.window(batch), l.scratch.cols());
                ops.push(k::im2col(ctx, &w, input, cols));
                // [rows, kc] x [kc, filters] -> [batch, out_h, out_w, filters]
                ops.extend(k::gemm(
                    ctx,
                    w.rows(),
                    w.cols(),
                    filters,
                    cols,
                    false,
                    &l.params[0].value,
                    false,
                    &l.out,
                    false,
                ));
                self.record_activation(
                    ops,
                    l,
                    out_len,
                    activation,
                    filters,
                    use_bias.then(|| &l.params[1].value),
                    skip_act,
                );
            }
            LayerSpec::Dense { units, activation, use_bias } => {
                let inf = *l.in_shape.last().unwrap();
                // [rows, in] x [in, units] -> [rows, units]
                ops.extend(k::gemm(
                    ctx,
                    batch * prod(&l.in_shape) / inf,
                    inf,
                    units,
                    input,
                    false,
                    &l.params[0].value,
                    false,
                    &l.out,
                    false,
                ));
                self.record_activation(
                    ops,
                    l,
                    out_len,
                    activation,
                    units,
                    use_bias.then(|| &l.params[1].value),
                    skip_act,
                );
            }
            LayerSpec::MaxPooling2D { .. } | LayerSpec::AveragePooling2D { .. } => {
                let max = matches!(l.spec, LayerSpec::MaxPooling2D { .. });
                ops.push(k::pool(ctx, &l.window(batch), max, input, &l.out, l.scratch.argmax()));
            }
            LayerSpec::GlobalAveragePooling2D => {
                let s = &l.in_shape;
                ops.push(k::global_avg_pool(ctx, batch, s[0] * s[1], s[2], input, &l.out));
            }
            // Flatten aliases its input's buffers, except as the first layer.
            LayerSpec::Flatten if i == 0 => ops.push(copy_in()),
            LayerSpec::Flatten => {}
            LayerSpec::Dropout { rate, .. } => {
                ops.push(copy_in());
                if plan == PlanKind::Train && rate > 0.0 {
                    ops.push(k::dropout(ctx, out_len, l.scratch.mask(), &l.out));
                }
            }
            LayerSpec::Activation { activation } => {
                ops.push(copy_in());
                self.record_activation(ops, l, out_len, activation, *l.out_shape.last().unwrap(), None, skip_act);
            }
            LayerSpec::LeakyReLU { negative_slope } => {
                ops.push(copy_in());
                ops.push(k::bias_activation(
                    ctx,
                    out_len,
                    1,
                    k::ACT_LEAKY_RELU,
                    negative_slope,
                    None,
                    &self.dummy,
                    &l.out,
                ));
            }
            LayerSpec::BatchNormalization { momentum, epsilon, .. } => {
                let bn = l.scratch.bn();
                // Batch statistics (and moving-statistics updates) only where training
                // reaches: trainable layers from the first one back-propagation visits.
                let use_batch = plan == PlanKind::Train && self.first_trainable.is_some_and(|f| i >= f) && !l.frozen;
                let channels = *l.out_shape.last().unwrap();
                let rows = out_len / channels;
                let (mm, mv) = (&l.params[bn.moving.0].value, &l.params[bn.moving.1].value);
                ops.push(k::batch_norm_stats(
                    ctx, rows, channels, use_batch, use_batch, momentum, epsilon, input, mm, mv, &bn.stats,
                ));
                ops.push(k::batch_norm(ctx, rows, channels, input, &bn.gamma, &bn.beta, &bn.stats, &l.out, &bn.xhat));
            }
        }
    }

    /// In place on `l.out`: `act(v + bias)` (only the bias when `skip_act`).
    #[allow(clippy::too_many_arguments)]
    fn record_activation(
        &self,
        ops: &mut Vec<Op>,
        l: &GLayer,
        count: usize,
        act: Activation,
        cols: usize,
        bias: Option<&wgpu::Buffer>,
        skip_act: bool,
    ) {
        let ctx = &*self.ctx;
        let code = if skip_act { 0 } else { k::act_code(act) };
        if code != 0 || bias.is_some() {
            ops.push(k::bias_activation(ctx, count, cols, code, 0.0, bias, &self.dummy, &l.out));
        }
        if act == Activation::Softmax && !skip_act {
            ops.push(k::softmax(ctx, count / cols, cols, &l.out));
        }
    }

    /// The loss of the last layer's output against `y`: per-row losses and correct
    /// counts, the output gradient, and their running sums (training or evaluation).
    fn record_loss(&self, ops: &mut Vec<Op>, batch: usize, train: bool) {
        let ctx = &*self.ctx;
        let last = self.layers.last().unwrap();
        let last_dim = *last.out_shape.last().unwrap_or(&1);
        let rows = batch * prod(&last.out_shape) / last_dim;
        let kind = match self.loss {
            Loss::BinaryCrossentropy => LossKind::BinaryCrossentropy,
            Loss::SparseCategoricalCrossentropy => LossKind::SparseCategoricalCrossentropy,
            Loss::CategoricalCrossentropy => LossKind::CategoricalCrossentropy,
            Loss::MeanSquaredError => LossKind::MeanSquaredError,
        };
        ops.push(k::loss(
            ctx,
            kind,
            self.fused,
            rows,
            last_dim,
            batch,
            &last.out,
            &self.y,
            &last.grad,
            &self.row_loss,
            &self.row_correct,
        ));
        let acc = if train { &self.acc_train } else { &self.acc_eval };
        ops.push(k::loss_accumulate(ctx, rows, &self.row_loss, &self.row_correct, acc));
    }

    /// Layer `i`'s backward pass: from `layers[i].grad`, its weight gradients (unless
    /// frozen) and, above layer `first`, the gradient of its input (`layers[i - 1].grad`).
    fn record_backward(&self, ops: &mut Vec<Op>, i: usize, first: usize, batch: usize) {
        let ctx = &*self.ctx;
        let l = &self.layers[i];
        let dx = (i > first).then(|| &self.layers[i - 1].grad);
        let input = self.input_of(i);
        let in_len = batch * prod(&l.in_shape);
        let out_len = batch * prod(&l.out_shape);
        let g = &l.grad;
        // The fused loss already gave the gradient w.r.t. the last pre-activation.
        let pre_act = self.fused && i == self.layers.len() - 1;
        let copy_down = |ops: &mut Vec<Op>, dx: &wgpu::Buffer| {
            ops.push(Op::Copy { src: g.clone(), dst: dx.clone(), bytes: (in_len * 4) as u64 })
        };
        match l.spec {
            LayerSpec::Conv2D { filters, activation, use_bias, .. } => {
                let (w, cols) = (l.window(batch), l.scratch.cols());
                self.record_activation_backward(ops, l, out_len, activation, filters, g, pre_act);
                // The gradient of the columns overwrites them, then is scattered back.
                self.record_linear_backward(ops, l, cols, (w.rows(), w.cols(), filters), use_bias, dx.map(|_| cols));
                if let Some(dx) = dx {
                    ops.push(k::col2im(ctx, &w, cols, dx));
                }
            }
            LayerSpec::Dense { units, activation, use_bias } => {
                let inf = *l.in_shape.last().unwrap();
                self.record_activation_backward(ops, l, out_len, activation, units, g, pre_act);
                self.record_linear_backward(ops, l, input, (in_len / inf, inf, units), use_bias, dx);
            }
            LayerSpec::MaxPooling2D { .. } | LayerSpec::AveragePooling2D { .. } => {
                if let Some(dx) = dx {
                    let max = matches!(l.spec, LayerSpec::MaxPooling2D { .. });
                    ops.push(k::pool_backward(ctx, &l.window(batch), max, g, l.scratch.argmax(), dx));
                }
            }
            LayerSpec::GlobalAveragePooling2D => {
                if let Some(dx) = dx {
                    let s = &l.in_shape;
                    ops.push(k::global_avg_pool_backward(ctx, batch, s[0] * s[1], s[2], g, dx));
                }
            }
            // Aliased: its gradient is its input's.
            LayerSpec::Flatten => {}
            LayerSpec::Dropout { rate, .. } => {
                if let Some(dx) = dx {
                    copy_down(ops, dx);
                    if rate > 0.0 {
                        ops.push(k::dropout(ctx, in_len, l.scratch.mask(), dx));
                    }
                }
            }
            LayerSpec::Activation { activation } => {
                if let Some(dx) = dx {
                    copy_down(ops, dx);
                    self.record_activation_backward(
                        ops,
                        l,
                        out_len,
                        activation,
                        *l.out_shape.last().unwrap(),
                        dx,
                        pre_act,
                    );
                }
            }
            LayerSpec::LeakyReLU { negative_slope } => {
                if let Some(dx) = dx {
                    copy_down(ops, dx);
                    ops.push(k::activation_backward(ctx, out_len, k::ACT_LEAKY_RELU, negative_slope, &l.out, dx));
                }
            }
            LayerSpec::BatchNormalization { .. } => {
                let bn = l.scratch.bn();
                let channels = *l.out_shape.last().unwrap();
                let (dgamma, dbeta) = &bn.grads;
                // (Always the gradients of gamma and beta: cheap, and unused when frozen.)
                ops.extend(k::batch_norm_backward(
                    ctx,
                    out_len / channels,
                    channels,
                    !l.frozen,
                    g,
                    &bn.xhat,
                    &bn.gamma,
                    &bn.stats,
                    dgamma,
                    dbeta,
                    dx,
                ));
            }
        }
    }

    /// The backward pass of `out = a w (+ bias)`, `a` `[rows, inner]`, `w` `[inner, cols]`,
    /// from `l.grad` (the gradient of the pre-activation): `dw` and `dbias` unless the layer
    /// is frozen, then `da` `[rows, inner]` when asked (it may be `a` itself: read first).
    fn record_linear_backward(
        &self,
        ops: &mut Vec<Op>,
        l: &GLayer,
        a: &wgpu::Buffer,
        (rows, inner, cols): (usize, usize, usize),
        bias: bool,
        da: Option<&wgpu::Buffer>,
    ) {
        let (ctx, g) = (&*self.ctx, &l.grad);
        if !l.frozen {
            // dw [inner, cols] = a^T [inner, rows] x g [rows, cols]
            ops.extend(k::gemm(ctx, inner, rows, cols, a, true, g, false, &l.params[0].grad, false));
            if bias {
                ops.push(k::bias_grad(ctx, rows, cols, g, &l.params[1].grad));
            }
        }
        if let Some(da) = da {
            // da [rows, inner] = g [rows, cols] x w^T
            ops.extend(k::gemm(ctx, rows, cols, inner, g, false, &l.params[0].value, true, da, false));
        }
    }

    /// In place on `dy`: `dy *= act'(out)` (nothing where the fused loss already did it).
    #[allow(clippy::too_many_arguments)]
    fn record_activation_backward(
        &self,
        ops: &mut Vec<Op>,
        l: &GLayer,
        count: usize,
        act: Activation,
        cols: usize,
        dy: &wgpu::Buffer,
        pre_act: bool,
    ) {
        if pre_act {
            return;
        }
        let ctx = &*self.ctx;
        match act {
            Activation::Softmax => ops.push(k::softmax_backward(ctx, count / cols, cols, &l.out, dy)),
            Activation::Linear => {}
            a => ops.push(k::activation_backward(ctx, count, k::act_code(a), 0.0, &l.out, dy)),
        }
    }

    /// Every gradient checked for NaN/infinity (a sticky flag then stops all of this
    /// step's updates), then the optimizer updates (one shared uniform, rewritten before
    /// each step).
    fn record_updates(&self, ops: &mut Vec<Op>) {
        let ctx = &*self.ctx;
        for &(li, pi) in &self.slots {
            let p = &self.layers[li].params[pi];
            ops.push(k::grad_check(ctx, p.len, &p.grad, &self.acc_train));
        }
        for &(li, pi) in &self.slots {
            let p = &self.layers[li].params[pi];
            ops.push(match self.optimizer {
                OptimizerConfig::Sgd { .. } => k::sgd(
                    ctx,
                    &self.optim_params,
                    p.len,
                    &p.value,
                    &p.grad,
                    p.state.first().unwrap_or(&self.dummy),
                    &self.acc_train,
                ),
                OptimizerConfig::Adam { .. } => k::adam(
                    ctx,
                    &self.optim_params,
                    p.len,
                    &p.value,
                    &p.grad,
                    &p.state[0],
                    &p.state[1],
                    &self.acc_train,
                ),
            });
        }
    }

    fn plan(&mut self, batch: usize, kind: PlanKind, from: usize, to: usize) -> &[Op] {
        let key = (batch, kind, from, to);
        if !self.plans.contains_key(&key) {
            let ops = self.record(batch, kind, from, to);
            self.plans.insert(key, ops);
        }
        &self.plans[&key]
    }

    /// Uploads a batch entering layer `from` (the model input for 0, else features).
    fn upload_batch(&self, from: usize, x: &Tensor, y: Option<&Tensor>) -> Result<usize> {
        let expected = self.shape_into(from);
        if x.ndim() == 0 || x.shape()[1..] != expected[..] {
            return Err(Error::Shape(format!(
                "GPU model: expected input of per-example shape {:?}, got {:?}",
                expected,
                x.shape()
            )));
        }
        let batch = x.shape()[0];
        if batch == 0 || batch > self.max_batch {
            return Err(Error::Shape(format!("GPU model: batches of 1..={} examples, got {batch}", self.max_batch)));
        }
        self.ctx.write(self.input_of(from), &contiguous(x));
        if let Some(y) = y {
            let ys = contiguous(y);
            if ys.len() != batch * self.y_per_example {
                return Err(Error::Data(format!(
                    "GPU model: {batch} examples need {} target values, got {}",
                    batch * self.y_per_example,
                    ys.len()
                )));
            }
            self.ctx.write(&self.y, &ys);
        }
        Ok(batch)
    }

    fn predictions_counted(&self, batch: usize) -> usize {
        let out = &self.layers.last().unwrap().out_shape;
        let last = *out.last().unwrap_or(&1);
        let p_len = batch * prod(out);
        match self.loss {
            Loss::BinaryCrossentropy => p_len,
            Loss::MeanSquaredError if last == 1 => p_len,
            _ => p_len / last.max(1),
        }
    }

    /// One training step on a batch entering at layer `from` (the input for 0, else the
    /// features of a frozen base): uploads `x`, `y` (and dropout masks), then submits
    /// forward, loss, backward and the optimizer update as one command buffer. Returns
    /// without waiting for the GPU.
    pub(crate) fn train_step_from(&mut self, from: usize, x: &Tensor, y: &Tensor) -> Result<()> {
        if !self.compiled {
            return Err(not_compiled());
        }
        self.ctx.check_alive()?;
        let batch = self.upload_batch(from, x, Some(y))?;
        for l in &self.layers {
            if let (LayerSpec::Dropout { rate, .. }, Some((mask, layer))) = (&l.spec, &l.scratch.mask) {
                if *rate > 0.0 {
                    let Layer::Dropout(d) = &mut layer.borrow_mut().layer else {
                        unreachable!("a Dropout spec is a Dropout layer")
                    };
                    self.ctx.write(mask, &d.draw_mask(batch * prod(&l.out_shape)));
                }
            }
        }
        self.step += 1;
        let p = match self.optimizer {
            OptimizerConfig::Sgd { learning_rate, momentum, nesterov } => {
                OptimParams { learning_rate, momentum, nesterov: nesterov as u32, ..Default::default() }
            }
            OptimizerConfig::Adam { learning_rate, beta_1, beta_2, epsilon } => {
                let t = self.step;
                let alpha = learning_rate * (1.0 - beta_2.powi(t)).sqrt() / (1.0 - beta_1.powi(t));
                OptimParams { learning_rate, alpha, beta_1, beta_2, epsilon, ..Default::default() }
            }
        };
        self.ctx.queue.write_buffer(&self.optim_params, 0, bytemuck::bytes_of(&p));
        self.seen += batch;
        self.counted += self.predictions_counted(batch);
        let ctx = self.ctx.clone();
        let to = self.layers.len();
        ctx.run(self.plan(batch, PlanKind::Train, from, to));
        Ok(())
    }

    /// The sums of the training steps since the last call (one readback), resetting
    /// them. Fails if a step's loss was NaN or infinite: no update was applied from that
    /// step on (the GPU checks every step).
    pub async fn take_metrics(&mut self) -> Result<StepSums> {
        let acc = self.ctx.read(&self.acc_train, 3).await?;
        self.ctx.run(&[Op::Clear { buf: self.acc_train.clone() }]);
        let counted = self.counted;
        self.seen = 0;
        self.counted = 0;
        if acc[2] != 0.0 || !acc[0].is_finite() {
            return Err(Error::Diverged(
                "the loss or a gradient became NaN or infinite on the GPU; no update was applied from that step on. Try a smaller learning rate.".into(),
            ));
        }
        Ok(StepSums { loss_sum: acc[0] as f64, correct: acc[1].round() as usize, counted })
    }

    /// The training sums since the last `take_metrics` without resetting them, and the
    /// examples they are over (one readback; for checkpoints).
    pub(crate) async fn peek_metrics(&self) -> Result<(StepSums, usize)> {
        let acc = self.ctx.read(&self.acc_train, 3).await?;
        Ok((StepSums { loss_sum: acc[0] as f64, correct: acc[1].round() as usize, counted: self.counted }, self.seen))
    }

    /// `model.evaluate` on the GPU: mean loss and accuracy in inference mode. The inputs
    /// are checked as on the CPU (same errors).
    pub async fn evaluate(&mut self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Evaluation> {
        check_example_shape(x, &self.input_shape, "evaluate")?;
        check_finite(x, "evaluate")?;
        if !self.compiled {
            return Err(not_compiled());
        }
        let n = x.shape()[0];
        if n == 0 {
            return Err(Error::Data("evaluate: no examples".into()));
        }
        let out = self.layers.last().map_or_else(|| self.input_shape.clone(), |l| l.out_shape.clone());
        self.loss.check_targets(y, n, &out)?;
        self.evaluate_from(0, x, y, batch_size).await
    }

    /// Evaluation of a batch entering at layer `from`.
    pub(crate) async fn evaluate_from(
        &mut self,
        from: usize,
        x: &Tensor,
        y: &Tensor,
        batch_size: usize,
    ) -> Result<Evaluation> {
        if !self.compiled {
            return Err(not_compiled());
        }
        self.ctx.check_alive()?;
        let n = x.shape().first().copied().unwrap_or(0);
        if n == 0 {
            return Err(Error::Data("evaluate: no examples".into()));
        }
        let bs = batch_size.clamp(1, self.max_batch);
        self.ctx.run(&[Op::Clear { buf: self.acc_eval.clone() }]);
        let mut counted = 0;
        for start in (0..n).step_by(bs) {
            let rows = start..(start + bs).min(n);
            let batch = self.upload_batch(from, &row_range(x, rows.clone()), Some(&row_range(y, rows)))?;
            counted += self.predictions_counted(batch);
            let ctx = self.ctx.clone();
            let to = self.layers.len();
            ctx.run(self.plan(batch, PlanKind::Evaluate, from, to));
        }
        let acc = self.ctx.read(&self.acc_eval, 3).await?;
        Ok(Evaluation { loss: acc[0] as f64 / n as f64, accuracy: acc[1] as f64 / counted.max(1) as f64 })
    }

    /// `model.predict` on the GPU (inference mode). The input is checked as on the CPU.
    pub async fn predict(&mut self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        check_example_shape(x, &self.input_shape, "predict")?;
        check_finite(x, "predict")?;
        let to = self.layers.len();
        self.forward_range(0, to, x, batch_size).await
    }

    /// Inference-mode outputs of layers `from..to` (`to > from`) for inputs entering at `from`.
    pub(crate) async fn forward_range(
        &mut self,
        from: usize,
        to: usize,
        x: &Tensor,
        batch_size: usize,
    ) -> Result<Tensor> {
        self.ctx.check_alive()?;
        let n = x.shape().first().copied().unwrap_or(0);
        let bs = batch_size.clamp(1, self.max_batch);
        let out_shape = self.shape_into(to).to_vec();
        let per = prod(&out_shape);
        let mut data = Vec::with_capacity(n * per);
        for start in (0..n).step_by(bs) {
            let batch = self.upload_batch(from, &row_range(x, start..(start + bs).min(n)), None)?;
            let ctx = self.ctx.clone();
            ctx.run(self.plan(batch, PlanKind::Predict, from, to));
            let out = self.input_of(to).clone();
            data.extend(self.ctx.read(&out, batch * per).await?);
        }
        let mut shape = vec![n];
        shape.extend(out_shape);
        crate::tensor::from_vec(&shape, data)
    }

    /// What each chosen layer sees, on the GPU: the inference-mode outputs of the layers
    /// `chosen` (indices into the model's layers, distinct, in range: the caller checks,
    /// as `Sequential::layer_outputs` does) for every example of `x`. Each chunk of
    /// `batch_size` examples runs the forward pass up to the deepest chosen layer, then
    /// every chosen layer's activation buffer is read back in one readback (each layer
    /// writes its own buffer in a forward pass; `Flatten` aliases its input's, whose
    /// values it is). Returns one `[n, ...output_shape]` tensor per chosen layer.
    pub async fn layer_outputs(&mut self, x: &Tensor, chosen: &[usize], batch_size: usize) -> Result<Vec<Tensor>> {
        check_example_shape(x, &self.input_shape, "layer_outputs")?;
        check_finite(x, "layer_outputs")?;
        if let Some(&bad) = chosen.iter().find(|&&i| i >= self.layers.len()) {
            return Err(Error::Config(format!(
                "layer_outputs: layer index {bad} is out of range (the model has {} layers)",
                self.layers.len()
            )));
        }
        self.ctx.check_alive()?;
        let n = x.shape()[0];
        let bs = batch_size.clamp(1, self.max_batch);
        let depth = chosen.iter().max().map_or(0, |&d| d + 1);
        let per: Vec<usize> = chosen.iter().map(|&i| prod(&self.layers[i].out_shape)).collect();
        let mut data: Vec<Vec<f32>> = per.iter().map(|p| Vec::with_capacity(n * p)).collect();
        for start in (0..n).step_by(bs) {
            let batch = self.upload_batch(0, &row_range(x, start..(start + bs).min(n)), None)?;
            let ctx = self.ctx.clone();
            ctx.run(self.plan(batch, PlanKind::Predict, 0, depth));
            let bufs: Vec<(&wgpu::Buffer, usize)> =
                chosen.iter().zip(&per).map(|(&i, p)| (&self.layers[i].out, batch * p)).collect();
            for (d, values) in data.iter_mut().zip(self.ctx.read_many(&bufs).await?) {
                d.extend(values); // [chunk, ...output_shape of the layer]
            }
        }
        chosen
            .iter()
            .zip(data)
            .map(|(&i, values)| {
                let mut shape = vec![n];
                shape.extend(&self.layers[i].out_shape);
                crate::tensor::from_vec(&shape, values)
            })
            .collect()
    }

    /// Reads weights, optimizer state and step count back without touching a model, so
    /// that a caller sharing the model (the web's `Rc<RefCell<Sequential>>`) need not
    /// hold it borrowed across the await; [`GpuState::apply`] then writes it in.
    pub async fn read_state(&self) -> Result<GpuState> {
        let weights: Vec<(&wgpu::Buffer, usize)> =
            self.layers.iter().flat_map(|l| l.params.iter().map(|p| (&p.value, p.len))).collect();
        let n_weights = weights.len();
        // Optimizer state in `Sequential::optimizer_state` order: per slot (SGD
        // velocity), or all m then all v (Adam).
        let parts = self.slots.iter().map(|&(l, p)| self.layers[l].params[p].state.len()).max().unwrap_or(0);
        let mut bufs = weights;
        for part in 0..parts {
            for &(l, p) in &self.slots {
                let gp = &self.layers[l].params[p];
                bufs.push((&gp.state[part], gp.len));
            }
        }
        let mut values = self.ctx.read_many(&bufs).await?;
        let optimizer = values.split_off(n_weights);
        Ok(GpuState {
            layer_params: self.layers.iter().map(|l| l.params.len()).collect(),
            weights: values,
            optimizer,
            steps: self.step,
        })
    }
}

/// Everything [`GpuModel::read_state`] brings back: weights per layer (in
/// `Layer::params()` order, BN moving statistics included), optimizer state and step count.
pub struct GpuState {
    layer_params: Vec<usize>,
    weights: Vec<Vec<f32>>,
    optimizer: Vec<Vec<f32>>,
    steps: i32,
}

impl GpuState {
    /// Writes the state into `model` (the model the GPU copy was made from, or one with
    /// the same layers), checking every layer and weight size first.
    pub fn apply(self, model: &mut Sequential) -> Result<()> {
        if model.layers().len() != self.layer_params.len() {
            return Err(Error::Shape(format!(
                "reading the GPU state back: the GPU model has {} layers, the model {}",
                self.layer_params.len(),
                model.layers().len()
            )));
        }
        let mut it = self.weights.iter();
        for (i, l) in model.layers().iter().enumerate() {
            let node = l.borrow();
            if node.layer.params().len() != self.layer_params[i] {
                return Err(Error::Shape(format!(
                    "reading the GPU state back: layer {i} '{}' does not match the GPU model",
                    node.name
                )));
            }
            for p in node.layer.params() {
                let v = it.next().unwrap();
                if v.len() != p.value.len() {
                    return Err(Error::Shape(format!(
                        "reading the GPU state back: weight '{}' has {} values, the GPU holds {}",
                        p.name,
                        p.value.len(),
                        v.len()
                    )));
                }
            }
        }
        let mut it = self.weights.into_iter();
        for l in model.layers() {
            for p in l.borrow_mut().layer.params_mut() {
                p.value.iter_mut().zip(it.next().unwrap()).for_each(|(d, s)| *d = s);
            }
        }
        model.set_optimizer_state(&self.optimizer, self.steps);
        Ok(())
    }
}
