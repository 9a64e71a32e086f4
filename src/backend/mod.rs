//! Compute backends. The CPU path (`cpu`) is the numerical reference and the fallback
//! where a browser has no WebGPU.

pub mod cpu;
pub mod gemm_packed;
#[cfg(feature = "gpu")]
pub mod gpu;
