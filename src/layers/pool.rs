//! Pooling: `MaxPooling2D`, `AveragePooling2D` and `GlobalAveragePooling2D`.
//!
//! With `same` padding, TensorFlow ignores the padded positions: a max never picks
//! them and an average divides by the number of real pixels in the window. We do
//! the same.
//!
//! # Shapes
//! `[batch, h, w, c]` -> `[batch, out_h, out_w, c]` (global: `[batch, c]`).

use super::{LayerSpec, Mode, Padding};
use crate::error::{Error, Result};
use crate::kernels::{copy_short, Window};
use crate::tensor::{data, shaped, standard, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Average,
}

#[derive(Debug, Clone)]
pub struct Pool2D {
    pub kind: PoolKind,
    pub pool_size: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    /// For max pooling, the flat input index each output came from.
    argmax: Vec<u32>,
    window: Option<Window>,
}

/// The input rows (or columns) `lo..hi` that output `o` sees: the window clipped to
/// the image (padding contributes nothing).
#[inline]
fn span(o: usize, stride: usize, k: usize, pad: usize, size: usize) -> (usize, usize) {
    let start = o * stride;
    (start.saturating_sub(pad).min(size), (start + k).saturating_sub(pad).min(size))
}

/// Visits, for output pixel (oy, ox), the valid input pixels of its window.
#[inline]
fn taps(w: &Window, oy: usize, ox: usize, mut f: impl FnMut(usize, usize)) {
    let (y0, y1) = span(oy, w.stride_h, w.k_h, w.pad_top, w.in_h);
    let (x0, x1) = span(ox, w.stride_w, w.k_w, w.pad_left, w.in_w);
    for iy in y0..y1 {
        for ix in x0..x1 {
            f(iy, ix);
        }
    }
}

/// `d = max(d, v)` per channel, `idx` following the winner (`v[ch]` is input `at + ch`);
/// `>` keeps the first maximum, like TensorFlow.
#[inline(always)]
fn max_with_index(d: &mut [f32], idx: &mut [u32], v: &[f32], at: usize) {
    assert!(idx.len() == d.len() && v.len() == d.len(), "max_with_index: lengths differ");
    // The compiler leaves this loop scalar (a compare and two selects per channel); on
    // wasm, four channels at a time as one vector compare and two blends.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = {
        use core::arch::wasm32::*;
        let lanes = u32x4(0, 1, 2, 3);
        let mut done = 0;
        while done + 4 <= d.len() {
            // SAFETY: done + 4 <= len of all three slices (asserted equal); v128 loads and
            // stores need no alignment.
            unsafe {
                let (dp, ip, vp) = (
                    d.as_mut_ptr().add(done) as *mut v128,
                    idx.as_mut_ptr().add(done) as *mut v128,
                    v.as_ptr().add(done) as *const v128,
                );
                let (dv, iv, vv) = (v128_load(dp), v128_load(ip), v128_load(vp));
                let better = f32x4_gt(vv, dv);
                let here = u32x4_add(u32x4_splat((at + done) as u32), lanes);
                v128_store(dp, v128_bitselect(vv, dv, better));
                v128_store(ip, v128_bitselect(here, iv, better));
            }
            done += 4;
        }
        done
    };
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    for (ch, ((d, i), v)) in d.iter_mut().zip(idx.iter_mut()).zip(v).enumerate().skip(done) {
        if *v > *d {
            *d = *v;
            *i = (at + ch) as u32;
        }
    }
}

impl Pool2D {
    pub fn new(kind: PoolKind, pool_size: (usize, usize), strides: (usize, usize), padding: Padding) -> Pool2D {
        Pool2D { kind, pool_size, strides, padding, argmax: Vec::new(), window: None }
    }

    pub fn spec(&self) -> LayerSpec {
        let (pool_size, strides, padding) = (self.pool_size, self.strides, self.padding);
        match self.kind {
            PoolKind::Max => LayerSpec::MaxPooling2D { pool_size, strides, padding },
            PoolKind::Average => LayerSpec::AveragePooling2D { pool_size, strides, padding },
        }
    }

    pub fn forward(&mut self, x: Tensor, mode: Mode) -> Result<Tensor> {
        let &[n, h, wd, c] = x.shape() else {
            return Err(Error::Shape(format!(
                "{} expects input [batch, height, width, channels], got {:?}",
                self.spec().class_name(),
                x.shape()
            )));
        };
        let w = Window::new(n, h, wd, c, self.pool_size, self.strides, self.padding == Padding::Same);
        let x = standard(x);
        let xs = data(&x);
        let mut out = vec![0.0f32; w.rows() * c];
        let keep = mode == Mode::Train && self.kind == PoolKind::Max;
        if keep {
            self.argmax.resize(out.len(), 0);
        }
        for b in 0..n {
            let base = b * h * wd * c;
            for oy in 0..w.out_h {
                for ox in 0..w.out_w {
                    let o = ((b * w.out_h + oy) * w.out_w + ox) * c;
                    let dst = &mut out[o..o + c];
                    match self.kind {
                        PoolKind::Max => {
                            // The first tap initialises; `>` then keeps the first
                            // maximum, like TensorFlow.
                            let (y0, y1) = span(oy, w.stride_h, w.k_h, w.pad_top, h);
                            let (x0, x1) = span(ox, w.stride_w, w.k_w, w.pad_left, wd);
                            let first = base + (y0 * wd + x0) * c;
                            copy_short(dst, &xs[first..first + c]);
                            // Selects rather than branches, so the channel loops vectorise.
                            if keep {
                                let idx = &mut self.argmax[o..o + c];
                                idx.iter_mut().zip(first as u32..).for_each(|(i, at)| *i = at);
                                for iy in y0..y1 {
                                    for ix in x0..x1 {
                                        let at = base + (iy * wd + ix) * c;
                                        max_with_index(dst, idx, &xs[at..at + c], at);
                                    }
                                }
                            } else {
                                for iy in y0..y1 {
                                    for ix in x0..x1 {
                                        let at = base + (iy * wd + ix) * c;
                                        dst.iter_mut()
                                            .zip(&xs[at..at + c])
                                            .for_each(|(d, v)| *d = if *v > *d { *v } else { *d });
                                    }
                                }
                            }
                        }
                        PoolKind::Average => {
                            let mut count = 0usize;
                            taps(&w, oy, ox, |iy, ix| {
                                let at = base + (iy * wd + ix) * c;
                                dst.iter_mut().zip(&xs[at..at + c]).for_each(|(d, s)| *d += s);
                                count += 1;
                            });
                            let inv = 1.0 / count as f32;
                            dst.iter_mut().for_each(|d| *d *= inv);
                        }
                    }
                }
            }
        }
        self.window = (mode == Mode::Train).then_some(w);
        Ok(shaped(&[n, w.out_h, w.out_w, c], out))
    }

    pub fn backward(&mut self, dy: Tensor) -> Result<Tensor> {
        let w = self.window.ok_or_else(|| Error::Config("pooling: backward without a training forward pass".into()))?;
        let c = w.channels;
        let dy = standard(dy);
        let g = data(&dy);
        let mut dx = vec![0.0f32; w.batch * w.in_h * w.in_w * c];
        match self.kind {
            PoolKind::Max => {
                for (i, &src) in self.argmax[..g.len()].iter().enumerate() {
                    dx[src as usize] += g[i];
                }
            }
            PoolKind::Average => {
                for b in 0..w.batch {
                    let base = b * w.in_h * w.in_w * c;
                    for oy in 0..w.out_h {
                        for ox in 0..w.out_w {
                            let o = ((b * w.out_h + oy) * w.out_w + ox) * c;
                            let mut count = 0usize;
                            taps(&w, oy, ox, |_, _| count += 1);
                            let inv = 1.0 / count as f32;
                            taps(&w, oy, ox, |iy, ix| {
                                let at = base + (iy * w.in_w + ix) * c;
                                dx[at..at + c].iter_mut().zip(&g[o..o + c]).for_each(|(d, s)| *d += s * inv);
                            });
                        }
                    }
                }
            }
        }
        Ok(shaped(&[w.batch, w.in_h, w.in_w, c], dx))
    }
}

/// Mean over height and width: `[batch, h, w, c]` -> `[batch, c]`.
#[derive(Debug, Clone, Default)]
pub struct GlobalAveragePooling2D {
    in_shape: Option<Vec<usize>>,
}

impl GlobalAveragePooling2D {
    pub fn forward(&mut self, x: Tensor, mode: Mode) -> Result<Tensor> {
        let &[n, h, w, c] = x.shape() else {
            return Err(Error::Shape(format!(
                "GlobalAveragePooling2D expects input [batch, height, width, channels], got {:?}",
                x.shape()
            )));
        };
        let x = standard(x);
        let xs = data(&x);
        let mut out = vec![0.0f32; n * c];
        let inv = 1.0 / (h * w) as f32;
        for b in 0..n {
            let dst = &mut out[b * c..(b + 1) * c];
            for px in xs[b * h * w * c..(b + 1) * h * w * c].chunks(c) {
                dst.iter_mut().zip(px).for_each(|(d, s)| *d += s);
            }
            dst.iter_mut().for_each(|d| *d *= inv);
        }
        self.in_shape = (mode == Mode::Train).then(|| x.shape().to_vec());
        Ok(shaped(&[n, c], out))
    }

    pub fn backward(&mut self, dy: Tensor) -> Result<Tensor> {
        let s = self
            .in_shape
            .clone()
            .ok_or_else(|| Error::Config("GlobalAveragePooling2D: backward without a training forward pass".into()))?;
        let (n, hw, c) = (s[0], s[1] * s[2], s[3]);
        let dy = standard(dy);
        let g = data(&dy);
        let inv = 1.0 / hw as f32;
        let mut dx = vec![0.0f32; n * hw * c];
        for b in 0..n {
            for px in dx[b * hw * c..(b + 1) * hw * c].chunks_mut(c) {
                px.iter_mut().zip(&g[b * c..(b + 1) * c]).for_each(|(d, s)| *d = s * inv);
            }
        }
        Ok(shaped(&s, dx))
    }
}
