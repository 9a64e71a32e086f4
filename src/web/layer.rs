//! `Layer` handles (`model.layers[i]`) and the registry of live ones.
//!
//! # Why a layer registry
//! `sequential(model.layers.slice(0, -1))` must share the layer objects, like Keras'
//! `Sequential(model.layers[:-1])`. A wasm-bindgen struct passed by value is *moved*
//! out of its JS wrapper (the wrapper becomes unusable), so `sequential` instead reads
//! each handle's `id` and finds the layer in a registry of live handles. The registry
//! holds one strong reference per id while any JS handle for it is alive.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::Array;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::convert::{describe, get, shape_array, tensor_to_js};
use super::panic::enter;
use crate::error::{Error, Result};
use crate::model::keras_json::parse_layer;
use crate::{LayerRef, LayerSpec};

thread_local! {
    /// Live layer handles by id: the layer and how many JS handles point at it.
    static LIVE_LAYERS: RefCell<HashMap<u64, (LayerRef, usize)>> = RefCell::new(HashMap::new());
}

/// A handle to one layer object (`model.layers[i]`). Two handles with the same `id`
/// are the same layer: changing one's `trainable` changes the other's.
#[wasm_bindgen(js_name = Layer)]
pub struct JsLayer {
    inner: LayerRef,
}

impl JsLayer {
    pub(crate) fn new(inner: LayerRef) -> JsLayer {
        LIVE_LAYERS.with(|m| m.borrow_mut().entry(inner.id()).or_insert_with(|| (inner.clone(), 0)).1 += 1);
        JsLayer { inner }
    }
}

impl Drop for JsLayer {
    fn drop(&mut self) {
        let id = self.inner.id();
        LIVE_LAYERS.with(|m| {
            let mut m = m.borrow_mut();
            if let Some(entry) = m.get_mut(&id) {
                entry.1 -= 1;
                if entry.1 == 0 {
                    m.remove(&id);
                }
            }
        });
    }
}

/// The layers behind JS `Layer` handles, by their ids (for `sequential`). A handle that
/// was freed is `FREED`; anything else is `BAD_OPTION`.
pub(crate) fn layers_from_handles(items: &Array) -> Result<Vec<LayerRef>> {
    let mut refs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        // A freed handle's `id` getter throws in wasm-bindgen's glue ("null pointer
        // passed to rust"), and its pointer reads 0.
        let freed = item.is_object() && get(&item, "__wbg_ptr").as_f64() == Some(0.0);
        if freed {
            return Err(Error::Freed(format!("sequential: layer handle {i}")));
        }
        let id = get(&item, "id").as_f64().ok_or_else(|| {
            Error::bad_option(
                format!("sequential: layers[{i}]"),
                "a Layer handle (take it from model.layers)",
                describe(&item),
            )
        })?;
        let found = LIVE_LAYERS.with(|m| m.borrow().get(&(id as u64)).map(|e| e.0.clone()));
        refs.push(found.ok_or_else(|| Error::Freed(format!("sequential: layer handle {i}")))?);
    }
    Ok(refs)
}

/// `keras.layers.X(**config)` from `{className: 'Dense', units: 1, activation: 'sigmoid'}`
/// (camelCase or snake_case keys), through the same config parser as model files.
pub(crate) fn layer_spec_from_js(config: &JsValue) -> Result<LayerSpec> {
    let expected = "a layer config object like {className: 'Dense', units: 1}";
    let v: Value = serde_wasm_bindgen::from_value(config.clone())
        .map_err(|_| Error::bad_option("add: config", expected, describe(config)))?;
    let Value::Object(obj) = v else {
        return Err(Error::bad_option("add: config", expected, describe(config)));
    };
    let class = obj
        .get("className")
        .or_else(|| obj.get("class_name"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::bad_option("add: className", "a layer class name, e.g. 'Dense'", "undefined"))?
        .to_string();
    let mut config = Map::new();
    for (k, v) in obj {
        if k == "className" || k == "class_name" {
            continue;
        }
        config.insert(snake_case(&k), v);
    }
    let keras = serde_json::json!({"class_name": class, "config": config});
    parse_layer(&keras)
        .map_err(|e| e.context("add"))?
        .map(|l| l.spec)
        .ok_or_else(|| Error::Config("add: an InputLayer cannot be added".into()))
}

fn snake_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for ch in s.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[wasm_bindgen(js_class = Layer)]
impl JsLayer {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Result<String> {
        enter()?;
        Ok(self.inner.name())
    }

    /// The identity of the layer object (equal for shared layers, new after `cloneModel`).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Result<f64> {
        enter()?;
        Ok(self.inner.id() as f64)
    }

    #[wasm_bindgen(getter, js_name = className)]
    pub fn class_name(&self) -> Result<String> {
        enter()?;
        Ok(self.inner.spec().class_name().to_string())
    }

    #[wasm_bindgen(getter)]
    pub fn trainable(&self) -> Result<bool> {
        enter()?;
        Ok(self.inner.trainable())
    }

    /// Takes effect at the next `compile`, as in Keras.
    #[wasm_bindgen(setter)]
    pub fn set_trainable(&self, value: JsValue) -> Result<()> {
        enter()?;
        let value =
            value.as_bool().ok_or_else(|| Error::bad_option("layer.trainable", "true or false", describe(&value)))?;
        self.inner.set_trainable(value);
        Ok(())
    }

    /// Per-example output shape, e.g. `[14, 14, 16]`.
    #[wasm_bindgen(getter, js_name = outputShape)]
    pub fn output_shape(&self) -> Result<Array> {
        enter()?;
        Ok(shape_array(&self.inner.borrow().output_shape))
    }

    #[wasm_bindgen(js_name = countParams)]
    pub fn count_params(&self) -> Result<f64> {
        enter()?;
        Ok(self.inner.param_count() as f64)
    }

    /// This layer's weights, as `model.getWeights()` lists them.
    #[wasm_bindgen(js_name = getWeights)]
    pub fn get_weights(&self) -> Result<Array> {
        enter()?;
        Ok(self.inner.borrow().layer.params().iter().map(|p| JsValue::from(tensor_to_js(&p.value))).collect())
    }
}
