//! transfer-playground: a small Keras-faithful CNN engine (CPU reference in `ndarray`,
//! GPU in WGSL through `wgpu`) that runs the Hands-On ML ch. 11 transfer-learning
//! procedure natively and, compiled to WebAssembly, in a browser tab.

pub mod data;
pub mod device;
pub mod error;
pub mod evaluation;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod image;
pub mod keras;
pub mod kernels;
pub mod layers;
pub mod lecture;
pub mod limits;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod rng;
pub mod tensor;
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
pub use layers::{Activation, LayerSpec, Padding};
pub use loss::Loss;
pub use model::{set_random_seed, LayerRef, Sequential};
pub use optim::OptimizerConfig;
pub use tensor::Tensor;
pub use train::fit::{Control, Event, FitOptions, FitPosition, FitSession, History};
