//! `Conv2D`: NHWC input, HWIO kernel, computed as im2col + one GEMM (see `tensor.rs`
//! for why the layouts make the GEMM's output NHWC with no transpose).
//!
//! # Shapes
//! input `[batch, h, w, in_channels]` -> output `[batch, out_h, out_w, filters]`;
//! kernel `[kh, kw, in_channels, filters]`, bias `[filters]`.

use super::{glorot_uniform, Activation, Grad, LayerSpec, Mode, Padding, Param};
use crate::backend::cpu::{col2im, gemm, im2col, Window};
use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::tensor::{zeros, Tensor};

#[derive(Debug, Clone)]
pub struct Conv2D {
    pub in_channels: usize,
    pub filters: usize,
    pub kernel_size: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub use_bias: bool,
    /// `[kernel, bias?]`
    pub params: Vec<Param>,
    /// im2col scratch, reused between batches; after a training forward pass it holds
    /// the columns that the kernel gradient needs.
    cols: Vec<f32>,
    cache: Option<(Window, Tensor)>,
}

impl Conv2D {
    #[allow(clippy::too_many_arguments)]
    pub fn new(in_channels: usize, filters: usize, kernel_size: (usize, usize), strides: (usize, usize), padding: Padding, activation: Activation, use_bias: bool, rng: &mut Rng) -> Conv2D {
        let (kh, kw) = kernel_size;
        let kernel = glorot_uniform(&[kh, kw, in_channels, filters], kh * kw * in_channels, kh * kw * filters, rng);
        let mut params = vec![Param::new("kernel", kernel, true)];
        if use_bias {
            params.push(Param::new("bias", zeros(&[filters]), true));
        }
        Conv2D { in_channels, filters, kernel_size, strides, padding, activation, use_bias, params, cols: Vec::new(), cache: None }
    }

    pub fn spec(&self) -> LayerSpec {
        LayerSpec::Conv2D {
            filters: self.filters,
            kernel_size: self.kernel_size,
            strides: self.strides,
            padding: self.padding,
            activation: self.activation,
            use_bias: self.use_bias,
        }
    }

    fn window(&self, x: &Tensor) -> Result<Window> {
        match *x.shape() {
            [n, h, w, c] if c == self.in_channels => {
                Ok(Window::new(n, h, w, c, self.kernel_size, self.strides, self.padding == Padding::Same))
            }
            _ => Err(Error::Shape(format!(
                "Conv2D expects input [batch, height, width, {}], got {:?}",
                self.in_channels,
                x.shape()
            ))),
        }
    }

    pub fn forward(&mut self, x: Tensor, mode: Mode) -> Result<Tensor> {
        let w = self.window(&x)?;
        let x = x.as_standard_layout();
        let (rows, kc, f) = (w.rows(), w.cols(), self.filters);
        self.cols.resize(rows * kc, 0.0);
        im2col(x.as_slice().unwrap(), &w, &mut self.cols);
        // [rows, filters], each row starting as the bias.
        let mut out = vec![0.0f32; rows * f];
        if self.use_bias {
            let b = self.params[1].value.as_slice().unwrap();
            out.chunks_mut(f).for_each(|r| r.copy_from_slice(b));
        }
        gemm(rows, kc, f, &self.cols, false, self.params[0].value.as_slice().unwrap(), false, &mut out, 1.0);
        self.activation.forward(&mut out, f);
        let y = Tensor::from_shape_vec(ndarray::IxDyn(&[w.batch, w.out_h, w.out_w, f]), out).unwrap();
        // [batch, out_h, out_w, filters]
        self.cache = (mode == Mode::Train).then(|| (w, y.clone()));
        Ok(y)
    }

    pub fn backward(&mut self, g: Grad, need_dx: bool, param_grads: bool) -> Result<Option<Tensor>> {
        let (w, y) = self.cache.as_ref().ok_or_else(|| Error::Config("Conv2D: backward without a training forward pass".into()))?;
        let w = *w;
        let (rows, kc, f) = (w.rows(), w.cols(), self.filters);
        let mut dz = match g {
            Grad::PreActivation(dz) => dz,
            Grad::Output(mut dy) => {
                self.activation.backward(y.as_slice().unwrap(), dy.as_slice_mut().unwrap(), f);
                dy
            }
        };
        let dz = dz.as_slice_mut().unwrap();
        if param_grads {
            // dK [kh*kw*cin, filters] = cols^T [kc, rows] x dz [rows, filters]
            let mut dk = vec![0.0f32; kc * f];
            gemm(kc, rows, f, &self.cols, true, dz, false, &mut dk, 0.0);
            self.params[0].grad = Some(Tensor::from_shape_vec(self.params[0].value.raw_dim(), dk).unwrap());
            if self.use_bias {
                let mut db = vec![0.0f32; f];
                for r in dz.chunks(f) {
                    db.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                }
                self.params[1].grad = Some(Tensor::from_shape_vec(ndarray::IxDyn(&[f]), db).unwrap());
            }
        }
        if !need_dx {
            return Ok(None);
        }
        // dcols [rows, kc] = dz [rows, filters] x K^T; the columns are no longer needed.
        gemm(rows, f, kc, dz, false, self.params[0].value.as_slice().unwrap(), true, &mut self.cols, 0.0);
        let mut dx = vec![0.0f32; w.batch * w.in_h * w.in_w * w.channels];
        col2im(&self.cols, &w, &mut dx);
        self.cache = None;
        Ok(Some(Tensor::from_shape_vec(ndarray::IxDyn(&[w.batch, w.in_h, w.in_w, w.channels]), dx).unwrap()))
    }

    pub fn clear_cache(&mut self) {
        self.cache = None;
        self.cols = Vec::new();
    }
}
