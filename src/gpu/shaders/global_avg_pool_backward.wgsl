// Backward of global_avg_pool.wgsl: every pixel gets dy / (h * w). One invocation per input.

struct GapParams {
    batch: u32,
    pixels: u32,
    channels: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: GapParams;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= p.batch * p.pixels * p.channels) { return; }
    let ch = e % p.channels;
    let n = e / (p.pixels * p.channels);
    dx[e] = dy[n * p.channels + ch] * (1.0 / f32(p.pixels));
}
