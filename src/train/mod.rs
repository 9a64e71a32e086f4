//! Training: the `fit` loop (one for both backends) and the training step.

pub mod fit;
