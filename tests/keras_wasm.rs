//! The reader inside WebAssembly: the fixtures are compiled in (a wasm32-unknown-unknown
//! module has no file system) and read the way the page will read an upload.
//!
//! Natively this runs as an ordinary test. For wasm32 build it with
//! `cargo test --release --target wasm32-unknown-unknown --test keras_wasm --no-run`
//! and run the module under Node with `node tests/fixtures/keras/run_wasm_test.mjs <wasm>`;
//! a failed assertion traps (wasm32 aborts on panic), so a clean exit is a pass.

use transfer_playground::keras::{read_model_file, KerasFormat};

const MODEL_A_H5: &[u8] = include_bytes!("fixtures/keras/my_model_A.h5");
const MODEL_A_KERAS: &[u8] = include_bytes!("fixtures/keras/my_model_A.keras");
const RGB_BN_TF_KERAS: &[u8] = include_bytes!("fixtures/keras/rgb_bn.tf_keras.keras");
const DTYPES_H5: &[u8] = include_bytes!("fixtures/keras/dtypes.h5");

#[test]
fn reads_real_files() {
    let a = read_model_file(MODEL_A_H5).unwrap();
    assert_eq!(a.format, KerasFormat::LegacyH5);
    let k = read_model_file(MODEL_A_KERAS).unwrap();
    assert_eq!(k.format, KerasFormat::KerasV3);
    assert_eq!(a.layers, k.layers);
    let dense = &a.layers[5].weights[0];
    assert_eq!(
        (dense.name.as_str(), dense.shape.as_slice()),
        ("dense/kernel", &[1568, 64][..])
    );
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
