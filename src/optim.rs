//! Optimizers: small types behind one trait, with state kept per parameter slot.
//! Slots are handed out at `compile` to trainable parameters only, so a frozen
//! layer has no optimizer state at all (that is what "freeze" means here).
//!
//! Update rules follow Keras exactly:
//! - SGD: `v = momentum * v - lr * g`; `w += v` (nesterov: `w += momentum * v - lr * g`);
//!   without momentum, `w -= lr * g`.
//! - Adam (lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7):
//!   `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
//!   `w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)`.

use crate::error::{Error, Result};

/// Serializable description of an optimizer (what `compile` receives).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimizerConfig {
    Sgd { learning_rate: f32, momentum: f32, nesterov: bool },
    Adam { learning_rate: f32, beta_1: f32, beta_2: f32, epsilon: f32 },
}

impl OptimizerConfig {
    /// `keras.optimizers.SGD(learning_rate=lr)`.
    pub fn sgd(learning_rate: f32) -> Self {
        OptimizerConfig::Sgd { learning_rate, momentum: 0.0, nesterov: false }
    }

    /// `keras.optimizers.Adam()` with Keras defaults.
    pub fn adam() -> Self {
        OptimizerConfig::Adam { learning_rate: 1e-3, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
    }

    pub fn learning_rate(&self) -> f32 {
        match *self {
            OptimizerConfig::Sgd { learning_rate, .. } | OptimizerConfig::Adam { learning_rate, .. } => learning_rate,
        }
    }

    pub fn validate(&self) -> Result<()> {
        let lr = self.learning_rate();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(Error::Config(format!("learning_rate must be a positive number, got {lr}")));
        }
        match *self {
            OptimizerConfig::Sgd { momentum, .. } if !(0.0..1.0).contains(&momentum) => {
                Err(Error::Config(format!("SGD momentum must be in [0, 1), got {momentum}")))
            }
            OptimizerConfig::Adam { beta_1, beta_2, epsilon, .. }
                if !(0.0..1.0).contains(&beta_1) || !(0.0..1.0).contains(&beta_2) || epsilon <= 0.0 =>
            {
                Err(Error::Config("Adam needs beta_1, beta_2 in [0, 1) and a positive epsilon".into()))
            }
            _ => Ok(()),
        }
    }

    /// A fresh optimizer with state for `slots` parameter slots of the given sizes.
    pub fn build(&self, slot_sizes: &[usize]) -> Box<dyn Optimizer> {
        match *self {
            OptimizerConfig::Sgd { learning_rate, momentum, nesterov } => Box::new(Sgd {
                learning_rate,
                momentum,
                nesterov,
                velocity: if momentum > 0.0 { slot_sizes.iter().map(|&n| vec![0.0; n]).collect() } else { Vec::new() },
            }),
            OptimizerConfig::Adam { learning_rate, beta_1, beta_2, epsilon } => Box::new(Adam {
                learning_rate,
                beta_1,
                beta_2,
                epsilon,
                step: 0,
                m: slot_sizes.iter().map(|&n| vec![0.0; n]).collect(),
                v: slot_sizes.iter().map(|&n| vec![0.0; n]).collect(),
            }),
        }
    }
}

/// An optimizer updates parameter slot `slot` from its gradient.
pub trait Optimizer {
    /// Called once per training step, before the slots are updated.
    fn begin_step(&mut self) {}
    fn update(&mut self, slot: usize, value: &mut [f32], grad: &[f32]);
    /// Per-slot state (for moving a model between backends, and for tests).
    fn state(&self) -> Vec<Vec<f32>>;
    /// Steps taken so far (Adam's bias correction needs it; 0 where unused).
    fn steps(&self) -> i32 {
        0
    }
    /// Restores what `state` and `steps` returned (moving a model between backends);
    /// state of the wrong shape is ignored.
    fn set_state(&mut self, state: &[Vec<f32>], steps: i32);
}

pub struct Sgd {
    learning_rate: f32,
    momentum: f32,
    nesterov: bool,
    velocity: Vec<Vec<f32>>,
}

impl Optimizer for Sgd {
    fn update(&mut self, slot: usize, w: &mut [f32], g: &[f32]) {
        let lr = self.learning_rate;
        if self.momentum == 0.0 {
            w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g);
            return;
        }
        let m = self.momentum;
        let v = &mut self.velocity[slot];
        for ((w, g), v) in w.iter_mut().zip(g).zip(v.iter_mut()) {
            *v = m * *v - lr * g;
            *w += if self.nesterov { m * *v - lr * g } else { *v };
        }
    }

    fn state(&self) -> Vec<Vec<f32>> {
        self.velocity.clone()
    }

    fn set_state(&mut self, state: &[Vec<f32>], _steps: i32) {
        for (v, s) in self.velocity.iter_mut().zip(state) {
            if v.len() == s.len() {
                v.copy_from_slice(s);
            }
        }
    }
}

pub struct Adam {
    learning_rate: f32,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    step: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

impl Optimizer for Adam {
    fn begin_step(&mut self) {
        self.step += 1;
    }

    fn update(&mut self, slot: usize, w: &mut [f32], g: &[f32]) {
        let t = self.step.max(1);
        let (b1, b2) = (self.beta_1, self.beta_2);
        let alpha = self.learning_rate * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
        let (m, v) = (&mut self.m[slot], &mut self.v[slot]);
        for i in 0..w.len() {
            m[i] += (g[i] - m[i]) * (1.0 - b1);
            v[i] += (g[i] * g[i] - v[i]) * (1.0 - b2);
            w[i] -= alpha * m[i] / (v[i].sqrt() + self.epsilon);
        }
    }

    fn state(&self) -> Vec<Vec<f32>> {
        self.m.iter().chain(&self.v).cloned().collect()
    }

    fn steps(&self) -> i32 {
        self.step
    }

    fn set_state(&mut self, state: &[Vec<f32>], steps: i32) {
        for (d, s) in self.m.iter_mut().chain(self.v.iter_mut()).zip(state) {
            if d.len() == s.len() {
                d.copy_from_slice(s);
            }
        }
        self.step = steps;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgd_momentum_by_hand() {
        // w=1, g=0.5, lr=0.1, m=0.9: v1 = -0.05, w1 = 0.95; v2 = 0.9*-0.05 - 0.05 = -0.095, w2 = 0.855.
        let mut o = OptimizerConfig::Sgd { learning_rate: 0.1, momentum: 0.9, nesterov: false }.build(&[1]);
        let mut w = [1.0f32];
        o.update(0, &mut w, &[0.5]);
        assert!((w[0] - 0.95).abs() < 1e-6);
        o.update(0, &mut w, &[0.5]);
        assert!((w[0] - 0.855).abs() < 1e-6);
    }

    #[test]
    fn adam_first_step_moves_by_lr() {
        // Step 1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001)/0.1, so the step is
        // lr * g / (|g| + eps') ~= lr * sign(g).
        let mut o = OptimizerConfig::adam().build(&[2]);
        let mut w = [0.0f32, 0.0];
        o.begin_step();
        o.update(0, &mut w, &[3.0, -0.2]);
        assert!((w[0] + 1e-3).abs() < 1e-6 && (w[1] - 1e-3).abs() < 1e-6, "{w:?}");
    }
}
