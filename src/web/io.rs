//! Model files across the boundary: TF.js (`loadLayersModel`, `toTfjs`) and Keras
//! (`loadKerasModel`, `toKeras`, `toH5`). The readers themselves (`model::io`,
//! `keras`) check every declared size before building anything; here the inputs'
//! own sizes are checked before they are copied in.

use js_sys::{Object, Uint8Array};
use wasm_bindgen::prelude::*;

use super::convert::{bytes_from_js, set, string_from_js};
use super::model::JsModel;
use super::models::with_state;
use super::options::Options;
use super::panic::enter;
use crate::error::Result;
use crate::keras::ArchiveMetadata;
use crate::limits::{MAX_DIM, MAX_INPUT_BYTES};
use crate::model::io::{from_tfjs, to_tfjs};

/// `tf.loadLayersModel`: a model from TF.js `model.json` text and its weights
/// (a `Uint8Array` of all shards concatenated in manifest order).
#[wasm_bindgen(js_name = loadLayersModel)]
pub fn load_layers_model(model_json: &JsValue, weights: &JsValue) -> Result<JsModel> {
    enter()?;
    let json = string_from_js(model_json, "loadLayersModel: modelJson", MAX_INPUT_BYTES)?;
    let bytes = bytes_from_js(weights, "loadLayersModel: weights", MAX_INPUT_BYTES)?;
    Ok(JsModel::wrap(from_tfjs(&json, &bytes, 0)?))
}

/// `keras.models.load_model`: a model from the bytes of a Keras file: legacy HDF5
/// (`model.save('my_model_A.h5')`) or a Keras 3 `.keras` archive. Unsupported layers,
/// settings and corrupt files are errors that name the problem.
#[wasm_bindgen(js_name = loadKerasModel)]
pub fn load_keras_model(bytes: &JsValue) -> Result<JsModel> {
    enter()?;
    let bytes = bytes_from_js(bytes, "loadKerasModel: bytes", MAX_INPUT_BYTES)?;
    let (model, names) = crate::keras::load_keras_model_and_class_names(&bytes)?;
    let m = JsModel::wrap(model);
    with_state(&m.inner, |s| s.class_names = names);
    Ok(m)
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// The names of the model's classes in output order, as the `.keras` file it was
    /// loaded from lists them (`toKeras({classNames})` writes them), or `null`: none in
    /// the file, or no longer one per output (two for a one-unit sigmoid) after a change.
    #[wasm_bindgen(getter, js_name = classNames)]
    pub fn class_names(&self) -> Option<Vec<String>> {
        let names = with_state(&self.inner, |s| s.class_names.clone())?;
        let units = self.read().ok()?.output_shape().last().copied()?;
        (names.len() == units || (units == 1 && names.len() == 2)).then_some(names)
    }

    /// The TF.js layers format: `{modelJson: string, weights: Uint8Array}`.
    #[wasm_bindgen(js_name = toTfjs)]
    pub fn to_tfjs(&self) -> Result<Object> {
        enter()?;
        let (json, bin) = to_tfjs(&*self.read()?);
        let o = Object::new();
        set(&o, "modelJson", json);
        set(&o, "weights", Uint8Array::from(bin.as_slice()));
        Ok(o)
    }

    /// The model as a Keras 3 `.keras` archive (`keras.models.load_model` reads it).
    /// `toKeras({classNames})` also writes the names of the model's classes (in output
    /// order; two for a one-unit sigmoid output) into the archive's `metadata.json`.
    #[wasm_bindgen(js_name = toKeras)]
    pub fn to_keras(&self, options: &JsValue) -> Result<Uint8Array> {
        enter()?;
        let o = Options::new(options, "toKeras", &["classNames"])?;
        let class_names = o.strings("classNames", MAX_DIM, "an array of strings, one per class")?;
        let bytes = crate::keras::to_keras_archive_with(&*self.read()?, &ArchiveMetadata { class_names })?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// The model as a legacy Keras HDF5 file (`model.save('name.h5')`'s format).
    #[wasm_bindgen(js_name = toH5)]
    pub fn to_h5(&self) -> Result<Uint8Array> {
        enter()?;
        let bytes = crate::keras::to_legacy_h5(&*self.read()?)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}
