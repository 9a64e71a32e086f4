//! The reader, importer and exporters inside WebAssembly: the fixtures are compiled in (a
//! wasm32-unknown-unknown module has no file system) and read the way the page will read
//! an upload; the exports are written and read back in memory, as the page's download.
//!
//! Natively this runs as an ordinary test. For wasm32: `bash scripts/wasm32-tests.sh`,
//! which builds it with
//! `cargo test --release --target wasm32-unknown-unknown --test keras_wasm --no-run`
//! and runs the module under Node with `node tests/run_wasm_test.mjs <wasm>`;
//! a failed assertion traps (wasm32 aborts on panic), so a clean exit is a pass.

#[path = "common/fixture_json.rs"]
mod fixture_json;
use fixture_json::tensor;
use transfer_playground::keras::{load_keras_model, read_model_file, to_keras_archive, to_legacy_h5, KerasFormat};

const MODEL_A_H5: &[u8] = include_bytes!("fixtures/keras/my_model_A.h5");
const MODEL_A_KERAS: &[u8] = include_bytes!("fixtures/keras/my_model_A.keras");
const RGB_BN_TF_KERAS: &[u8] = include_bytes!("fixtures/keras/rgb_bn.tf_keras.keras");
const DTYPES_H5: &[u8] = include_bytes!("fixtures/keras/dtypes.h5");
const MODEL_A_DUMP: &str = include_str!("fixtures/keras/my_model_A.json");

#[test]
fn reads_real_files() {
    let a = read_model_file(MODEL_A_H5).unwrap();
    assert_eq!(a.format, KerasFormat::LegacyH5);
    let k = read_model_file(MODEL_A_KERAS).unwrap();
    assert_eq!(k.format, KerasFormat::KerasV3);
    assert_eq!(a.layers, k.layers);
    let dense = &a.layers[5].weights[0];
    assert_eq!((dense.name.as_str(), dense.shape.as_slice()), ("dense/kernel", &[1568, 64][..]));
    let bn = read_model_file(RGB_BN_TF_KERAS).unwrap();
    assert_eq!(bn.layers[1].weights.len(), 4);
    let d = read_model_file(DTYPES_H5).unwrap();
    assert_eq!(d.layers[1].weights[0].data.len(), 8);
}

#[test]
fn refuses_broken_files() {
    assert!(read_model_file(&[]).is_err());
    assert!(read_model_file(&MODEL_A_H5[..MODEL_A_H5.len() / 2]).is_err());
    assert!(read_model_file(&MODEL_A_KERAS[..MODEL_A_KERAS.len() - 100]).is_err());
    let mut lying = MODEL_A_H5.to_vec();
    lying[40..48].copy_from_slice(&u64::MAX.to_le_bytes()); // superblock end-of-file address
    assert!(read_model_file(&lying).is_err());
}

#[test]
fn imports_predicts_and_exports() {
    let dump: serde_json::Value = serde_json::from_str(MODEL_A_DUMP).unwrap();
    let (x, want) = (tensor(&dump["inputs"]), tensor(&dump["outputs"]));
    let model = load_keras_model(MODEL_A_H5).unwrap();
    let ours = model.predict(&x, 32).unwrap();
    let err = ours.iter().zip(want.iter()).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(err <= 1e-5, "max error {err}");
    for bytes in [to_keras_archive(&model).unwrap(), to_legacy_h5(&model).unwrap()] {
        assert_eq!(load_keras_model(&bytes).unwrap().predict(&x, 32).unwrap(), ours);
    }
}
