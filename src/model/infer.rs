//! The forward-only path: what validation, `evaluate`, `predict` and the frozen-feature
//! cache run. Layers run in inference mode, so nothing is kept for a backward pass
//! (no inputs, outputs or pooling indices), and the images go through in chunks sized
//! for the cache rather than by the caller's batch size: a chunk's activations, layer
//! after layer, stay in the core's cache instead of making a round trip to memory.
//! The results are the same as the layer-by-layer forward pass on any batch size
//! (each example's outputs do not depend on its batch; tested bit for bit), and so are
//! the loss sums (added per group of the caller's batch size, as before).
//!
//! # Measured (WebAssembly under Node, CPU time, model A, 1,000 images, interleaved)
//! Chunks sized for the cache: 105 ms against 135 ms for the whole batch at once. A
//! convolution, its activation and the pooling after it fused per chunk of images (the
//! convolution's output pooled while in the cache, never made for the whole chunk):
//! 105.1 ms against 104.7 ms unfused (median of 20), so it is not done: the chunks
//! already keep that output in the cache.

use super::Sequential;
use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::limits;
use crate::metrics;
use crate::tensor::{contiguous, row_range, zeros, Tensor};
use crate::train::step::StepSums;

/// The activations one chunk may hold at its widest layer: about a quarter of a
/// laptop core's L2 cache (1-2 MiB), so that the layer after reads its input from the
/// cache. Measured with `cargo bench --bench train_throughput` (inference rows).
const CHUNK_BYTES: u64 = 1 << 19;

/// The examples `evaluate` sums its loss over before adding the groups (its default
/// batch size).
const EVALUATE_GROUP: usize = 256;

/// Fewer rows than this make the dense layers' GEMMs pay for packing their weights
/// more often than the cache saves.
const MIN_CHUNK_ROWS: usize = 16;

impl Sequential {
    /// Rows per chunk for layers `from..to`: as many as keep the widest activation
    /// within [`CHUNK_BYTES`], at least [`MIN_CHUNK_ROWS`], and within the batch limit.
    pub(crate) fn infer_rows(&self, from: usize, to: usize) -> usize {
        let widest = self.layers()[from..to]
            .iter()
            .map(|l| l.borrow().output_shape.iter().product::<usize>() as u64 * 4)
            .max()
            .unwrap_or(1)
            .max(1);
        let fits = (limits::MAX_BATCH_BYTES as u64 / limits::example_bytes(self).max(1)).max(1) as usize;
        ((CHUNK_BYTES / widest) as usize).max(MIN_CHUNK_ROWS).min(fits)
    }

    /// Layers `from..to` on `x` (the features entering layer `from`), forward only.
    pub(crate) fn infer_range(&self, from: usize, to: usize, x: &Tensor) -> Result<Tensor> {
        let n = x.shape()[0];
        let rows = self.infer_rows(from, to);
        let mut out: Option<Vec<f32>> = None;
        let mut shape = Vec::new();
        let mut start = 0;
        while start < n {
            let end = (start + rows).min(n);
            let h = self.infer_chunk(from, to, row_range(x, start..end))?;
            let o = out.get_or_insert_with(|| {
                shape = h.shape().to_vec();
                Vec::with_capacity(n * h.len() / (end - start))
            });
            o.extend_from_slice(&contiguous(&h));
            start = end;
        }
        self.clear_inference_state(from, to);
        match out {
            Some(data) => {
                shape[0] = n;
                crate::tensor::from_vec(&shape, data)
            }
            None => {
                let mut shape = vec![0];
                shape.extend(if to == 0 {
                    self.input_shape().to_vec()
                } else {
                    self.layers()[to - 1].borrow().output_shape.clone()
                });
                Ok(zeros(&shape))
            }
        }
    }

    /// One chunk through layers `from..to` in inference mode.
    fn infer_chunk(&self, from: usize, to: usize, x: Tensor) -> Result<Tensor> {
        let mut h = x;
        for (i, l) in self.layers().iter().enumerate().take(to).skip(from) {
            let mut node = l.borrow_mut();
            h = node.layer.forward(h, Mode::Infer, true).map_err(|e| self.at_layer(i, e))?;
        }
        Ok(h)
    }

    /// Drops what inference left in the layers (scratch, logits).
    fn clear_inference_state(&self, from: usize, to: usize) {
        for l in &self.layers()[from..to] {
            l.borrow_mut().layer.clear_cache();
        }
    }

    /// The loss summed over examples and the accuracy counts of the layers from `from`
    /// on `x` (the features entering layer `from`) against `y`, forward only. The loss
    /// is summed per group of `group` examples, then over the groups, as `evaluate` with
    /// batches of `group` always did: the forward pass runs in its own chunks, but the
    /// sums are those of the layer-by-layer evaluation bit for bit.
    pub(crate) fn evaluate_sums_from(&self, from: usize, x: &Tensor, y: &Tensor, group: usize) -> Result<StepSums> {
        self.evaluate_collecting(from, x, y, group, None)
    }

    /// `evaluate` (its default grouping of 256) and `predict` from one forward pass: the
    /// loss and accuracy sums of the model on images `x` against `y` (zero sums for no
    /// images) and its outputs, bit for bit what `predict` gives.
    pub fn evaluate_predict(&self, x: &Tensor, y: &Tensor) -> Result<(StepSums, Tensor)> {
        self.check_input(x, "evaluate")?;
        let shape = [&[x.shape()[0]][..], &self.output_shape()].concat();
        let mut out = Vec::new();
        let sums = if x.shape()[0] == 0 {
            StepSums::default()
        } else {
            self.evaluate_collecting(0, x, y, EVALUATE_GROUP, Some(&mut out))?
        };
        crate::tensor::from_vec(&shape, out).map(|t| (sums, t))
    }

    /// [`Sequential::evaluate_sums_from`] that also writes the model's outputs (what
    /// `predict` gives, bit for bit) into `outputs`, from the same forward pass.
    pub(crate) fn evaluate_collecting(
        &self,
        from: usize,
        x: &Tensor,
        y: &Tensor,
        group: usize,
        mut outputs: Option<&mut Vec<f32>>,
    ) -> Result<StepSums> {
        let loss = self.compiled()?.loss;
        let n = x.shape()[0];
        if n == 0 {
            return Err(Error::Data("evaluate: no examples".into()));
        }
        loss.check_targets(y, n, &self.output_shape())?;
        let to = self.layers().len();
        let last = self.output_shape().last().copied().unwrap_or(1);
        let last_layer = self.layers().last().ok_or_else(|| Error::Config("a model without layers".into()))?;
        let fused = loss.fuses_with(last_layer.borrow().layer.final_activation());
        let rows = self.infer_rows(from, to);
        let group = group.max(1);
        let mut sums = StepSums::default();
        let (mut ps, mut zs) = (Vec::new(), Vec::new());
        let mut start = 0;
        while start < n {
            let end = (start + group).min(n);
            // The group's outputs (and logits), computed in the forward path's chunks.
            ps.clear();
            zs.clear();
            let mut at = start;
            while at < end {
                let stop = (at + rows).min(end);
                let p = self.infer_chunk(from, to, row_range(x, at..stop))?;
                ps.extend_from_slice(&contiguous(&p));
                if fused {
                    if let Some(z) = last_layer.borrow().layer.logits() {
                        zs.extend_from_slice(&contiguous(z));
                    }
                }
                at = stop;
            }
            let yb = row_range(y, start..end);
            let ys = contiguous(&yb);
            let logits = (fused && zs.len() == ps.len()).then_some(zs.as_slice());
            let (l, _) = loss.loss_and_grad(&ps, logits, &ys, last, end - start);
            if let Some(o) = outputs.as_deref_mut() {
                o.extend_from_slice(&ps);
            }
            sums.add(StepSums {
                loss_sum: l,
                correct: metrics::correct(loss, &ps, &ys, last),
                counted: metrics::count(loss, ps.len(), last),
            });
            start = end;
        }
        self.clear_inference_state(0, to);
        Ok(sums)
    }
}
