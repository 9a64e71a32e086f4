//! The confusion matrix and the misclassified examples, from a classifier's predicted
//! probabilities and the integer labels.
//!
//! The predicted class is the one Keras' `accuracy` metric counts, so the matrix's trace
//! over `n` is exactly `model.evaluate`'s accuracy:
//! * **binary** (`[n, 1]` or `[n]`, a sigmoid's `p` = probability of class 1): class 1
//!   when `p > 0.5`, else class 0 (Keras' `binary_accuracy`, threshold 0.5, strict);
//! * **N classes** (`[n, N]`, N ≥ 2, softmax rows): the argmax, the first one on a tie.
//!
//! In Keras / scikit-learn:
//! ```python
//! p = model.predict(x)
//! y_pred = (p[:, 0] > 0.5).astype(int) if p.shape[1] == 1 else p.argmax(axis=1)
//! sklearn.metrics.confusion_matrix(y, y_pred)     # rows = true class, columns = predicted
//! probs = np.c_[1 - p, p] if p.shape[1] == 1 else p
//! wrong = np.flatnonzero(y_pred != y)
//! confidence = probs[wrong, y_pred[wrong]]           # the probability of the wrong answer
//! wrong = wrong[np.argsort(-confidence, kind="stable")]
//! ```
//!
//! # Shapes
//! `probabilities`: `[n, 1]`/`[n]` (binary) or `[n, classes]`; `labels`: `[n]` or `[n, 1]`,
//! integers in `0..classes` stored as f32 (what `lecture::to_tensors` makes).

use crate::error::{fmt_shape, Error, Result};
use crate::model::Sequential;
use crate::tensor::{contiguous, Tensor};

/// One example the model got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Misclassified {
    /// Position in the data set.
    pub index: usize,
    /// The true class.
    pub label: usize,
    /// The class the model chose.
    pub predicted: usize,
    /// The probability the model gave its (wrong) choice: `probabilities[predicted]`.
    pub confidence: f32,
    /// Per class (`[1 - p, p]` for a binary model's `p`).
    pub probabilities: Vec<f32>,
}

/// A confusion matrix with its misclassified examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Confusion {
    /// Number of classes (2 for a binary model).
    pub classes: usize,
    /// Row-major `classes x classes`: `counts[t * classes + p]` examples of true class `t`
    /// were predicted as `p` (rows = true class, columns = predicted, as scikit-learn).
    pub counts: Vec<usize>,
    /// Number of examples (the sum of `counts`).
    pub examples: usize,
    /// Correctly classified examples (the trace).
    pub correct: usize,
    /// Every misclassified example, the most confidently wrong first (ties: lower index
    /// first).
    pub misclassified: Vec<Misclassified>,
}

impl Confusion {
    /// Examples of true class `truth` predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> usize {
        self.counts[truth * self.classes + predicted]
    }

    /// The matrix as rows (true class) of columns (predicted class).
    pub fn rows(&self) -> Vec<Vec<usize>> {
        self.counts.chunks(self.classes).map(<[usize]>::to_vec).collect()
    }

    /// `correct / examples`: equals `model.evaluate`'s accuracy on the same data.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.examples as f64
    }
}

/// Builds the confusion matrix and the list of misclassified examples (see the module
/// docs). Errors: no examples, shapes that do not match, probabilities that are not in
/// [0, 1] (or NaN), labels that are not integers in `0..classes`.
pub fn confusion_matrix(probabilities: &Tensor, labels: &Tensor) -> Result<Confusion> {
    let shape = probabilities.shape();
    let (n, width) = match *shape {
        [n] => (n, 1),
        [n, w] if w >= 1 => (n, w),
        _ => {
            return Err(Error::Shape(format!(
                "confusion_matrix: probabilities must be [n, 1] (sigmoid) or [n, classes] (softmax), found {}",
                fmt_shape(shape, false)
            )))
        }
    };
    if n == 0 {
        return Err(Error::Data("confusion_matrix: no examples".into()));
    }
    if !matches!(*labels.shape(), [m] | [m, 1] if m == n) {
        return Err(Error::Shape(format!(
            "confusion_matrix: expected {n} integer labels ([{n}] or [{n}, 1]), found shape {}",
            fmt_shape(labels.shape(), false)
        )));
    }
    let binary = width == 1;
    let classes = if binary { 2 } else { width };
    let p = contiguous(probabilities);
    if let Some(i) = p.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::Data(format!(
            "confusion_matrix: example {} has probability {}, outside [0, 1]; pass the output of a sigmoid or softmax layer",
            i / width,
            p[i]
        )));
    }
    let y = contiguous(labels);
    let mut counts = vec![0usize; classes * classes];
    let mut misclassified = Vec::new();
    for (index, (row, &label)) in p.chunks(width).zip(y.iter()).enumerate() {
        if label.fract() != 0.0 || !(0.0..classes as f32).contains(&label) {
            return Err(Error::Data(format!(
                "confusion_matrix: label {label} of example {index} is not a class index 0..{}",
                classes - 1
            )));
        }
        let label = label as usize;
        let probs: Vec<f32> = if binary { vec![1.0 - row[0], row[0]] } else { row.to_vec() };
        let predicted = if binary { usize::from(row[0] > 0.5) } else { argmax(row) };
        counts[label * classes + predicted] += 1;
        if predicted != label {
            misclassified.push(Misclassified {
                index,
                label,
                predicted,
                confidence: probs[predicted],
                probabilities: probs,
            });
        }
    }
    // Most confidently wrong first; the sort is stable, so equal confidences keep index order.
    misclassified.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    let correct = (0..classes).map(|c| counts[c * classes + c]).sum();
    Ok(Confusion { classes, counts, examples: n, correct, misclassified })
}

/// The first index of the largest value (as Keras' `argmax` and our accuracy metric).
fn argmax(row: &[f32]) -> usize {
    row.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}

impl Sequential {
    /// `predict(x)` then [`confusion_matrix`] against `y`.
    pub fn confusion_matrix(&self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Confusion> {
        confusion_matrix(&self.predict(x, batch_size)?, y)
    }
}
