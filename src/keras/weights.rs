//! The one adapter between Keras' weight lists and the engine's parameters, both ways.
//!
//! The engine keeps Keras' layouts (NHWC activations, HWIO conv kernels, Dense kernels
//! `[in, out]`, BatchNormalization's `gamma, beta, moving_mean, moving_variance`), so no
//! array is transposed here: the work is *matching* — which file array goes to which
//! parameter — and refusing a mismatch with a message that names the layer index, its
//! name and class, the variable, and what was expected and found.
//!
//! # Matching rules
//! * Layers match by position and must agree by name (the model was built from the same
//!   file's config, so a disagreement means the file's weights and config disagree).
//! * Within a layer, arrays match in Keras' `get_weights()` order, and the variable part
//!   of each name (`kernel`, `moving_mean`) must be the engine's, unless the file did not
//!   say (a `.keras` weight of a class the reader does not know is named by its index).
//! * Optional variables follow the layer's config: `use_bias=False` drops `bias`,
//!   BatchNormalization's `scale=False` drops `gamma` and `center=False` drops `beta`.
//!   The engine builds its parameters from the same flags, so the lists line up.

use super::{LayerWeights, NamedArray};
use crate::error::{fmt_shape, Error, Result};
use crate::model::Sequential;
use crate::tensor::{from_vec, Tensor};

/// The engine's parameters, in `set_weights` order, taken from a Keras file's weights.
///
/// `file_layers` is [`super::KerasModelFile::layers`]: one entry per non-input layer.
pub fn engine_weights(model: &Sequential, file_layers: &[LayerWeights]) -> Result<Vec<Tensor>> {
    let layers = model.layers();
    if layers.len() != file_layers.len() {
        let names: Vec<&str> = file_layers.iter().map(|l| l.layer_name.as_str()).collect();
        return Err(Error::Format(format!(
            "the file holds weights for {} layers ({}) but its config describes {}",
            file_layers.len(),
            names.join(", "),
            layers.len()
        )));
    }
    let mut out = Vec::new();
    for (i, (layer, found)) in layers.iter().zip(file_layers).enumerate() {
        let node = layer.borrow();
        let class = node.layer.spec().class_name();
        let at = format!("layer {i} '{}' ({class})", node.name);
        if node.name != found.layer_name {
            return Err(Error::Format(format!(
                "{at}: the file's weights at this position belong to layer '{}'",
                found.layer_name
            )));
        }
        let params = node.layer.params();
        if params.len() != found.weights.len() {
            let want: Vec<&str> = params.iter().map(|p| p.name).collect();
            let got: Vec<&str> = found.weights.iter().map(|w| variable(&w.name)).collect();
            return Err(Error::Format(format!(
                "{at}: expected {} weight arrays [{}], the file has {} [{}]",
                want.len(),
                want.join(", "),
                got.len(),
                got.join(", ")
            )));
        }
        for (p, w) in params.iter().zip(&found.weights) {
            let var = variable(&w.name);
            // A purely numeric name means the file did not name the variable.
            let unnamed = var.bytes().all(|b| b.is_ascii_digit());
            if !unnamed && var != p.name {
                return Err(Error::Format(format!(
                    "{at}: expected weight '{}' here, the file has '{}'",
                    p.name, w.name
                )));
            }
            if w.shape.as_slice() != p.value.shape() {
                return Err(Error::Shape(format!(
                    "{at}: weight '{}' expects shape {}, the file has {}",
                    p.name,
                    fmt_shape(p.value.shape(), false),
                    fmt_shape(&w.shape, false)
                )));
            }
            out.push(from_vec(&w.shape, w.data.clone())?);
        }
    }
    Ok(out)
}

/// The model's weights as Keras lists them: one entry per layer (weightless layers
/// included, with no weights), arrays named `"<layer name>/<variable>"`.
pub fn keras_weights(model: &Sequential) -> Vec<LayerWeights> {
    model
        .layers()
        .iter()
        .map(|l| {
            let node = l.borrow();
            LayerWeights {
                layer_name: node.name.clone(),
                weights: node
                    .layer
                    .params()
                    .iter()
                    .map(|p| NamedArray {
                        name: format!("{}/{}", node.name, p.name),
                        shape: p.value.shape().to_vec(),
                        // `iter` walks in logical (row-major) order whatever the memory layout.
                        data: p.value.iter().copied().collect(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// `"conv2d/kernel"` → `"kernel"`.
fn variable(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}
