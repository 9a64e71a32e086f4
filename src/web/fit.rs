//! `FitRun`: a `fit` in progress, one batch or one epoch end per `step()`, so a worker
//! can post progress and honour "stop" between batches.
//!
//! # Concurrency rules
//! - A step that is still running (an awaited GPU step) holds the run: a second `step()`,
//!   `sync()` or `toBackend` meanwhile is `BUSY`. (The run's `RefCell` stays borrowed
//!   across the awaits on purpose: the borrow *is* that lock.)
//! - Two fits on one model cannot interleave: once a newer `fit` has started on the same
//!   model, stepping an older unfinished run is `FIT_INTERLEAVED` (its batches would
//!   mix with the newer run's updates). A new `fit` is how to start over.
//! - A divergence is `DIVERGED` with the 1-based `epoch` and `batch` it happened in.

#![allow(clippy::await_holding_refcell_ref)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::convert::{set, to_plain};
use super::errors::engine_error;
use super::models::{with_state, SharedModel};
use super::panic::enter;
use crate::error::{Error, Param, Result};
use crate::gpu::FitRunner;
use crate::train::fit::Event;

/// A `fit` in progress. Each `step()` runs one batch or one epoch end and returns
/// `{type: 'batch', epoch, batch, batches, loss, accuracy, backend}`,
/// `{type: 'epoch', epoch, loss, accuracy, valLoss, valAccuracy, backend}` or
/// `{type: 'done', backend}`. Stopping is simply not calling `step()` again; resuming
/// is calling it again.
///
/// A run started on the GPU (`backend: 'webgpu'`, or `'auto'` with a hardware GPU)
/// returns a Promise from every `step()`, also after it moved to the CPU: a batch step
/// only enqueues GPU work (its event has `loss`/`accuracy` `undefined` and `pending:
/// true`), an epoch end awaits the metrics, the validation and a read-back of the
/// weights. The step on which the device was lost and training moved to the CPU carries
/// `fallback` (a message saying from where it went on).
#[wasm_bindgen]
pub struct FitRun {
    pub(crate) model: SharedModel,
    pub(crate) runner: Rc<RefCell<FitRunner>>,
    pub(crate) epochs: usize,
    /// Whether `step()` returns Promises (the run started on the GPU).
    pub(crate) promises: bool,
    /// This run's number (see `models::start_fit`).
    pub(crate) number: u64,
    /// The 0-based (epoch, batch) of the next step, for a divergence's params.
    pub(crate) next: Rc<Cell<(usize, usize)>>,
}

pub(crate) fn event_to_js(ev: &Event, backend: &str, fallback: Option<&str>) -> Object {
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
async fn runner_step(
    runner: Rc<RefCell<FitRunner>>,
    model: SharedModel,
    number: u64,
    next: Rc<Cell<(usize, usize)>>,
) -> Result<Object, JsValue> {
    enter()?;
    let mut r = runner
        .try_borrow_mut()
        .map_err(|_| Error::busy("the previous step() of this fit has not finished; await it first"))?;
    let newest = with_state(&model, |s| s.newest_fit);
    if newest != number && !r.is_done() {
        return Err(Error::FitInterleaved(format!(
            "a newer fit started on this model after this one (run {number}, newest {newest}); stepping this run now would mix its batches with the newer run's updates. Start a new fit instead"
        ))
        .into());
    }
    let s = match r.step(&model).await {
        Ok(s) => s,
        Err(e @ Error::Diverged(_)) => {
            let (epoch, batch) = next.get();
            return Err(engine_error(
                &e,
                &[("epoch", Param::Num(epoch as f64 + 1.0)), ("batch", Param::Num(batch as f64 + 1.0))],
            ));
        }
        Err(e) => return Err(e.into()),
    };
    next.set(match &s.event {
        Event::Batch(b) => (b.epoch, b.batch + 1),
        Event::Epoch(e) => (e.epoch + 1, 0),
        Event::Done => next.get(),
    });
    let backend = if r.on_gpu() { "webgpu" } else { "cpu" };
    Ok(event_to_js(&s.event, backend, s.fell_back.as_deref()))
}

impl FitRun {
    fn runner(&self) -> Result<std::cell::Ref<'_, FitRunner>> {
        enter()?;
        self.runner.try_borrow().map_err(|_| Error::busy("a step() of this fit is running; await it first"))
    }
}

#[wasm_bindgen]
impl FitRun {
    /// The next step: an object (CPU runs) or a Promise of one (runs started on the GPU).
    pub fn step(&mut self) -> Result<JsValue, JsValue> {
        let fut = runner_step(self.runner.clone(), self.model.clone(), self.number, self.next.clone());
        if self.promises {
            return Ok(wasm_bindgen_futures::future_to_promise(async move { fut.await.map(JsValue::from) }).into());
        }
        // A CPU step never awaits: drive the future to its (immediate) end here.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::pin!(fut).poll(&mut cx) {
            std::task::Poll::Ready(r) => r.map(JsValue::from),
            std::task::Poll::Pending => {
                Err(Error::Config("internal error: a CPU step did not finish at once".into()).into())
            }
        }
    }

    #[wasm_bindgen(getter)]
    pub fn epochs(&self) -> Result<f64> {
        enter()?;
        Ok(self.epochs as f64)
    }

    #[wasm_bindgen(getter, js_name = batchesPerEpoch)]
    pub fn batches_per_epoch(&self) -> Result<f64> {
        Ok(self.runner()?.batches_per_epoch() as f64)
    }

    #[wasm_bindgen(getter, js_name = isDone)]
    pub fn is_done(&self) -> Result<bool> {
        Ok(self.runner()?.is_done())
    }

    /// Keras' `History.history` so far, plus `warnings`.
    #[wasm_bindgen(getter)]
    pub fn history(&self) -> Result<JsValue> {
        to_plain(self.runner()?.history())
    }

    /// Where the run trains now: `'webgpu'` or `'cpu'` (after a fallback, `'cpu'`).
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String> {
        Ok(if self.runner()?.on_gpu() { "webgpu" } else { "cpu" }.into())
    }

    /// Why the run left the GPU (`undefined` if it did not).
    #[wasm_bindgen(getter)]
    pub fn fallback(&self) -> Result<Option<String>> {
        Ok(self.runner()?.fallback().map(String::from))
    }

    /// A Promise that resolves once the model (weights, optimizer state) holds the run's
    /// current state: call it after stopping a GPU run, before reading or saving the
    /// model. Resolves at once on the CPU.
    pub fn sync(&self) -> js_sys::Promise {
        let (runner, model) = (self.runner.clone(), self.model.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            enter()?;
            let mut r =
                runner.try_borrow_mut().map_err(|_| Error::busy("a step() of this fit is running; await it first"))?;
            r.sync(&model).await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
