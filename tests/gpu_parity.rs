//! GPU kernels and `GpuModel` against the CPU reference (run natively, e.g. on Mesa's
//! lavapipe: `cargo test --release --features gpu --test gpu_parity -- --nocapture`).
//!
//! Tolerances, per element:
//! - kernel outputs and forward values: `|gpu - cpu| <= tol * max(|cpu|, 1)`;
//! - weight updates (gradients): `|d_gpu - d_cpu| <= tol * max(|d_cpu|, max|d_cpu| of the
//!   tensor)`, i.e. relative to the tensor's largest change, since single gradient entries
//!   near zero carry only the rounding noise of long sums;
//! - histories (loss, accuracy per epoch): relative `1e-3`.
//!
//! Without a GPU adapter every test prints `SKIP: no GPU adapter` and returns.
#![cfg(all(feature = "gpu", not(target_arch = "wasm32")))] // natively (pollster); tests/wasm_gpu.rs covers wasm32

#[path = "common/gpu.rs"]
mod common_gpu;
#[path = "common/synthetic.rs"]
mod synthetic;
use common_gpu::{assert_close, gpu};
use std::cell::RefCell;
use std::rc::Rc;
use synthetic::bars;

use transfer_playground::gpu::{kernels, GpuContext, GpuFitSession, GpuModel};
use transfer_playground::kernels::{self as cpu, Window};
use transfer_playground::layers::pool::PoolKind;
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};
use transfer_playground::{Activation, FitOptions, History, LayerSpec, Loss, OptimizerConfig, Padding, Sequential};

macro_rules! gpu_or_skip {
    () => {
        match gpu("GPU parity") {
            Some(c) => c,
            None => return,
        }
    };
}

/// `fit` on the GPU through the one GPU training loop (`GpuFitSession`). Its epoch-end
/// read-backs leave the trained weights and optimizer state in `model`.
fn gpu_fit(
    ctx: &Rc<GpuContext>,
    model: &RefCell<Sequential>,
    x: &Tensor,
    y: &Tensor,
    opts: &FitOptions,
) -> transfer_playground::Result<History> {
    let mut session = GpuFitSession::new(ctx.clone(), &model.borrow(), x, y, opts.clone(), 0)?;
    pollster::block_on(session.run_to_end(model))
}

fn data(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.uniform(lo, hi)).collect()
}

/// Compares changes relative to the tensor's largest change (see the header).
fn assert_delta_close(what: &str, got: &[f32], want: &[f32], before: &[f32], tol: f32) {
    let dg: Vec<f32> = got.iter().zip(before).map(|(a, b)| a - b).collect();
    let dw: Vec<f32> = want.iter().zip(before).map(|(a, b)| a - b).collect();
    let scale = dw.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
    for (i, (g, w)) in dg.iter().zip(&dw).enumerate() {
        let e = (g - w).abs() / w.abs().max(scale);
        // `e <= tol` is false for NaN too.
        assert!(e <= tol, "{what}: change of element {i} is {g} on the GPU, {w} on the CPU (error {e:e} > {tol:e} relative to max change {scale:e})");
    }
}

#[test]
fn gemm_matches_cpu_in_all_transpositions_with_split_k() {
    // Both GEMM kernels: tiled (GPUs) and direct (CPU adapters, the default on lavapipe).
    let ctx = gpu_or_skip!();
    // Odd sizes, a single row/column, and long k (split-K with a reduction pass).
    for &(m, k, n) in &[(5, 7, 3), (67, 33, 70), (9, 3001, 16), (130, 17, 1), (1, 600, 65)] {
        let a = data(m * k, 1, -1.0, 1.0);
        let b = data(k * n, 2, -1.0, 1.0);
        let c0 = data(m * n, 3, -1.0, 1.0);
        for ta in [false, true] {
            for tb in [false, true] {
                for (acc, tiled) in [(false, false), (true, false), (false, true), (true, true)] {
                    let mut want = c0.clone();
                    cpu::gemm(m, k, n, &a, ta, &b, tb, &mut want, if acc { 1.0 } else { 0.0 });
                    let (ga, gb, gc) = (ctx.upload("a", &a), ctx.upload("b", &b), ctx.upload("c", &c0));
                    ctx.run(&kernels::gemm_variant(&ctx, tiled, m, k, n, &ga, ta, &gb, tb, &gc, acc));
                    let got = pollster::block_on(ctx.read(&gc, m * n)).unwrap();
                    assert_close(
                        &format!("gemm {m}x{k}x{n} ta={ta} tb={tb} acc={acc} tiled={tiled}"),
                        &got,
                        &want,
                        1e-4,
                    );
                }
            }
        }
    }
}

#[test]
fn im2col_col2im_and_pooling_match_cpu() {
    let ctx = gpu_or_skip!();
    let windows = [
        Window::new(2, 7, 5, 3, (3, 2), (2, 1), true),
        Window::new(1, 6, 6, 2, (3, 3), (2, 2), true),
        Window::new(3, 5, 5, 1, (2, 2), (1, 1), false),
        Window::new(2, 9, 7, 4, (3, 3), (2, 3), false),
    ];
    for w in windows {
        let x = data(w.batch * w.in_h * w.in_w * w.channels, 5, -2.0, 2.0);
        let mut want = vec![0.0; w.rows() * w.cols()];
        cpu::im2col(&x, &w, &mut want);
        let (gx, gc) = (ctx.upload("x", &x), ctx.zeros("cols", want.len()));
        ctx.run(&[kernels::im2col(&ctx, &w, &gx, &gc)]);
        assert_close(&format!("im2col {w:?}"), &pollster::block_on(ctx.read(&gc, want.len())).unwrap(), &want, 1e-6);
        let c = data(want.len(), 6, -1.0, 1.0);
        let mut want_dx = vec![0.0; x.len()];
        cpu::col2im(&c, &w, &mut want_dx);
        let (gcols, gdx) = (ctx.upload("c", &c), ctx.zeros("dx", x.len()));
        ctx.run(&[kernels::col2im(&ctx, &w, &gcols, &gdx)]);
        assert_close(&format!("col2im {w:?}"), &pollster::block_on(ctx.read(&gdx, x.len())).unwrap(), &want_dx, 1e-5);

        // Pooling with the same geometry against the CPU layer.
        let same = w.pad_top > 0 || w.pad_left > 0 || w.out_h * w.stride_h > w.in_h;
        for kind in [PoolKind::Max, PoolKind::Average] {
            let padding = if same { Padding::Same } else { Padding::Valid };
            let mut layer =
                transfer_playground::layers::pool::Pool2D::new(kind, (w.k_h, w.k_w), (w.stride_h, w.stride_w), padding);
            let wp = Window::new(w.batch, w.in_h, w.in_w, w.channels, (w.k_h, w.k_w), (w.stride_h, w.stride_w), same);
            let xt = from_vec(&[w.batch, w.in_h, w.in_w, w.channels], x.clone()).unwrap();
            let y = layer.forward(xt, transfer_playground::layers::Mode::Train).unwrap();
            let dy = data(y.len(), 8, -1.0, 1.0);
            let dx = layer.backward(from_vec(y.shape(), dy.clone()).unwrap()).unwrap();
            let (gy, garg, gdy, gdx) = (
                ctx.zeros("y", y.len()),
                ctx.zeros("argmax", y.len()),
                ctx.upload("dy", &dy),
                ctx.zeros("dx", x.len()),
            );
            let max = kind == PoolKind::Max;
            ctx.run(&[
                kernels::pool(&ctx, &wp, max, &gx, &gy, &garg),
                kernels::pool_backward(&ctx, &wp, max, &gdy, &garg, &gdx),
            ]);
            let got = pollster::block_on(ctx.read_many(&[(&gy, y.len()), (&gdx, x.len())])).unwrap();
            assert_close(&format!("{kind:?} pool {wp:?}"), &got[0], y.as_slice().unwrap(), 1e-6);
            assert_close(&format!("{kind:?} pool backward {wp:?}"), &got[1], dx.as_slice().unwrap(), 1e-5);
        }
    }
}

/// Trains two copies of a model (same seed), one per backend, and compares predictions
/// before training, the history, and every weight afterwards.
#[allow(clippy::too_many_arguments)]
fn model_parity(
    ctx: &Rc<GpuContext>,
    what: &str,
    input: &[usize],
    specs: &[LayerSpec],
    loss: Loss,
    opt: OptimizerConfig,
    freeze: &[usize],
    n: usize,
    batch: usize,
    epochs: usize,
    y: Tensor,
) {
    let build = || {
        let mut m = Sequential::from_specs(input, specs, 42).unwrap();
        for &i in freeze {
            m.layers()[i].set_trainable(false);
        }
        m.compile(loss, opt).unwrap();
        m
    };
    let mut cpu_model = build();
    let gpu_model = RefCell::new(build());
    let before = cpu_model.get_weights();
    let mut shape = vec![n];
    shape.extend(input);
    let x = from_vec(&shape, data(n * input.iter().product::<usize>(), 11, -1.0, 1.0)).unwrap();
    let mut g = GpuModel::new(ctx.clone(), &gpu_model.borrow(), batch).unwrap();
    // Forward parity (inference mode).
    let want = cpu_model.predict(&x, batch).unwrap();
    let got = pollster::block_on(g.predict(&x, batch)).unwrap();
    assert_close(&format!("{what}: predict"), got.as_slice().unwrap(), want.as_slice().unwrap(), 1e-4);
    // Training parity.
    let opts = FitOptions {
        epochs,
        batch_size: batch,
        shuffle: true,
        seed: 3,
        validation: Some((x.clone(), y.clone())),
        cache_frozen_features: true,
    };
    let hc = cpu_model.fit_quiet(&x, &y, opts.clone()).unwrap();
    let hg = gpu_fit(ctx, &gpu_model, &x, &y, &opts).unwrap();
    for (name, a, b) in [
        ("loss", &hg.loss, &hc.loss),
        ("accuracy", &hg.accuracy, &hc.accuracy),
        ("val_loss", &hg.val_loss, &hc.val_loss),
        ("val_accuracy", &hg.val_accuracy, &hc.val_accuracy),
    ] {
        assert_eq!(a.len(), b.len(), "{what}: {name} lengths");
        for (e, (a, b)) in a.iter().zip(b).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * b.abs().max(1e-3),
                "{what}: epoch {e} {name} {a} on the GPU, {b} on the CPU"
            );
        }
    }
    for (i, ((a, b), w0)) in
        gpu_model.borrow().get_weights().iter().zip(cpu_model.get_weights()).zip(&before).enumerate()
    {
        assert_delta_close(
            &format!("{what}: weight {i}"),
            a.as_slice().unwrap(),
            b.as_slice().unwrap(),
            w0.as_slice().unwrap(),
            1e-3,
        );
    }
    eprintln!("{what}: GPU history {:?} matches the CPU", hg.loss);
}

fn sparse_labels(n: usize, classes: usize) -> Tensor {
    let mut r = Rng::new(9);
    from_vec(&[n], (0..n).map(|_| r.below(classes) as f32).collect()).unwrap()
}

#[test]
fn conv_dense_softmax_cross_entropy_sgd() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::Conv2D {
            filters: 5,
            kernel_size: (3, 3),
            strides: (1, 1),
            padding: Padding::Same,
            activation: Activation::Relu,
            use_bias: true,
        },
        LayerSpec::Conv2D {
            filters: 3,
            kernel_size: (3, 2),
            strides: (2, 2),
            padding: Padding::Valid,
            activation: Activation::Tanh,
            use_bias: true,
        },
        LayerSpec::Flatten,
        LayerSpec::dense(3, Activation::Softmax),
    ];
    model_parity(
        &ctx,
        "conv/dense sparse-CE SGD",
        &[7, 6, 2],
        &specs,
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::sgd(0.1),
        &[],
        10,
        4,
        2,
        sparse_labels(10, 3),
    );
}

#[test]
fn strided_same_conv_pooling_gap_sigmoid_bce_nesterov() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::Conv2D {
            filters: 4,
            kernel_size: (3, 3),
            strides: (2, 2),
            padding: Padding::Same,
            activation: Activation::Elu,
            use_bias: true,
        },
        LayerSpec::MaxPooling2D { pool_size: (3, 3), strides: (2, 2), padding: Padding::Same },
        LayerSpec::AveragePooling2D { pool_size: (2, 2), strides: (1, 1), padding: Padding::Same },
        LayerSpec::GlobalAveragePooling2D,
        LayerSpec::dense(2, Activation::Sigmoid),
    ];
    let mut r = Rng::new(4);
    let y = from_vec(&[9, 2], (0..18).map(|_| (r.below(2)) as f32).collect()).unwrap();
    let opt = OptimizerConfig::Sgd { learning_rate: 0.2, momentum: 0.9, nesterov: true };
    model_parity(
        &ctx,
        "strided conv, pools, GAP, BCE, nesterov",
        &[11, 9, 3],
        &specs,
        Loss::BinaryCrossentropy,
        opt,
        &[],
        9,
        4,
        3,
        y,
    );
}

#[test]
fn dense_activations_dropout_batchnorm_mse_adam() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::dense(7, Activation::Selu),
        LayerSpec::Activation { activation: Activation::Sigmoid },
        LayerSpec::LeakyReLU { negative_slope: 0.2 },
        LayerSpec::Dropout { rate: 0.3, seed: Some(5) },
        LayerSpec::batch_norm(),
        LayerSpec::dense(6, Activation::Tanh),
        LayerSpec::dense(4, Activation::Linear),
    ];
    let y = from_vec(&[12, 4], data(48, 12, -1.0, 1.0)).unwrap();
    model_parity(
        &ctx,
        "dense/selu/sigmoid/leaky/dropout/BN MSE Adam",
        &[5],
        &specs,
        Loss::MeanSquaredError,
        OptimizerConfig::adam(),
        &[],
        12,
        5,
        3,
        y,
    );
}

#[test]
fn categorical_ce_through_activation_layer_and_unfused_softmax_mse() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::dense(6, Activation::Elu),
        LayerSpec::dense(3, Activation::Linear),
        LayerSpec::Activation { activation: Activation::Softmax },
    ];
    let labels = sparse_labels(8, 3);
    let onehot: Vec<f32> =
        labels.iter().flat_map(|&c| (0..3).map(move |j| if j == c as usize { 1.0 } else { 0.0 })).collect();
    let y = from_vec(&[8, 3], onehot).unwrap();
    model_parity(
        &ctx,
        "categorical CE via Activation(softmax)",
        &[4],
        &specs,
        Loss::CategoricalCrossentropy,
        OptimizerConfig::sgd(0.3),
        &[],
        8,
        3,
        2,
        y.clone(),
    );
    // MSE on a softmax output is not fused: exercises the softmax backward kernel.
    let specs = [LayerSpec::dense(5, Activation::Relu), LayerSpec::dense(3, Activation::Softmax)];
    model_parity(
        &ctx,
        "MSE through softmax",
        &[4],
        &specs,
        Loss::MeanSquaredError,
        OptimizerConfig::sgd(0.5),
        &[],
        8,
        8,
        2,
        y,
    );
    // Unfused sigmoid + MSE on one unit.
    let specs = [LayerSpec::dense(5, Activation::Tanh), LayerSpec::dense(1, Activation::Sigmoid)];
    let yb = from_vec(&[8, 1], (0..8).map(|i| (i % 2) as f32).collect()).unwrap();
    model_parity(
        &ctx,
        "MSE through sigmoid",
        &[4],
        &specs,
        Loss::MeanSquaredError,
        OptimizerConfig::sgd(0.5),
        &[],
        8,
        8,
        2,
        yb,
    );
}

#[test]
fn frozen_layers_and_frozen_batchnorm() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::Conv2D {
            filters: 4,
            kernel_size: (3, 3),
            strides: (1, 1),
            padding: Padding::Same,
            activation: Activation::Relu,
            use_bias: true,
        },
        LayerSpec::batch_norm(),
        LayerSpec::Conv2D {
            filters: 4,
            kernel_size: (2, 2),
            strides: (1, 1),
            padding: Padding::Valid,
            activation: Activation::Relu,
            use_bias: false,
        },
        LayerSpec::batch_norm(),
        LayerSpec::Flatten,
        LayerSpec::dense(3, Activation::Softmax),
    ];
    // Frozen base (conv + BN) below a trainable conv, and a frozen BN inside the trainable part.
    model_parity(
        &ctx,
        "frozen conv/BN, trainable conv, frozen BN",
        &[6, 5, 2],
        &specs,
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::sgd(0.1),
        &[0, 1, 3],
        7,
        4,
        2,
        sparse_labels(7, 3),
    );
    // Trainable BN with batch statistics (moving statistics updated on the GPU).
    model_parity(
        &ctx,
        "trainable BN",
        &[6, 5, 2],
        &specs,
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::adam(),
        &[],
        7,
        4,
        2,
        sparse_labels(7, 3),
    );
}

#[test]
fn transfer_learning_fit_matches_cpu_frozen_then_fine_tuned() {
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::conv2d(8, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::conv2d(16, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(32, Activation::Relu),
        LayerSpec::dense(4, Activation::Softmax),
    ];
    let (x, y) = bars(96, 12, 4, 1);
    let (vx, vy) = bars(32, 12, 4, 2);
    let mut cpu_m = Sequential::from_specs(&[12, 12, 1], &specs, 7).unwrap();
    let gpu_m = RefCell::new(Sequential::from_specs(&[12, 12, 1], &specs, 7).unwrap());
    let opts = |epochs| FitOptions {
        epochs,
        batch_size: 16,
        shuffle: true,
        seed: 1,
        validation: Some((vx.clone(), vy.clone())),
        cache_frozen_features: true,
    };
    let compare = |stage: &str, hg: &transfer_playground::History, hc: &transfer_playground::History| {
        for (name, a, b) in [
            ("loss", &hg.loss, &hc.loss),
            ("accuracy", &hg.accuracy, &hc.accuracy),
            ("val_loss", &hg.val_loss, &hc.val_loss),
            ("val_accuracy", &hg.val_accuracy, &hc.val_accuracy),
        ] {
            for (e, (a, b)) in a.iter().zip(b.iter()).enumerate() {
                assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-3), "{stage}: epoch {e} {name}: GPU {a}, CPU {b}");
            }
        }
        eprintln!("{stage}: GPU loss {:?}, CPU loss {:?}; val_accuracy {:?}", hg.loss, hc.loss, hg.val_accuracy);
    };
    // Stage 1: frozen base (both conv layers), new head trained with SGD.
    for m in [&cpu_m, &*gpu_m.borrow()] {
        m.layers()[0].set_trainable(false);
        m.layers()[2].set_trainable(false);
    }
    cpu_m
        .compile(
            Loss::SparseCategoricalCrossentropy,
            OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false },
        )
        .unwrap();
    gpu_m
        .borrow_mut()
        .compile(
            Loss::SparseCategoricalCrossentropy,
            OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false },
        )
        .unwrap();
    let hc = cpu_m.fit_quiet(&x, &y, opts(3)).unwrap();
    let hg = gpu_fit(&ctx, &gpu_m, &x, &y, &opts(3)).unwrap();
    compare("stage 1 (frozen base)", &hg, &hc);
    // The same stage without the frozen-feature cache (every step runs the base on the GPU).
    let nc_m = Sequential::from_specs(&[12, 12, 1], &specs, 7).unwrap();
    nc_m.layers()[0].set_trainable(false);
    nc_m.layers()[2].set_trainable(false);
    let mut nc_m = nc_m;
    nc_m.compile(
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false },
    )
    .unwrap();
    let h_nc =
        gpu_fit(&ctx, &RefCell::new(nc_m), &x, &y, &FitOptions { cache_frozen_features: false, ..opts(3) }).unwrap();
    compare("stage 1 without the feature cache", &h_nc, &hc);
    // Stage 2: unfreeze, recompile with Adam, fine-tune everything.
    cpu_m.set_trainable(true);
    gpu_m.borrow_mut().set_trainable(true);
    cpu_m
        .compile(
            Loss::SparseCategoricalCrossentropy,
            OptimizerConfig::Adam { learning_rate: 1e-3, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
        )
        .unwrap();
    gpu_m
        .borrow_mut()
        .compile(
            Loss::SparseCategoricalCrossentropy,
            OptimizerConfig::Adam { learning_rate: 1e-3, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
        )
        .unwrap();
    let hc = cpu_m.fit_quiet(&x, &y, opts(2)).unwrap();
    let hg = gpu_fit(&ctx, &gpu_m, &x, &y, &opts(2)).unwrap();
    compare("stage 2 (fine-tuning)", &hg, &hc);
    for (i, (a, b)) in gpu_m.borrow().get_weights().iter().zip(cpu_m.get_weights()).enumerate() {
        assert_close(&format!("final weight {i}"), a.as_slice().unwrap(), b.as_slice().unwrap(), 1e-3);
    }
}

#[test]
fn divergence_is_reported_and_stops_updates_like_the_cpu() {
    let ctx = gpu_or_skip!();
    let specs = [LayerSpec::dense(8, Activation::Relu), LayerSpec::dense(1, Activation::Linear)];
    let build = || {
        let mut m = Sequential::from_specs(&[4], &specs, 3).unwrap();
        m.compile(Loss::MeanSquaredError, OptimizerConfig::sgd(1e6)).unwrap();
        m
    };
    let x = from_vec(&[32, 4], data(128, 1, -10.0, 10.0)).unwrap();
    let y = from_vec(&[32, 1], data(32, 2, -100.0, 100.0)).unwrap();
    let opts = FitOptions { epochs: 20, batch_size: 4, shuffle: false, ..Default::default() };
    let mut cpu_m = build();
    let cpu_err = cpu_m.fit_quiet(&x, &y, opts.clone()).unwrap_err();
    let m = RefCell::new(build());
    let gpu_err = gpu_fit(&ctx, &m, &x, &y, &opts).unwrap_err();
    eprintln!("CPU: {cpu_err}\nGPU: {gpu_err}");
    assert!(
        matches!(cpu_err, transfer_playground::Error::Diverged(_))
            && matches!(gpu_err, transfer_playground::Error::Diverged(_))
    );
    // Both kept the weights of the last step whose loss was finite (the GPU fit reads
    // them back into the model when it stops).
    for (i, (a, b)) in m.borrow().get_weights().iter().zip(cpu_m.get_weights()).enumerate() {
        assert_close(&format!("weight {i} after divergence"), a.as_slice().unwrap(), b.as_slice().unwrap(), 1e-3);
    }
}

#[test]
fn an_overflowing_gradient_with_a_finite_loss_stops_updates_like_the_cpu() {
    // y_hat = 1.5e19 * w with w = 1: the squared error 2.25e38 is still a finite f32,
    // but dL/dw = 2 * 1.5e19 * 1.5e19 = 4.5e38 overflows to infinity.
    let ctx = gpu_or_skip!();
    let build = || {
        let mut m = Sequential::from_specs(&[1], &[LayerSpec::dense(1, Activation::Linear)], 1).unwrap();
        m.set_weights(&[from_vec(&[1, 1], vec![1.0]).unwrap(), from_vec(&[1], vec![0.0]).unwrap()]).unwrap();
        m.compile(Loss::MeanSquaredError, OptimizerConfig::sgd(0.01)).unwrap();
        m
    };
    let x = from_vec(&[1, 1], vec![1.5e19]).unwrap();
    let y = from_vec(&[1, 1], vec![0.0]).unwrap();
    let opts = FitOptions { epochs: 1, batch_size: 1, shuffle: false, ..Default::default() };
    let mut cpu_m = build();
    let cpu_err = cpu_m.fit_quiet(&x, &y, opts.clone()).unwrap_err();
    let m = RefCell::new(build());
    let gpu_err = gpu_fit(&ctx, &m, &x, &y, &opts).unwrap_err();
    eprintln!("CPU: {cpu_err}\nGPU: {gpu_err}");
    assert!(matches!(cpu_err, transfer_playground::Error::Diverged(_)), "{cpu_err}");
    assert!(matches!(gpu_err, transfer_playground::Error::Diverged(_)), "{gpu_err}");
    assert_eq!(m.borrow().get_weights()[0].as_slice().unwrap(), &[1.0], "the GPU applied the overflowing update");
    assert_eq!(cpu_m.get_weights()[0].as_slice().unwrap(), &[1.0]);
}

#[test]
fn training_moves_between_backends_with_optimizer_state() {
    // CPU epoch -> GPU epoch -> CPU epoch (Adam: moments and step count travel with the
    // weights) must equal three CPU epochs; the same with SGD momentum.
    let ctx = gpu_or_skip!();
    let specs = [
        LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(3, Activation::Softmax),
    ];
    let (x, y) = bars(24, 6, 3, 5);
    for opt in [OptimizerConfig::adam(), OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false }] {
        let build = || {
            let mut m = Sequential::from_specs(&[6, 6, 1], &specs, 8).unwrap();
            m.compile(Loss::SparseCategoricalCrossentropy, opt).unwrap();
            m
        };
        let opts = |seed| FitOptions { epochs: 1, batch_size: 8, seed, ..Default::default() };
        let mut reference = build();
        for seed in 1..=3 {
            reference.fit_quiet(&x, &y, opts(seed)).unwrap();
        }
        let mut moved = build();
        moved.fit_quiet(&x, &y, opts(1)).unwrap();
        // The GPU epoch's read-back carries weights, optimizer state and step count.
        let cell = RefCell::new(moved);
        gpu_fit(&ctx, &cell, &x, &y, &opts(2)).unwrap();
        let mut moved = cell.into_inner();
        assert_eq!(moved.optimizer_steps(), reference.optimizer_steps() * 2 / 3, "{opt:?}: steps after two epochs");
        moved.fit_quiet(&x, &y, opts(3)).unwrap();
        for (i, (a, b)) in moved.get_weights().iter().zip(reference.get_weights()).enumerate() {
            assert_close(&format!("{opt:?}: weight {i}"), a.as_slice().unwrap(), b.as_slice().unwrap(), 1e-4);
        }
        for (i, (a, b)) in moved.optimizer_state().iter().zip(reference.optimizer_state()).enumerate() {
            assert_close(&format!("{opt:?}: optimizer state {i}"), a, &b, 1e-4);
        }
    }
}
