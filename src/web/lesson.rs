//! The lesson's views across the boundary (issue 12): what each layer sees
//! (`layerOutputs`, `layerOutputsAsync`), how far training moved each layer's weights
//! (`weightSnapshot`, `weightMovement`), which examples a classifier gets wrong
//! (`confusionMatrix`) and how far a test accuracy can be trusted (`accuracyEstimate`,
//! `compareAccuracies`). The numbers are the engine's (`crate::model::layer_outputs`,
//! `crate::model::weight_movement`, `crate::evaluation`); this file only converts.
//!
//! A layer-outputs request keeps every chosen layer's output of every example, so its
//! size is checked against `maxInputBytes` (`limits::check_layer_outputs`) before
//! anything is computed: an oversized request is `LIMIT`, never a trap.

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::convert::{describe, get, set, tensor_from_js, tensor_to_js, whole_number};
use super::gpu::{model_backend, prepare_inference, tag_backend};
use super::model::{read, JsModel};
use super::options::Options;
use super::panic::enter;
use crate::device::Choice;
use crate::error::{Error, Result};
use crate::evaluation::{self, AccuracyEstimate};
use crate::gpu::inference;
use crate::limits;
use crate::model::layer_outputs::LayerOutput;
use crate::model::weight_movement::{self, LayerMovement, WeightSnapshot};
use crate::model::Sequential;
use crate::tensor::{check_example_shape, Tensor};

/// `layerOutputs`' options: which layers (indices or names, `undefined` = all), the
/// chunk size, and for the async call the backend.
struct Request {
    layers: Option<Vec<Chosen>>,
    batch: usize,
    backend: Option<Choice>,
}

/// A layer as JS names it: its index in `model.layers` or its name.
enum Chosen {
    Index(usize),
    Name(String),
}

fn request(opts: &JsValue, call: &'static str, with_backend: bool) -> Result<Request> {
    let known: &[&str] = if with_backend { &["layers", "batchSize", "backend"] } else { &["layers", "batchSize"] };
    let o = Options::new(opts, call, known)?;
    let layers = match o.value("layers") {
        None => None,
        Some(v) => {
            let expected = "an array of layer indices or names, e.g. [0, 1] or ['conv2d']";
            let items = v
                .dyn_ref::<Array>()
                .ok_or_else(|| Error::bad_option(format!("{call}: layers"), expected, describe(&v)))?;
            let mut out = Vec::new();
            for item in items.iter() {
                out.push(match item.as_string() {
                    Some(name) => Chosen::Name(name),
                    None => Chosen::Index(
                        whole_number(&item, &format!("{call}: layers"), 0)
                            .map_err(|_| Error::bad_option(format!("{call}: layers"), expected, describe(&item)))?
                            as usize,
                    ),
                });
            }
            Some(out)
        }
    };
    let batch = o.whole("batchSize", 1, u64::MAX)?.map_or(256, |n| n.min(u32::MAX as u64) as usize);
    let backend = if with_backend { o.backend()? } else { None };
    Ok(Request { layers, batch, backend })
}

/// The chosen layers as indices (names looked up), checked by the engine's one rule;
/// then the chunk size and the size of the result against the limits, all before any
/// output is computed.
fn plan(m: &Sequential, x: &Tensor, req: &Request, call: &str) -> Result<(Vec<usize>, usize)> {
    check_example_shape(x, m.input_shape(), call)?;
    let indices = match &req.layers {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|c| match c {
                    Chosen::Index(i) => Ok(*i),
                    Chosen::Name(n) => m.layer_indices(&[n.as_str()]).map(|v| v[0]),
                })
                .collect::<Result<Vec<usize>>>()?,
        ),
    };
    let chosen = m.layer_selection(indices.as_deref())?;
    let n = x.shape()[0];
    let batch = limits::inference_batch(m, n, req.batch)?;
    limits::check_layer_outputs(m, n, &chosen)?;
    Ok((chosen, batch))
}

/// `[{index, name, className, shape, data}]`, in the order asked for.
fn outputs_to_js(outputs: &[LayerOutput]) -> Array {
    outputs
        .iter()
        .map(|o| {
            let obj = tensor_to_js(&o.output);
            set(&obj, "index", o.index as f64);
            set(&obj, "name", o.name.as_str());
            set(&obj, "className", o.class_name);
            JsValue::from(obj)
        })
        .collect()
}

/// How far training moved the weights: a copy of every layer's weights at one moment
/// (`[l.get_weights() for l in model.layers]`), kept in the engine.
#[wasm_bindgen(js_name = WeightSnapshot)]
pub struct JsWeightSnapshot {
    inner: WeightSnapshot,
}

#[wasm_bindgen(js_class = WeightSnapshot)]
impl JsWeightSnapshot {
    /// The number of layers the snapshot holds.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> Result<usize> {
        enter()?;
        Ok(self.inner.layers.len())
    }
}

fn movement_to_js(rows: &[LayerMovement]) -> Array {
    rows.iter()
        .map(|r| {
            let o = Object::new();
            set(&o, "index", r.index as f64);
            set(&o, "name", r.name.as_str());
            set(&o, "className", r.class_name);
            set(&o, "weights", r.weights as f64);
            set(&o, "beforeNorm", r.before_norm);
            set(&o, "deltaNorm", r.delta_norm);
            set(&o, "relative", r.relative.map_or(JsValue::NULL, JsValue::from_f64));
            JsValue::from(o)
        })
        .collect()
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// What each layer sees: `model.layerOutputs(x, {layers?, batchSize?})` ->
    /// `[{index, name, className, shape, data}]`, the inference-mode output of each chosen
    /// layer (indices into `model.layers` or names; all when absent) for every example of
    /// `x`, as Keras' `keras.Model(model.inputs, [l.output for l in model.layers])`. On
    /// the CPU; `layerOutputsAsync` runs where the model is. The result's size is checked
    /// against `maxInputBytes` before anything is computed (`LIMIT`).
    #[wasm_bindgen(js_name = layerOutputs)]
    pub fn layer_outputs(&self, x: &JsValue, opts: &JsValue) -> Result<Array> {
        enter()?;
        let req = request(opts, "layerOutputs", false)?;
        let x = tensor_from_js(x, "layerOutputs: x")?;
        let m = self.read()?;
        let (chosen, batch) = plan(&m, &x, &req, "layerOutputs")?;
        Ok(outputs_to_js(&m.layer_outputs(&x, Some(&chosen), batch)?))
    }

    /// `layerOutputs` where the model is (or `opts.backend`): a Promise of `{outputs:
    /// [{index, name, className, shape, data}], backend: 'webgpu'|'cpu', fallback?}`. On
    /// the GPU each chosen layer's activation buffer is read back after one forward pass
    /// per chunk (tested against the CPU within 1e-4 relative); a lost device gives the
    /// CPU's result with the reason, as `predictAsync`.
    #[wasm_bindgen(js_name = layerOutputsAsync)]
    pub fn layer_outputs_async(&self, x: &JsValue, opts: &JsValue) -> js_sys::Promise {
        let model = self.inner.clone();
        let args = enter()
            .and_then(|_| Ok((request(opts, "layerOutputsAsync", true)?, tensor_from_js(x, "layerOutputsAsync: x")?)));
        wasm_bindgen_futures::future_to_promise(async move {
            let (req, x) = args?;
            let (chosen, batch) = plan(&*read(&model)?, &x, &req, "layerOutputsAsync")?;
            let choice = req.backend.unwrap_or_else(|| model_backend(&model));
            let (ctx, note) = prepare_inference(&model, choice, "layerOutputsAsync").await?;
            let c = inference::layer_outputs(ctx, &model, &x, Some(&chosen), batch).await?;
            let o = Object::new();
            set(&o, "outputs", outputs_to_js(&c.value));
            tag_backend(&o, &c, note);
            Ok(o.into())
        })
    }

    /// A copy of every layer's weights now, for `weightMovement` after training.
    #[wasm_bindgen(js_name = weightSnapshot)]
    pub fn weight_snapshot(&self) -> Result<JsWeightSnapshot> {
        enter()?;
        Ok(JsWeightSnapshot { inner: WeightSnapshot::of(&*self.read()?) })
    }

    /// `weightMovement(before, model.weightSnapshot())`: how far each layer moved since
    /// `before`.
    #[wasm_bindgen(js_name = weightMovementSince)]
    pub fn weight_movement_since(&self, before: &JsWeightSnapshot) -> Result<Array> {
        enter()?;
        Ok(movement_to_js(&self.read()?.weight_movement_since(&before.inner)?))
    }
}

/// Per layer, how far the weights moved from `before` to `after` (two snapshots of one
/// architecture): `[{index, name, className, weights, beforeNorm, deltaNorm, relative}]`,
/// `relative` = ‖ΔW‖ / ‖W_before‖ over all of the layer's arrays, `null` for a layer
/// without weights (or whose weights were all zero). A frozen layer's is exactly 0.
#[wasm_bindgen(js_name = weightMovement)]
pub fn weight_movement(before: &JsWeightSnapshot, after: &JsWeightSnapshot) -> Result<Array> {
    enter()?;
    Ok(movement_to_js(&weight_movement::weight_movement(&before.inner, &after.inner)?))
}

/// The confusion matrix of a classifier's predicted probabilities (`[n, 1]` sigmoid or
/// `[n, classes]` softmax, e.g. `predictAsync`'s) against integer labels `[n]`:
/// `{classes, counts: [[...]] (rows = true class, columns = predicted), examples,
/// correct, accuracy, misclassified: [{index, label, predicted, confidence,
/// probabilities}]}`, the most confident mistakes first. `accuracy` is exactly
/// `evaluate`'s (class 1 when p > 0.5; the argmax).
#[wasm_bindgen(js_name = confusionMatrix)]
pub fn confusion_matrix(probabilities: &JsValue, labels: &JsValue) -> Result<Object> {
    enter()?;
    let p = tensor_from_js(probabilities, "confusionMatrix: probabilities")?;
    let y = tensor_from_js(labels, "confusionMatrix: labels")?;
    let c = evaluation::confusion_matrix(&p, &y)?;
    let o = Object::new();
    set(&o, "classes", c.classes as f64);
    let rows: Array = c
        .rows()
        .iter()
        .map(|r| JsValue::from(r.iter().map(|&v| JsValue::from_f64(v as f64)).collect::<Array>()))
        .collect();
    set(&o, "counts", rows);
    set(&o, "examples", c.examples as f64);
    set(&o, "correct", c.correct as f64);
    set(&o, "accuracy", c.accuracy());
    let wrong: Array = c
        .misclassified
        .iter()
        .map(|m| {
            let e = Object::new();
            set(&e, "index", m.index as f64);
            set(&e, "label", m.label as f64);
            set(&e, "predicted", m.predicted as f64);
            set(&e, "confidence", m.confidence);
            set(&e, "probabilities", m.probabilities.iter().map(|&v| JsValue::from_f64(v as f64)).collect::<Array>());
            JsValue::from(e)
        })
        .collect();
    set(&o, "misclassified", wrong);
    Ok(o)
}

fn estimate_to_js(e: &AccuracyEstimate) -> Object {
    let o = Object::new();
    set(&o, "correct", e.correct as f64);
    set(&o, "n", e.n as f64);
    set(&o, "accuracy", e.accuracy);
    set(&o, "standardError", e.standard_error);
    set(&o, "low", e.low);
    set(&o, "high", e.high);
    o
}

fn estimate_from(v: &JsValue, what: &str) -> Result<AccuracyEstimate> {
    if !v.is_object() {
        return Err(Error::bad_option(what, "an object {correct, n}", describe(v)));
    }
    let correct = whole_number(&get(v, "correct"), &format!("{what}.correct"), 0)?;
    let n = whole_number(&get(v, "n"), &format!("{what}.n"), 0)?;
    evaluation::accuracy_estimate(correct as usize, n as usize)
}

/// A test accuracy of `correct` out of `n` with its uncertainty: `{correct, n, accuracy,
/// standardError, low, high}` (the binomial standard error; Wilson's 95 % interval).
#[wasm_bindgen(js_name = accuracyEstimate)]
pub fn accuracy_estimate(correct: &JsValue, n: &JsValue) -> Result<Object> {
    enter()?;
    let correct = whole_number(correct, "accuracyEstimate: correct", 0)?;
    let n = whole_number(n, "accuracyEstimate: n", 0)?;
    Ok(estimate_to_js(&evaluation::accuracy_estimate(correct as usize, n as usize)?))
}

/// Whether two test accuracies (`{correct, n}` each, e.g. `accuracyEstimate` results)
/// differ by more than their combined 95 % uncertainty: `{difference (a − b),
/// standardError, margin, withinUncertainty}`.
#[wasm_bindgen(js_name = compareAccuracies)]
pub fn compare_accuracies(a: &JsValue, b: &JsValue) -> Result<Object> {
    enter()?;
    let d = evaluation::compare_accuracies(
        &estimate_from(a, "compareAccuracies: a")?,
        &estimate_from(b, "compareAccuracies: b")?,
    );
    let o = Object::new();
    set(&o, "difference", d.difference);
    set(&o, "standardError", d.standard_error);
    set(&o, "margin", d.margin);
    set(&o, "withinUncertainty", d.within_uncertainty);
    Ok(o)
}
