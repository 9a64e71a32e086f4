//! The lesson's bindings (src/web/lesson.rs) in a real browser, through the handles JS
//! gets: `layerOutputs` / `layerOutputsAsync` (what each layer sees; the LIMIT checked
//! before anything is computed), weight snapshots and `weightMovement` (a frozen layer
//! moves exactly 0), `confusionMatrix` (its accuracy is `evaluate`'s) and
//! `accuracyEstimate` / `compareAccuracies`. Errors are `EngineError`s with Contract 1's
//! codes. The async layer outputs on WebGPU are compared with the CPU's where the browser
//! has an adapter (else a loud SKIP). Run:
//! `CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=300
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
//! cargo test --target wasm32-unknown-unknown -p transfer-playground --test wasm_lesson`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float32Array};
use transfer_playground::web::{
    accuracy_estimate, clone_model, compare_accuracies, confusion_matrix, sequential, weight_movement, JsModel,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/wasm.rs"]
mod wasm;
use wasm::*;

fn num(v: &JsValue, k: &str) -> f64 {
    get(v, k).as_f64().unwrap_or_else(|| panic!("{k} is not a number"))
}

fn zeros(n: u32) -> JsValue {
    let shape: Array = [n, 28, 28, 1].iter().map(|&d| JsValue::from(d)).collect();
    obj(&[("data", Float32Array::new_with_length(n * 784).into()), ("shape", shape.into())])
}

/// Model B of the lecture: A's clone without its output layer, a new Dense(1, sigmoid),
/// the base frozen and compiled with SGD.
fn model_b(a: &JsModel) -> JsModel {
    let clone = ok(clone_model(a));
    ok(clone.set_weights(&ok(a.get_weights()).into()));
    let handles: Array = ok(clone.layers()).into_iter().map(JsValue::from).collect();
    let b = ok(sequential(&handles.slice(0, handles.length() - 1).into()));
    ok(b.add(&obj(&[("className", "Dense".into()), ("units", 1.into()), ("activation", "sigmoid".into())])));
    for l in &ok(b.layers())[..6] {
        ok(l.set_trainable(false.into()));
    }
    ok(b.compile(&obj(&[
        ("optimizer", "sgd".into()),
        ("learningRate", 0.01.into()),
        ("loss", "binaryCrossentropy".into()),
    ])));
    b
}

fn fit_cpu(m: &JsModel, x: &JsValue, y: &JsValue, epochs: u32) {
    let mut run = ok(m.fit(x, y, &obj(&[("epochs", epochs.into()), ("batchSize", 16.into()), ("seed", 3.into())])));
    loop {
        let ev = run.step().unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
        if get(&ev, "type").as_string().unwrap() == "done" {
            break;
        }
    }
}

#[wasm_bindgen_test]
fn layer_outputs_are_every_layer_and_the_last_is_predict() {
    let a = model_a();
    let (x, _) = task_b(5);
    let outs = ok(a.layer_outputs(&x, &JsValue::UNDEFINED));
    assert_eq!(outs.length(), 7);
    let first = outs.get(0);
    assert_eq!(num(&first, "index"), 0.0);
    assert_eq!(get(&first, "className").as_string().unwrap(), "Conv2D");
    let shape: Vec<f64> = Array::from(&get(&first, "shape")).iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(shape, vec![5.0, 28.0, 28.0, 16.0]);
    let classes: Vec<String> = outs.iter().map(|o| get(&o, "className").as_string().unwrap()).collect();
    assert_eq!(classes, ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]);
    assert_eq!(floats(&outs.get(6)), floats(&ok(a.predict(&x, &JsValue::UNDEFINED))));
    // Flatten is the pooled maps in NHWC order.
    assert_eq!(floats(&outs.get(4)), floats(&outs.get(3)));
    // A subset by name and by index, in the order asked for, in other chunks: the same values.
    let name = get(&outs.get(2), "name");
    let layers: Array = [name, JsValue::from(0)].into_iter().collect();
    let picked = ok(a.layer_outputs(&x, &obj(&[("layers", layers.into()), ("batchSize", 2.into())])));
    assert_eq!(picked.length(), 2);
    assert_eq!(num(&picked.get(0), "index"), 2.0);
    assert_eq!(floats(&picked.get(0)), floats(&outs.get(2)));
    assert_eq!(floats(&picked.get(1)), floats(&outs.get(0)));
}

#[wasm_bindgen_test]
async fn layer_outputs_async_on_the_cpu_equal_the_sync_call() {
    let a = model_a();
    let (x, _) = task_b(3);
    let layers: Array = [0, 1].iter().map(|&i| JsValue::from(i)).collect();
    let opts = obj(&[("layers", layers.clone().into()), ("backend", "cpu".into())]);
    let r = JsFuture::from(a.layer_outputs_async(&x, &opts)).await.unwrap();
    assert_eq!(get(&r, "backend").as_string().unwrap(), "cpu");
    let outs = Array::from(&get(&r, "outputs"));
    let sync = ok(a.layer_outputs(&x, &obj(&[("layers", layers.into())])));
    for i in 0..2 {
        assert_eq!(floats(&outs.get(i)), floats(&sync.get(i)));
    }
}

#[wasm_bindgen_test]
async fn layer_outputs_async_on_webgpu_equal_the_cpu() {
    if webgpu_or_skip("layerOutputsAsync on the GPU").await.is_none() {
        return;
    }
    let a = model_a();
    let (x, _) = task_b(3);
    let r = JsFuture::from(a.layer_outputs_async(&x, &obj(&[("backend", "webgpu".into()), ("batchSize", 2.into())])))
        .await
        .unwrap();
    assert_eq!(get(&r, "backend").as_string().unwrap(), "webgpu");
    let gpu = Array::from(&get(&r, "outputs"));
    let cpu = ok(a.layer_outputs(&x, &JsValue::UNDEFINED));
    assert_eq!(gpu.length(), cpu.length());
    for i in 0..cpu.length() {
        let (g, c) = (floats(&gpu.get(i)), floats(&cpu.get(i)));
        assert_eq!(g.len(), c.len());
        for (k, (g, c)) in g.iter().zip(&c).enumerate() {
            assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "layer {i}, value {k}: GPU {g}, CPU {c}");
        }
    }
}

#[wasm_bindgen_test]
fn an_oversized_layer_outputs_request_is_a_limit_error_before_any_work() {
    let a = model_a();
    // 25,160 output floats per image over all layers: 5,335 images are over 512 MiB,
    // although their input (16.7 MB) is well within the limits.
    let (code, e) = thrown(a.layer_outputs(&zeros(5_335), &JsValue::UNDEFINED));
    assert_eq!(code, "LIMIT");
    let params = get(&e, "params");
    assert_eq!(num(&params, "value"), 5_335.0 * 25_160.0 * 4.0);
    assert_eq!(num(&params, "limit"), (512u64 << 20) as f64);
    assert!(get(&params, "what").as_string().unwrap().contains("7 layer(s) for 5335 examples"));
    // The same images, one small layer: fine.
    let layers: Array = [JsValue::from(6)].into_iter().collect();
    let outs = ok(a.layer_outputs(&zeros(5_335), &obj(&[("layers", layers.into())])));
    assert_eq!(floats(&outs.get(0)).len(), 5_335 * 8);
}

#[wasm_bindgen_test]
fn bad_layer_requests_are_named_errors() {
    let a = model_a();
    let (x, _) = task_b(1);
    let bad = |opts: JsValue| thrown(a.layer_outputs(&x, &opts)).0;
    assert_eq!(bad(obj(&[("layers", "conv2d".into())])), "BAD_OPTION");
    assert_eq!(bad(obj(&[("layers", [JsValue::from(1.5)].into_iter().collect::<Array>().into())])), "BAD_OPTION");
    assert_eq!(bad(obj(&[("layer", Array::new().into())])), "BAD_OPTION");
    assert_eq!(bad(obj(&[("batchSize", 0.into())])), "BAD_OPTION");
    assert_eq!(bad(obj(&[("layers", [JsValue::from(7)].into_iter().collect::<Array>().into())])), "CONFIG");
    assert_eq!(bad(obj(&[("layers", [1, 1].iter().map(|&i| JsValue::from(i)).collect::<Array>().into())])), "CONFIG");
    assert_eq!(bad(obj(&[("layers", [JsValue::from("nope")].into_iter().collect::<Array>().into())])), "CONFIG");
    // No examples is not an error: empty outputs of the right shape.
    let none = ok(a.layer_outputs(&zeros(0), &JsValue::UNDEFINED));
    assert_eq!(Array::from(&get(&none.get(0), "shape")).get(0).as_f64(), Some(0.0));
}

#[wasm_bindgen_test]
fn weight_movement_is_zero_for_frozen_layers() {
    let a = model_a();
    let b = model_b(&a);
    let (x, y) = task_b(32);
    let before = ok(b.weight_snapshot());
    assert_eq!(ok(before.length()), 7);
    fit_cpu(&b, &x, &y, 1);
    let rows = ok(b.weight_movement_since(&before));
    assert_eq!(rows.length(), 7);
    for i in 0..6 {
        let r = rows.get(i);
        match get(&r, "className").as_string().unwrap().as_str() {
            "Conv2D" | "Dense" => assert_eq!(num(&r, "relative"), 0.0, "frozen layer {i} moved"),
            _ => assert!(get(&r, "relative").is_null(), "layer {i} has no weights"),
        }
    }
    let head = rows.get(6);
    assert!(num(&head, "relative") > 0.0 && num(&head, "deltaNorm") > 0.0);
    assert_eq!(num(&head, "weights"), 65.0);
    // Two snapshots give the same numbers as `weightMovementSince`.
    let after = ok(b.weight_snapshot());
    let again = ok(weight_movement(&before, &after));
    assert_eq!(num(&again.get(6), "relative"), num(&head, "relative"));
    // Snapshots of different architectures are not comparable.
    assert_eq!(thrown(weight_movement(&before, &ok(a.weight_snapshot()))).0, "SHAPE");
}

#[wasm_bindgen_test]
fn the_confusion_matrix_counts_what_evaluate_counts() {
    let a = model_a();
    let b = model_b(&a);
    let (x, y) = task_b(64);
    fit_cpu(&b, &x, &y, 1);
    let p = ok(b.predict(&x, &JsValue::UNDEFINED));
    let c = ok(confusion_matrix(&p.into(), &y));
    assert_eq!(num(&c, "classes"), 2.0);
    let counts: Vec<f64> = Array::from(&get(&c, "counts"))
        .iter()
        .flat_map(|r| Array::from(&r).iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>())
        .collect();
    assert_eq!(counts.iter().sum::<f64>(), 64.0);
    assert_eq!(num(&c, "examples"), 64.0);
    assert_eq!(num(&c, "correct"), counts[0] + counts[3]);
    let e = ok(b.evaluate(&x, &y, &JsValue::UNDEFINED));
    assert_eq!(num(&c, "accuracy"), num(&e, "accuracy"));
    let wrong = Array::from(&get(&c, "misclassified"));
    assert_eq!(wrong.length() as f64, 64.0 - num(&c, "correct"));
    let conf: Vec<f64> = wrong.iter().map(|m| num(&m, "confidence")).collect();
    assert!(conf.windows(2).all(|w| w[0] >= w[1]), "most confident mistakes first: {conf:?}");
    for m in wrong.iter() {
        assert_ne!(num(&m, "label"), num(&m, "predicted"));
        assert!(num(&m, "confidence") >= 0.5);
    }
    // Probabilities outside [0, 1] (logits, say) are refused.
    let logits = obj(&[
        ("data", Float32Array::from(&[2.0f32, -1.0][..]).into()),
        ("shape", [2, 1].iter().map(|&d| JsValue::from(d)).collect::<Array>().into()),
    ]);
    let labels = obj(&[
        ("data", Float32Array::from(&[1.0f32, 0.0][..]).into()),
        ("shape", [JsValue::from(2)].into_iter().collect::<Array>().into()),
    ]);
    assert_eq!(thrown(confusion_matrix(&logits, &labels)).0, "DATA");
}

#[wasm_bindgen_test]
fn accuracy_estimates_and_their_comparison() {
    let e = ok(accuracy_estimate(&1920.into(), &2000.into()));
    assert_eq!(num(&e, "accuracy"), 0.96);
    assert!((num(&e, "standardError") - (0.96f64 * 0.04 / 2000.0).sqrt()).abs() < 1e-15);
    assert!(num(&e, "low") < 0.96 && num(&e, "high") > 0.96 && num(&e, "high") - num(&e, "low") < 0.02);
    // 0.9590 vs 0.9725 on 2,000 images each: 1.35 points, beyond the ~1.1-point margin.
    let a = obj(&[("correct", 1918.into()), ("n", 2000.into())]);
    let b = obj(&[("correct", 1945.into()), ("n", 2000.into())]);
    let d = ok(compare_accuracies(&a, &b));
    assert!((num(&d, "difference") + 0.0135).abs() < 1e-12);
    assert!(!get(&d, "withinUncertainty").as_bool().unwrap());
    let close = obj(&[("correct", 1936.into()), ("n", 2000.into())]);
    assert!(get(&ok(compare_accuracies(&close, &b)), "withinUncertainty").as_bool().unwrap());
    // An estimate object is accepted as it is.
    let est = ok(accuracy_estimate(&1936.into(), &2000.into()));
    assert!(get(&ok(compare_accuracies(&est.into(), &b)), "withinUncertainty").as_bool().unwrap());
    assert_eq!(thrown(accuracy_estimate(&5.into(), &0.into())).0, "DATA");
    assert_eq!(thrown(accuracy_estimate(&"5".into(), &10.into())).0, "BAD_OPTION");
    assert_eq!(thrown(compare_accuracies(&JsValue::from(3), &b)).0, "BAD_OPTION");
}
