//! A packed, register-blocked f32 GEMM for WebAssembly. `matrixmultiply` (the native
//! path) picks AVX/FMA kernels at run time but has no `simd128` kernel, and its generic
//! fallback leaves most of a browser's SIMD unused; this kernel is written for
//! 128-bit vectors: a 4x8 micro-tile held in eight 4-lane accumulators.
//!
//! The blocking is the classic one (Goto): for each block of `KC` along `k`, pack
//! `op(a)` into `MR`-row panels and `op(b)` into `NR`-column panels (zero-padded, so
//! the micro-kernel never branches), then run the micro-kernel over every panel pair.
//! The same code compiles natively with plain arrays in place of the wasm vectors, so
//! the packing and edge handling are tested natively against the reference.

const MR: usize = 4;
const NR: usize = 8;
const KC: usize = 256;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(super) mod lanes {
    use core::arch::wasm32::*;
    pub type V = v128;
    #[inline(always)]
    pub fn zero() -> V {
        f32x4_splat(0.0)
    }
    #[inline(always)]
    pub fn splat(x: f32) -> V {
        f32x4_splat(x)
    }
    /// Loads 4 floats; `s` must hold at least 4.
    #[inline(always)]
    pub fn load(s: &[f32]) -> V {
        assert!(s.len() >= 4);
        // SAFETY: bounds checked above; v128_load has no alignment requirement.
        unsafe { v128_load(s.as_ptr() as *const v128) }
    }
    #[inline(always)]
    pub fn mul_add(acc: V, a: V, b: V) -> V {
        #[cfg(target_feature = "relaxed-simd")]
        return f32x4_relaxed_madd(a, b, acc);
        #[cfg(not(target_feature = "relaxed-simd"))]
        f32x4_add(acc, f32x4_mul(a, b))
    }
    /// `d[..4] += v`; `d` must hold at least 4.
    #[inline(always)]
    pub fn add_store(d: &mut [f32], v: V) {
        assert!(d.len() >= 4);
        let p = d.as_mut_ptr() as *mut v128;
        // SAFETY: bounds checked above; v128 loads and stores have no alignment requirement.
        unsafe { v128_store(p, f32x4_add(v128_load(p), v)) }
    }
    #[inline(always)]
    pub fn to_array(v: V) -> [f32; 4] {
        [f32x4_extract_lane::<0>(v), f32x4_extract_lane::<1>(v), f32x4_extract_lane::<2>(v), f32x4_extract_lane::<3>(v)]
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(super) mod lanes {
    pub type V = [f32; 4];
    #[inline(always)]
    pub fn zero() -> V {
        [0.0; 4]
    }
    #[inline(always)]
    pub fn splat(x: f32) -> V {
        [x; 4]
    }
    #[inline(always)]
    pub fn load(s: &[f32]) -> V {
        [s[0], s[1], s[2], s[3]]
    }
    #[inline(always)]
    pub fn mul_add(acc: V, a: V, b: V) -> V {
        [acc[0] + a[0] * b[0], acc[1] + a[1] * b[1], acc[2] + a[2] * b[2], acc[3] + a[3] * b[3]]
    }
    #[inline(always)]
    pub fn add_store(d: &mut [f32], v: V) {
        d[..4].iter_mut().zip(v).for_each(|(d, v)| *d += v);
    }
    #[inline(always)]
    pub fn to_array(v: V) -> [f32; 4] {
        v
    }
}

use super::copy::copy_short;
use lanes::*;

/// Same contract as [`super::gemm::gemm`]: `c = op(a) * op(b) + beta * c`, row-major.
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32], beta: f32) {
    let c = &mut c[..m * n];
    if beta == 0.0 {
        c.fill(0.0);
    } else if beta != 1.0 {
        c.iter_mut().for_each(|v| *v *= beta);
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    let (mp, np) = (m.div_ceil(MR), n.div_ceil(NR));
    // Packing buffers are reused between calls (every one is fully overwritten).
    PACKS.with(|packs| {
        let (apack, bpack) = &mut *packs.borrow_mut();
        apack.resize(apack.len().max(mp * MR * KC.min(k)), 0.0);
        bpack.resize(bpack.len().max(np * NR * KC.min(k)), 0.0);
        blocks(m, k, n, a, ta, b, tb, c, apack, bpack);
    });
}

thread_local! {
    static PACKS: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

#[allow(clippy::too_many_arguments)]
fn blocks(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    c: &mut [f32],
    apack: &mut [f32],
    bpack: &mut [f32],
) {
    let (mp, np) = (m.div_ceil(MR), n.div_ceil(NR));
    for p0 in (0..k).step_by(KC) {
        let kc = KC.min(k - p0);
        pack_a(a, ta, m, k, p0, kc, apack);
        pack_b(b, tb, k, n, p0, kc, bpack);
        for ip in 0..mp {
            let ap = &apack[ip * MR * kc..(ip + 1) * MR * kc];
            for jp in 0..np {
                let bp = &bpack[jp * NR * kc..(jp + 1) * NR * kc];
                micro(kc, ap, bp, c, ip * MR, jp * NR, m, n);
            }
        }
    }
}

/// Packs rows `i` of `op(a)` (`m x k`), columns `p0..p0+kc`, as `apack[panel][p][ii]`.
fn pack_a(a: &[f32], ta: bool, m: usize, k: usize, p0: usize, kc: usize, apack: &mut [f32]) {
    for (ip, dst) in apack[..m.div_ceil(MR) * MR * kc].chunks_exact_mut(MR * kc).enumerate() {
        let (i0, h) = (ip * MR, MR.min(m - ip * MR));
        if ta {
            // a stored k x m: the panel's values for one p are contiguous, a[p * m + i0..].
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                let at = (p0 + p) * m + i0;
                copy_short(&mut d[..h], &a[at..at + h]);
                if h < MR {
                    d[h..].fill(0.0);
                }
            }
        } else if h == MR {
            // Four rows interleaved: one 4-float store per p, no strided writes.
            let rows: [&[f32]; MR] = std::array::from_fn(|r| &a[(i0 + r) * k + p0..(i0 + r) * k + p0 + kc]);
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                d.copy_from_slice(&std::array::from_fn::<f32, MR, _>(|r| rows[r][p]));
            }
        } else {
            for (p, d) in dst.chunks_exact_mut(MR).enumerate() {
                d.iter_mut().enumerate().for_each(|(r, v)| *v = if r < h { a[(i0 + r) * k + p0 + p] } else { 0.0 });
            }
        }
    }
}

/// Packs columns `j` of `op(b)` (`k x n`), rows `p0..p0+kc`, as `bpack[panel][p][jj]`.
fn pack_b(b: &[f32], tb: bool, k: usize, n: usize, p0: usize, kc: usize, bpack: &mut [f32]) {
    for jp in 0..n.div_ceil(NR) {
        let dst = &mut bpack[jp * NR * kc..(jp + 1) * NR * kc];
        let j0 = jp * NR;
        let w = NR.min(n - j0);
        if tb {
            // b stored n x k: element (p, j) at b[j * k + p]
            for jj in 0..NR {
                if jj < w {
                    let col = &b[(j0 + jj) * k + p0..(j0 + jj) * k + p0 + kc];
                    col.iter().enumerate().for_each(|(p, v)| dst[p * NR + jj] = *v);
                } else {
                    (0..kc).for_each(|p| dst[p * NR + jj] = 0.0);
                }
            }
        } else {
            for p in 0..kc {
                let src = &b[(p0 + p) * n + j0..(p0 + p) * n + j0 + w];
                let d = &mut dst[p * NR..(p + 1) * NR];
                copy_short(&mut d[..w], src);
                if w < NR {
                    d[w..].fill(0.0);
                }
            }
        }
    }
}

/// `c[i0.., j0..] += apanel * bpanel` for one MR x NR tile (clipped at the edges).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn micro(kc: usize, ap: &[f32], bp: &[f32], c: &mut [f32], i0: usize, j0: usize, m: usize, n: usize) {
    let mut acc = [[zero(); 2]; MR];
    // Exact chunks let the compiler drop the bounds checks from the inner loop.
    for (a, b) in ap.chunks_exact(MR).zip(bp.chunks_exact(NR)).take(kc) {
        let (b0, b1) = (load(&b[..4]), load(&b[4..]));
        for (r, &ar) in a.iter().enumerate() {
            let s = splat(ar);
            acc[r][0] = mul_add(acc[r][0], s, b0);
            acc[r][1] = mul_add(acc[r][1], s, b1);
        }
    }
    let w = NR.min(n - j0);
    for (r, row) in acc.iter().enumerate() {
        let i = i0 + r;
        if i >= m {
            break;
        }
        let dst = &mut c[i * n + j0..i * n + j0 + w];
        if w == NR {
            // A whole tile row: two vector read-modify-writes.
            let (lo, hi) = dst.split_at_mut(4);
            add_store(lo, row[0]);
            add_store(hi, row[1]);
            continue;
        }
        let (lo, hi) = (to_array(row[0]), to_array(row[1]));
        for (jj, d) in dst.iter_mut().enumerate() {
            *d += if jj < 4 { lo[jj] } else { hi[jj - 4] };
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_reference_on_odd_shapes_in_all_transpositions() {
        for &(m, k, n) in &[(1, 1, 1), (5, 7, 3), (13, 300, 9), (4, 8, 8), (33, 513, 17), (2, 1000, 70)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.1).collect();
            let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
            let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
            let c0: Vec<f32> = (0..m * n).map(|i| i as f32 * 0.01).collect();
            for (aa, ta) in [(&a, false), (&at, true)] {
                for (bb, tb) in [(&b, false), (&bt, true)] {
                    for beta in [0.0f32, 1.0, 0.5] {
                        // The naive product (on wasm, kernels::gemm is this kernel itself).
                        let want: Vec<f32> = (0..m * n)
                            .map(|ij| {
                                beta * c0[ij] + (0..k).map(|p| a[ij / n * k + p] * b[p * n + ij % n]).sum::<f32>()
                            })
                            .collect();
                        let mut got = c0.clone();
                        super::gemm(m, k, n, aa, ta, bb, tb, &mut got, beta);
                        for (x, y) in got.iter().zip(&want) {
                            assert!(
                                (x - y).abs() <= 1e-4 * y.abs().max(1.0),
                                "{m}x{k}x{n} ta={ta} tb={tb} beta={beta}: {x} vs {y}"
                            );
                        }
                    }
                }
            }
        }
    }
}
