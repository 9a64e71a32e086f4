//! Issue 10's traps through the JS API, compiled to wasm32 (32-bit `usize`, 4 GiB of
//! memory, where a wrapped size or a failed allocation traps the module) and run in
//! headless Chromium by wasm-bindgen-test: every one is now a thrown `EngineError` with
//! a `code` and `params`, and the instance stays usable. The last test makes 1,000
//! consecutive bad calls and then trains model A normally on the same instance.
//! (`tests/limits.rs` runs the same inputs natively; `tests/wasm_panic.rs` the panic.)
#![cfg(target_arch = "wasm32")]

mod limits_cases;

use js_sys::{Array, Float32Array, Function, Promise, Uint8Array, Uint8ClampedArray};
use limits_cases::*;
use transfer_playground::web::{
    clone_model, image_to_input, limits, load_image_set, load_keras_model, load_layers_model, resize_images,
    sequential, set_random_seed, FitRun,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/wasm.rs"]
mod wasm;
// By name: limits_cases has its own copies of the shipped files (MODEL_JSON, WEIGHTS).
use wasm::{bytes, code, floats, get, model_a, obj, ok, task_b, thrown};

fn images(n: usize) -> JsValue {
    let data: Vec<f32> = (0..n * 784).map(|i| ((i * 31) % 255) as f32 / 255.0).collect();
    obj(&[
        ("data", Float32Array::from(data.as_slice()).into()),
        ("shape", Array::of4(&(n as u32).into(), &28.into(), &28.into(), &1.into()).into()),
    ])
}

fn labels(n: usize, classes: usize) -> JsValue {
    let data: Vec<f32> = (0..n).map(|i| (i % classes) as f32).collect();
    obj(&[("data", Float32Array::from(data.as_slice()).into()), ("shape", Array::of1(&(n as u32).into()).into())])
}

fn step(run: &mut FitRun) -> Result<JsValue, JsValue> {
    run.step()
}

#[wasm_bindgen_test]
fn errors_reach_js_as_engine_errors_with_code_and_params() {
    let (_, json) = &wrapping_manifests()[0];
    let (c, e) = thrown(load_layers_model(&json.as_str().into(), &bytes(WEIGHTS)));
    assert_eq!(c, "LIMIT");
    let p = get(&e, "params");
    assert_eq!(get(&p, "what").as_string().unwrap(), "values of weight 'conv2d/kernel' in model.json");
    assert_eq!(get(&p, "value").as_f64(), Some(4_294_967_296.0));
    assert_eq!(get(&p, "limit").as_f64(), Some(33_554_432.0));
    assert!(get(&e, "message").as_string().unwrap().starts_with("limit exceeded: values of weight"));
    // Free-text kinds carry `detail`.
    let (c, e) = thrown(load_layers_model(&"{not json".into(), &bytes(WEIGHTS)));
    assert_eq!(c, "FORMAT");
    assert!(get(&get(&e, "params"), "detail").as_string().unwrap().contains("not valid JSON"));
    // Wrong argument types are BAD_OPTION {option, expected, found}.
    let (c, e) = thrown(load_layers_model(&JsValue::from(5), &bytes(WEIGHTS)));
    assert_eq!(c, "BAD_OPTION");
    assert_eq!(get(&get(&e, "params"), "found").as_string().unwrap(), "5");
}

#[wasm_bindgen_test]
fn manifest_sizes_that_wrap_in_32_bits_are_limits() {
    // Here usize is 32 bits: these sizes wrapped, passed the check and trapped.
    for (what, json) in wrapping_manifests() {
        assert_eq!(code(load_layers_model(&json.as_str().into(), &bytes(WEIGHTS))), "LIMIT", "{what}");
    }
}

#[wasm_bindgen_test]
fn huge_layers_are_limits_before_they_are_built() {
    for (what, json) in huge_layer_configs() {
        assert_eq!(code(load_layers_model(&json.as_str().into(), &bytes(WEIGHTS))), "LIMIT", "{what}");
    }
    let keras =
        keras_with_config(|v| v["config"]["layers"][6]["config"]["units"] = serde_json::json!(1_000_000_000u64));
    assert_eq!(code(load_keras_model(&bytes(&keras))), "LIMIT");
    let a = model_a();
    assert_eq!(code(a.add(&obj(&[("className", "Dense".into()), ("units", 2e8.into())]))), "LIMIT");
    for _ in 0..3 {
        ok(a.pop());
    }
    assert_eq!(
        code(a.add(&obj(&[("className", "Conv2D".into()), ("filters", 1e12.into()), ("kernelSize", 3.into())]))),
        "LIMIT"
    );
    // A normal layer still builds on the same model.
    ok(a.add(&obj(&[("className", "Flatten".into())])));
}

#[wasm_bindgen_test]
fn a_keras_entry_over_the_entry_limit_is_refused() {
    // A 9.8 MB archive whose weights entry declares 600 MiB (under the 64x cap).
    let (c, e) = thrown(load_keras_model(&bytes(&keras_declaring(600 << 20))));
    assert_eq!(c, "LIMIT", "{:?}", get(&e, "message"));
}

#[wasm_bindgen_test]
fn large_predict_and_evaluate_run_in_chunks_and_fit_refuses_a_huge_batch() {
    let a = model_a();
    // 2,586 examples of model A fit in one batch's 256 MiB: 2,623 is two chunks.
    let n = 2623;
    let x = images(n);
    let big = ok(a.predict(&x, &1e9.into()));
    assert_eq!(Array::from(&get(&big, "shape")).to_vec(), vec![JsValue::from(n as f64), JsValue::from(8.0)]);
    assert_eq!(floats(&big), floats(&ok(a.predict(&x, &256.into()))));
    let y = labels(n, 8);
    ok(a.compile(&obj(&[("loss", "sparseCategoricalCrossentropy".into())])));
    let e1 = ok(a.evaluate(&x, &y, &obj(&[("batchSize", 1e9.into())])));
    let e2 = ok(a.evaluate(&x, &y, &JsValue::UNDEFINED));
    assert!((get(&e1, "loss").as_f64().unwrap() - get(&e2, "loss").as_f64().unwrap()).abs() < 1e-9);
    let (c, e) = thrown(a.fit(&x, &y, &obj(&[("batchSize", 1e9.into())])));
    assert_eq!(c, "LIMIT");
    assert!(get(&get(&e, "params"), "what").as_string().unwrap().contains("at most 2586 examples"));
}

#[wasm_bindgen_test]
fn image_sizes_are_whole_numbers_checked_before_allocation() {
    let x = images(1);
    assert_eq!(code(resize_images(&x, &(-1).into(), &28.into(), &1.into())), "BAD_OPTION");
    assert_eq!(code(resize_images(&x, &1e10.into(), &1.into(), &1.into())), "LIMIT");
    assert_eq!(code(resize_images(&x, &30000.into(), &30000.into(), &1.into())), "LIMIT");
    assert_eq!(code(resize_images(&x, &"28".into(), &28.into(), &1.into())), "BAD_OPTION");
    let target = obj(&[("height", 28.into()), ("width", 28.into())]);
    let tiny: JsValue = Uint8ClampedArray::new_with_length(4).into();
    assert_eq!(code(image_to_input(&tiny, &30000.into(), &30000.into(), &target)), "LIMIT");
    // Opaque red, 1x1, to gray: BT.601 luma 0.299; the preview is what the model sees.
    let red: JsValue = Uint8ClampedArray::from([255u8, 0, 0, 255].as_slice()).into();
    let m = ok(image_to_input(
        &red,
        &1.into(),
        &1.into(),
        &obj(&[("height", 1.into()), ("width", 1.into()), ("channels", 1.into())]),
    ));
    assert!((floats(&m)[0] - 0.299).abs() < 1e-6);
    assert_eq!(get(&m, "preview").dyn_into::<Uint8ClampedArray>().unwrap().to_vec(), vec![76, 76, 76, 255]);
    assert_eq!(
        code(image_to_input(
            &red,
            &1.into(),
            &1.into(),
            &obj(&[("height", 1.into()), ("width", 1.into()), ("invert", "yes".into())])
        )),
        "BAD_OPTION"
    );
}

#[wasm_bindgen_test]
fn data_sets_are_checked_before_they_are_copied_in() {
    // 130 MB of bytes: over maxInputBytes / 4 (its float images would be 520 MB).
    let big = Uint8Array::new_with_length(130 << 20);
    assert_eq!(code(load_image_set(&big.into())), "LIMIT");
    // A header claiming far more than the file holds.
    assert_eq!(code(load_image_set(&bytes(&tpds_header(1500, 784_000, 1000, 1)))), "DATA");
    assert!(load_image_set(&bytes(TRAIN_B)).is_ok());
}

#[wasm_bindgen_test]
async fn options_are_typed_the_same_for_sync_and_async_calls() {
    let a = model_a();
    let compile = |pairs: &[(&str, JsValue)]| code(a.compile(&obj(pairs)));
    let loss = ("loss", JsValue::from("sparseCategoricalCrossentropy"));
    assert_eq!(compile(&[loss.clone(), ("learningRate", "0.5".into())]), "BAD_OPTION");
    assert_eq!(compile(&[loss.clone(), ("optimizer", 123.into())]), "BAD_OPTION");
    assert_eq!(compile(&[loss.clone(), ("learningrate", 0.5.into())]), "BAD_OPTION", "a typo is an unknown option");
    assert_eq!(compile(&[loss.clone(), ("optimizer", "rmsprop".into())]), "UNSUPPORTED");
    assert_eq!(compile(&[("loss", "hinge".into())]), "UNSUPPORTED");
    ok(a.compile(&obj(&[loss.clone(), ("metrics", Array::of1(&"accuracy".into()).into())])));
    let (x, y) = (images(8), labels(8, 8));
    assert_eq!(code(a.fit(&x, &y, &obj(&[("epochs", "5".into())]))), "BAD_OPTION");
    assert_eq!(code(a.fit(&x, &y, &obj(&[("batchSize", 2.5.into())]))), "BAD_OPTION");
    assert_eq!(code(a.fit(&x, &y, &obj(&[("seed", 2f64.powi(53).mul_add(1.0, 2.0).into())]))), "BAD_OPTION");
    assert_eq!(code(a.fit(&x, &y, &obj(&[("backend", "cuda".into())]))), "BAD_OPTION");
    // predict(x, 0) and predictAsync(x, {batchSize: 0}): the same error.
    assert_eq!(code(a.predict(&x, &0.into())), "BAD_OPTION");
    let rejected = JsFuture::from(a.predict_async(&x, &obj(&[("batchSize", 0.into())]))).await.expect_err("rejects");
    assert_eq!(get(&rejected, "code").as_string().unwrap(), "BAD_OPTION");
    assert_eq!(code(set_random_seed(&"1".into())), "BAD_OPTION");
    let layer = ok(a.layers()).remove(0);
    assert_eq!(code(layer.set_trainable("no".into())), "BAD_OPTION");
    // Seeds past 2^32 are their own runs (they used to collapse into one).
    let shuffled = |seed: f64| {
        let m = ok(clone_model(&a));
        ok(m.set_weights(&ok(a.get_weights()).into()));
        ok(m.compile(&obj(&[loss.clone(), ("learningRate", 0.1.into())])));
        let mut run = ok(m.fit(&images(16), &labels(16, 8), &obj(&[("batchSize", 4.into()), ("seed", seed.into())])));
        step(&mut run).unwrap();
        floats(&ok(m.get_weights()).get(0))
    };
    let (s1, s2) = (shuffled(2f64.powi(33)), shuffled(2f64.powi(33) + 1.0));
    assert_ne!(s1, s2, "seeds 2^33 and 2^33 + 1 shuffle differently");
    assert_eq!(s1, shuffled(2f64.powi(33)), "and each is reproducible");
}

#[wasm_bindgen_test]
async fn freed_handles_empty_models_and_interleaved_fits_are_errors() {
    let a = model_a();
    // A Layer handle freed in JS, then passed to sequential().
    let handle = JsValue::from(ok(a.layers()).remove(0));
    get(&handle, "free").dyn_into::<Function>().unwrap().call0(&handle).unwrap();
    assert_eq!(code(sequential(&Array::of1(&handle).into())), "FREED");
    // Every layer popped: no silent "prediction" of the input, and no pop past empty.
    let m = ok(clone_model(&a));
    for _ in 0..7 {
        ok(m.pop());
    }
    assert_eq!(code(m.predict(&images(1), &JsValue::UNDEFINED)), "CONFIG");
    assert_eq!(code(m.pop()), "CONFIG");
    let rejected = JsFuture::from(m.predict_async(&images(1), &JsValue::UNDEFINED)).await.expect_err("rejects");
    assert_eq!(get(&rejected, "code").as_string().unwrap(), "CONFIG");
    // Two fits on one model: the older one is refused once the newer has started.
    ok(a.compile(&obj(&[("loss", "sparseCategoricalCrossentropy".into())])));
    let (x, y) = (images(8), labels(8, 8));
    let opts = obj(&[("batchSize", 4.into())]);
    let mut first = ok(a.fit(&x, &y, &opts));
    step(&mut first).unwrap();
    let mut second = ok(a.fit(&x, &y, &opts));
    let e = step(&mut first).expect_err("the older run is refused");
    assert_eq!(get(&e, "code").as_string().unwrap(), "FIT_INTERLEAVED");
    assert_eq!(get(&step(&mut second).unwrap(), "type").as_string().unwrap(), "batch");
}

#[wasm_bindgen_test]
fn limits_are_exported() {
    let l = ok(limits());
    for (k, v) in [
        ("maxParams", 33_554_432.0),
        ("maxBatchBytes", 268_435_456.0),
        ("maxInputBytes", 536_870_912.0),
        ("maxImagePixels", 67_108_864.0),
        ("maxArchiveEntryBytes", 536_870_912.0),
        ("maxDim", 16_777_216.0),
        ("maxFeatureCacheBytes", 268_435_456.0),
    ] {
        assert_eq!(get(&l, k).as_f64(), Some(v), "{k}");
    }
}

fn memory_bytes() -> f64 {
    get(&get(&wasm_bindgen::memory(), "buffer"), "byteLength").as_f64().unwrap()
}

#[wasm_bindgen_test]
async fn a_thousand_bad_calls_then_training_on_the_same_instance() {
    let a = model_a();
    ok(a.compile(&obj(&[("loss", "sparseCategoricalCrossentropy".into())])));
    let manifests = wrapping_manifests();
    let configs = huge_layer_configs();
    let x1 = images(1);
    let wrong = obj(&[
        ("data", Float32Array::new_with_length(100).into()),
        ("shape", Array::of4(&1.into(), &10.into(), &10.into(), &1.into()).into()),
    ]);
    let tiny: JsValue = Uint8ClampedArray::new_with_length(4).into();
    let target = obj(&[("height", 28.into()), ("width", 28.into())]);
    let bad = |i: usize| -> String {
        match i % 12 {
            0 => code(load_layers_model(&manifests[i % manifests.len()].1.as_str().into(), &bytes(WEIGHTS))),
            1 => code(load_layers_model(&configs[i % configs.len()].1.as_str().into(), &bytes(WEIGHTS))),
            2 => code(a.add(&obj(&[("className", "Dense".into()), ("units", 2e8.into())]))),
            3 => code(a.predict(&x1, &0.into())),
            4 => code(resize_images(&x1, &(-1).into(), &28.into(), &1.into())),
            5 => code(a.fit(&x1, &labels(1, 8), &obj(&[("epochs", "5".into())]))),
            6 => code(a.predict(&wrong, &JsValue::UNDEFINED)),
            7 => code(image_to_input(&tiny, &30000.into(), &30000.into(), &target)),
            8 => code(a.compile(&obj(&[("loss", "mse".into()), ("learningRate", "0.5".into())]))),
            9 => code(load_keras_model(&bytes(b"not a model"))),
            10 => code(load_image_set(&bytes(&tpds_header(3, 28, 28, 1)))),
            _ => code(a.set_weights(&Array::new().into())),
        }
    };
    for i in 0..20 {
        bad(i);
    }
    let before = memory_bytes();
    let mut codes = std::collections::BTreeMap::new();
    for i in 0..1000 {
        *codes.entry(bad(i)).or_insert(0) += 1;
    }
    console_log!("1,000 bad calls: {codes:?}; wasm memory {before} -> {} bytes", memory_bytes());
    assert_eq!(codes.values().sum::<i32>(), 1000);
    assert!(memory_bytes() - before <= (16 << 20) as f64, "bad calls leak memory: {before} -> {}", memory_bytes());
    // Then the lecture's transfer on the same instance: clone A, a new head, train.
    let clone = ok(clone_model(&a));
    ok(clone.set_weights(&ok(a.get_weights()).into()));
    let handles: Array = ok(clone.layers()).into_iter().map(JsValue::from).collect();
    let b = ok(sequential(&handles.slice(0, 6).into()));
    ok(b.add(&obj(&[("className", "Dense".into()), ("units", 1.into()), ("activation", "sigmoid".into())])));
    ok(b.compile(&obj(&[("loss", "binaryCrossentropy".into()), ("learningRate", 0.01.into())])));
    let (x, y) = task_b(64);
    let before_w = floats(&ok(b.get_weights()).get(6));
    let mut run = ok(b.fit(&x, &y, &obj(&[("epochs", 2.into()), ("batchSize", 16.into()), ("seed", 1.into())])));
    let mut losses = Vec::new();
    loop {
        let ev = step(&mut run).unwrap_or_else(|e| panic!("{:?}", get(&e, "message")));
        match get(&ev, "type").as_string().unwrap().as_str() {
            "epoch" => losses.push(get(&ev, "loss").as_f64().unwrap()),
            "done" => break,
            _ => {}
        }
    }
    assert_eq!(losses.len(), 2);
    assert!(losses.iter().all(|l| l.is_finite()) && losses[1] < losses[0], "{losses:?}");
    assert_ne!(floats(&ok(b.get_weights()).get(6)), before_w, "the head trained");
    let p = JsFuture::from(b.predict_async(&x, &JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(floats(&p).len(), 64);
    let _: Option<Promise> = None;
}

#[wasm_bindgen_test]
fn a_divergence_names_its_epoch_and_batch() {
    // SGD at 1e30 overflows the weights at the first update; a later batch's loss is
    // not finite and that step fails before applying anything.
    let a = model_a();
    ok(a.compile(&obj(&[("loss", "sparseCategoricalCrossentropy".into()), ("learningRate", 1e30.into())])));
    let mut run = ok(a.fit(&images(16), &labels(16, 8), &obj(&[("batchSize", 4.into()), ("shuffle", false.into())])));
    let e = loop {
        match step(&mut run) {
            Ok(ev) => assert_ne!(get(&ev, "type").as_string().unwrap(), "done", "the run should diverge"),
            Err(e) => break e,
        }
    };
    assert_eq!(get(&e, "code").as_string().unwrap(), "DIVERGED", "{:?}", get(&e, "message"));
    let p = get(&e, "params");
    let (epoch, batch) = (get(&p, "epoch").as_f64().unwrap(), get(&p, "batch").as_f64().unwrap());
    assert_eq!(epoch, 1.0);
    assert!(batch >= 1.0, "{batch}");
    let message = get(&e, "message").as_string().unwrap();
    assert!(message.contains(&format!("epoch {epoch}, batch {batch}")), "params agree with the message: {message}");
}
