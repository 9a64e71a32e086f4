// In place: v = act(v + bias[col]) over a [rows, cols] matrix.
// act: 0 linear, 1 relu, 2 sigmoid, 3 tanh, 4 elu, 5 selu, 6 leaky relu (slope).
// Softmax is applied by softmax.wgsl after this kernel (with act = linear).

struct BiasActParams {
    count: u32,
    cols: u32,
    act: u32,
    has_bias: u32,
    slope: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: BiasActParams;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;

const SELU_ALPHA: f32 = 1.6732632;
const SELU_SCALE: f32 = 1.050701;

fn sigmoid(x: f32) -> f32 {
    if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
    let e = exp(x);
    return e / (1.0 + e);
}

// exp(x) - 1 without cancellation near zero (WGSL has no expm1).
fn expm1(x: f32) -> f32 {
    if (abs(x) < 1e-3) { return x + 0.5 * x * x + x * x * x / 6.0; }
    return exp(x) - 1.0;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= p.count) { return; }
    var z = v[i];
    if (p.has_bias != 0u) { z += bias[i % p.cols]; }
    switch p.act {
        case 1u: { z = max(z, 0.0); }
        case 2u: { z = sigmoid(z); }
        case 3u: { z = tanh(z); }
        case 4u: { if (z <= 0.0) { z = expm1(z); } }
        case 5u: { if (z > 0.0) { z = SELU_SCALE * z; } else { z = SELU_SCALE * SELU_ALPHA * expm1(z); } }
        case 6u: { if (z < 0.0) { z = z * p.slope; } }
        default: {}
    }
    v[i] = z;
}
