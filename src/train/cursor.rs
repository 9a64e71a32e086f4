//! [`FitCursor`]: the bookkeeping of a `fit`, said once for both backends: which batch
//! comes next and which rows it holds (the epoch's shuffle), the epoch's running sums,
//! its means and Keras' `History`. The sessions ([`super::fit::FitSession`] on the CPU,
//! `gpu::GpuFitSession`) supply only the work: train on these rows, end this epoch.
//!
//! The cursor is a plain state machine (no model, no I/O): ask [`FitCursor::next_step`]
//! what to do, do it, then report it with [`FitCursor::batch_done`] or
//! [`FitCursor::epoch_done`]. Until then `next_step` answers the same, so a step that
//! failed can be retried and sees the same rows.
//!
//! # Order
//! Epoch `e`'s order is the `e`-th shuffle drawn from `Rng::new(seed)`, each of the
//! identity permutation, drawn when the epoch's first batch is asked for. A shuffle
//! consumes the generator according to `n` only, so a cursor placed at any position
//! ([`FitCursor::at`]) sees the same order as one that ran up to it: CPU and GPU fits,
//! and a fit resumed on the CPU after the GPU was lost, all train on the same batches.

use super::logs::{BatchLogs, EpochLogs, FitPosition, History};
use super::options::FitOptions;
use super::step::StepSums;
use crate::model::sequential::Evaluation;
use crate::rng::Rng;

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next<'a> {
    /// Train on these rows (indices into the training set), batch `batch` of `epoch`.
    Batch {
        epoch: usize,
        batch: usize,
        rows: &'a [usize],
    },
    /// All of `epoch`'s batches are done: validate and close it.
    EpochEnd {
        epoch: usize,
    },
    Done,
}

#[derive(Debug, Clone)]
pub struct FitCursor {
    n: usize,
    epochs: usize,
    batch_size: usize,
    shuffle: bool,
    rng: Rng,
    order: Vec<usize>,
    /// Epoch orders drawn so far; `order` is epoch `drawn - 1`'s.
    drawn: usize,
    epoch: usize,
    /// Batches of `epoch` done.
    batch: usize,
    /// Examples of `epoch` done.
    seen: usize,
    sums: StepSums,
    /// A batch of this epoch was reported without its sums (enqueued on the GPU): the
    /// running means are unknown until the epoch end supplies the epoch's sums.
    pending: bool,
    history: History,
}

impl FitCursor {
    /// A cursor at the start of a fit over `n` examples (`n > 0`, `opts.batch_size > 0`:
    /// `check_fit` makes sure of both), with `history` to append to (its warnings).
    pub fn new(n: usize, opts: &FitOptions, history: History) -> FitCursor {
        FitCursor {
            n,
            epochs: opts.epochs,
            batch_size: opts.batch_size.max(1),
            shuffle: opts.shuffle,
            rng: Rng::new(opts.seed),
            order: (0..n).collect(),
            drawn: 0,
            epoch: 0,
            batch: 0,
            seen: 0,
            sums: StepSums::default(),
            pending: false,
            history,
        }
    }

    /// A cursor at `at` (after `at.batch` batches of epoch `at.epoch`, with that epoch's
    /// running sums) holding `history` for the epochs before, as if it had run them.
    pub fn at(n: usize, opts: &FitOptions, at: FitPosition, history: History) -> FitCursor {
        let mut c = FitCursor::new(n, opts, history);
        c.epoch = at.epoch.min(c.epochs);
        if at.batch > 0 && c.epoch < c.epochs {
            c.batch = at.batch.min(c.batches_per_epoch());
            c.seen = at.seen;
            c.sums = StepSums { loss_sum: at.loss_sum, correct: at.correct, counted: at.counted };
        }
        c
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.n.div_ceil(self.batch_size)
    }

    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// The epoch in progress (`epochs()` when done).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Batches of the current epoch done.
    pub fn batch(&self) -> usize {
        self.batch
    }

    pub fn is_done(&self) -> bool {
        self.epoch >= self.epochs
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn into_history(self) -> History {
        self.history
    }

    /// Where the fit stands, with the running sums as reported (zero while they are
    /// pending on the GPU: a GPU session supplies its own when it checkpoints).
    pub fn position(&self) -> FitPosition {
        let s = if self.pending { StepSums::default() } else { self.sums };
        FitPosition {
            epoch: self.epoch,
            batch: self.batch,
            loss_sum: s.loss_sum,
            correct: s.correct,
            counted: s.counted,
            seen: self.seen,
        }
    }

    /// What to do next; the same answer until it is reported done.
    pub fn next_step(&mut self) -> Next<'_> {
        if self.is_done() {
            return Next::Done;
        }
        if self.batch >= self.batches_per_epoch() {
            return Next::EpochEnd { epoch: self.epoch };
        }
        while self.drawn <= self.epoch {
            if self.shuffle {
                self.order = (0..self.n).collect();
                self.rng.shuffle(&mut self.order);
            }
            self.drawn += 1;
        }
        let start = self.batch * self.batch_size;
        Next::Batch {
            epoch: self.epoch,
            batch: self.batch,
            rows: &self.order[start..(start + self.batch_size).min(self.n)],
        }
    }

    /// Reports the batch [`next_step`](Self::next_step) gave as trained, with what it
    /// measured, or `None` where that is not known yet (enqueued on the GPU: the logs'
    /// means are NaN until the epoch end). Returns Keras' per-batch logs (running means
    /// of the epoch).
    pub fn batch_done(&mut self, sums: Option<StepSums>) -> BatchLogs {
        debug_assert!(!self.is_done() && self.batch < self.batches_per_epoch(), "batch_done without a batch to do");
        let start = self.batch * self.batch_size;
        self.seen += self.batch_size.min(self.n.saturating_sub(start));
        match sums {
            Some(s) => self.sums.add(s),
            None => self.pending = true,
        }
        self.batch += 1;
        let (loss, accuracy) = self.means();
        BatchLogs { epoch: self.epoch, batch: self.batch - 1, batches: self.batches_per_epoch(), loss, accuracy }
    }

    /// Closes the epoch [`next_step`](Self::next_step) said was over: its means go into
    /// the history with the validation result, and the next epoch starts. `sums`, when
    /// given, are the whole epoch's (a GPU session reads them back here) and replace
    /// those reported.
    pub fn epoch_done(&mut self, sums: Option<StepSums>, val: Option<Evaluation>) -> EpochLogs {
        if let Some(s) = sums {
            self.sums = s;
            self.pending = false;
        }
        let (loss, accuracy) = self.means();
        self.history.loss.push(loss);
        self.history.accuracy.push(accuracy);
        if let Some(v) = val {
            self.history.val_loss.push(v.loss);
            self.history.val_accuracy.push(v.accuracy);
        }
        let logs = EpochLogs {
            epoch: self.epoch,
            loss,
            accuracy,
            val_loss: val.map(|v| v.loss),
            val_accuracy: val.map(|v| v.accuracy),
        };
        self.epoch += 1;
        self.batch = 0;
        self.seen = 0;
        self.sums = StepSums::default();
        self.pending = false;
        logs
    }

    /// Keras' running means over the epoch so far: loss per example, accuracy per counted
    /// prediction (NaN while pending).
    fn means(&self) -> (f64, f64) {
        if self.pending {
            return (f64::NAN, f64::NAN);
        }
        (self.sums.loss_sum / self.seen.max(1) as f64, self.sums.correct as f64 / self.sums.counted.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(epochs: usize, batch_size: usize, shuffle: bool) -> FitOptions {
        FitOptions { epochs, batch_size, shuffle, seed: 3, ..FitOptions::default() }
    }

    /// Every (epoch, rows) the cursor hands out from its position to the end.
    fn drain(c: &mut FitCursor) -> Vec<(usize, Vec<usize>)> {
        let mut out = Vec::new();
        loop {
            match c.next_step() {
                Next::Done => return out,
                Next::Batch { epoch, rows, .. } => {
                    out.push((epoch, rows.to_vec()));
                    c.batch_done(Some(StepSums { loss_sum: 1.0, correct: 1, counted: 2 }));
                }
                Next::EpochEnd { .. } => {
                    c.epoch_done(None, None);
                }
            }
        }
    }

    #[test]
    fn each_epoch_is_a_permutation_split_into_batches() {
        let mut c = FitCursor::new(10, &opts(3, 4, true), History::default());
        assert_eq!(c.batches_per_epoch(), 3);
        let batches = drain(&mut c);
        assert_eq!(batches.len(), 9);
        for e in 0..3 {
            let rows: Vec<&Vec<usize>> = batches.iter().filter(|b| b.0 == e).map(|b| &b.1).collect();
            assert_eq!(rows.iter().map(|r| r.len()).collect::<Vec<_>>(), [4, 4, 2]);
            let mut all: Vec<usize> = rows.into_iter().flatten().copied().collect();
            assert_ne!(all, (0..10).collect::<Vec<_>>(), "epoch {e} is not shuffled");
            all.sort();
            assert_eq!(all, (0..10).collect::<Vec<_>>());
        }
        // Each epoch draws its own shuffle.
        assert_ne!(batches[0].1, batches[3].1);
        // 3 epochs: means of 1.0 per 4, 4, 2 examples -> 3/10; accuracy 1/2.
        assert_eq!(c.history().loss, [0.3; 3]);
        assert_eq!(c.history().accuracy, [0.5; 3]);
    }

    #[test]
    fn without_shuffle_every_epoch_is_in_order() {
        let mut c = FitCursor::new(5, &opts(2, 2, false), History::default());
        let rows: Vec<Vec<usize>> = drain(&mut c).into_iter().map(|b| b.1).collect();
        assert_eq!(rows, [vec![0, 1], vec![2, 3], vec![4], vec![0, 1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn a_step_not_reported_is_handed_out_again() {
        // A failed (retried) step must see the same rows: no reshuffle before it is done.
        let mut c = FitCursor::new(10, &opts(2, 4, true), History::default());
        let first = match c.next_step() {
            Next::Batch { rows, .. } => rows.to_vec(),
            other => panic!("{other:?}"),
        };
        assert_eq!(c.next_step(), Next::Batch { epoch: 0, batch: 0, rows: &first });
    }

    #[test]
    fn a_cursor_placed_anywhere_continues_as_the_uninterrupted_one() {
        // The CPU fallback after a lost GPU relies on this: same batches from the position on.
        let mut whole = FitCursor::new(11, &opts(3, 4, true), History::default());
        let all = drain(&mut whole);
        for (skip, epoch, batch) in [(0, 0, 0), (2, 0, 2), (3, 1, 0), (4, 1, 1), (8, 2, 2)] {
            let at = FitPosition { epoch, batch, seen: batch * 4, ..FitPosition::default() };
            let mut c = FitCursor::at(11, &opts(3, 4, true), at, History::default());
            assert_eq!(drain(&mut c), all[skip..], "placed at epoch {epoch}, batch {batch}");
        }
    }

    #[test]
    fn pending_sums_come_from_the_epoch_end() {
        let mut c = FitCursor::new(6, &opts(1, 4, true), History::default());
        let Next::Batch { .. } = c.next_step() else { panic!() };
        assert!(c.batch_done(None).loss.is_nan());
        let Next::Batch { .. } = c.next_step() else { panic!() };
        c.batch_done(None);
        assert_eq!(c.next_step(), Next::EpochEnd { epoch: 0 });
        let logs = c.epoch_done(
            Some(StepSums { loss_sum: 3.0, correct: 3, counted: 6 }),
            Some(Evaluation { loss: 0.25, accuracy: 0.75 }),
        );
        assert_eq!((logs.loss, logs.accuracy, logs.val_loss, logs.val_accuracy), (0.5, 0.5, Some(0.25), Some(0.75)));
        assert_eq!(c.next_step(), Next::Done);
    }
}
