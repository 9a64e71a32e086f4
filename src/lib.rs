//! transfer-playground: a small Keras-faithful CNN engine (CPU reference in `ndarray`,
//! GPU in WGSL through `wgpu`) that runs the Hands-On ML ch. 11 transfer-learning
//! procedure natively and, compiled to WebAssembly, in a browser tab.

pub mod data;
pub mod keras;
