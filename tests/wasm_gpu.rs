//! The GPU backend in a real browser (WebGPU through wgpu's `webgpu` backend), run by
//! wasm-bindgen-test in headless Chromium with `--enable-unsafe-webgpu` (webdriver.json),
//! where the adapter is SwiftShader, a software fallback adapter: so the checks are small.
//! - one kernel (GEMM, both variants) against the CPU reference;
//! - a tiny model's stepwise GPU fit against the CPU fit (same history, relative 1e-3,
//!   as tests/gpu_parity.rs);
//! - the JS API: `initGpu`, `fit({backend: 'webgpu'})` whose `step()` is a Promise, and
//!   `__simulateDeviceLoss()` mid-training, after which the run finishes on the CPU.
//!
//! Where the browser has no WebGPU adapter every test logs `SKIP: no WebGPU adapter`
//! (console and test output) and passes: loudly, never silently.
#![cfg(all(target_arch = "wasm32", feature = "gpu"))]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Object, Promise, Reflect};
use transfer_playground::backend::cpu;
use transfer_playground::backend::gpu::{kernels, FitRunner, GpuContext};
use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};
use transfer_playground::web::{init_gpu, simulate_device_loss, JsModel};
use transfer_playground::{Activation, Event, FitOptions, LayerSpec, Loss, OptimizerConfig, Padding, Sequential};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get<T: AsRef<JsValue>>(o: &T, k: &str) -> JsValue {
    Reflect::get(o.as_ref(), &k.into()).unwrap()
}

fn skip(why: &str) {
    let msg = format!("SKIP: no WebGPU adapter ({why}) -- GPU checks NOT run");
    web_sys_log(&msg);
}

fn web_sys_log(msg: &str) {
    console_log!("{msg}");
    // Also to the browser console, where the runner's log and a person look.
    let console = get(&js_sys::global(), "console");
    if let Ok(f) = get(&console, "warn").dyn_into::<js_sys::Function>() {
        let _ = f.call1(&console, &JsValue::from_str(msg));
    }
}

async fn ctx_or_skip() -> Option<Rc<GpuContext>> {
    match GpuContext::new().await {
        Ok(c) => {
            console_log!("WebGPU adapter: '{}' ({:?}, fallback adapter: {})", c.adapter_info.name, c.adapter_info.backend, c.adapter_info.device_type == wgpu::DeviceType::Cpu);
            Some(Rc::new(c))
        }
        Err(e) => {
            skip(&e.to_string());
            None
        }
    }
}

fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(seed);
    (0..n).map(|_| r.uniform(-1.0, 1.0)).collect()
}

#[wasm_bindgen_test]
async fn gemm_matches_the_cpu() {
    let Some(ctx) = ctx_or_skip().await else { return };
    let (m, k, n) = (19, 301, 13); // odd sizes, split-K
    let (a, b) = (data(m * k, 1), data(k * n, 2));
    for tiled in [false, true] {
        let mut want = vec![0.0; m * n];
        cpu::gemm(m, k, n, &a, false, &b, true, &mut want, 0.0);
        let (ga, gb, gc) = (ctx.upload("a", &a), ctx.upload("b", &b), ctx.zeros("c", m * n));
        ctx.run(&kernels::gemm_variant(&ctx, tiled, m, k, n, &ga, false, &gb, true, &gc, false));
        let got = ctx.read(&gc, m * n).await.unwrap();
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "gemm tiled={tiled}: element {i} is {g} on WebGPU, {w} on the CPU");
        }
    }
}

/// Horizontal bars, one class per band of rows.
fn bars(n: usize, h: usize, classes: usize, seed: u64) -> (Tensor, Tensor) {
    let mut r = Rng::new(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let c = r.below(classes);
        y.push(c as f32);
        for i in 0..h * h {
            x.push(if (i / h) * classes / h == c { 0.8 } else { 0.1 } + r.uniform(-0.1, 0.1));
        }
    }
    (from_vec(&[n, h, h, 1], x).unwrap(), from_vec(&[n], y).unwrap())
}

fn tiny_model() -> Sequential {
    let specs = [LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu), LayerSpec::max_pool(2), LayerSpec::Flatten, LayerSpec::dense(3, Activation::Softmax)];
    let mut m = Sequential::from_specs(&[8, 8, 1], &specs, 3).unwrap();
    m.compile(Loss::SparseCategoricalCrossentropy, OptimizerConfig::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: false }).unwrap();
    m
}

#[wasm_bindgen_test]
async fn a_tiny_models_stepwise_fit_matches_the_cpu() {
    let Some(ctx) = ctx_or_skip().await else { return };
    let (x, y) = bars(24, 8, 3, 1);
    let (vx, vy) = bars(8, 8, 3, 2);
    let opts = FitOptions { epochs: 2, batch_size: 8, shuffle: true, seed: 5, validation: Some((vx, vy)), cache_frozen_features: true };
    let mut cpu_m = tiny_model();
    let want = cpu_m.fit_quiet(&x, &y, opts.clone()).unwrap();
    let m = RefCell::new(tiny_model());
    let mut runner = FitRunner::gpu(ctx, &m.borrow(), &x, &y, opts, 0).unwrap();
    loop {
        let s = runner.step(&m).await.unwrap();
        assert!(s.fell_back.is_none());
        if s.event == Event::Done {
            break;
        }
    }
    let got = runner.history();
    for (name, a, b) in [("loss", &got.loss, &want.loss), ("accuracy", &got.accuracy, &want.accuracy), ("val_loss", &got.val_loss, &want.val_loss)] {
        assert_eq!(a.len(), 2);
        for (e, (a, b)) in a.iter().zip(b).enumerate() {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-3), "epoch {e} {name}: WebGPU {a}, CPU {b}");
        }
    }
    for (i, (a, b)) in m.borrow().get_weights().iter().zip(cpu_m.get_weights()).enumerate() {
        for (p, q) in a.iter().zip(b.iter()) {
            assert!((p - q).abs() <= 1e-3 * q.abs().max(1.0), "weight {i}: WebGPU {p}, CPU {q}");
        }
    }
    console_log!("WebGPU loss {:?}, CPU loss {:?}", got.loss, want.loss);
}

fn js_tensor(t: &Tensor) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"data".into(), &Float32Array::from(t.iter().copied().collect::<Vec<f32>>().as_slice())).unwrap();
    let shape: js_sys::Array = t.shape().iter().map(|&d| JsValue::from_f64(d as f64)).collect();
    Reflect::set(&o, &"shape".into(), &shape).unwrap();
    o.into()
}

#[wasm_bindgen_test]
async fn the_js_api_trains_on_webgpu_and_survives_a_lost_device() {
    let info = init_gpu().await;
    if !get(&info, "ok").as_bool().unwrap_or(false) {
        skip(&get(&info, "reason").as_string().unwrap_or_default());
        return;
    }
    console_log!("initGpu: name '{}', isFallbackAdapter {:?}", get(&info, "name").as_string().unwrap_or_default(), get(&info, "isFallbackAdapter").as_bool());
    assert!(get(&info, "isFallbackAdapter").as_bool().is_some());
    // The model through the JS API: a Sequential built from specs, wrapped as JS sees it.
    let model = JsModel::from(tiny_model());
    let (x, y) = bars(24, 8, 3, 1);
    let opts = Object::new();
    for (k, v) in [("epochs", JsValue::from(3)), ("batchSize", 8.into()), ("seed", 5.into()), ("backend", "webgpu".into()), ("checkpointEvery", 1.into())] {
        Reflect::set(&opts, &k.into(), &v).unwrap();
    }
    let mut run = model.fit(&js_tensor(&x), &js_tensor(&y), &opts).map_err(JsValue::from).unwrap();
    assert_eq!(run.backend().map_err(JsValue::from).unwrap(), "webgpu");
    let mut events = Vec::new();
    let mut fallback = None;
    for step in 0.. {
        if step == 5 {
            // Epoch 2, after its first batch.
            assert!(simulate_device_loss());
        }
        let p = run.step().map_err(JsValue::from).unwrap();
        let p: Promise = p.dyn_into().expect("a GPU run's step() returns a Promise");
        let ev = JsFuture::from(p).await.unwrap();
        if let Some(f) = get(&ev, "fallback").as_string() {
            fallback = Some((step, f));
        }
        let ty = get(&ev, "type").as_string().unwrap();
        events.push((ty.clone(), get(&ev, "backend").as_string().unwrap()));
        if ty == "done" {
            break;
        }
    }
    let (at, msg) = fallback.expect("the step after the device loss reports the fallback");
    console_log!("step {at}: {msg}");
    assert_eq!(at, 5);
    assert!(msg.contains("lost") && msg.contains("epoch 2, batch 1"), "{msg}");
    assert!(events[..5].iter().all(|(_, b)| b == "webgpu") && events[5..].iter().all(|(_, b)| b == "cpu"), "{events:?}");
    assert_eq!(events.iter().filter(|(t, _)| t == "epoch").count(), 3, "{events:?}");
    assert_eq!(run.backend().map_err(JsValue::from).unwrap(), "cpu");
    // Three epochs in the history, finite losses, and the model still usable.
    let h = run.history().map_err(JsValue::from).unwrap();
    let loss: Vec<f64> = js_sys::Array::from(&get(&h, "loss")).iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(loss.len(), 3);
    assert!(loss.iter().all(|l| l.is_finite()));
    assert!(model.predict(&js_tensor(&x), None).is_ok());
    // A new device can be opened after the loss.
    assert!(get(&init_gpu().await, "ok").as_bool().unwrap());
}
