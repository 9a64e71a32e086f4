// Adam update, Keras rules: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
// w -= alpha * m / (sqrt(v) + eps), alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
// computed on the CPU for each step and written into the shared uniform.

struct OptimParams {
    learning_rate: f32,
    momentum: f32,
    nesterov: u32,
    _pad0: u32,
    alpha: f32,
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
}

@group(0) @binding(0) var<uniform> p: OptimParams;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// [loss_sum, correct, diverged] of loss_accumulate.wgsl: no update after a diverged step.
@group(0) @binding(5) var<storage, read> status: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= arrayLength(&w) || status[2] != 0.0) { return; }
    let gi = g[i];
    let mi = m[i] + (gi - m[i]) * (1.0 - p.beta_1);
    let vi = v[i] + (gi * gi - v[i]) * (1.0 - p.beta_2);
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] - p.alpha * mi / (sqrt(vi) + p.epsilon);
}
