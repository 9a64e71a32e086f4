// Row softmax in place, max-subtracted (never overflows). One invocation per row.

struct RowParams {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: RowParams;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 256u;
    if (r >= p.rows) { return; }
    let base = r * p.cols;
    var m = v[base];
    for (var j = 1u; j < p.cols; j++) { m = max(m, v[base + j]); }
    var s = 0.0;
    for (var j = 0u; j < p.cols; j++) {
        let e = exp(v[base + j] - m);
        v[base + j] = e;
        s += e;
    }
    for (var j = 0u; j < p.cols; j++) { v[base + j] = v[base + j] / s; }
}
