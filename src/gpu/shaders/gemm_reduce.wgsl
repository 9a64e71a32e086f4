// Sums the split-K partial products of gemm.wgsl: c = sum_s part[s] (+ c when `accumulate`).

struct ReduceParams {
    count: u32,
    splits: u32,
    accumulate: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: ReduceParams;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    var s = 0.0;
    if (p.accumulate != 0u) { s = c[i]; }
    for (var z = 0u; z < p.splits; z++) {
        s += part[z * p.count + i];
    }
    c[i] = s;
}
