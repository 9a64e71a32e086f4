// GEMM without workgroup memory: each invocation computes a 4x4 block of
// c = op(a) op(b) (+ c) straight from storage memory, with the same parameters and
// split-K convention as gemm.wgsl. Chosen on CPU adapters (lavapipe, SwiftShader),
// where workgroup barriers are emulated and cost more than the caches they save;
// GPUs use the tiled gemm.wgsl.

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

fn load_a(r: u32, kk: u32) -> f32 {
    if (r >= p.m) { return 0.0; }
    if (p.trans_a == 0u) { return a[r * p.k + kk]; }
    return a[kk * p.m + r];
}

fn load_b(kk: u32, cc: u32) -> f32 {
    if (cc >= p.n) { return 0.0; }
    if (p.trans_b == 0u) { return b[kk * p.n + cc]; }
    return b[cc * p.k + kk];
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

// 16 x 16 invocations cover a 64 x 64 tile, like gemm.wgsl, so the dispatch is the same.
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r0 = wg.y * 64u + lid.y * 4u;
    let c0 = wg.x * 64u + lid.x * 4u;
    if (r0 >= p.m || c0 >= p.n) { return; }
    let k_begin = wg.z * p.k_chunk;
    let k_end = min(p.k, k_begin + p.k_chunk);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = k_begin; kk < k_end; kk++) {
        let bv = vec4<f32>(load_b(kk, c0), load_b(kk, c0 + 1u), load_b(kk, c0 + 2u), load_b(kk, c0 + 3u));
        acc0 = fma(vec4<f32>(load_a(r0, kk)), bv, acc0);
        acc1 = fma(vec4<f32>(load_a(r0 + 1u, kk)), bv, acc1);
        acc2 = fma(vec4<f32>(load_a(r0 + 2u, kk)), bv, acc2);
        acc3 = fma(vec4<f32>(load_a(r0 + 3u, kk)), bv, acc3);
    }
    store(r0, c0, acc0, wg.z);
    store(r0 + 1u, c0, acc1, wg.z);
    store(r0 + 2u, c0, acc2, wg.z);
    store(r0 + 3u, c0, acc3, wg.z);
}
