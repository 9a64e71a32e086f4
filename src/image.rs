//! The one image resizing policy, used for everything a model is shown: uploaded photos
//! and webcam frames (`imageToInput`, from RGBA pixels) and images already in the engine
//! (`resizeImages`, e.g. the built-in task-B set when model A has another input size).
//! Both go through [`resample`], so the page and the engine see the same pixels.
//!
//! # Policy
//! 1. RGBA is composited on white (a transparent PNG is drawn on paper, not on black)
//!    and scaled to `[0, 1]`.
//! 2. Centre crop to the target's aspect ratio (nothing is squashed).
//! 3. Each axis is resampled on its own: when shrinking, a box filter as wide as the
//!    scale factor (area averaging: every source pixel counts, so stripes do not alias
//!    into moiré); when enlarging, linear interpolation between pixel centres.
//! 4. Channels: RGB to grayscale with BT.601 luma (`0.299 R + 0.587 G + 0.114 B`),
//!    grayscale to RGB by copying.
//! 5. `invert` (for models trained on light-on-dark images such as Fashion-MNIST):
//!    `v -> 1 - v`.
//!
//! Sizes are checked first (`crate::limits`: pixels per image, bytes of the result), so
//! a huge or negative size is an error before anything is allocated.

use crate::error::{Error, Result};
use crate::limits::{self, MAX_DIM, MAX_IMAGE_PIXELS, MAX_INPUT_BYTES};
use crate::tensor::{contiguous, from_vec, Tensor};

/// BT.601 luma weights for R, G, B.
pub const LUMA: [f32; 3] = [0.299, 0.587, 0.114];

/// What a model wants: its per-example input `[height, width, channels]`, and whether
/// to invert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub height: usize,
    pub width: usize,
    /// 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    pub invert: bool,
}

/// An image as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInput {
    /// `[height, width, channels]`, row-major, in `[0, 1]`.
    pub data: Vec<f32>,
    pub shape: [usize; 3],
    /// The same pixels as RGBA bytes (gray repeated, alpha 255): what the model sees,
    /// for the page to show.
    pub preview: Vec<u8>,
}

/// A source of pixels for [`resample`]: `height x width` pixels of `channels` values.
trait Pixels {
    fn dims(&self) -> (usize, usize, usize);
    /// Adds `k` times pixel `(y, x)` to `acc` (`channels` values).
    fn add(&self, y: usize, x: usize, k: f32, acc: &mut [f32]);
}

/// One `[h, w, c]` float image.
struct FloatImage<'a> {
    data: &'a [f32],
    h: usize,
    w: usize,
    c: usize,
}

impl Pixels for FloatImage<'_> {
    fn dims(&self) -> (usize, usize, usize) {
        (self.h, self.w, self.c)
    }
    fn add(&self, y: usize, x: usize, k: f32, acc: &mut [f32]) {
        let at = (y * self.w + x) * self.c;
        acc.iter_mut().zip(&self.data[at..at + self.c]).for_each(|(a, v)| *a += k * v);
    }
}

/// RGBA bytes, composited on white and scaled to `[0, 1]`: 3 channels.
struct Rgba<'a> {
    data: &'a [u8],
    h: usize,
    w: usize,
}

impl Pixels for Rgba<'_> {
    fn dims(&self) -> (usize, usize, usize) {
        (self.h, self.w, 3)
    }
    fn add(&self, y: usize, x: usize, k: f32, acc: &mut [f32]) {
        let p = &self.data[(y * self.w + x) * 4..][..4];
        let alpha = p[3] as f32 / 255.0;
        // alpha * colour + (1 - alpha) * white, in [0, 1].
        for (a, &v) in acc.iter_mut().zip(&p[..3]) {
            *a += k * (alpha * (v as f32 / 255.0) + (1.0 - alpha));
        }
    }
}

/// Weights of source pixels for each output pixel along one axis: `(first, weights)`.
fn axis_weights(src: usize, dst: usize, crop_start: f64, crop_len: f64) -> Vec<(usize, Vec<f32>)> {
    let scale = crop_len / dst as f64;
    (0..dst)
        .map(|o| {
            if scale > 1.0 {
                // Box filter over [a, b) in source coordinates.
                let a = crop_start + o as f64 * scale;
                let b = a + scale;
                let first = (a.floor() as usize).min(src - 1);
                let last = (b.ceil() as usize).min(src);
                let w: Vec<f32> = (first..last)
                    .map(|i| ((b.min(i as f64 + 1.0) - a.max(i as f64)).max(0.0) / scale) as f32)
                    .collect();
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

/// Resamples one image to `out_h x out_w x out_c` into `out` (see the module docs).
fn resample(src: &dyn Pixels, out_h: usize, out_w: usize, out_c: usize, out: &mut [f32]) {
    let (h, w, c) = src.dims();
    // Centre crop to the target aspect ratio.
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
    let mut px = vec![0.0f32; c];
    for (oy, (ry, wy)) in rows.iter().enumerate() {
        for (ox, (rx, wx)) in cols.iter().enumerate() {
            px.fill(0.0);
            for (dy, wyv) in wy.iter().enumerate() {
                for (dx, wxv) in wx.iter().enumerate() {
                    src.add(ry + dy, rx + dx, wyv * wxv, &mut px);
                }
            }
            let o = (oy * out_w + ox) * out_c;
            match (c, out_c) {
                (1, 3) => out[o..o + 3].fill(px[0]),
                (3, 1) => out[o] = LUMA[0] * px[0] + LUMA[1] * px[1] + LUMA[2] * px[2],
                _ => out[o..o + out_c].copy_from_slice(&px),
            }
        }
    }
}

/// A size from input as a positive dimension within [`MAX_DIM`].
fn check_dim(what: &str, v: usize) -> Result<()> {
    if v == 0 {
        return Err(Error::Shape(format!("{what} must be at least 1")));
    }
    limits::check(|| what.to_string(), v as u64, MAX_DIM)
}

fn check_target(what: &str, t: &Target) -> Result<()> {
    check_dim(&format!("{what}: target height"), t.height)?;
    check_dim(&format!("{what}: target width"), t.width)?;
    limits::check(
        || format!("{what}: pixels of the target image"),
        t.height as u64 * t.width as u64,
        MAX_IMAGE_PIXELS,
    )?;
    if !matches!(t.channels, 1 | 3) {
        return Err(Error::unsupported(format!("{what}: {} target channels", t.channels), "1 (grayscale), 3 (RGB)"));
    }
    Ok(())
}

/// An RGBA image (`width x height`, 4 bytes per pixel, as a canvas' `ImageData` holds
/// it) as a model input of `target`'s size: the page's uploads and webcam frames.
/// The pixel limit is checked before anything else.
pub fn image_to_input(rgba: &[u8], width: usize, height: usize, target: Target) -> Result<ModelInput> {
    let what = "imageToInput";
    limits::check(|| format!("{what}: pixels of the image"), width as u64 * height as u64, MAX_IMAGE_PIXELS)?;
    check_dim(&format!("{what}: width"), width)?;
    check_dim(&format!("{what}: height"), height)?;
    check_target(what, &target)?;
    if rgba.len() as u64 != width as u64 * height as u64 * 4 {
        return Err(Error::Shape(format!(
            "{what}: a {width}x{height} RGBA image has {} bytes, got {}",
            width * height * 4,
            rgba.len()
        )));
    }
    let (h, w, c) = (target.height, target.width, target.channels);
    let mut data = limits::try_filled(h * w * c, 0.0f32, what)?;
    resample(&Rgba { data: rgba, h: height, w: width }, h, w, c, &mut data);
    if target.invert {
        data.iter_mut().for_each(|v| *v = 1.0 - *v);
    }
    let mut preview = limits::try_filled(h * w * 4, 255u8, what)?;
    for (px, values) in preview.chunks_exact_mut(4).zip(data.chunks_exact(c)) {
        for (k, p) in px[..3].iter_mut().enumerate() {
            *p = (values[if c == 1 { 0 } else { k }].clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    Ok(ModelInput { data, shape: [h, w, c], preview })
}

/// Resizes `[n, h, w, c]` images to `[n, out_h, out_w, out_c]` (see the module docs;
/// no alpha, no inversion: the values are resampled as they are).
pub fn resize_images(x: &Tensor, out_h: usize, out_w: usize, out_c: usize) -> Result<Tensor> {
    let what = "resizeImages";
    let &[n, h, w, c] = x.shape() else {
        return Err(Error::Shape(format!("{what}: expected images [n, height, width, channels], got {:?}", x.shape())));
    };
    check_dim(&format!("{what}: image height"), h)?;
    check_dim(&format!("{what}: image width"), w)?;
    limits::check(|| format!("{what}: pixels of an image"), h as u64 * w as u64, MAX_IMAGE_PIXELS)?;
    check_target(what, &Target { height: out_h, width: out_w, channels: out_c, invert: false })?;
    if !matches!(c, 1 | 3) {
        return Err(Error::unsupported(format!("{what}: {c} image channels"), "1 (grayscale), 3 (RGB)"));
    }
    limits::check(
        || format!("{what}: bytes of the resized images"),
        limits::f32_bytes(&[n, out_h, out_w, out_c]),
        MAX_INPUT_BYTES,
    )?;
    if (h, w, c) == (out_h, out_w, out_c) {
        return Ok(x.clone());
    }
    let xs = contiguous(x);
    let per_out = out_h * out_w * out_c;
    let mut out = limits::try_filled(n * per_out, 0.0f32, what)?;
    for (b, dst) in out.chunks_exact_mut(per_out).enumerate() {
        let img = FloatImage { data: &xs[b * h * w * c..(b + 1) * h * w * c], h, w, c };
        resample(&img, out_h, out_w, out_c, dst);
    }
    from_vec(&[n, out_h, out_w, out_c], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(height: usize, width: usize, channels: usize, invert: bool) -> Target {
        Target { height, width, channels, invert }
    }

    #[test]
    fn area_average_when_shrinking_and_constant_images_stay_constant() {
        // 4x4 -> 2x2 is the mean of each 2x2 block: (0+1+4+5)/4 = 2.5, ...
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
        assert_eq!(resize_images(&rgb, 1, 1, 2).unwrap_err().code(), "UNSUPPORTED");
    }

    #[test]
    fn linear_when_enlarging() {
        // A 1x2 image [0, 1] to 1x4: the crop keeps row 0 (aspect 2:1 -> 4:1 crops
        // height 0.5 of 1), columns sample at source x = (o + 0.5) * 0.5 - 0.5 =
        // -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]: values 0, 0.25, 0.75, 1.
        let x = from_vec(&[1, 1, 2, 1], vec![0.0, 1.0]).unwrap();
        assert_eq!(resize_images(&x, 1, 4, 1).unwrap().as_slice().unwrap(), &[0.0, 0.25, 0.75, 1.0]);
    }

    #[test]
    fn rgba_is_composited_on_white_then_luma_then_inverted() {
        // Opaque red: luma 0.299 (gray) or (1, 0, 0) (RGB).
        let red = [255, 0, 0, 255];
        assert!((image_to_input(&red, 1, 1, target(1, 1, 1, false)).unwrap().data[0] - 0.299).abs() < 1e-6);
        assert_eq!(image_to_input(&red, 1, 1, target(1, 1, 3, false)).unwrap().data, vec![1.0, 0.0, 0.0]);
        // Fully transparent black is white paper: 1.0; inverted, 0.0.
        let clear = [0, 0, 0, 0];
        assert_eq!(image_to_input(&clear, 1, 1, target(1, 1, 1, false)).unwrap().data, vec![1.0]);
        assert_eq!(image_to_input(&clear, 1, 1, target(1, 1, 1, true)).unwrap().data, vec![0.0]);
        // Black at alpha 51/255 = 0.2: 0.2 * 0 + 0.8 * 1 = 0.8; the preview shows
        // round(0.8 * 255) = 204 in R, G and B, alpha 255.
        let faint = [0, 0, 0, 51];
        let m = image_to_input(&faint, 1, 1, target(1, 1, 1, false)).unwrap();
        assert!((m.data[0] - 0.8).abs() < 1e-6);
        assert_eq!(m.preview, vec![204, 204, 204, 255]);
        assert_eq!(m.shape, [1, 1, 1]);
    }

    #[test]
    fn rgba_shrinks_by_area_after_a_centre_crop() {
        // A 4x2 (wide) RGBA image to 1x1 gray: the crop keeps columns 1 and 2, whose
        // four pixels are gray 0, 51, 102 and 153 (opaque): mean 76.5 / 255 = 0.3.
        let grays = [[200, 0, 51, 200], [200, 102, 153, 200]];
        let rgba: Vec<u8> = grays.iter().flatten().flat_map(|&g| [g, g, g, 255]).collect();
        let m = image_to_input(&rgba, 4, 2, target(1, 1, 1, false)).unwrap();
        assert!((m.data[0] - 0.3).abs() < 1e-6, "{:?}", m.data);
    }

    #[test]
    fn one_code_path_for_uploads_and_tensors() {
        // The same picture as RGBA bytes and as a [0, 1] float tensor resizes to the
        // same numbers (to float rounding).
        let (w, h) = (37, 23);
        let rgba: Vec<u8> =
            (0..w * h).flat_map(|i| [(i * 7 % 256) as u8, (i * 13 % 256) as u8, (i * 29 % 256) as u8, 255]).collect();
        let floats: Vec<f32> =
            rgba.chunks(4).flat_map(|p| [p[0] as f32 / 255.0, p[1] as f32 / 255.0, p[2] as f32 / 255.0]).collect();
        let x = from_vec(&[1, h, w, 3], floats).unwrap();
        for (th, tw, tc) in [(28, 28, 1), (8, 16, 3), (64, 40, 1)] {
            let a = image_to_input(&rgba, w, h, target(th, tw, tc, false)).unwrap();
            let b = resize_images(&x, th, tw, tc).unwrap();
            let max = a.data.iter().zip(b.iter()).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
            assert!(max < 1e-5, "{th}x{tw}x{tc}: {max}");
        }
    }

    #[test]
    fn sizes_are_checked_before_anything_is_allocated() {
        // 30000 x 30000 pixels claimed with a 4-byte buffer: the pixel limit, first.
        let e = image_to_input(&[0; 4], 30_000, 30_000, target(28, 28, 1, false)).unwrap_err();
        assert_eq!(e.code(), "LIMIT", "{e}");
        assert_eq!(image_to_input(&[0; 4], 1, 1, target(100_000, 100_000, 1, false)).unwrap_err().code(), "LIMIT");
        assert_eq!(image_to_input(&[0; 3], 1, 1, target(1, 1, 1, false)).unwrap_err().code(), "SHAPE");
        let x = from_vec(&[1, 2, 2, 1], vec![0.0; 4]).unwrap();
        assert_eq!(resize_images(&x, 30_000, 30_000, 1).unwrap_err().code(), "LIMIT");
        assert_eq!(resize_images(&x, usize::MAX, 1, 1).unwrap_err().code(), "LIMIT");
        assert_eq!(resize_images(&x, 0, 1, 1).unwrap_err().code(), "SHAPE");
    }
}
