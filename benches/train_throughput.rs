//! Training throughput of the CPU path (one thread), in images per second, for model
//! A's architecture at batch sizes 32 and 128: the full model, and with all but the
//! last layer frozen (with and without computing the frozen base's features once).
//! A benchmark, not a test: it measures and prints, it asserts nothing.
//!
//! `cargo bench --bench train_throughput`

use std::time::Instant;

use transfer_playground::lecture::{model_a_specs, MODEL_A_INPUT};
use transfer_playground::rng::Rng;
use transfer_playground::tensor::from_vec;
use transfer_playground::{FitOptions, Loss, OptimizerConfig, Sequential};

fn main() {
    let n = 2048;
    // Three epochs per timed fit: the cached-features path pays its one forward pass
    // over the data once per fit, like stage 3 of the lecture (4 epochs).
    let epochs = 3;
    let mut rng = Rng::new(1);
    let x = from_vec(&[n, 28, 28, 1], (0..n * 784).map(|_| rng.next_f32()).collect()).unwrap();
    let y = from_vec(&[n], (0..n).map(|i| (i % 8) as f32).collect()).unwrap();
    println!("{:<34} {:>6} {:>12}", "configuration", "batch", "images/s");
    for (label, frozen, cache) in [
        ("full model", false, true),
        ("frozen base, features cached", true, true),
        ("frozen base, every layer each step", true, false),
    ] {
        for batch in [32usize, 128] {
            let mut m = Sequential::from_specs(&MODEL_A_INPUT, &model_a_specs(8), 7).unwrap();
            if frozen {
                let layers = m.layers().to_vec();
                layers[..layers.len() - 1].iter().for_each(|l| l.set_trainable(false));
            }
            m.compile(
                Loss::SparseCategoricalCrossentropy,
                OptimizerConfig::Sgd { learning_rate: 0.01, momentum: 0.9, nesterov: false },
            )
            .unwrap();
            let opts = FitOptions {
                epochs,
                batch_size: batch,
                shuffle: true,
                seed: 0,
                validation: None,
                cache_frozen_features: cache,
            };
            // Warm-up on a slice, then the timed epoch (the best of three).
            m.fit_quiet(
                &x.slice(ndarray::s![..256, .., .., ..]).to_owned().into_dyn(),
                &y.slice(ndarray::s![..256]).to_owned().into_dyn(),
                FitOptions { epochs: 1, ..opts.clone() },
            )
            .unwrap();
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let t = Instant::now();
                m.fit_quiet(&x, &y, opts.clone()).unwrap();
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!("{label:<34} {batch:>6} {:>12.0}", (n * epochs) as f64 / best);
        }
    }
}
