//! `Model` handles: what a model is (name, shapes, layers, summary, weights) and how it
//! is built (`sequential`, `cloneModel`, `add`, `pop`, `compile`). Training and
//! inference are in `train.rs`, files in `io.rs`, the GPU in `gpu.rs`: each adds its
//! own `impl JsModel` block for the same JS class.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::convert::{describe, set, shape_array, tensor_from_js, tensor_to_js};
use super::layer::{layer_spec_from_js, layers_from_handles, JsLayer};
use super::models::SharedModel;
use super::options::compile_options;
use super::panic::enter;
use crate::error::{Error, Result};
use crate::limits::{self, MAX_PARAMS};
use crate::Sequential;

/// A handle to a Sequential model. Cheap to share: handles made by `layers` and
/// `sequential` point at the same layer objects.
#[wasm_bindgen(js_name = Model)]
pub struct JsModel {
    pub(crate) inner: SharedModel,
}

impl JsModel {
    pub(crate) fn wrap(m: Sequential) -> JsModel {
        JsModel { inner: Rc::new(RefCell::new(m)) }
    }

    /// Borrow for reading; `BUSY` (instead of a panic) while a fit step holds it.
    pub(crate) fn read(&self) -> Result<std::cell::Ref<'_, Sequential>> {
        read(&self.inner)
    }

    pub(crate) fn write(&self) -> Result<std::cell::RefMut<'_, Sequential>> {
        self.inner.try_borrow_mut().map_err(|_| busy())
    }
}

pub(crate) fn busy() -> Error {
    Error::busy("a fit step is running; await it first")
}

pub(crate) fn read(model: &SharedModel) -> Result<std::cell::Ref<'_, Sequential>> {
    model.try_borrow().map_err(|_| busy())
}

/// A model handle for Rust callers (tests, other Rust code in the worker).
impl From<Sequential> for JsModel {
    fn from(m: Sequential) -> JsModel {
        JsModel::wrap(m)
    }
}

/// `keras.models.clone_model`: the same architecture with new, freshly initialised
/// layer objects. Weights are NOT copied: call `clone.setWeights(model.getWeights())`.
#[wasm_bindgen(js_name = cloneModel)]
pub fn clone_model(model: &JsModel) -> Result<JsModel> {
    enter()?;
    let m = model.read()?.clone_model()?;
    Ok(JsModel::wrap(m))
}

/// `keras.Sequential(layers)`: a new model over existing layer handles, shared, not
/// copied (so `sequential(a.layers.slice(0, -1))` is Keras' `Sequential(a.layers[:-1])`).
#[wasm_bindgen]
pub fn sequential(layers: &JsValue) -> Result<JsModel> {
    enter()?;
    let items = layers
        .dyn_ref::<Array>()
        .ok_or_else(|| Error::bad_option("sequential: layers", "an array of Layer handles", describe(layers)))?;
    Ok(JsModel::wrap(Sequential::from_layers(&layers_from_handles(items)?)?))
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Result<String> {
        enter()?;
        Ok(self.read()?.name.clone())
    }

    /// Per-example input shape, e.g. `[28, 28, 1]`.
    #[wasm_bindgen(getter, js_name = inputShape)]
    pub fn input_shape(&self) -> Result<Array> {
        enter()?;
        Ok(shape_array(self.read()?.input_shape()))
    }

    #[wasm_bindgen(getter, js_name = outputShape)]
    pub fn output_shape(&self) -> Result<Array> {
        enter()?;
        Ok(shape_array(&self.read()?.output_shape()))
    }

    /// `model.layers`: fresh handles to the model's (shared) layer objects.
    #[wasm_bindgen(getter)]
    pub fn layers(&self) -> Result<Vec<JsLayer>> {
        enter()?;
        Ok(self.read()?.layers().iter().cloned().map(JsLayer::new).collect())
    }

    /// Keras' text summary.
    pub fn summary(&self) -> Result<String> {
        enter()?;
        Ok(self.read()?.summary())
    }

    /// The summary as rows `{name, className, outputShape, params, trainable, id}`.
    #[wasm_bindgen(js_name = summaryRows)]
    pub fn summary_rows(&self) -> Result<Array> {
        enter()?;
        let m = self.read()?;
        let rows = m.summary_rows();
        Ok(rows
            .iter()
            .zip(m.layers())
            .map(|(r, l)| {
                let o = Object::new();
                set(&o, "name", r.name.as_str());
                set(&o, "className", r.class_name.as_str());
                set(&o, "outputShape", shape_array(&r.output_shape));
                set(&o, "params", r.params as f64);
                set(&o, "trainable", r.trainable);
                set(&o, "id", l.id() as f64);
                JsValue::from(o)
            })
            .collect())
    }

    /// `[total, trainable, nonTrainable]` parameter counts from the current flags.
    #[wasm_bindgen(js_name = countParams)]
    pub fn count_params(&self) -> Result<Array> {
        enter()?;
        let (t, tr, n) = self.read()?.count_params();
        Ok([t, tr, n].iter().map(|&x| JsValue::from_f64(x as f64)).collect())
    }

    /// `model.getWeights()`: `[{shape, data: Float32Array}, ...]` in Keras' order.
    #[wasm_bindgen(js_name = getWeights)]
    pub fn get_weights(&self) -> Result<Array> {
        enter()?;
        Ok(self.read()?.get_weights().iter().map(|w| JsValue::from(tensor_to_js(w))).collect())
    }

    /// `model.setWeights(weights)`: checks the count and every shape first.
    #[wasm_bindgen(js_name = setWeights)]
    pub fn set_weights(&self, weights: &JsValue) -> Result<()> {
        enter()?;
        let items = weights
            .dyn_ref::<Array>()
            .ok_or_else(|| Error::bad_option("setWeights: weights", "an array of {data, shape}", describe(weights)))?;
        let mut ws = Vec::new();
        for (i, w) in items.iter().enumerate() {
            ws.push(tensor_from_js(&w, &format!("setWeights: weights[{i}]"))?);
        }
        self.read()?.set_weights(&ws)
    }

    /// `model.add(layer)` from a config object; returns the new layer's handle. The new
    /// layer's size is checked before it is built, and so is the model's total.
    pub fn add(&self, config: &JsValue) -> Result<JsLayer> {
        enter()?;
        let spec = layer_spec_from_js(config)?;
        let mut m = self.write()?;
        let at = m.layers().len();
        let out = m.output_shape();
        limits::check_layer(&spec, &out).map_err(|e| e.context(format!("add: layer {at} ({})", spec.class_name())))?;
        let total = m.count_params().0 as u64 + limits::spec_params(&spec, &out).unwrap_or(u64::MAX);
        limits::check(
            || format!("add: parameters of the model with layer {at} ({})", spec.class_name()),
            total,
            MAX_PARAMS,
        )?;
        Ok(JsLayer::new(m.add(&spec)?))
    }

    /// `model.pop()`: removes the last layer and returns its handle; an error on a model
    /// without layers (as in Keras).
    pub fn pop(&self) -> Result<JsLayer> {
        enter()?;
        self.write()?.pop().map(JsLayer::new).ok_or_else(|| Error::Config("pop: the model has no layers left".into()))
    }

    /// `model.compile({optimizer: 'sgd'|'adam', learningRate, momentum?, nesterov?, loss,
    /// metrics?})`. Snapshots which layers are trainable: that snapshot is what "frozen"
    /// means.
    pub fn compile(&self, opts: &JsValue) -> Result<()> {
        enter()?;
        let (loss, optimizer) = compile_options(opts)?;
        self.write()?.compile(loss, optimizer)
    }
}
