//! The wgpu GPU backend, beside the CPU kernels of [`crate::kernels`]: WGSL compute
//! kernels (one `.wgsl` file per kernel in `shaders/`, its backward beside it; compiled
//! in [`pipelines`], recorded as [`Op`]s by [`kernels`]), one long-lived [`GpuContext`], and
//! [`GpuModel`], a GPU-resident copy of a compiled `Sequential` that trains with one
//! command submission per step and reads results back only when asked.
//! [`GpuFitSession`] runs `fit` on it one step at a time, and [`FitRunner`] picks the
//! backend for a fit and moves it to the CPU if the GPU is lost; [`inference`] does the
//! same for `predict` and `evaluate`.
//!
//! Everything that waits for the GPU is `async` (on the web a readback is a promise);
//! native callers drive the futures with `pollster::block_on`.

pub mod context;
pub mod fallback;
pub mod fit;
pub mod inference;
pub mod kernels;
pub mod model;
pub mod ops;
pub mod pipelines;

pub use context::{is_gpu_failure, GpuContext};
pub use fallback::{FitRunner, RunnerStep};
pub use fit::GpuFitSession;
pub use inference::Computed;
pub use model::{GpuModel, GpuState};
pub use ops::Op;
