//! `cargo xtask pretrain`: trains source model A on task A (the eight Fashion-MNIST
//! classes other than sandal and shirt) and writes the built-in assets the page loads:
//! `www/assets/model-a/{model.json, weights.bin, metadata.json}`.
//!
//! Recipe (as for the Keras reference: about 0.945 on such a split): SGD lr 0.01,
//! momentum 0.9, batch 32, 10 epochs, seed 42; 5,000 training images held out for
//! validation; test accuracy on the held-out test split (1,000 images per class).

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use transfer_playground::data::ImageSet;
use transfer_playground::lecture::{model_a_specs, to_tensors, FASHION_CLASSES, MODEL_A_INPUT, TASK_A_CLASS_MAP};
use transfer_playground::model::io::to_tfjs;
use transfer_playground::rng::Rng;
use transfer_playground::{Event, FitOptions, Loss, OptimizerConfig, Sequential};

pub fn load(path: &Path) -> Result<ImageSet, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("{}: {e} (run `cargo xtask prepare-data` first)", path.display()))?;
    ImageSet::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a value")),
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let epochs: usize = arg(args, "--epochs", 10)?;
    let seed: u64 = arg(args, "--seed", 42)?;
    let limit: usize = arg(args, "--limit", usize::MAX)?;
    let root = crate::repo_root();
    let train =
        load(&root.join("data/fashion-train.tpds"))?.filter_classes(&TASK_A_CLASS_MAP).map_err(|e| e.to_string())?;
    let test =
        load(&root.join("data/fashion-test.tpds"))?.filter_classes(&TASK_A_CLASS_MAP).map_err(|e| e.to_string())?;
    // Hold out 5,000 training images for validation (seeded).
    let mut order: Vec<usize> = (0..train.len()).collect();
    Rng::new(seed).shuffle(&mut order);
    let (val_idx, train_idx) = order.split_at(5000.min(train.len() / 5));
    let train_idx = &train_idx[..train_idx.len().min(limit)];
    let (x, y) = to_tensors(&train.subset(train_idx).map_err(|e| e.to_string())?);
    let (vx, vy) = to_tensors(&train.subset(val_idx).map_err(|e| e.to_string())?);
    let (tx, ty) = to_tensors(&test);
    println!("task A: {} train, {} validation, {} test images", x.shape()[0], vx.shape()[0], tx.shape()[0]);

    let mut model = Sequential::from_specs(&MODEL_A_INPUT, &model_a_specs(8), seed).map_err(|e| e.to_string())?;
    model.name = "model_A".into();
    print!("{}", model.summary());
    let optimizer = OptimizerConfig::Sgd { learning_rate: 0.01, momentum: 0.9, nesterov: false };
    model.compile(Loss::SparseCategoricalCrossentropy, optimizer).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut epoch_start = Instant::now();
    let opts =
        FitOptions { epochs, batch_size: 32, shuffle: true, seed, validation: Some((vx, vy)), ..FitOptions::default() };
    let history = model
        .fit(&x, &y, opts, &mut |ev, _| {
            if let Event::Epoch(e) = ev {
                let secs = epoch_start.elapsed().as_secs_f64();
                println!(
                    "Epoch {}/{epochs} - {secs:.1}s - loss: {:.4} - accuracy: {:.4} - val_loss: {:.4} - val_accuracy: {:.4}",
                    e.epoch + 1,
                    e.loss,
                    e.accuracy,
                    e.val_loss.unwrap_or(f64::NAN),
                    e.val_accuracy.unwrap_or(f64::NAN)
                );
                epoch_start = Instant::now();
            }
            transfer_playground::Control::Continue
        })
        .map_err(|e| e.to_string())?;
    let train_secs = start.elapsed().as_secs_f64();
    let test_eval = model.evaluate(&tx, &ty, 256).map_err(|e| e.to_string())?;
    println!(
        "test: loss {:.4} accuracy {:.4} ({} images); training took {train_secs:.0}s",
        test_eval.loss,
        test_eval.accuracy,
        tx.shape()[0]
    );

    let out = root.join("www/assets/model-a");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    // A 1,000-image sample of task A's test split (the split is already shuffled), so
    // the page can measure A on its own task before and after the lecture's procedure.
    let sample = test.subset(&(0..1000.min(test.len())).collect::<Vec<_>>()).map_err(|e| e.to_string())?;
    std::fs::write(out.join("test-sample.tpds"), sample.to_bytes().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let (sx, sy) = to_tensors(&sample);
    let sample_eval = model.evaluate(&sx, &sy, 256).map_err(|e| e.to_string())?;
    println!("test sample: accuracy {:.4} ({} images)", sample_eval.accuracy, sample.len());
    let (model_json, weights) = to_tfjs(&model);
    std::fs::write(out.join("model.json"), model_json).map_err(|e| e.to_string())?;
    std::fs::write(out.join("weights.bin"), weights).map_err(|e| e.to_string())?;
    let class_names: Vec<&str> = TASK_A_CLASS_MAP.iter().map(|&(old, _)| FASHION_CLASSES[old as usize]).collect();
    let meta = json!({
        "name": "model_A",
        "task": "Fashion-MNIST task A: the eight classes other than sandal and shirt",
        "input_shape": MODEL_A_INPUT,
        "class_names": class_names,
        "source_labels": TASK_A_CLASS_MAP.iter().map(|&(old, _)| old).collect::<Vec<_>>(),
        "preprocessing": "grayscale pixels scaled to [0, 1] (x / 255)",
        "recipe": {
            "architecture": "Conv2D(16,3,same,relu) > MaxPooling2D(2) > Conv2D(32,3,same,relu) > MaxPooling2D(2) > Flatten > Dense(64,relu) > Dense(8,softmax)",
            "loss": "sparse_categorical_crossentropy",
            "optimizer": {"class": "SGD", "learning_rate": 0.01, "momentum": 0.9},
            "batch_size": 32, "epochs": epochs, "seed": seed, "shuffle": true,
            "train_images": x.shape()[0], "validation_images": 5000.min(train.len() / 5),
            "command": format!("cargo xtask pretrain --epochs {epochs} --seed {seed}"),
        },
        "history": history,
        "test": {"images": tx.shape()[0], "loss": test_eval.loss, "accuracy": test_eval.accuracy},
        "test_sample": {"file": "test-sample.tpds", "images": sample.len(), "loss": sample_eval.loss, "accuracy": sample_eval.accuracy,
                        "note": "the first 1000 images of the test split above, labels 0..7 as class_names"},
        "params": model.count_params().0,
        "training_seconds": train_secs.round(),
    });
    std::fs::write(out.join("metadata.json"), serde_json::to_string_pretty(&meta).unwrap())
        .map_err(|e| e.to_string())?;
    println!("wrote {}", out.display());
    Ok(())
}
