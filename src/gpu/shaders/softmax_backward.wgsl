// Softmax backward in place from its output: dz_i = y_i * (dy_i - sum_j dy_j y_j).
// One invocation per row.

struct RowParams {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: RowParams;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 256u;
    if (r >= p.rows) { return; }
    let base = r * p.cols;
    var dot = 0.0;
    for (var j = 0u; j < p.cols; j++) { dot += dy[base + j] * y[base + j]; }
    for (var j = 0u; j < p.cols; j++) { dy[base + j] = y[base + j] * (dy[base + j] - dot); }
}
