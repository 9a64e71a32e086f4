// BatchNormalization forward: xhat = (x - mean) * inv_std, y = gamma * xhat + beta,
// with stats = [mean | inv_std] from batch_norm_stats.wgsl. xhat is kept for backward.

struct BnParams {
    count: u32,
    channels: u32,
    batch_stats: u32,
    rows: u32,
}

@group(0) @binding(0) var<uniform> p: BnParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> xhat: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    let ch = i % p.channels;
    let h = (x[i] - stats[ch]) * stats[p.channels + ch];
    xhat[i] = h;
    y[i] = gamma[ch] * h + beta[ch];
}
