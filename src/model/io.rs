//! The project's model file format: the TF.js layers format, which real tools read
//! (`tf.loadLayersModel`, `tensorflowjs_converter`). Two files:
//! - `model.json`: `{"format": "layers-model", "modelTopology": <Keras model config>,
//!   "weightsManifest": [{"paths": ["weights.bin"], "weights": [{"name":
//!   "conv2d/kernel", "shape": [3,3,1,16], "dtype": "float32"}, ...]}]}`
//! - `weights.bin`: every weight as little-endian f32, concatenated in manifest order
//!   (layer by layer, Keras' `get_weights()` order, Keras' layouts).

use serde_json::{json, Value};

use super::keras_json::{model_config, model_from_config};
use super::Sequential;
use crate::error::{Error, Result};
use crate::limits;
use crate::tensor::{from_vec, Tensor};

pub const WEIGHTS_FILE: &str = "weights.bin";

/// Serialises a model to `(model.json text, weights.bin bytes)`.
pub fn to_tfjs(model: &Sequential) -> (String, Vec<u8>) {
    let mut specs = Vec::new();
    let mut bin = Vec::new();
    for l in model.layers() {
        let node = l.borrow();
        for p in node.layer.params() {
            specs.push(
                json!({"name": format!("{}/{}", node.name, p.name), "shape": p.value.shape(), "dtype": "float32"}),
            );
            for v in p.value.iter() {
                bin.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    // TF.js keeps a Sequential config's InputLayer entry as `model.layers[0]` (its own
    // `model.save` never writes one), which would shift every layer index against Keras';
    // the first layer's `batch_input_shape` carries the input shape instead. (The Keras
    // files keep the entry: Keras 3's legacy loader misreads `batch_input_shape` alone.)
    let mut config = model_config(model);
    if let Some(layers) = config["config"]["layers"].as_array_mut() {
        if layers.len() > 1 && layers[0]["class_name"] == "InputLayer" {
            layers.remove(0);
        }
    }
    let doc = json!({
        "format": "layers-model",
        "generatedBy": concat!("transfer-playground ", env!("CARGO_PKG_VERSION")),
        "convertedBy": Value::Null,
        "modelTopology": {
            "keras_version": "tfjs-layers 4.22.0",
            "backend": "tensor_flow.js",
            "model_config": config,
        },
        "weightsManifest": [{"paths": [WEIGHTS_FILE], "weights": specs}],
    });
    (serde_json::to_string_pretty(&doc).expect("JSON values serialise"), bin)
}

/// Reads a model from `model.json` text and its weights (one buffer holding all
/// shards in manifest order). Every weight's count and shape is checked.
///
/// # Sizes
/// The manifest's sizes are untrusted: each is computed in `u64` with checked
/// arithmetic (on wasm32 a `usize` product of `[65536, 65536]` would wrap to 0 and let
/// a 4 GiB read "match" a small file), the total must be within `limits::MAX_PARAMS`
/// and equal the weights' length, and all this happens before the config's layers are
/// built (which `limits::check_specs` bounds in turn).
pub fn from_tfjs(model_json: &str, weights: &[u8], seed: u64) -> Result<Sequential> {
    let doc: Value =
        serde_json::from_str(model_json).map_err(|e| Error::Format(format!("model.json is not valid JSON: {e}")))?;
    let topo = doc
        .get("modelTopology")
        .ok_or_else(|| Error::Format("model.json has no modelTopology (is this a TF.js layers model?)".into()))?;
    // TF.js nests the config in `model_config`; some writers put it directly.
    let config = topo.get("model_config").unwrap_or(topo);
    let manifest = doc
        .get("weightsManifest")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Format("model.json has no weightsManifest".into()))?;
    let mut entries: Vec<(String, Vec<usize>, usize)> = Vec::new();
    let mut total: u64 = 0;
    for group in manifest {
        for w in group.get("weights").and_then(Value::as_array).into_iter().flatten() {
            let name = w.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
            let dtype = w.get("dtype").and_then(Value::as_str).unwrap_or("float32");
            if dtype != "float32" {
                return Err(Error::unsupported(format!("weight '{name}' has dtype {dtype}"), "float32"));
            }
            if w.get("quantization").is_some() {
                return Err(Error::unsupported(format!("weight '{name}' is quantized"), "float32 weights"));
            }
            let dims: Option<Vec<u64>> =
                w.get("shape").and_then(Value::as_array).and_then(|s| s.iter().map(Value::as_u64).collect());
            let dims = dims.ok_or_else(|| Error::Format(format!("weight '{name}' has no valid shape")))?;
            let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d)).unwrap_or(u64::MAX);
            limits::check(|| format!("values of weight '{name}' in model.json"), count, limits::MAX_PARAMS)?;
            total = total.saturating_add(count);
            limits::check(|| "values of all weights in model.json".to_string(), total, limits::MAX_PARAMS)?;
            // Within MAX_PARAMS, each dimension (a factor of a count <= 2^25, or 0) fits a usize.
            let shape = dims
                .iter()
                .map(|&d| limits::to_usize(d, || format!("a dimension of weight '{name}'")))
                .collect::<Result<Vec<_>>>()?;
            entries.push((name, shape, count as usize));
        }
    }
    if weights.len() as u64 != total * 4 {
        return Err(Error::Format(format!(
            "the weights file has {} bytes but model.json describes {}",
            weights.len(),
            total * 4
        )));
    }
    let model = model_from_config(config, seed)?;
    let mut at = 0;
    let mut tensors: Vec<Tensor> = Vec::with_capacity(entries.len());
    for (_, shape, n) in &entries {
        let mut data = limits::try_with_capacity::<f32>(*n, "model weights")?;
        data.extend(weights[at..at + 4 * n].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        at += 4 * n;
        tensors.push(from_vec(shape, data)?);
    }
    // Names must line up with the model's layers (the order is what matters; the
    // check catches a manifest from another model).
    let expected: Vec<String> = model
        .layers()
        .iter()
        .flat_map(|l| {
            let node = l.borrow();
            node.layer.params().iter().map(|p| format!("{}/{}", node.name, p.name)).collect::<Vec<_>>()
        })
        .collect();
    if expected.len() != entries.len() {
        return Err(Error::Format(format!(
            "model.json lists {} weights but its layers need {}",
            entries.len(),
            expected.len()
        )));
    }
    for (e, (name, _, _)) in expected.iter().zip(&entries) {
        let short = |s: &str| s.rsplit('/').next().unwrap_or(s).trim_end_matches(":0").to_string();
        if short(e) != short(name) {
            return Err(Error::Format(format!("weight '{name}' is where the model expects '{e}'")));
        }
    }
    model.set_weights(&tensors)?;
    Ok(model)
}
