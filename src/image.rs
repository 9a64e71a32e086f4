//! Resampling image tensors to a model's input size and channel count — the lecture's
//! preprocessing rule ("images of another size are resized to the source model's input
//! size first"), applied to data already in the engine (the built-in task-B set when the
//! learner loads a model A with another input shape). Uploaded photos are decoded and
//! resized in the browser (`www/image.js`) with the same policy.
//!
//! Policy: center-crop to the target aspect ratio, then resample each axis with a
//! box filter whose width is the scale factor (area averaging: no aliasing when
//! shrinking) or, when enlarging, linear interpolation. Grayscale becomes RGB by
//! copying the channel; RGB becomes grayscale with BT.601 luma weights.

use crate::error::{Error, Result};
use crate::tensor::{from_vec, Tensor};

/// BT.601 luma weights for R, G, B.
pub const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// Weights of source pixels for each output pixel along one axis: `(first, weights)`.
fn axis_weights(src: usize, dst: usize, crop_start: f64, crop_len: f64) -> Vec<(usize, Vec<f32>)> {
    let scale = crop_len / dst as f64;
    (0..dst)
        .map(|o| {
            if scale > 1.0 {
                // Box filter over [a, b) in source coordinates.
                let a = crop_start + o as f64 * scale;
                let b = a + scale;
                let first = a.floor() as usize;
                let last = (b.ceil() as usize).min(src);
                let w: Vec<f32> = (first..last).map(|i| ((b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0) / scale) as f32).collect();
                (first, w)
            } else {
                // Linear interpolation at the output pixel's centre.
                let c = (crop_start + (o as f64 + 0.5) * scale - 0.5).clamp(0.0, (src - 1) as f64);
                let i = c.floor() as usize;
                let t = (c - i as f64) as f32;
                if i + 1 < src {
                    (i, vec![1.0 - t, t])
                } else {
                    (i, vec![1.0])
                }
            }
        })
        .collect()
}

/// Resizes `[n, h, w, c]` images to `[n, out_h, out_w, out_c]` (see the module docs).
pub fn resize_images(x: &Tensor, out_h: usize, out_w: usize, out_c: usize) -> Result<Tensor> {
    let &[n, h, w, c] = x.shape() else {
        return Err(Error::Shape(format!("resize: expected images [n, height, width, channels], got {:?}", x.shape())));
    };
    if h == 0 || w == 0 || out_h == 0 || out_w == 0 {
        return Err(Error::Shape("resize: image sizes must be positive".into()));
    }
    if !matches!(c, 1 | 3) || !matches!(out_c, 1 | 3) {
        return Err(Error::Shape(format!("resize: only 1 (grayscale) or 3 (RGB) channels are supported, got {c} -> {out_c}")));
    }
    if (h, w, c) == (out_h, out_w, out_c) {
        return Ok(x.clone());
    }
    // Center crop to the target aspect ratio.
    let (src_ar, dst_ar) = (w as f64 / h as f64, out_w as f64 / out_h as f64);
    let (cy, ch, cx, cw) = if src_ar > dst_ar {
        let cw = h as f64 * dst_ar;
        (0.0, h as f64, (w as f64 - cw) / 2.0, cw)
    } else {
        let ch = w as f64 / dst_ar;
        ((h as f64 - ch) / 2.0, ch, 0.0, w as f64)
    };
    let rows = axis_weights(h, out_h, cy, ch);
    let cols = axis_weights(w, out_w, cx, cw);
    let xs = crate::tensor::contiguous(x);
    let mut out = vec![0.0f32; n * out_h * out_w * out_c];
    let mut px = vec![0.0f32; c];
    for b in 0..n {
        let img = &xs[b * h * w * c..(b + 1) * h * w * c];
        for (oy, (ry, wy)) in rows.iter().enumerate() {
            for (ox, (rx, wx)) in cols.iter().enumerate() {
                px.fill(0.0);
                for (dy, wyv) in wy.iter().enumerate() {
                    for (dx, wxv) in wx.iter().enumerate() {
                        let at = ((ry + dy) * w + rx + dx) * c;
                        let k = wyv * wxv;
                        px.iter_mut().zip(&img[at..at + c]).for_each(|(p, v)| *p += k * v);
                    }
                }
                let o = ((b * out_h + oy) * out_w + ox) * out_c;
                match (c, out_c) {
                    (1, 3) => out[o..o + 3].fill(px[0]),
                    (3, 1) => out[o] = LUMA[0] * px[0] + LUMA[1] * px[1] + LUMA[2] * px[2],
                    _ => out[o..o + out_c].copy_from_slice(&px),
                }
            }
        }
    }
    from_vec(&[n, out_h, out_w, out_c], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_average_when_shrinking_and_constant_images_stay_constant() {
        // 4x4 -> 2x2 is the mean of each 2x2 block.
        let x = from_vec(&[1, 4, 4, 1], (0..16).map(|v| v as f32).collect()).unwrap();
        let y = resize_images(&x, 2, 2, 1).unwrap();
        assert_eq!(y.as_slice().unwrap(), &[2.5, 4.5, 10.5, 12.5]);
        // Any resize of a constant image is constant (weights sum to one), also upscaling.
        let x = Tensor::from_elem(ndarray::IxDyn(&[2, 28, 28, 1]), 0.25);
        for (h, w) in [(64, 64), (13, 11), (5, 7)] {
            let y = resize_images(&x, h, w, 3).unwrap();
            assert_eq!(y.shape(), &[2, h, w, 3]);
            assert!(y.iter().all(|v| (v - 0.25).abs() < 1e-6), "{h}x{w}");
        }
    }

    #[test]
    fn a_stripe_pattern_does_not_alias() {
        // Alternating 0/1 columns shrunk 8x: every output is the average 0.5 (point
        // sampling would give all 0s or all 1s).
        let x = from_vec(&[1, 8, 64, 1], (0..8 * 64).map(|i| (i % 2) as f32).collect()).unwrap();
        let y = resize_images(&x, 1, 8, 1).unwrap();
        assert!(y.iter().all(|v| (v - 0.5).abs() < 1e-6), "{y:?}");
    }

    #[test]
    fn center_crop_and_luma() {
        // A 2x4 image (wide) to 1x1: the crop keeps the middle 2x2.
        let x = from_vec(&[1, 2, 4, 1], vec![9.0, 1.0, 1.0, 9.0, 9.0, 1.0, 1.0, 9.0]).unwrap();
        assert_eq!(resize_images(&x, 1, 1, 1).unwrap().as_slice().unwrap(), &[1.0]);
        let rgb = from_vec(&[1, 1, 1, 3], vec![1.0, 0.0, 0.0]).unwrap();
        assert!((resize_images(&rgb, 1, 1, 1).unwrap()[[0, 0, 0, 0]] - 0.299).abs() < 1e-6);
        assert!(resize_images(&rgb, 1, 1, 2).is_err());
    }
}
