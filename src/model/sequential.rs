//! `Sequential`: a chain of shared layer handles with Keras' API — `add`, `layers`,
//! `pop`, `get_weights`/`set_weights`, `clone_model`, `compile`, `evaluate`, `predict`
//! (`fit` and the training step live in [`crate::train`]).
//!
//! # Freezing
//! `compile` snapshots which layers are trainable and hands optimizer slots to their
//! trainable parameters only. The training step ([`crate::train::step`]) then skips
//! weight-gradient work for frozen layers and stops back-propagation below the first
//! trainable layer; `fit` warns when a `trainable` flag changed since `compile` (the
//! change waits for the next compile).

use super::{global_rng_fork, unique_name, LayerRef};
use crate::error::{fmt_shape, Error, Result};
use crate::layers::LayerSpec;
use crate::loss::Loss;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::rng::Rng;
use crate::tensor::{check_example_shape, check_finite, Tensor};
use crate::train::step::StepSums;

pub struct Sequential {
    pub name: String,
    input_shape: Vec<usize>,
    layers: Vec<LayerRef>,
    compiled: Option<Compiled>,
    rng: Rng,
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequential")
            .field("name", &self.name)
            .field("input_shape", &self.input_shape)
            .field("layers", &self.layers.len())
            .finish()
    }
}

pub(crate) struct Compiled {
    pub loss: Loss,
    pub optimizer_config: OptimizerConfig,
    pub optimizer: Box<dyn Optimizer>,
    /// `(layer index, param index)` of every parameter the optimizer owns.
    pub slots: Vec<(usize, usize)>,
    /// `trainable` of each layer at compile time.
    pub trainable: Vec<bool>,
    /// Index of the first layer with trainable parameters (back-propagation stops there).
    pub first_trainable: Option<usize>,
    /// Bumped by every compile, so a running fit notices a recompile.
    pub generation: u64,
}

/// Loss and accuracy over a data set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    pub loss: f64,
    pub accuracy: f64,
}

impl Evaluation {
    /// The mean loss over `n` examples and the accuracy of a pass's sums.
    pub fn of(sums: StepSums, n: usize) -> Evaluation {
        Evaluation { loss: sums.loss_sum / n as f64, accuracy: sums.correct as f64 / sums.counted.max(1) as f64 }
    }
}

impl Sequential {
    /// An empty model for inputs of per-example shape `input_shape` (Keras' `Input(shape)`).
    pub fn new(input_shape: &[usize]) -> Sequential {
        Sequential::with_rng(input_shape, global_rng_fork())
    }

    /// Like `new`, with weight initialisation drawn from `seed`.
    pub fn with_seed(input_shape: &[usize], seed: u64) -> Sequential {
        Sequential::with_rng(input_shape, Rng::new(seed))
    }

    fn with_rng(input_shape: &[usize], rng: Rng) -> Sequential {
        Sequential {
            name: unique_name("sequential"),
            input_shape: input_shape.to_vec(),
            layers: Vec::new(),
            compiled: None,
            rng,
        }
    }

    /// Builds a model from specs: `Sequential([Input(shape), Conv2D(...), ...])`.
    pub fn from_specs(input_shape: &[usize], specs: &[LayerSpec], seed: u64) -> Result<Sequential> {
        let mut m = Sequential::with_seed(input_shape, seed);
        for s in specs {
            m.add(s)?;
        }
        Ok(m)
    }

    /// `Sequential(layers)`: a new model over existing layer objects, shared, not copied.
    pub fn from_layers(layers: &[LayerRef]) -> Result<Sequential> {
        let first =
            layers.first().ok_or_else(|| Error::Config("a Sequential model needs at least one layer".into()))?;
        let input = first.borrow().input_shape.clone();
        let mut m = Sequential::new(&input);
        for l in layers {
            m.add_layer(l.clone())?;
        }
        Ok(m)
    }

    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// Per-example output shape (the input shape for an empty model).
    pub fn output_shape(&self) -> Vec<usize> {
        self.layers.last().map_or(self.input_shape.clone(), |l| l.borrow().output_shape.clone())
    }

    /// `model.layers`: the layer handles (slice it like `layers[:-1]`).
    pub fn layers(&self) -> &[LayerRef] {
        &self.layers
    }

    /// `model.add(layer)` for a new layer: builds it for the current output shape.
    pub fn add(&mut self, spec: &LayerSpec) -> Result<LayerRef> {
        let input = self.output_shape();
        let layer =
            LayerRef::build(spec, None, &input, &mut self.rng).map_err(|e| self.at_layer(self.layers.len(), e))?;
        // Names loaded from a file do not advance the name counters: skip taken ones.
        while self.layers.iter().any(|l| l.name() == layer.name()) {
            layer.borrow_mut().name = unique_name(spec.name_stem());
        }
        self.layers.push(layer.clone());
        self.compiled = None;
        Ok(layer)
    }

    /// `model.add(layer)` for an existing (possibly shared) layer object.
    pub fn add_layer(&mut self, layer: LayerRef) -> Result<()> {
        if self.layers.iter().any(|l| l.name() == layer.name()) {
            return Err(Error::Config(format!(
                "all layers in a Sequential model need unique names; '{}' is already used (as in Keras)",
                layer.name()
            )));
        }
        let expected = self.output_shape();
        let found = layer.borrow().input_shape.clone();
        if expected != found {
            return Err(Error::Shape(format!(
                "layer {} '{}' was built for input {} but the model's output here is {}",
                self.layers.len(),
                layer.name(),
                fmt_shape(&found, true),
                fmt_shape(&expected, true)
            )));
        }
        self.layers.push(layer);
        self.compiled = None;
        Ok(())
    }

    /// `model.pop()`: removes and returns the last layer.
    pub fn pop(&mut self) -> Option<LayerRef> {
        self.compiled = None;
        self.layers.pop()
    }

    /// `model.trainable = value`: sets every layer's flag.
    pub fn set_trainable(&self, value: bool) {
        self.layers.iter().for_each(|l| l.set_trainable(value));
    }

    /// `e` with the layer's index and name in front (shape and config errors).
    pub(crate) fn at_layer(&self, i: usize, e: Error) -> Error {
        let name = self.layers.get(i).map(|l| format!(" '{}'", l.name())).unwrap_or_default();
        match e {
            Error::Shape(m) => Error::Shape(format!("layer {i}{name}: {m}")),
            Error::Config(m) => Error::Config(format!("layer {i}{name}: {m}")),
            other => other,
        }
    }

    /// `(total, trainable, non-trainable)` parameter counts, from the current flags.
    pub fn count_params(&self) -> (usize, usize, usize) {
        let mut total = 0;
        let mut trainable = 0;
        for l in &self.layers {
            let node = l.borrow();
            for p in node.layer.params() {
                total += p.value.len();
                if node.trainable && p.trainable {
                    trainable += p.value.len();
                }
            }
        }
        (total, trainable, total - trainable)
    }

    /// `model.get_weights()`: every weight, layer by layer, in Keras' order.
    pub fn get_weights(&self) -> Vec<Tensor> {
        self.layers
            .iter()
            .flat_map(|l| l.borrow().layer.params().iter().map(|p| p.value.clone()).collect::<Vec<_>>())
            .collect()
    }

    /// `model.set_weights(weights)`: checks the count and every shape before changing anything.
    pub fn set_weights(&self, weights: &[Tensor]) -> Result<()> {
        let mut expected = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let node = l.borrow();
            for p in node.layer.params() {
                expected.push((i, node.name.clone(), p.name, p.value.shape().to_vec()));
            }
        }
        if expected.len() != weights.len() {
            return Err(Error::Shape(format!(
                "set_weights: the model has {} weight arrays, got {}",
                expected.len(),
                weights.len()
            )));
        }
        for ((i, name, pname, shape), w) in expected.iter().zip(weights) {
            if w.shape() != shape.as_slice() {
                return Err(Error::Shape(format!(
                    "set_weights: layer {i} '{name}' weight '{pname}' expects shape {:?}, received {:?}",
                    shape,
                    w.shape()
                )));
            }
            if w.iter().any(|v| !v.is_finite()) {
                return Err(Error::Data(format!(
                    "set_weights: layer {i} '{name}' weight '{pname}' contains NaN or infinity"
                )));
            }
        }
        let mut it = weights.iter();
        for l in &self.layers {
            for p in l.borrow_mut().layer.params_mut() {
                p.value.assign(it.next().unwrap());
            }
        }
        Ok(())
    }

    /// `keras.models.clone_model(model)`: the same architecture with new layer
    /// objects, freshly initialised (weights are NOT copied; use `set_weights`).
    pub fn clone_model(&self) -> Result<Sequential> {
        let mut m = Sequential::new(&self.input_shape);
        for l in &self.layers {
            m.add(&l.spec())?;
        }
        Ok(m)
    }

    /// `model.compile(loss, optimizer, metrics=["accuracy"])`.
    pub fn compile(&mut self, loss: Loss, optimizer: OptimizerConfig) -> Result<()> {
        optimizer.validate()?;
        let last = self.layers.last().ok_or_else(|| Error::Config("cannot compile a model without layers".into()))?;
        loss.check_output(&self.output_shape(), last.borrow().layer.final_activation())?;
        let trainable: Vec<bool> = self.layers.iter().map(|l| l.trainable()).collect();
        let mut slots = Vec::new();
        let mut sizes = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            if !trainable[i] {
                continue;
            }
            for (j, p) in l.borrow().layer.params().iter().enumerate() {
                if p.trainable {
                    slots.push((i, j));
                    sizes.push(p.value.len());
                }
            }
        }
        let first_trainable = slots.first().map(|s| s.0);
        let generation = self.compiled.as_ref().map_or(1, |c| c.generation + 1);
        self.compiled = Some(Compiled {
            loss,
            optimizer_config: optimizer,
            optimizer: optimizer.build(&sizes),
            slots,
            trainable,
            first_trainable,
            generation,
        });
        Ok(())
    }

    pub(crate) fn compiled(&self) -> Result<&Compiled> {
        self.compiled
            .as_ref()
            .ok_or_else(|| Error::NotCompiled("call compile(loss, optimizer) before fit or evaluate".into()))
    }

    pub(crate) fn compiled_mut(&mut self) -> Result<&mut Compiled> {
        self.compiled
            .as_mut()
            .ok_or_else(|| Error::NotCompiled("call compile(loss, optimizer) before fit or evaluate".into()))
    }

    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    pub fn loss(&self) -> Option<Loss> {
        self.compiled.as_ref().map(|c| c.loss)
    }

    pub fn optimizer_config(&self) -> Option<OptimizerConfig> {
        self.compiled.as_ref().map(|c| c.optimizer_config)
    }

    /// Per-slot optimizer state (velocity for SGD with momentum; m then v for Adam).
    pub fn optimizer_state(&self) -> Vec<Vec<f32>> {
        self.compiled.as_ref().map_or_else(Vec::new, |c| c.optimizer.state())
    }

    /// Optimizer steps taken since `compile` (Adam's `t`; 0 for SGD).
    pub fn optimizer_steps(&self) -> i32 {
        self.compiled.as_ref().map_or(0, |c| c.optimizer.steps())
    }

    /// Restores optimizer state (as `optimizer_state` returns it) and the step count,
    /// e.g. after training on another backend.
    pub fn set_optimizer_state(&mut self, state: &[Vec<f32>], steps: i32) {
        if let Some(c) = self.compiled.as_mut() {
            c.optimizer.set_state(state, steps);
        }
    }

    /// Layers whose `trainable` changed since `compile` (empty when none or not compiled).
    pub fn uncompiled_trainable_changes(&self) -> Vec<String> {
        let Some(c) = &self.compiled else { return Vec::new() };
        self.layers.iter().zip(&c.trainable).filter(|(l, t)| l.trainable() != **t).map(|(l, _)| l.name()).collect()
    }

    /// Runs layers `from..to` in inference mode over `x`, on the forward-only path
    /// (`super::infer`; it picks its own chunks: `_batch_size` only groups the caller's work).
    pub(crate) fn forward_range_batched(
        &self,
        from: usize,
        to: usize,
        x: &Tensor,
        _batch_size: usize,
    ) -> Result<Tensor> {
        self.infer_range(from, to, x)
    }

    /// `model.predict(x, batch_size)`: inference-mode outputs for every example.
    pub fn predict(&self, x: &Tensor, batch_size: usize) -> Result<Tensor> {
        self.check_input(x, "predict")?;
        let batch_size = crate::limits::inference_batch(self, x.shape()[0], batch_size)?;
        self.forward_range_batched(0, self.layers.len(), x, batch_size)
    }

    /// `model.evaluate(x, y, batch_size)`: mean loss and accuracy in inference mode.
    pub fn evaluate(&self, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Evaluation> {
        self.check_input(x, "evaluate")?;
        let batch_size = crate::limits::inference_batch(self, x.shape()[0], batch_size)?;
        self.evaluate_from(0, x, y, batch_size)
    }

    /// Images `x` for the model's input: their shape, and no NaN or infinite value.
    pub(crate) fn check_input(&self, x: &Tensor, what: &str) -> Result<()> {
        check_example_shape(x, &self.input_shape, what)?;
        check_finite(x, what)
    }

    /// Evaluation starting at layer `from` (with `x` the features entering it), on the
    /// forward-only path (`super::infer`; the loss is summed per batch of `batch_size`).
    pub(crate) fn evaluate_from(&self, from: usize, x: &Tensor, y: &Tensor, batch_size: usize) -> Result<Evaluation> {
        let n = x.shape()[0];
        Ok(Evaluation::of(self.evaluate_sums_from(from, x, y, batch_size)?, n))
    }

    /// Index of the first layer with trainable parameters at compile time.
    pub(crate) fn first_trainable(&self) -> Option<usize> {
        self.compiled.as_ref().and_then(|c| c.first_trainable)
    }

    pub(crate) fn generation(&self) -> u64 {
        self.compiled.as_ref().map_or(0, |c| c.generation)
    }
}
