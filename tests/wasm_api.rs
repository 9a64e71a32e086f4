//! The wasm API (src/web/) in a real browser, through the same handles JS gets:
//! load model A from bytes, clone it, share its layers, train a couple of steps, and
//! see errors come back as `EngineError`s with the engine's message.
//! Run by scripts/test.sh with wasm-bindgen-test-runner in headless Chromium.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float32Array};
use transfer_playground::web::{clone_model, load_keras_model, load_layers_model, sequential, JsModel};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/wasm.rs"]
mod wasm;
use wasm::*;

/// One `FitRun.step()` of a CPU run (its event).
fn step(run: &mut transfer_playground::web::FitRun) -> JsValue {
    run.step().unwrap_or_else(|e| panic!("{:?}", get(&e, "message")))
}

fn weights_vec(m: &JsModel) -> Vec<Vec<f32>> {
    ok(m.get_weights()).iter().map(|w| floats(&w)).collect()
}

fn ids(m: &JsModel) -> Vec<f64> {
    ok(m.layers()).iter().map(|l| ok(l.id())).collect()
}

#[wasm_bindgen_test]
fn loads_the_builtin_model_from_bytes() {
    let a = model_a();
    let layers = ok(a.layers());
    assert_eq!(layers.len(), 7);
    assert_eq!(ok(layers[0].class_name()), "Conv2D");
    assert_eq!(ok(layers[6].count_params()), (64 * 8 + 8) as f64);
    let shape: Vec<f64> = ok(a.input_shape()).iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(shape, vec![28.0, 28.0, 1.0]);
    assert!(ok(a.summary()).contains("Total params: 105,736"));
}

#[wasm_bindgen_test]
fn clone_model_has_new_layers_and_set_weights_copies() {
    let a = model_a();
    let clone = ok(clone_model(&a));
    assert!(ids(&a).iter().all(|id| !ids(&clone).contains(id)), "clone_model makes new layer objects");
    assert_ne!(weights_vec(&a), weights_vec(&clone), "clone_model does not copy weights");
    ok(clone.set_weights(&ok(a.get_weights()).into()));
    assert_eq!(weights_vec(&a), weights_vec(&clone));
}

#[wasm_bindgen_test]
fn sequential_shares_layers_and_trains_on_task_b() {
    let a = model_a();
    let clone = ok(clone_model(&a));
    ok(clone.set_weights(&ok(a.get_weights()).into()));
    let handles: Array = ok(clone.layers()).into_iter().map(JsValue::from).collect();
    let base = handles.slice(0, handles.length() - 1);
    let b = ok(sequential(&base.into()));
    assert_eq!(ids(&b), ids(&clone)[..6].to_vec(), "the same layer objects");
    ok(b.add(&obj(&[("className", "Dense".into()), ("units", 1.into()), ("activation", "sigmoid".into())])));
    // Freezing through B's handles is seen through the clone's: one object.
    for l in &ok(b.layers())[..6] {
        ok(l.set_trainable(false.into()));
    }
    assert!(ok(clone.layers()).iter().take(6).all(|l| !ok(l.trainable())));
    ok(b.compile(&obj(&[
        ("optimizer", "sgd".into()),
        ("learningRate", 0.01.into()),
        ("loss", "binaryCrossentropy".into()),
    ])));
    // 16 task-B images, two batches of 8.
    let (x, y) = task_b(16);
    let frozen_before = weights_vec(&clone)[..6].to_vec();
    let mut run = ok(b.fit(&x, &y, &obj(&[("epochs", 1.into()), ("batchSize", 8.into())])));
    for batch in 0..2 {
        let ev = step(&mut run);
        assert_eq!(get(&ev, "type").as_string().unwrap(), "batch");
        assert_eq!(get(&ev, "batch").as_f64().unwrap(), batch as f64);
        assert!(get(&ev, "loss").as_f64().unwrap().is_finite());
    }
    assert_eq!(get(&step(&mut run), "type").as_string().unwrap(), "epoch");
    assert_eq!(get(&step(&mut run), "type").as_string().unwrap(), "done");
    assert_eq!(weights_vec(&clone)[..6].to_vec(), frozen_before, "frozen layers unchanged");
    let p = ok(b.predict(&x, &JsValue::UNDEFINED));
    assert_eq!(floats(&p).len(), 16);
}

#[wasm_bindgen_test]
fn errors_surface_as_js_errors() {
    let e = load_layers_model(&"{not json".into(), &bytes(WEIGHTS)).err().expect("bad JSON fails");
    assert!(message(e).contains("not valid JSON"));
    let e = load_layers_model(&MODEL_JSON.into(), &bytes(&WEIGHTS[..100])).err().expect("short weights fail");
    assert!(message(e).contains("bytes"));
    let a = model_a();
    let shape: Array = [2, 10, 10, 1].iter().map(|&d| JsValue::from(d)).collect();
    let x = obj(&[("data", Float32Array::new_with_length(2 * 10 * 10).into()), ("shape", shape.into())]);
    let m = message(a.predict(&x, &JsValue::UNDEFINED).expect_err("wrong image size fails"));
    assert!(m.contains("28"), "{m}");
    let m = message(a.set_weights(&Array::new().into()).expect_err("no weights fails"));
    assert!(m.contains("weight arrays"), "{m}");
    let m = message(a.predict(&JsValue::from(3), &JsValue::UNDEFINED).expect_err("not a tensor"));
    assert!(m.contains("Float32Array"), "{m}");
}

#[wasm_bindgen_test]
fn a_keras_file_s_class_names_come_back_with_the_model_while_they_fit_its_output() {
    let a = model_a();
    let names: Array = (0..8).map(|i| JsValue::from(format!("class {i}"))).collect();
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"classNames".into(), &names).unwrap();
    let bytes = ok(a.to_keras(&opts.into()));
    let back = ok(load_keras_model(&bytes.into()));
    let want: Vec<String> = (0..8).map(|i| format!("class {i}")).collect();
    assert_eq!(back.class_names(), Some(want));
    // No names in the file (an .h5, a .keras written without them), or no longer one per
    // output after the output layer went: null.
    assert_eq!(ok(load_keras_model(&ok(a.to_h5()).into())).class_names(), None);
    assert_eq!(ok(load_keras_model(&ok(a.to_keras(&JsValue::UNDEFINED)).into())).class_names(), None);
    ok(back.pop());
    assert_eq!(back.class_names(), None);
    assert_eq!(a.class_names(), None, "a model that was not loaded from a file has none");
}
