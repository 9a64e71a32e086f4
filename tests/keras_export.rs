//! Exporting engine models to Keras' two formats and to TF.js, read back by our own
//! reader here; the same files are left for real tools to load.
//!
//! For every fixture model this imports the Keras file, exports `model.keras`,
//! `model.h5` and `tfjs/{model.json, weights.bin}`, checks that each reads back into a
//! model predicting exactly the same, and writes them with the inputs and our outputs
//! (`expected.json`) to `target/keras-roundtrip/<model>/` (or `$KERAS_ROUNDTRIP_DIR`).
//! Then `tests/fixtures/keras/roundtrip.py` loads them with real Keras and tf-keras, and
//! `tests/interop/tfjs_roundtrip.mjs` with `@tensorflow/tfjs`; `scripts/interop-check.sh`
//! runs all three.
//!
//! Run: `cargo test --release --test keras_export`

#[path = "common/fixture_json.rs"]
mod fixture_json;
use fixture_json::tensor;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use transfer_playground::keras::{load_keras_model, read_model_file, to_keras_archive, to_legacy_h5, KerasFormat};
use transfer_playground::model::io::{from_tfjs, to_tfjs, WEIGHTS_FILE};
use transfer_playground::{Sequential, Tensor};

const MODELS: [(&str, &str); 7] = [
    ("my_model_A", "my_model_A.h5"),
    ("conv_odd", "conv_odd.keras"),
    ("rgb_bn", "rgb_bn.tf_keras.h5"),
    ("mlp_acts", "mlp_acts.keras"),
    ("functional_chain", "functional_chain.keras"),
    ("dtypes", "dtypes.h5"),
    ("bn_flags", "bn_flags.keras"),
];

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keras")
}

fn out_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KERAS_ROUNDTRIP_DIR") {
        return PathBuf::from(d);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("keras-roundtrip")
}

fn tensor_json(t: &Tensor) -> Value {
    json!({"shape": t.shape(), "values": t.iter().map(|&v| v as f64).collect::<Vec<_>>()})
}

fn same_predictions(what: &str, m: &Sequential, x: &Tensor, want: &Tensor) {
    let got = m.predict(x, 32).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(got, *want, "{what}: the re-read model predicts differently");
}

/// The transfer-learning case: model A's base frozen (`trainable = False`), as model B is
/// saved after the first fine-tuning phase. Exported under this name.
const FROZEN: &str = "my_model_A_frozen";

#[test]
fn exports_read_back_exactly_and_are_left_for_real_tools() {
    let root = out_dir();
    for (model, file) in MODELS.into_iter().chain([(FROZEN, "my_model_A.keras")]) {
        let dump_name = if model == FROZEN { "my_model_A" } else { model };
        let dump: Value =
            serde_json::from_slice(&std::fs::read(fixture_dir().join(format!("{dump_name}.json"))).unwrap()).unwrap();
        let x = tensor(&dump["inputs"]);
        let m = load_keras_model(&std::fs::read(fixture_dir().join(file)).unwrap()).unwrap();
        if model == FROZEN {
            m.layers()[..5].iter().for_each(|l| l.set_trainable(false));
        }
        let trainable: Vec<bool> = m.layers().iter().map(|l| l.trainable()).collect();
        let ours = m.predict(&x, 32).unwrap();

        let archive = to_keras_archive(&m).unwrap();
        let read = read_model_file(&archive).unwrap();
        assert_eq!(read.format, KerasFormat::KerasV3);
        assert_eq!(read.model_config["config"]["name"], m.name.as_str());
        let back = load_keras_model(&archive).unwrap();
        same_predictions(&format!("{model}.keras"), &back, &x, &ours);
        assert_eq!(back.layers().iter().map(|l| l.trainable()).collect::<Vec<_>>(), trainable, "{model}.keras");

        let h5 = to_legacy_h5(&m).unwrap();
        assert_eq!(read_model_file(&h5).unwrap().format, KerasFormat::LegacyH5);
        let back = load_keras_model(&h5).unwrap();
        same_predictions(&format!("{model}.h5"), &back, &x, &ours);
        assert_eq!(back.layers().iter().map(|l| l.trainable()).collect::<Vec<_>>(), trainable, "{model}.h5");

        let (model_json, bin) = to_tfjs(&m);
        same_predictions(&format!("{model} TF.js"), &from_tfjs(&model_json, &bin, 1).unwrap(), &x, &ours);

        let dir = root.join(model);
        std::fs::create_dir_all(dir.join("tfjs")).unwrap();
        std::fs::write(dir.join("model.keras"), &archive).unwrap();
        std::fs::write(dir.join("model.h5"), &h5).unwrap();
        std::fs::write(dir.join("tfjs/model.json"), &model_json).unwrap();
        std::fs::write(dir.join("tfjs").join(WEIGHTS_FILE), &bin).unwrap();
        let expected = json!({"model": model, "from": file, "trainable": trainable, "inputs": tensor_json(&x), "outputs": tensor_json(&ours)});
        std::fs::write(dir.join("expected.json"), expected.to_string()).unwrap();
    }
    println!("exported {} models to {}", MODELS.len() + 1, root.display());
}

#[test]
fn keras3_config_looks_like_keras_writes_it() {
    let m = load_keras_model(&std::fs::read(fixture_dir().join("rgb_bn.keras")).unwrap()).unwrap();
    let archive = to_keras_archive(&m).unwrap();
    let config = read_model_file(&archive).unwrap().model_config;
    assert_eq!(config["module"], "keras");
    assert_eq!(config["class_name"], "Sequential");
    assert_eq!(config["build_config"]["input_shape"], json!([null, 64, 64, 3]));
    let layers = config["config"]["layers"].as_array().unwrap();
    assert_eq!(layers[0]["class_name"], "InputLayer");
    assert_eq!(layers[0]["config"]["batch_shape"], json!([null, 64, 64, 3]));
    let conv = &layers[1];
    assert_eq!((conv["module"].as_str(), conv["registered_name"].is_null()), (Some("keras.layers"), true));
    assert_eq!(conv["config"]["dtype"]["class_name"], "DTypePolicy");
    assert_eq!(conv["config"]["kernel_initializer"]["module"], "keras.initializers");
    assert_eq!(conv["build_config"]["input_shape"], json!([null, 64, 64, 3]));
    let leaky = layers.iter().find(|l| l["class_name"] == "LeakyReLU").unwrap();
    assert_eq!(leaky["config"]["negative_slope"].as_f64().map(|v| (v * 1e6).round()), Some(0.2e6));
    assert!(leaky["config"].get("alpha").is_none());
}
