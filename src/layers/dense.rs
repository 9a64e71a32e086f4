//! `Dense`: `y = activation(x W + b)` on the last axis.
//!
//! # Shapes
//! input `[batch, .., in]` -> output `[batch, .., units]`; kernel `[in, units]`, bias `[units]`.

use super::{glorot_uniform, rows_and_last, Activation, Grad, LayerSpec, Mode, Param};
use crate::error::{Error, Result};
use crate::kernels::gemm;
use crate::rng::Rng;
use crate::tensor::{data, data_mut, shaped, standard, zeros, Tensor};

#[derive(Debug, Clone)]
pub struct Dense {
    pub in_features: usize,
    pub units: usize,
    pub activation: Activation,
    pub use_bias: bool,
    /// `[kernel, bias?]`
    pub params: Vec<Param>,
    /// Input and output of the last training forward pass.
    cache: Option<(Tensor, Tensor)>,
    /// Pre-activation of the last forward pass, kept for sigmoid/softmax so that a
    /// cross-entropy loss can be computed from logits (see `crate::loss`).
    pub logits: Option<Tensor>,
}

impl Dense {
    pub fn new(in_features: usize, units: usize, activation: Activation, use_bias: bool, rng: &mut Rng) -> Dense {
        let kernel = glorot_uniform(&[in_features, units], in_features, units, rng);
        let mut params = vec![Param::new("kernel", kernel, true)];
        if use_bias {
            params.push(Param::new("bias", zeros(&[units]), true));
        }
        Dense { in_features, units, activation, use_bias, params, cache: None, logits: None }
    }

    pub fn spec(&self) -> LayerSpec {
        LayerSpec::Dense { units: self.units, activation: self.activation, use_bias: self.use_bias }
    }

    pub fn forward(&mut self, x: Tensor, mode: Mode) -> Result<Tensor> {
        if x.ndim() < 2 || *x.shape().last().unwrap() != self.in_features {
            return Err(Error::Shape(format!(
                "Dense expects input [batch, .., {}], got {:?}",
                self.in_features,
                x.shape()
            )));
        }
        let x = standard(x);
        let (rows, _) = rows_and_last(x.shape());
        let u = self.units;
        let mut out = vec![0.0f32; rows * u];
        if self.use_bias {
            let b = data(&self.params[1].value);
            out.chunks_mut(u).for_each(|r| r.copy_from_slice(b));
        }
        gemm(rows, self.in_features, u, data(&x), false, data(&self.params[0].value), false, &mut out, 1.0);
        let mut shape = x.shape().to_vec();
        *shape.last_mut().unwrap() = u;
        self.logits =
            matches!(self.activation, Activation::Sigmoid | Activation::Softmax).then(|| shaped(&shape, out.clone()));
        self.activation.forward(&mut out, u);
        let y = shaped(&shape, out);
        self.cache = (mode == Mode::Train).then(|| (x, y.clone()));
        Ok(y)
    }

    pub fn backward(&mut self, g: Grad, need_dx: bool, param_grads: bool) -> Result<Option<Tensor>> {
        let (x, y) = self
            .cache
            .as_ref()
            .ok_or_else(|| Error::Config("Dense: backward without a training forward pass".into()))?;
        let (rows, inf) = rows_and_last(x.shape());
        let u = self.units;
        let mut dz = match g {
            Grad::PreActivation(dz) => dz,
            Grad::Output(mut dy) => {
                self.activation.backward(data(y), data_mut(&mut dy), u);
                dy
            }
        };
        let dz = data_mut(&mut dz);
        if param_grads {
            // dW [in, units] = x^T [in, rows] x dz [rows, units]
            let mut dw = vec![0.0f32; inf * u];
            gemm(inf, rows, u, data(x), true, dz, false, &mut dw, 0.0);
            self.params[0].grad = Some(shaped(&[inf, u], dw));
            if self.use_bias {
                let mut db = vec![0.0f32; u];
                for r in dz.chunks(u) {
                    db.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                }
                self.params[1].grad = Some(shaped(&[u], db));
            }
        }
        if !need_dx {
            return Ok(None);
        }
        // dx [rows, in] = dz [rows, units] x W^T
        let mut dx = vec![0.0f32; rows * inf];
        gemm(rows, u, inf, dz, false, data(&self.params[0].value), true, &mut dx, 0.0);
        Ok(Some(shaped(x.shape(), dx)))
    }

    pub fn clear_cache(&mut self) {
        self.cache = None;
        self.logits = None;
    }
}
