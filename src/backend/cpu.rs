//! CPU kernels shared by the layers: GEMM (through `matrixmultiply`, which picks
//! AVX/FMA kernels at run time natively and compiles to plain loops that the
//! compiler vectorises with `simd128` on wasm), and im2col / col2im for NHWC
//! convolutions and their geometry.

/// `c = alpha * op(a) * op(b) + beta * c` for row-major matrices, `op(a)` being
/// `m x k` and `op(b)` being `k x n`; `ta`/`tb` say whether the stored matrices are
/// transposed (`a` stored `k x m`, `b` stored `n x k`).
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        super::gemm_packed::gemm(m, k, n, a, ta, b, tb, c, beta);
        return;
    }
    #[allow(unreachable_code)]
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the pointers cover m*k, k*n and m*n elements (asserted above) and the
    // strides describe row-major (or transposed row-major) matrices inside them.
    unsafe {
        matrixmultiply::sgemm(
            m, k, n, 1.0,
            a.as_ptr(), rsa, csa,
            b.as_ptr(), rsb, csb,
            beta, c.as_mut_ptr(), n as isize, 1,
        );
    }
}

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
    pub fn new(batch: usize, in_h: usize, in_w: usize, channels: usize, k: (usize, usize), stride: (usize, usize), same: bool) -> Window {
        let (out_h, pad_top) = conv_geometry(in_h, k.0, stride.0, same);
        let (out_w, pad_left) = conv_geometry(in_w, k.1, stride.1, same);
        Window { batch, in_h, in_w, channels, k_h: k.0, k_w: k.1, stride_h: stride.0, stride_w: stride.1, out_h, out_w, pad_top, pad_left }
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

/// `dst.copy_from_slice(src)` for runs of a few floats. A copy whose length is known
/// only at run time compiles to a `memory.copy` call on wasm, which costs more than
/// copying a dozen floats; these loops stay inline as 4-float and 1-float moves (the
/// opaque values keep LLVM from turning them back into a `memcpy`).
#[inline(always)]
pub fn copy_short(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len(), "copy_short: lengths differ");
    let mut d4 = dst.chunks_exact_mut(4);
    let mut s4 = src.chunks_exact(4);
    for (d, s) in (&mut d4).zip(&mut s4) {
        let v: [f32; 4] = std::hint::black_box(s.try_into().unwrap());
        d.copy_from_slice(&v);
    }
    for (d, s) in d4.into_remainder().iter_mut().zip(s4.remainder()) {
        *d = std::hint::black_box(*s);
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
    fn gemm_matches_naive_in_all_transpositions() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let mut want = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        for (aa, ta) in [(&a, false), (&at, true)] {
            for (bb, tb) in [(&b, false), (&bt, true)] {
                let mut c = vec![0.0f32; m * n];
                gemm(m, k, n, aa, ta, bb, tb, &mut c, 0.0);
                for (x, y) in c.iter().zip(&want) {
                    assert!((x - y).abs() < 1e-5, "ta={ta} tb={tb}: {x} vs {y}");
                }
            }
        }
    }

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
