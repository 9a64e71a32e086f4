//! Regression tests for issue 10's traps, natively: every size that comes from input
//! is checked (in `u64`, before anything of that size is allocated) and an oversized
//! one is `Error::Limit` naming what, its value and the limit; a large `predict` runs
//! in chunks instead of failing. The same inputs run compiled to wasm32, where `usize`
//! is 32 bits and a wrap or a failed allocation traps, in `tests/wasm_limits.rs`.
//!
//! One test per class of trap; each names the trap it catches.

mod limits_cases;

use limits_cases::*;
use transfer_playground::image::{image_to_input, resize_images, Target};
use transfer_playground::keras::load_keras_model;
use transfer_playground::limits::{self, MAX_ARCHIVE_ENTRY_BYTES, MAX_BATCH_BYTES, MAX_PARAMS};
use transfer_playground::model::io::from_tfjs;
use transfer_playground::tensor::from_vec;
use transfer_playground::{Activation, Error, LayerSpec, Sequential};

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> (&'static str, String) {
    let e = r.expect_err("expected an error");
    (e.code(), e.to_string())
}

#[test]
fn manifest_sizes_that_wrap_in_32_bits_are_limits_not_reads() {
    // Trap: a model.json whose sizes sum to 2^32 + the real length wrapped on wasm32,
    // passed the size check and sliced gigabytes out of the weights buffer.
    for (what, json) in wrapping_manifests() {
        let (c, m) = code(from_tfjs(&json, WEIGHTS, 0));
        assert_eq!(c, "LIMIT", "{what}: {m}");
        assert!(m.contains("model.json") && m.contains("33,554,432"), "{what}: {m}");
    }
    // An honest manifest with a short weights file is still a format error.
    let (c, m) = code(from_tfjs(MODEL_JSON, &WEIGHTS[..WEIGHTS.len() - 4], 0));
    assert_eq!(c, "FORMAT", "{m}");
}

#[test]
fn layer_configs_are_checked_before_any_layer_is_built() {
    // Trap: Dense(units=1e9) / Conv2D(filters=1e12) wrapped a size in glorot_uniform
    // and allocated 1.35 GB first; Dense(units=3e5) allocated 1.9 GB before the
    // weights' shapes were compared. Now each is a LIMIT from the config alone (a
    // SHAPE error would mean the layers had been built and the weights compared).
    for (what, json) in huge_layer_configs() {
        let (c, m) = code(from_tfjs(&json, WEIGHTS, 0));
        assert_eq!(c, "LIMIT", "{what}: {m}");
        assert!(
            m.contains("'dense'") || m.contains("'conv2d'") || m.contains("input"),
            "{what} names the layer or the input: {m}"
        );
    }
    // The same configs inside a .keras archive (Keras' config.json).
    let huge = keras_with_config(|v| v["config"]["layers"][6]["config"]["units"] = serde_json::json!(300_000));
    let (c, m) = code(load_keras_model(&huge));
    assert_eq!(c, "LIMIT", "{m}");
    assert!(m.contains("dense") && m.contains("470,"), "{m}");
}

#[test]
fn layers_added_in_code_are_checked_before_they_are_built() {
    // Trap: model.add({className: 'Dense', units: 2e8}) built the layer.
    let mut m = Sequential::from_specs(&[28, 28, 1], &transfer_playground::lecture::model_a_specs(8), 1).unwrap();
    m.pop();
    let (c, msg) = code(m.add(&LayerSpec::dense(200_000_000, Activation::Linear)));
    assert_eq!(c, "LIMIT", "{msg}");
    // 1568 x 2^24 weights: under the per-setting limit, over the parameter limit.
    let (c, msg) = code(m.add(&LayerSpec::dense(limits::MAX_DIM, Activation::Linear)));
    assert_eq!(c, "LIMIT", "{msg}");
    assert!(msg.contains("parameters"), "{msg}");
    // A layer whose one-example output is over the batch limit cannot run at all.
    let mut wide = Sequential::new(&[8192, 8192, 1]);
    let (c, msg) = code(wide.add(&LayerSpec::conv2d(64, 3, transfer_playground::Padding::Same, Activation::Relu)));
    assert_eq!(c, "LIMIT", "{msg}");
    assert!(msg.contains("one example"), "{msg}");
    assert!(m.add(&LayerSpec::dense(8, Activation::Softmax)).is_ok(), "normal sizes still build");
}

#[test]
fn a_keras_entry_declaring_more_than_the_entry_limit_is_refused_before_allocating() {
    // Trap: a 42 MB .keras whose weights entry honestly declared 2.06 GiB (under the
    // 64x expansion cap) trapped at the pre-allocation. 600 MiB here: over the limit.
    let declared = 600 << 20;
    assert!(declared as usize > MAX_ARCHIVE_ENTRY_BYTES);
    let file = keras_declaring(declared);
    assert!(file.len() * 64 > declared as usize, "under the expansion cap, so the limit is what refuses it");
    let (c, m) = code(load_keras_model(&file));
    assert_eq!(c, "LIMIT", "{m}");
    assert!(m.contains("model.weights.h5") && m.contains("629,145,600"), "{m}");
}

#[test]
fn large_predict_and_evaluate_run_in_chunks_with_the_same_result() {
    // Trap: predict(45,000 images, batchSize 1e9) put every image in one batch (4.7 GB
    // of activations). It now runs in chunks of what fits MAX_BATCH_BYTES, with the
    // same numbers as small batches.
    let mut m = Sequential::from_specs(&[28, 28, 1], &transfer_playground::lecture::model_a_specs(8), 3).unwrap();
    let per = limits::example_bytes(&m) as usize;
    let chunk = MAX_BATCH_BYTES / per;
    let n = chunk + 37; // two chunks, the second short
    let x = from_vec(&[n, 28, 28, 1], (0..n * 784).map(|i| ((i * 31) % 255) as f32 / 255.0).collect()).unwrap();
    let big = m.predict(&x, 1_000_000_000).unwrap();
    let small = m.predict(&x, 256).unwrap();
    assert_eq!(big.shape(), &[n, 8]);
    assert_eq!(big, small);
    m.compile(
        transfer_playground::Loss::SparseCategoricalCrossentropy,
        transfer_playground::OptimizerConfig::sgd(0.01),
    )
    .unwrap();
    let y = from_vec(&[n], (0..n).map(|i| (i % 8) as f32).collect()).unwrap();
    let (a, b) = (m.evaluate(&x, &y, 1_000_000_000).unwrap(), m.evaluate(&x, &y, 256).unwrap());
    assert!((a.loss - b.loss).abs() < 1e-9 && a.accuracy == b.accuracy, "{a:?} {b:?}");
    // fit refuses such a batch instead (it would change what training computes).
    let huge_batch = transfer_playground::FitOptions { batch_size: 1_000_000_000, ..Default::default() };
    let (c, msg) = code(m.fit_quiet(&x, &y, huge_batch));
    assert_eq!(c, "LIMIT", "{msg}");
    assert!(msg.contains(&format!("at most {chunk} examples")), "{msg}");
}

#[test]
fn a_model_without_layers_does_not_return_its_input() {
    // Trap (silent): a model with every layer popped "predicted" its input.
    let mut m = Sequential::from_specs(&[4], &[LayerSpec::dense(2, Activation::Linear)], 1).unwrap();
    m.pop();
    let x = from_vec(&[1, 4], vec![1.0; 4]).unwrap();
    let (c, msg) = code(m.predict(&x, 8));
    assert_eq!(c, "CONFIG", "{msg}");
    assert!(msg.contains("no layers"), "{msg}");
}

#[test]
fn image_sizes_are_checked_first() {
    // Trap: resizeImages(x, -1, 28, 1) (-1 arrived as 4294967295), a target of 1e10,
    // and 30000 x 30000 each allocated before failing.
    let x = from_vec(&[1, 28, 28, 1], vec![0.5; 784]).unwrap();
    let huge = usize::try_from(10_000_000_000u64).unwrap_or(usize::MAX); // 1e10, or usize::MAX on wasm32
    for (h, w) in [(u32::MAX as usize, 28), (huge, 1), (30_000, 30_000)] {
        let (c, msg) = code(resize_images(&x, h, w, 1));
        assert_eq!(c, "LIMIT", "{h}x{w}: {msg}");
    }
    let t = Target { height: 28, width: 28, channels: 1, invert: false };
    let (c, msg) = code(image_to_input(&[0; 16], 30_000, 30_000, t));
    assert_eq!(c, "LIMIT", "the pixel limit comes before the buffer's length: {msg}");
    assert!(msg.contains("67,108,864"), "{msg}");
}

#[test]
fn data_set_headers_cannot_claim_more_than_the_file_holds() {
    // A header claiming 2^32 - 1 images of 2^32 - 1 bytes: refused from the header,
    // without reading (or allocating) anything.
    let e = transfer_playground::data::ImageSet::from_bytes(&tpds_header(u32::MAX, u32::MAX, u32::MAX, 1)).unwrap_err();
    assert!(e.to_string().contains("TPDS"), "{e}");
}

#[test]
fn parameter_totals_use_the_documented_limit() {
    assert_eq!(MAX_PARAMS, 33_554_432);
    // Model A, 105,736 parameters, is far inside.
    let specs = transfer_playground::lecture::model_a_specs(8);
    let named: Vec<(&str, &LayerSpec)> = specs.iter().map(|s| ("l", s)).collect();
    assert_eq!(limits::check_specs(&[28, 28, 1], &named).unwrap(), 105_736);
}
