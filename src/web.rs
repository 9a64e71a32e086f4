//! The wasm boundary, and the only `#[wasm_bindgen]` file: a small JS API named after
//! TF.js Layers (`loadLayersModel`, `model.layers`, `layer.trainable`, `compile`, `fit`,
//! `evaluate`, `predict`, `cloneModel`, `sequential`) over the native engine.
//!
//! # Shape of the boundary
//! - Long-lived things are opaque handles: [`Model`] (an `Rc<RefCell<Sequential>>`, so
//!   several JS objects can point at one model), [`Layer`] (a shared [`LayerRef`]) and
//!   [`FitRun`] (a resumable `fit`: one batch or one epoch end per `step()`, so a
//!   worker can post progress and honour "stop" between batches).
//! - Tensors go in as plain objects `{data: Float32Array, shape: number[]}` and come
//!   out the same way; small results (summaries, logs) are plain objects.
//! - Every failure is a `JsError` carrying the engine's message; nothing here unwraps
//!   JS input.
//!
//! # Why a layer registry
//! `sequential(model.layers.slice(0, -1))` must share the layer objects, like Keras'
//! `Sequential(model.layers[:-1])`. A wasm-bindgen struct passed by value is *moved*
//! out of its JS wrapper (the wrapper becomes unusable), so `sequential` instead reads
//! each handle's `id` and finds the layer in a registry of live handles. The registry
//! holds one strong reference per id while any JS handle for it is alive.

// A fit run's `RefCell` stays borrowed across its awaits on purpose: the borrow is the
// lock that makes a second `step()`, `sync()` or `toBackend` during a pending one fail
// with a clear message instead of interleaving with it.
#![allow(clippy::await_holding_refcell_ref)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use std::future::Future;

use wasm_bindgen::JsCast;

use crate::data::ImageSet;
use crate::model::io::{from_tfjs, to_tfjs};
use crate::model::keras_json::parse_layer;
use crate::tensor::{contiguous, from_vec, Tensor};
use crate::gpu::{inference, is_gpu_failure, Computed, FitRunner, GpuContext};
use crate::train::fit::{Event, FitOptions};
use crate::{LayerRef, Loss, OptimizerConfig, Sequential};

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_f64(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64()
}

fn shape_array(shape: &[usize]) -> Array {
    shape.iter().map(|&d| JsValue::from_f64(d as f64)).collect()
}

/// `{data: Float32Array, shape: number[]}` → tensor, with a message naming `what`.
fn tensor_from_js(v: &JsValue, what: &str) -> Result<Tensor, JsError> {
    if !v.is_object() {
        return Err(err(format!("{what}: expected an object {{data: Float32Array, shape: number[]}}")));
    }
    let data = get(v, "data").dyn_into::<Float32Array>().map_err(|_| err(format!("{what}.data must be a Float32Array")))?;
    let shape_v = get(v, "shape");
    if !Array::is_array(&shape_v) {
        return Err(err(format!("{what}.shape must be an array of sizes, e.g. [n, 28, 28, 1]")));
    }
    let mut shape = Vec::new();
    for d in Array::from(&shape_v).iter() {
        match d.as_f64() {
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x < 1e9 => shape.push(x as usize),
            _ => return Err(err(format!("{what}.shape must hold whole non-negative numbers, found {d:?}"))),
        }
    }
    from_vec(&shape, data.to_vec()).map_err(|e| err(format!("{what}: {e}")))
}

fn tensor_to_js(t: &Tensor) -> Object {
    let o = Object::new();
    set(&o, "data", Float32Array::from(contiguous(t).as_ref()));
    set(&o, "shape", shape_array(t.shape()));
    o
}

fn to_plain<T: serde::Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(err)
}

// ---- layer handles ---------------------------------------------------------------

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
    fn new(inner: LayerRef) -> JsLayer {
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

#[wasm_bindgen(js_class = Layer)]
impl JsLayer {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name()
    }

    /// The identity of the layer object (equal for shared layers, new after `cloneModel`).
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> f64 {
        self.inner.id() as f64
    }

    #[wasm_bindgen(getter, js_name = className)]
    pub fn class_name(&self) -> String {
        self.inner.spec().class_name().to_string()
    }

    #[wasm_bindgen(getter)]
    pub fn trainable(&self) -> bool {
        self.inner.trainable()
    }

    /// Takes effect at the next `compile`, as in Keras.
    #[wasm_bindgen(setter)]
    pub fn set_trainable(&self, value: bool) {
        self.inner.set_trainable(value);
    }

    /// Per-example output shape, e.g. `[14, 14, 16]`.
    #[wasm_bindgen(getter, js_name = outputShape)]
    pub fn output_shape(&self) -> Array {
        shape_array(&self.inner.borrow().output_shape)
    }

    #[wasm_bindgen(js_name = countParams)]
    pub fn count_params(&self) -> usize {
        self.inner.param_count()
    }

    /// This layer's weights, as `model.getWeights()` lists them.
    #[wasm_bindgen(js_name = getWeights)]
    pub fn get_weights(&self) -> Array {
        self.inner.borrow().layer.params().iter().map(|p| JsValue::from(tensor_to_js(&p.value))).collect()
    }
}

// ---- models -------------------------------------------------------------------------

/// A handle to a Sequential model. Cheap to share: handles made by `layers` and
/// `sequential` point at the same layer objects.
#[wasm_bindgen(js_name = Model)]
pub struct JsModel {
    inner: Rc<RefCell<Sequential>>,
}

impl JsModel {
    fn wrap(m: Sequential) -> JsModel {
        JsModel { inner: Rc::new(RefCell::new(m)) }
    }

    /// Borrow for reading; fails (instead of panicking) if a `fit` step holds it.
    fn read(&self) -> Result<std::cell::Ref<'_, Sequential>, JsError> {
        self.inner.try_borrow().map_err(|_| err("the model is busy (a fit step is running)"))
    }

    fn write(&self) -> Result<std::cell::RefMut<'_, Sequential>, JsError> {
        self.inner.try_borrow_mut().map_err(|_| err("the model is busy (a fit step is running)"))
    }
}

/// `tf.loadLayersModel`: a model from TF.js `model.json` text and its weights
/// (all shards concatenated in manifest order).
#[wasm_bindgen(js_name = loadLayersModel)]
pub fn load_layers_model(model_json: &str, weights: &[u8]) -> Result<JsModel, JsError> {
    from_tfjs(model_json, weights, 0).map(JsModel::wrap).map_err(err)
}

/// `keras.models.clone_model`: the same architecture with new, freshly initialised
/// layer objects. Weights are NOT copied: call `clone.setWeights(model.getWeights())`.
#[wasm_bindgen(js_name = cloneModel)]
pub fn clone_model(model: &JsModel) -> Result<JsModel, JsError> {
    let m = model.read()?.clone_model().map_err(err)?;
    Ok(JsModel::wrap(m))
}

/// `keras.Sequential(layers)`: a new model over existing layer handles, shared, not
/// copied (so `sequential(a.layers.slice(0, -1))` is Keras' `Sequential(a.layers[:-1])`).
#[wasm_bindgen]
pub fn sequential(layers: &Array) -> Result<JsModel, JsError> {
    let mut refs = Vec::new();
    for (i, item) in layers.iter().enumerate() {
        let id = get_f64(&item, "id").ok_or_else(|| err(format!("sequential: item {i} is not a Layer handle (take it from model.layers)")))?;
        let found = LIVE_LAYERS.with(|m| m.borrow().get(&(id as u64)).map(|e| e.0.clone()));
        refs.push(found.ok_or_else(|| err(format!("sequential: layer handle {i} was freed")))?);
    }
    Sequential::from_layers(&refs).map(JsModel::wrap).map_err(err)
}

/// `keras.layers.X(**config)` from `{className: 'Dense', units: 1, activation: 'sigmoid'}`
/// (camelCase or snake_case keys).
fn layer_spec_from_js(config: &JsValue) -> Result<crate::LayerSpec, JsError> {
    let v: Value = serde_wasm_bindgen::from_value(config.clone()).map_err(|e| err(format!("add: the layer config is not a plain object: {e}")))?;
    let Value::Object(obj) = v else { return Err(err("add: expected a layer config object like {className: 'Dense', units: 1}")) };
    let class = obj.get("className").or_else(|| obj.get("class_name")).and_then(Value::as_str).ok_or_else(|| err("add: the layer config needs a className, e.g. 'Dense'"))?.to_string();
    let mut config = Map::new();
    for (k, v) in obj {
        if k == "className" || k == "class_name" {
            continue;
        }
        config.insert(snake_case(&k), v);
    }
    let keras = serde_json::json!({"class_name": class, "config": config});
    parse_layer(&keras).map_err(err)?.map(|l| l.spec).ok_or_else(|| err("add: an InputLayer cannot be added"))
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

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> Result<String, JsError> {
        Ok(self.read()?.name.clone())
    }

    /// Per-example input shape, e.g. `[28, 28, 1]`.
    #[wasm_bindgen(getter, js_name = inputShape)]
    pub fn input_shape(&self) -> Result<Array, JsError> {
        Ok(shape_array(self.read()?.input_shape()))
    }

    #[wasm_bindgen(getter, js_name = outputShape)]
    pub fn output_shape(&self) -> Result<Array, JsError> {
        Ok(shape_array(&self.read()?.output_shape()))
    }

    /// `model.layers`: fresh handles to the model's (shared) layer objects.
    #[wasm_bindgen(getter)]
    pub fn layers(&self) -> Result<Vec<JsLayer>, JsError> {
        Ok(self.read()?.layers().iter().cloned().map(JsLayer::new).collect())
    }

    /// Keras' text summary.
    pub fn summary(&self) -> Result<String, JsError> {
        Ok(self.read()?.summary())
    }

    /// The summary as rows `{name, className, outputShape, params, trainable, id}`.
    #[wasm_bindgen(js_name = summaryRows)]
    pub fn summary_rows(&self) -> Result<Array, JsError> {
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
    pub fn count_params(&self) -> Result<Array, JsError> {
        let (t, tr, n) = self.read()?.count_params();
        Ok([t, tr, n].iter().map(|&x| JsValue::from_f64(x as f64)).collect())
    }

    /// `model.getWeights()`: `[{shape, data: Float32Array}, ...]` in Keras' order.
    #[wasm_bindgen(js_name = getWeights)]
    pub fn get_weights(&self) -> Result<Array, JsError> {
        Ok(self.read()?.get_weights().iter().map(|w| JsValue::from(tensor_to_js(w))).collect())
    }

    /// `model.setWeights(weights)`: checks the count and every shape first.
    #[wasm_bindgen(js_name = setWeights)]
    pub fn set_weights(&self, weights: &Array) -> Result<(), JsError> {
        let mut ws = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            ws.push(tensor_from_js(&w, &format!("setWeights: weight {i}"))?);
        }
        self.read()?.set_weights(&ws).map_err(err)
    }

    /// `model.add(layer)` from a config object; returns the new layer's handle.
    pub fn add(&self, config: &JsValue) -> Result<JsLayer, JsError> {
        let spec = layer_spec_from_js(config)?;
        self.write()?.add(&spec).map(JsLayer::new).map_err(err)
    }

    /// `model.pop()`: removes the last layer and returns its handle.
    pub fn pop(&self) -> Result<Option<JsLayer>, JsError> {
        Ok(self.write()?.pop().map(JsLayer::new))
    }

    /// `model.compile({optimizer: 'sgd'|'adam', learningRate, momentum?, loss, metrics})`.
    /// Snapshots which layers are trainable: that snapshot is what "frozen" means.
    pub fn compile(&self, opts: &JsValue) -> Result<(), JsError> {
        let optimizer = get(opts, "optimizer").as_string().unwrap_or_else(|| "sgd".into()).to_lowercase();
        let lr = get_f64(opts, "learningRate");
        let config = match optimizer.as_str() {
            "sgd" => OptimizerConfig::Sgd {
                learning_rate: lr.unwrap_or(0.01) as f32,
                momentum: get_f64(opts, "momentum").unwrap_or(0.0) as f32,
                nesterov: get(opts, "nesterov").as_bool().unwrap_or(false),
            },
            "adam" => match OptimizerConfig::adam() {
                OptimizerConfig::Adam { beta_1, beta_2, epsilon, learning_rate } => {
                    OptimizerConfig::Adam { learning_rate: lr.map_or(learning_rate, |x| x as f32), beta_1, beta_2, epsilon }
                }
                other => other,
            },
            other => return Err(err(format!("compile: unsupported optimizer '{other}' (use 'sgd' or 'adam')"))),
        };
        let loss_name = get(opts, "loss").as_string().ok_or_else(|| err("compile: a loss is needed, e.g. 'binaryCrossentropy'"))?;
        let loss = Loss::from_name(&loss_name).map_err(err)?;
        self.write()?.compile(loss, config).map_err(err)
    }

    /// `model.fit(x, y, {epochs, batchSize, shuffle, seed, validationData: [vx, vy]})`
    /// as a [`FitRun`]: call `step()` until it returns `{type: 'done'}`.
    pub fn fit(&self, x: &JsValue, y: &JsValue, opts: &JsValue) -> Result<FitRun, JsError> {
        let x = tensor_from_js(x, "fit: x")?;
        let y = tensor_from_js(y, "fit: y")?;
        let validation = match get(opts, "validationData") {
            v if v.is_undefined() || v.is_null() => None,
            v => {
                let a = Array::from(&v);
                if a.length() != 2 {
                    return Err(err("fit: validationData must be [xValid, yValid]"));
                }
                Some((tensor_from_js(&a.get(0), "fit: validationData[0]")?, tensor_from_js(&a.get(1), "fit: validationData[1]")?))
            }
        };
        let whole = |k: &str, d: usize| -> Result<usize, JsError> {
            match get_f64(opts, k) {
                None => Ok(d),
                Some(v) if v >= 0.0 && v.fract() == 0.0 => Ok(v as usize),
                Some(v) => Err(err(format!("fit: {k} must be a whole number, got {v}"))),
            }
        };
        let fo = FitOptions {
            epochs: whole("epochs", 1)?,
            batch_size: whole("batchSize", 32)?,
            shuffle: get(opts, "shuffle").as_bool().unwrap_or(true),
            seed: whole("seed", 0)? as u64,
            validation,
            ..FitOptions::default()
        };
        let epochs = fo.epochs;
        let checkpoint_every = whole("checkpointEvery", 0)?;
        let backend = match get(opts, "backend").as_string() {
            Some(b) => Backend::parse(&b)?,
            None => model_backend(&self.inner),
        };
        let runner = match backend.resolve()? {
            Some(ctx) => FitRunner::gpu(ctx, &*self.read()?, &x, &y, fo, checkpoint_every),
            None => FitRunner::cpu(&*self.read()?, &x, &y, fo),
        }
        .map_err(err)?;
        let on_gpu = runner.on_gpu();
        let run = FitRun { model: self.inner.clone(), runner: Rc::new(RefCell::new(runner)), epochs, promises: on_gpu };
        if on_gpu {
            remember_gpu_run(&self.inner, &run.runner);
        }
        Ok(run)
    }

    /// `model.evaluate(x, y)` → `{loss, accuracy}`.
    pub fn evaluate(&self, x: &JsValue, y: &JsValue, batch_size: Option<usize>) -> Result<JsValue, JsError> {
        let x = tensor_from_js(x, "evaluate: x")?;
        let y = tensor_from_js(y, "evaluate: y")?;
        let e = self.read()?.evaluate(&x, &y, batch_size.unwrap_or(256)).map_err(err)?;
        let o = Object::new();
        set(&o, "loss", e.loss);
        set(&o, "accuracy", e.accuracy);
        Ok(o.into())
    }

    /// `model.predict(x)` → `{data, shape}`.
    pub fn predict(&self, x: &JsValue, batch_size: Option<usize>) -> Result<Object, JsError> {
        let x = tensor_from_js(x, "predict: x")?;
        let p = self.read()?.predict(&x, batch_size.unwrap_or(256)).map_err(err)?;
        Ok(tensor_to_js(&p))
    }

    /// The TF.js layers format: `{modelJson: string, weights: Uint8Array}`.
    #[wasm_bindgen(js_name = toTfjs)]
    pub fn to_tfjs(&self) -> Result<Object, JsError> {
        let (json, bin) = to_tfjs(&*self.read()?);
        let o = Object::new();
        set(&o, "modelJson", json);
        set(&o, "weights", Uint8Array::from(bin.as_slice()));
        Ok(o)
    }
}

// ---- fit ----------------------------------------------------------------------------

/// A `fit` in progress. Each `step()` runs one batch or one epoch end and returns
/// `{type: 'batch', epoch, batch, batches, loss, accuracy, backend}`,
/// `{type: 'epoch', epoch, loss, accuracy, valLoss, valAccuracy, backend}` or
/// `{type: 'done', backend}`. Stopping is simply not calling `step()` again; resuming
/// is calling it again.
///
/// A run started on the GPU (`backend: 'webgpu'`, or `'auto'` with a GPU) returns a
/// Promise from every `step()`, also after it moved to the CPU: a batch step only
/// enqueues GPU work (its event has `loss`/`accuracy` `undefined` and `pending: true`),
/// an epoch end awaits the metrics, the validation and a read-back of the weights. The
/// step on which the device was lost and training moved to the CPU carries `fallback`
/// (a message saying from where it went on).
#[wasm_bindgen]
pub struct FitRun {
    model: Rc<RefCell<Sequential>>,
    runner: Rc<RefCell<FitRunner>>,
    epochs: usize,
    /// Whether `step()` returns Promises (the run started on the GPU).
    promises: bool,
}

fn event_to_js(ev: &Event, backend: &str, fallback: Option<&str>) -> Object {
    let o = Object::new();
    match ev {
        Event::Batch(b) => {
            set(&o, "type", "batch");
            set(&o, "epoch", b.epoch as f64);
            set(&o, "batch", b.batch as f64);
            set(&o, "batches", b.batches as f64);
            if b.loss.is_nan() {
                // Enqueued on the GPU, not finished yet: the epoch end has the means.
                set(&o, "pending", true);
            } else {
                set(&o, "loss", b.loss);
                set(&o, "accuracy", b.accuracy);
            }
        }
        Event::Epoch(e) => {
            set(&o, "type", "epoch");
            set(&o, "epoch", e.epoch as f64);
            set(&o, "loss", e.loss);
            set(&o, "accuracy", e.accuracy);
            if let (Some(vl), Some(va)) = (e.val_loss, e.val_accuracy) {
                set(&o, "valLoss", vl);
                set(&o, "valAccuracy", va);
            }
        }
        Event::Done => set(&o, "type", "done"),
    }
    set(&o, "backend", backend);
    if let Some(f) = fallback {
        set(&o, "fallback", f);
    }
    o
}

/// One runner step, whichever backend; the runner and the model are borrowed only
/// inside (never by JS), so a second `step()` before the first settles is refused.
async fn runner_step(runner: Rc<RefCell<FitRunner>>, model: Rc<RefCell<Sequential>>) -> Result<Object, JsError> {
    let mut r = runner.try_borrow_mut().map_err(|_| err("the previous step() has not finished yet: await it before the next"))?;
    let s = r.step(&model).await.map_err(err)?;
    let backend = if r.on_gpu() { "webgpu" } else { "cpu" };
    Ok(event_to_js(&s.event, backend, s.fell_back.as_deref()))
}

#[wasm_bindgen]
impl FitRun {
    /// The next step: an object (CPU runs) or a Promise of one (runs started on the GPU).
    pub fn step(&mut self) -> Result<JsValue, JsError> {
        let fut = runner_step(self.runner.clone(), self.model.clone());
        if self.promises {
            return Ok(wasm_bindgen_futures::future_to_promise(async move { fut.await.map(JsValue::from).map_err(JsValue::from) }).into());
        }
        // A CPU step never awaits: drive the future to its (immediate) end here.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::pin!(fut).poll(&mut cx) {
            std::task::Poll::Ready(r) => r.map(JsValue::from),
            std::task::Poll::Pending => Err(err("internal error: a CPU step did not finish at once")),
        }
    }

    #[wasm_bindgen(getter)]
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    #[wasm_bindgen(getter, js_name = batchesPerEpoch)]
    pub fn batches_per_epoch(&self) -> Result<usize, JsError> {
        Ok(self.runner.try_borrow().map_err(|_| err("a step is running"))?.batches_per_epoch())
    }

    #[wasm_bindgen(getter, js_name = isDone)]
    pub fn is_done(&self) -> Result<bool, JsError> {
        Ok(self.runner.try_borrow().map_err(|_| err("a step is running"))?.is_done())
    }

    /// Keras' `History.history` so far, plus `warnings`.
    #[wasm_bindgen(getter)]
    pub fn history(&self) -> Result<JsValue, JsError> {
        to_plain(self.runner.try_borrow().map_err(|_| err("a step is running"))?.history())
    }

    /// Where the run trains now: `'webgpu'` or `'cpu'` (after a fallback, `'cpu'`).
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String, JsError> {
        Ok(if self.runner.try_borrow().map_err(|_| err("a step is running"))?.on_gpu() { "webgpu" } else { "cpu" }.into())
    }

    /// Why the run left the GPU (`undefined` if it did not).
    #[wasm_bindgen(getter)]
    pub fn fallback(&self) -> Result<Option<String>, JsError> {
        Ok(self.runner.try_borrow().map_err(|_| err("a step is running"))?.fallback().map(String::from))
    }

    /// A Promise that resolves once the model (weights, optimizer state) holds the run's
    /// current state: call it after stopping a GPU run, before reading or saving the
    /// model. Resolves at once on the CPU.
    pub fn sync(&self) -> js_sys::Promise {
        let (runner, model) = (self.runner.clone(), self.model.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            let mut r = runner.try_borrow_mut().map_err(|_| JsValue::from(err("a step is running: await it first")))?;
            r.sync(&model).await.map_err(|e| JsValue::from(err(e)))?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

// ---- GPU backend (WebGPU) ---------------------------------------------------------
//
// One GPU context per worker, opened by `initGpu()` and shared by every GPU fit. A
// model's preferred backend (`toBackend`) is kept here by model identity rather than
// in `JsModel`, so the model handle stays a plain `Rc<RefCell<Sequential>>`.

/// A backend name from JS: `'cpu'`, `'webgpu'` or `'auto'` (the GPU where `initGpu()`
/// found one, else the CPU).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Backend {
    Cpu,
    WebGpu,
    Auto,
}

impl Backend {
    fn parse(s: &str) -> Result<Backend, JsError> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "wasm" => Ok(Backend::Cpu),
            "webgpu" | "gpu" => Ok(Backend::WebGpu),
            "auto" => Ok(Backend::Auto),
            other => Err(err(format!("backend: unknown backend '{other}' (use 'webgpu', 'cpu' or 'auto')"))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::WebGpu => "webgpu",
            Backend::Auto => "auto",
        }
    }

    /// The GPU context to train on, `None` for the CPU; an error if WebGPU was asked for
    /// and is not there.
    fn resolve(self) -> Result<Option<Rc<GpuContext>>, JsError> {
        let ctx = live_gpu();
        match (self, ctx) {
            (Backend::Cpu, _) => Ok(None),
            (_, Some(c)) => Ok(Some(c)),
            (Backend::Auto, None) => Ok(None),
            (Backend::WebGpu, None) => Err(err(GPU_STATE.with(|g| match &g.borrow().reason {
                Some(r) => format!("backend 'webgpu': no GPU ({r}); use backend 'cpu' or 'auto'"),
                None => "backend 'webgpu': call (and await) initGpu() first".to_string(),
            }))),
        }
    }
}

#[derive(Default)]
struct GpuState {
    ctx: Option<Rc<GpuContext>>,
    /// Why there is no GPU (after a failed `initGpu()` or a lost device).
    reason: Option<String>,
    /// Preferred backend and latest GPU run per model, by the model's `Rc` address
    /// (checked against a weak reference, so a reused address is not mistaken).
    models: Vec<ModelGpu>,
}

struct ModelGpu {
    model: std::rc::Weak<RefCell<Sequential>>,
    backend: Backend,
    run: std::rc::Weak<RefCell<FitRunner>>,
}

thread_local! {
    static GPU_STATE: RefCell<GpuState> = RefCell::new(GpuState::default());
}

/// The shared context, unless there is none or its device was lost.
fn live_gpu() -> Option<Rc<GpuContext>> {
    GPU_STATE.with(|g| {
        let mut g = g.borrow_mut();
        if g.ctx.as_ref().is_some_and(|c| c.is_lost()) {
            g.ctx = None;
            g.reason = Some("the GPU device was lost".into());
        }
        g.ctx.clone()
    })
}

fn with_model_entry<T>(model: &Rc<RefCell<Sequential>>, f: impl FnOnce(&mut ModelGpu) -> T) -> T {
    GPU_STATE.with(|g| {
        let mut g = g.borrow_mut();
        g.models.retain(|m| m.model.strong_count() > 0);
        let i = match g.models.iter().position(|m| std::ptr::eq(m.model.as_ptr(), Rc::as_ptr(model))) {
            Some(i) => i,
            None => {
                g.models.push(ModelGpu { model: Rc::downgrade(model), backend: Backend::Cpu, run: std::rc::Weak::new() });
                g.models.len() - 1
            }
        };
        f(&mut g.models[i])
    })
}

/// A model's preferred backend (`'cpu'` until `toBackend` says otherwise).
fn model_backend(model: &Rc<RefCell<Sequential>>) -> Backend {
    with_model_entry(model, |m| m.backend)
}

fn remember_gpu_run(model: &Rc<RefCell<Sequential>>, run: &Rc<RefCell<FitRunner>>) {
    with_model_entry(model, |m| m.run = Rc::downgrade(run));
}

fn adapter_to_js(ctx: &GpuContext) -> Object {
    let info = &ctx.adapter_info;
    let o = Object::new();
    set(&o, "ok", true);
    set(&o, "name", info.name.as_str());
    // wgpu's webgpu backend maps GPUAdapterInfo.isFallbackAdapter to a CPU device type.
    set(&o, "isFallbackAdapter", info.device_type == wgpu::DeviceType::Cpu);
    set(&o, "deviceType", format!("{:?}", info.device_type));
    set(&o, "backend", format!("{:?}", info.backend));
    o
}

/// Which backends this environment has: `{cpu: true, webgpu: bool, gpuReady: bool,
/// reason?}` (`webgpu`: the browser exposes `navigator.gpu`; `gpuReady`: `initGpu()`
/// opened a device that is still alive).
#[wasm_bindgen]
pub fn backends() -> Object {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let has_webgpu = nav.is_object() && Reflect::get(&nav, &"gpu".into()).map(|g| !g.is_undefined() && !g.is_null()).unwrap_or(false);
    let o = Object::new();
    set(&o, "cpu", true);
    set(&o, "webgpu", has_webgpu);
    set(&o, "gpuReady", live_gpu().is_some());
    if let Some(r) = GPU_STATE.with(|g| g.borrow().reason.clone()) {
        set(&o, "reason", r);
    }
    o
}

/// Opens the GPU (once; again after a lost device). Resolves to the adapter,
/// `{ok: true, name, isFallbackAdapter, deviceType, backend}`, or to `{ok: false,
/// reason}` saying why there is none (no WebGPU in this browser, no adapter, device
/// refused); never rejects, so the caller can simply fall back to the CPU.
#[wasm_bindgen(js_name = initGpu)]
pub async fn init_gpu() -> Object {
    if let Some(ctx) = live_gpu() {
        return adapter_to_js(&ctx);
    }
    let has_webgpu = get(&backends(), "webgpu").as_bool().unwrap_or(false);
    let result = if has_webgpu { GpuContext::new().await.map_err(|e| e.to_string()) } else { Err("this browser does not expose WebGPU (navigator.gpu)".to_string()) };
    GPU_STATE.with(|g| {
        let mut g = g.borrow_mut();
        match result {
            Ok(ctx) => {
                let ctx = Rc::new(ctx);
                g.ctx = Some(ctx.clone());
                g.reason = None;
                adapter_to_js(&ctx)
            }
            Err(reason) => {
                g.reason = Some(reason.clone());
                let o = Object::new();
                set(&o, "ok", false);
                set(&o, "reason", reason);
                o
            }
        }
    })
}

/// Test hook: destroys the GPU device (as a driver reset would lose it). A GPU run's
/// next step then goes on on the CPU; `initGpu()` opens a new device. Returns whether
/// there was a device to lose.
#[wasm_bindgen(js_name = __simulateDeviceLoss)]
pub fn simulate_device_loss() -> bool {
    match live_gpu() {
        Some(ctx) => {
            ctx.simulate_device_loss();
            live_gpu();
            true
        }
        None => false,
    }
}

/// A model handle for Rust callers (tests, other Rust code in the worker).
impl From<Sequential> for JsModel {
    fn from(m: Sequential) -> JsModel {
        JsModel::wrap(m)
    }
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// The backend `fit` uses when its options name none: `'cpu'` (the default) or
    /// `'webgpu'` / `'auto'` after `toBackend`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        model_backend(&self.inner).name().into()
    }

    /// Moves the model to `'webgpu'`, `'cpu'` or `'auto'` (a Promise of the backend now
    /// used). Moving to the CPU first reads the latest GPU run's state back (weights,
    /// BN statistics, optimizer state and step count: `download_into`), so training,
    /// evaluation or export go on exactly where the GPU left off; moving to the GPU
    /// opens it if needed and fails with the reason if there is none. Between fits the
    /// `Sequential` is the source of truth: each GPU fit uploads it and reads it back at
    /// every epoch end.
    #[wasm_bindgen(js_name = toBackend)]
    pub fn to_backend(&self, backend: &str) -> js_sys::Promise {
        let model = self.inner.clone();
        let backend = Backend::parse(backend);
        wasm_bindgen_futures::future_to_promise(async move {
            let backend = backend.map_err(JsValue::from)?;
            if backend != Backend::Cpu && live_gpu().is_none() {
                let info = init_gpu().await;
                if backend == Backend::WebGpu && !get(&info, "ok").as_bool().unwrap_or(false) {
                    let reason = get(&info, "reason").as_string().unwrap_or_default();
                    return Err(err(format!("toBackend('webgpu'): no GPU ({reason})")).into());
                }
            }
            // Bring the latest GPU state back into the model.
            if let Some(run) = with_model_entry(&model, |m| m.run.upgrade()) {
                let mut r = run.try_borrow_mut().map_err(|_| JsValue::from(err("toBackend: a fit step is running; await it first")))?;
                r.sync(&model).await.map_err(|e| JsValue::from(err(e)))?;
            }
            with_model_entry(&model, |m| m.backend = backend);
            let now = match backend {
                Backend::Auto if live_gpu().is_some() => "webgpu",
                Backend::Auto => "cpu",
                b => b.name(),
            };
            Ok(JsValue::from_str(now))
        })
    }

    /// `model.predict(x)` on the model's backend, or `opts.backend`: a Promise of
    /// `{data, shape, backend: 'webgpu'|'cpu', fallback?}`. See [`prepare_inference`].
    #[wasm_bindgen(js_name = predictAsync)]
    pub fn predict_async(&self, x: &JsValue, opts: &JsValue) -> js_sys::Promise {
        let model = self.inner.clone();
        let args = tensor_from_js(x, "predictAsync: x").and_then(|x| Ok((x, inference_options(&model, opts, "predictAsync")?)));
        wasm_bindgen_futures::future_to_promise(async move {
            let (x, (batch, backend)) = args?;
            let (ctx, note) = prepare_inference(&model, backend, "predictAsync").await?;
            let c = inference::predict(ctx, &model, &x, batch).await.map_err(err)?;
            let o = tensor_to_js(&c.value);
            tag_backend(&o, &c, note);
            Ok(o.into())
        })
    }

    /// `model.evaluate(x, y)` on the model's backend, or `opts.backend`: a Promise of
    /// `{loss, accuracy, backend: 'webgpu'|'cpu', fallback?}`. See [`prepare_inference`].
    #[wasm_bindgen(js_name = evaluateAsync)]
    pub fn evaluate_async(&self, x: &JsValue, y: &JsValue, opts: &JsValue) -> js_sys::Promise {
        let model = self.inner.clone();
        let args = (|| -> Result<_, JsError> { Ok((tensor_from_js(x, "evaluateAsync: x")?, tensor_from_js(y, "evaluateAsync: y")?, inference_options(&model, opts, "evaluateAsync")?)) })();
        wasm_bindgen_futures::future_to_promise(async move {
            let (x, y, (batch, backend)) = args?;
            let (ctx, note) = prepare_inference(&model, backend, "evaluateAsync").await?;
            let c = inference::evaluate(ctx, &model, &x, &y, batch).await.map_err(err)?;
            let o = Object::new();
            set(&o, "loss", c.value.loss);
            set(&o, "accuracy", c.value.accuracy);
            tag_backend(&o, &c, note);
            Ok(o.into())
        })
    }
}

/// `{batchSize, backend}` of `predictAsync` / `evaluateAsync` (256 and the model's backend
/// by default, as the synchronous calls).
fn inference_options(model: &Rc<RefCell<Sequential>>, opts: &JsValue, what: &str) -> Result<(usize, Backend), JsError> {
    let batch = match get_f64(opts, "batchSize") {
        None => 256,
        Some(v) if v >= 1.0 && v.fract() == 0.0 => v as usize,
        Some(v) => return Err(err(format!("{what}: batchSize must be a whole number of at least 1, got {v}"))),
    };
    let backend = match get(opts, "backend").as_string() {
        Some(b) => Backend::parse(&b)?,
        None => model_backend(model),
    };
    Ok((batch, backend))
}

/// Before an async `predict` / `evaluate`: brings the latest GPU fit state into the
/// model as `toBackend` does (a run stopped mid-epoch holds newer weights on the GPU
/// than its last checkpoint), then picks the GPU context to compute on, `None` for the
/// CPU. Where `'webgpu'` was asked for and the GPU is gone (lost, or `initGpu()` found
/// none), the CPU computes and the returned note says why; `'webgpu'` before any
/// `initGpu()` is an error, as for `fit`.
async fn prepare_inference(model: &Rc<RefCell<Sequential>>, backend: Backend, what: &str) -> Result<(Option<Rc<GpuContext>>, Option<String>), JsError> {
    let mut note = None;
    if let Some(run) = with_model_entry(model, |m| m.run.upgrade()) {
        let ctx = live_gpu();
        // Borrowed across the read-back on purpose: a `step()` meanwhile is refused.
        let mut r = run.try_borrow_mut().map_err(|_| err(format!("{what}: a fit step is running; await it first")))?;
        match r.sync(model).await {
            Ok(()) => {}
            Err(e) if ctx.as_ref().is_some_and(|c| is_gpu_failure(&e, c)) => {
                note = Some(format!("the GPU failed while reading the latest training state back ({e}); the model holds the last checkpoint."));
            }
            Err(e) => return Err(err(e)),
        }
    }
    let ctx = match backend.resolve() {
        Ok(ctx) => ctx,
        Err(e) => match GPU_STATE.with(|g| g.borrow().reason.clone()) {
            Some(reason) if note.is_none() => {
                note = Some(format!("no GPU ({reason}); computed on the CPU instead."));
                None
            }
            Some(_) => None,
            None => return Err(e),
        },
    };
    Ok((ctx, note))
}

/// Adds `backend` (where the result was computed) and `fallback` (why not on the GPU,
/// when it was asked for) to a result object.
fn tag_backend<T>(o: &Object, c: &Computed<T>, note: Option<String>) {
    if c.fallback.is_some() {
        live_gpu(); // notes a lost device, so backends() and fit see it too
    }
    set(o, "backend", if c.on_gpu { "webgpu" } else { "cpu" });
    if let Some(f) = c.fallback.clone().or(note) {
        set(o, "fallback", f);
    }
}

// ---- data ---------------------------------------------------------------------------

/// Reads a TPDS image set: `{x: {data, shape: [n,h,w,c]}, y: {data, shape: [n]},
/// pixels: Uint8Array, count, height, width, channels, numClasses}` (x scaled to [0, 1]).
#[wasm_bindgen(js_name = loadImageSet)]
pub fn load_image_set(bytes: &[u8]) -> Result<Object, JsError> {
    let set_ = ImageSet::from_bytes(bytes).map_err(err)?;
    let (x, y) = crate::lecture::to_tensors(&set_);
    let o = Object::new();
    set(&o, "x", tensor_to_js(&x));
    set(&o, "y", tensor_to_js(&y));
    set(&o, "pixels", Uint8Array::from(set_.pixels.as_slice()));
    set(&o, "count", set_.len() as f64);
    set(&o, "height", set_.height as f64);
    set(&o, "width", set_.width as f64);
    set(&o, "channels", set_.channels as f64);
    set(&o, "numClasses", set_.num_classes as f64);
    Ok(o)
}

/// The engine's version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// `keras.utils.set_random_seed`: models created afterwards (e.g. by `cloneModel`)
/// get reproducible fresh weights.
#[wasm_bindgen(js_name = setRandomSeed)]
pub fn set_random_seed(seed: f64) {
    crate::set_random_seed(seed.max(0.0) as u64);
}

// ---- Keras files and image resizing --------------------------------------------------

/// `keras.models.load_model`: a model from the bytes of a Keras file — legacy HDF5
/// (`model.save('my_model_A.h5')`) or a Keras 3 `.keras` archive. Unsupported layers,
/// settings and corrupt files are errors that name the problem.
#[wasm_bindgen(js_name = loadKerasModel)]
pub fn load_keras_model(bytes: &[u8]) -> Result<JsModel, JsError> {
    crate::keras::load_keras_model(bytes).map(JsModel::wrap).map_err(err)
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// The model as a Keras 3 `.keras` archive (`keras.models.load_model` reads it).
    #[wasm_bindgen(js_name = toKeras)]
    pub fn to_keras(&self) -> Result<Uint8Array, JsError> {
        let bytes = crate::keras::to_keras_archive(&*self.read()?).map_err(err)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// The model as a legacy Keras HDF5 file (`model.save('name.h5')`'s format).
    #[wasm_bindgen(js_name = toH5)]
    pub fn to_h5(&self) -> Result<Uint8Array, JsError> {
        let bytes = crate::keras::to_legacy_h5(&*self.read()?).map_err(err)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}

/// Resizes images `{data, shape: [n, h, w, c]}` to `[n, height, width, channels]`:
/// center crop, area averaging when shrinking, linear when enlarging, gray <-> RGB by
/// copying or BT.601 luma (see `src/image.rs`).
#[wasm_bindgen(js_name = resizeImages)]
pub fn resize_images(x: &JsValue, height: usize, width: usize, channels: usize) -> Result<Object, JsError> {
    let x = tensor_from_js(x, "resizeImages: x")?;
    Ok(tensor_to_js(&crate::image::resize_images(&x, height, width, channels).map_err(err)?))
}
