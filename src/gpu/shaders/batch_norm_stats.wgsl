// Per-channel statistics for BatchNormalization, one workgroup per channel. With
// `use_batch`, the batch mean and biased variance (two passes, tree reductions) and,
// with `update_moving`, moving = moving * momentum + batch * (1 - momentum); without,
// the moving statistics (inference / frozen layer). Writes stats = [mean | inv_std].

struct BnStatsParams {
    rows: u32,
    channels: u32,
    use_batch: u32,
    update_moving: u32,
    momentum: f32,
    epsilon: f32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: BnStatsParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> moving_mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> moving_var: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

var<workgroup> partial: array<f32, 256>;

fn reduce(lid: u32) {
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) { partial[lid] += partial[lid + stride]; }
        workgroupBarrier();
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ch = wg.x;
    if (p.use_batch == 0u) {
        if (lid == 0u) {
            stats[ch] = moving_mean[ch];
            stats[p.channels + ch] = 1.0 / sqrt(moving_var[ch] + p.epsilon);
        }
        return;
    }
    var s = 0.0;
    for (var r = lid; r < p.rows; r += 256u) { s += x[r * p.channels + ch]; }
    partial[lid] = s;
    reduce(lid);
    let mean = partial[0] / f32(p.rows);
    workgroupBarrier();
    var q = 0.0;
    for (var r = lid; r < p.rows; r += 256u) {
        let d = x[r * p.channels + ch] - mean;
        q += d * d;
    }
    partial[lid] = q;
    reduce(lid);
    let variance = partial[0] / f32(p.rows);
    if (lid == 0u) {
        stats[ch] = mean;
        stats[p.channels + ch] = 1.0 / sqrt(variance + p.epsilon);
        if (p.update_moving != 0u) {
            moving_mean[ch] = moving_mean[ch] * p.momentum + mean * (1.0 - p.momentum);
            moving_var[ch] = moving_var[ch] * p.momentum + variance * (1.0 - p.momentum);
        }
    }
}
