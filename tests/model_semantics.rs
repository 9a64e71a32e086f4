//! Keras semantics that the lecture depends on: shared layers with and without
//! `clone_model`, freezing (bit-identical frozen weights, BN inference mode, the
//! warning for an uncompiled `trainable` change), `set_weights` errors, summary
//! counts, determinism, stopping, divergence and bad input.

use transfer_playground::lecture::{clone_with_weights, model_a_specs, set_base_trainable, transfer, MODEL_A_INPUT};
use transfer_playground::model::io::{from_tfjs, to_tfjs};
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};
use transfer_playground::{
    Activation, Control, Error, Event, FitOptions, LayerSpec, Loss, OptimizerConfig, Padding, Sequential,
};

/// A learnable synthetic task on 28x28x1 images: class k has a bright band at rows
/// 3k..3k+3, plus noise.
fn synthetic(n: usize, classes: usize, seed: u64) -> (Tensor, Tensor) {
    let mut rng = Rng::new(seed);
    let mut x = vec![0.0f32; n * 28 * 28];
    let mut y = vec![0.0f32; n];
    for i in 0..n {
        let k = i % classes;
        y[i] = k as f32;
        for r in 0..28 {
            for c in 0..28 {
                let band = if r / 3 == k { 0.8 } else { 0.0 };
                x[i * 784 + r * 28 + c] = band + 0.3 * rng.next_f32();
            }
        }
    }
    (from_vec(&[n, 28, 28, 1], x).unwrap(), from_vec(&[n], y).unwrap())
}

fn model_a(seed: u64) -> Sequential {
    Sequential::from_specs(&MODEL_A_INPUT, &model_a_specs(8), seed).unwrap()
}

fn binary(y: &Tensor) -> Tensor {
    y.mapv(|v| if v as usize % 2 == 1 { 1.0 } else { 0.0 })
}

fn opts(epochs: usize, seed: u64) -> FitOptions {
    FitOptions { epochs, batch_size: 16, shuffle: true, seed, ..FitOptions::default() }
}

fn bits(ws: &[Tensor]) -> Vec<u32> {
    ws.iter().flat_map(|w| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>()).collect()
}

#[test]
fn summary_counts_match_keras_formula() {
    let a = model_a(1);
    // conv 3*3*1*16+16 = 160; conv 3*3*16*32+32 = 4640; dense 7*7*32*64+64 = 100416; dense 64*8+8 = 520
    assert_eq!(a.count_params(), (105_736, 105_736, 0));
    let s = a.summary();
    assert!(s.contains("Total params: 105,736") && s.contains("(None, 7, 7, 32)") && s.contains("(None, 1568)"), "{s}");
    let b = transfer(&clone_with_weights(&a).unwrap()).unwrap();
    set_base_trainable(&b, false);
    // B: 160 + 4640 + 100416 + (64 + 1) = 105281, of which only the head's 65 are trainable.
    assert_eq!(b.count_params(), (105_281, 65, 105_216));
    let bn =
        Sequential::from_specs(&[4], &[LayerSpec::batch_norm(), LayerSpec::dense(2, Activation::Softmax)], 0).unwrap();
    // BN: gamma, beta trainable (8); moving mean/variance not (8).
    assert_eq!(bn.count_params(), (26, 18, 8));
}

#[test]
fn without_clone_training_b_changes_a_with_clone_it_does_not() {
    let (x, y) = synthetic(64, 8, 1);
    let yb = binary(&y);
    // Without the clone: B shares A's layer objects.
    let a = model_a(2);
    let before = bits(&a.get_weights());
    let mut b = transfer(&a).unwrap();
    assert!(b.layers()[0].ptr_eq(&a.layers()[0]));
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    b.fit_quiet(&x, &yb, opts(1, 0)).unwrap();
    assert_ne!(bits(&a.get_weights()), before, "training B must change A's shared layers");
    // With the clone: A stays bit-identical.
    let a = model_a(3);
    let before = bits(&a.get_weights());
    let clone = clone_with_weights(&a).unwrap();
    assert_eq!(bits(&clone.get_weights()), before);
    assert!(!clone.layers()[0].ptr_eq(&a.layers()[0]));
    let mut b = transfer(&clone).unwrap();
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    b.fit_quiet(&x, &yb, opts(1, 0)).unwrap();
    assert_eq!(bits(&a.get_weights()), before, "A must be untouched when B is built from a clone");
    assert_ne!(bits(&clone.get_weights()), before);
}

#[test]
fn clone_model_has_fresh_weights_and_same_architecture() {
    let a = model_a(4);
    let c = a.clone_model().unwrap();
    assert_eq!(
        a.summary_rows().iter().map(|r| (&r.class_name, &r.output_shape)).collect::<Vec<_>>(),
        c.summary_rows().iter().map(|r| (&r.class_name, &r.output_shape)).collect::<Vec<_>>()
    );
    assert_ne!(bits(&a.get_weights()), bits(&c.get_weights()));
    assert_ne!(a.layers()[0].name(), c.layers()[0].name());
}

#[test]
fn frozen_layers_are_bit_identical_after_fit_and_head_learns() {
    let (x, y) = synthetic(64, 8, 5);
    let yb = binary(&y);
    let a = model_a(6);
    let mut b = transfer(&clone_with_weights(&a).unwrap()).unwrap();
    set_base_trainable(&b, false);
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    let base_before: Vec<Vec<u32>> = b.layers()[..6]
        .iter()
        .map(|l| bits(&l.borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>()))
        .collect();
    let head_before = bits(&b.layers()[6].borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>());
    let h = b.fit_quiet(&x, &yb, opts(2, 1)).unwrap();
    assert_eq!(h.loss.len(), 2);
    for (i, l) in b.layers()[..6].iter().enumerate() {
        assert_eq!(
            bits(&l.borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>()),
            base_before[i],
            "frozen layer {i} changed"
        );
    }
    assert_ne!(
        bits(&b.layers()[6].borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>()),
        head_before
    );
    // Only the head has optimizer state (SGD without momentum has none; use momentum).
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::Sgd { learning_rate: 1e-2, momentum: 0.9, nesterov: false })
        .unwrap();
    assert_eq!(b.optimizer_state().iter().map(Vec::len).collect::<Vec<_>>(), vec![64, 1]);
}

#[test]
fn frozen_fit_equals_full_forward_fit() {
    // The cached-features fast path must give the same result as running every layer.
    let (x, y) = synthetic(48, 8, 7);
    let yb = binary(&y);
    let run = |cache: bool| {
        transfer_playground::set_random_seed(42);
        let a = model_a(8);
        let mut b = transfer(&clone_with_weights(&a).unwrap()).unwrap();
        set_base_trainable(&b, false);
        b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
        let vx = x.clone();
        let vy = yb.clone();
        b.fit_quiet(&x, &yb, FitOptions { cache_frozen_features: cache, validation: Some((vx, vy)), ..opts(2, 3) })
            .unwrap()
    };
    let h1 = run(false);
    let h2 = run(true);
    for (a, b) in h1.loss.iter().chain(&h1.val_loss).zip(h2.loss.iter().chain(&h2.val_loss)) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert_eq!(h1.loss.len(), 2);
}

#[test]
fn frozen_batch_norm_runs_in_inference_mode() {
    let (x, y) = synthetic(32, 2, 9);
    let specs = [
        LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
        LayerSpec::batch_norm(),
        LayerSpec::max_pool(4),
        LayerSpec::Flatten,
        LayerSpec::dense(1, Activation::Sigmoid),
    ];
    let mut m = Sequential::from_specs(&MODEL_A_INPUT, &specs, 1).unwrap();
    let bn = m.layers()[1].clone();
    let stats = |bn: &transfer_playground::LayerRef| {
        bits(&bn.borrow().layer.params()[2..].iter().map(|p| p.value.clone()).collect::<Vec<_>>())
    };
    let before = stats(&bn);
    bn.set_trainable(false);
    m.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    m.fit_quiet(&x, &y, opts(1, 0)).unwrap();
    assert_eq!(stats(&bn), before, "a frozen BN layer must not update its moving statistics");
    bn.set_trainable(true);
    m.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    m.fit_quiet(&x, &y, opts(1, 0)).unwrap();
    assert_ne!(stats(&bn), before, "a trainable BN layer updates its moving statistics");
}

#[test]
fn trainable_change_without_recompile_warns_and_is_ignored() {
    let (x, y) = synthetic(32, 8, 10);
    let yb = binary(&y);
    let mut b = transfer(&model_a(11)).unwrap();
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    set_base_trainable(&b, false); // no compile after this
    let before = bits(&b.layers()[0].borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>());
    let mut seen = Vec::new();
    let h = b
        .fit(&x, &yb, opts(1, 0), &mut |_, w| {
            seen.extend(w.iter().cloned());
            Control::Continue
        })
        .unwrap();
    assert_eq!(h.warnings.len(), 1);
    assert!(h.warnings[0].contains("compile"), "{}", h.warnings[0]);
    assert_eq!(seen, h.warnings);
    // As in Keras, the old (trainable) setting is still in force until compile.
    assert_ne!(
        bits(&b.layers()[0].borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>()),
        before
    );
    b.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    assert!(b.fit_quiet(&x, &yb, opts(1, 0)).unwrap().warnings.is_empty());
}

#[test]
fn set_weights_errors_name_the_layer_and_shapes() {
    let a = model_a(12);
    let mut w = a.get_weights();
    w.pop();
    let e = a.set_weights(&w).unwrap_err();
    assert!(e.to_string().contains("has 8 weight arrays, got 7"), "{e}");
    let mut w = a.get_weights();
    w[2] = Tensor::zeros(ndarray::IxDyn(&[3, 3, 16, 31]));
    let e = a.set_weights(&w).unwrap_err().to_string();
    let name = a.layers()[2].name();
    assert!(
        e.contains("layer 2") && e.contains(&name) && e.contains("[3, 3, 16, 32]") && e.contains("[3, 3, 16, 31]"),
        "{e}"
    );
    // Nothing was changed by the failed call.
    let good = a.get_weights();
    assert_eq!(bits(&good), bits(&a.get_weights()));
}

#[test]
fn same_seed_same_weights_and_history_bit_for_bit() {
    let (x, y) = synthetic(48, 8, 13);
    let run = || {
        let mut m = model_a(14);
        m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::adam()).unwrap();
        let h = m.fit_quiet(&x, &y, FitOptions { validation: Some((x.clone(), y.clone())), ..opts(2, 5) }).unwrap();
        (bits(&m.get_weights()), h)
    };
    let (w1, h1) = run();
    let (w2, h2) = run();
    assert_eq!(w1, w2);
    assert_eq!(h1, h2);
}

#[test]
fn it_learns_a_synthetic_task() {
    let (x, y) = synthetic(160, 8, 15);
    let (vx, vy) = synthetic(80, 8, 16);
    let mut m = model_a(17);
    m.compile(
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::Sgd { learning_rate: 0.01, momentum: 0.9, nesterov: false },
    )
    .unwrap();
    let h = m.fit_quiet(&x, &y, FitOptions { validation: Some((vx, vy)), ..opts(4, 1) }).unwrap();
    assert!(h.val_accuracy.last().unwrap() > &0.9, "{h:?}");
    assert!(h.loss.last().unwrap() < &h.loss[0]);
}

#[test]
fn callback_sees_batches_and_can_stop_keeping_weights() {
    let (x, y) = synthetic(64, 8, 18);
    let mut m = model_a(19);
    m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    let before = bits(&m.get_weights());
    let mut batches = 0;
    let h = m
        .fit(&x, &y, opts(3, 0), &mut |ev, _| {
            if let Event::Batch(b) = ev {
                batches += 1;
                assert_eq!(b.batches, 4);
                assert!(b.loss.is_finite());
            }
            if batches == 3 {
                Control::Stop
            } else {
                Control::Continue
            }
        })
        .unwrap();
    assert_eq!(batches, 3);
    assert!(h.loss.is_empty());
    assert_ne!(bits(&m.get_weights()), before);
}

#[test]
fn divergence_stops_with_a_message_and_keeps_finite_weights() {
    let (x, y) = synthetic(64, 2, 20);
    let mut m = Sequential::from_specs(
        &MODEL_A_INPUT,
        &[LayerSpec::Flatten, LayerSpec::dense(8, Activation::Relu), LayerSpec::dense(1, Activation::Linear)],
        1,
    )
    .unwrap();
    m.compile(Loss::MeanSquaredError, OptimizerConfig::sgd(1e6)).unwrap();
    let e = m.fit_quiet(&x, &y, opts(5, 0)).unwrap_err();
    assert!(matches!(e, Error::Diverged(_)), "{e}");
    assert!(e.to_string().contains("epoch") && e.to_string().contains("learning rate"), "{e}");
    assert!(m.get_weights().iter().all(|w| w.iter().all(|v| v.is_finite())));
}

#[test]
fn bad_input_gives_errors_not_panics() {
    let (x, y) = synthetic(8, 8, 21);
    let mut m = model_a(22);
    assert!(matches!(m.fit_quiet(&x, &y, opts(1, 0)), Err(Error::NotCompiled(_))));
    m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap();
    let wrong = Tensor::zeros(ndarray::IxDyn(&[8, 32, 32, 1]));
    let e = m.fit_quiet(&wrong, &y, opts(1, 0)).unwrap_err().to_string();
    assert!(e.contains("(None, 28, 28, 1)") && e.contains("(None, 32, 32, 1)"), "{e}");
    let mut nan = x.clone();
    nan[[3, 1, 1, 0]] = f32::NAN;
    let e = m.fit_quiet(&nan, &y, opts(1, 0)).unwrap_err().to_string();
    assert!(e.contains("example 3") && e.contains("NaN"), "{e}");
    let bad_labels = y.mapv(|v| v + 5.0);
    let e = m.fit_quiet(&x, &bad_labels, opts(1, 0)).unwrap_err().to_string();
    assert!(e.contains("out of range") && e.contains("0..=7"), "{e}");
    let empty = Tensor::zeros(ndarray::IxDyn(&[0, 28, 28, 1]));
    assert!(matches!(m.fit_quiet(&empty, &Tensor::zeros(ndarray::IxDyn(&[0])), opts(1, 0)), Err(Error::Data(_))));
    let e = m.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(1e-2)).unwrap_err().to_string();
    assert!(e.contains("sigmoid"), "{e}");
    assert!(m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::sgd(-1.0)).is_err());
    assert!(m.predict(&wrong, 32).is_err());
    let e = Sequential::from_specs(&[2, 2, 1], &[LayerSpec::conv2d(1, 3, Padding::Valid, Activation::Relu)], 0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("layer 0") && e.contains("does not fit"), "{e}");
    let e = Sequential::from_specs(&[10], &[LayerSpec::max_pool(2)], 0).unwrap_err().to_string();
    assert!(e.contains("3-D input"), "{e}");
}

#[test]
fn tfjs_format_round_trip_preserves_predictions_and_flags() {
    let (x, _) = synthetic(4, 8, 23);
    let a = model_a(24);
    let b = transfer(&clone_with_weights(&a).unwrap()).unwrap();
    set_base_trainable(&b, false);
    let (json, bin) = to_tfjs(&b);
    let b2 = from_tfjs(&json, &bin, 0).unwrap();
    assert_eq!(bits(&b.get_weights()), bits(&b2.get_weights()));
    assert_eq!(bits(&[b.predict(&x, 32).unwrap()]), bits(&[b2.predict(&x, 32).unwrap()]));
    assert!(!b2.layers()[0].trainable() && b2.layers()[6].trainable());
    // Corrupt inputs are errors.
    assert!(from_tfjs(&json, &bin[..bin.len() - 4], 0).unwrap_err().to_string().contains("bytes"));
    assert!(from_tfjs("{not json", &bin, 0).is_err());
    assert!(from_tfjs(&json.replace("\"Dense\"", "\"Conv3D\""), &bin, 0).unwrap_err().to_string().contains("Conv3D"));
}

#[test]
fn layer_names_stay_unique_within_a_model() {
    // Names read from a file do not advance the auto-naming counters; `add` must still
    // pick a free name, and a duplicate shared layer is refused as in Keras.
    let a = model_a(25);
    let (json, bin) = to_tfjs(&a);
    let loaded = from_tfjs(&json, &bin, 0).unwrap();
    let mut b = Sequential::from_layers(&loaded.layers()[..6]).unwrap();
    b.add(&LayerSpec::dense(1, Activation::Sigmoid)).unwrap();
    let mut names: Vec<String> = b.layers().iter().map(|l| l.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 7, "{names:?}");
    let e = b.add_layer(b.layers()[6].clone()).unwrap_err().to_string();
    assert!(e.contains("unique names"), "{e}");
}
