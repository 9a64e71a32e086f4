//! The lecture's procedure (Hands-On ML ch. 11, "reusing pretrained layers") in the
//! engine's words, shared by the native command, the page and the tests:
//!
//! ```python
//! model_A = keras.models.load_model("my_model_A.h5")
//! model_A_clone = keras.models.clone_model(model_A)
//! model_A_clone.set_weights(model_A.get_weights())
//! model_B_on_A = keras.Sequential(model_A_clone.layers[:-1])
//! model_B_on_A.add(keras.layers.Dense(1, activation="sigmoid"))
//! for layer in model_B_on_A.layers[:-1]:
//!     layer.trainable = False
//! model_B_on_A.compile(loss="binary_crossentropy", optimizer=SGD(learning_rate=1e-2), metrics=["accuracy"])
//! history = model_B_on_A.fit(X_train_B, y_train_B, epochs=4, validation_data=(X_valid_B, y_valid_B))
//! for layer in model_B_on_A.layers[:-1]:
//!     layer.trainable = True
//! model_B_on_A.compile(loss="binary_crossentropy", optimizer=SGD(learning_rate=1e-4), metrics=["accuracy"])
//! history = model_B_on_A.fit(X_train_B, y_train_B, epochs=16, validation_data=(X_valid_B, y_valid_B))
//! ```

use crate::error::Result;
use crate::layers::{Activation, LayerSpec, Padding};
use crate::model::Sequential;

/// Model A's input: Fashion-MNIST, 28x28 grayscale.
pub const MODEL_A_INPUT: [usize; 3] = [28, 28, 1];

/// The built-in source model A: Conv2D(16,3,same,relu) -> MaxPool -> Conv2D(32,3,same,relu)
/// -> MaxPool -> Flatten -> Dense(64,relu) -> Dense(classes,softmax).
pub fn model_a_specs(classes: usize) -> Vec<LayerSpec> {
    vec![
        LayerSpec::conv2d(16, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::conv2d(32, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(64, Activation::Relu),
        LayerSpec::dense(classes, Activation::Softmax),
    ]
}

/// Stage 1: `clone_model(A)` then `set_weights(A.get_weights())`, so that training
/// B (built from the clone's layers) never touches A.
pub fn clone_with_weights(a: &Sequential) -> Result<Sequential> {
    let clone = a.clone_model()?;
    clone.set_weights(&a.get_weights())?;
    Ok(clone)
}

/// Stage 2: `Sequential(source.layers[:-1])` plus a new `Dense(1, sigmoid)` head.
/// The layers are shared with `source`, exactly as in Keras.
pub fn transfer(source: &Sequential) -> Result<Sequential> {
    let layers = source.layers();
    let base = &layers[..layers.len().saturating_sub(1)];
    let mut b = Sequential::from_layers(base)?;
    b.name = crate::model::unique_name("model_B_on_A");
    b.add(&LayerSpec::dense(1, Activation::Sigmoid))?;
    Ok(b)
}

/// Stages 3 and 4: `layer.trainable = trainable` for every layer but the head.
pub fn set_base_trainable(b: &Sequential, trainable: bool) {
    let layers = b.layers();
    for l in &layers[..layers.len().saturating_sub(1)] {
        l.set_trainable(trainable);
    }
}

/// Fashion-MNIST class names, by original label.
pub const FASHION_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// Task A: the eight classes other than sandal (5) and shirt (6), relabelled 0..8.
pub const TASK_A_CLASS_MAP: [(u8, u8); 8] = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (7, 5), (8, 6), (9, 7)];

/// Task B: shirt (6) is the positive class 1, sandal (5) the negative class 0.
pub const TASK_B_CLASS_MAP: [(u8, u8); 2] = [(5, 0), (6, 1)];

/// Images scaled to [0, 1] as `[n, h, w, c]` and labels as `[n]`.
pub fn to_tensors(set: &crate::data::ImageSet) -> (crate::Tensor, crate::Tensor) {
    let x = crate::tensor::from_vec(&[set.len(), set.height, set.width, set.channels], set.to_f32())
        .expect("ImageSet sizes are validated");
    let y = crate::tensor::from_vec(&[set.len()], set.labels.iter().map(|&l| l as f32).collect())
        .expect("one label per image");
    (x, y)
}
