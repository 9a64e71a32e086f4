//! The wgpu GPU backend: WGSL compute kernels (one `.wgsl` file per kernel in
//! `shaders/`, its backward beside it), one long-lived [`GpuContext`], and
//! [`GpuModel`], a GPU-resident copy of a compiled `Sequential` that trains with one
//! command submission per step and reads results back only when asked.
//!
//! Everything that waits for the GPU is `async` (on the web a readback is a promise);
//! native callers drive the futures with `pollster::block_on`.

pub mod context;
pub mod kernels;
pub mod model;

pub use context::GpuContext;
pub use model::GpuModel;
