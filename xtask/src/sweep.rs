//! `cargo xtask sweep`: "how much data does transfer save?", measured natively so the
//! page's sweep can be checked against it. For each training-set size (the first N
//! images of `www/assets/task-b/train-pool.tpds`, whose first 200 are `train.tpds`) and
//! each seed, it runs the lecture as `cargo xtask stages` does
//! ([`crate::stages::run_seed_with`]: transfer = stage 3 + stage 4, scratch = stage 3's
//! plus stage 4's epochs of SGD 1e-2, seeded as the page seeds), with one of two budgets
//! (`crate::budget`): `lecture` (batch 32, 4 + 16 epochs at every size) or `adapted`
//! (the page's `adaptedFor(n)`: enough SGD steps at every size, for both models). It
//! prints per size the test accuracy's mean, min and max over the seeds and the first
//! epoch whose validation accuracy reaches `--target`.
//!
//! ```text
//! cargo xtask sweep [--sizes 10,20,50,100,200,500,1000] [--seeds 1,2,3] [--target 0.95]
//!                    [--budget lecture|adapted] [--json] [--save FILE]
//! cargo xtask sweep --print-budgets      # the adapted rule for 1..=1000 images, as JSON
//! ```
//! prints a Markdown table (`--json`: one JSON object instead; `--save FILE`: that object
//! written to FILE as well, with every seed's validation curves).
//! At 200 images and the lecture budget a seed's numbers are `cargo xtask stages --seeds <seed>`'s.

use std::time::Instant;

use serde_json::{json, Value};
use transfer_playground::evaluation::{accuracy_estimate, compare_accuracies};
use transfer_playground::tensor::gather_rows;

use crate::budget::{self, Kind};
use crate::stages::{list_arg, load_model_a, load_task_b, run_seed_with, stats, Phase};

const USAGE: &str = "usage: cargo xtask sweep [--sizes 10,20,50,100,200,500,1000] [--seeds 1,2,3] [--target 0.95] [--budget lecture|adapted] [--json] [--save FILE] | --print-budgets";

/// The first epoch (1-based, over the phases in order) whose validation accuracy is at
/// least `target`, and the wall time to its end.
fn first_reaching(phases: &[&Phase], target: f64) -> Option<(usize, f64)> {
    let (mut epochs, mut seconds) = (0, 0.0);
    for p in phases {
        for (acc, t) in p.history.val_accuracy.iter().zip(&p.seconds) {
            epochs += 1;
            if *acc >= target {
                return Some((epochs, seconds + t));
            }
        }
        seconds += p.seconds.last().copied().unwrap_or(0.0);
    }
    None
}

fn epochs_list(v: &[Option<(usize, f64)>]) -> String {
    v.iter().map(|e| e.map_or("-".to_string(), |(n, _)| n.to_string())).collect::<Vec<_>>().join(",")
}

fn mean_seconds(v: &[Option<(usize, f64)>]) -> String {
    let reached: Vec<f64> = v.iter().flatten().map(|(_, s)| *s).collect();
    if reached.is_empty() {
        return "-".into();
    }
    format!("{:.1}", reached.iter().sum::<f64>() / reached.len() as f64)
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(());
    }
    if args.iter().any(|a| a == "--print-budgets") {
        // One size a line: the committed copy (tests/fixtures/adapted-budgets.json) diffs well.
        let t = budget::table(1000);
        let rows: Vec<String> = t["budgets"].as_array().unwrap().iter().map(|r| r.to_string()).collect();
        println!("{{\"rule\": {}, \"budgets\": [\n{}\n]}}", t["rule"], rows.join(",\n"));
        return Ok(());
    }
    let kind = match args.iter().position(|a| a == "--budget") {
        Some(i) => Kind::parse(args.get(i + 1).ok_or("--budget needs 'lecture' or 'adapted'")?)?,
        None => Kind::Lecture,
    };
    let as_json = args.iter().any(|a| a == "--json");
    let save = match args.iter().position(|a| a == "--save") {
        Some(i) => Some(args.get(i + 1).ok_or("--save needs a file name")?.clone()),
        None => None,
    };
    let sizes: Vec<usize> = list_arg(args, "--sizes")?.unwrap_or_else(|| vec![10, 20, 50, 100, 200, 500, 1000]);
    let seeds: Vec<u64> = list_arg(args, "--seeds")?.unwrap_or_else(|| vec![1, 2, 3]);
    let target: f64 = match args.iter().position(|a| a == "--target") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or("--target needs an accuracy in [0, 1]")?,
        None => 0.95,
    };
    let dir = crate::repo_root().join("www/assets");
    let a = load_model_a(&dir)?;
    let mut d = load_task_b(&dir, "train-pool.tpds")?;
    let (pool_x, pool_y) = (d.x.clone(), d.y.clone());
    let pool = pool_x.shape()[0];
    if let Some(&bad) = sizes.iter().find(|&&n| n == 0 || n > pool) {
        return Err(format!("--sizes: {bad} is not between 1 and the pool's {pool} images\n{USAGE}"));
    }
    let n_test = d.tx.shape()[0];
    let started = Instant::now();
    let mut rows = Vec::new();
    for &size in &sizes {
        let first: Vec<usize> = (0..size).collect();
        d.x = gather_rows(&pool_x, &first);
        d.y = gather_rows(&pool_y, &first);
        let positives = d.y.iter().filter(|&&v| v > 0.5).count();
        let b = kind.for_size(size);
        let mut runs = Vec::new();
        for &seed in &seeds {
            let r = run_seed_with(&a, &d, seed, b, true)?;
            if !r.a_untouched {
                return Err(format!("model A changed during the run at {size} images, seed {seed}"));
            }
            eprintln!(
                "[{:>6.0} s] {size:>4} images, seed {seed}: transfer {:.4} (stage 3 {:.4}), scratch {:.4}",
                started.elapsed().as_secs_f64(),
                r.stage4.test.accuracy,
                r.stage3.test.accuracy,
                r.scratch.test.accuracy
            );
            runs.push((seed, r));
        }
        let col = |f: &dyn Fn(&crate::stages::SeedRun) -> f64| runs.iter().map(|(_, r)| f(r)).collect::<Vec<f64>>();
        let transfer = col(&|r| r.stage4.test.accuracy);
        let stage3 = col(&|r| r.stage3.test.accuracy);
        let scratch = col(&|r| r.scratch.test.accuracy);
        let reach_t: Vec<_> = runs.iter().map(|(_, r)| first_reaching(&[&r.stage3, &r.stage4], target)).collect();
        let reach_s: Vec<_> = runs.iter().map(|(_, r)| first_reaching(&[&r.scratch], target)).collect();
        let per_seed: Vec<Value> = runs
            .iter()
            .zip(reach_t.iter().zip(&reach_s))
            .map(|((seed, r), (t, s))| {
                json!({
                    "seed": seed,
                    "stage3": r.stage3.test.accuracy, "stage4": r.stage4.test.accuracy, "scratch": r.scratch.test.accuracy,
                    "transfer_val_accuracy": r.stage3.history.val_accuracy.iter().chain(&r.stage4.history.val_accuracy).collect::<Vec<_>>(),
                    "scratch_val_accuracy": r.scratch.history.val_accuracy,
                    "transfer_epochs_to_target": t.map(|x| x.0), "transfer_seconds_to_target": t.map(|x| x.1),
                    "scratch_epochs_to_target": s.map(|x| x.0), "scratch_seconds_to_target": s.map(|x| x.1),
                })
            })
            .collect();
        rows.push(json!({
            "size": size, "positives": positives, "budget": b,
            "stage3_steps": b.ep3 * size.div_ceil(b.batch_size),
            "transfer": stats(&transfer), "stage3": stats(&stage3), "scratch": stats(&scratch),
            "transfer_epochs": epochs_list(&reach_t), "scratch_epochs": epochs_list(&reach_s),
            "transfer_seconds": mean_seconds(&reach_t), "scratch_seconds": mean_seconds(&reach_s),
            "runs": per_seed,
        }));
    }
    // Where scratch catches up: the first size whose mean test accuracy is at least
    // transfer's, and the first whose means differ by no more than the 95 % uncertainty
    // of one run on the test set.
    let mean = |r: &Value, k: &str| r[k]["mean"].as_f64().unwrap();
    let within = |r: &Value| -> Result<bool, String> {
        let est = |p: f64| accuracy_estimate((p * n_test as f64).round() as usize, n_test).map_err(|e| e.to_string());
        Ok(compare_accuracies(&est(mean(r, "transfer"))?, &est(mean(r, "scratch"))?).within_uncertainty)
    };
    let catches_up = rows.iter().find(|r| mean(r, "scratch") >= mean(r, "transfer")).map(|r| r["size"].clone());
    let mut within_sizes = Vec::new();
    for r in &rows {
        if within(r)? {
            within_sizes.push(r["size"].as_u64().unwrap());
        }
    }
    let out = json!({
        "command": format!("cargo xtask sweep {}", args.join(" ")),
        "pool": "www/assets/task-b/train-pool.tpds (first N images)", "test_images": n_test, "target": target,
        "budget": kind.name(),
        "sizes": sizes, "seeds": seeds, "rows": rows,
        "scratch_catches_up_at": catches_up, "within_uncertainty_at": within_sizes,
        "seconds": started.elapsed().as_secs_f64(),
    });
    if let Some(path) = &save {
        std::fs::write(path, serde_json::to_string(&out).unwrap() + "\n").map_err(|e| format!("{path}: {e}"))?;
    }
    if as_json {
        println!("{}", serde_json::to_string(&out).unwrap());
        return Ok(());
    }
    println!("\n{} budget; test accuracy on {n_test} test images over seeds {seeds:?}: mean [min, max]; epochs = first validation epoch >= {target} per seed (transfer counts stage 3's epochs then stage 4's; '-' = never)", kind.name());
    println!("| images (shirts) | batch, epochs 3+4 (stage-3 steps) | transfer, stages 3+4 | after stage 3 | from scratch | epochs to {target}: transfer | scratch | s to {target}: transfer | scratch |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let cell = |v: &Value| {
        format!(
            "{:.4} [{:.4}, {:.4}]",
            v["mean"].as_f64().unwrap(),
            v["min"].as_f64().unwrap(),
            v["max"].as_f64().unwrap()
        )
    };
    for r in &rows {
        println!(
            "| {} ({}) | {}, {}+{} ({}) | {} | {:.4} | {} | {} | {} | {} | {} |",
            r["size"],
            r["positives"],
            r["budget"]["bs"],
            r["budget"]["ep3"],
            r["budget"]["ep4"],
            r["stage3_steps"],
            cell(&r["transfer"]),
            mean(r, "stage3"),
            cell(&r["scratch"]),
            r["transfer_epochs"].as_str().unwrap(),
            r["scratch_epochs"].as_str().unwrap(),
            r["transfer_seconds"].as_str().unwrap(),
            r["scratch_seconds"].as_str().unwrap()
        );
    }
    match catches_up {
        Some(n) => println!("scratch's mean reaches transfer's at {n} images"),
        None => println!("scratch's mean stays below transfer's at every size measured"),
    }
    println!("means within the 95% uncertainty of a {n_test}-image test accuracy at sizes {within_sizes:?}");
    println!("({:.0} s in all)", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use transfer_playground::model::sequential::Evaluation;
    use transfer_playground::History;

    fn phase(val: &[f64], seconds: &[f64]) -> Phase {
        Phase {
            history: History { val_accuracy: val.to_vec(), ..History::default() },
            test: Evaluation { loss: 0.0, accuracy: 0.0 },
            seconds: seconds.to_vec(),
        }
    }

    #[test]
    fn first_reaching_counts_epochs_and_seconds_across_phases() {
        let s3 = phase(&[0.90, 0.93, 0.94, 0.94], &[1.0, 2.0, 3.0, 4.0]);
        let s4 = phase(&[0.949, 0.95, 0.97], &[10.0, 20.0, 30.0]);
        // Epoch 6 overall (the second of stage 4): 4 s of stage 3 + 20 s.
        assert_eq!(first_reaching(&[&s3, &s4], 0.95), Some((6, 24.0)));
        assert_eq!(first_reaching(&[&s3, &s4], 0.93), Some((2, 2.0)));
        assert_eq!(first_reaching(&[&s3, &s4], 0.98), None);
        assert_eq!(epochs_list(&[Some((6, 24.0)), None]), "6,-");
        assert_eq!(mean_seconds(&[Some((6, 24.0)), None, Some((2, 2.0))]), "13.0");
    }
}
