// Tiled GEMM: c = op(a) * op(b) (+ c when `accumulate`), row-major, with op = optional
// transpose of the stored matrix. op(a) is m x k, op(b) is k x n.
// A 16x16 workgroup computes a 64x64 tile of c, each invocation a 4x4 block, staging
// 64x16 / 16x64 tiles of a and b in workgroup memory (8 KiB of the 16 KiB default).
// Split-K: workgroup z handles k in [z * k_chunk, (z + 1) * k_chunk); with more than
// one split, results go to a partial buffer [splits, m, n] summed by gemm_reduce.wgsl
// (long, thin products such as a conv kernel gradient otherwise run on one workgroup).

struct GemmParams {
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    k_chunk: u32,
    splits: u32,
    accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> tile_a: array<f32, 1024>; // [16 k][64 rows]
var<workgroup> tile_b: array<f32, 1024>; // [16 k][64 cols]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * 64u;
    let col0 = wg.x * 64u;
    let k_begin = wg.z * p.k_chunk;
    let k_end = min(p.k, k_begin + p.k_chunk);
    let tid = lid.y * 16u + lid.x;
    // Invocation (lid.y, lid.x) owns rows 4 lid.y + i and columns 4 lid.x + (0..4):
    // one vec4 accumulator per row, no dynamically indexed private arrays (which
    // software rasterisers such as lavapipe spill to memory).
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var k0 = k_begin; k0 < k_end; k0 += 16u) {
        for (var t = 0u; t < 4u; t++) {
            let e = tid + t * 256u;
            // Index order chosen so neighbouring invocations read neighbouring addresses.
            var r: u32;
            var kk: u32;
            if (p.trans_a == 0u) { r = e / 16u; kk = e % 16u; } else { kk = e / 64u; r = e % 64u; }
            let gr = row0 + r;
            let gk = k0 + kk;
            var v = 0.0;
            if (gr < p.m && gk < k_end) {
                if (p.trans_a == 0u) { v = a[gr * p.k + gk]; } else { v = a[gk * p.m + gr]; }
            }
            tile_a[kk * 64u + r] = v;
            var cc: u32;
            var kb: u32;
            if (p.trans_b == 0u) { kb = e / 64u; cc = e % 64u; } else { cc = e / 16u; kb = e % 16u; }
            let gc = col0 + cc;
            let gkb = k0 + kb;
            var w = 0.0;
            if (gc < p.n && gkb < k_end) {
                if (p.trans_b == 0u) { w = b[gkb * p.n + gc]; } else { w = b[gc * p.k + gkb]; }
            }
            tile_b[kb * 64u + cc] = w;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            let ab = kk * 64u + lid.y * 4u;
            let bb = kk * 64u + lid.x * 4u;
            let bv = vec4<f32>(tile_b[bb], tile_b[bb + 1u], tile_b[bb + 2u], tile_b[bb + 3u]);
            acc0 = fma(vec4<f32>(tile_a[ab]), bv, acc0);
            acc1 = fma(vec4<f32>(tile_a[ab + 1u]), bv, acc1);
            acc2 = fma(vec4<f32>(tile_a[ab + 2u]), bv, acc2);
            acc3 = fma(vec4<f32>(tile_a[ab + 3u]), bv, acc3);
        }
        workgroupBarrier();
    }
    store(row0 + lid.y * 4u, col0 + lid.x * 4u, acc0, wg.z);
    store(row0 + lid.y * 4u + 1u, col0 + lid.x * 4u, acc1, wg.z);
    store(row0 + lid.y * 4u + 2u, col0 + lid.x * 4u, acc2, wg.z);
    store(row0 + lid.y * 4u + 3u, col0 + lid.x * 4u, acc3, wg.z);
}

fn store1(r: u32, cc: u32, v: f32, split: u32) {
    if (r < p.m && cc < p.n) {
        let at = r * p.n + cc;
        if (p.splits > 1u) {
            c[split * p.m * p.n + at] = v;
        } else if (p.accumulate != 0u) {
            c[at] = c[at] + v;
        } else {
            c[at] = v;
        }
    }
}

fn store(r: u32, cc: u32, v: vec4<f32>, split: u32) {
    store1(r, cc, v.x, split);
    store1(r, cc + 1u, v.y, split);
    store1(r, cc + 2u, v.z, split);
    store1(r, cc + 3u, v.w, split);
}
