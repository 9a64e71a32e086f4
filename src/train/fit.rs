//! The `fit` loop as a resumable session: `FitSession::step` runs one batch (or the
//! end-of-epoch validation) and returns, so the browser can yield to its event loop
//! between steps (progress, stop, resume) and a native caller can loop to the end.
//! Its vocabulary ([`FitOptions`]; logs, events, positions and history, re-exported
//! here from `options.rs` and `logs.rs`) and its bookkeeping ([`FitCursor`]) are shared
//! with the GPU's session, which supplies only the steps.
//!
//! While the base of a model is frozen and deterministic (no active dropout below
//! the first trainable layer), its output does not change during `fit`: the session
//! computes those features once per image and trains only the layers above them.
//! Results are the same as running the whole model every step.

use super::cursor::{FitCursor, Next};
pub use super::logs::{BatchLogs, Control, EpochLogs, Event, FitPosition, History};
pub use super::options::FitOptions;
use super::step;
use crate::error::{Error, Result};
use crate::limits;
use crate::model::Sequential;
use crate::tensor::{check_example_shape, check_finite, gather_rows, Tensor};

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
    crate::limits::check_fit_batch(
        model,
        n,
        opts.validation.as_ref().map_or(0, |(vx, _)| vx.shape().first().copied().unwrap_or(0)),
        opts.batch_size,
    )
    .map_err(|e| e.context("fit"))?;
    let out = model.output_shape();
    compiled.loss.check_targets(y, n, &out)?;
    if let Some((vx, vy)) = &opts.validation {
        check_example_shape(vx, model.input_shape(), "validation_data")?;
        check_finite(vx, "validation_data")?;
        if vx.shape()[0] == 0 {
            return Err(Error::Data("validation_data: no examples".into()));
        }
        compiled
            .loss
            .check_targets(vy, vx.shape()[0], &out)
            .map_err(|e| Error::Data(format!("validation_data: {e}")))?;
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

/// Whether the layers below the first trainable one can run once per image instead of
/// every step: they are frozen (the compile snapshot) and deterministic (no active
/// dropout). Returns the first layer a fit must run each step (0: the whole model).
/// With nothing trainable there is no cache: the loss needs the last layer's own pass.
/// Both backends decide with this, so they train the same layers on the same inputs.
/// The cache is also skipped (training then runs the base every step, with the same
/// result) when the features of all `examples` (training and validation) would take
/// more than [`limits::MAX_FEATURE_CACHE_BYTES`]: a frozen first convolution can make
/// them many times larger than the inputs.
pub(crate) fn cacheable_prefix(model: &Sequential, cache: bool, examples: usize) -> usize {
    let layers = model.layers();
    let first = model.first_trainable().unwrap_or(layers.len());
    let deterministic = layers[..first].iter().all(|l| !l.borrow().layer.is_stochastic());
    if !(cache && deterministic && first > 0 && first < layers.len()) {
        return 0;
    }
    let per_example = layers[first - 1].borrow().output_shape.iter().try_fold(4u64, |b, &d| b.checked_mul(d as u64));
    let bytes = per_example.and_then(|b| b.checked_mul(examples as u64));
    match bytes {
        Some(b) if b <= limits::MAX_FEATURE_CACHE_BYTES as u64 => first,
        _ => 0,
    }
}

/// Training plus validation examples of a fit (what a frozen-feature cache would hold).
pub(crate) fn examples(x: &Tensor, opts: &FitOptions) -> usize {
    x.shape()[0] + opts.validation.as_ref().map_or(0, |(vx, _)| vx.shape()[0])
}

/// The training and validation data of a fit as they enter layer `from`: the inputs,
/// or the frozen base's features (computed once, by the backend).
pub(crate) struct FitData {
    pub from: usize,
    pub x: Tensor,
    pub y: Tensor,
    pub val: Option<(Tensor, Tensor)>,
}

impl FitData {
    /// The batch with these rows.
    pub fn rows(&self, rows: &[usize]) -> (Tensor, Tensor) {
        (gather_rows(&self.x, rows), gather_rows(&self.y, rows))
    }
}

/// `fit` on the CPU one step at a time: the shared [`FitCursor`] says what comes next,
/// [`step::train_step`](super::step::train_step) trains.
pub struct FitSession {
    cursor: FitCursor,
    data: FitData,
    /// Validation runs in chunks of this many examples.
    val_batch: usize,
    generation: u64,
}

impl FitSession {
    /// Checks everything up front (shapes, labels, compile state) so that `step`
    /// only fails for reasons that arise during training.
    pub fn new(model: &Sequential, x: &Tensor, y: &Tensor, opts: FitOptions) -> Result<FitSession> {
        let history = check_fit(model, x, y, &opts)?;
        let cursor = FitCursor::new(x.shape()[0], &opts, history);
        // A frozen, deterministic base: compute its features once.
        let from = cacheable_prefix(model, opts.cache_frozen_features, examples(x, &opts));
        let feature_batch = 64;
        let features =
            |t: &Tensor| if from > 0 { model.forward_range_batched(0, from, t, feature_batch) } else { Ok(t.clone()) };
        let val = match &opts.validation {
            Some((vx, vy)) => Some((features(vx)?, vy.clone())),
            None => None,
        };
        let data = FitData { from, x: features(x)?, y: y.clone(), val };
        Ok(FitSession { cursor, data, val_batch: opts.batch_size.max(32), generation: model.generation() })
    }

    /// A session that starts at `at` (after `at.batch` batches of epoch `at.epoch`,
    /// with that epoch's running sums) with the `history` of the epochs before it, as
    /// if this session had run them: the remaining batches see the same order as an
    /// uninterrupted run (see [`FitCursor`]). Used to go on on the CPU when a GPU fit
    /// loses its device; `model` then holds the state read back from the GPU at `at`.
    pub fn resume_at(
        model: &Sequential,
        x: &Tensor,
        y: &Tensor,
        opts: FitOptions,
        at: FitPosition,
        history: History,
    ) -> Result<FitSession> {
        let mut s = FitSession::new(model, x, y, opts.clone())?;
        let warnings = s.cursor.history().warnings.clone();
        s.cursor = FitCursor::at(x.shape()[0], &opts, at, History { warnings, ..history });
        Ok(s)
    }

    /// Where the session stands: what [`FitSession::resume_at`] takes.
    pub fn position(&self) -> FitPosition {
        self.cursor.position()
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.cursor.batches_per_epoch()
    }

    pub fn epoch(&self) -> usize {
        self.cursor.epoch()
    }

    pub fn history(&self) -> &History {
        self.cursor.history()
    }

    pub fn into_history(self) -> History {
        self.cursor.into_history()
    }

    pub fn is_done(&self) -> bool {
        self.cursor.is_done()
    }

    /// Runs the next batch, or the epoch's end (validation) after its last batch.
    pub fn step(&mut self, model: &mut Sequential) -> Result<Event> {
        if !self.is_done() && model.generation() != self.generation {
            return Err(Error::Config("the model was recompiled during fit; start a new fit".into()));
        }
        match self.cursor.next_step() {
            Next::Done => Ok(Event::Done),
            Next::Batch { epoch, batch, rows } => {
                let (xb, yb) = self.data.rows(rows);
                let sums = step::train_step(model, self.data.from, xb, &yb).map_err(|e| at_batch(e, epoch, batch))?;
                Ok(Event::Batch(self.cursor.batch_done(Some(sums))))
            }
            Next::EpochEnd { .. } => {
                let val = match &self.data.val {
                    Some((vx, vy)) => Some(model.evaluate_from(self.data.from, vx, vy, self.val_batch)?),
                    None => None,
                };
                Ok(Event::Epoch(self.cursor.epoch_done(None, val)))
            }
        }
    }
}

/// A divergence, with the (1-based) epoch and batch where it happened in front.
pub(crate) fn at_batch(e: Error, epoch: usize, batch: usize) -> Error {
    match e {
        Error::Diverged(m) => Error::Diverged(format!("epoch {}, batch {}: {m}", epoch + 1, batch + 1)),
        other => other,
    }
}

impl Sequential {
    /// `model.fit(x, y, epochs, batch_size, shuffle, validation_data)`. `callback`
    /// sees every batch and epoch end (and warnings, as `Err` strings first) and can
    /// stop between batches, keeping the weights reached so far.
    pub fn fit(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        opts: FitOptions,
        callback: &mut dyn FnMut(&Event, &[String]) -> Control,
    ) -> Result<History> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Activation, LayerSpec, Loss, OptimizerConfig, Padding};

    /// A frozen first convolution (16 maps of 28 x 28: 50,176 bytes of features an image)
    /// and a Flatten (no weights: the cache holds its output, the Dense head's input).
    fn frozen_conv() -> Sequential {
        let specs = [
            LayerSpec::conv2d(16, 3, Padding::Same, Activation::Relu),
            LayerSpec::Flatten,
            LayerSpec::dense(1, Activation::Sigmoid),
        ];
        let mut m = Sequential::from_specs(&[28, 28, 1], &specs, 3).unwrap();
        m.layers()[0].set_trainable(false);
        m.compile(Loss::BinaryCrossentropy, OptimizerConfig::sgd(0.01)).unwrap();
        m
    }

    #[test]
    fn the_frozen_feature_cache_has_a_byte_budget() {
        let m = frozen_conv();
        let per_example = 28 * 28 * 16 * 4;
        let fits = limits::MAX_FEATURE_CACHE_BYTES / per_example;
        assert_eq!(cacheable_prefix(&m, true, fits), 2, "within the budget the base runs once");
        assert_eq!(cacheable_prefix(&m, true, fits + 1), 0, "over it, every step (no huge allocation)");
        assert_eq!(cacheable_prefix(&m, false, 10), 0);
        assert_eq!(cacheable_prefix(&m, true, usize::MAX), 0, "an overflowing count is over the budget");
    }
}
