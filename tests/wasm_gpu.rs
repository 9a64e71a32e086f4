//! The GPU backend in a real browser (WebGPU through wgpu's `webgpu` backend), run by
//! wasm-bindgen-test in headless Chromium with `--enable-unsafe-webgpu` (webdriver.json),
//! where the adapter is SwiftShader, a software fallback adapter: so the checks are small.
//! - one kernel (GEMM, both variants) against the CPU reference;
//! - a tiny model's stepwise GPU fit against the CPU fit (same history, relative 1e-3,
//!   as tests/gpu_parity.rs);
//! - the JS API: `initGpu`, `fit({backend: 'webgpu'})` whose `step()` is a Promise, and
//!   `__simulateDeviceLoss()` mid-training, after which the run finishes on the CPU;
//! - `predictAsync` / `evaluateAsync` on WebGPU: equal to the CPU's `predict` / `evaluate`
//!   (relative 1e-4), using a stopped GPU fit's newest weights, tagged with their
//!   backend, and computed on the CPU (with the reason) once the device is lost.
//!
//! Where the browser has no WebGPU adapter every test logs `SKIP: no WebGPU adapter`
//! (console and test output) and passes: loudly, never silently.
#![cfg(all(target_arch = "wasm32", feature = "gpu"))]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use transfer_playground::gpu::{kernels, FitRunner, GpuContext};
use transfer_playground::kernels as cpu;
use transfer_playground::rng::Rng;
use transfer_playground::tensor::Tensor;
use transfer_playground::web::{init_gpu, simulate_device_loss, JsModel};
use transfer_playground::{Activation, Event, FitOptions, LayerSpec, Loss, OptimizerConfig, Padding, Sequential};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/synthetic.rs"]
mod synthetic;
#[path = "common/wasm.rs"]
mod wasm;
use synthetic::bars;
use wasm::{floats, get, obj, skip, webgpu_or_skip};

async fn ctx_or_skip() -> Option<Rc<GpuContext>> {
    match GpuContext::new().await {
        Ok(c) => {
            console_log!(
                "WebGPU adapter: '{}' ({:?}, fallback adapter: {})",
                c.adapter_info.name,
                c.adapter_info.backend,
                c.adapter_info.device_type == wgpu::DeviceType::Cpu
            );
            Some(Rc::new(c))
        }
        Err(e) => {
            skip(&format!("no WebGPU adapter ({e}) -- GPU checks NOT run"));
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
            assert!(
                (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                "gemm tiled={tiled}: element {i} is {g} on WebGPU, {w} on the CPU"
            );
        }
    }
}

fn tiny_model() -> Sequential {
    let specs = [
        LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
        LayerSpec::max_pool(2),
        LayerSpec::Flatten,
        LayerSpec::dense(3, Activation::Softmax),
    ];
    let mut m = Sequential::from_specs(&[8, 8, 1], &specs, 3).unwrap();
    m.compile(
        Loss::SparseCategoricalCrossentropy,
        OptimizerConfig::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: false },
    )
    .unwrap();
    m
}

#[wasm_bindgen_test]
async fn a_tiny_models_stepwise_fit_matches_the_cpu() {
    let Some(ctx) = ctx_or_skip().await else { return };
    let (x, y) = bars(24, 8, 3, 1);
    let (vx, vy) = bars(8, 8, 3, 2);
    let opts = FitOptions {
        epochs: 2,
        batch_size: 8,
        shuffle: true,
        seed: 5,
        validation: Some((vx, vy)),
        cache_frozen_features: true,
    };
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
    for (name, a, b) in [
        ("loss", &got.loss, &want.loss),
        ("accuracy", &got.accuracy, &want.accuracy),
        ("val_loss", &got.val_loss, &want.val_loss),
    ] {
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
    let data = Float32Array::from(t.iter().copied().collect::<Vec<f32>>().as_slice());
    let shape: js_sys::Array = t.shape().iter().map(|&d| JsValue::from_f64(d as f64)).collect();
    obj(&[("data", data.into()), ("shape", shape.into())])
}

#[wasm_bindgen_test]
async fn the_js_api_trains_on_webgpu_and_survives_a_lost_device() {
    let Some(info) = webgpu_or_skip("GPU checks").await else { return };
    console_log!(
        "initGpu: name '{}', isFallbackAdapter {:?}",
        get(&info, "name").as_string().unwrap_or_default(),
        get(&info, "isFallbackAdapter").as_bool()
    );
    assert!(get(&info, "isFallbackAdapter").as_bool().is_some());
    // The model through the JS API: a Sequential built from specs, wrapped as JS sees it.
    let model = JsModel::from(tiny_model());
    let (x, y) = bars(24, 8, 3, 1);
    let opts = obj(&[
        ("epochs", 3.into()),
        ("batchSize", 8.into()),
        ("seed", 5.into()),
        ("backend", "webgpu".into()),
        ("checkpointEvery", 1.into()),
    ]);
    let mut run = model.fit(&js_tensor(&x), &js_tensor(&y), &opts).map_err(JsValue::from).unwrap();
    assert_eq!(run.backend().map_err(JsValue::from).unwrap(), "webgpu");
    let mut events = Vec::new();
    let mut fallback = None;
    for step in 0.. {
        if step == 5 {
            // Epoch 2, after its first batch.
            assert!(simulate_device_loss().map_err(JsValue::from).unwrap());
        }
        let p = run.step().unwrap();
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
    assert!(
        events[..5].iter().all(|(_, b)| b == "webgpu") && events[5..].iter().all(|(_, b)| b == "cpu"),
        "{events:?}"
    );
    assert_eq!(events.iter().filter(|(t, _)| t == "epoch").count(), 3, "{events:?}");
    assert_eq!(run.backend().map_err(JsValue::from).unwrap(), "cpu");
    // Three epochs in the history, finite losses, and the model still usable.
    let h = run.history().map_err(JsValue::from).unwrap();
    let loss: Vec<f64> = js_sys::Array::from(&get(&h, "loss")).iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(loss.len(), 3);
    assert!(loss.iter().all(|l| l.is_finite()));
    assert!(model.predict(&js_tensor(&x), &JsValue::UNDEFINED).is_ok());
    // A new device can be opened after the loss.
    assert!(get(&init_gpu().await.map_err(JsValue::from).unwrap(), "ok").as_bool().unwrap());
}

async fn settle(p: Promise) -> JsValue {
    JsFuture::from(p).await.unwrap()
}

fn assert_close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{what}: value {i} is {g} on WebGPU, {w} on the CPU");
    }
}

fn max_change(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max)
}

#[wasm_bindgen_test]
async fn predict_and_evaluate_async_run_on_webgpu_with_the_newest_weights() {
    if webgpu_or_skip("GPU checks").await.is_none() {
        return;
    }
    let model = JsModel::from(tiny_model());
    let (x, y) = bars(12, 8, 3, 3);
    let (jx, jy) = (js_tensor(&x), js_tensor(&y));
    let on_gpu = obj(&[("backend", "webgpu".into())]);

    // Before any fit: WebGPU equals the CPU, and says where it ran.
    let cpu_p = floats(&model.predict(&jx, &JsValue::UNDEFINED).map_err(JsValue::from).unwrap());
    let p = settle(model.predict_async(&jx, &on_gpu)).await;
    assert_eq!(get(&p, "backend").as_string().unwrap(), "webgpu");
    assert!(get(&p, "fallback").is_undefined());
    assert_close("predictAsync before fit", &floats(&p), &cpu_p);
    let cpu_e = model.evaluate(&jx, &jy, &JsValue::UNDEFINED).map_err(JsValue::from).unwrap();
    let e = settle(model.evaluate_async(&jx, &jy, &on_gpu)).await;
    assert_eq!(get(&e, "backend").as_string().unwrap(), "webgpu");
    let (loss, want_loss) = (get(&e, "loss").as_f64().unwrap(), get(&cpu_e, "loss").as_f64().unwrap());
    assert!(
        (loss - want_loss).abs() <= 1e-4 * want_loss.abs(),
        "evaluateAsync loss {loss} on WebGPU, {want_loss} on the CPU"
    );
    assert_eq!(get(&e, "accuracy").as_f64(), get(&cpu_e, "accuracy").as_f64());
    // Asked for the CPU: the synchronous result, exactly.
    let p = settle(model.predict_async(&jx, &obj(&[("backend", "cpu".into()), ("batchSize", 5.into())]))).await;
    assert_eq!(get(&p, "backend").as_string().unwrap(), "cpu");
    assert_eq!(floats(&p), cpu_p);

    // A GPU fit (3 batches per epoch) stopped after epoch 1 and one batch of epoch 2:
    // the model holds epoch 1's checkpoint, the GPU one batch more.
    let fit_opts =
        obj(&[("epochs", 2.into()), ("batchSize", 4.into()), ("seed", 1.into()), ("backend", "webgpu".into())]);
    let mut run = model.fit(&jx, &jy, &fit_opts).map_err(JsValue::from).unwrap();
    for _ in 0..4 {
        settle(run.step().unwrap().dyn_into().unwrap()).await;
    }
    let at_checkpoint = floats(&model.predict(&jx, &JsValue::UNDEFINED).map_err(JsValue::from).unwrap());
    assert!(max_change(&at_checkpoint, &cpu_p) > 1e-4, "epoch 1 did not change the predictions");
    let ev = settle(run.step().unwrap().dyn_into().unwrap()).await;
    assert_eq!(get(&ev, "type").as_string().unwrap(), "batch");
    let p = settle(model.predict_async(&jx, &on_gpu)).await;
    assert_eq!(get(&p, "backend").as_string().unwrap(), "webgpu");
    let newest = floats(&p);
    assert!(
        max_change(&newest, &at_checkpoint) > 1e-4,
        "predictAsync used the epoch-1 checkpoint, not the newest weights"
    );
    // It read that state back first: the CPU now predicts the same.
    assert_close(
        "predictAsync after a stopped GPU fit",
        &newest,
        &floats(&model.predict(&jx, &JsValue::UNDEFINED).map_err(JsValue::from).unwrap()),
    );

    // The device lost: the CPU computes, and the result says why.
    assert!(simulate_device_loss().map_err(JsValue::from).unwrap());
    let p = settle(model.predict_async(&jx, &on_gpu)).await;
    assert_eq!(get(&p, "backend").as_string().unwrap(), "cpu");
    let why = get(&p, "fallback").as_string().expect("a fallback reason");
    assert!(why.contains("lost"), "{why}");
    assert_eq!(floats(&p), floats(&model.predict(&jx, &JsValue::UNDEFINED).map_err(JsValue::from).unwrap()));
    let e = settle(model.evaluate_async(&jx, &jy, &on_gpu)).await;
    assert_eq!(get(&e, "backend").as_string().unwrap(), "cpu");
    assert!(get(&e, "fallback").as_string().is_some());
    console_log!("after the device loss: {why}");
    // A new device for whatever runs next.
    assert!(get(&init_gpu().await.map_err(JsValue::from).unwrap(), "ok").as_bool().unwrap());
}
