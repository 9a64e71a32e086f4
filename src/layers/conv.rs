//! `Conv2D`: NHWC input, HWIO kernel, computed as im2col + one GEMM (see `tensor.rs`
//! for why the layouts make the GEMM's output NHWC with no transpose).
//!
//! # Shapes
//! input `[batch, h, w, in_channels]` -> output `[batch, out_h, out_w, filters]`;
//! kernel `[kh, kw, in_channels, filters]`, bias `[filters]`.

use super::{glorot_uniform, Activation, Grad, LayerSpec, Mode, Padding, Param};
use crate::error::{Error, Result};
use crate::kernels::{col2im, gemm, im2col, Window};
use crate::rng::Rng;
use crate::tensor::{data, data_mut, shaped, standard, zeros, Tensor};

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
    /// im2col scratch for one chunk of images, reused between chunks and batches.
    cols: Vec<f32>,
    /// After a training forward pass: the geometry, the input and the output.
    cache: Option<(Window, Tensor, Tensor)>,
}

/// Columns per chunk: the convolution runs im2col + GEMM a few images at a time, so the
/// columns are still in cache when the GEMM reads them (a whole batch's are megabytes:
/// model A's second convolution at batch 128 has 14 MB of them) and the scratch stays
/// small. 128 Ki floats = 512 KiB, half an L2 cache of a typical core.
const CHUNK_FLOATS: usize = 1 << 17;

/// Splits a batch into chunks of whole images: for each, its first image's index, its
/// input images, their window and the matching rows of a `[rows, f]` matrix (the
/// output, or its gradient).
fn chunks<'a>(
    x: &'a [f32],
    w: &Window,
    rows: &'a mut [f32],
    f: usize,
) -> impl Iterator<Item = (usize, &'a [f32], Window, &'a mut [f32])> {
    let (per_in, per_out) = (w.in_h * w.in_w * w.channels, w.out_h * w.out_w);
    let step = (CHUNK_FLOATS / (per_out * w.cols()).max(1)).max(1);
    let w = *w;
    // (`max(1)`: an empty image or output has nothing to compute; `zip` then stops.)
    let (xs, rs) = (x.chunks((step * per_in).max(1)), rows.chunks_mut((step * per_out * f).max(1)));
    xs.zip(rs).enumerate().map(move |(i, (xc, rc))| (i * step, xc, Window { batch: xc.len() / per_in.max(1), ..w }, rc))
}

/// The first `len` floats of the scratch, grown if needed (its contents are overwritten).
fn scratch(cols: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if cols.len() < len {
        cols.resize(len, 0.0);
    }
    &mut cols[..len]
}

impl Conv2D {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: usize,
        filters: usize,
        kernel_size: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
        activation: Activation,
        use_bias: bool,
        rng: &mut Rng,
    ) -> Conv2D {
        let (kh, kw) = kernel_size;
        let kernel = glorot_uniform(&[kh, kw, in_channels, filters], kh * kw * in_channels, kh * kw * filters, rng);
        let mut params = vec![Param::new("kernel", kernel, true)];
        if use_bias {
            params.push(Param::new("bias", zeros(&[filters]), true));
        }
        Conv2D {
            in_channels,
            filters,
            kernel_size,
            strides,
            padding,
            activation,
            use_bias,
            params,
            cols: Vec::new(),
            cache: None,
        }
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
        let x = standard(x);
        let (kc, f) = (w.cols(), self.filters);
        // [rows, filters], each row starting as the bias (written once, not zeroed first).
        let mut out = Vec::with_capacity(w.rows() * f);
        if self.use_bias {
            let b = data(&self.params[1].value);
            (0..w.rows()).for_each(|_| out.extend_from_slice(b));
        } else {
            out.resize(w.rows() * f, 0.0);
        }
        let kernel = data(&self.params[0].value);
        // In the page's build, short im2col rows (few input channels) go to the direct
        // kernel: the same values, without the GEMM's packing overhead.
        if cfg!(target_arch = "wasm32") && crate::kernels::conv_direct::fits(&w, f) {
            crate::kernels::conv_direct::forward(data(&x), &w, kernel, f, &mut out);
        } else {
            for (_, xc, cw, oc) in chunks(data(&x), &w, &mut out, f) {
                let cols = scratch(&mut self.cols, cw.rows() * kc);
                im2col(xc, &cw, cols);
                gemm(cw.rows(), kc, f, cols, false, kernel, false, oc, 1.0);
            }
        }
        self.activation.forward(&mut out, f);
        let y = shaped(&[w.batch, w.out_h, w.out_w, f], out);
        // [batch, out_h, out_w, filters]; backward rebuilds the columns from the input.
        self.cache = (mode == Mode::Train).then(|| (w, x, y.clone()));
        Ok(y)
    }

    pub fn backward(&mut self, g: Grad, need_dx: bool, param_grads: bool) -> Result<Option<Tensor>> {
        let Conv2D { cache, cols, params, activation, filters, use_bias, .. } = self;
        let (w, x, y) =
            cache.as_ref().ok_or_else(|| Error::Config("Conv2D: backward without a training forward pass".into()))?;
        let (w, kc, f) = (*w, w.cols(), *filters);
        let mut dz = match g {
            Grad::PreActivation(dz) => dz,
            Grad::Output(mut dy) => {
                activation.backward(data(y), data_mut(&mut dy), f);
                dy
            }
        };
        let dz = data_mut(&mut dz);
        let kernel = data(&params[0].value);
        // dK [kh*kw*cin, filters] = cols^T [kc, rows] x dz [rows, filters], summed over chunks;
        // dcols [rows, kc] = dz [rows, filters] x K^T, scattered back by col2im.
        let mut dk = param_grads.then(|| vec![0.0f32; kc * f]);
        let mut dx = need_dx.then(|| vec![0.0f32; w.batch * w.in_h * w.in_w * w.channels]);
        for (n0, xc, cw, dzc) in chunks(data(x), &w, dz, f) {
            let cols = scratch(cols, cw.rows() * kc);
            if let Some(dk) = &mut dk {
                im2col(xc, &cw, cols);
                gemm(kc, cw.rows(), f, cols, true, dzc, false, dk, 1.0);
            }
            if let Some(dx) = &mut dx {
                gemm(cw.rows(), f, kc, dzc, false, kernel, true, cols, 0.0);
                let at = n0 * w.in_h * w.in_w * w.channels;
                col2im(cols, &cw, &mut dx[at..at + xc.len()]);
            }
        }
        if let Some(dk) = dk {
            params[0].grad = Some(shaped(params[0].value.shape(), dk));
        }
        if param_grads && *use_bias {
            let mut db = vec![0.0f32; f];
            for r in dz.chunks(f) {
                db.iter_mut().zip(r).for_each(|(a, b)| *a += b);
            }
            params[1].grad = Some(shaped(&[f], db));
        }
        let Some(dx) = dx else { return Ok(None) };
        *cache = None;
        Ok(Some(shaped(&[w.batch, w.in_h, w.in_w, w.channels], dx)))
    }

    pub fn clear_cache(&mut self) {
        self.cache = None;
        self.cols = Vec::new();
    }
}
