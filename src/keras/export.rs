//! An engine model to Keras files, so a model fine-tuned in the browser goes back to
//! Python: `keras.models.load_model("model_B.keras")` (or `.h5`, which tf-keras reads too).
//!
//! * [`to_keras_archive`]: the Keras 3 `.keras` zip. `config.json` is written in Keras 3's
//!   serialization format (every object `{"module", "class_name", "config",
//!   "registered_name"}`, dtype policies as objects, `build_config` on the layers Keras
//!   builds), derived from the same per-layer config the TF.js writer uses, so the two
//!   can never disagree on a layer's settings. [`to_keras_archive_with`] also writes the
//!   names of the model's classes into `metadata.json` (`"class_names"`, which Keras
//!   leaves alone and [`super::read_model_file`] reads back), so a model trained on a
//!   learner's classes keeps their names.
//! * [`to_legacy_h5`]: the legacy HDF5 file, with the Keras 2 style config (the dialect
//!   that Keras 3's legacy loader, tf-keras and TF.js all read).
//!
//! Both are checked against real Keras 3.15 / tf-keras 2.21 by
//! `tests/fixtures/keras/roundtrip.py` (see `scripts/interop-check.sh`).

use serde_json::{json, Map, Value};

use super::{archive, h5, weights, LayerWeights};
use crate::error::{Error, Result};
use crate::model::keras_json::{layer_config, model_config};
use crate::model::Sequential;

/// The Keras version whose file format the writers follow (and the version the
/// round-trip check loads them with). Keras reads it only for messages.
pub const WRITTEN_KERAS_VERSION: &str = "3.15.1";
/// What the legacy `.h5` file says wrote it: its config is in the Keras 2 dialect.
pub const WRITTEN_LEGACY_KERAS_VERSION: &str = "2.21.0";

/// The longest class name [`to_keras_archive_with`] writes, in bytes of UTF-8.
pub const MAX_CLASS_NAME_BYTES: usize = 1024;

/// What a `.keras` archive says beyond the model: written to its `metadata.json`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveMetadata {
    /// The names of the model's classes, in the order of its outputs: one per unit of a
    /// softmax output, or two for a one-unit sigmoid output (which is P(`names[1]`)).
    pub class_names: Option<Vec<String>>,
}

/// `model.save("x.keras")`: a Keras 3 archive holding the model's config and weights.
pub fn to_keras_archive(model: &Sequential) -> Result<Vec<u8>> {
    to_keras_archive_with(model, &ArchiveMetadata::default())
}

/// [`to_keras_archive`] with `metadata.json` also holding `meta`'s class names. A list
/// whose length does not fit the output layer, or an over-long name, is an error
/// (`CONFIG`, `LIMIT`) before anything is written.
pub fn to_keras_archive_with(model: &Sequential, meta: &ArchiveMetadata) -> Result<Vec<u8>> {
    let config = keras3_model_config(model);
    let mut metadata = json!({
        "keras_version": WRITTEN_KERAS_VERSION,
        // No date_saved: wasm32 has no clock without JavaScript, and Keras never reads it.
        "generated_by": concat!("transfer-playground ", env!("CARGO_PKG_VERSION")),
    });
    if let Some(names) = &meta.class_names {
        check_class_names(model, names)?;
        metadata["class_names"] = json!(names);
    }
    let keyed =
        weight_keys(model).into_iter().zip(weights::keras_weights(model)).collect::<Vec<(String, LayerWeights)>>();
    let weights_h5 = h5::write_v3_weights(&model.name, &keyed)?;
    Ok(archive::write_keras_archive(&metadata.to_string(), &config.to_string(), &weights_h5)?)
}

/// Class names fit the output layer: as many as its units, or two for a single unit.
fn check_class_names(model: &Sequential, names: &[String]) -> Result<()> {
    let units = model.output_shape().last().copied().unwrap_or(1);
    let want = if units == 1 { 2 } else { units };
    if names.len() != want {
        return Err(Error::Config(format!(
            "class names: the output layer has {units} unit{}, so it needs {want} class names, found {}",
            if units == 1 { " (a sigmoid: P(the second class))" } else { "s" },
            names.len()
        )));
    }
    if let Some(long) = names.iter().find(|n| n.len() > MAX_CLASS_NAME_BYTES) {
        return Err(Error::limit("bytes of a class name", long.len() as f64, MAX_CLASS_NAME_BYTES as f64));
    }
    Ok(())
}

/// `model.save("x.h5")`: the legacy HDF5 format (what the book's `my_model_A.h5` is).
pub fn to_legacy_h5(model: &Sequential) -> Result<Vec<u8>> {
    let config = model_config(model).to_string();
    Ok(h5::write_legacy_model(&config, WRITTEN_LEGACY_KERAS_VERSION, &weights::keras_weights(model))?)
}

/// The keys of `model.weights.h5`'s `layers/` group, as Keras derives them: the class
/// name in snake_case, numbered in model order (`conv2d`, `conv2d_1`, ...).
fn weight_keys(model: &Sequential) -> Vec<String> {
    let mut used = std::collections::HashMap::<String, usize>::new();
    model
        .layers()
        .iter()
        .map(|l| {
            let base = h5::snake_case(l.spec().class_name());
            let n = used.entry(base.clone()).or_insert(0);
            let key = if *n == 0 { base } else { format!("{base}_{n}") };
            *n += 1;
            key
        })
        .collect()
}

/// The model config as Keras 3 writes it into `config.json`.
pub fn keras3_model_config(model: &Sequential) -> Value {
    let input_batch_shape = batch_shape(model.input_shape());
    let mut layers = vec![json!({
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {"batch_shape": input_batch_shape, "dtype": "float32", "sparse": false,
                   "name": format!("{}_input", model.name)},
        "registered_name": null,
    })];
    for l in model.layers() {
        let node = l.borrow();
        let spec = node.layer.spec();
        let mut layer = keras3_object("keras.layers", layer_config(&spec, &node.name, node.trainable));
        let c = &mut layer["config"];
        c["dtype"] = dtype_policy();
        if let Some(c) = c.as_object_mut() {
            for v in c.values_mut() {
                // Initializers: {"class_name": "GlorotUniform", "config": {..}}.
                if v.get("class_name").is_some() {
                    *v = keras3_object("keras.initializers", v.take());
                }
            }
            // Keras 3 renamed LeakyReLU's `alpha`.
            if let Some(alpha) = c.remove("alpha") {
                c.insert("negative_slope".into(), alpha);
            }
        }
        // Keras records the input shape of layers that build variables (and Flatten),
        // and builds them from it before loading the weights.
        if !node.layer.params().is_empty() || spec.class_name() == "Flatten" {
            layer["build_config"] = json!({"input_shape": batch_shape(&node.input_shape)});
        }
        layers.push(layer);
    }
    json!({
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": model.name,
            "trainable": true,
            "dtype": dtype_policy(),
            "layers": layers,
            "build_input_shape": input_batch_shape,
        },
        "registered_name": null,
        "build_config": {"input_shape": input_batch_shape},
        // No compile_config: the file carries the model, not a training setup.
        "compile_config": {},
    })
}

/// `{"class_name", "config"}` → Keras 3's `{"module", "class_name", "config", "registered_name"}`.
fn keras3_object(module: &str, v: Value) -> Value {
    let mut o = Map::new();
    o.insert("module".into(), json!(module));
    o.insert("class_name".into(), v.get("class_name").cloned().unwrap_or(Value::Null));
    o.insert("config".into(), v.get("config").cloned().unwrap_or_else(|| json!({})));
    o.insert("registered_name".into(), Value::Null);
    Value::Object(o)
}

fn dtype_policy() -> Value {
    json!({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null})
}

fn batch_shape(shape: &[usize]) -> Value {
    let mut v = vec![Value::Null];
    v.extend(shape.iter().map(|&d| json!(d)));
    Value::Array(v)
}
