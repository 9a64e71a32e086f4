//! The WGSL kernels, one function per kernel that records a dispatch as an [`Op`]
//! (the pipelines themselves are compiled once per device in [`super::pipelines`]).
//!
//! Every element-wise kernel runs 256 invocations per workgroup over a 2-D grid of
//! workgroups (x at most 65535, WebGPU's default per-dimension limit) so arrays of
//! any size fit; the shader recovers the flat index as `x + y * groups_x * 256`.

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::context::GpuContext;
use super::ops::Op;
use crate::kernels::Window;
use crate::layers::Activation;

/// Workgroups for `n` invocations of 256: a 2-D grid within the 65535 limit.
pub fn grid(n: usize) -> (u32, u32, u32) {
    let groups = n.div_ceil(256).max(1);
    let x = groups.min(65535);
    (x as u32, groups.div_ceil(x) as u32, 1)
}

/// A grid with one workgroup per item (columns, channels).
fn grid_per_item(n: usize) -> (u32, u32, u32) {
    let n = n.max(1);
    let x = n.min(65535);
    (x as u32, n.div_ceil(x) as u32, 1)
}

/// The activation code shared by bias_activation(.wgsl) and its backward.
pub fn act_code(a: Activation) -> u32 {
    match a {
        Activation::Linear | Activation::Softmax => 0,
        Activation::Relu => 1,
        Activation::Sigmoid => 2,
        Activation::Tanh => 3,
        Activation::Elu => 4,
        Activation::Selu => 5,
    }
}
/// The code of a leaky relu (`LeakyReLU` layer).
pub const ACT_LEAKY_RELU: u32 = 6;

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    k_chunk: u32,
    splits: u32,
    accumulate: u32,
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ReduceParams {
    count: u32,
    splits: u32,
    accumulate: u32,
    _pad: u32,
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct WindowParams {
    batch: u32,
    in_h: u32,
    in_w: u32,
    channels: u32,
    k_h: u32,
    k_w: u32,
    stride_h: u32,
    stride_w: u32,
    out_h: u32,
    out_w: u32,
    pad_top: u32,
    pad_left: u32,
    total: u32,
    kind: u32,
    _pad: [u32; 2],
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BiasActParams {
    count: u32,
    cols: u32,
    act: u32,
    has_bias: u32,
    slope: f32,
    _pad: [u32; 3],
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct ActBackParams {
    count: u32,
    act: u32,
    slope: f32,
    _pad: u32,
}
/// rows/cols-shaped parameters (softmax, bias gradient, global pooling, masks, accumulation).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct RowParams {
    a: u32,
    b: u32,
    c: u32,
    _pad: u32,
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BnStatsParams {
    rows: u32,
    channels: u32,
    use_batch: u32,
    update_moving: u32,
    momentum: f32,
    epsilon: f32,
    _pad: [u32; 2],
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct BnParams {
    count: u32,
    channels: u32,
    batch_stats: u32,
    rows: u32,
}
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct LossParams {
    rows: u32,
    last: u32,
    kind: u32,
    from_logits: u32,
    inv_batch: f32,
    _pad: [u32; 3],
}
/// The optimizer uniform shared by every parameter's update (rewritten each step).
#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable, Debug, Default)]
pub struct OptimParams {
    pub learning_rate: f32,
    pub momentum: f32,
    pub nesterov: u32,
    pub _pad: u32,
    pub alpha: f32,
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
}

/// Which loss `loss.wgsl` computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    BinaryCrossentropy = 0,
    SparseCategoricalCrossentropy = 1,
    CategoricalCrossentropy = 2,
    MeanSquaredError = 3,
}

/// A uniform buffer holding `params`.
pub fn uniform<T: Pod>(ctx: &GpuContext, params: &T) -> wgpu::Buffer {
    ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: bytemuck::bytes_of(params),
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
    })
}

/// A dispatch of `pipe` with `params` at binding 0 and `storage` at the given bindings.
fn dispatch(
    ctx: &GpuContext,
    pipe: &wgpu::ComputePipeline,
    params: &wgpu::Buffer,
    storage: &[(u32, &wgpu::Buffer)],
    groups: (u32, u32, u32),
) -> Op {
    let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() }];
    entries
        .extend(storage.iter().map(|(b, buf)| wgpu::BindGroupEntry { binding: *b, resource: buf.as_entire_binding() }));
    let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipe.get_bind_group_layout(0),
        entries: &entries,
    });
    Op::Dispatch { pipeline: pipe.clone(), bind_group, groups }
}

fn seq<'a>(bufs: &[&'a wgpu::Buffer]) -> Vec<(u32, &'a wgpu::Buffer)> {
    bufs.iter().enumerate().map(|(i, b)| (i as u32 + 1, *b)).collect()
}

fn window_params(w: &Window, total: usize, kind: u32) -> WindowParams {
    WindowParams {
        batch: w.batch as u32,
        in_h: w.in_h as u32,
        in_w: w.in_w as u32,
        channels: w.channels as u32,
        k_h: w.k_h as u32,
        k_w: w.k_w as u32,
        stride_h: w.stride_h as u32,
        stride_w: w.stride_w as u32,
        out_h: w.out_h as u32,
        out_w: w.out_w as u32,
        pad_top: w.pad_top as u32,
        pad_left: w.pad_left as u32,
        total: total as u32,
        kind,
        _pad: [0; 2],
    }
}

/// `c = op(a) op(b)` (`+ c` with `accumulate`), `op(a)` m x k, `op(b)` k x n, as
/// `kernels::gemm`. Long, thin products (few output tiles, long k) are split
/// along k over up to 32 workgroup layers and summed by a second kernel.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    ctx: &GpuContext,
    m: usize,
    k: usize,
    n: usize,
    a: &wgpu::Buffer,
    ta: bool,
    b: &wgpu::Buffer,
    tb: bool,
    c: &wgpu::Buffer,
    accumulate: bool,
) -> Vec<Op> {
    gemm_variant(ctx, ctx.pipelines.tiled, m, k, n, a, ta, b, tb, c, accumulate)
}

/// [`gemm`] with an explicit choice of the tiled or the direct kernel (for tests and benchmarks).
#[allow(clippy::too_many_arguments)]
pub fn gemm_variant(
    ctx: &GpuContext,
    tiled: bool,
    m: usize,
    k: usize,
    n: usize,
    a: &wgpu::Buffer,
    ta: bool,
    b: &wgpu::Buffer,
    tb: bool,
    c: &wgpu::Buffer,
    accumulate: bool,
) -> Vec<Op> {
    let tiles = m.div_ceil(64) * n.div_ceil(64);
    let splits = if tiles < 32 && k >= 512 { (k / 256).clamp(1, 32) } else { 1 };
    let k_chunk = k.div_ceil(splits).div_ceil(16) * 16;
    let splits = k.div_ceil(k_chunk.max(1)).max(1);
    let p = GemmParams {
        m: m as u32,
        n: n as u32,
        k: k as u32,
        trans_a: ta as u32,
        trans_b: tb as u32,
        k_chunk: k_chunk.max(16) as u32,
        splits: splits as u32,
        accumulate: accumulate as u32,
    };
    let groups = (n.div_ceil(64) as u32, m.div_ceil(64) as u32, splits as u32);
    let k = &ctx.pipelines;
    let pipe = if tiled { &k.gemm_tiled } else { &k.gemm_direct };
    if splits == 1 {
        return vec![dispatch(ctx, pipe, &uniform(ctx, &p), &seq(&[a, b, c]), groups)];
    }
    let part = ctx.zeros("gemm split-k partials", splits * m * n);
    let r = ReduceParams { count: (m * n) as u32, splits: splits as u32, accumulate: accumulate as u32, _pad: 0 };
    vec![
        dispatch(ctx, pipe, &uniform(ctx, &p), &seq(&[a, b, &part]), groups),
        dispatch(ctx, &k.gemm_reduce, &uniform(ctx, &r), &seq(&[&part, c]), grid(m * n)),
    ]
}

/// im2col for NHWC `x` into `cols` `[w.rows(), w.cols()]`.
pub fn im2col(ctx: &GpuContext, w: &Window, x: &wgpu::Buffer, cols: &wgpu::Buffer) -> Op {
    let total = w.rows() * w.cols();
    dispatch(ctx, &ctx.pipelines.im2col, &uniform(ctx, &window_params(w, total, 0)), &seq(&[x, cols]), grid(total))
}

/// col2im: `dx` (NHWC, fully overwritten) from `cols` `[w.rows(), w.cols()]`.
pub fn col2im(ctx: &GpuContext, w: &Window, cols: &wgpu::Buffer, dx: &wgpu::Buffer) -> Op {
    let total = w.batch * w.in_h * w.in_w * w.channels;
    dispatch(
        ctx,
        &ctx.pipelines.im2col_backward,
        &uniform(ctx, &window_params(w, total, 0)),
        &seq(&[cols, dx]),
        grid(total),
    )
}

/// Max (`max = true`) or average pooling; `argmax` (u32 per output) is written for max.
pub fn pool(ctx: &GpuContext, w: &Window, max: bool, x: &wgpu::Buffer, y: &wgpu::Buffer, argmax: &wgpu::Buffer) -> Op {
    let total = w.rows() * w.channels;
    let p = window_params(w, total, if max { 0 } else { 1 });
    dispatch(ctx, &ctx.pipelines.pool, &uniform(ctx, &p), &seq(&[x, y, argmax]), grid(total))
}

pub fn pool_backward(
    ctx: &GpuContext,
    w: &Window,
    max: bool,
    dy: &wgpu::Buffer,
    argmax: &wgpu::Buffer,
    dx: &wgpu::Buffer,
) -> Op {
    let total = w.batch * w.in_h * w.in_w * w.channels;
    let p = window_params(w, total, if max { 0 } else { 1 });
    dispatch(ctx, &ctx.pipelines.pool_backward, &uniform(ctx, &p), &seq(&[dy, argmax, dx]), grid(total))
}

pub fn global_avg_pool(
    ctx: &GpuContext,
    batch: usize,
    pixels: usize,
    channels: usize,
    x: &wgpu::Buffer,
    y: &wgpu::Buffer,
) -> Op {
    let p = RowParams { a: batch as u32, b: pixels as u32, c: channels as u32, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.global_avg_pool, &uniform(ctx, &p), &seq(&[x, y]), grid(batch * channels))
}

pub fn global_avg_pool_backward(
    ctx: &GpuContext,
    batch: usize,
    pixels: usize,
    channels: usize,
    dy: &wgpu::Buffer,
    dx: &wgpu::Buffer,
) -> Op {
    let p = RowParams { a: batch as u32, b: pixels as u32, c: channels as u32, _pad: 0 };
    dispatch(
        ctx,
        &ctx.pipelines.global_avg_pool_backward,
        &uniform(ctx, &p),
        &seq(&[dy, dx]),
        grid(batch * pixels * channels),
    )
}

/// In place `v = act(v + bias)` over `[count / cols, cols]`; `bias` is ignored without `has_bias`.
#[allow(clippy::too_many_arguments)]
pub fn bias_activation(
    ctx: &GpuContext,
    count: usize,
    cols: usize,
    act: u32,
    slope: f32,
    bias: Option<&wgpu::Buffer>,
    dummy: &wgpu::Buffer,
    v: &wgpu::Buffer,
) -> Op {
    let p = BiasActParams {
        count: count as u32,
        cols: cols as u32,
        act,
        has_bias: bias.is_some() as u32,
        slope,
        _pad: [0; 3],
    };
    dispatch(ctx, &ctx.pipelines.bias_activation, &uniform(ctx, &p), &seq(&[bias.unwrap_or(dummy), v]), grid(count))
}

/// In place `dy *= act'(y)`.
pub fn activation_backward(
    ctx: &GpuContext,
    count: usize,
    act: u32,
    slope: f32,
    y: &wgpu::Buffer,
    dy: &wgpu::Buffer,
) -> Op {
    let p = ActBackParams { count: count as u32, act, slope, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.bias_activation_backward, &uniform(ctx, &p), &seq(&[y, dy]), grid(count))
}

pub fn softmax(ctx: &GpuContext, rows: usize, cols: usize, v: &wgpu::Buffer) -> Op {
    let p = RowParams { a: rows as u32, b: cols as u32, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.softmax, &uniform(ctx, &p), &seq(&[v]), grid(rows))
}

pub fn softmax_backward(ctx: &GpuContext, rows: usize, cols: usize, y: &wgpu::Buffer, dy: &wgpu::Buffer) -> Op {
    let p = RowParams { a: rows as u32, b: cols as u32, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.softmax_backward, &uniform(ctx, &p), &seq(&[y, dy]), grid(rows))
}

/// `db[col] = sum_rows dz[row, col]`.
pub fn bias_grad(ctx: &GpuContext, rows: usize, cols: usize, dz: &wgpu::Buffer, db: &wgpu::Buffer) -> Op {
    let p = RowParams { a: rows as u32, b: cols as u32, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.bias_grad, &uniform(ctx, &p), &seq(&[dz, db]), grid_per_item(cols))
}

/// In place `v *= mask` (dropout forward and backward).
pub fn dropout(ctx: &GpuContext, count: usize, mask: &wgpu::Buffer, v: &wgpu::Buffer) -> Op {
    let p = RowParams { a: count as u32, b: 0, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.dropout, &uniform(ctx, &p), &seq(&[mask, v]), grid(count))
}

/// Batch (or moving) statistics into `stats = [mean | inv_std]`, updating the moving
/// statistics when `update_moving`.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_stats(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    use_batch: bool,
    update_moving: bool,
    momentum: f32,
    epsilon: f32,
    x: &wgpu::Buffer,
    moving_mean: &wgpu::Buffer,
    moving_var: &wgpu::Buffer,
    stats: &wgpu::Buffer,
) -> Op {
    let p = BnStatsParams {
        rows: rows as u32,
        channels: channels as u32,
        use_batch: use_batch as u32,
        update_moving: update_moving as u32,
        momentum,
        epsilon,
        _pad: [0; 2],
    };
    dispatch(
        ctx,
        &ctx.pipelines.batch_norm_stats,
        &uniform(ctx, &p),
        &seq(&[x, moving_mean, moving_var, stats]),
        (channels as u32, 1, 1),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    x: &wgpu::Buffer,
    gamma: &wgpu::Buffer,
    beta: &wgpu::Buffer,
    stats: &wgpu::Buffer,
    y: &wgpu::Buffer,
    xhat: &wgpu::Buffer,
) -> Op {
    let p = BnParams { count: (rows * channels) as u32, channels: channels as u32, batch_stats: 0, rows: rows as u32 };
    dispatch(
        ctx,
        &ctx.pipelines.batch_norm,
        &uniform(ctx, &p),
        &seq(&[x, gamma, beta, stats, y, xhat]),
        grid(rows * channels),
    )
}

/// BN backward: `dgamma`, `dbeta` (always) and `dx` (when given).
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_backward(
    ctx: &GpuContext,
    rows: usize,
    channels: usize,
    batch_stats: bool,
    dy: &wgpu::Buffer,
    xhat: &wgpu::Buffer,
    gamma: &wgpu::Buffer,
    stats: &wgpu::Buffer,
    dgamma: &wgpu::Buffer,
    dbeta: &wgpu::Buffer,
    dx: Option<&wgpu::Buffer>,
) -> Vec<Op> {
    let p = uniform(
        ctx,
        &BnParams {
            count: (rows * channels) as u32,
            channels: channels as u32,
            batch_stats: batch_stats as u32,
            rows: rows as u32,
        },
    );
    let k = &ctx.pipelines;
    let mut ops = vec![dispatch(
        ctx,
        &k.batch_norm_backward_reduce,
        &p,
        &[(1, dy), (2, xhat), (5, dgamma), (6, dbeta)],
        (channels as u32, 1, 1),
    )];
    if let Some(dx) = dx {
        let b = seq(&[dy, xhat, gamma, stats, dgamma, dbeta, dx]);
        ops.push(dispatch(ctx, &k.batch_norm_backward, &p, &b, grid(rows * channels)));
    }
    ops
}

/// Per-row loss, gradient (of the batch mean) and correct counts.
#[allow(clippy::too_many_arguments)]
pub fn loss(
    ctx: &GpuContext,
    kind: LossKind,
    from_logits: bool,
    rows: usize,
    last: usize,
    batch: usize,
    out: &wgpu::Buffer,
    y: &wgpu::Buffer,
    grad: &wgpu::Buffer,
    row_loss: &wgpu::Buffer,
    row_correct: &wgpu::Buffer,
) -> Op {
    let p = LossParams {
        rows: rows as u32,
        last: last as u32,
        kind: kind as u32,
        from_logits: from_logits as u32,
        inv_batch: 1.0 / batch as f32,
        _pad: [0; 3],
    };
    dispatch(ctx, &ctx.pipelines.loss, &uniform(ctx, &p), &seq(&[out, y, grad, row_loss, row_correct]), grid(rows))
}

/// `acc += [sum(row_loss), sum(row_correct)]`, or `acc[2] = 1` (diverged) when the sum is not finite.
pub fn loss_accumulate(
    ctx: &GpuContext,
    rows: usize,
    row_loss: &wgpu::Buffer,
    row_correct: &wgpu::Buffer,
    acc: &wgpu::Buffer,
) -> Op {
    let p = RowParams { a: rows as u32, b: 0, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.loss_accumulate, &uniform(ctx, &p), &seq(&[row_loss, row_correct, acc]), (1, 1, 1))
}

/// Sets `acc[2]` (diverged) when the `len` values of gradient `g` hold a NaN or an infinity.
pub fn grad_check(ctx: &GpuContext, len: usize, g: &wgpu::Buffer, acc: &wgpu::Buffer) -> Op {
    let p = RowParams { a: len as u32, b: 0, c: 0, _pad: 0 };
    dispatch(ctx, &ctx.pipelines.grad_check, &uniform(ctx, &p), &seq(&[g, acc]), grid(len))
}

/// SGD update of `w` (exactly sized) with the shared optimizer uniform; `velocity` is
/// unused (any buffer) without momentum. Skipped when `status[2]` (diverged) is set.
#[allow(clippy::too_many_arguments)]
pub fn sgd(
    ctx: &GpuContext,
    params: &wgpu::Buffer,
    len: usize,
    w: &wgpu::Buffer,
    g: &wgpu::Buffer,
    velocity: &wgpu::Buffer,
    status: &wgpu::Buffer,
) -> Op {
    dispatch(ctx, &ctx.pipelines.sgd, params, &seq(&[w, g, velocity, status]), grid(len))
}

/// Adam update of `w` (exactly sized) with the shared optimizer uniform. Skipped when
/// `status[2]` (diverged) is set.
#[allow(clippy::too_many_arguments)]
pub fn adam(
    ctx: &GpuContext,
    params: &wgpu::Buffer,
    len: usize,
    w: &wgpu::Buffer,
    g: &wgpu::Buffer,
    m: &wgpu::Buffer,
    v: &wgpu::Buffer,
    status: &wgpu::Buffer,
) -> Op {
    dispatch(ctx, &ctx.pipelines.adam, params, &seq(&[w, g, m, v, status]), grid(len))
}
