//! Training throughput (images/second) of model A's architecture on the GPU backend
//! versus the CPU path, at batch 32 and 128, whole model and frozen base. Measures,
//! never asserts. Run: `cargo bench --features gpu --bench gpu_throughput [-- N]`
//! (N examples per measurement, default 1024).
//!
//! Model A: Conv2D(16,3,same,relu) -> MaxPool2 -> Conv2D(32,3,same,relu) -> MaxPool2
//! -> Flatten -> Dense(64,relu) -> Dense(8,softmax) on 28x28x1 inputs. Each row also
//! gives the GPU's milliseconds per training step, the figure to hold against
//! `python3 benches/pytorch_baseline.py --device cuda` on the same GPU.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use transfer_playground::gpu::{kernels, GpuContext, GpuFitSession, GpuModel, Op};
use transfer_playground::kernels::Window;
use transfer_playground::lecture::{model_a_specs, MODEL_A_INPUT};
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};
use transfer_playground::{FitOptions, Loss, OptimizerConfig, Sequential};

/// Model A's architecture, as `train_throughput` and the PyTorch baseline build it:
/// SGD 0.01 with momentum 0.9; `frozen_base`: every layer but the last frozen.
fn model_a(frozen_base: bool) -> Sequential {
    let mut m = Sequential::from_specs(&MODEL_A_INPUT, &model_a_specs(8), 1).unwrap();
    if frozen_base {
        let layers = m.layers().to_vec();
        layers[..layers.len() - 1].iter().for_each(|l| l.set_trainable(false));
    }
    m.compile(
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::Sgd { learning_rate: 0.01, momentum: 0.9, nesterov: false },
    )
    .unwrap();
    m
}

fn data(n: usize) -> (Tensor, Tensor) {
    let mut r = Rng::new(3);
    let x = from_vec(&[n, 28, 28, 1], (0..n * 784).map(|_| r.next_f32()).collect()).unwrap();
    let y = from_vec(&[n], (0..n).map(|_| r.below(8) as f32).collect()).unwrap();
    (x, y)
}

/// One `fit` on the GPU (the `GpuFitSession` loop, as the page runs it; the epoch end
/// reads the weights back into `model`).
fn gpu_fit(ctx: &Rc<GpuContext>, model: &RefCell<Sequential>, x: &Tensor, y: &Tensor, opts: &FitOptions) {
    let mut session = GpuFitSession::new(ctx.clone(), &model.borrow(), x, y, opts.clone(), 0).unwrap();
    pollster::block_on(session.run_to_end(model)).unwrap();
}

/// Milliseconds per run of `ops` (each run submitted and waited for).
fn time_ops(ctx: &GpuContext, ops: &[Op]) -> f64 {
    ctx.run(ops);
    ctx.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let reps = 5;
    let t = Instant::now();
    for _ in 0..reps {
        ctx.run(ops);
        ctx.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    }
    t.elapsed().as_secs_f64() * 1e3 / reps as f64
}

/// Per-kernel times of model A's biggest dispatches at batch 128.
fn where_the_time_goes(ctx: &GpuContext) {
    let b = 128;
    let w1 = Window::new(b, 28, 28, 1, (3, 3), (1, 1), true);
    let w2 = Window::new(b, 14, 14, 16, (3, 3), (1, 1), true);
    let p1 = Window::new(b, 28, 28, 16, (2, 2), (2, 2), false);
    let buf = |n: usize| ctx.zeros("bench", n);
    let (x, cols1, y1) = (buf(b * 784), buf(w1.rows() * w1.cols()), buf(w1.rows() * 16));
    let (k1, k2) = (buf(9 * 16), buf(144 * 32));
    let (x2, cols2, y2) = (buf(b * 196 * 16), buf(w2.rows() * w2.cols()), buf(w2.rows() * 32));
    let (pooled, argmax, dk2, dense_w, dense_x, dense_y) =
        (buf(p1.rows() * 16), buf(p1.rows() * 16), buf(144 * 32), buf(1568 * 64), buf(b * 1568), buf(b * 64));
    let cases: Vec<(&str, Vec<Op>)> = vec![
        ("conv1 im2col [100352 x 9]", vec![kernels::im2col(ctx, &w1, &x, &cols1)]),
        ("conv1 gemm 100352x9x16", kernels::gemm(ctx, w1.rows(), 9, 16, &cols1, false, &k1, false, &y1, false)),
        ("conv1 bias+relu", vec![kernels::bias_activation(ctx, w1.rows() * 16, 16, 1, 0.0, Some(&k1), &k1, &y1)]),
        ("pool1 max 2x2", vec![kernels::pool(ctx, &p1, true, &y1, &pooled, &argmax)]),
        ("pool1 backward", vec![kernels::pool_backward(ctx, &p1, true, &pooled, &argmax, &y1)]),
        ("conv2 im2col [25088 x 144]", vec![kernels::im2col(ctx, &w2, &x2, &cols2)]),
        ("conv2 gemm 25088x144x32", kernels::gemm(ctx, w2.rows(), 144, 32, &cols2, false, &k2, false, &y2, false)),
        (
            "conv2 dK gemm 144x25088x32 (split-K)",
            kernels::gemm(ctx, 144, w2.rows(), 32, &cols2, true, &y2, false, &dk2, false),
        ),
        (
            "conv2 dcols gemm 25088x32x144 (B^T)",
            kernels::gemm(ctx, w2.rows(), 32, 144, &y2, false, &k2, true, &cols2, false),
        ),
        ("conv2 col2im", vec![kernels::col2im(ctx, &w2, &cols2, &x2)]),
        ("conv2 bias grad", vec![kernels::bias_grad(ctx, w2.rows(), 32, &y2, &k1)]),
        ("dense1 gemm 128x1568x64", kernels::gemm(ctx, b, 1568, 64, &dense_x, false, &dense_w, false, &dense_y, false)),
    ];
    println!("\nwhere the time goes (batch {b}, ms per dispatch incl. submit+wait):");
    for (name, ops) in cases {
        println!("  {name:<40} {:>8.2}", time_ops(ctx, &ops));
    }
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1024);
    let (x, y) = data(n);
    let ctx = match pollster::block_on(GpuContext::new()) {
        Ok(c) => Rc::new(c),
        Err(e) => {
            eprintln!("SKIP: no GPU adapter ({e}); GPU numbers not measured");
            return;
        }
    };
    println!("GPU adapter: {} ({:?}); {n} examples per measurement", ctx.adapter_info.name, ctx.adapter_info.backend);
    where_the_time_goes(&ctx);
    if std::env::args().any(|a| a == "--kernels-only") {
        return;
    }
    println!("training images/second (one epoch of fit; 'no-cache': frozen base recomputed every step):");
    println!(
        "{:<12} {:>5} {:>12} {:>12} {:>14} {:>12} {:>12} {:>14}",
        "model", "batch", "GPU fit", "GPU ms/step", "GPU no-cache", "GPU predict", "CPU fit", "CPU no-cache"
    );
    for frozen in [false, true] {
        for batch in [32usize, 128] {
            let m = RefCell::new(model_a(frozen));
            // Warm-up: compiles whatever the driver compiles lazily. Each fit uploads the
            // model, records its plans and reads the weights back once (one epoch).
            let opts = FitOptions {
                epochs: 1,
                batch_size: batch,
                shuffle: true,
                seed: 0,
                validation: None,
                cache_frozen_features: true,
            };
            let (wx, wy) = data(batch);
            gpu_fit(&ctx, &m, &wx, &wy, &opts);
            let t = Instant::now();
            gpu_fit(&ctx, &m, &x, &y, &opts);
            let gpu_train = n as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            gpu_fit(&ctx, &m, &x, &y, &FitOptions { cache_frozen_features: false, ..opts.clone() });
            let gpu_train_nc = n as f64 / t.elapsed().as_secs_f64();
            let mut g = GpuModel::new(ctx.clone(), &m.borrow(), batch).unwrap();
            pollster::block_on(g.predict(&wx, batch)).unwrap();
            let t = Instant::now();
            pollster::block_on(g.predict(&x, batch)).unwrap();
            let gpu_pred = n as f64 / t.elapsed().as_secs_f64();
            let mut c = model_a(frozen);
            let t = Instant::now();
            c.fit_quiet(&x, &y, opts.clone()).unwrap();
            let cpu = n as f64 / t.elapsed().as_secs_f64();
            let mut c = model_a(frozen);
            let t = Instant::now();
            c.fit_quiet(&x, &y, FitOptions { cache_frozen_features: false, ..opts }).unwrap();
            let cpu_nc = n as f64 / t.elapsed().as_secs_f64();
            let name = if frozen { "frozen base" } else { "full" };
            let step_ms = batch as f64 / gpu_train * 1e3;
            println!("{name:<12} {batch:>5} {gpu_train:>12.0} {step_ms:>12.3} {gpu_train_nc:>14.0} {gpu_pred:>12.0} {cpu:>12.0} {cpu_nc:>14.0}");
        }
    }
}
