// GlobalAveragePooling2D: [batch, h, w, c] -> [batch, c]. One invocation per output.

struct GapParams {
    batch: u32,
    pixels: u32,
    channels: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: GapParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= p.batch * p.channels) { return; }
    let n = e / p.channels;
    let ch = e % p.channels;
    var s = 0.0;
    for (var i = 0u; i < p.pixels; i++) {
        s += x[(n * p.pixels + i) * p.channels + ch];
    }
    y[e] = s * (1.0 / f32(p.pixels));
}
