//! `cargo xtask stages`: the lecture's four stages on the built-in data, exactly as
//! written (see `transfer_playground::lecture`), with Keras-like logs, the test
//! accuracy after stages 3 and 4, and model B trained from scratch on the same 200
//! images with the same budget (20 epochs, SGD lr 1e-2) for comparison.
//! `--json` prints one machine-readable object; `--seeds 1,2,3` runs several seeds and
//! prints mean/min/max.

use serde_json::{json, Value};
use transfer_playground::lecture::{clone_with_weights, set_base_trainable, to_tensors, transfer};
use transfer_playground::model::io::from_tfjs;
use transfer_playground::{Control, Event, FitOptions, History, Loss, OptimizerConfig, Sequential, Tensor};

use crate::pretrain::load;

struct Data {
    x: Tensor,
    y: Tensor,
    vx: Tensor,
    vy: Tensor,
    tx: Tensor,
    ty: Tensor,
}

fn fit_logged(model: &mut Sequential, d: &Data, epochs: usize, seed: u64, quiet: bool, title: &str) -> Result<History, String> {
    if !quiet {
        println!("--- {title}");
    }
    let opts = FitOptions { epochs, batch_size: 32, shuffle: true, seed, validation: Some((d.vx.clone(), d.vy.clone())), ..FitOptions::default() };
    model
        .fit(&d.x, &d.y, opts, &mut |ev, warnings| {
            for w in warnings {
                eprintln!("WARNING: {w}");
            }
            if let (Event::Epoch(e), false) = (ev, quiet) {
                println!(
                    "Epoch {}/{epochs} - loss: {:.4} - accuracy: {:.4} - val_loss: {:.4} - val_accuracy: {:.4}",
                    e.epoch + 1, e.loss, e.accuracy, e.val_loss.unwrap_or(f64::NAN), e.val_accuracy.unwrap_or(f64::NAN)
                );
            }
            Control::Continue
        })
        .map_err(|e| e.to_string())
}

fn one_seed(a: &Sequential, d: &Data, seed: u64, quiet: bool) -> Result<Value, String> {
    transfer_playground::set_random_seed(seed);
    let bce = Loss::BinaryCrossentropy;
    let a_before = a.evaluate_sparse(&d.tx, &d.ty)?;
    // Stage 1: clone A and copy its weights.
    let clone = clone_with_weights(a).map_err(|e| e.to_string())?;
    // Stage 2: B = clone.layers[:-1] + Dense(1, sigmoid).
    let mut b = transfer(&clone).map_err(|e| e.to_string())?;
    // Stage 3: freeze, compile (SGD 1e-2), fit 4 epochs.
    set_base_trainable(&b, false);
    b.compile(bce, OptimizerConfig::sgd(1e-2)).map_err(|e| e.to_string())?;
    if !quiet {
        print!("{}", b.summary());
    }
    let h3 = fit_logged(&mut b, d, 4, seed, quiet, "stage 3: frozen base, SGD lr 1e-2, 4 epochs")?;
    let t3 = b.evaluate(&d.tx, &d.ty, 256).map_err(|e| e.to_string())?;
    // Stage 4: unfreeze, recompile (SGD 1e-4), fit 16 epochs.
    set_base_trainable(&b, true);
    b.compile(bce, OptimizerConfig::sgd(1e-4)).map_err(|e| e.to_string())?;
    let h4 = fit_logged(&mut b, d, 16, seed + 1, quiet, "stage 4: unfrozen, SGD lr 1e-4, 16 epochs")?;
    let t4 = b.evaluate(&d.tx, &d.ty, 256).map_err(|e| e.to_string())?;
    // From scratch: B's architecture, fresh weights, same images and budget.
    let mut scratch = b.clone_model().map_err(|e| e.to_string())?;
    scratch.compile(bce, OptimizerConfig::sgd(1e-2)).map_err(|e| e.to_string())?;
    let hs = fit_logged(&mut scratch, d, 20, seed, quiet, "from scratch: same architecture, SGD lr 1e-2, 20 epochs")?;
    let ts = scratch.evaluate(&d.tx, &d.ty, 256).map_err(|e| e.to_string())?;
    let a_after = a.evaluate_sparse(&d.tx, &d.ty)?;
    let a_untouched = a_before == a_after;
    if !quiet {
        println!("test accuracy: after stage 3 {:.4}, after stage 4 {:.4}, from scratch {:.4}; model A untouched: {a_untouched}", t3.accuracy, t4.accuracy, ts.accuracy);
    }
    Ok(json!({
        "seed": seed,
        "stage3": {"history": h3, "test_loss": t3.loss, "test_accuracy": t3.accuracy},
        "stage4": {"history": h4, "test_loss": t4.loss, "test_accuracy": t4.accuracy},
        "scratch": {"history": hs, "test_loss": ts.loss, "test_accuracy": ts.accuracy},
        "model_a_untouched": a_untouched,
    }))
}

/// A's predictions on the task-B test images, as a fingerprint that it did not change.
trait Fingerprint {
    fn evaluate_sparse(&self, x: &Tensor, y: &Tensor) -> Result<Vec<u32>, String>;
}

impl Fingerprint for Sequential {
    fn evaluate_sparse(&self, x: &Tensor, _y: &Tensor) -> Result<Vec<u32>, String> {
        let p = self.predict(x, 256).map_err(|e| e.to_string())?;
        Ok(p.iter().map(|v| v.to_bits()).chain(self.get_weights().iter().flat_map(|w| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>())).collect())
    }
}

fn stats(v: &[f64]) -> Value {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({"mean": mean, "min": min, "max": max})
}

pub fn run(args: &[String]) -> Result<(), String> {
    let as_json = args.iter().any(|a| a == "--json");
    let seeds: Vec<u64> = match args.iter().position(|a| a == "--seeds") {
        Some(i) => args.get(i + 1).ok_or("--seeds needs a list like 1,2,3")?.split(',').map(|s| s.trim().parse().map_err(|_| format!("bad seed {s:?}"))).collect::<Result<_, _>>()?,
        None => vec![42],
    };
    let root = crate::repo_root();
    let dir = root.join("www/assets");
    let read = |p: &str| std::fs::read(dir.join(p)).map_err(|e| format!("{p}: {e}"));
    let model_json = String::from_utf8(read("model-a/model.json")?).map_err(|e| e.to_string())?;
    let a = from_tfjs(&model_json, &read("model-a/weights.bin")?, 0).map_err(|e| e.to_string())?;
    let (x, y) = to_tensors(&load(&dir.join("task-b/train.tpds"))?);
    let (vx, vy) = to_tensors(&load(&dir.join("task-b/valid.tpds"))?);
    let (tx, ty) = to_tensors(&load(&dir.join("task-b/test.tpds"))?);
    let d = Data { x, y, vx, vy, tx, ty };
    let quiet = as_json || seeds.len() > 1;
    let mut runs = Vec::new();
    for &s in &seeds {
        runs.push(one_seed(&a, &d, s, quiet)?);
        if seeds.len() > 1 && !as_json {
            let r = runs.last().unwrap();
            println!("seed {s}: stage 3 {:.4}, stage 4 {:.4}, scratch {:.4}", r["stage3"]["test_accuracy"], r["stage4"]["test_accuracy"], r["scratch"]["test_accuracy"]);
        }
    }
    let col = |k: &str| runs.iter().map(|r| r[k]["test_accuracy"].as_f64().unwrap()).collect::<Vec<_>>();
    let summary = json!({"stage3": stats(&col("stage3")), "stage4": stats(&col("stage4")), "scratch": stats(&col("scratch"))});
    if as_json {
        println!("{}", serde_json::to_string(&json!({"train_images": d.x.shape()[0], "test_images": d.tx.shape()[0], "seeds": seeds, "runs": runs, "summary": summary})).unwrap());
    } else if seeds.len() > 1 {
        println!("test accuracy over seeds {seeds:?}: {summary}");
    }
    Ok(())
}
