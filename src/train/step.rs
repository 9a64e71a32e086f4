//! One training step on the CPU, in two halves: [`gradients`] of some rows of a batch,
//! then [`apply`] of gradients as one optimizer update. [`train_step`] is the two in a
//! row over the whole batch, which is what `fit` runs.
//!
//! The halves are apart so that a batch can be split into shards whose gradients are
//! computed elsewhere (e.g. one Web Worker each, on a copy of the model) and summed in
//! a fixed order ([`Gradients::add`]) before one update: the gradient of each shard is
//! that of the *whole batch's* mean loss restricted to the shard's rows, so the shards'
//! gradients add up to the batch's. That holds for layers that treat examples
//! independently. A BatchNormalization layer in training mode (trainable) normalises
//! with its shard's statistics and updates its moving statistics once per shard, and a
//! Dropout layer draws its masks per forward pass: with those, a sharded step is a
//! different (if valid) step from the whole-batch one.

use crate::error::{Error, Result};
use crate::layers::{Grad, Mode};
use crate::metrics;
use crate::model::Sequential;
use crate::tensor::{contiguous, data_mut, from_vec, Tensor};

/// What a step measured over its rows: the loss summed over examples (not averaged),
/// correct predictions and the predictions they were counted among.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StepSums {
    pub loss_sum: f64,
    pub correct: usize,
    pub counted: usize,
}

impl StepSums {
    pub fn add(&mut self, other: StepSums) {
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
        self.counted += other.counted;
    }
}

/// Gradients of a compiled model's trainable parameters, one tensor per optimizer slot
/// (the order `compile` gave them), with what the forward pass measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// Per optimizer slot, shaped as its parameter.
    pub slots: Vec<Tensor>,
    pub sums: StepSums,
    /// Examples these gradients were computed over.
    pub rows: usize,
}

impl Gradients {
    /// Adds another shard's gradients (of the same model) to these. Floating-point sums
    /// depend on their order: add shards in a fixed order for reproducible results.
    pub fn add(&mut self, other: &Gradients) -> Result<()> {
        if self.slots.len() != other.slots.len()
            || self.slots.iter().zip(&other.slots).any(|(a, b)| a.shape() != b.shape())
        {
            return Err(Error::Shape("Gradients::add: the gradients are of different models".into()));
        }
        for (a, b) in self.slots.iter_mut().zip(&other.slots) {
            *a += b;
        }
        self.sums.add(other.sums);
        self.rows += other.rows;
        Ok(())
    }
}

/// The gradients of the mean loss over a batch of `batch_size` examples, restricted to
/// the rows given (`xb`, `yb`: all of the batch, or a shard of it): forward, loss, and
/// backward down to the first trainable layer, with nothing applied. `xb` holds the
/// features entering layer `from` (0: the model's input; more when a frozen base's
/// features were computed once). Fails with `Diverged` when the loss is not finite.
///
/// Also a training-mode forward pass: BatchNormalization layers in training mode
/// update their moving statistics here, and Dropout layers draw new masks.
pub fn gradients(model: &mut Sequential, from: usize, xb: Tensor, yb: &Tensor, batch_size: usize) -> Result<Gradients> {
    let c = model.compiled()?;
    let (loss, first_trainable) = (c.loss, c.first_trainable);
    let frozen: Vec<bool> = c.trainable.iter().map(|t| !t).collect();
    let slots = c.slots.clone();
    let rows = xb.shape()[0];
    let out_last = model.output_shape().last().copied().unwrap_or(1);
    let layers = model.layers();
    // Forward. Layers below the first trainable one need nothing kept for backward.
    let mut h = xb;
    for (i, layer) in layers.iter().enumerate().skip(from) {
        let keep = first_trainable.is_some_and(|f| i >= f);
        let mut node = layer.borrow_mut();
        let mode = if keep || node.layer.is_stochastic() { Mode::Train } else { Mode::Infer };
        h = node.layer.forward(h, mode, frozen[i]).map_err(|e| model.at_layer(i, e))?;
    }
    let ys = contiguous(yb);
    let ps = contiguous(&h);
    let last_node = layers.last().ok_or_else(|| Error::Config("a model without layers cannot train".into()))?.borrow();
    let fused = loss.fuses_with(last_node.layer.final_activation());
    let logits = if fused { last_node.layer.logits().map(contiguous) } else { None };
    let (loss_sum, grad) = loss.loss_and_grad(&ps, logits.as_deref(), &ys, out_last, batch_size);
    let sums = StepSums {
        loss_sum,
        correct: metrics::correct(loss, &ps, &ys, out_last),
        counted: metrics::count(loss, ps.len(), out_last),
    };
    drop(last_node);
    if !loss_sum.is_finite() {
        return Err(Error::Diverged(format!(
            "the loss became {loss_sum} (NaN or infinite); the last update was not applied. Try a smaller learning rate."
        )));
    }
    let Some(first) = first_trainable else { return Ok(Gradients { slots: Vec::new(), sums, rows }) };
    // Backward.
    let g = from_vec(h.shape(), grad)?;
    let mut g = if fused { Grad::PreActivation(g) } else { Grad::Output(g) };
    for i in (first.max(from)..layers.len()).rev() {
        let mut node = layers[i].borrow_mut();
        match node.layer.backward(g, i > first, !frozen[i]).map_err(|e| model.at_layer(i, e))? {
            Some(dx) => g = Grad::Output(dx),
            None => break,
        }
    }
    // The gradients move out of the layers (no copy); a slot without one is a bug.
    let slots = slots
        .iter()
        .map(|&(li, pi)| {
            let mut node = layers[li].borrow_mut();
            let name = node.name.clone();
            node.layer.params_mut()[pi]
                .grad
                .take()
                .ok_or_else(|| Error::Config(format!("layer {li} '{name}': no gradient after backward")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Gradients { slots, sums, rows })
}

/// One optimizer update with `grads` (as [`gradients`] returns them, possibly summed
/// over shards). Every gradient is checked first: if one is NaN or infinite nothing
/// changes and the result is `Diverged`, naming the layer.
pub fn apply(model: &mut Sequential, grads: &Gradients) -> Result<()> {
    let c = model.compiled()?;
    if grads.slots.len() != c.slots.len() {
        return Err(Error::Shape(format!(
            "apply: {} gradients for {} trainable parameters",
            grads.slots.len(),
            c.slots.len()
        )));
    }
    for (&(li, pi), g) in c.slots.iter().zip(&grads.slots) {
        let node = model.layers()[li].borrow();
        let p = &node.layer.params()[pi];
        if g.shape() != p.value.shape() {
            return Err(Error::Shape(format!(
                "apply: the gradient of layer {li} '{}' weight '{}' has shape {:?}, the weight {:?}",
                node.name,
                p.name,
                g.shape(),
                p.value.shape()
            )));
        }
        if crate::tensor::first_non_finite(&contiguous(g)).is_some() {
            return Err(Error::Diverged(format!(
                "a gradient of layer {li} '{}' became NaN or infinite; the update was not applied. Try a smaller learning rate.",
                node.name
            )));
        }
    }
    if grads.slots.is_empty() {
        return Ok(()); // nothing trainable: no optimizer step (Adam's count stays)
    }
    let layers = model.layers().to_vec();
    let c = model.compiled_mut()?;
    c.optimizer.begin_step();
    for (slot, (&(li, pi), g)) in c.slots.iter().zip(&grads.slots).enumerate() {
        let mut node = layers[li].borrow_mut();
        let p = &mut node.layer.params_mut()[pi];
        c.optimizer.update(slot, data_mut(&mut p.value), &contiguous(g));
    }
    Ok(())
}

/// One training step on a whole batch entering at layer `from`: [`gradients`] then
/// [`apply`]. Nothing is applied when the loss or a gradient is not finite.
pub fn train_step(model: &mut Sequential, from: usize, xb: Tensor, yb: &Tensor) -> Result<StepSums> {
    let batch = xb.shape()[0];
    let grads = gradients(model, from, xb, yb, batch)?;
    apply(model, &grads)?;
    Ok(grads.sums)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::tensor::gather_rows;
    use crate::{Activation, LayerSpec, Loss, OptimizerConfig, Padding};

    /// A small CNN (no BatchNormalization or Dropout: see the module header) with its
    /// first convolution frozen, so one layer has no optimizer slot.
    fn model(optimizer: OptimizerConfig) -> Sequential {
        let specs = [
            LayerSpec::conv2d(4, 3, Padding::Same, Activation::Relu),
            LayerSpec::conv2d(6, 3, Padding::Valid, Activation::Relu),
            LayerSpec::max_pool(2),
            LayerSpec::Flatten,
            LayerSpec::dense(3, Activation::Softmax),
        ];
        let mut m = Sequential::from_specs(&[8, 8, 2], &specs, 11).unwrap();
        m.layers()[0].set_trainable(false);
        m.compile(Loss::SparseCategoricalCrossentropy, optimizer).unwrap();
        m
    }

    fn batch(n: usize) -> (Tensor, Tensor) {
        let mut r = Rng::new(5);
        let x = from_vec(&[n, 8, 8, 2], (0..n * 128).map(|_| r.uniform(-1.0, 1.0)).collect()).unwrap();
        let y = from_vec(&[n], (0..n).map(|_| r.below(3) as f32).collect()).unwrap();
        (x, y)
    }

    /// The gradients of rows `0..cut` and `cut..n` of the batch, summed in that order.
    fn two_shards(m: &mut Sequential, x: &Tensor, y: &Tensor, cut: usize) -> Gradients {
        let n = x.shape()[0];
        let (a, b): (Vec<usize>, Vec<usize>) = ((0..cut).collect(), (cut..n).collect());
        let mut g = gradients(m, 0, gather_rows(x, &a), &gather_rows(y, &a), n).unwrap();
        g.add(&gradients(m, 0, gather_rows(x, &b), &gather_rows(y, &b), n).unwrap()).unwrap();
        g
    }

    /// `|a - b| <= tol * max(|b|, the largest |b| of the tensor)`: per-element rounding
    /// relative to the tensor's scale (entries near zero carry only rounding noise).
    fn assert_close(what: &str, a: &[f32], b: &[f32], tol: f32) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-12);
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!((p - q).abs() <= tol * q.abs().max(scale), "{what}[{i}]: {p} vs {q}");
        }
    }

    #[test]
    fn gradients_of_two_shards_sum_to_the_whole_batch_gradient() {
        let (x, y) = batch(10);
        let mut m = model(OptimizerConfig::sgd(0.1));
        let whole = gradients(&mut m, 0, x.clone(), &y, 10).unwrap();
        // Slots: conv 2 (kernel, bias) and dense (kernel, bias); the frozen conv has none.
        assert_eq!(whole.slots.len(), 4);
        assert_eq!(whole.rows, 10);
        for cut in [1, 4, 9] {
            let sum = two_shards(&mut m, &x, &y, cut);
            assert_eq!(sum.rows, 10);
            assert_eq!((sum.sums.correct, sum.sums.counted), (whole.sums.correct, whole.sums.counted));
            assert!(
                (sum.sums.loss_sum - whole.sums.loss_sum).abs() <= 1e-9 * whole.sums.loss_sum.abs(),
                "loss sum, cut {cut}"
            );
            for (s, (a, b)) in sum.slots.iter().zip(&whole.slots).enumerate() {
                assert_eq!(a.shape(), b.shape());
                assert_close(&format!("slot {s}, cut {cut}"), &contiguous(a), &contiguous(b), 1e-5);
            }
        }
        // Nothing was applied: gradients leave the weights alone.
        assert_eq!(m.get_weights(), model(OptimizerConfig::sgd(0.1)).get_weights());
    }

    #[test]
    fn applying_summed_shard_gradients_equals_one_normal_step() {
        for opt in
            [OptimizerConfig::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: false }, OptimizerConfig::adam()]
        {
            let (x, y) = batch(10);
            let (mut normal, mut sharded) = (model(opt), model(opt));
            for step in 0..2 {
                let want = train_step(&mut normal, 0, x.clone(), &y).unwrap();
                let g = two_shards(&mut sharded, &x, &y, 3);
                apply(&mut sharded, &g).unwrap();
                assert_eq!((g.sums.correct, g.sums.counted), (want.correct, want.counted));
                for (i, (a, b)) in sharded.get_weights().iter().zip(normal.get_weights()).enumerate() {
                    assert_close(&format!("{opt:?} step {step} weight {i}"), &contiguous(a), &contiguous(&b), 1e-5);
                }
                assert_eq!(sharded.optimizer_steps(), normal.optimizer_steps());
                for (i, (a, b)) in sharded.optimizer_state().iter().zip(normal.optimizer_state()).enumerate() {
                    assert_close(&format!("{opt:?} step {step} optimizer state {i}"), a, &b, 1e-5);
                }
            }
        }
    }

    #[test]
    fn apply_changes_nothing_when_a_gradient_is_not_finite() {
        let (x, y) = batch(4);
        let mut m = model(OptimizerConfig::adam());
        let before = m.get_weights();
        let mut g = gradients(&mut m, 0, x, &y, 4).unwrap();
        g.slots[2][[0, 1]] = f32::NAN;
        let e = apply(&mut m, &g).unwrap_err();
        assert!(matches!(&e, Error::Diverged(msg) if msg.contains("layer 4 'dense")), "{e}");
        assert_eq!(m.get_weights(), before);
        assert_eq!(m.optimizer_steps(), 0);
        // Gradients of another model are refused before anything changes.
        g.slots.pop();
        assert!(matches!(apply(&mut m, &g), Err(Error::Shape(_))));
    }
}
