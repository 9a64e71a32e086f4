//! Training and inference on a `Model`: `fit` (which starts a [`FitRun`]), `evaluate`
//! and `predict` (on the CPU; the async versions are in `gpu.rs`). Options are typed
//! (`options.rs`); sizes are checked against `crate::limits` before anything runs:
//! `fit` refuses a batch whose activations exceed `maxBatchBytes`, while `predict` and
//! `evaluate` split a large call into chunks that fit.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::convert::{set, tensor_from_js, tensor_to_js};
use super::fit::FitRun;
use super::gpu::{model_backend, resolve};
use super::model::JsModel;
use super::models::{start_fit, with_state};
use super::options::{fit_options, inference_options};
use super::panic::enter;
use crate::error::Result;
use crate::gpu::FitRunner;

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// `model.fit(x, y, {epochs, batchSize, shuffle, seed, validationData: [vx, vy],
    /// backend, checkpointEvery})` as a [`FitRun`]: call `step()` until it returns
    /// `{type: 'done'}`. Starting a fit makes older unfinished runs on this model
    /// unusable (`FIT_INTERLEAVED`).
    pub fn fit(&self, x: &JsValue, y: &JsValue, opts: &JsValue) -> Result<FitRun> {
        enter()?;
        let x = tensor_from_js(x, "fit: x")?;
        let y = tensor_from_js(y, "fit: y")?;
        // Batch sizes are checked against the limits by the fit itself (train::fit::check_fit).
        let (fo, backend, checkpoint_every) = fit_options(opts)?.split();
        let epochs = fo.epochs;
        let choice = backend.unwrap_or_else(|| model_backend(&self.inner));
        let runner = match resolve(choice)? {
            Some(ctx) => FitRunner::gpu(ctx, &*self.read()?, &x, &y, fo, checkpoint_every),
            None => FitRunner::cpu(&*self.read()?, &x, &y, fo),
        }?;
        let on_gpu = runner.on_gpu();
        let runner = Rc::new(RefCell::new(runner));
        if on_gpu {
            with_state(&self.inner, |s| s.gpu_run = Rc::downgrade(&runner));
        }
        let number = start_fit(&self.inner);
        Ok(FitRun {
            model: self.inner.clone(),
            runner,
            epochs,
            promises: on_gpu,
            number,
            next: Rc::new(Cell::new((0, 0))),
        })
    }

    /// `model.evaluate(x, y, batchSize?)` -> `{loss, accuracy}` on the CPU. `batchSize`
    /// (a number or `{batchSize}`, default 256) only groups the work; a large call runs
    /// in chunks that fit the limits.
    pub fn evaluate(&self, x: &JsValue, y: &JsValue, batch_size: &JsValue) -> Result<Object> {
        enter()?;
        let (batch, _) = inference_options(batch_size, "evaluate", false)?;
        let x = tensor_from_js(x, "evaluate: x")?;
        let y = tensor_from_js(y, "evaluate: y")?;
        let e = self.read()?.evaluate(&x, &y, batch)?;
        let o = Object::new();
        set(&o, "loss", e.loss);
        set(&o, "accuracy", e.accuracy);
        Ok(o)
    }

    /// `{loss, accuracy, outputs: {data, shape}}` of the model on `x` against `y` on the
    /// CPU, from one forward pass: `evaluate(x, y)` and `predict(x)` together, each value
    /// bit for bit theirs.
    #[wasm_bindgen(js_name = evaluatePredict)]
    pub fn evaluate_predict(&self, x: &JsValue, y: &JsValue) -> Result<Object> {
        enter()?;
        let x = tensor_from_js(x, "evaluatePredict: x")?;
        let y = tensor_from_js(y, "evaluatePredict: y")?;
        let n = x.shape().first().copied().unwrap_or(0);
        if n == 0 {
            return Err(crate::error::Error::Data("evaluatePredict: no examples".into()));
        }
        let (s, outputs) = self.read()?.evaluate_predict(&x, &y)?;
        let e = crate::model::sequential::Evaluation::of(s, n);
        let o = Object::new();
        set(&o, "loss", e.loss);
        set(&o, "accuracy", e.accuracy);
        set(&o, "outputs", tensor_to_js(&outputs));
        Ok(o)
    }

    /// `model.predict(x, batchSize?)` -> `{data, shape}` on the CPU (batchSize as for
    /// `evaluate`).
    pub fn predict(&self, x: &JsValue, batch_size: &JsValue) -> Result<Object> {
        enter()?;
        let (batch, _) = inference_options(batch_size, "predict", false)?;
        let x = tensor_from_js(x, "predict: x")?;
        Ok(tensor_to_js(&self.read()?.predict(&x, batch)?))
    }
}
