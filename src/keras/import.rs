//! A Keras model file to an engine model: the playground's `keras.models.load_model`.
//!
//! Three steps, each in its own place: [`super::read_model_file`] reads the container
//! (legacy `.h5` or `.keras`, sniffed from the bytes), [`model_from_config`] maps the
//! config's layers to engine layers by `class_name` (refusing what the engine would
//! compute differently, with the layer, class and supported list in the message), and
//! [`super::weights::engine_weights`] puts each array in its place.

use super::{read_model_file, weights};
use crate::error::Result;
use crate::model::keras_json::model_from_config;
use crate::model::Sequential;

/// Loads a whole Keras model (`model.save("x.h5")` or `model.save("x.keras")`, Keras 3
/// or tf-keras 2) with its weights, ready for `predict` or transfer learning.
///
/// Sequential models and Functional models that are a simple chain (one input, each
/// layer fed by the previous one) load; anything else is an error saying why.
///
/// ```no_run
/// let bytes = std::fs::read("my_model_A.h5").unwrap();
/// let model_a = transfer_playground::keras::load_keras_model(&bytes)?;
/// # Ok::<(), transfer_playground::Error>(())
/// ```
pub fn load_keras_model(bytes: &[u8]) -> Result<Sequential> {
    load_keras_model_and_class_names(bytes).map(|(model, _)| model)
}

/// [`load_keras_model`] and the names of the model's classes, where the file has them
/// (a `.keras` archive whose `metadata.json` lists `"class_names"`, as this engine
/// writes them; `None` otherwise).
pub fn load_keras_model_and_class_names(bytes: &[u8]) -> Result<(Sequential, Option<Vec<String>>)> {
    let file = read_model_file(bytes)?;
    // The seed only fills the freshly built parameters, which set_weights replaces.
    let model = model_from_config(&file.model_config, 0)?;
    let params = weights::engine_weights(&model, &file.layers)?;
    model.set_weights(&params)?;
    Ok((model, file.class_names))
}
