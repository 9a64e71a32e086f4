//! The GEMM the layers call: `matrixmultiply` natively (it picks AVX/FMA kernels at
//! run time), the packed kernel of [`super::gemm_packed`] on wasm32 (`simd128` in the
//! page's build; plain arrays in a build without it), so `matrixmultiply` is a native-only
//! dependency.

/// `c = alpha * op(a) * op(b) + beta * c` for row-major matrices, `op(a)` being
/// `m x k` and `op(b)` being `k x n`; `ta`/`tb` say whether the stored matrices are
/// transposed (`a` stored `k x m`, `b` stored `n x k`).
#[allow(clippy::too_many_arguments)]
pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n, "gemm: buffer too small");
    if m == 0 || n == 0 {
        return;
    }
    #[cfg(target_arch = "wasm32")]
    super::gemm_packed::gemm(m, k, n, a, ta, b, tb, c, beta);
    #[cfg(not(target_arch = "wasm32"))]
    native(m, k, n, a, ta, b, tb, c, beta);
}

/// `matrixmultiply` (not a dependency on wasm32, where it has no `simd128` kernel).
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::too_many_arguments)]
fn native(m: usize, k: usize, n: usize, a: &[f32], ta: bool, b: &[f32], tb: bool, c: &mut [f32], beta: f32) {
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    // SAFETY: the pointers cover m*k, k*n and m*n elements (asserted by `gemm`) and the
    // strides describe row-major (or transposed row-major) matrices inside them.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
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
}
