//! Training: the `fit` loop, one for both backends ([`cursor`]: which rows, which
//! epoch, running means, history; [`fit`]: the checks, the frozen-feature cache and the
//! CPU session; [`options`] and [`logs`]: what a fit takes and reports), and the CPU
//! training step as gradients, then update ([`step`]).

pub mod cursor;
pub mod fit;
pub mod logs;
pub mod options;
pub mod parallel;
pub mod step;
