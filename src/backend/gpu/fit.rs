//! `GpuFitSession`: `fit` on the GPU one step at a time, the GPU counterpart of
//! [`FitSession`](crate::train::fit::FitSession), so a browser can yield to its
//! event loop between batches exactly as it does on the CPU.
//!
//! Same semantics as the CPU session: the same shuffles from `opts.seed`, a frozen,
//! deterministic base's features computed once (here on the GPU, at the first step),
//! Keras' per-epoch means, validation at every epoch end. What differs is *when* things
//! are known: a batch `step` only enqueues work (one submission, no readback), so its
//! event carries no loss (`NaN`: the GPU has not finished it yet); the epoch end awaits
//! the GPU's loss and accuracy sums, the validation, and reads the weights back into the
//! `Sequential`. That read-back is a **checkpoint**: the state the fit can go on from on
//! the CPU if the device is lost (see [`super::fallback`]). `checkpoint_every` adds
//! checkpoints every so many batches, each costing one round trip to the GPU.

use std::cell::RefCell;
use std::rc::Rc;

use super::context::GpuContext;
use super::model::GpuModel;
use crate::error::{Error, Result};
use crate::model::Sequential;
use crate::rng::Rng;
use crate::tensor::{gather_rows, Tensor};
use crate::train::fit::{check_fit, BatchLogs, EpochLogs, Event, FitOptions, FitPosition, History};

pub struct GpuFitSession {
    gpu: GpuModel,
    opts: FitOptions,
    /// Training inputs, or (after the first step) the frozen base's features when `from > 0`.
    x: Tensor,
    y: Tensor,
    val: Option<(Tensor, Tensor)>,
    from: usize,
    prepared: bool,
    n: usize,
    order: Vec<usize>,
    rng: Rng,
    epoch: usize,
    batch: usize,
    /// The epoch whose order is in `order` (so a retried step never reshuffles).
    shuffled: Option<usize>,
    generation: u64,
    history: History,
    /// Batches between mid-epoch checkpoints; 0: at epoch ends only.
    checkpoint_every: usize,
    /// The last state read back into the model (and the history that goes with it).
    checkpoint: FitPosition,
}

fn borrow_mut(model: &RefCell<Sequential>) -> Result<std::cell::RefMut<'_, Sequential>> {
    model.try_borrow_mut().map_err(|_| Error::busy("another call is using it"))
}

impl GpuFitSession {
    /// Checks everything as the CPU session does and uploads the model (weights and
    /// optimizer state) for batches of `opts.batch_size`. No GPU work is awaited here.
    pub fn new(ctx: Rc<GpuContext>, model: &Sequential, x: &Tensor, y: &Tensor, opts: FitOptions, checkpoint_every: usize) -> Result<GpuFitSession> {
        let history = check_fit(model, x, y, &opts)?;
        // Validation runs in chunks of max(batch, 32), as on the CPU.
        let gpu = GpuModel::new(ctx, model, opts.batch_size.max(32))?;
        let from = gpu.cacheable_prefix(opts.cache_frozen_features);
        let n = x.shape()[0];
        Ok(GpuFitSession {
            gpu,
            x: x.clone(),
            y: y.clone(),
            val: opts.validation.clone(),
            from,
            prepared: false,
            n,
            order: (0..n).collect(),
            rng: Rng::new(opts.seed),
            epoch: 0,
            batch: 0,
            shuffled: None,
            generation: model.generation(),
            history,
            checkpoint_every,
            checkpoint: FitPosition::default(),
            opts: FitOptions { validation: None, ..opts },
        })
    }

    pub fn context(&self) -> &Rc<GpuContext> {
        self.gpu.context()
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.n.div_ceil(self.opts.batch_size)
    }

    pub fn epochs(&self) -> usize {
        self.opts.epochs
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.opts.epochs
    }

    /// The last state read back into the model: where a CPU session can go on from.
    pub fn checkpoint(&self) -> FitPosition {
        self.checkpoint
    }

    /// Where the GPU is (enqueued work included).
    pub fn position(&self) -> (usize, usize) {
        (self.epoch, self.batch)
    }

    /// Enqueues the next batch (returns at once), or at the epoch's end awaits the
    /// metrics and the validation and reads the state back into `model`.
    pub async fn step(&mut self, model: &RefCell<Sequential>) -> Result<Event> {
        if self.is_done() {
            return Ok(Event::Done);
        }
        if model.try_borrow().map_err(|_| Error::busy("another call is using it"))?.generation() != self.generation {
            return Err(Error::Config("the model was recompiled during fit; start a new fit".into()));
        }
        if !self.prepared {
            if self.from > 0 {
                // The frozen base's features, once, on the GPU (inference mode).
                let bs = self.gpu.max_batch();
                self.x = self.gpu.forward_range(0, self.from, &self.x, bs).await?;
                if let Some((vx, vy)) = self.val.take() {
                    self.val = Some((self.gpu.forward_range(0, self.from, &vx, bs).await?, vy));
                }
            }
            self.prepared = true;
        }
        let batches = self.batches_per_epoch();
        if self.shuffled != Some(self.epoch) {
            self.order = (0..self.n).collect();
            if self.opts.shuffle {
                self.rng.shuffle(&mut self.order);
            }
            self.shuffled = Some(self.epoch);
        }
        if self.batch < batches {
            let start = self.batch * self.opts.batch_size;
            let rows = &self.order[start..(start + self.opts.batch_size).min(self.n)];
            self.gpu.train_step_from(self.from, &gather_rows(&self.x, rows), &gather_rows(&self.y, rows))?;
            self.batch += 1;
            if self.checkpoint_every > 0 && self.batch.is_multiple_of(self.checkpoint_every) && self.batch < batches {
                self.save_checkpoint(model).await?;
            }
            return Ok(Event::Batch(BatchLogs { epoch: self.epoch, batch: self.batch - 1, batches, loss: f64::NAN, accuracy: f64::NAN }));
        }
        let (loss, accuracy) = self.gpu.take_metrics().await.map_err(|e| match e {
            Error::Diverged(m) => Error::Diverged(format!("epoch {}: {m}", self.epoch + 1)),
            other => other,
        })?;
        let val = match &self.val {
            Some((vx, vy)) => Some(self.gpu.evaluate_from(self.from, vx, vy, self.opts.batch_size.max(32)).await?),
            None => None,
        };
        let state = self.gpu.read_state().await?;
        state.apply(&mut *borrow_mut(model)?)?;
        self.history.loss.push(loss);
        self.history.accuracy.push(accuracy);
        if let Some(v) = val {
            self.history.val_loss.push(v.loss);
            self.history.val_accuracy.push(v.accuracy);
        }
        let logs = EpochLogs { epoch: self.epoch, loss, accuracy, val_loss: val.map(|v| v.loss), val_accuracy: val.map(|v| v.accuracy) };
        self.epoch += 1;
        self.batch = 0;
        self.checkpoint = FitPosition { epoch: self.epoch, ..FitPosition::default() };
        Ok(Event::Epoch(logs))
    }

    /// Steps until the fit is done and returns its history: `fit` in one call, for
    /// native callers (a browser steps one event at a time, to yield between batches).
    /// As after the CPU's `fit`, the model holds the GPU's state when this returns, also
    /// after a divergence (then: the state after the last finite step).
    pub async fn run_to_end(&mut self, model: &RefCell<Sequential>) -> Result<History> {
        loop {
            match self.step(model).await {
                Ok(Event::Done) => return Ok(self.history.clone()),
                Ok(_) => {}
                Err(e @ Error::Diverged(_)) => {
                    // No update was applied from the bad step on: what the GPU holds is
                    // the last finite state. (Best effort: the divergence is the news.)
                    let _ = self.save_checkpoint(model).await;
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the current state (weights, optimizer state, this epoch's running sums)
    /// back into `model` now: after a stop, or before using the model elsewhere.
    pub async fn save_checkpoint(&mut self, model: &RefCell<Sequential>) -> Result<()> {
        let (loss_sum, correct, counted, seen) = self.gpu.peek_metrics().await?;
        let state = self.gpu.read_state().await?;
        state.apply(&mut *borrow_mut(model)?)?;
        self.checkpoint = FitPosition { epoch: self.epoch, batch: self.batch, loss_sum, correct, counted, seen };
        Ok(())
    }
}
