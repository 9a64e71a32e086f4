//! The geometry of 2-D windows over NHWC tensors (Keras' `valid`/`same` padding) and
//! im2col / col2im, which turn a convolution into one GEMM (see `tensor.rs` for why
//! the layouts line up).

use super::copy::copy_short;

/// Output size and leading padding along one axis, with Keras/TensorFlow semantics:
/// `valid` uses no padding; `same` gives `ceil(in / stride)` outputs and splits the
/// needed padding with the extra pixel at the end (bottom/right).
pub fn conv_geometry(input: usize, kernel: usize, stride: usize, same: bool) -> (usize, usize) {
    if same {
        let out = input.div_ceil(stride);
        let needed = ((out - 1) * stride + kernel).saturating_sub(input);
        (out, needed / 2)
    } else if input < kernel {
        (0, 0)
    } else {
        ((input - kernel) / stride + 1, 0)
    }
}

/// Geometry of a 2-D window operation over an NHWC tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub pad_top: usize,
    pub pad_left: usize,
}

impl Window {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        batch: usize,
        in_h: usize,
        in_w: usize,
        channels: usize,
        k: (usize, usize),
        stride: (usize, usize),
        same: bool,
    ) -> Window {
        let (out_h, pad_top) = conv_geometry(in_h, k.0, stride.0, same);
        let (out_w, pad_left) = conv_geometry(in_w, k.1, stride.1, same);
        Window {
            batch,
            in_h,
            in_w,
            channels,
            k_h: k.0,
            k_w: k.1,
            stride_h: stride.0,
            stride_w: stride.1,
            out_h,
            out_w,
            pad_top,
            pad_left,
        }
    }

    /// Rows of the im2col matrix: one per output pixel.
    pub fn rows(&self) -> usize {
        self.batch * self.out_h * self.out_w
    }

    /// Columns of the im2col matrix: one per (ky, kx, channel).
    pub fn cols(&self) -> usize {
        self.k_h * self.k_w * self.channels
    }

    /// Input coordinate of kernel tap `k` for output `o`, or `None` inside the padding.
    #[inline]
    fn tap(o: usize, k: usize, stride: usize, pad: usize, size: usize) -> Option<usize> {
        let i = (o * stride + k).checked_sub(pad)?;
        (i < size).then_some(i)
    }
}

/// im2col for NHWC input: `cols[row(n, oy, ox), (ky, kx, c)]`, zeros in the padding.
/// `cols` must hold `w.rows() * w.cols()` values; it is fully overwritten.
pub fn im2col(x: &[f32], w: &Window, cols: &mut [f32]) {
    let c = w.channels;
    let kc = w.cols();
    let mut row = 0;
    for n in 0..w.batch {
        let img = &x[n * w.in_h * w.in_w * c..(n + 1) * w.in_h * w.in_w * c];
        for oy in 0..w.out_h {
            for ox in 0..w.out_w {
                // Whether every horizontal tap of this output lies inside the image.
                let inside = ox * w.stride_w >= w.pad_left && ox * w.stride_w + w.k_w <= w.in_w + w.pad_left;
                let dst = &mut cols[row * kc..(row + 1) * kc];
                for ky in 0..w.k_h {
                    let seg = &mut dst[ky * w.k_w * c..(ky + 1) * w.k_w * c];
                    match Window::tap(oy, ky, w.stride_h, w.pad_top, w.in_h) {
                        None => seg.fill(0.0),
                        // Inside the image the row's taps are contiguous in NHWC: one copy.
                        Some(iy) if inside => {
                            let at = (iy * w.in_w + ox * w.stride_w - w.pad_left) * c;
                            copy_short(seg, &img[at..at + seg.len()]);
                        }
                        Some(iy) => {
                            for kx in 0..w.k_w {
                                let d = &mut seg[kx * c..(kx + 1) * c];
                                match Window::tap(ox, kx, w.stride_w, w.pad_left, w.in_w) {
                                    None => d.fill(0.0),
                                    Some(ix) => copy_short(d, &img[(iy * w.in_w + ix) * c..(iy * w.in_w + ix + 1) * c]),
                                }
                            }
                        }
                    }
                }
                row += 1;
            }
        }
    }
}

/// The adjoint of [`im2col`]: scatter-adds `cols` back into an NHWC gradient `dx`
/// (which must be zeroed by the caller).
pub fn col2im(cols: &[f32], w: &Window, dx: &mut [f32]) {
    let c = w.channels;
    let kc = w.cols();
    let mut row = 0;
    for n in 0..w.batch {
        let img = &mut dx[n * w.in_h * w.in_w * c..(n + 1) * w.in_h * w.in_w * c];
        for oy in 0..w.out_h {
            for ox in 0..w.out_w {
                let src = &cols[row * kc..(row + 1) * kc];
                for ky in 0..w.k_h {
                    let Some(iy) = Window::tap(oy, ky, w.stride_h, w.pad_top, w.in_h) else { continue };
                    for kx in 0..w.k_w {
                        let Some(ix) = Window::tap(ox, kx, w.stride_w, w.pad_left, w.in_w) else { continue };
                        let s = &src[(ky * w.k_w + kx) * c..(ky * w.k_w + kx + 1) * c];
                        let d = &mut img[(iy * w.in_w + ix) * c..(iy * w.in_w + ix + 1) * c];
                        for (d, s) in d.iter_mut().zip(s) {
                            *d += *s;
                        }
                    }
                }
                row += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tensorflow() {
        // TF: out = ceil(in/stride); pad_total = max((out-1)*stride + k - in, 0); top = total/2.
        assert_eq!(conv_geometry(28, 3, 1, true), (28, 1));
        assert_eq!(conv_geometry(7, 3, 2, true), (4, 1));
        assert_eq!(conv_geometry(6, 3, 2, true), (3, 0)); // total 1: all of it at the end
        assert_eq!(conv_geometry(28, 2, 2, false), (14, 0));
        assert_eq!(conv_geometry(7, 2, 2, false), (3, 0));
        assert_eq!(conv_geometry(2, 3, 1, false), (0, 0));
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // <im2col(x), c> == <x, col2im(c)> for all x, c.
        let w = Window::new(2, 5, 4, 3, (3, 2), (2, 1), true);
        let x: Vec<f32> = (0..2 * 5 * 4 * 3).map(|i| (i as f32 * 0.7).sin()).collect();
        let c: Vec<f32> = (0..w.rows() * w.cols()).map(|i| (i as f32 * 0.3).cos()).collect();
        let mut cols = vec![0.0; c.len()];
        im2col(&x, &w, &mut cols);
        let mut dx = vec![0.0; x.len()];
        col2im(&c, &w, &mut dx);
        let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| (*a as f64) * (*b as f64)).sum();
        let rhs: f64 = x.iter().zip(&dx).map(|(a, b)| (*a as f64) * (*b as f64)).sum();
        assert!((lhs - rhs).abs() < 1e-4, "{lhs} vs {rhs}");
    }
}
