//! The `accuracy` metric, resolved as Keras resolves it: binary accuracy (threshold
//! 0.5) for a one-unit sigmoid output, otherwise argmax against the class index
//! (sparse targets) or against the argmax of one-hot targets.

use crate::loss::Loss;

/// Number of correct predictions among `p` (`[rows, last]`) for targets `y`.
pub fn correct(loss: Loss, p: &[f32], y: &[f32], last: usize) -> usize {
    let argmax =
        |r: &[f32]| r.iter().enumerate().fold((0, f32::NEG_INFINITY), |b, (i, &v)| if v > b.1 { (i, v) } else { b }).0;
    match loss {
        Loss::BinaryCrossentropy => p.iter().zip(y).filter(|(p, y)| (**p > 0.5) == (**y > 0.5)).count(),
        Loss::MeanSquaredError if last == 1 => p.iter().zip(y).filter(|(p, y)| (**p > 0.5) == (**y > 0.5)).count(),
        Loss::SparseCategoricalCrossentropy => p.chunks(last).zip(y).filter(|(r, y)| argmax(r) == **y as usize).count(),
        Loss::CategoricalCrossentropy | Loss::MeanSquaredError => {
            p.chunks(last).zip(y.chunks(last)).filter(|(r, t)| argmax(r) == argmax(t)).count()
        }
    }
}

/// Predictions per example that `correct` counts over (the denominator).
pub fn count(loss: Loss, p_len: usize, last: usize) -> usize {
    match loss {
        Loss::BinaryCrossentropy => p_len,
        Loss::MeanSquaredError if last == 1 => p_len,
        _ => p_len / last.max(1),
    }
}
