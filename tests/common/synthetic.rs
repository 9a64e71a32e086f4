//! Shared by the GPU tests: a small learnable image task.

use transfer_playground::rng::Rng;
use transfer_playground::tensor::{from_vec, Tensor};

/// Horizontal bars on `h x h x 1` images: class c lights row band c, plus noise.
pub fn bars(n: usize, h: usize, classes: usize, seed: u64) -> (Tensor, Tensor) {
    let mut r = Rng::new(seed);
    let mut x = Vec::with_capacity(n * h * h);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let c = r.below(classes);
        y.push(c as f32);
        for i in 0..h {
            for _ in 0..h {
                x.push(if i * classes / h == c { 0.8 } else { 0.1 } + r.uniform(-0.1, 0.1));
            }
        }
    }
    (from_vec(&[n, h, h, 1], x).unwrap(), from_vec(&[n], y).unwrap())
}
