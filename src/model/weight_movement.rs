//! How far training moved each layer's weights: `‖W_after − W_before‖ / ‖W_before‖` per
//! layer, the Frobenius norm taken over *all* of the layer's weight arrays together (as
//! `layer.get_weights()` lists them: kernel and bias; for BatchNormalization γ, β and the
//! moving mean and variance too). In the lecture this makes "a small learning rate keeps
//! the reused features" visible: stage 4 at lr 1e-4 moves the base layers far less than
//! stage 3 moves the new head.
//!
//! In Keras:
//! ```python
//! before = [l.get_weights() for l in model.layers]
//! model.fit(...)
//! for l, w0 in zip(model.layers, before):
//!     w1 = l.get_weights()
//!     d = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(w1, w0)))
//!     n = np.sqrt(sum((b ** 2).sum() for b in w0))
//!     print(l.name, d / n if n > 0 else None)
//! ```
//!
//! # Layers without weights, and a zero norm
//! A layer without weights (pooling, Flatten, Dropout, activations) gets
//! `relative: None` with `weights: 0`. A layer whose weights were all zero before has no
//! relative change either (`relative: None`, `before_norm: 0`): `delta_norm` then says how
//! far it moved from zero (0 when it did not move). Sums are in f64.

use super::Sequential;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// One layer's weights at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    pub name: String,
    pub class_name: &'static str,
    /// `layer.get_weights()`, in Keras' order.
    pub arrays: Vec<Tensor>,
}

/// Every layer's weights at one moment: `[l.get_weights() for l in model.layers]`.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightSnapshot {
    pub layers: Vec<LayerWeights>,
}

impl WeightSnapshot {
    /// Copies the model's weights now (the model may share layers with another: the
    /// copy is of the values, so later training does not change the snapshot).
    pub fn of(model: &Sequential) -> WeightSnapshot {
        let layers = model
            .layers()
            .iter()
            .map(|l| {
                let node = l.borrow();
                LayerWeights {
                    name: node.name.clone(),
                    class_name: node.layer.spec().class_name(),
                    arrays: node.layer.params().iter().map(|p| p.value.clone()).collect(),
                }
            })
            .collect();
        WeightSnapshot { layers }
    }
}

/// How far one layer moved between two snapshots.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMovement {
    /// Position in `model.layers`.
    pub index: usize,
    pub name: String,
    pub class_name: &'static str,
    /// Number of weight values (0 for a layer without weights).
    pub weights: usize,
    /// `‖W_before‖`, Frobenius over all of the layer's arrays.
    pub before_norm: f64,
    /// `‖W_after − W_before‖`.
    pub delta_norm: f64,
    /// `delta_norm / before_norm`; `None` without weights or when `before_norm` is 0.
    pub relative: Option<f64>,
}

/// Per layer, how far the weights moved from `before` to `after` (see the module docs).
/// Both snapshots must be of the same architecture: the same number of layers, each
/// with the same weight shapes (names may differ, e.g. a clone's).
pub fn weight_movement(before: &WeightSnapshot, after: &WeightSnapshot) -> Result<Vec<LayerMovement>> {
    if before.layers.len() != after.layers.len() {
        return Err(Error::Shape(format!(
            "weight_movement: the snapshots have {} and {} layers; compare snapshots of one model",
            before.layers.len(),
            after.layers.len()
        )));
    }
    before
        .layers
        .iter()
        .zip(&after.layers)
        .enumerate()
        .map(|(index, (b, a))| {
            let shapes = |l: &LayerWeights| l.arrays.iter().map(|t| t.shape().to_vec()).collect::<Vec<_>>();
            if shapes(b) != shapes(a) {
                return Err(Error::Shape(format!(
                    "weight_movement: layer {index} '{}' has weights of shapes {:?} before and {:?} after",
                    b.name,
                    shapes(b),
                    shapes(a)
                )));
            }
            let (mut before_sq, mut delta_sq, mut weights) = (0.0f64, 0.0f64, 0usize);
            for (wb, wa) in b.arrays.iter().zip(&a.arrays) {
                weights += wb.len();
                for (&x0, &x1) in wb.iter().zip(wa.iter()) {
                    before_sq += f64::from(x0) * f64::from(x0);
                    let d = f64::from(x1) - f64::from(x0);
                    delta_sq += d * d;
                }
            }
            let (before_norm, delta_norm) = (before_sq.sqrt(), delta_sq.sqrt());
            let relative = (weights > 0 && before_norm > 0.0).then(|| delta_norm / before_norm);
            Ok(LayerMovement {
                index,
                name: b.name.clone(),
                class_name: b.class_name,
                weights,
                before_norm,
                delta_norm,
                relative,
            })
        })
        .collect()
}

impl Sequential {
    /// [`weight_movement`] from `before` to the model's weights now.
    pub fn weight_movement_since(&self, before: &WeightSnapshot) -> Result<Vec<LayerMovement>> {
        weight_movement(before, &WeightSnapshot::of(self))
    }
}
