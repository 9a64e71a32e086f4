// Column sums of a [rows, cols] matrix (the bias gradient from dz): one workgroup per
// column, 256 invocations striding over the rows, then a tree reduction.

struct ColSumParams {
    rows: u32,
    cols: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: ColSumParams;
@group(0) @binding(1) var<storage, read> dz: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
    let col = wg.x + wg.y * nwg.x;
    var s = 0.0;
    if (col < p.cols) {
        for (var r = lid; r < p.rows; r += 256u) { s += dz[r * p.cols + col]; }
    }
    partial[lid] = s;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) { partial[lid] += partial[lid + stride]; }
        workgroupBarrier();
    }
    if (lid == 0u && col < p.cols) { db[col] = partial[0]; }
}
