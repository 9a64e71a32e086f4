// Dropout forward and backward alike: v *= mask, where the mask (0 or 1 / (1 - rate))
// is drawn on the CPU from the layer's own seeded stream, so both backends agree.

struct MaskParams {
    count: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: MaskParams;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    v[i] = v[i] * mask[i];
}
