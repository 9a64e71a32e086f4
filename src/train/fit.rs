//! The `fit` loop as a resumable session: `FitSession::step` runs one batch (or the
//! end-of-epoch validation) and returns, so the browser can yield to its event loop
//! between steps (progress, stop, resume) and a native caller can loop to the end.
//!
//! While the base of a model is frozen and deterministic (no active dropout below
//! the first trainable layer), its output does not change during `fit`: the session
//! computes those features once per image and trains only the layers above them.
//! Results are the same as running the whole model every step.

use crate::error::{Error, Result};
use crate::model::Sequential;
use crate::rng::Rng;
use crate::tensor::{check_example_shape, check_finite, gather_rows, Tensor};

/// Keras' `fit` arguments.
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
    /// Seeds the shuffling (and nothing else: dropout masks have their own seeds).
    pub seed: u64,
    pub validation: Option<(Tensor, Tensor)>,
    /// Compute a frozen, deterministic base's features once (default) instead of
    /// every step. Off only to check that both give the same result.
    pub cache_frozen_features: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { epochs: 1, batch_size: 32, shuffle: true, seed: 0, validation: None, cache_frozen_features: true }
    }
}

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

pub struct FitSession {
    opts: FitOptions,
    /// Training inputs, or the frozen base's features when `from > 0`.
    x: Tensor,
    y: Tensor,
    val: Option<(Tensor, Tensor)>,
    from: usize,
    n: usize,
    order: Vec<usize>,
    rng: Rng,
    epoch: usize,
    batch: usize,
    loss_sum: f64,
    correct: usize,
    counted: usize,
    seen: usize,
    generation: u64,
    history: History,
}

/// The checks every `fit` makes before its first step, on either backend: shapes,
/// finite inputs, targets, batch size, compile state. Returns a fresh `History` holding
/// the warnings (e.g. `trainable` changed since `compile`).
pub(crate) fn check_fit(model: &Sequential, x: &Tensor, y: &Tensor, opts: &FitOptions) -> Result<History> {
    let compiled = model.compiled()?;
    check_example_shape(x, model.input_shape(), "fit")?;
    check_finite(x, "fit")?;
    let n = x.shape()[0];
    if n == 0 {
        return Err(Error::Data("fit: no training examples".into()));
    }
    if opts.batch_size == 0 {
        return Err(Error::Config("fit: batch_size must be at least 1".into()));
    }
    let out = model.output_shape();
    compiled.loss.check_targets(y, n, &out)?;
    if let Some((vx, vy)) = &opts.validation {
        check_example_shape(vx, model.input_shape(), "validation_data")?;
        check_finite(vx, "validation_data")?;
        if vx.shape()[0] == 0 {
            return Err(Error::Data("validation_data: no examples".into()));
        }
        compiled.loss.check_targets(vy, vx.shape()[0], &out).map_err(|e| Error::Data(format!("validation_data: {e}")))?;
    }
    let mut history = History::default();
    let changed = model.uncompiled_trainable_changes();
    if !changed.is_empty() {
        history.warnings.push(format!(
            "The trainable attribute of {} changed since the model was compiled; the change takes effect only after compile() is called again, so this fit still uses the old setting.",
            changed.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(history)
}

impl FitSession {
    /// Checks everything up front (shapes, labels, compile state) so that `step`
    /// only fails for reasons that arise during training.
    pub fn new(model: &Sequential, x: &Tensor, y: &Tensor, opts: FitOptions) -> Result<FitSession> {
        let history = check_fit(model, x, y, &opts)?;
        let n = x.shape()[0];
        // A frozen, deterministic base: compute its features once.
        let first = model.first_trainable().unwrap_or(model.layers().len());
        let deterministic = model.layers()[..first].iter().all(|l| !l.borrow().layer.is_stochastic());
        let from = if deterministic && opts.cache_frozen_features { first } else { 0 };
        let feature_batch = 64;
        let (x, val) = if from > 0 {
            let fx = model.forward_range_batched(0, from, x, feature_batch)?;
            let fval = match &opts.validation {
                Some((vx, vy)) => Some((model.forward_range_batched(0, from, vx, feature_batch)?, vy.clone())),
                None => None,
            };
            (fx, fval)
        } else {
            (x.clone(), opts.validation.clone())
        };
        let rng = Rng::new(opts.seed);
        Ok(FitSession {
            order: (0..n).collect(),
            x,
            y: y.clone(),
            val,
            from,
            n,
            rng,
            epoch: 0,
            batch: 0,
            loss_sum: 0.0,
            correct: 0,
            counted: 0,
            seen: 0,
            generation: model.generation(),
            history,
            opts,
        })
    }

    /// A session that starts at `at` (after `at.batch` batches of epoch `at.epoch`,
    /// with that epoch's running sums) with the `history` of the epochs before it, as
    /// if this session had run them: the shuffle generator is advanced past their
    /// shuffles, so the remaining batches see the same order as an uninterrupted run.
    /// Used to go on on the CPU when a GPU fit loses its device; `model` then holds the
    /// state read back from the GPU at `at`.
    pub fn resume_at(model: &Sequential, x: &Tensor, y: &Tensor, opts: FitOptions, at: FitPosition, history: History) -> Result<FitSession> {
        let mut s = FitSession::new(model, x, y, opts)?;
        let epochs = at.epoch.min(s.opts.epochs);
        if s.opts.shuffle {
            // Shuffling consumes the generator according to `n` only, not the contents.
            for _ in 0..epochs {
                s.rng.shuffle(&mut s.order);
            }
        }
        s.epoch = epochs;
        if at.batch > 0 && epochs < s.opts.epochs {
            // Mid-epoch: this epoch's order now, so `step` does not shuffle again.
            s.order = (0..s.n).collect();
            if s.opts.shuffle {
                s.rng.shuffle(&mut s.order);
            }
            s.batch = at.batch.min(s.batches_per_epoch());
            s.seen = at.seen;
            s.loss_sum = at.loss_sum;
            s.correct = at.correct;
            s.counted = at.counted;
        }
        s.history = History { warnings: s.history.warnings, ..history };
        Ok(s)
    }

    /// Where the session stands: what [`FitSession::resume_at`] takes.
    pub fn position(&self) -> FitPosition {
        FitPosition { epoch: self.epoch, batch: self.batch, loss_sum: self.loss_sum, correct: self.correct, counted: self.counted, seen: self.seen }
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.n.div_ceil(self.opts.batch_size)
    }

    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn into_history(self) -> History {
        self.history
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.opts.epochs
    }

    /// Runs the next batch, or the epoch's end (validation) after its last batch.
    pub fn step(&mut self, model: &mut Sequential) -> Result<Event> {
        if self.is_done() {
            return Ok(Event::Done);
        }
        if model.generation() != self.generation {
            return Err(Error::Config("the model was recompiled during fit; start a new fit".into()));
        }
        let batches = self.batches_per_epoch();
        if self.batch == 0 && self.seen == 0 && self.opts.shuffle {
            self.order = (0..self.n).collect();
            self.rng.shuffle(&mut self.order);
        }
        if self.batch < batches {
            let start = self.batch * self.opts.batch_size;
            let rows = &self.order[start..(start + self.opts.batch_size).min(self.n)];
            let xb = gather_rows(&self.x, rows);
            let yb = gather_rows(&self.y, rows);
            let r = model.train_step(self.from, xb, &yb).map_err(|e| match e {
                Error::Diverged(m) => Error::Diverged(format!("epoch {}, batch {}: {m}", self.epoch + 1, self.batch + 1)),
                other => other,
            })?;
            self.loss_sum += r.loss_sum;
            self.correct += r.correct;
            self.counted += r.counted;
            self.seen += rows.len();
            self.batch += 1;
            return Ok(Event::Batch(BatchLogs {
                epoch: self.epoch,
                batch: self.batch - 1,
                batches,
                loss: self.loss_sum / self.seen as f64,
                accuracy: self.correct as f64 / self.counted.max(1) as f64,
            }));
        }
        let (loss, accuracy) = (self.loss_sum / self.seen.max(1) as f64, self.correct as f64 / self.counted.max(1) as f64);
        let val = match &self.val {
            Some((vx, vy)) => Some(model.evaluate_from(self.from, vx, vy, self.opts.batch_size.max(32))?),
            None => None,
        };
        self.history.loss.push(loss);
        self.history.accuracy.push(accuracy);
        if let Some(v) = val {
            self.history.val_loss.push(v.loss);
            self.history.val_accuracy.push(v.accuracy);
        }
        let logs = EpochLogs { epoch: self.epoch, loss, accuracy, val_loss: val.map(|v| v.loss), val_accuracy: val.map(|v| v.accuracy) };
        self.epoch += 1;
        self.batch = 0;
        self.seen = 0;
        self.loss_sum = 0.0;
        self.correct = 0;
        self.counted = 0;
        Ok(Event::Epoch(logs))
    }
}

impl Sequential {
    /// `model.fit(x, y, epochs, batch_size, shuffle, validation_data)`. `callback`
    /// sees every batch and epoch end (and warnings, as `Err` strings first) and can
    /// stop between batches, keeping the weights reached so far.
    pub fn fit(&mut self, x: &Tensor, y: &Tensor, opts: FitOptions, callback: &mut dyn FnMut(&Event, &[String]) -> Control) -> Result<History> {
        let mut session = FitSession::new(self, x, y, opts)?;
        let warnings = session.history().warnings.clone();
        let mut first = true;
        loop {
            let ev = session.step(self)?;
            if ev == Event::Done {
                break;
            }
            let control = callback(&ev, if first { &warnings } else { &[] });
            first = false;
            if control == Control::Stop {
                break;
            }
        }
        Ok(session.into_history())
    }

    /// `fit` without a callback.
    pub fn fit_quiet(&mut self, x: &Tensor, y: &Tensor, opts: FitOptions) -> Result<History> {
        self.fit(x, y, opts, &mut |_, _| Control::Continue)
    }
}
