//! What a `fit` reports, on either backend: Keras' per-batch and per-epoch logs, the
//! events of a stepwise fit, the `History`, and the position a fit can resume from.

/// Keras' `History.history`: one entry per completed epoch.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct History {
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub val_loss: Vec<f64>,
    pub val_accuracy: Vec<f64>,
    /// Warnings raised during `fit` (e.g. `trainable` changed without recompiling).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BatchLogs {
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    /// Running mean over the epoch so far, as Keras' progress bar shows.
    pub loss: f64,
    pub accuracy: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpochLogs {
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
}

/// What one `step` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Batch(BatchLogs),
    Epoch(EpochLogs),
    Done,
}

/// A point inside a `fit`: `batch` batches of epoch `epoch` done, with that epoch's
/// running sums so far (all zero at an epoch's start).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FitPosition {
    pub epoch: usize,
    pub batch: usize,
    pub loss_sum: f64,
    pub correct: usize,
    pub counted: usize,
    pub seen: usize,
}

/// What a callback asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}
