//! `BatchNormalization` over the last (channels) axis, Keras defaults: momentum 0.99,
//! epsilon 1e-3, `center` and `scale` on.
//!
//! Training mode normalises with the batch's mean and (biased) variance and moves
//! the moving statistics: `moving = moving * momentum + batch * (1 - momentum)`.
//! Inference mode uses the moving statistics. As in Keras >= 2.1.3, a layer whose
//! `trainable` is false runs in inference mode even during `fit` (the model passes
//! `Mode::Infer` for it): fine-tuning a frozen base then does not wreck its statistics.
//!
//! # Shapes
//! `[batch, .., c]` -> same; gamma, beta, moving_mean, moving_variance `[c]`.

use super::{rows_and_last, Grad, LayerSpec, Mode, Param};
use crate::error::{Error, Result};
use crate::tensor::{data, data_mut, shaped, standard, Tensor};
use ndarray::IxDyn;

#[derive(Debug, Clone)]
pub struct BatchNormalization {
    pub channels: usize,
    pub momentum: f32,
    pub epsilon: f32,
    pub center: bool,
    pub scale: bool,
    /// In Keras' order: `[gamma?, beta?, moving_mean, moving_variance]`.
    pub params: Vec<Param>,
    cache: Option<Cache>,
}

#[derive(Debug, Clone)]
struct Cache {
    xhat: Vec<f32>,
    inv_std: Vec<f32>,
    shape: Vec<usize>,
    batch_stats: bool,
}

impl BatchNormalization {
    pub fn new(channels: usize, momentum: f32, epsilon: f32, center: bool, scale: bool) -> Self {
        let ones = Tensor::from_elem(IxDyn(&[channels]), 1.0);
        let zeros = Tensor::zeros(IxDyn(&[channels]));
        let mut params = Vec::new();
        if scale {
            params.push(Param::new("gamma", ones.clone(), true));
        }
        if center {
            params.push(Param::new("beta", zeros.clone(), true));
        }
        params.push(Param::new("moving_mean", zeros, false));
        params.push(Param::new("moving_variance", ones, false));
        BatchNormalization { channels, momentum, epsilon, center, scale, params, cache: None }
    }

    pub fn spec(&self) -> LayerSpec {
        LayerSpec::BatchNormalization {
            momentum: self.momentum,
            epsilon: self.epsilon,
            center: self.center,
            scale: self.scale,
        }
    }

    fn idx(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    fn vec(&self, name: &str, default: f32) -> Vec<f32> {
        match self.idx(name) {
            Some(i) => self.params[i].value.iter().copied().collect(),
            None => vec![default; self.channels],
        }
    }

    /// `batch_stats` selects training-mode normalisation; `mode == Train` keeps what
    /// backward needs (a frozen BN inside a trainable model is `Train` without batch stats).
    pub fn forward(&mut self, x: Tensor, mode: Mode, batch_stats: bool) -> Result<Tensor> {
        let c = self.channels;
        if x.ndim() < 2 || *x.shape().last().unwrap() != c {
            return Err(Error::Shape(format!(
                "BatchNormalization expects input [batch, .., {c}], got {:?}",
                x.shape()
            )));
        }
        let shape = x.shape().to_vec();
        let mut x = standard(x);
        let (rows, _) = rows_and_last(&shape);
        let xs = data_mut(&mut x);
        let (mean, var) = if batch_stats {
            // Two passes in f64 for the statistics: stable for large batches.
            let mut mean = vec![0.0f64; c];
            for r in xs.chunks(c) {
                mean.iter_mut().zip(r).for_each(|(m, v)| *m += *v as f64);
            }
            mean.iter_mut().for_each(|m| *m /= rows as f64);
            let mut var = vec![0.0f64; c];
            for r in xs.chunks(c) {
                var.iter_mut().zip(r.iter().zip(&mean)).for_each(|(s, (v, m))| *s += (*v as f64 - m).powi(2));
            }
            var.iter_mut().for_each(|v| *v /= rows as f64);
            let (mean, var): (Vec<f32>, Vec<f32>) =
                (mean.iter().map(|&m| m as f32).collect(), var.iter().map(|&v| v as f32).collect());
            let m = self.momentum;
            for (name, batch) in [("moving_mean", &mean), ("moving_variance", &var)] {
                let i = self.idx(name).unwrap();
                self.params[i].value.iter_mut().zip(batch).for_each(|(mv, b)| *mv = *mv * m + b * (1.0 - m));
            }
            (mean, var)
        } else {
            (self.vec("moving_mean", 0.0), self.vec("moving_variance", 1.0))
        };
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + self.epsilon).sqrt()).collect();
        let gamma = self.vec("gamma", 1.0);
        let beta = self.vec("beta", 0.0);
        let keep = mode == Mode::Train;
        let mut xhat = if keep { vec![0.0f32; xs.len()] } else { Vec::new() };
        for (ri, r) in xs.chunks_mut(c).enumerate() {
            for ch in 0..c {
                let h = (r[ch] - mean[ch]) * inv_std[ch];
                if keep {
                    xhat[ri * c + ch] = h;
                }
                r[ch] = gamma[ch] * h + beta[ch];
            }
        }
        self.cache = keep.then_some(Cache { xhat, inv_std, shape, batch_stats });
        Ok(x)
    }

    pub fn backward(&mut self, g: Grad, need_dx: bool, param_grads: bool) -> Result<Option<Tensor>> {
        let (Grad::Output(dy) | Grad::PreActivation(dy)) = g;
        let cache = self
            .cache
            .as_ref()
            .ok_or_else(|| Error::Config("BatchNormalization: backward without a training forward pass".into()))?;
        let c = self.channels;
        let dy = standard(dy);
        let g = data(&dy);
        let (rows, _) = rows_and_last(&cache.shape);
        let mut sum_dy = vec![0.0f32; c];
        let mut sum_dy_xhat = vec![0.0f32; c];
        for (gr, hr) in g.chunks(c).zip(cache.xhat.chunks(c)) {
            for ch in 0..c {
                sum_dy[ch] += gr[ch];
                sum_dy_xhat[ch] += gr[ch] * hr[ch];
            }
        }
        if param_grads {
            if let Some(i) = self.idx("gamma") {
                self.params[i].grad = Some(shaped(&[c], sum_dy_xhat.clone()));
            }
            if let Some(i) = self.idx("beta") {
                self.params[i].grad = Some(shaped(&[c], sum_dy.clone()));
            }
        }
        if !need_dx {
            return Ok(None);
        }
        let gamma = self.vec("gamma", 1.0);
        let mut dx = vec![0.0f32; g.len()];
        if cache.batch_stats {
            // dx = gamma * inv_std / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
            let m = rows as f32;
            for ((dr, gr), hr) in dx.chunks_mut(c).zip(g.chunks(c)).zip(cache.xhat.chunks(c)) {
                for ch in 0..c {
                    dr[ch] = gamma[ch] * cache.inv_std[ch] / m * (m * gr[ch] - sum_dy[ch] - hr[ch] * sum_dy_xhat[ch]);
                }
            }
        } else {
            // Moving statistics are constants: dx = gamma * inv_std * dy.
            for (dr, gr) in dx.chunks_mut(c).zip(g.chunks(c)) {
                for ch in 0..c {
                    dr[ch] = gamma[ch] * cache.inv_std[ch] * gr[ch];
                }
            }
        }
        Ok(Some(shaped(&cache.shape, dx)))
    }

    pub fn clear_cache(&mut self) {
        self.cache = None;
    }
}
