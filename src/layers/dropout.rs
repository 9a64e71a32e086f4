//! `Dropout`: in training, zeroes each value with probability `rate` and scales the
//! rest by `1 / (1 - rate)` (inverted dropout, as Keras); identity in inference.
//! The mask comes from the layer's own seeded stream, so runs are reproducible.

use super::Mode;
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::Tensor;

#[derive(Debug, Clone)]
pub struct Dropout {
    pub rate: f32,
    pub seed: Option<u64>,
    rng: Rng,
    mask: Option<Vec<f32>>,
}

impl Dropout {
    pub fn new(rate: f32, seed: u64) -> Dropout {
        Dropout { rate, seed: Some(seed), rng: Rng::new(seed), mask: None }
    }

    pub fn forward(&mut self, mut x: Tensor, mode: Mode) -> Tensor {
        if mode == Mode::Infer || self.rate == 0.0 {
            self.mask = None;
            return x;
        }
        let mask = self.draw_mask(x.len());
        x.iter_mut().zip(&mask).for_each(|(v, m)| *v *= m);
        self.mask = Some(mask);
        x
    }

    pub fn backward(&mut self, mut dy: Tensor) -> Result<Tensor> {
        match &self.mask {
            None if self.rate == 0.0 => Ok(dy),
            None => Err(Error::Config("Dropout: backward without a training forward pass".into())),
            Some(mask) => {
                dy.iter_mut().zip(mask).for_each(|(g, m)| *g *= m);
                Ok(dy)
            }
        }
    }

    /// The next training mask for `len` values (0 or `1 / (1 - rate)`), advancing the
    /// layer's stream exactly as `forward` does; the GPU backend uploads these masks
    /// so that both backends drop the same values.
    pub fn draw_mask(&mut self, len: usize) -> Vec<f32> {
        let keep = 1.0 - self.rate;
        let scale = 1.0 / keep;
        (0..len).map(|_| if self.rng.next_f32() < keep { scale } else { 0.0 }).collect()
    }

    /// Fixes the mask stream (used by gradient checks, which need a repeatable forward).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }
}
