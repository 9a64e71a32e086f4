// BatchNormalization backward, two entry points over the same bindings:
// `reduce` (one workgroup per channel): dbeta = sum(dy), dgamma = sum(dy * xhat);
// `main` (one invocation per value): with batch statistics
//   dx = gamma * inv_std / m * (m * dy - sum(dy) - xhat * sum(dy * xhat)),
// with moving statistics (constants) dx = gamma * inv_std * dy.

struct BnParams {
    count: u32,
    channels: u32,
    batch_stats: u32,
    rows: u32,
}

@group(0) @binding(0) var<uniform> p: BnParams;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> xhat: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

var<workgroup> part_dy: array<f32, 256>;
var<workgroup> part_dyx: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ch = wg.x;
    var s = 0.0;
    var q = 0.0;
    for (var r = lid; r < p.rows; r += 256u) {
        let g = dy[r * p.channels + ch];
        s += g;
        q += g * xhat[r * p.channels + ch];
    }
    part_dy[lid] = s;
    part_dyx[lid] = q;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            part_dy[lid] += part_dy[lid + stride];
            part_dyx[lid] += part_dyx[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        dbeta[ch] = part_dy[0];
        dgamma[ch] = part_dyx[0];
    }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    let ch = i % p.channels;
    let inv_std = stats[p.channels + ch];
    if (p.batch_stats != 0u) {
        let m = f32(p.rows);
        dx[i] = gamma[ch] * inv_std / m * (m * dy[i] - dbeta[ch] - xhat[i] * dgamma[ch]);
    } else {
        dx[i] = gamma[ch] * inv_std * dy[i];
    }
}
