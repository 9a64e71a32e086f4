//! Importing real Keras files into the engine (`keras::load_keras_model`): every fixture
//! in every format must predict what Keras itself predicted on the dumped inputs; models
//! the engine cannot run must be refused with a message naming the layer, its class and
//! what is supported. No TensorFlow is needed: `tests/fixtures/keras/*.json` hold Keras'
//! own outputs (see `make_fixtures.py` there).
//!
//! Run: `cargo test --release --test keras_import -- --nocapture` (prints the errors).

#[path = "common/fixture_json.rs"]
mod fixture_json;
use fixture_json::tensor;
use std::path::{Path, PathBuf};

use serde_json::Value;
use transfer_playground::keras::{load_keras_model, read_model_file, weights};
use transfer_playground::{Error, Sequential, Tensor};

/// Prediction tolerance, absolute: every fixture's outputs are softmax/sigmoid/tanh-range
/// or small logits (|y| < 10), where f32 sums in another order differ by ~1e-7.
const TOL: f32 = 1e-5;
/// The `dtypes` fixture computes its float16 layer in float16 in Keras (the engine
/// computes in f32 from the same f16 weights); measured 1.04e-4 on outputs of size ~1,
/// about half of float16's 2^-11 relative step.
const TOL_F16: f32 = 5e-4;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dump(model: &str) -> Value {
    serde_json::from_slice(&fixture(&format!("{model}.json"))).unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn load(name: &str) -> Sequential {
    load_keras_model(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn refusal(name: &str) -> String {
    match load_keras_model(&fixture(name)) {
        Ok(_) => panic!("{name}: expected the import to be refused"),
        Err(e) => e.to_string(),
    }
}

const MODELS: [&str; 7] = ["my_model_A", "conv_odd", "rgb_bn", "mlp_acts", "functional_chain", "dtypes", "bn_flags"];

#[test]
fn every_fixture_in_every_format_predicts_what_keras_predicted() {
    let mut checked = 0;
    for model in MODELS {
        let d = dump(model);
        let x = tensor(&d["inputs"]);
        let want = tensor(&d["outputs"]);
        let tol = if model == "dtypes" { TOL_F16 } else { TOL };
        let files = d["files"].as_object().unwrap();
        assert!(!files.is_empty(), "{model}: no files listed");
        for file in files.keys() {
            let m = load(file);
            assert_eq!(m.input_shape(), &x.shape()[1..], "{file}");
            let got = m.predict(&x, 32).unwrap();
            let err = max_abs_diff(&got, &want);
            println!("{file:28} max |ours - keras| = {err:.3e}");
            assert!(err <= tol, "{file}: predictions differ from Keras' by {err} (tolerance {tol})");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} files checked");
}

#[test]
fn imported_model_keeps_names_flags_and_weights() {
    let m = load("my_model_A.h5");
    let names: Vec<String> = m.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names, ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"]);
    assert_eq!(m.name, "model_A");
    assert_eq!(m.count_params().0, 16 * 9 + 16 + 32 * 16 * 9 + 32 + 1568 * 64 + 64 + 64 * 8 + 8);
    // The weights are the file's, in Keras' order.
    let file = read_model_file(&fixture("my_model_A.h5")).unwrap();
    let from_file: Vec<f32> = file.layers.iter().flat_map(|l| l.weights.iter().flat_map(|w| w.data.clone())).collect();
    let ours: Vec<f32> = m.get_weights().iter().flat_map(|t| t.iter().copied().collect::<Vec<_>>()).collect();
    assert_eq!(ours, from_file);
    // BatchNormalization without beta / gamma gets exactly the arrays it has.
    let bn = load("bn_flags.keras");
    let counts: Vec<usize> = bn.layers().iter().map(|l| l.borrow().layer.params().len()).collect();
    assert_eq!(counts, [2, 3, 3, 2]);
}

#[test]
fn functional_chain_imports_as_sequential() {
    for file in ["functional_chain.h5", "functional_chain.keras"] {
        let m = load(file);
        let names: Vec<String> = m.layers().iter().map(|l| l.name()).collect();
        assert_eq!(names, ["f_conv", "f_pool", "f_flat", "f_dense"], "{file}");
        assert_eq!(m.input_shape(), [10, 10, 1]);
    }
}

#[test]
fn unsupported_layer_class_names_layer_class_and_supported_list() {
    let e = refusal("refuse_conv3d.keras");
    assert!(e.contains("'vol'") && e.contains("Conv3D") && e.contains("supported: InputLayer, Conv2D"), "{e}");
}

#[test]
fn unsupported_activation_names_layer_and_supported_list() {
    for file in ["refuse_gelu.keras", "refuse_gelu.h5"] {
        let e = refusal(file);
        assert!(
            e.contains("'d_gelu'") && e.contains("(Dense)") && e.contains("'gelu'") && e.contains("supported: "),
            "{file}: {e}"
        );
    }
}

#[test]
fn unsupported_setting_names_layer_and_setting() {
    let e = refusal("refuse_dilated.h5");
    assert!(e.contains("'c_dilated'") && e.contains("(Conv2D)") && e.contains("dilation_rate"), "{e}");
}

#[test]
fn non_chain_functional_models_are_refused_clearly() {
    for file in ["refuse_skip_add.keras", "refuse_skip_add.h5"] {
        let e = refusal(file);
        // The Add layer takes two inputs: the model is not a chain of single layers.
        assert!(e.contains("'skip'") && e.contains("only simple chains"), "{file}: {e}");
    }
    let e = refusal("refuse_two_inputs.keras");
    assert!(e.contains("2 inputs") && e.contains("'a'") && e.contains("'b'"), "{e}");
}

#[test]
fn weight_mismatches_name_layer_variable_expected_and_found() {
    let bytes = fixture("conv_odd.keras");
    let file = read_model_file(&bytes).unwrap();
    let model = transfer_playground::model::keras_json::model_from_config(&file.model_config, 0).unwrap();

    let mut wrong_shape = file.layers.clone();
    wrong_shape[5].weights[0].shape = vec![21, 6];
    wrong_shape[5].weights[0].data.extend([0.0; 6]);
    let e = weights::engine_weights(&model, &wrong_shape).unwrap_err().to_string();
    assert!(
        e.contains("layer 5 'd_elu' (Dense)")
            && e.contains("'kernel'")
            && e.contains("(20, 6)")
            && e.contains("(21, 6)"),
        "{e}"
    );

    let mut missing = file.layers.clone();
    let extra = missing[0].weights[1].clone();
    missing[1].weights.push(extra);
    let e = weights::engine_weights(&model, &missing).unwrap_err().to_string();
    assert!(
        e.contains("layer 1 'c_same_s2_nobias' (Conv2D)") && e.contains("expected 1 weight arrays [kernel]"),
        "{e}"
    );

    let mut swapped = file.layers.clone();
    swapped.swap(0, 1);
    let e = weights::engine_weights(&model, &swapped).unwrap_err().to_string();
    assert!(e.contains("layer 0 'c_valid'") && e.contains("'c_same_s2_nobias'"), "{e}");

    let e = weights::engine_weights(&model, &file.layers[..3]).unwrap_err().to_string();
    assert!(e.contains("3 layers") && e.contains("describes 8"), "{e}");
}

#[test]
fn broken_files_are_format_errors() {
    let a = fixture("my_model_A.h5");
    assert!(matches!(load_keras_model(&a[..a.len() / 2]), Err(Error::Format(_))));
    assert!(matches!(load_keras_model(b"not a model"), Err(Error::Format(_))));
    let e = load_keras_model(&fixture("weights_only.weights.h5")).unwrap_err().to_string();
    assert!(e.contains("weights-only"), "{e}");
}
