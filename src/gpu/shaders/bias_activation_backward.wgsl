// In place: dy = dy * act'(.) from the activation's output y alone (as the CPU path:
// for relu/elu/selu, y <= 0 exactly when the pre-activation is; leaky relu with a
// positive slope keeps the sign). Codes as in bias_activation.wgsl.

struct ActBackParams {
    count: u32,
    act: u32,
    slope: f32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> p: ActBackParams;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy: array<f32>;

const SELU_ALPHA: f32 = 1.6732632;
const SELU_SCALE: f32 = 1.050701;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    let yv = y[i];
    var g = dy[i];
    switch p.act {
        case 1u: { if (yv <= 0.0) { g = 0.0; } }
        case 2u: { g *= yv * (1.0 - yv); }
        case 3u: { g *= 1.0 - yv * yv; }
        case 4u: { if (yv <= 0.0) { g *= yv + 1.0; } }
        case 5u: { if (yv > 0.0) { g *= SELU_SCALE; } else { g *= yv + SELU_SCALE * SELU_ALPHA; } }
        case 6u: { if (yv < 0.0) { g *= p.slope; } }
        default: {}
    }
    dy[i] = g;
}
