//! Data-parallel training across Web Workers (`crate::train::parallel`) at the boundary:
//! `ParallelFit`, the coordinator's side (the fit's cursor, the shard plan, worker 0's
//! share of the work, the sum in worker order and the update), and `Replica`, what each
//! other worker holds (a copy of the model, the training features, its validation
//! slice). `www/worker-pool.js` moves their values between workers, through
//! `SharedArrayBuffer`s or transferred buffers; the float arrays taken and filled here
//! may be views of either.
//!
//! Sums travel as three numbers `[lossSum, correct, counted]` (a `Float64Array`: the
//! counts are whole numbers far below 2^53).

use js_sys::{Array, Float32Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::convert::{bytes_from_js, describe, set, tensor_from_js, tensor_to_js, to_plain};
use super::errors::engine_error;
use super::fit::event_to_js;
use super::model::{read, JsModel};
use super::models::{start_fit, with_state, SharedModel};
use super::options::fit_options;
use super::panic::enter;
use crate::error::{Error, Param, Result};
use crate::limits;
use crate::train::parallel::{self, ParallelFit as Core, ParallelNext, Replica as CoreReplica, ReplicaSpec, Shard};
use crate::train::step::StepSums;

fn sums_to_js(s: StepSums) -> Vec<f64> {
    vec![s.loss_sum, s.correct as f64, s.counted as f64]
}

/// `{sums: [lossSum, correct, counted], outputs: {data, shape}}`.
fn sums_and_outputs((sums, outputs): (StepSums, crate::Tensor)) -> Object {
    let o = Object::new();
    set(&o, "sums", js_sys::Float64Array::from(sums_to_js(sums).as_slice()));
    set(&o, "outputs", tensor_to_js(&outputs));
    o
}

fn sums_from(v: &[f64], what: &str) -> Result<StepSums> {
    match *v {
        [loss_sum, correct, counted]
            if correct >= 0.0 && counted >= 0.0 && correct.fract() == 0.0 && counted.fract() == 0.0 =>
        {
            Ok(StepSums { loss_sum, correct: correct as usize, counted: counted as usize })
        }
        _ => Err(Error::bad_option(what, "[lossSum, correct, counted]", format!("{} numbers", v.len()))),
    }
}

/// A gradient's slots one after another into `out` (a flat gradient's length), copied
/// straight from each slot: no flat copy in between.
fn write_flat(g: &crate::train::step::Gradients, out: &Float32Array) {
    let mut at = 0u32;
    for t in &g.slots {
        let s = crate::tensor::contiguous(t);
        out.subarray(at, at + s.len() as u32).copy_from(&s);
        at += s.len() as u32;
    }
}

/// A shape for JS (`Uint32Array`).
fn dims(shape: &[usize]) -> Vec<u32> {
    shape.iter().map(|&d| d as u32).collect()
}

fn ranges_to_js(r: &[std::ops::Range<usize>]) -> Array {
    r.iter().map(|r| Array::of2(&(r.start as f64).into(), &(r.end as f64).into())).collect()
}

fn float_array(v: &JsValue, what: &str) -> Result<Float32Array> {
    v.dyn_ref::<Float32Array>().cloned().ok_or_else(|| Error::bad_option(what, "a Float32Array", describe(v)))
}

/// `out[..len]` must hold exactly a flat gradient.
fn check_len(out: &Float32Array, len: usize, what: &str) -> Result<()> {
    if out.length() as usize != len {
        return Err(Error::Shape(format!("{what}: {} floats for a flat gradient of {len}", out.length())));
    }
    Ok(())
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// Why a fit of this compiled model cannot be split across workers, or `null`
    /// (trainable BatchNormalization, active Dropout: see `train::parallel`).
    #[wasm_bindgen(js_name = parallelBlocker)]
    pub fn parallel_blocker(&self) -> Result<Option<String>> {
        enter()?;
        parallel::sharding_blocker(&*self.read()?)
    }

    /// `fit` for `workers` workers (2 or more; this one is worker 0): the same options
    /// as `fit` but always on the CPU. Starting it makes older runs on this model
    /// unusable, as `fit` does.
    #[wasm_bindgen(js_name = fitParallel)]
    pub fn fit_parallel(&self, x: &JsValue, y: &JsValue, opts: &JsValue, workers: f64) -> Result<ParallelFit> {
        enter()?;
        let x = tensor_from_js(x, "fitParallel: x")?;
        let y = tensor_from_js(y, "fitParallel: y")?;
        // Always on the CPU: a backend asked for is not this fit's to choose.
        let (fo, _, _) = fit_options(opts)?.split();
        if !(workers.fract() == 0.0 && (1.0..=parallel::MAX_WORKERS as f64).contains(&workers)) {
            return Err(Error::bad_option(
                "fitParallel: workers",
                format!("a whole number from 1 to {}", parallel::MAX_WORKERS),
                workers.to_string(),
            ));
        }
        let epochs = fo.epochs;
        let core = Core::new(&*self.read()?, x, y, fo, workers as usize)?;
        let number = start_fit(&self.inner);
        Ok(ParallelFit { model: self.inner.clone(), core, number, epochs, next: (0, 0), scratch: Vec::new() })
    }
}

/// The coordinator's side of a data-parallel fit (worker 0). `www/worker-pool.js`
/// drives it: `next()`, then for a batch the other workers' shards are sent out,
/// `localGradients()` computes worker 0's, `finishBatch()` adds them all in worker
/// order and applies the sum; at an epoch's end `localValidation()` and
/// `finishEpoch()`. Events are `fit`'s (`{type: 'batch' | 'epoch', ...}`).
#[wasm_bindgen]
pub struct ParallelFit {
    model: SharedModel,
    core: Core,
    number: u64,
    epochs: usize,
    /// The 0-based (epoch, batch) of the step in progress, for a divergence's params.
    next: (usize, usize),
    /// Another shard's gradient copied in from JS (reused every step).
    scratch: Vec<f32>,
}

impl ParallelFit {
    fn check_current(&self) -> Result<()> {
        enter()?;
        let newest = with_state(&self.model, |s| s.newest_fit);
        if newest != self.number && !self.core.is_done() {
            return Err(Error::FitInterleaved(format!(
                "a newer fit started on this model after this one (run {}, newest {newest}); start a new fit instead",
                self.number
            )));
        }
        Ok(())
    }

    /// A divergence with the (1-based) epoch and batch it happened in.
    fn diverged(&self, e: Error) -> JsValue {
        match e {
            Error::Diverged(_) => engine_error(
                &e,
                &[("epoch", Param::Num(self.next.0 as f64 + 1.0)), ("batch", Param::Num(self.next.1 as f64 + 1.0))],
            ),
            e => e.into(),
        }
    }
}

#[wasm_bindgen]
impl ParallelFit {
    #[wasm_bindgen(getter)]
    pub fn workers(&self) -> f64 {
        self.core.workers() as f64
    }

    /// The layer the fit's data enters at (0: the images; more: a frozen base's features).
    #[wasm_bindgen(getter)]
    pub fn from(&self) -> f64 {
        self.core.from() as f64
    }

    /// Floats in one flat gradient (every trainable weight).
    #[wasm_bindgen(getter, js_name = flatLength)]
    pub fn flat_length(&self) -> f64 {
        self.core.flat_len() as f64
    }

    #[wasm_bindgen(getter)]
    pub fn epochs(&self) -> f64 {
        self.epochs as f64
    }

    #[wasm_bindgen(getter, js_name = batchesPerEpoch)]
    pub fn batches_per_epoch(&self) -> f64 {
        self.core.batches_per_epoch() as f64
    }

    #[wasm_bindgen(getter, js_name = isDone)]
    pub fn is_done(&self) -> bool {
        self.core.is_done()
    }

    #[wasm_bindgen(getter)]
    pub fn history(&self) -> Result<JsValue> {
        to_plain(self.core.history())
    }

    /// What another worker builds its replica from (`new Replica(bytes)`): the model as
    /// it is now, with its compile state.
    #[wasm_bindgen(js_name = replicaSpec)]
    pub fn replica_spec(&self) -> Result<Vec<u8>> {
        enter()?;
        Ok(self.core.replica_spec(&*read(&self.model)?)?.to_bytes())
    }

    /// `[[start, end], ...]`: the training images whose features each worker computes.
    #[wasm_bindgen(js_name = trainSlices)]
    pub fn train_slices(&self) -> Array {
        ranges_to_js(&self.core.train_slices())
    }

    /// `[[start, end], ...]`: the validation images each worker evaluates (empty: none).
    #[wasm_bindgen(js_name = validationSlices)]
    pub fn validation_slices(&self) -> Array {
        ranges_to_js(&self.core.validation_slices())
    }

    /// The features of images `x` entering the fit's first layer (worker 0's slice).
    pub fn features(&self, x: &JsValue) -> Result<Object> {
        enter()?;
        let x = tensor_from_js(x, "features: x")?;
        Ok(tensor_to_js(&parallel::features(&*read(&self.model)?, self.core.from(), &x)?))
    }

    /// Joins the workers' training features (`[{data, shape}, ...]` in worker order).
    #[wasm_bindgen(js_name = setTrainFeatures)]
    pub fn set_train_features(&mut self, slices: &Array) -> Result<()> {
        enter()?;
        let slices = slices
            .iter()
            .enumerate()
            .map(|(i, s)| tensor_from_js(&s, &format!("setTrainFeatures[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        self.core.set_train_features(&slices)
    }

    /// One example's shape as a shard's rows travel (the features entering `from`).
    #[wasm_bindgen(getter, js_name = inputShape)]
    pub fn input_shape(&self) -> Vec<u32> {
        dims(self.core.input_shape())
    }

    /// One label's shape (`[]` for class indices).
    #[wasm_bindgen(getter, js_name = labelShape)]
    pub fn label_shape(&self) -> Vec<u32> {
        dims(self.core.label_shape())
    }

    /// Writes the current batch's rows of shard `i` into `xOut` (features) and `yOut`
    /// (labels), which must hold exactly them: what worker `i` computes its gradients of.
    #[wasm_bindgen(js_name = shardInput)]
    pub fn shard_input(&mut self, i: f64, x_out: &JsValue, y_out: &JsValue) -> Result<()> {
        self.check_current()?;
        let (x, y) = self.core.shard_input(i as usize)?;
        for (t, out, what) in [(&x, x_out, "shardInput: xOut"), (&y, y_out, "shardInput: yOut")] {
            let out = float_array(out, what)?;
            if out.length() as usize != t.len() {
                return Err(Error::Shape(format!("{what}: {} floats for {} values", out.length(), t.len())));
            }
            out.copy_from(&crate::tensor::contiguous(t));
        }
        Ok(())
    }

    /// Worker 0's validation slice, as features.
    #[wasm_bindgen(js_name = prepareLocalValidation)]
    pub fn prepare_local_validation(&mut self) -> Result<()> {
        enter()?;
        self.core.prepare_local_validation(&*read(&self.model)?)
    }

    /// `{type: 'batch', epoch, batch, size, shards: [[start, end], ...]}` (ranges of the
    /// batch's `size` rows, worker 0 first), `{type: 'epochEnd', epoch}` or `{type: 'done'}`.
    #[wasm_bindgen(js_name = next)]
    pub fn next_step(&mut self) -> Result<Object> {
        self.check_current()?;
        let o = Object::new();
        match self.core.next_step() {
            ParallelNext::Batch { epoch, batch, rows, shards } => {
                self.next = (epoch, batch);
                set(&o, "type", "batch");
                set(&o, "epoch", epoch as f64);
                set(&o, "batch", batch as f64);
                set(&o, "size", rows.len() as f64);
                set(&o, "shards", ranges_to_js(&shards));
            }
            ParallelNext::EpochEnd { epoch } => {
                self.next = (epoch, 0);
                set(&o, "type", "epochEnd");
                set(&o, "epoch", epoch as f64);
            }
            ParallelNext::Done => set(&o, "type", "done"),
        }
        Ok(o)
    }

    /// Worker 0's gradients of the current batch, kept for `finishBatch`; written flat
    /// into `out` too when given (the shared board's slot 0).
    #[wasm_bindgen(js_name = localGradients)]
    pub fn local_gradients(&mut self, out: &JsValue) -> Result<(), JsValue> {
        self.check_current()?;
        let mut m = self.model.try_borrow_mut().map_err(|_| super::model::busy())?;
        let len = self.core.flat_len();
        let g = match self.core.local_gradients(&mut m) {
            Ok(g) => g,
            Err(e) => {
                drop(m);
                return Err(self.diverged(e));
            }
        };
        if !out.is_undefined() && !out.is_null() {
            let out = float_array(out, "localGradients: out")?;
            check_len(&out, len, "localGradients: out")?;
            write_flat(g, &out);
        }
        Ok(())
    }

    /// Adds worker 0's gradients and `others` (the other shards' flat gradients, a
    /// `Float32Array` each in worker order) with their `sums` (three numbers per shard,
    /// one after another), applies the sum and returns the batch's event. Writes the
    /// summed gradient into `sumOut` when given (for workers that apply a sum they are
    /// sent). Nothing is applied when a gradient is not finite (`DIVERGED`).
    #[wasm_bindgen(js_name = finishBatch)]
    pub fn finish_batch(&mut self, others: &Array, sums: &[f64], sum_out: &JsValue) -> Result<Object, JsValue> {
        self.check_current()?;
        let len = self.core.flat_len();
        if self.scratch.len() != len {
            self.scratch = limits::try_filled(len, 0.0f32, "a shard's gradient")?;
        }
        for (i, f) in others.iter().enumerate() {
            let f = float_array(&f, &format!("finishBatch: others[{i}]"))?;
            check_len(&f, len, &format!("finishBatch: others[{i}]"))?;
            let s = sums.get(3 * i..3 * i + 3).ok_or_else(|| {
                Error::bad_option("finishBatch: sums", "three numbers per shard", format!("{} numbers", sums.len()))
            })?;
            let s = sums_from(s, "finishBatch: sums")?;
            f.copy_to(&mut self.scratch);
            self.core.add_shard(&self.scratch, s)?;
        }
        let mut m = self.model.try_borrow_mut().map_err(|_| super::model::busy())?;
        let result = self.core.finish_batch(&mut m).map(|(event, sum)| {
            if !sum_out.is_undefined() && !sum_out.is_null() {
                let out = float_array(sum_out, "finishBatch: sumOut")?;
                check_len(&out, len, "finishBatch: sumOut")?;
                write_flat(sum, &out);
            }
            Ok::<_, Error>(event)
        });
        drop(m);
        let event = match result {
            Ok(r) => r?,
            Err(e) => return Err(self.diverged(e)),
        };
        self.next.1 += 1;
        Ok(event_to_js(&event, "cpu", None))
    }

    /// Worker 0's validation sums `[lossSum, correct, counted]` over its slice.
    #[wasm_bindgen(js_name = localValidation)]
    pub fn local_validation(&self) -> Result<Vec<f64>> {
        self.check_current()?;
        Ok(sums_to_js(self.core.local_validation(&*read(&self.model)?)?))
    }

    /// Closes the epoch with every worker's validation sums (three numbers each, in
    /// worker order) and returns its event.
    #[wasm_bindgen(js_name = finishEpoch)]
    pub fn finish_epoch(&mut self, sums: &[f64]) -> Result<Object> {
        self.check_current()?;
        let sums = sums.chunks(3).map(|s| sums_from(s, "finishEpoch: sums")).collect::<Result<Vec<_>>>()?;
        Ok(event_to_js(&self.core.finish_epoch(&sums), "cpu", None))
    }

    /// `{sums: [lossSum, correct, counted], outputs: {data, shape}}` of the model (as
    /// trained so far) on images `x` against `y`, from one forward pass (`outputs` are
    /// `predict`'s): worker 0's slice of a test set split across the workers.
    #[wasm_bindgen(js_name = evaluatePredict)]
    pub fn evaluate_predict(&self, x: &JsValue, y: &JsValue) -> Result<Object> {
        enter()?;
        let (x, y) = (tensor_from_js(x, "evaluatePredict: x")?, tensor_from_js(y, "evaluatePredict: y")?);
        Ok(sums_and_outputs(read(&self.model)?.evaluate_predict(&x, &y)?))
    }

    /// Goes on without the other workers (one failed); the batch in progress is done
    /// again by this worker alone.
    #[wasm_bindgen(js_name = goOnAlone)]
    pub fn go_on_alone(&mut self) -> Result<()> {
        enter()?;
        self.core.go_on_alone(&*read(&self.model)?)
    }
}

/// Another worker's copy of the model (`new Replica(specBytes)`) with its validation
/// slice; each step brings its shard's rows.
#[wasm_bindgen]
pub struct Replica {
    inner: CoreReplica,
    /// Another shard's gradient copied in from the board (reused every step).
    scratch: Vec<f32>,
}

#[wasm_bindgen]
impl Replica {
    #[wasm_bindgen(constructor)]
    pub fn new(spec: &JsValue) -> Result<Replica> {
        enter()?;
        let bytes = bytes_from_js(spec, "Replica: spec", limits::MAX_INPUT_BYTES)?;
        Ok(Replica { inner: CoreReplica::new(&ReplicaSpec::from_bytes(&bytes)?)?, scratch: Vec::new() })
    }

    #[wasm_bindgen(getter, js_name = flatLength)]
    pub fn flat_length(&self) -> f64 {
        self.inner.flat_len() as f64
    }

    /// One example's shape as a shard's rows come (the features entering the fit's layer).
    #[wasm_bindgen(getter, js_name = inputShape)]
    pub fn input_shape(&self) -> Vec<u32> {
        dims(self.inner.input_shape())
    }

    /// One label's shape (`[]` for class indices).
    #[wasm_bindgen(getter, js_name = labelShape)]
    pub fn label_shape(&self) -> Vec<u32> {
        dims(self.inner.label_shape())
    }

    /// The features of images `x` entering the fit's first layer.
    pub fn features(&self, x: &JsValue) -> Result<Object> {
        enter()?;
        Ok(tensor_to_js(&self.inner.features(&tensor_from_js(x, "features: x")?)?))
    }

    /// This worker's validation images (its features are computed here).
    #[wasm_bindgen(js_name = setValidation)]
    pub fn set_validation(&mut self, x: &JsValue, y: &JsValue) -> Result<()> {
        enter()?;
        let f = self.inner.features(&tensor_from_js(x, "setValidation: x")?)?;
        self.inner.set_validation(f, tensor_from_js(y, "setValidation: y")?);
        Ok(())
    }

    /// The gradients of a shard (`x`: its rows' features, `y`: their labels, `{data,
    /// shape}` each) within a batch of `batchSize`, written flat into `out` and kept for
    /// `applyShards`; returns the sums `[lossSum, correct, counted]`.
    pub fn gradients(&mut self, x: &JsValue, y: &JsValue, batch_size: f64, out: &JsValue) -> Result<Vec<f64>> {
        enter()?;
        let out = float_array(out, "gradients: out")?;
        check_len(&out, self.inner.flat_len(), "gradients: out")?;
        let (x, y) = (tensor_from_js(x, "gradients: x")?, tensor_from_js(y, "gradients: y")?);
        let g = self.inner.gradients(x, &y, batch_size.max(1.0) as usize)?;
        write_flat(g, &out);
        Ok(sums_to_js(g.sums))
    }

    /// Adds `count` flat gradients laid one after another in `board` (from `offset`) in
    /// that order and applies the sum: the shared board, summed as every worker sums it.
    /// Shard `own` is this worker's, added from the gradients it kept (the same bits);
    /// a worker without a shard in this batch gives its index all the same (`own >= count`).
    #[wasm_bindgen(js_name = applyShards)]
    pub fn apply_shards(&mut self, board: &JsValue, offset: f64, count: f64, own: f64) -> Result<()> {
        enter()?;
        let board = float_array(board, "applyShards: board")?;
        let (len, offset, count, own) = (self.inner.flat_len(), offset as usize, count as usize, own as usize);
        if offset + len * count > board.length() as usize || count == 0 {
            return Err(Error::Shape(format!(
                "applyShards: {count} gradients of {len} from {offset} in a board of {}",
                board.length()
            )));
        }
        if self.scratch.len() != len {
            self.scratch = limits::try_filled(len, 0.0f32, "a shard's gradient")?;
        }
        for i in 0..count {
            if i == own {
                self.inner.sum_shard(i, Shard::Own)?;
            } else {
                let at = (offset + i * len) as u32;
                board.subarray(at, at + len as u32).copy_to(&mut self.scratch);
                self.inner.sum_shard(i, Shard::Flat(&self.scratch))?;
            }
        }
        self.inner.apply_sum()
    }

    /// Applies a batch's summed gradient (flat), as the coordinator did.
    #[wasm_bindgen(js_name = applySum)]
    pub fn apply_sum(&mut self, sum: &JsValue) -> Result<()> {
        enter()?;
        let sum = float_array(sum, "applySum: sum")?;
        check_len(&sum, self.inner.flat_len(), "applySum: sum")?;
        if self.scratch.len() != sum.length() as usize {
            self.scratch = limits::try_filled(sum.length() as usize, 0.0f32, "a summed gradient")?;
        }
        sum.copy_to(&mut self.scratch);
        self.inner.apply_flat(&self.scratch)
    }

    /// The validation sums `[lossSum, correct, counted]` of this worker's slice.
    #[wasm_bindgen(js_name = validationSums)]
    pub fn validation_sums(&self) -> Result<Vec<f64>> {
        enter()?;
        Ok(sums_to_js(self.inner.validation_sums()?))
    }

    /// `{sums, outputs}` of the replica's model on images `x` against `y` (as
    /// `ParallelFit.evaluatePredict`).
    #[wasm_bindgen(js_name = evaluatePredict)]
    pub fn evaluate_predict(&self, x: &JsValue, y: &JsValue) -> Result<Object> {
        enter()?;
        let (x, y) = (tensor_from_js(x, "evaluatePredict: x")?, tensor_from_js(y, "evaluatePredict: y")?);
        Ok(sums_and_outputs(self.inner.evaluate_predict(&x, &y)?))
    }

    /// Every weight of the replica, layer by layer, as one array (to check that the
    /// replicas equal the coordinator).
    #[wasm_bindgen(js_name = weightsFlat)]
    pub fn weights_flat(&self) -> Vec<f32> {
        self.inner.model().get_weights().iter().flat_map(|w| w.iter().copied().collect::<Vec<_>>()).collect()
    }
}
