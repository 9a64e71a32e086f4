//! What each layer sees: every chosen layer's output for a batch of inputs, in inference
//! mode, as Keras gives it with
//!
//! ```python
//! probe = keras.Model(model.inputs, [l.output for l in model.layers])
//! outputs = probe.predict(x)          # one array per layer, model.layers order
//! ```
//!
//! Inference mode as in `predict`: Dropout passes its input through and
//! BatchNormalization uses its moving statistics.
//!
//! # Memory
//! The inputs run through the model `batch_size` at a time, so the working memory is one
//! chunk's activations; only the chosen layers' outputs are kept, written straight into
//! the result, and the forward pass stops after the deepest chosen layer. The result
//! itself is `n x` (the chosen layers' per-example sizes) floats: check
//! [`Sequential::layer_outputs_bytes`] against a limit before asking for many images.
//!
//! # Shapes
//! `x`: `[n, ...input_shape]`; each output: `[n, ...layer.output_shape]`, e.g. for model A
//! `conv2d` gives `[n, 28, 28, 16]` (NHWC: channel `c` of image `i` at `[i, .., .., c]`).

use super::Sequential;
use crate::error::{Error, Result};
use crate::layers::Mode;
use crate::tensor::{check_example_shape, check_finite, contiguous, from_vec, gather_rows, Tensor};

/// One layer's output over the whole input batch.
#[derive(Debug, Clone)]
pub struct LayerOutput {
    /// Position in `model.layers`.
    pub index: usize,
    pub name: String,
    /// Keras' class name (`Conv2D`, `MaxPooling2D`, ...).
    pub class_name: &'static str,
    /// `[n, ...output_shape]`.
    pub output: Tensor,
}

impl Sequential {
    /// `model.layers.index(model.get_layer(name))`: the positions of the named layers,
    /// in the order given. An unknown name is an error that lists the model's names.
    pub fn layer_indices(&self, names: &[&str]) -> Result<Vec<usize>> {
        names
            .iter()
            .map(|name| {
                self.layers().iter().position(|l| l.borrow().name == *name).ok_or_else(|| {
                    let known: Vec<String> = self.layers().iter().map(|l| l.name()).collect();
                    Error::Config(format!(
                        "no layer named '{name}' in model '{}' (its layers: {})",
                        self.name,
                        known.join(", ")
                    ))
                })
            })
            .collect()
    }

    /// Bytes of float32 that [`Sequential::layer_outputs`] returns for `n` examples and
    /// these layers (all when `None`), in `u64` so it cannot wrap on wasm32; `None` when
    /// it does not even fit a `u64`, or an index is out of range.
    pub fn layer_outputs_bytes(&self, n: usize, layers: Option<&[usize]>) -> Option<u64> {
        let all: Vec<usize> = (0..self.layers().len()).collect();
        let chosen = layers.unwrap_or(&all);
        chosen.iter().try_fold(0u64, |sum, &i| {
            let node = self.layers().get(i)?.borrow();
            let per = node.output_shape.iter().try_fold(1u64, |p, &d| p.checked_mul(d as u64))?;
            per.checked_mul(n as u64)?.checked_mul(4)?.checked_add(sum)
        })
    }

    /// The outputs of the chosen layers (`layers`: indices into `model.layers`, in the
    /// order wanted, each at most once; `None` = every layer) for every example of `x`,
    /// computed `batch_size` examples at a time (see the module docs).
    ///
    /// Errors: `x` not `[n, ...input_shape]` or not finite (as `predict`), an index out
    /// of range or given twice.
    pub fn layer_outputs(&self, x: &Tensor, layers: Option<&[usize]>, batch_size: usize) -> Result<Vec<LayerOutput>> {
        check_example_shape(x, self.input_shape(), "layer_outputs")?;
        check_finite(x, "layer_outputs")?;
        let count = self.layers().len();
        let all: Vec<usize> = (0..count).collect();
        let chosen = layers.unwrap_or(&all);
        // slot[i] = where layer i's output goes in the result, if it was chosen.
        let mut slot: Vec<Option<usize>> = vec![None; count];
        for (k, &i) in chosen.iter().enumerate() {
            if i >= count {
                return Err(Error::Config(format!(
                    "layer_outputs: layer index {i} is out of range (the model has {count} layers: 0..{count})"
                )));
            }
            if slot[i].is_some() {
                return Err(Error::Config(format!(
                    "layer_outputs: layer {i} '{}' is asked for twice",
                    self.layers()[i].name()
                )));
            }
            slot[i] = Some(k);
        }
        let n = x.shape()[0];
        let bytes = self.layer_outputs_bytes(n, Some(chosen)).filter(|&b| usize::try_from(b).is_ok());
        if bytes.is_none() {
            return Err(Error::Data(format!(
                "layer_outputs: the outputs of {n} examples do not fit in memory; ask for fewer examples or layers"
            )));
        }
        let shapes: Vec<Vec<usize>> = chosen.iter().map(|&i| self.layers()[i].borrow().output_shape.clone()).collect();
        let mut data: Vec<Vec<f32>> =
            shapes.iter().map(|s| Vec::with_capacity(n * s.iter().product::<usize>())).collect();
        // The forward pass stops after the deepest chosen layer.
        let depth = chosen.iter().max().map_or(0, |&d| d + 1);
        let result = self.collect_outputs(x, depth, &slot, batch_size, &mut data);
        for l in &self.layers()[..depth] {
            l.borrow_mut().layer.clear_cache();
        }
        result?;
        chosen
            .iter()
            .zip(shapes)
            .zip(data)
            .map(|((&i, shape), values)| {
                let node = self.layers()[i].borrow();
                let mut full = vec![n];
                full.extend(shape);
                Ok(LayerOutput {
                    index: i,
                    name: node.name.clone(),
                    class_name: node.layer.spec().class_name(),
                    output: from_vec(&full, values)?,
                })
            })
            .collect()
    }

    /// Runs layers `0..depth` chunk by chunk, appending each chosen layer's output to its
    /// slot in `data`.
    fn collect_outputs(
        &self,
        x: &Tensor,
        depth: usize,
        slot: &[Option<usize>],
        batch_size: usize,
        data: &mut [Vec<f32>],
    ) -> Result<()> {
        let n = x.shape()[0];
        let mut start = 0;
        while start < n {
            let end = (start + batch_size.max(1)).min(n);
            let rows: Vec<usize> = (start..end).collect();
            let mut h = gather_rows(x, &rows); // [chunk, ...input_shape]
            for (i, l) in self.layers().iter().enumerate().take(depth) {
                let mut node = l.borrow_mut();
                h = node.layer.forward(h, Mode::Infer, true).map_err(|e| at_layer(i, &node.name, e))?; // [chunk, ...output_shape of i]
                if let Some(k) = slot[i] {
                    data[k].extend_from_slice(&contiguous(&h));
                }
            }
            start = end;
        }
        Ok(())
    }
}

/// The error with the layer's index and name in front, keeping its kind.
fn at_layer(i: usize, name: &str, e: Error) -> Error {
    let at = |m: String| format!("layer {i} '{name}': {m}");
    match e {
        Error::Shape(m) => Error::Shape(at(m)),
        Error::Config(m) => Error::Config(at(m)),
        Error::Data(m) => Error::Data(at(m)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Activation, LayerSpec, Padding};

    fn small() -> Sequential {
        let specs = [
            LayerSpec::conv2d(2, 3, Padding::Same, Activation::Relu),
            LayerSpec::max_pool(2),
            LayerSpec::Flatten,
            LayerSpec::Dropout { rate: 0.5, seed: Some(1) },
            LayerSpec::dense(3, Activation::Softmax),
        ];
        Sequential::from_specs(&[4, 4, 1], &specs, 7).unwrap()
    }

    fn input(n: usize) -> Tensor {
        from_vec(&[n, 4, 4, 1], (0..n * 16).map(|v| ((v * 7) % 11) as f32 / 11.0 - 0.3).collect()).unwrap()
    }

    #[test]
    fn last_output_is_predict_and_each_output_feeds_the_next() {
        let m = small();
        let x = input(5);
        let outs = m.layer_outputs(&x, None, 2).unwrap();
        assert_eq!(outs.len(), 5);
        assert_eq!(outs[0].output.shape(), &[5, 4, 4, 2]);
        assert_eq!(outs[1].output.shape(), &[5, 2, 2, 2]);
        assert_eq!((outs[3].class_name, outs[3].name.as_str()), ("Dropout", m.layers()[3].name().as_str()));
        // Dropout passes through in inference mode.
        assert_eq!(outs[3].output, outs[2].output);
        assert_eq!(outs[4].output, m.predict(&x, 32).unwrap());
    }

    #[test]
    fn chunks_and_subsets_do_not_change_the_values() {
        let m = small();
        let x = input(5);
        let whole = m.layer_outputs(&x, None, 64).unwrap();
        let one_by_one = m.layer_outputs(&x, None, 1).unwrap();
        for (a, b) in whole.iter().zip(&one_by_one) {
            assert_eq!(a.output, b.output, "layer {}", a.index);
        }
        let picked = m.layer_outputs(&x, Some(&[2, 0]), 3).unwrap();
        assert_eq!((picked[0].index, picked[1].index), (2, 0));
        assert_eq!(picked[0].output, whole[2].output);
        assert_eq!(picked[1].output, whole[0].output);
        let none = m.layer_outputs(&input(0), Some(&[1]), 3).unwrap();
        assert_eq!(none[0].output.shape(), &[0, 2, 2, 2]);
    }

    #[test]
    fn bad_requests_are_errors() {
        let m = small();
        let x = input(2);
        assert!(matches!(m.layer_outputs(&x, Some(&[5]), 8), Err(Error::Config(e)) if e.contains("out of range")));
        assert!(matches!(m.layer_outputs(&x, Some(&[1, 1]), 8), Err(Error::Config(e)) if e.contains("twice")));
        let wrong = from_vec(&[1, 3, 3, 1], vec![0.0; 9]).unwrap();
        assert!(matches!(m.layer_outputs(&wrong, None, 8), Err(Error::Shape(_))));
        let mut nan = input(1);
        nan[[0, 1, 1, 0]] = f32::NAN;
        assert!(matches!(m.layer_outputs(&nan, None, 8), Err(Error::Data(_))));
        let names = [m.layers()[4].name(), m.layers()[0].name()];
        assert_eq!(m.layer_indices(&[&names[0], &names[1]]).unwrap(), vec![4, 0]);
        assert!(matches!(m.layer_indices(&["nope"]), Err(Error::Config(e)) if e.contains("no layer named 'nope'")));
    }

    #[test]
    fn byte_count_is_checked() {
        let m = small();
        // Per example: 32 + 8 + 8 + 8 + 3 floats.
        assert_eq!(m.layer_outputs_bytes(10, None), Some(10 * 59 * 4));
        assert_eq!(m.layer_outputs_bytes(10, Some(&[4])), Some(10 * 3 * 4));
        assert_eq!(m.layer_outputs_bytes(1, Some(&[9])), None);
        // The count is u64 arithmetic: it overflows only where usize is 64 bits wide; on
        // wasm32 the largest count still has an exact size (which the limits then refuse).
        assert_eq!(m.layer_outputs_bytes(usize::MAX, None), (usize::MAX as u64).checked_mul(59 * 4));
        if usize::BITS == 64 {
            assert_eq!(m.layer_outputs_bytes(usize::MAX, None), None);
        }
    }
}
