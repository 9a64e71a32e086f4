//! `GpuFitSession`: `fit` on the GPU one step at a time, the GPU counterpart of
//! [`FitSession`](crate::train::fit::FitSession), so a browser can yield to its
//! event loop between batches exactly as it does on the CPU.
//!
//! The bookkeeping is the CPU's own ([`FitCursor`]: the same batches in the same order,
//! Keras' per-epoch means, the history), as is the decision to compute a frozen,
//! deterministic base's features once (here on the GPU, at the first step); this file
//! supplies only the steps: enqueue a batch, end an epoch, checkpoint. What differs is
//! *when* things are known: a batch `step` only enqueues work (one submission, no readback), so its
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
use crate::tensor::Tensor;
use crate::train::cursor::{FitCursor, Next};
use crate::train::fit::{cacheable_prefix, check_fit, examples, Event, FitData, FitOptions, FitPosition, History};

pub struct GpuFitSession {
    gpu: GpuModel,
    cursor: FitCursor,
    /// The inputs; after the first step the frozen base's features when `data.from > 0`.
    data: FitData,
    prepared: bool,
    /// Validation runs in chunks of this many examples, as on the CPU.
    val_batch: usize,
    generation: u64,
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
    pub fn new(
        ctx: Rc<GpuContext>,
        model: &Sequential,
        x: &Tensor,
        y: &Tensor,
        opts: FitOptions,
        checkpoint_every: usize,
    ) -> Result<GpuFitSession> {
        let history = check_fit(model, x, y, &opts)?;
        let val_batch = opts.batch_size.max(32);
        let gpu = GpuModel::new(ctx, model, val_batch)?;
        let data = FitData {
            from: cacheable_prefix(model, opts.cache_frozen_features, examples(x, &opts)),
            x: x.clone(),
            y: y.clone(),
            val: opts.validation.clone(),
        };
        Ok(GpuFitSession {
            gpu,
            cursor: FitCursor::new(x.shape()[0], &opts, history),
            data,
            prepared: false,
            val_batch,
            generation: model.generation(),
            checkpoint_every,
            checkpoint: FitPosition::default(),
        })
    }

    pub fn context(&self) -> &Rc<GpuContext> {
        self.gpu.context()
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.cursor.batches_per_epoch()
    }

    pub fn epochs(&self) -> usize {
        self.cursor.epochs()
    }

    pub fn history(&self) -> &History {
        self.cursor.history()
    }

    pub fn is_done(&self) -> bool {
        self.cursor.is_done()
    }

    /// The last state read back into the model: where a CPU session can go on from.
    pub fn checkpoint(&self) -> FitPosition {
        self.checkpoint
    }

    /// Where the GPU is (enqueued work included): `(epoch, batches of it done)`.
    pub fn position(&self) -> (usize, usize) {
        (self.cursor.epoch(), self.cursor.batch())
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
            self.prepare().await?;
        }
        match self.cursor.next_step() {
            Next::Done => Ok(Event::Done),
            Next::Batch { rows, .. } => {
                let (xb, yb) = self.data.rows(rows);
                self.gpu.train_step_from(self.data.from, &xb, &yb)?;
                let logs = self.cursor.batch_done(None);
                let done = self.cursor.batch();
                if self.checkpoint_every > 0
                    && done.is_multiple_of(self.checkpoint_every)
                    && done < self.batches_per_epoch()
                {
                    self.save_checkpoint(model).await?;
                }
                Ok(Event::Batch(logs))
            }
            Next::EpochEnd { epoch } => {
                let sums = self.gpu.take_metrics().await.map_err(|e| match e {
                    Error::Diverged(m) => Error::Diverged(format!("epoch {}: {m}", epoch + 1)),
                    other => other,
                })?;
                let val = match &self.data.val {
                    Some((vx, vy)) => Some(self.gpu.evaluate_from(self.data.from, vx, vy, self.val_batch).await?),
                    None => None,
                };
                let state = self.gpu.read_state().await?;
                state.apply(&mut *borrow_mut(model)?)?;
                let logs = self.cursor.epoch_done(Some(sums), val);
                self.checkpoint = self.cursor.position();
                Ok(Event::Epoch(logs))
            }
        }
    }

    /// The frozen base's features, once, on the GPU (inference mode).
    async fn prepare(&mut self) -> Result<()> {
        let from = self.data.from;
        if from > 0 {
            let bs = self.gpu.max_batch();
            self.data.x = self.gpu.forward_range(0, from, &self.data.x, bs).await?;
            if let Some((vx, vy)) = self.data.val.take() {
                self.data.val = Some((self.gpu.forward_range(0, from, &vx, bs).await?, vy));
            }
        }
        self.prepared = true;
        Ok(())
    }

    /// Steps until the fit is done and returns its history: `fit` in one call, for
    /// native callers (a browser steps one event at a time, to yield between batches).
    /// As after the CPU's `fit`, the model holds the GPU's state when this returns, also
    /// after a divergence (then: the state after the last finite step).
    pub async fn run_to_end(&mut self, model: &RefCell<Sequential>) -> Result<History> {
        loop {
            match self.step(model).await {
                Ok(Event::Done) => return Ok(self.history().clone()),
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
        let (sums, seen) = self.gpu.peek_metrics().await?;
        let state = self.gpu.read_state().await?;
        state.apply(&mut *borrow_mut(model)?)?;
        let (epoch, batch) = self.position();
        self.checkpoint =
            FitPosition { epoch, batch, loss_sum: sums.loss_sum, correct: sums.correct, counted: sums.counted, seen };
        Ok(())
    }
}
