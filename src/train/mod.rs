//! Training: the `fit` loop, one for both backends ([`cursor`]: which rows, which
//! epoch, running means, history; [`fit`]: the CPU session and Keras' vocabulary), and
//! the CPU training step as gradients-then-update ([`step`]).

pub mod cursor;
pub mod fit;
pub mod step;
