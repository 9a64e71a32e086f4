//! The GPU (WebGPU) across the boundary: one context per worker, opened by `initGpu()`
//! and shared by every GPU fit; `backends()` and `backendFor()` say what there is and
//! where a choice runs (the policy itself is `crate::device`, one meaning of `'auto'`);
//! `Model.toBackend`, `predictAsync` and `evaluateAsync` run where the model is.

#![allow(clippy::await_holding_refcell_ref)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::convert::{get, set, tensor_from_js, tensor_to_js};
use super::model::{read, JsModel};
use super::models::{with_state, SharedModel};
use super::options::inference_options;
use super::panic::enter;
use crate::device::{self, Choice, Gpu};
use crate::error::{Error, Result};
use crate::gpu::is_gpu_failure;
use crate::gpu::{inference, Computed, GpuContext};
use crate::limits;

#[derive(Default)]
struct GpuState {
    ctx: Option<Rc<GpuContext>>,
    /// Why there is no GPU (after a failed `initGpu()` or a lost device).
    reason: Option<String>,
}

thread_local! {
    static GPU_STATE: RefCell<GpuState> = RefCell::new(GpuState::default());
}

const NOT_OPENED: &str = "call (and await) initGpu() first";

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

fn no_gpu_reason() -> Option<String> {
    GPU_STATE.with(|g| g.borrow().reason.clone())
}

/// The live context and what kind of GPU it is, for `device::decide`.
fn gpu_now() -> (Option<Rc<GpuContext>>, String) {
    let ctx = live_gpu();
    let reason = no_gpu_reason().unwrap_or_else(|| NOT_OPENED.to_string());
    (ctx, reason)
}

/// A hardware or a software adapter (wgpu's webgpu backend maps
/// `GPUAdapterInfo.isFallbackAdapter` to a CPU device type).
fn kind<'a>(ctx: &GpuContext) -> Gpu<'a> {
    if ctx.adapter_info.device_type == wgpu::DeviceType::Cpu {
        Gpu::Software
    } else {
        Gpu::Hardware
    }
}

/// Where `choice` runs now: the GPU context, or `None` for the CPU (with the reason);
/// `'webgpu'` without a GPU is `GPU_UNAVAILABLE`.
pub(crate) fn resolve(choice: Choice) -> Result<Option<Rc<GpuContext>>> {
    Ok(decision(choice)?.0)
}

fn decision(choice: Choice) -> Result<(Option<Rc<GpuContext>>, Option<String>)> {
    let (ctx, reason) = gpu_now();
    let d = device::decide(choice, ctx.as_deref().map_or(Gpu::None(&reason), kind))?;
    Ok((if d.on_gpu { ctx } else { None }, d.reason.map(|r| r.to_string())))
}

/// A model's backend choice (`'cpu'` until `toBackend` says otherwise).
pub(crate) fn model_backend(model: &SharedModel) -> Choice {
    with_state(model, |m| m.backend)
}

fn adapter_to_js(ctx: &GpuContext) -> Object {
    let info = &ctx.adapter_info;
    let o = Object::new();
    set(&o, "ok", true);
    set(&o, "name", info.name.as_str());
    set(&o, "isFallbackAdapter", info.device_type == wgpu::DeviceType::Cpu);
    set(&o, "deviceType", format!("{:?}", info.device_type));
    set(&o, "backend", format!("{:?}", info.backend));
    o
}

fn has_webgpu() -> bool {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    nav.is_object() && Reflect::get(&nav, &"gpu".into()).map(|g| !g.is_undefined() && !g.is_null()).unwrap_or(false)
}

/// Which backends this environment has: `{cpu: true, webgpu: bool, gpuReady: bool,
/// reason?, auto: 'webgpu'|'cpu', autoReason?}` (`webgpu`: the browser exposes
/// `navigator.gpu`; `gpuReady`: `initGpu()` opened a device that is still alive;
/// `auto`: where `'auto'` runs now, and why not on the GPU).
#[wasm_bindgen]
pub fn backends() -> Result<Object> {
    enter()?;
    let o = Object::new();
    set(&o, "cpu", true);
    set(&o, "webgpu", has_webgpu());
    set(&o, "gpuReady", live_gpu().is_some());
    if let Some(r) = no_gpu_reason() {
        set(&o, "reason", r);
    }
    let (ctx, why) = decision(Choice::Auto)?;
    set(&o, "auto", if ctx.is_some() { "webgpu" } else { "cpu" });
    if let Some(why) = why {
        set(&o, "autoReason", why);
    }
    Ok(o)
}

/// Where a backend choice runs now (the one policy, `crate::device`): `{choice, active:
/// 'webgpu'|'cpu', reason?, adapter?, isFallbackAdapter?}`. `reason` says why the CPU
/// runs when a GPU was wanted (`'auto'` with only a software adapter, no GPU at all, a
/// lost device). Never throws for a missing GPU.
#[wasm_bindgen(js_name = backendFor)]
pub fn backend_for(choice: &str) -> Result<Object> {
    enter()?;
    let choice = Choice::parse(choice)?;
    let (ctx, reason) = gpu_now();
    let d = device::decide_or_cpu(choice, ctx.as_deref().map_or(Gpu::None(&reason), kind));
    let o = Object::new();
    set(&o, "choice", choice.name());
    set(&o, "active", if d.on_gpu { "webgpu" } else { "cpu" });
    if let Some(r) = d.reason {
        set(&o, "reason", r.to_string());
        set(&o, "reasonCode", r.code());
    }
    if let Some(c) = ctx.filter(|_| choice != Choice::Cpu) {
        set(&o, "adapter", c.adapter_info.name.as_str());
        set(&o, "isFallbackAdapter", c.adapter_info.device_type == wgpu::DeviceType::Cpu);
    }
    Ok(o)
}

/// Opens the GPU (once; again after a lost device). Resolves to the adapter,
/// `{ok: true, name, isFallbackAdapter, deviceType, backend}`, or to `{ok: false,
/// reason}` saying why there is none (no WebGPU in this browser, no adapter, device
/// refused); never rejects for want of a GPU, so the caller can simply use the CPU.
#[wasm_bindgen(js_name = initGpu)]
pub async fn init_gpu() -> Result<Object> {
    enter()?;
    if let Some(ctx) = live_gpu() {
        return Ok(adapter_to_js(&ctx));
    }
    let result = if has_webgpu() {
        GpuContext::new().await.map_err(|e| e.to_string())
    } else {
        Err("this browser does not expose WebGPU (navigator.gpu)".to_string())
    };
    Ok(GPU_STATE.with(|g| {
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
    }))
}

/// Test hook: destroys the GPU device (as a driver reset would lose it). A GPU run's
/// next step then goes on on the CPU; `initGpu()` opens a new device. Returns whether
/// there was a device to lose.
#[wasm_bindgen(js_name = __simulateDeviceLoss)]
pub fn simulate_device_loss() -> Result<bool> {
    enter()?;
    Ok(match live_gpu() {
        Some(ctx) => {
            ctx.simulate_device_loss();
            live_gpu();
            true
        }
        None => false,
    })
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// The backend `fit` uses when its options name none: `'cpu'` (the default) or
    /// `'webgpu'` / `'auto'` after `toBackend`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> Result<String> {
        enter()?;
        Ok(model_backend(&self.inner).name().into())
    }

    /// Moves the model to `'webgpu'`, `'cpu'` or `'auto'` (a Promise of the backend now
    /// used). Moving to the CPU first reads the latest GPU run's state back (weights,
    /// BN statistics, optimizer state and step count), so training, evaluation or
    /// export go on exactly where the GPU left off; moving to the GPU opens it if needed
    /// and fails with the reason (`GPU_UNAVAILABLE`) if there is none. Between fits the
    /// `Sequential` is the source of truth: each GPU fit uploads it and reads it back at
    /// every epoch end.
    #[wasm_bindgen(js_name = toBackend)]
    pub fn to_backend(&self, backend: &str) -> js_sys::Promise {
        let model = self.inner.clone();
        let choice = enter().and_then(|_| Choice::parse(backend));
        wasm_bindgen_futures::future_to_promise(async move {
            let choice = choice?;
            if choice != Choice::Cpu && live_gpu().is_none() {
                let info = init_gpu().await?;
                if choice == Choice::WebGpu && !get(&info, "ok").as_bool().unwrap_or(false) {
                    let reason = get(&info, "reason").as_string().unwrap_or_default();
                    return Err(Error::GpuUnavailable(format!("toBackend('webgpu'): {reason}")).into());
                }
            }
            // Bring the latest GPU state back into the model.
            if let Some(run) = with_state(&model, |m| m.gpu_run.upgrade()) {
                let mut r = run
                    .try_borrow_mut()
                    .map_err(|_| Error::busy("toBackend: a fit step is running; await it first"))?;
                r.sync(&model).await?;
            }
            with_state(&model, |m| m.backend = choice);
            let now = if resolve(choice)?.is_some() { "webgpu" } else { "cpu" };
            Ok(JsValue::from_str(now))
        })
    }

    /// `model.predict(x)` on the model's backend, or `opts.backend`: a Promise of
    /// `{data, shape, backend: 'webgpu'|'cpu', fallback?}`. See [`prepare_inference`].
    #[wasm_bindgen(js_name = predictAsync)]
    pub fn predict_async(&self, x: &JsValue, opts: &JsValue) -> js_sys::Promise {
        let model = self.inner.clone();
        let args = enter()
            .and_then(|_| Ok((inference_options(opts, "predictAsync", true)?, tensor_from_js(x, "predictAsync: x")?)));
        wasm_bindgen_futures::future_to_promise(async move {
            let ((batch, choice), x) = args?;
            // As the CPU's predict: no model without layers, chunks within the limits.
            let batch = limits::inference_batch(&*read(&model)?, x.shape().first().copied().unwrap_or(0), batch)?;
            let choice = choice.unwrap_or_else(|| model_backend(&model));
            let (ctx, note) = prepare_inference(&model, choice, "predictAsync").await?;
            let c = inference::predict(ctx, &model, &x, batch).await?;
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
        let args = enter().and_then(|_| {
            Ok((
                inference_options(opts, "evaluateAsync", true)?,
                tensor_from_js(x, "evaluateAsync: x")?,
                tensor_from_js(y, "evaluateAsync: y")?,
            ))
        });
        wasm_bindgen_futures::future_to_promise(async move {
            let ((batch, choice), x, y) = args?;
            let batch = limits::inference_batch(&*read(&model)?, x.shape().first().copied().unwrap_or(0), batch)?;
            let choice = choice.unwrap_or_else(|| model_backend(&model));
            let (ctx, note) = prepare_inference(&model, choice, "evaluateAsync").await?;
            let c = inference::evaluate(ctx, &model, &x, &y, batch).await?;
            let o = Object::new();
            set(&o, "loss", c.value.loss);
            set(&o, "accuracy", c.value.accuracy);
            tag_backend(&o, &c, note);
            Ok(o.into())
        })
    }
}

/// Before an async `predict` / `evaluate`: brings the latest GPU fit state into the
/// model as `toBackend` does (a run stopped mid-epoch holds newer weights on the GPU
/// than its last checkpoint), then picks the GPU context to compute on, `None` for the
/// CPU. Where `'webgpu'` was asked for and the GPU is gone (lost, or `initGpu()` found
/// none), the CPU computes and the returned note says why; `'webgpu'` before any
/// `initGpu()` is `GPU_UNAVAILABLE`, as for `fit`.
async fn prepare_inference(
    model: &SharedModel,
    choice: Choice,
    what: &str,
) -> Result<(Option<Rc<GpuContext>>, Option<String>)> {
    let mut note = None;
    if let Some(run) = with_state(model, |m| m.gpu_run.upgrade()) {
        let ctx = live_gpu();
        // Borrowed across the read-back on purpose: a `step()` meanwhile is refused.
        let mut r =
            run.try_borrow_mut().map_err(|_| Error::busy(format!("{what}: a fit step is running; await it first")))?;
        match r.sync(model).await {
            Ok(()) => {}
            Err(e) if ctx.as_ref().is_some_and(|c| is_gpu_failure(&e, c)) => {
                note = Some(format!("the GPU failed while reading the latest training state back ({e}); the model holds the last checkpoint."));
            }
            Err(e) => return Err(e),
        }
    }
    let ctx = match resolve(choice) {
        Ok(ctx) => ctx,
        Err(e) => match no_gpu_reason() {
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
