//! `predict`, `evaluate` and `layer_outputs` on the GPU with the CPU as the fallback
//! (`gpu::inference`, what the page's `predictAsync` / `evaluateAsync` /
//! `layerOutputsAsync` run),
//! against the CPU reference. Run natively, e.g. on Mesa's lavapipe:
//! `cargo test --release --test gpu_inference -- --nocapture`.
//!
//! Tolerance, as in tests/gpu_parity.rs: `|gpu - cpu| <= 1e-4 * max(|cpu|, 1)` per
//! output value, and relative `1e-4` for the loss; accuracies are counts, so equal.
//! Without a GPU adapter the GPU tests print `SKIP: no GPU adapter` and return.
#![cfg(all(feature = "gpu", not(target_arch = "wasm32")))] // natively (pollster); tests/wasm_gpu.rs covers wasm32

#[path = "common/gpu.rs"]
mod common_gpu;
#[path = "common/synthetic.rs"]
mod synthetic;
use common_gpu::{assert_close, gpu};
use synthetic::bars;

use std::cell::RefCell;

use transfer_playground::gpu::{inference, GpuModel};
use transfer_playground::tensor::{from_vec, Tensor};
use transfer_playground::{Activation, Error, FitOptions, LayerSpec, Loss, OptimizerConfig, Padding, Sequential};

/// Conv, BN (its moving statistics moved by a CPU epoch), dropout (off in inference),
/// pooling and a softmax head: every inference-mode difference from training.
fn specs() -> Vec<LayerSpec> {
    vec![
        LayerSpec::conv2d(6, 3, Padding::Same, Activation::Relu),
        LayerSpec::batch_norm(),
        LayerSpec::max_pool(2),
        LayerSpec::Dropout { rate: 0.3, seed: Some(2) },
        LayerSpec::Flatten,
        LayerSpec::dense(3, Activation::Softmax),
    ]
}

fn trained_model() -> Sequential {
    let mut m = Sequential::from_specs(&[10, 10, 1], &specs(), 4).unwrap();
    m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::adam()).unwrap();
    let (x, y) = bars(32, 10, 3, 1);
    m.fit_quiet(&x, &y, FitOptions { epochs: 3, batch_size: 8, seed: 1, ..Default::default() }).unwrap();
    m
}

fn assert_tensor_close(what: &str, got: &Tensor, want: &Tensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes");
    assert_close(
        what,
        got.as_standard_layout().as_slice().unwrap(),
        want.as_standard_layout().as_slice().unwrap(),
        1e-4,
    );
}

#[test]
fn gpu_predict_and_evaluate_equal_the_cpu() {
    let Some(ctx) = gpu("GPU predict/evaluate") else { return };
    let m = RefCell::new(trained_model());
    let (x, y) = bars(23, 10, 3, 7);
    // Batches that do not divide the 23 examples, and one larger than all of them.
    for batch in [5, 256] {
        let want = m.borrow().predict(&x, batch).unwrap();
        let got = pollster::block_on(inference::predict(Some(ctx.clone()), &m, &x, batch)).unwrap();
        assert!(got.on_gpu && got.fallback.is_none(), "{got:?}");
        assert_tensor_close(&format!("predict, batch {batch}"), &got.value, &want);

        let want = m.borrow().evaluate(&x, &y, batch).unwrap();
        let got = pollster::block_on(inference::evaluate(Some(ctx.clone()), &m, &x, &y, batch)).unwrap();
        assert!(got.on_gpu && got.fallback.is_none(), "{got:?}");
        let e = got.value;
        assert!(
            (e.loss - want.loss).abs() <= 1e-4 * want.loss.abs(),
            "batch {batch}: loss {} on the GPU, {} on the CPU",
            e.loss,
            want.loss
        );
        assert_eq!(e.accuracy, want.accuracy, "batch {batch}: accuracy");
        eprintln!("batch {batch}: GPU {e:?}, CPU {want:?}");
    }
}

#[test]
fn gpu_layer_outputs_equal_the_cpu() {
    let Some(ctx) = gpu("GPU layer outputs") else { return };
    let m = RefCell::new(trained_model());
    let (x, _) = bars(11, 10, 3, 5);
    // Every layer (conv, BN in inference mode, pooling, dropout off, Flatten aliasing its
    // input's buffer, the softmax head), and a subset out of order; chunks that do not
    // divide the 11 examples, and one larger than all of them.
    for (layers, batch) in [(None, 4), (Some(&[3usize, 0][..]), 256), (Some(&[5usize, 4][..]), 3)] {
        let want = m.borrow().layer_outputs(&x, layers, batch).unwrap();
        let got = pollster::block_on(inference::layer_outputs(Some(ctx.clone()), &m, &x, layers, batch)).unwrap();
        assert!(got.on_gpu && got.fallback.is_none(), "{:?}", got.fallback);
        assert_eq!(got.value.len(), want.len());
        for (g, w) in got.value.iter().zip(&want) {
            assert_eq!((g.index, &g.name, g.class_name), (w.index, &w.name, w.class_name));
            assert_tensor_close(&format!("layer {} '{}', batch {batch}", w.index, w.name), &g.output, &w.output);
        }
    }
    // The same refusals as the CPU's.
    for bad in [&[6usize][..], &[1, 1][..]] {
        let gpu_err =
            pollster::block_on(inference::layer_outputs(Some(ctx.clone()), &m, &x, Some(bad), 4)).unwrap_err();
        assert_eq!(gpu_err.to_string(), m.borrow().layer_outputs(&x, Some(bad), 4).unwrap_err().to_string());
    }
}

#[test]
fn without_a_context_the_cpu_computes_exactly_the_synchronous_result() {
    let m = RefCell::new(trained_model());
    let (x, y) = bars(9, 10, 3, 7);
    let p = pollster::block_on(inference::predict(None, &m, &x, 4)).unwrap();
    assert!(!p.on_gpu && p.fallback.is_none());
    assert_eq!(p.value, m.borrow().predict(&x, 4).unwrap());
    let e = pollster::block_on(inference::evaluate(None, &m, &x, &y, 4)).unwrap();
    assert_eq!(e.value, m.borrow().evaluate(&x, &y, 4).unwrap());
    let l = pollster::block_on(inference::layer_outputs(None, &m, &x, Some(&[2]), 4)).unwrap();
    assert!(!l.on_gpu && l.fallback.is_none());
    assert_eq!(l.value[0].output, m.borrow().layer_outputs(&x, Some(&[2]), 4).unwrap()[0].output);
}

#[test]
fn an_uncompiled_model_predicts_on_the_gpu_and_cannot_be_evaluated_there_either() {
    let Some(ctx) = gpu("GPU predict/evaluate") else { return };
    let m = RefCell::new(Sequential::from_specs(&[10, 10, 1], &specs(), 4).unwrap());
    let (x, y) = bars(6, 10, 3, 7);
    let got = pollster::block_on(inference::predict(Some(ctx.clone()), &m, &x, 4)).unwrap();
    assert!(got.on_gpu);
    assert_tensor_close("uncompiled predict", &got.value, &m.borrow().predict(&x, 4).unwrap());
    let gpu_err = pollster::block_on(inference::evaluate(Some(ctx), &m, &x, &y, 4)).unwrap_err();
    let cpu_err = m.borrow().evaluate(&x, &y, 4).unwrap_err();
    assert!(matches!(gpu_err, Error::NotCompiled(_)), "{gpu_err}");
    assert_eq!(gpu_err.to_string(), cpu_err.to_string());
}

#[test]
fn bad_data_is_the_same_error_on_the_gpu_as_on_the_cpu() {
    let Some(ctx) = gpu("GPU predict/evaluate") else { return };
    let m = RefCell::new(trained_model());
    let (x, y) = bars(6, 10, 3, 7);
    let wrong_shape = from_vec(&[2, 9, 10, 1], vec![0.5; 180]).unwrap();
    let mut with_nan = x.clone();
    with_nan[[3, 4, 5, 0]] = f32::NAN;
    let too_few_targets = from_vec(&[5], vec![0.0; 5]).unwrap();
    for (what, x, y) in
        [("wrong shape", &wrong_shape, &y), ("NaN input", &with_nan, &y), ("too few targets", &x, &too_few_targets)]
    {
        let gpu_err = pollster::block_on(inference::evaluate(Some(ctx.clone()), &m, x, y, 4)).unwrap_err();
        let cpu_err = m.borrow().evaluate(x, y, 4).unwrap_err();
        assert_eq!(gpu_err.to_string(), cpu_err.to_string(), "evaluate, {what}");
        if what != "too few targets" {
            let gpu_err = pollster::block_on(inference::predict(Some(ctx.clone()), &m, x, 4)).unwrap_err();
            assert_eq!(gpu_err.to_string(), m.borrow().predict(x, 4).unwrap_err().to_string(), "predict, {what}");
        }
    }
}

#[test]
fn a_lost_device_falls_back_to_the_cpu_and_says_so() {
    let Some(ctx) = gpu("GPU predict/evaluate") else { return };
    let m = RefCell::new(trained_model());
    let (x, y) = bars(6, 10, 3, 7);
    ctx.simulate_device_loss();
    let p = pollster::block_on(inference::predict(Some(ctx.clone()), &m, &x, 4)).unwrap();
    assert!(!p.on_gpu);
    let why = p.fallback.expect("a fallback reason");
    assert!(why.contains("lost") && why.contains("CPU"), "{why}");
    assert_eq!(p.value, m.borrow().predict(&x, 4).unwrap());
    let l = pollster::block_on(inference::layer_outputs(Some(ctx.clone()), &m, &x, Some(&[0]), 4)).unwrap();
    assert!(!l.on_gpu && l.fallback.is_some());
    assert_eq!(l.value[0].output, m.borrow().layer_outputs(&x, Some(&[0]), 4).unwrap()[0].output);
    let e = pollster::block_on(inference::evaluate(Some(ctx), &m, &x, &y, 4)).unwrap();
    assert!(!e.on_gpu && e.fallback.is_some());
    assert_eq!(e.value, m.borrow().evaluate(&x, &y, 4).unwrap());
}

#[test]
fn the_inference_batch_is_the_largest_whose_buffers_fit_the_gpu() {
    // 64x64x3 images through 32 3x3 filters: 64*64*32 = 131,072 activation values and
    // 64*64*27 = 110,592 im2col values per example; one buffer holds 2^25 values
    // (WebGPU's default 128 MiB binding), so at most 2^25 / 131,072 = 256 examples.
    let m = Sequential::from_specs(
        &[64, 64, 3],
        &[
            LayerSpec::conv2d(32, 3, Padding::Same, Activation::Relu),
            LayerSpec::Flatten,
            LayerSpec::dense(2, Activation::Softmax),
        ],
        1,
    )
    .unwrap();
    assert_eq!(GpuModel::largest_batch(&m, 1000), 256);
    assert_eq!(GpuModel::largest_batch(&m, 100), 100);
    assert_eq!(GpuModel::largest_batch(&m, 0), 1);
}
