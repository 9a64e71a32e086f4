//! Keras' `fit` arguments.

use crate::tensor::Tensor;

/// Keras' `fit` arguments.
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub epochs: usize,
    pub batch_size: usize,
    pub shuffle: bool,
    /// Seeds the shuffling (and nothing else: dropout masks have their own seeds).
    pub seed: u64,
    pub validation: Option<(Tensor, Tensor)>,
    /// Compute a frozen, deterministic base's features once (default) instead of
    /// every step. Off only to check that both give the same result.
    pub cache_frozen_features: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions { epochs: 1, batch_size: 32, shuffle: true, seed: 0, validation: None, cache_frozen_features: true }
    }
}
