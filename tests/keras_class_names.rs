//! The learner's class names in the `.keras` archive (issue 13): written into
//! `metadata.json` by `to_keras_archive_with` and read back by `read_model_file`, for
//! a softmax output (one name per unit) and the lecture's one-unit sigmoid (two names:
//! the output is P(the second)); the model inside is the same with or without them;
//! names that do not fit the output layer, or are too long, are refused.
//!
//! Run: `cargo test --release --test keras_class_names`

use transfer_playground::keras::{
    load_keras_model, load_keras_model_and_class_names, read_model_file, to_keras_archive, to_keras_archive_with,
    ArchiveMetadata, MAX_CLASS_NAME_BYTES,
};
use transfer_playground::tensor::from_vec;
use transfer_playground::{Activation, LayerSpec, Padding, Sequential};

/// A small model B: a conv base and a new output layer of `units` units.
fn model_b(units: usize) -> Sequential {
    let act = if units == 1 { Activation::Sigmoid } else { Activation::Softmax };
    let specs = [
        LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(units, act),
    ];
    Sequential::from_specs(&[8, 8, 1], &specs, 7).unwrap()
}

fn names(list: &[&str]) -> ArchiveMetadata {
    ArchiveMetadata { class_names: Some(list.iter().map(|s| s.to_string()).collect()) }
}

#[test]
fn softmax_class_names_come_back_when_the_archive_is_read() {
    let m = model_b(3);
    let bytes = to_keras_archive_with(&m, &names(&["circle", "bar", "십자 cross"])).unwrap();
    let file = read_model_file(&bytes).unwrap();
    assert_eq!(file.class_names, Some(vec!["circle".to_string(), "bar".to_string(), "십자 cross".to_string()]));
    // Keras' own key is still there; the names sit beside it.
    assert_eq!(file.keras_version.as_deref(), Some(transfer_playground::keras::export::WRITTEN_KERAS_VERSION));
}

#[test]
fn a_sigmoid_output_takes_two_names() {
    let m = model_b(1);
    let bytes = to_keras_archive_with(&m, &names(&["sandal", "shirt"])).unwrap();
    assert_eq!(read_model_file(&bytes).unwrap().class_names, Some(vec!["sandal".to_string(), "shirt".to_string()]));
    let err = to_keras_archive_with(&m, &names(&["shirt"])).unwrap_err();
    assert_eq!(err.code(), "CONFIG");
    assert!(err.to_string().contains("needs 2 class names, found 1"), "{err}");
}

#[test]
fn without_names_there_are_none_and_the_model_is_the_same() {
    let m = model_b(3);
    let plain = to_keras_archive(&m).unwrap();
    assert_eq!(read_model_file(&plain).unwrap().class_names, None);
    let named = to_keras_archive_with(&m, &names(&["a", "b", "c"])).unwrap();
    let x = from_vec(&[2, 8, 8, 1], (0..2 * 64).map(|i| (i % 13) as f32 / 13.0).collect()).unwrap();
    let want = m.predict(&x, 2).unwrap();
    for bytes in [&plain, &named] {
        let back = load_keras_model(bytes).unwrap();
        assert_eq!(back.predict(&x, 2).unwrap(), want);
    }
}

#[test]
fn names_that_do_not_fit_are_refused_before_anything_is_written() {
    let m = model_b(3);
    let err = to_keras_archive_with(&m, &names(&["a", "b"])).unwrap_err();
    assert_eq!(err.code(), "CONFIG");
    assert!(err.to_string().contains("3 units, so it needs 3 class names, found 2"), "{err}");
    let long = "x".repeat(MAX_CLASS_NAME_BYTES + 1);
    let err = to_keras_archive_with(&m, &names(&["a", "b", &long])).unwrap_err();
    assert_eq!(err.code(), "LIMIT");
}

#[test]
fn loading_gives_the_model_and_its_class_names() {
    let m = model_b(1);
    let bytes = to_keras_archive_with(&m, &names(&["sandal", "shirt"])).unwrap();
    let (loaded, class_names) = load_keras_model_and_class_names(&bytes).unwrap();
    assert_eq!(class_names, Some(vec!["sandal".to_string(), "shirt".to_string()]));
    assert_eq!(loaded.get_weights(), load_keras_model(&bytes).unwrap().get_weights());
    assert_eq!(load_keras_model_and_class_names(&to_keras_archive(&m).unwrap()).unwrap().1, None);
}
