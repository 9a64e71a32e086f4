//! Data-parallel training at the wasm boundary (`ParallelFit`, `Replica`; src/web/parallel.rs)
//! in headless Chromium, as www/worker-pool.js uses it, with the replica in the same
//! instance standing in for another worker: model A trained on 2 "workers" gives the
//! one-worker `fit`'s history within float rounding, and the replica ends bit-identical
//! to worker 0 whether it applies the coordinator's sum (transferred buffers) or sums
//! the shards from a board itself (shared memory; a `SharedArrayBuffer` where the page
//! is cross-origin isolated, a plain buffer otherwise: the same calls). Wrong sizes and
//! an interleaved run are refused with codes.
//! Run with wasm-bindgen-test-runner (scripts/test.sh).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use transfer_playground::web::{load_layers_model, JsModel, ParallelFit, Replica};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MODEL_JSON: &str = include_str!("../www/assets/model-a/model.json");
const WEIGHTS: &[u8] = include_bytes!("../www/assets/model-a/weights.bin");

fn get<T: AsRef<JsValue>>(o: &T, k: &str) -> JsValue {
    Reflect::get(o.as_ref(), &k.into()).unwrap()
}

fn ok<T, E: Into<JsValue>>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{:?}", get(&e.into(), "message")))
}

fn code(e: impl Into<JsValue>) -> String {
    get(&e.into(), "code").as_string().unwrap_or_default()
}

fn tensor(data: &[f32], shape: &[usize]) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"data".into(), &Float32Array::from(data)).unwrap();
    let s: Array = shape.iter().map(|&d| JsValue::from(d as f64)).collect();
    Reflect::set(&o, &"shape".into(), &s).unwrap();
    o.into()
}

/// `n` images of a learnable 8-class task (a bright band per class) and their labels.
fn data(n: usize, seed: u32) -> (JsValue, JsValue) {
    let mut s = seed.max(1);
    let mut rand = || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as f32 / u32::MAX as f32
    };
    let mut x = vec![0.0f32; n * 784];
    let y: Vec<f32> = (0..n).map(|i| (i % 8) as f32).collect();
    for i in 0..n {
        for p in 0..784 {
            x[i * 784 + p] = if p / 28 / 3 == i % 8 { 0.8 } else { 0.0 } + 0.3 * rand();
        }
    }
    (tensor(&x, &[n, 28, 28, 1]), tensor(&y, &[n]))
}

fn model() -> JsModel {
    let m = ok(load_layers_model(&MODEL_JSON.into(), &Uint8Array::from(WEIGHTS).into()));
    let opts = Object::new();
    for (k, v) in [("optimizer", JsValue::from("sgd")), ("learningRate", 0.05.into()), ("momentum", 0.9.into())] {
        Reflect::set(&opts, &k.into(), &v).unwrap();
    }
    Reflect::set(&opts, &"loss".into(), &"sparseCategoricalCrossentropy".into()).unwrap();
    ok(m.compile(&opts.into()));
    m
}

fn fit_opts(vx: &JsValue, vy: &JsValue) -> JsValue {
    let o = Object::new();
    Reflect::set(&o, &"epochs".into(), &2.into()).unwrap();
    Reflect::set(&o, &"batchSize".into(), &24.into()).unwrap();
    Reflect::set(&o, &"seed".into(), &3.into()).unwrap();
    Reflect::set(&o, &"validationData".into(), &Array::of2(vx, vy)).unwrap();
    o.into()
}

fn weights(m: &JsModel) -> Vec<f32> {
    ok(m.get_weights()).iter().flat_map(|w| get(&w, "data").dyn_into::<Float32Array>().unwrap().to_vec()).collect()
}

fn history(h: &JsValue, key: &str) -> Vec<f64> {
    Array::from(&get(h, key)).iter().map(|v| v.as_f64().unwrap()).collect()
}

fn slice(t: &JsValue, s: usize, e: usize) -> JsValue {
    let shape: Vec<usize> = Array::from(&get(t, "shape")).iter().map(|v| v.as_f64().unwrap() as usize).collect();
    let per: usize = shape[1..].iter().product();
    let d = get(t, "data").dyn_into::<Float32Array>().unwrap().to_vec();
    let mut sh = shape.clone();
    sh[0] = e - s;
    tensor(&d[s * per..e * per], &sh)
}

fn range(a: &JsValue) -> (usize, usize) {
    let a = Array::from(a);
    (a.get(0).as_f64().unwrap() as usize, a.get(1).as_f64().unwrap() as usize)
}

/// A 2-worker fit with the replica in this instance; `board`: the replica sums the
/// shards from a board (as with shared memory), else it applies the coordinator's sum.
fn two_workers(board: bool) -> (JsModel, Replica, JsValue) {
    let (x, y) = data(100, 1);
    let (vx, vy) = data(80, 2); // two validation slices (MIN_SLICE_ROWS each)
    let m = model();
    let mut pf: ParallelFit = ok(m.fit_parallel(&x, &y, &fit_opts(&vx, &vy), 2.0));
    assert_eq!(pf.workers(), 2.0);
    let mut r = ok(Replica::new(&Uint8Array::from(ok(pf.replica_spec()).as_slice()).into()));
    let flat = pf.flat_length() as usize;
    assert_eq!(r.flat_length() as usize, flat);
    // No frozen base here: each step brings the replica its shard's images; validation
    // split in two.
    assert_eq!(pf.from(), 0.0);
    assert_eq!((pf.input_shape(), pf.label_shape()), (vec![28, 28, 1], vec![]));
    assert_eq!((r.input_shape(), r.label_shape()), (vec![28, 28, 1], vec![]));
    let v = pf.validation_slices();
    let (s, e) = range(&v.get(1));
    ok(r.set_validation(&slice(&vx, s, e), &slice(&vy, s, e)));
    ok(pf.prepare_local_validation());
    let shared = Float32Array::new_with_length(2 * flat as u32);
    loop {
        let next = ok(pf.next_step());
        match get(&next, "type").as_string().unwrap().as_str() {
            "done" => break,
            "epochEnd" => {
                let mut sums = ok(pf.local_validation());
                sums.extend(ok(r.validation_sums()));
                ok(pf.finish_epoch(&sums));
            }
            _ => {
                let size = get(&next, "size").as_f64().unwrap();
                let shards = Array::from(&get(&next, "shards"));
                let mut others = Array::new();
                let mut sums = Vec::new();
                if shards.length() > 1 {
                    let (s, e) = range(&shards.get(1));
                    let out = if board {
                        shared.subarray(flat as u32, 2 * flat as u32)
                    } else {
                        Float32Array::new_with_length(flat as u32)
                    };
                    let (sx, sy) = (
                        Float32Array::new_with_length((e - s) as u32 * 784),
                        Float32Array::new_with_length((e - s) as u32),
                    );
                    ok(pf.shard_input(1.0, &sx.clone().into(), &sy.clone().into()));
                    let (sx, sy) = (tensor(&sx.to_vec(), &[e - s, 28, 28, 1]), tensor(&sy.to_vec(), &[e - s]));
                    sums = ok(r.gradients(&sx, &sy, size, &out.clone().into()));
                    others = Array::of1(&out);
                }
                let own: JsValue = if board { shared.subarray(0, flat as u32).into() } else { JsValue::UNDEFINED };
                ok(pf.local_gradients(&own));
                let sum = Float32Array::new_with_length(flat as u32);
                let ev = ok(pf.finish_batch(&others, &sums, &sum.clone().into()));
                assert_eq!(get(&ev, "type"), "batch");
                if board {
                    ok(r.apply_shards(&shared.clone().into(), 0.0, shards.length() as f64, 1.0));
                } else {
                    ok(r.apply_sum(&sum.into()));
                }
            }
        }
    }
    let h = ok(pf.history());
    (m, r, h)
}

#[wasm_bindgen_test]
fn two_workers_equal_one_and_the_replica_equals_worker_0() {
    let (x, y) = data(100, 1);
    let (vx, vy) = data(80, 2); // two validation slices (MIN_SLICE_ROWS each)
    let one = model();
    let mut run = ok(one.fit(&x, &y, &fit_opts(&vx, &vy)));
    while get(&ok(run.step()), "type") != "done" {}
    let want = ok(run.history());
    for board in [false, true] {
        let (m, r, got) = two_workers(board);
        for k in ["loss", "val_loss"] {
            let (g, w) = (history(&got, k), history(&want, k));
            assert_eq!(g.len(), 2);
            for (a, b) in g.iter().zip(&w) {
                assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{k} (board {board}): {a} vs {b}");
            }
        }
        let (a, b) = (weights(&m), weights(&one));
        let scale = b.iter().fold(0.0f32, |s, v| s.max(v.abs()));
        assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= 1e-4 * scale), "weights (board {board})");
        // The replica is worker 0's model bit for bit, not just within rounding.
        assert_eq!(r.weights_flat(), a, "replica vs worker 0 (board {board})");
    }
}

#[wasm_bindgen_test]
fn wrong_sizes_and_an_older_run_are_refused_with_codes() {
    let (x, y) = data(30, 4);
    let m = model();
    assert!(ok(m.parallel_blocker()).is_none());
    let mut pf: ParallelFit = ok(m.fit_parallel(&x, &y, &JsValue::UNDEFINED, 2.0));
    let flat = pf.flat_length() as u32;
    assert_eq!(code(m.fit_parallel(&x, &y, &JsValue::UNDEFINED, 0.5).err().unwrap()), "BAD_OPTION");
    ok(pf.next_step());
    assert_eq!(code(pf.local_gradients(&Float32Array::new_with_length(flat - 1).into()).err().unwrap()), "SHAPE");
    ok(pf.local_gradients(&JsValue::UNDEFINED));
    let short = Array::of1(&Float32Array::new_with_length(3));
    assert_eq!(code(pf.finish_batch(&short, &[0.0, 0.0, 0.0], &JsValue::UNDEFINED).err().unwrap()), "SHAPE");
    let mut r = ok(Replica::new(&Uint8Array::from(ok(pf.replica_spec()).as_slice()).into()));
    let out: JsValue = Float32Array::new_with_length(flat).into();
    let (one_x, one_y) = (tensor(&[0.0; 784], &[1, 28, 28, 1]), tensor(&[0.0], &[1]));
    assert_eq!(code(r.gradients(&tensor(&[0.0; 100], &[1, 10, 10, 1]), &one_y, 4.0, &out).err().unwrap()), "SHAPE");
    assert_eq!(code(r.gradients(&one_x, &tensor(&[0.0; 2], &[2]), 4.0, &out).err().unwrap()), "SHAPE");
    assert_eq!(
        code(r.gradients(&one_x, &one_y, 4.0, &Float32Array::new_with_length(3).into()).err().unwrap()),
        "SHAPE"
    );
    let short: JsValue = Float32Array::new_with_length(3).into();
    assert_eq!(code(pf.shard_input(0.0, &short, &short).err().unwrap()), "SHAPE");
    assert_eq!(code(pf.shard_input(5.0, &short, &short).err().unwrap()), "CONFIG");
    assert!(Replica::new(&Uint8Array::from(&[1u8, 2, 3][..]).into()).is_err());
    // A newer fit on the same model makes this one unusable, as for `fit`.
    let _newer = ok(m.fit_parallel(&x, &y, &JsValue::UNDEFINED, 2.0));
    assert_eq!(code(pf.next_step().err().unwrap()), "FIT_INTERLEAVED");
}

#[wasm_bindgen_test]
fn evaluate_predict_is_evaluate_and_predict_from_one_pass_on_every_side() {
    let (x, y) = data(70, 5);
    let m = model();
    let floats = |v: JsValue| get(&v, "data").dyn_into::<Float32Array>().unwrap().to_vec();
    let want = floats(ok(m.predict(&x, &JsValue::UNDEFINED)).into());
    let e = ok(m.evaluate(&x, &y, &JsValue::UNDEFINED));
    let got = ok(m.evaluate_predict(&x, &y));
    assert_eq!(get(&got, "loss"), get(&e, "loss"));
    assert_eq!(get(&got, "accuracy"), get(&e, "accuracy"));
    assert_eq!(floats(get(&got, "outputs")), want);
    let (x0, y0) = (slice(&x, 0, 0), slice(&y, 0, 0));
    assert_eq!(code(m.evaluate_predict(&x0, &y0).err().unwrap()), "DATA");
    // Split across a coordinator and a replica: the outputs joined are predict's, bit for bit.
    let pf: ParallelFit = ok(m.fit_parallel(&x, &y, &JsValue::UNDEFINED, 2.0));
    let r = ok(Replica::new(&Uint8Array::from(ok(pf.replica_spec()).as_slice()).into()));
    let a = ok(pf.evaluate_predict(&slice(&x, 0, 30), &slice(&y, 0, 30)));
    let b = ok(r.evaluate_predict(&slice(&x, 30, 70), &slice(&y, 30, 70)));
    assert_eq!([floats(get(&a, "outputs")), floats(get(&b, "outputs"))].concat(), want);
    let sums = |o: &JsValue| js_sys::Float64Array::from(get(o, "sums")).to_vec();
    let (sa, sb) = (sums(&a), sums(&b));
    assert_eq!(sa[2] + sb[2], 70.0, "every example counted once");
    assert_eq!((sa[1] + sb[1]) / 70.0, get(&e, "accuracy").as_f64().unwrap());
    let none = ok(r.evaluate_predict(&x0, &y0));
    assert_eq!(sums(&none), vec![0.0, 0.0, 0.0]);
}
