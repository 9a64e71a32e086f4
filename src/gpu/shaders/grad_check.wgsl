// Sets the sticky `diverged` flag (acc[2] = 1, see loss_accumulate.wgsl) when a
// gradient holds a NaN or an infinite value, so that no optimizer kernel applies any
// update of that step: the loss can still be finite when a gradient overflows, and the
// CPU path refuses such a step too. Dispatched after backward, before the updates.

struct CheckParams {
    len: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: CheckParams;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.len) { return; }
    // Exponent bits all ones: infinite or NaN (WGSL has no isnan/isinf, and may assume
    // neither occurs in float arithmetic, so the test is on the bits).
    if ((bitcast<u32>(g[i]) & 0x7f800000u) == 0x7f800000u) {
        acc[2] = 1.0; // every writer stores the same value
    }
}
