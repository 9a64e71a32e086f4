//! Every layer's output, computed by the engine (`Sequential::layer_outputs`), against
//! what real Keras computed for the same files and inputs:
//! `keras.Model(model.inputs, [l.output for l in model.layers]).predict(x)`, dumped by
//! `tests/fixtures/keras/make_fixtures.py layer_outputs` into
//! `tests/fixtures/keras/<model>.layer_outputs.json` (no TensorFlow needed here).
//!
//! A wrong layer order, a layer run in training mode (Dropout dropping, BatchNormalization
//! using batch statistics), a mislaid NHWC/HWIO index, a chunk boundary that loses or
//! repeats examples, or a subset that returns the wrong layer's output all fail it.
//!
//! Run: `cargo test --release --test layer_outputs -- --nocapture` (prints the errors).

#[path = "common/fixture_json.rs"]
mod fixture_json;
use fixture_json::tensor;
use std::path::{Path, PathBuf};

use serde_json::Value;
use transfer_playground::keras::load_keras_model;
use transfer_playground::Tensor;

/// Absolute tolerance, as the issue asks (1e-5). Measured: see the printed maxima.
const TOL: f32 = 1e-5;

/// The fixtures with a layer-outputs dump: model A (28x28x1, conv/pool/flatten/dense),
/// odd sizes and strides, BatchNormalization + Dropout at 64x64x3, BN/Dropout on vectors.
const MODELS: [&str; 4] = ["my_model_A", "conv_odd", "rgb_bn", "mlp_acts"];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dump(model: &str) -> Value {
    serde_json::from_slice(&read(&format!("{model}.layer_outputs.json"))).unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn every_layer_output_matches_keras_in_every_file_format() {
    let mut compared = 0;
    for model in MODELS {
        let d = dump(model);
        let x = tensor(&d["inputs"]);
        let layers = d["layers"].as_array().unwrap();
        // Every Keras-written file of this model, Keras 3 and tf-keras alike.
        let files: Vec<String> = serde_json::from_slice::<Value>(&read(&format!("{model}.json"))).unwrap()["files"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert!(files.len() >= 2, "{model}: {files:?}");
        for file in &files {
            let m = load_keras_model(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(m.layers().len(), layers.len(), "{file}: layer count");
            // Whole batch at once, and one example at a time (chunk boundaries).
            for batch in [64, 1] {
                let outs = m.layer_outputs(&x, None, batch).unwrap();
                for (got, want) in outs.iter().zip(layers) {
                    assert_eq!(got.index as u64, want["index"].as_u64().unwrap());
                    assert_eq!(got.name, want["name"].as_str().unwrap(), "{file}");
                    assert_eq!(got.class_name, want["class_name"].as_str().unwrap(), "{file} layer {}", got.name);
                    let err = max_abs_diff(&got.output, &tensor(&want["output"]));
                    if batch == 64 {
                        println!("{file:28} {:18} {:?} max |ours - keras| = {err:.2e}", got.name, got.output.shape());
                    }
                    assert!(
                        err <= TOL,
                        "{file}: layer {} '{}' differs from Keras by {err} (tolerance {TOL})",
                        got.index,
                        got.name
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= 100, "only {compared} layer outputs compared");
}

#[test]
fn a_chosen_subset_gives_exactly_those_layers() {
    let d = dump("rgb_bn");
    let x = tensor(&d["inputs"]);
    let m = load_keras_model(&read("rgb_bn.keras")).unwrap();
    // The page's feature-map view: the convolutions and poolings, by name, deepest first.
    let idx = m.layer_indices(&["pool", "bn", "conv_s2"]).unwrap();
    assert_eq!(idx, vec![3, 1, 0]);
    let outs = m.layer_outputs(&x, Some(&idx), 32).unwrap();
    for (got, &i) in outs.iter().zip(&idx) {
        let want = &d["layers"][i];
        assert_eq!(got.name, want["name"].as_str().unwrap());
        assert!(max_abs_diff(&got.output, &tensor(&want["output"])) <= TOL, "layer {i}");
    }
    // The size the page checks against its limit before asking: 32*32*4 + 16*16*4 + 32*32*4 floats.
    assert_eq!(m.layer_outputs_bytes(1, Some(&idx)), Some(4 * (4096 + 1024 + 4096)));
}
