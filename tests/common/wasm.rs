//! What the wasm-bindgen browser tests (tests/wasm_*.rs) share: the shipped model A and
//! task B as bytes, reading and building JS objects, and the engine's results and errors
//! as JS sees them (Contract 1: every error is a JS `Error` named `EngineError` with a
//! `code` and `params`). Included with `#[path = "common/wasm.rs"] mod wasm;` by test
//! files that are `#![cfg(target_arch = "wasm32")]`, so it is compiled for wasm32 only.
// Each test binary uses a part of it.
#![allow(dead_code)]

use js_sys::{Array, Float32Array, Function, Object, Reflect, Uint8Array};
use transfer_playground::web::{init_gpu, load_image_set, load_layers_model, JsModel};
use transfer_playground::Error;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::console_log;

pub const MODEL_JSON: &str = include_str!("../../www/assets/model-a/model.json");
pub const WEIGHTS: &[u8] = include_bytes!("../../www/assets/model-a/weights.bin");
pub const TRAIN: &[u8] = include_bytes!("../../www/assets/task-b/train.tpds");

/// Property `k` of a JS object.
pub fn get<T: AsRef<JsValue>>(o: &T, k: &str) -> JsValue {
    Reflect::get(o.as_ref(), &k.into()).unwrap()
}

/// A plain JS object (an options bag, a tensor `{data, shape}`) from its properties.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// Bytes as the `Uint8Array` the API takes.
pub fn bytes(b: &[u8]) -> JsValue {
    Uint8Array::from(b).into()
}

/// The `data` of a JS tensor `{data: Float32Array, shape}`.
pub fn floats<T: AsRef<JsValue>>(v: &T) -> Vec<f32> {
    get(v, "data").dyn_into::<Float32Array>().unwrap().to_vec()
}

/// The message of an engine error as JS sees it (a JS `Error` once it crosses the boundary).
pub fn message(e: Error) -> String {
    get(&JsValue::from(e), "message").as_string().unwrap_or_default()
}

/// The value of a call that must succeed; a failure panics with the engine's message.
pub fn ok<T>(r: Result<T, Error>) -> T {
    r.unwrap_or_else(|e| panic!("{}", message(e)))
}

/// The error of a call that must fail, as JS receives it (what wasm-bindgen throws),
/// checked to be an `EngineError` with `params`; returns its code and the error.
pub fn thrown<T>(r: Result<T, Error>) -> (String, JsValue) {
    let e = JsValue::from(r.err().expect("expected an error"));
    assert!(e.is_instance_of::<js_sys::Error>(), "a JS Error");
    assert_eq!(get(&e, "name").as_string().unwrap(), "EngineError");
    assert!(get(&e, "params").is_object(), "params is an object");
    (get(&e, "code").as_string().unwrap(), e)
}

/// The code of the `EngineError` a call that must fail throws.
pub fn code<T>(r: Result<T, Error>) -> String {
    thrown(r).0
}

/// Model A, loaded from the shipped `model.json` and weights.
pub fn model_a() -> JsModel {
    ok(load_layers_model(&MODEL_JSON.into(), &bytes(WEIGHTS)))
}

/// The first `n` training images of task B and their labels, as JS tensors.
pub fn task_b(n: u32) -> (JsValue, JsValue) {
    let set = ok(load_image_set(&bytes(TRAIN)));
    let take = |t: JsValue, per: u32| {
        let data = get(&t, "data").dyn_into::<Float32Array>().unwrap().subarray(0, n * per);
        let shape = Array::from(&get(&t, "shape"));
        shape.set(0, n.into());
        obj(&[("data", data.into()), ("shape", shape.into())])
    };
    (take(get(&set, "x"), 784), take(get(&set, "y"), 1))
}

/// A loud skip: `SKIP: <what>` in the test output and, as a warning, in the browser
/// console, where the runner's log and a person look. Call it, then return from the test.
pub fn skip(what: &str) {
    let msg = format!("SKIP: {what}");
    console_log!("{msg}");
    let console = get(&js_sys::global(), "console");
    if let Ok(f) = get(&console, "warn").dyn_into::<Function>() {
        let _ = f.call1(&console, &JsValue::from_str(&msg));
    }
}

/// The JS API's `initGpu()` result where the browser has a WebGPU adapter; else `None`
/// after a loud skip with the reason and what was `not_run`.
pub async fn webgpu_or_skip(not_run: &str) -> Option<Object> {
    let info = init_gpu().await.map_err(JsValue::from).unwrap();
    if get(&info, "ok").as_bool().unwrap_or(false) {
        return Some(info);
    }
    skip(&format!("no WebGPU adapter ({}) -- {not_run} NOT run", get(&info, "reason").as_string().unwrap_or_default()));
    None
}
