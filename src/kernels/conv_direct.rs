//! A direct convolution for layers whose im2col rows are short (few input channels: the
//! first layer of an image model, e.g. model A's 3x3 over one channel). The GEMM of
//! im2col + [`super::gemm`] does nine multiply-adds per output there between packing
//! and writing back its tiles, so most of its time is overhead; this kernel keeps one
//! output pixel's filters in vector registers, walks its taps and adds the products,
//! with nothing packed.
//!
//! It computes exactly what the packed GEMM computes for such a layer (one block along
//! `k`: each output starts from zero, adds `x * w` tap by tap in im2col's column order,
//! padded taps as `0 * w`, and is then added to the bias already in `out`), so the
//! page's results do not change by a bit (tested against im2col + the packed GEMM).
//! The page's build uses it (`simd128`); natively `matrixmultiply` is faster and stays.

use super::gemm_packed::lanes::*;
use super::im2col::Window;

/// Filters in a vector.
const LANES: usize = 4;

/// Whether the direct kernel takes this convolution: short im2col rows (at most this
/// many taps, where the GEMM's packing dominates) and 8, 16 or 32 filters.
pub fn fits(w: &Window, filters: usize) -> bool {
    w.cols() <= 32 && matches!(filters, 8 | 16 | 32)
}

/// `out[row, f] += sum over taps (ky, kx, c) of x * kernel`, one row per output pixel
/// (`out` holds the bias, or zeros), for a convolution [`fits`] takes.
pub fn forward(x: &[f32], w: &Window, kernel: &[f32], filters: usize, out: &mut [f32]) {
    match filters / LANES {
        2 => run::<2>(x, w, kernel, out),
        4 => run::<4>(x, w, kernel, out),
        8 => run::<8>(x, w, kernel, out),
        _ => panic!("conv_direct::forward: {filters} filters (see fits)"),
    }
}

/// Input coordinate of tap `k` for output `o` (`None` in the padding).
#[inline(always)]
fn tap(o: usize, k: usize, stride: usize, pad: usize, size: usize) -> Option<usize> {
    let i = (o * stride + k).checked_sub(pad)?;
    (i < size).then_some(i)
}

fn run<const NV: usize>(x: &[f32], w: &Window, kernel: &[f32], out: &mut [f32]) {
    let (c, f) = (w.channels, NV * LANES);
    let per_in = w.in_h * w.in_w * c;
    let taps = w.cols();
    assert!(x.len() >= w.batch * per_in && out.len() >= w.rows() * f && kernel.len() >= taps * f);
    // The kernel as vectors, tap by tap, and each tap's offset from the window's corner.
    let kv: Vec<[V; NV]> =
        (0..taps).map(|t| std::array::from_fn(|j| load(&kernel[t * f + j * LANES..t * f + (j + 1) * LANES]))).collect();
    let offs: Vec<usize> = (0..w.k_h)
        .flat_map(|ky| (0..w.k_w).flat_map(move |kx| (0..c).map(move |ci| (ky * w.in_w + kx) * c + ci)))
        .collect();
    let mut row = 0;
    for n in 0..w.batch {
        let img = &x[n * per_in..(n + 1) * per_in];
        for oy in 0..w.out_h {
            let y0 = oy * w.stride_h;
            let rows_inside = y0 >= w.pad_top && y0 + w.k_h <= w.in_h + w.pad_top;
            for ox in 0..w.out_w {
                let x0 = ox * w.stride_w;
                let mut acc = [zero(); NV];
                if rows_inside && x0 >= w.pad_left && x0 + w.k_w <= w.in_w + w.pad_left {
                    // Every tap inside the image: one base, fixed offsets.
                    let win = &img[((y0 - w.pad_top) * w.in_w + x0 - w.pad_left) * c..];
                    for (&o, k) in offs.iter().zip(&kv) {
                        let v = splat(win[o]);
                        for j in 0..NV {
                            acc[j] = mul_add(acc[j], v, k[j]);
                        }
                    }
                } else {
                    let mut t = 0;
                    for ky in 0..w.k_h {
                        let iy = tap(oy, ky, w.stride_h, w.pad_top, w.in_h);
                        for kx in 0..w.k_w {
                            let at = match (iy, tap(ox, kx, w.stride_w, w.pad_left, w.in_w)) {
                                (Some(iy), Some(ix)) => Some((iy * w.in_w + ix) * c),
                                _ => None,
                            };
                            for ci in 0..c {
                                // A padded tap is a zero in im2col's column: 0 * w, as the GEMM adds it.
                                let v = splat(at.map_or(0.0, |a| img[a + ci]));
                                for j in 0..NV {
                                    acc[j] = mul_add(acc[j], v, kv[t][j]);
                                }
                                t += 1;
                            }
                        }
                    }
                }
                let o = &mut out[row * f..(row + 1) * f];
                for (j, a) in acc.iter().enumerate() {
                    add_store(&mut o[j * LANES..(j + 1) * LANES], *a);
                }
                row += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::gemm_packed::gemm;
    use crate::kernels::im2col::im2col;

    #[test]
    fn equals_im2col_and_the_packed_gemm_bit_for_bit() {
        // (batch, h, w, c, kernel, stride, same, filters)
        let cases = [
            (3, 28, 28, 1, (3, 3), (1, 1), true, 16),
            (2, 9, 7, 2, (3, 3), (2, 2), true, 8),
            (2, 10, 11, 3, (3, 2), (1, 2), false, 32),
            (1, 5, 5, 1, (5, 5), (1, 1), true, 16),
            (2, 6, 6, 3, (1, 1), (1, 1), false, 8),
        ];
        for (b, h, wd, c, k, s, same, f) in cases {
            let w = Window::new(b, h, wd, c, k, s, same);
            assert!(fits(&w, f));
            let x: Vec<f32> = (0..b * h * wd * c).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.013).collect();
            let kernel: Vec<f32> = (0..w.cols() * f).map(|i| ((i * 53 % 97) as f32 - 48.0) * 0.021).collect();
            let bias: Vec<f32> = (0..f).map(|i| i as f32 * 0.1 - 0.7).collect();
            let start: Vec<f32> = (0..w.rows()).flat_map(|_| bias.iter().copied()).collect();
            let mut want = start.clone();
            let mut cols = vec![0.0; w.rows() * w.cols()];
            im2col(&x, &w, &mut cols);
            gemm(w.rows(), w.cols(), f, &cols, false, &kernel, false, &mut want, 1.0);
            let mut got = start;
            forward(&x, &w, &kernel, f, &mut got);
            assert!(
                got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{:?}",
                (b, h, wd, c, k, s, same, f)
            );
        }
    }
}
