//! CPU kernels the layers call: the GEMM ([`gemm`]: `matrixmultiply` natively, the
//! packed `simd128` kernel of [`gemm_packed`] on wasm32), im2col / col2im and the
//! window geometry of convolutions and pooling ([`im2col`]), and short inline copies
//! ([`copy`]). The CPU path is the numerical reference and the fallback where a browser
//! has no WebGPU; the GPU backend ([`crate::gpu`]) has a WGSL kernel for each of these.

pub mod conv_direct;
pub mod copy;
pub mod gemm;
pub mod gemm_packed;
pub mod im2col;

pub use copy::copy_short;
pub use gemm::gemm;
pub use im2col::{col2im, conv_geometry, im2col, Window};
