// SGD update, Keras rules: without momentum w -= lr * g; with momentum
// v = momentum * v - lr * g and w += v (nesterov: w += momentum * v - lr * g).
// The parameter's length is its buffer's (arrayLength), so one uniform serves all.

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
@group(0) @binding(3) var<storage, read_write> velocity: array<f32>;

// [loss_sum, correct, diverged] of loss_accumulate.wgsl: no update after a diverged step.
@group(0) @binding(4) var<storage, read> status: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 256u;
    if (i >= arrayLength(&w) || status[2] != 0.0) { return; }
    let lr = p.learning_rate;
    if (p.momentum == 0.0) {
        w[i] = w[i] - lr * g[i];
        return;
    }
    let v = p.momentum * velocity[i] - lr * g[i];
    velocity[i] = v;
    if (p.nesterov != 0u) {
        w[i] = w[i] + (p.momentum * v - lr * g[i]);
    } else {
        w[i] = w[i] + v;
    }
}
