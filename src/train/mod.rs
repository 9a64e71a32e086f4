//! Training: losses, optimizers, metrics and the `fit` loop.

pub mod fit;
pub mod loss;
pub mod metrics;
pub mod optim;
