//! `cargo xtask stages`: the lecture's four stages on the built-in data, exactly as
//! written (see `transfer_playground::lecture`), with Keras-like logs, the test
//! accuracy after stages 3 and 4, and model B trained from scratch on the same 200
//! images with the same budget (20 epochs, SGD lr 1e-2) for comparison.
//! `--json` prints one machine-readable object; `--seeds 1,2,3` runs several seeds and
//! prints mean/min/max. The per-seed procedure ([`run_seed`]) is shared with
//! `cargo xtask sweep`, so a sweep point at 200 images is this command's run.

use std::path::Path;
use std::time::Instant;

use serde_json::{json, Value};
use transfer_playground::lecture::{clone_with_weights, set_base_trainable, to_tensors, transfer};
use transfer_playground::model::io::from_tfjs;
use transfer_playground::model::sequential::Evaluation;
use transfer_playground::{Control, Event, FitOptions, History, Loss, OptimizerConfig, Sequential, Tensor};

use crate::budget::{Budget, Kind};
use crate::pretrain::load;

/// Task B as tensors: training, validation and test images with their labels.
pub struct Data {
    pub x: Tensor,
    pub y: Tensor,
    pub vx: Tensor,
    pub vy: Tensor,
    pub tx: Tensor,
    pub ty: Tensor,
}

/// One `fit` of the procedure: its history, the test evaluation after it, and the wall
/// time at each epoch end since the fit started (validation included).
pub struct Phase {
    pub history: History,
    pub test: Evaluation,
    pub seconds: Vec<f64>,
}

/// One seed of the lecture: stages 3 and 4 of transfer, then B from scratch.
pub struct SeedRun {
    pub stage3: Phase,
    pub stage4: Phase,
    pub scratch: Phase,
    pub a_untouched: bool,
}

/// Model A from `www/assets/model-a/`.
pub fn load_model_a(assets: &Path) -> Result<Sequential, String> {
    let read = |p: &str| std::fs::read(assets.join(p)).map_err(|e| format!("{p}: {e}"));
    let model_json = String::from_utf8(read("model-a/model.json")?).map_err(|e| e.to_string())?;
    from_tfjs(&model_json, &read("model-a/weights.bin")?, 0).map_err(|e| e.to_string())
}

/// Task B with training images from `train` (a file in `www/assets/task-b/`).
pub fn load_task_b(assets: &Path, train: &str) -> Result<Data, String> {
    let dir = assets.join("task-b");
    let (x, y) = to_tensors(&load(&dir.join(train))?);
    let (vx, vy) = to_tensors(&load(&dir.join("valid.tpds"))?);
    let (tx, ty) = to_tensors(&load(&dir.join("test.tpds"))?);
    Ok(Data { x, y, vx, vy, tx, ty })
}

fn fit_logged(
    model: &mut Sequential,
    d: &Data,
    (epochs, batch_size): (usize, usize),
    seed: u64,
    quiet: bool,
    title: &str,
) -> Result<Phase, String> {
    if !quiet {
        println!("--- {title}");
    }
    let opts = FitOptions {
        epochs,
        batch_size,
        shuffle: true,
        seed,
        validation: Some((d.vx.clone(), d.vy.clone())),
        ..FitOptions::default()
    };
    let start = Instant::now();
    let mut seconds = Vec::new();
    let history = model
        .fit(&d.x, &d.y, opts, &mut |ev, warnings| {
            for w in warnings {
                eprintln!("WARNING: {w}");
            }
            if let Event::Epoch(e) = ev {
                seconds.push(start.elapsed().as_secs_f64());
                if !quiet {
                    println!(
                        "Epoch {}/{epochs} - loss: {:.4} - accuracy: {:.4} - val_loss: {:.4} - val_accuracy: {:.4}",
                        e.epoch + 1,
                        e.loss,
                        e.accuracy,
                        e.val_loss.unwrap_or(f64::NAN),
                        e.val_accuracy.unwrap_or(f64::NAN)
                    );
                }
            }
            Control::Continue
        })
        .map_err(|e| e.to_string())?;
    let test = model.evaluate(&d.tx, &d.ty, 256).map_err(|e| e.to_string())?;
    Ok(Phase { history, test, seconds })
}

/// The lecture for one seed, on `d`'s training images: stage 1 (clone A with its
/// weights), 2 (B = its layers but the last + Dense(1, sigmoid)), 3 (frozen base, SGD
/// 1e-2, 4 epochs), 4 (unfrozen, SGD 1e-4, 16 epochs), then B's architecture from
/// scratch (fresh weights, SGD 1e-2, 20 epochs), batch 32: [`run_seed_with`] the
/// lecture's budget.
pub fn run_seed(a: &Sequential, d: &Data, seed: u64, quiet: bool) -> Result<SeedRun, String> {
    run_seed_with(a, d, seed, Kind::Lecture.for_size(d.x.shape()[0]), quiet)
}

/// The lecture for one seed with `budget`'s batch size and epochs (scratch: `ep3 + ep4`
/// epochs at stage 3's learning rate). Seeding, the page's (`www/worker-train.js`, one
/// rule for both): `set_random_seed(seed)` before B is built (the clone's fresh weights,
/// then the new head) and again before scratch's fresh weights are drawn; shuffling with
/// `seed` in stage 3 and from scratch, `seed + 1` in stage 4. So a page run with the same
/// seed, images and budget is this run.
pub fn run_seed_with(a: &Sequential, d: &Data, seed: u64, budget: Budget, quiet: bool) -> Result<SeedRun, String> {
    let Budget { batch_size: bs, ep3, ep4 } = budget;
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
    let stage3 = fit_logged(
        &mut b,
        d,
        (ep3, bs),
        seed,
        quiet,
        &format!("stage 3: frozen base, SGD lr 1e-2, {ep3} epochs, batch {bs}"),
    )?;
    // Stage 4: unfreeze, recompile (SGD 1e-4), fit 16 epochs.
    set_base_trainable(&b, true);
    b.compile(bce, OptimizerConfig::sgd(1e-4)).map_err(|e| e.to_string())?;
    let stage4 = fit_logged(
        &mut b,
        d,
        (ep4, bs),
        seed + 1,
        quiet,
        &format!("stage 4: unfrozen, SGD lr 1e-4, {ep4} epochs, batch {bs}"),
    )?;
    // From scratch: B's architecture, fresh weights drawn from the seed again (as the
    // page does), same images and budget.
    transfer_playground::set_random_seed(seed);
    let mut scratch_model = b.clone_model().map_err(|e| e.to_string())?;
    scratch_model.compile(bce, OptimizerConfig::sgd(1e-2)).map_err(|e| e.to_string())?;
    let scratch = fit_logged(
        &mut scratch_model,
        d,
        (ep3 + ep4, bs),
        seed,
        quiet,
        &format!("from scratch: same architecture, SGD lr 1e-2, {} epochs, batch {bs}", ep3 + ep4),
    )?;
    let a_after = a.evaluate_sparse(&d.tx, &d.ty)?;
    let a_untouched = a_before == a_after;
    if !quiet {
        println!(
            "test accuracy: after stage 3 {:.4}, after stage 4 {:.4}, from scratch {:.4}; model A untouched: {a_untouched}",
            stage3.test.accuracy, stage4.test.accuracy, scratch.test.accuracy
        );
    }
    Ok(SeedRun { stage3, stage4, scratch, a_untouched })
}

fn one_seed(a: &Sequential, d: &Data, seed: u64, quiet: bool) -> Result<Value, String> {
    let r = run_seed(a, d, seed, quiet)?;
    let phase = |p: &Phase| json!({"history": p.history, "test_loss": p.test.loss, "test_accuracy": p.test.accuracy});
    Ok(json!({
        "seed": seed,
        "stage3": phase(&r.stage3),
        "stage4": phase(&r.stage4),
        "scratch": phase(&r.scratch),
        "model_a_untouched": r.a_untouched,
    }))
}

/// A's predictions on the task-B test images, as a fingerprint that it did not change.
trait Fingerprint {
    fn evaluate_sparse(&self, x: &Tensor, y: &Tensor) -> Result<Vec<u32>, String>;
}

impl Fingerprint for Sequential {
    fn evaluate_sparse(&self, x: &Tensor, _y: &Tensor) -> Result<Vec<u32>, String> {
        let p = self.predict(x, 256).map_err(|e| e.to_string())?;
        Ok(p.iter()
            .map(|v| v.to_bits())
            .chain(self.get_weights().iter().flat_map(|w| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>()))
            .collect())
    }
}

pub fn stats(v: &[f64]) -> Value {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({"mean": mean, "min": min, "max": max})
}

pub fn run(args: &[String]) -> Result<(), String> {
    let as_json = args.iter().any(|a| a == "--json");
    let seeds: Vec<u64> = list_arg(args, "--seeds")?.unwrap_or_else(|| vec![42]);
    let dir = crate::repo_root().join("www/assets");
    let a = load_model_a(&dir)?;
    let d = load_task_b(&dir, "train.tpds")?;
    let quiet = as_json || seeds.len() > 1;
    let mut runs = Vec::new();
    for &s in &seeds {
        runs.push(one_seed(&a, &d, s, quiet)?);
        if seeds.len() > 1 && !as_json {
            let r = runs.last().unwrap();
            println!(
                "seed {s}: stage 3 {:.4}, stage 4 {:.4}, scratch {:.4}",
                r["stage3"]["test_accuracy"], r["stage4"]["test_accuracy"], r["scratch"]["test_accuracy"]
            );
        }
    }
    let col = |k: &str| runs.iter().map(|r| r[k]["test_accuracy"].as_f64().unwrap()).collect::<Vec<_>>();
    let summary =
        json!({"stage3": stats(&col("stage3")), "stage4": stats(&col("stage4")), "scratch": stats(&col("scratch"))});
    if as_json {
        println!("{}", serde_json::to_string(&json!({"train_images": d.x.shape()[0], "test_images": d.tx.shape()[0], "seeds": seeds, "runs": runs, "summary": summary})).unwrap());
    } else if seeds.len() > 1 {
        println!("test accuracy over seeds {seeds:?}: {summary}");
    }
    Ok(())
}

/// `--name 1,2,3` as numbers, `None` when the flag is absent.
pub fn list_arg<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<Vec<T>>, String> {
    let Some(i) = args.iter().position(|a| a == name) else { return Ok(None) };
    let list = args.get(i + 1).ok_or_else(|| format!("{name} needs a list like 1,2,3"))?;
    list.split(',')
        .map(|s| s.trim().parse().map_err(|_| format!("{name}: bad value {s:?}")))
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}
