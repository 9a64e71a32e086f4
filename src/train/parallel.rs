//! Data-parallel training on the CPU: a batch is cut into shards, each worker (a Web
//! Worker in the page, a thread in the tests) computes the gradients of its shard on its
//! own copy of the model ([`step::gradients`]), the shards' gradients are summed in
//! worker order, and every copy applies that one sum. This file is the maths and the
//! bookkeeping of it, free of any transport: the page moves the same values through
//! `SharedArrayBuffer`s or transferred buffers (`www/worker-pool.js`).
//!
//! # Who applies the update
//! Every worker applies the same summed gradient to its own copy, with its own copy of
//! the optimizer state. The alternative, the coordinator applies and sends the new
//! weights, moves as many floats per step (a gradient and the trainable weights have
//! the same size) but needs a second hop: the replicas would wait for the coordinator's
//! update before their next step. With shared memory every worker reads the shards'
//! gradients straight from the shared board, sums them in the same order and applies
//! them at the same time, so no weights travel at all. The copies stay bit-identical
//! because the update is a deterministic function of identical inputs: the same
//! WebAssembly, the same summed bits, the same optimizer state (tested natively and in
//! the page: after a fit every replica's weights equal the coordinator's).
//!
//! # Same result whatever the timing
//! The shards are fixed by the batch's rows and the worker count ([`shard_ranges`]) and
//! are summed in worker order, whichever arrives first, so a run is reproducible; it
//! equals the one-worker run within float rounding (a sum of shard gradients is the
//! whole batch's gradient added in another order; see [`step`]).
//!
//! # When one worker it is
//! [`sharding_blocker`]: a trainable BatchNormalization normalises with its batch's
//! statistics in training mode and an active Dropout draws its masks per forward pass;
//! with either, a sharded step is a different step from the whole-batch one, so such a
//! fit runs on one worker (and says why).
//!
//! # The frozen-feature cache and validation
//! Worker `i` computes the frozen base's features of its slice of the training images
//! ([`feature_slices`]); the coordinator joins them ([`ParallelFit::set_train_features`])
//! and is the only one to hold the training data: every step it gathers each shard's
//! rows ([`ParallelFit::shard_input`]) and they travel with the step (a few kilobytes),
//! so a replica's memory does not grow with the training set and a fit starts without
//! copying it to every worker. Validation images stay split: worker `i` computes the
//! features of, and evaluates, its own slice ([`Replica::validation_sums`]), and the
//! coordinator adds the sums in worker order.

use std::ops::Range;

use super::cursor::{FitCursor, Next};
use super::fit::{at_batch, cacheable_prefix, check_fit, examples, Event, FitOptions, History};
use super::step::{self, Gradients, StepSums};
use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::loss::Loss;
use crate::model::io::{from_tfjs, to_tfjs};
use crate::model::sequential::Evaluation;
use crate::model::Sequential;
use crate::optim::OptimizerConfig;
use crate::tensor::{from_vec, gather_rows, row_range, Tensor};

/// The fewest rows a training shard gets: a worker's step on fewer rows costs more in
/// round trips and small GEMMs than it saves (a batch of 7 stays on one worker; the
/// lecture's 200 images in batches of 32 end with a batch of 8, split in two).
pub const MIN_SHARD_ROWS: usize = 4;

/// The fewest images a worker validates or computes features of.
pub const MIN_SLICE_ROWS: usize = 32;

/// The most workers a fit uses: each holds a copy of the model and the data, and with
/// more workers than this a batch of 32 is cut below [`MIN_SHARD_ROWS`] anyway.
pub const MAX_WORKERS: usize = 16;

/// Rows `0..rows` cut into at most `workers` contiguous ranges, in worker order, of
/// sizes differing by at most one and at least `min` (fewer ranges when the rows are
/// few). Depends on nothing else, so every run of a fit cuts its batches alike.
pub fn split_rows(rows: usize, workers: usize, min: usize) -> Vec<Range<usize>> {
    let k = workers.clamp(1, MAX_WORKERS).min(rows / min.max(1)).max(1);
    let (base, extra) = (rows / k, rows % k);
    let mut start = 0;
    (0..k)
        .map(|i| {
            let len = base + usize::from(i < extra);
            start += len;
            start - len..start
        })
        .collect()
}

/// The shards of a training batch of `rows` rows for `workers` workers.
pub fn shard_ranges(rows: usize, workers: usize) -> Vec<Range<usize>> {
    split_rows(rows, workers, MIN_SHARD_ROWS)
}

/// The slices of `n` training or validation images whose features (and validation)
/// each worker computes.
pub fn feature_slices(n: usize, workers: usize) -> Vec<Range<usize>> {
    split_rows(n, workers, MIN_SLICE_ROWS)
}

/// Why a fit of this compiled model cannot be split across workers (`None`: it can).
/// The answer names the layer and says why, for the learner.
pub fn sharding_blocker(model: &Sequential) -> Result<Option<String>> {
    let c = model.compiled()?;
    for (i, l) in model.layers().iter().enumerate() {
        let node = l.borrow();
        match &node.layer {
            Layer::BatchNormalization(_) if c.trainable[i] => {
                return Ok(Some(format!(
                    "layer {i} '{}' is a trainable BatchNormalization: in training it normalises with its batch's statistics, so a batch split across workers would be normalised differently",
                    node.name
                )))
            }
            layer if layer.is_stochastic() => {
                return Ok(Some(format!(
                    "layer {i} '{}' is a Dropout layer: it draws a new mask on every pass, so workers would drop different units than one worker does",
                    node.name
                )))
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The shapes of a compiled model's gradient slots, in slot order.
pub fn slot_shapes(model: &Sequential) -> Result<Vec<Vec<usize>>> {
    let c = model.compiled()?;
    Ok(c.slots.iter().map(|&(li, pi)| model.layers()[li].borrow().layer.params()[pi].value.shape().to_vec()).collect())
}

/// Floats in a model's flat gradient (every slot, in slot order).
pub fn flat_len(shapes: &[Vec<usize>]) -> usize {
    shapes.iter().map(|s| s.iter().product::<usize>()).sum()
}

impl Gradients {
    /// The slots one after another, in slot order: what travels between workers.
    pub fn write_flat(&self, out: &mut [f32]) {
        let mut at = 0;
        for g in &self.slots {
            let len = g.len();
            out[at..at + len].copy_from_slice(&crate::tensor::contiguous(g));
            at += len;
        }
    }

    pub fn to_flat(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.slots.iter().map(|g| g.len()).sum()];
        self.write_flat(&mut out);
        out
    }

    /// Gradients from their flat form (as [`Gradients::write_flat`] wrote them).
    pub fn from_flat(shapes: &[Vec<usize>], flat: &[f32], sums: StepSums, rows: usize) -> Result<Gradients> {
        if flat.len() != flat_len(shapes) {
            return Err(Error::Shape(format!(
                "a flat gradient of {} values for a model with {} trainable values",
                flat.len(),
                flat_len(shapes)
            )));
        }
        let mut at = 0;
        let slots = shapes
            .iter()
            .map(|s| {
                let len: usize = s.iter().product();
                at += len;
                from_vec(s, flat[at - len..at].to_vec())
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Gradients { slots, sums, rows })
    }
}

impl Gradients {
    /// Overwrites these gradients with a flat one (as [`Gradients::write_flat`] wrote
    /// it), keeping their buffers; the sums and rows are reset.
    pub fn load_flat(&mut self, flat: &[f32]) -> Result<()> {
        self.with_flat(flat, |a, b| *a = b)?;
        self.sums = StepSums::default();
        self.rows = 0;
        Ok(())
    }

    /// Adds another shard's gradients given flat (as [`Gradients::write_flat`] wrote
    /// them), without building tensors: the same sums as [`Gradients::add`].
    pub fn add_flat(&mut self, flat: &[f32], sums: StepSums, rows: usize) -> Result<()> {
        self.with_flat(flat, |a, b| *a += b)?;
        self.sums.add(sums);
        self.rows += rows;
        Ok(())
    }

    /// `f(value, flat value)` over every slot's values and the flat gradient's, in slot
    /// order; a flat gradient of another length is refused before anything changes.
    fn with_flat(&mut self, flat: &[f32], f: impl Fn(&mut f32, f32)) -> Result<()> {
        let len: usize = self.slots.iter().map(|g| g.len()).sum();
        if flat.len() != len {
            return Err(Error::Shape(format!("a flat gradient of {} values for {len} trainable values", flat.len())));
        }
        let mut at = 0;
        for g in &mut self.slots {
            let n = g.len();
            g.iter_mut().zip(&flat[at..at + n]).for_each(|(a, b)| f(a, *b));
            at += n;
        }
        Ok(())
    }
}

/// Everything a worker needs to hold a copy of a compiled model: its architecture and
/// weights (the project's TF.js format), the compile-time `trainable` flags, the loss,
/// the optimizer with its state, and the layer the fit's data enters at.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSpec {
    pub model_json: String,
    pub weights: Vec<u8>,
    pub trainable: Vec<bool>,
    pub loss: Loss,
    pub optimizer: OptimizerConfig,
    pub optimizer_state: Vec<Vec<f32>>,
    pub optimizer_steps: i32,
    pub from: usize,
    /// Validation sums are added per group of this many examples (as `fit` does).
    pub val_batch: usize,
    /// One example's label shape (`[]` for class indices): what a shard's `y` rows hold.
    pub label_shape: Vec<usize>,
}

fn optimizer_to_json(o: &OptimizerConfig) -> serde_json::Value {
    match *o {
        OptimizerConfig::Sgd { learning_rate, momentum, nesterov } => {
            serde_json::json!({"kind": "sgd", "learning_rate": learning_rate, "momentum": momentum, "nesterov": nesterov})
        }
        OptimizerConfig::Adam { learning_rate, beta_1, beta_2, epsilon } => serde_json::json!({
            "kind": "adam", "learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon
        }),
    }
}

fn optimizer_from_json(v: &serde_json::Value) -> Result<OptimizerConfig> {
    let f = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_f64)
            .map(|x| x as f32)
            .ok_or_else(|| bad_spec(&format!("optimizer {k}")))
    };
    match v.get("kind").and_then(serde_json::Value::as_str) {
        Some("sgd") => Ok(OptimizerConfig::Sgd {
            learning_rate: f("learning_rate")?,
            momentum: f("momentum")?,
            nesterov: v.get("nesterov").and_then(serde_json::Value::as_bool).unwrap_or(false),
        }),
        Some("adam") => Ok(OptimizerConfig::Adam {
            learning_rate: f("learning_rate")?,
            beta_1: f("beta_1")?,
            beta_2: f("beta_2")?,
            epsilon: f("epsilon")?,
        }),
        _ => Err(bad_spec("optimizer kind")),
    }
}

fn bad_spec(what: &str) -> Error {
    Error::Format(format!("a replica spec without a valid {what}"))
}

impl ReplicaSpec {
    /// The spec of a compiled model whose fit data enters at layer `from`, with labels
    /// of per-example shape `label_shape`.
    pub fn of(model: &Sequential, from: usize, val_batch: usize, label_shape: &[usize]) -> Result<ReplicaSpec> {
        let c = model.compiled()?;
        let (model_json, weights) = to_tfjs(model);
        Ok(ReplicaSpec {
            model_json,
            weights,
            trainable: c.trainable.clone(),
            loss: c.loss,
            optimizer: c.optimizer_config,
            optimizer_state: model.optimizer_state(),
            optimizer_steps: model.optimizer_steps(),
            from,
            val_batch,
            label_shape: label_shape.to_vec(),
        })
    }

    /// One buffer: a little-endian `u32` header length, the JSON header, the weights,
    /// then the optimizer state as little-endian `f32`s.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::json!({
            "model_json": self.model_json,
            "weights": self.weights.len(),
            "trainable": self.trainable,
            "loss": self.loss.name(),
            "optimizer": optimizer_to_json(&self.optimizer),
            "state": self.optimizer_state.iter().map(Vec::len).collect::<Vec<_>>(),
            "steps": self.optimizer_steps,
            "from": self.from,
            "val_batch": self.val_batch,
            "label_shape": self.label_shape,
        })
        .to_string();
        let mut out = Vec::with_capacity(4 + header.len() + self.weights.len());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&self.weights);
        for s in &self.optimizer_state {
            s.iter().for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<ReplicaSpec> {
        let len = bytes.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let header = len.and_then(|l| bytes.get(4..4usize.checked_add(l)?)).ok_or_else(|| bad_spec("header"))?;
        let h: serde_json::Value = serde_json::from_slice(header).map_err(|_| bad_spec("header"))?;
        let mut at = 4 + header.len();
        let str_of = |k: &str| h.get(k).and_then(serde_json::Value::as_str).ok_or_else(|| bad_spec(k));
        let usize_of = |v: Option<&serde_json::Value>, k: &str| {
            v.and_then(serde_json::Value::as_u64).map(|x| x as usize).ok_or_else(|| bad_spec(k))
        };
        let n_weights = usize_of(h.get("weights"), "weights")?;
        let weights = bytes.get(at..at.saturating_add(n_weights)).ok_or_else(|| bad_spec("weights"))?.to_vec();
        at += n_weights;
        let mut optimizer_state = Vec::new();
        for len in h.get("state").and_then(serde_json::Value::as_array).ok_or_else(|| bad_spec("state"))? {
            let n = usize_of(Some(len), "state")?;
            let raw = bytes.get(at..at.saturating_add(n.saturating_mul(4))).ok_or_else(|| bad_spec("state"))?;
            optimizer_state.push(raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
            at += 4 * n;
        }
        let trainable = h
            .get("trainable")
            .and_then(serde_json::Value::as_array)
            .and_then(|a| a.iter().map(serde_json::Value::as_bool).collect::<Option<Vec<_>>>())
            .ok_or_else(|| bad_spec("trainable"))?;
        Ok(ReplicaSpec {
            model_json: str_of("model_json")?.to_string(),
            weights,
            trainable,
            loss: Loss::from_name(str_of("loss")?)?,
            optimizer: optimizer_from_json(h.get("optimizer").ok_or_else(|| bad_spec("optimizer"))?)?,
            optimizer_state,
            optimizer_steps: h.get("steps").and_then(serde_json::Value::as_i64).ok_or_else(|| bad_spec("steps"))?
                as i32,
            from: usize_of(h.get("from"), "from")?,
            val_batch: usize_of(h.get("val_batch"), "val_batch")?.max(1),
            label_shape: h
                .get("label_shape")
                .and_then(serde_json::Value::as_array)
                .and_then(|a| a.iter().map(|v| v.as_u64().map(|x| x as usize)).collect::<Option<Vec<_>>>())
                .ok_or_else(|| bad_spec("label_shape"))?,
        })
    }

    /// A compiled copy of the model: same weights, flags, loss and optimizer state.
    pub fn build(&self) -> Result<Sequential> {
        let mut m = from_tfjs(&self.model_json, &self.weights, 0)?;
        if m.layers().len() != self.trainable.len() {
            return Err(bad_spec("trainable flag per layer"));
        }
        for (l, &t) in m.layers().iter().zip(&self.trainable) {
            l.set_trainable(t);
        }
        m.compile(self.loss, self.optimizer)?;
        m.set_optimizer_state(&self.optimizer_state, self.optimizer_steps);
        Ok(m)
    }
}

/// One shard's gradient in a batch's sum: this replica's own (kept from its last
/// [`Replica::gradients`]) or another worker's, flat (as [`Gradients::write_flat`] wrote it).
#[derive(Debug, Clone, Copy)]
pub enum Shard<'a> {
    Own,
    Flat(&'a [f32]),
}

/// A worker's copy of the model with its own slice of the validation features. It
/// holds no training data: every step brings its shard's rows (the coordinator gathers
/// them), so a replica's memory does not grow with the training set.
pub struct Replica {
    model: Sequential,
    from: usize,
    val_batch: usize,
    val: Option<(Tensor, Tensor)>,
    shapes: Vec<Vec<usize>>,
    /// One example's shape as it enters layer `from`, and one label's.
    input_shape: Vec<usize>,
    label_shape: Vec<usize>,
    /// This worker's gradients of the batch in progress, kept to be summed.
    own: Option<Gradients>,
    /// The batch's summed gradient, built shard by shard (its buffers are reused), and
    /// how many shards it holds so far (0: none, nothing to apply).
    sum: Option<Gradients>,
    summed: usize,
}

impl Replica {
    pub fn new(spec: &ReplicaSpec) -> Result<Replica> {
        let model = spec.build()?;
        let shapes = slot_shapes(&model)?;
        let input_shape = input_shape_at(&model, spec.from)?;
        Ok(Replica {
            model,
            from: spec.from,
            val_batch: spec.val_batch,
            val: None,
            shapes,
            input_shape,
            label_shape: spec.label_shape.clone(),
            own: None,
            sum: None,
            summed: 0,
        })
    }

    pub fn model(&self) -> &Sequential {
        &self.model
    }

    pub fn flat_len(&self) -> usize {
        flat_len(&self.shapes)
    }

    /// One example's shape as a shard brings it (the features entering layer `from`).
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// One label's shape (`[]` for class indices).
    pub fn label_shape(&self) -> &[usize] {
        &self.label_shape
    }

    /// The features of `x` (images) as they enter the fit's first layer: the frozen
    /// base's output on the forward-only path, or `x` itself without a cache.
    pub fn features(&self, x: &Tensor) -> Result<Tensor> {
        features(&self.model, self.from, x)
    }

    /// This worker's slice of the validation data, as features.
    pub fn set_validation(&mut self, x: Tensor, y: Tensor) {
        self.val = Some((x, y));
    }

    /// The gradients of a shard (`x`: its rows' features, `y`: their labels) within a
    /// batch of `batch_size`, kept for the batch's sum ([`Replica::sum_shard`]).
    pub fn gradients(&mut self, x: Tensor, y: &Tensor, batch_size: usize) -> Result<&Gradients> {
        crate::tensor::check_example_shape(&x, &self.input_shape, "a shard's rows")?;
        let rows = x.shape()[0];
        if y.ndim() == 0 || y.shape()[0] != rows || y.shape()[1..] != self.label_shape[..] {
            return Err(Error::Shape(format!(
                "a shard of {rows} rows needs labels of shape {:?}, got {:?}",
                [&[rows][..], &self.label_shape].concat(),
                y.shape()
            )));
        }
        if rows == 0 || rows > batch_size {
            return Err(Error::Data(format!("a shard of {rows} rows in a batch of {batch_size}")));
        }
        self.own = None;
        let g = step::gradients(&mut self.model, self.from, x, y, batch_size)?;
        Ok(self.own.insert(g))
    }

    /// Adds shard `i` of the batch to its sum, in worker order: shard 0 starts the sum,
    /// every later one is added (as the coordinator adds them, so that every copy sums
    /// the same bits). [`Replica::apply_sum`] then applies it.
    pub fn sum_shard(&mut self, i: usize, shard: Shard<'_>) -> Result<()> {
        let own = || Error::Config("replica: no gradients of its own for this batch".into());
        if i != 0 && i != self.summed {
            return Err(Error::Config(format!("replica: shard {i} added after {} shards", self.summed)));
        }
        self.summed = 0;
        match (i, shard) {
            (0, Shard::Own) => self.sum = Some(self.own.take().ok_or_else(own)?),
            (0, Shard::Flat(f)) => match &mut self.sum {
                Some(sum) => sum.load_flat(f)?,
                None => self.sum = Some(Gradients::from_flat(&self.shapes, f, StepSums::default(), 0)?),
            },
            (_, shard) => {
                let sum = self.sum.as_mut().ok_or_else(|| Error::Config("replica: shard 0 starts a sum".into()))?;
                match shard {
                    Shard::Own => sum.add(&self.own.take().ok_or_else(own)?)?,
                    Shard::Flat(f) => sum.add_flat(f, StepSums::default(), 0)?,
                }
            }
        }
        self.summed = i + 1;
        Ok(())
    }

    /// Applies the sum [`Replica::sum_shard`] built, as one optimizer update.
    pub fn apply_sum(&mut self) -> Result<()> {
        let sum = self.sum.as_ref().filter(|_| self.summed > 0);
        let sum = sum.ok_or_else(|| Error::Config("replica: no summed gradient to apply".into()))?;
        self.summed = 0;
        step::apply(&mut self.model, sum)
    }

    /// Sums shards in worker order and applies them: what every worker does with the
    /// shared board ([`Replica::sum_shard`] for each, then [`Replica::apply_sum`]).
    pub fn apply_shards(&mut self, shards: &[Shard<'_>]) -> Result<()> {
        if shards.is_empty() {
            return Err(Error::Config("a batch without shards".into()));
        }
        for (i, s) in shards.iter().enumerate() {
            self.sum_shard(i, *s)?;
        }
        self.apply_sum()
    }

    /// Applies a batch's summed gradient (flat) as one optimizer update.
    pub fn apply_flat(&mut self, flat: &[f32]) -> Result<()> {
        let g = Gradients::from_flat(&self.shapes, flat, StepSums::default(), 0)?;
        step::apply(&mut self.model, &g)
    }

    /// Loss and accuracy sums of the whole model on images `x` against `y` and its
    /// outputs (a slice of a test set split across the workers after a fit).
    pub fn evaluate_predict(&self, x: &Tensor, y: &Tensor) -> Result<(StepSums, Tensor)> {
        self.model.evaluate_predict(x, y)
    }

    /// Loss and accuracy sums over this worker's validation slice (none: zero sums).
    pub fn validation_sums(&self) -> Result<StepSums> {
        match &self.val {
            Some((x, y)) if x.shape()[0] > 0 => self.model.evaluate_sums_from(self.from, x, y, self.val_batch),
            _ => Ok(StepSums::default()),
        }
    }
}

/// One example's shape entering layer `from` of `model` (its input shape for 0).
fn input_shape_at(model: &Sequential, from: usize) -> Result<Vec<usize>> {
    match model.layers().get(from) {
        Some(l) => Ok(l.borrow().input_shape.clone()),
        None if from == 0 => Ok(model.input_shape().to_vec()),
        None => Err(Error::Config(format!("a fit entering at layer {from} of {}", model.layers().len()))),
    }
}

/// The features of `x` entering layer `from` (see [`Replica::features`]).
pub fn features(model: &Sequential, from: usize, x: &Tensor) -> Result<Tensor> {
    if from == 0 {
        return Ok(x.clone());
    }
    model.infer_range(0, from, x)
}

/// What the coordinator does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParallelNext {
    /// Train on `rows` (indices into the training set), cut into `shards` (ranges of
    /// `rows`, one per worker in worker order; worker 0 is the coordinator).
    Batch {
        epoch: usize,
        batch: usize,
        rows: Vec<usize>,
        shards: Vec<Range<usize>>,
    },
    /// Validate (every worker its slice) and close the epoch.
    EpochEnd {
        epoch: usize,
    },
    Done,
}

/// The coordinator's side of a data-parallel fit: the shared [`FitCursor`], the shard
/// plan and the sums, with worker 0's work done here on the coordinator's model.
pub struct ParallelFit {
    cursor: FitCursor,
    workers: usize,
    from: usize,
    x: Tensor,
    y: Tensor,
    /// The whole validation set as given (images), kept to go on alone if workers fail.
    val_input: Option<(Tensor, Tensor)>,
    /// Worker 0's slice of the validation features.
    val: Option<(Tensor, Tensor)>,
    /// Whether `x` holds the features yet (a frozen base's are joined from the workers).
    features_ready: bool,
    /// Worker 0's gradients of the batch in progress, then the other shards added to
    /// them in worker order (`added` of them so far).
    own: Option<Gradients>,
    added: usize,
    shapes: Vec<Vec<usize>>,
    /// One example's shape entering layer `from`.
    input_shape: Vec<usize>,
    generation: u64,
    /// Validation sums are added per group of this many (as `FitSession` does).
    val_batch: usize,
}

impl ParallelFit {
    /// Checks as `fit` does and plans for `workers` workers. Fails with `Config` where
    /// [`sharding_blocker`] says the fit cannot be split (use one worker's `fit`).
    pub fn new(model: &Sequential, x: Tensor, y: Tensor, opts: FitOptions, workers: usize) -> Result<ParallelFit> {
        let history = check_fit(model, &x, &y, &opts)?;
        if let Some(why) = sharding_blocker(model)? {
            return Err(Error::Config(format!("this fit runs on one worker: {why}")));
        }
        let cursor = FitCursor::new(x.shape()[0], &opts, history);
        let from = cacheable_prefix(model, opts.cache_frozen_features, examples(&x, &opts));
        Ok(ParallelFit {
            cursor,
            workers: workers.clamp(1, MAX_WORKERS),
            from,
            x,
            y,
            val_input: opts.validation,
            val: None,
            features_ready: from == 0,
            own: None,
            added: 0,
            shapes: slot_shapes(model)?,
            input_shape: input_shape_at(model, from)?,
            generation: model.generation(),
            val_batch: opts.batch_size.max(32),
        })
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The layer the fit's data enters at (0: the images themselves).
    pub fn from(&self) -> usize {
        self.from
    }

    /// What the other workers build their replicas from: `model` (this fit's) as it is now.
    pub fn replica_spec(&self, model: &Sequential) -> Result<ReplicaSpec> {
        ReplicaSpec::of(model, self.from, self.val_batch, self.label_shape())
    }

    /// One example's shape as a shard's rows travel (the features entering `from`).
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// One label's shape (`[]` for class indices).
    pub fn label_shape(&self) -> &[usize] {
        &self.y.shape()[1..]
    }

    pub fn flat_len(&self) -> usize {
        flat_len(&self.shapes)
    }

    pub fn batches_per_epoch(&self) -> usize {
        self.cursor.batches_per_epoch()
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

    /// The validation images, if the fit has any.
    pub fn validation_input(&self) -> Option<(&Tensor, &Tensor)> {
        self.val_input.as_ref().map(|(x, y)| (x, y))
    }

    /// Which training images' features worker `i` computes (see the module docs).
    pub fn train_slices(&self) -> Vec<Range<usize>> {
        feature_slices(self.x.shape()[0], self.workers)
    }

    /// Which validation images worker `i` evaluates.
    pub fn validation_slices(&self) -> Vec<Range<usize>> {
        self.val_input.as_ref().map_or_else(Vec::new, |(x, _)| feature_slices(x.shape()[0], self.workers))
    }

    /// The joined training features, one slice per worker in worker order (as
    /// [`ParallelFit::train_slices`] cut them). Without a frozen base there is nothing
    /// to join: the images are the features.
    pub fn set_train_features(&mut self, slices: &[Tensor]) -> Result<()> {
        if self.from == 0 {
            return Ok(());
        }
        let views: Vec<_> = slices.iter().map(|t| t.view()).collect();
        let x = ndarray::concatenate(ndarray::Axis(0), &views).map_err(|e| Error::Shape(e.to_string()))?;
        if x.shape()[0] != self.y.shape()[0] {
            return Err(Error::Shape(format!(
                "{} feature rows for {} training images",
                x.shape()[0],
                self.y.shape()[0]
            )));
        }
        self.x = x;
        self.features_ready = true;
        Ok(())
    }

    /// Worker 0's own part of the set-up: the features of its validation slice (its
    /// training slice is [`features`] of `train_slices()[0]`, joined like the others').
    pub fn prepare_local_validation(&mut self, model: &Sequential) -> Result<()> {
        let Some((vx, vy)) = &self.val_input else { return Ok(()) };
        let r = self.validation_slices()[0].clone();
        self.val = Some((features(model, self.from, &row_range(vx, r.clone()))?, row_range(vy, r)));
        Ok(())
    }

    /// What to do next (the same answer until it is done).
    pub fn next_step(&mut self) -> ParallelNext {
        let workers = self.workers;
        match self.cursor.next_step() {
            Next::Done => ParallelNext::Done,
            Next::EpochEnd { epoch } => ParallelNext::EpochEnd { epoch },
            Next::Batch { epoch, batch, rows } => {
                ParallelNext::Batch { epoch, batch, shards: shard_ranges(rows.len(), workers), rows: rows.to_vec() }
            }
        }
    }

    fn check_model(&self, model: &Sequential) -> Result<()> {
        if model.generation() != self.generation {
            return Err(Error::Config("the model was recompiled during fit; start a new fit".into()));
        }
        if !self.features_ready {
            return Err(Error::Config("parallel fit: the training features were not joined yet".into()));
        }
        Ok(())
    }

    /// The current batch's rows of shard `i` (features and labels): what worker `i`
    /// computes its gradients of ([`Replica::gradients`]).
    pub fn shard_input(&mut self, i: usize) -> Result<(Tensor, Tensor)> {
        if !self.features_ready {
            return Err(Error::Config("parallel fit: the training features were not joined yet".into()));
        }
        let ParallelNext::Batch { rows, shards, .. } = self.next_step() else {
            return Err(Error::Config("parallel fit: no batch in progress".into()));
        };
        let r = shards
            .get(i)
            .ok_or_else(|| Error::Config(format!("parallel fit: shard {i} of a batch of {} shards", shards.len())))?;
        let part = &rows[r.clone()];
        Ok((gather_rows(&self.x, part), gather_rows(&self.y, part)))
    }

    /// Worker 0's gradients for the current batch (its first shard), kept: the other
    /// shards are added to them ([`ParallelFit::add_shard`]).
    pub fn local_gradients(&mut self, model: &mut Sequential) -> Result<&Gradients> {
        self.check_model(model)?;
        let ParallelNext::Batch { epoch, batch, rows, shards } = self.next_step() else {
            return Err(Error::Config("parallel fit: no batch to compute".into()));
        };
        let own = &rows[shards[0].clone()];
        let (xb, yb) = (gather_rows(&self.x, own), gather_rows(&self.y, own));
        self.own = None;
        self.added = 0;
        let g = step::gradients(model, self.from, xb, &yb, rows.len()).map_err(|e| at_batch(e, epoch, batch))?;
        Ok(self.own.insert(g))
    }

    /// Adds the next shard's gradients (flat, with its sums; shards 1, 2, ... in worker
    /// order) to worker 0's: every worker sums them in this order.
    pub fn add_shard(&mut self, flat: &[f32], sums: StepSums) -> Result<()> {
        let ParallelNext::Batch { shards, .. } = self.next_step() else {
            return Err(Error::Config("parallel fit: no batch to add to".into()));
        };
        let r = shards.get(self.added + 1).ok_or_else(|| {
            Error::Config(format!("parallel fit: more than {} shards for {} workers", shards.len(), self.workers))
        })?;
        let own =
            self.own.as_mut().ok_or_else(|| Error::Config("parallel fit: worker 0's gradients are missing".into()))?;
        own.add_flat(flat, sums, r.len())?;
        self.added += 1;
        Ok(())
    }

    /// Applies the batch's sum (worker 0's gradients and every other shard added) to
    /// `model` and moves the cursor on. Returns the batch's logs and the sum (what the
    /// other workers apply where they do not sum the shards themselves). On an error
    /// nothing is applied and the batch is to be done again.
    pub fn finish_batch(&mut self, model: &mut Sequential) -> Result<(Event, &Gradients)> {
        self.check_model(model)?;
        let ParallelNext::Batch { epoch, batch, shards, .. } = self.next_step() else {
            return Err(Error::Config("parallel fit: no batch to finish".into()));
        };
        if self.added + 1 != shards.len() {
            self.own = None;
            return Err(Error::Config(format!("parallel fit: {} shards for {} workers", self.added + 1, shards.len())));
        }
        let sum =
            self.own.take().ok_or_else(|| Error::Config("parallel fit: worker 0's gradients are missing".into()))?;
        step::apply(model, &sum).map_err(|e| at_batch(e, epoch, batch))?;
        let event = Event::Batch(self.cursor.batch_done(Some(sum.sums)));
        Ok((event, self.own.insert(sum)))
    }

    /// Worker 0's validation sums (its slice).
    pub fn local_validation(&self, model: &Sequential) -> Result<StepSums> {
        self.check_model(model)?;
        match &self.val {
            Some((x, y)) if x.shape()[0] > 0 => model.evaluate_sums_from(self.from, x, y, self.val_batch),
            _ => Ok(StepSums::default()),
        }
    }

    /// Closes the epoch with every worker's validation sums, in worker order.
    pub fn finish_epoch(&mut self, sums: &[StepSums]) -> Event {
        let val = self.val_input.as_ref().map(|(vx, _)| {
            let mut total = StepSums::default();
            sums.iter().for_each(|s| total.add(*s));
            Evaluation::of(total, vx.shape()[0])
        });
        Event::Epoch(self.cursor.epoch_done(None, val))
    }

    /// Goes on without the other workers (one failed): worker 0 takes the whole
    /// validation set and every whole batch from the next step on. The batch in
    /// progress was not applied anywhere, so it is simply done again.
    pub fn go_on_alone(&mut self, model: &Sequential) -> Result<()> {
        self.own = None;
        self.workers = 1;
        if !self.features_ready {
            // The workers failed before the features were joined: compute them all here.
            self.x = features(model, self.from, &self.x)?;
            self.features_ready = true;
        }
        self.prepare_local_validation(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One range is the point of some cases (a batch that stays on one worker).
    #[allow(clippy::single_range_in_vec_init)]
    #[test]
    fn rows_are_split_in_order_evenly_and_not_too_thin() {
        assert_eq!(shard_ranges(32, 2), [0..16, 16..32]);
        assert_eq!(shard_ranges(33, 2), [0..17, 17..33]);
        assert_eq!(shard_ranges(32, 3), [0..11, 11..22, 22..32]);
        // A batch of 7 stays on one worker; 8 (200 images in batches of 32) on two.
        assert_eq!(shard_ranges(7, 4), [0..7]);
        assert_eq!(shard_ranges(8, 4), [0..4, 4..8]);
        assert_eq!(shard_ranges(12, 4), [0..4, 4..8, 8..12]);
        assert_eq!(shard_ranges(5, 1), [0..5]);
        assert_eq!(feature_slices(1000, 3), [0..334, 334..667, 667..1000]);
        assert_eq!(feature_slices(40, 4), [0..40]);
        assert_eq!(feature_slices(64, 4), [0..32, 32..64]);
        assert_eq!(split_rows(0, 4, 8), [0..0]);
        assert_eq!(split_rows(1000, 1000, 1).len(), MAX_WORKERS);
    }
}
