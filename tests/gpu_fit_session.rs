//! The stepwise GPU fit (`GpuFitSession`, driven through `FitRunner`) against the CPU
//! `FitSession`, and going on on the CPU after the GPU device is lost mid-training.
//! Histories are compared with the tolerance of tests/gpu_parity.rs (relative 1e-3).
//! Run: `cargo test --release --test gpu_fit_session -- --nocapture`.
//! Without a GPU adapter the GPU tests print `SKIP: no GPU adapter` and return.

#[path = "common/synthetic.rs"]
mod synthetic;
use synthetic::bars;
use transfer_playground::{
    Activation, Event, FitOptions, FitSession, LayerSpec, Loss, OptimizerConfig, Padding, Sequential,
};

fn specs() -> Vec<LayerSpec> {
    vec![
        LayerSpec::conv2d(8, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(16, Activation::Relu),
        LayerSpec::dense(3, Activation::Softmax),
    ]
}

/// A model with its conv base frozen (`freeze`) and compiled with SGD + momentum.
fn model(freeze: bool) -> Sequential {
    let mut m = Sequential::from_specs(&[12, 12, 1], &specs(), 7).unwrap();
    if freeze {
        m.layers()[0].set_trainable(false);
    }
    m.compile(
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::Sgd { learning_rate: 0.05, momentum: 0.9, nesterov: false },
    )
    .unwrap();
    m
}

fn opts(epochs: usize, cache: bool) -> FitOptions {
    let (vx, vy) = bars(24, 12, 3, 2);
    FitOptions {
        epochs,
        batch_size: 16,
        shuffle: true,
        seed: 1,
        validation: Some((vx, vy)),
        cache_frozen_features: cache,
    }
}

#[test]
fn cpu_session_resumed_mid_epoch_equals_an_uninterrupted_fit() {
    let (x, y) = bars(40, 12, 3, 1);
    let mut whole = model(true);
    let want = whole.fit_quiet(&x, &y, opts(3, true)).unwrap();
    // Stop after 4 steps of epoch 2 (3 batches + the end of epoch 1 + 1 batch), then
    // build a new session at that position on the same model.
    let mut m = model(true);
    let mut s = FitSession::new(&m, &x, &y, opts(3, true)).unwrap();
    for _ in 0..5 {
        s.step(&mut m).unwrap();
    }
    let at = s.position();
    assert_eq!((at.epoch, at.batch), (1, 1));
    let mut s = FitSession::resume_at(&m, &x, &y, opts(3, true), at, s.history().clone()).unwrap();
    while s.step(&mut m).unwrap() != Event::Done {}
    assert_eq!(s.history(), &want, "the resumed fit's history differs from the uninterrupted one");
    assert_eq!(m.get_weights(), whole.get_weights());
}

// Natively (pollster drives the futures); tests/wasm_gpu.rs covers WebGPU in a browser.
#[cfg(all(feature = "gpu", not(target_arch = "wasm32")))]
#[path = "common/gpu.rs"]
#[allow(dead_code)] // its `assert_close` is for the parity tests
mod common_gpu;

#[cfg(all(feature = "gpu", not(target_arch = "wasm32")))]
mod gpu {
    use super::*;
    use std::cell::RefCell;
    use transfer_playground::gpu::FitRunner;
    use transfer_playground::History;

    fn assert_history_close(what: &str, got: &History, want: &History) {
        for (name, a, b) in [
            ("loss", &got.loss, &want.loss),
            ("accuracy", &got.accuracy, &want.accuracy),
            ("val_loss", &got.val_loss, &want.val_loss),
            ("val_accuracy", &got.val_accuracy, &want.val_accuracy),
        ] {
            assert_eq!(a.len(), b.len(), "{what}: {name} has {} epochs, want {}", a.len(), b.len());
            for (e, (a, b)) in a.iter().zip(b).enumerate() {
                assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-3), "{what}: epoch {e} {name}: got {a}, want {b}");
            }
        }
    }

    fn assert_weights_close(what: &str, got: &Sequential, want: &Sequential) {
        for (i, (a, b)) in got.get_weights().iter().zip(want.get_weights()).enumerate() {
            for (j, (p, q)) in a.iter().zip(b.iter()).enumerate() {
                assert!((p - q).abs() <= 1e-3 * q.abs().max(1.0), "{what}: weight {i}[{j}]: got {p}, want {q}");
            }
        }
    }

    /// Runs a runner to the end; returns the number of batch events and the fallback step.
    fn drive(
        runner: &mut FitRunner,
        m: &RefCell<Sequential>,
        mut before_step: impl FnMut(usize),
    ) -> (usize, Option<usize>) {
        let (mut batches, mut fell) = (0, None);
        for i in 0.. {
            before_step(i);
            let s = pollster::block_on(runner.step(m)).unwrap();
            if let Some(msg) = &s.fell_back {
                eprintln!("step {i}: {msg}");
                fell = Some(i);
            }
            match s.event {
                Event::Done => break,
                Event::Batch(_) => batches += 1,
                Event::Epoch(_) => {}
            }
        }
        (batches, fell)
    }

    #[test]
    fn stepwise_gpu_fit_equals_the_cpu_fit() {
        let Some(ctx) = common_gpu::gpu("stepwise GPU fit") else { return };
        let (x, y) = bars(40, 12, 3, 1);
        for (freeze, cache) in [(true, true), (true, false), (false, true)] {
            let what = format!("frozen base {freeze}, feature cache {cache}");
            let mut cpu = model(freeze);
            let want = cpu.fit_quiet(&x, &y, opts(3, cache)).unwrap();
            let m = RefCell::new(model(freeze));
            let mut runner = FitRunner::gpu(ctx.clone(), &m.borrow(), &x, &y, opts(3, cache), 0).unwrap();
            assert_eq!(runner.batches_per_epoch(), 3);
            let (batches, fell) = drive(&mut runner, &m, |_| {});
            assert_eq!((batches, fell), (9, None), "{what}");
            assert!(runner.on_gpu());
            assert_history_close(&what, runner.history(), &want);
            // The epoch-end checkpoints leave the final state in the Sequential.
            assert_weights_close(&what, &m.borrow(), &cpu);
            assert_eq!(m.borrow().optimizer_steps(), cpu.optimizer_steps());
            eprintln!("{what}: GPU loss {:?}, CPU loss {:?}", runner.history().loss, want.loss);
        }
    }

    #[test]
    fn device_lost_mid_training_goes_on_on_the_cpu_from_the_last_checkpoint() {
        let Some(ctx) = common_gpu::gpu("stepwise GPU fit") else { return };
        let (x, y) = bars(40, 12, 3, 1);
        let mut cpu = model(true);
        let want = cpu.fit_quiet(&x, &y, opts(3, true)).unwrap();
        // With checkpoints every 2 batches: the loss before step 6 (epoch 2, after its
        // 2 batches, i.e. right after a checkpoint) resumes exactly there.
        let m = RefCell::new(model(true));
        let mut runner = FitRunner::gpu(ctx.clone(), &m.borrow(), &x, &y, opts(3, true), 2).unwrap();
        let (_, fell) = drive(&mut runner, &m, |i| {
            if i == 6 {
                ctx.simulate_device_loss();
            }
        });
        assert_eq!(fell, Some(6));
        assert!(!runner.on_gpu());
        let msg = runner.fallback().unwrap();
        assert!(msg.contains("lost") && msg.contains("epoch 2, batch 2"), "{msg}");
        // The fit went on from the state read back, so it is the CPU fit, up to rounding.
        assert_history_close("after the device loss", runner.history(), &want);
        assert_weights_close("after the device loss", &m.borrow(), &cpu);
    }

    #[test]
    fn device_lost_without_mid_epoch_checkpoints_redoes_the_epoch_on_the_cpu() {
        let Some(ctx) = common_gpu::gpu("stepwise GPU fit") else { return };
        let (x, y) = bars(40, 12, 3, 1);
        let mut cpu = model(false);
        let want = cpu.fit_quiet(&x, &y, opts(2, true)).unwrap();
        let m = RefCell::new(model(false));
        let mut runner = FitRunner::gpu(ctx.clone(), &m.borrow(), &x, &y, opts(2, true), 0).unwrap();
        // Lost before the end of epoch 2 (steps 4, 5, 6 are its batches, 7 its end).
        let (_, fell) = drive(&mut runner, &m, |i| {
            if i == 7 {
                ctx.simulate_device_loss();
            }
        });
        assert_eq!(fell, Some(7));
        assert!(runner.fallback().unwrap().contains("epoch 2, batch 0"), "{}", runner.fallback().unwrap());
        assert_history_close("epoch redone on the CPU", runner.history(), &want);
        assert_weights_close("epoch redone on the CPU", &m.borrow(), &cpu);
    }
}
