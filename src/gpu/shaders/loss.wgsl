// Per-row loss, its gradient and the number of correct predictions, mirroring
// train/loss.rs and train/metrics.rs. kind: 0 binary cross-entropy, 1 sparse
// categorical cross-entropy, 2 categorical cross-entropy, 3 mean squared error.
// With `from_logits` (sigmoid + BCE, softmax + CE) `out` holds the pre-activation
// and the gradient is w.r.t. it (p - y, stable); otherwise `out` holds probabilities
// (clipped to [1e-7, 1 - 1e-7], Keras' epsilon) and the gradient is w.r.t. them.
// The gradient is of the batch-mean loss (scaled by inv_batch); row_loss is unscaled.
// One invocation per row.

struct LossParams {
    rows: u32,
    last: u32,
    kind: u32,
    from_logits: u32,
    inv_batch: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: LossParams;
@group(0) @binding(1) var<storage, read> out: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_correct: array<f32>;

const EPS: f32 = 1e-7;

fn sigmoid(x: f32) -> f32 {
    if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
    let e = exp(x);
    return e / (1.0 + e);
}

// ln(1 + x) without cancellation for small x (WGSL has no log1p).
fn log1p(x: f32) -> f32 {
    let u = 1.0 + x;
    if (u == 1.0) { return x; }
    return log(u) * x / (u - 1.0);
}

// Index of the first maximum of a row of `out` (ties: the first, as metrics.rs).
fn argmax_out(base: u32) -> u32 {
    var best = 0u;
    var bv = out[base];
    for (var j = 1u; j < p.last; j++) {
        if (out[base + j] > bv) { bv = out[base + j]; best = j; }
    }
    return best;
}

fn argmax_y(base: u32) -> u32 {
    var best = 0u;
    var bv = y[base];
    for (var j = 1u; j < p.last; j++) {
        if (y[base + j] > bv) { bv = y[base + j]; best = j; }
    }
    return best;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = gid.x + gid.y * nwg.x * 256u;
    if (r >= p.rows) { return; }
    let base = r * p.last;
    let lastf = f32(p.last);
    var total = 0.0;
    var correct = 0.0;
    switch p.kind {
        case 0u: {
            let inv = p.inv_batch / lastf;
            for (var j = 0u; j < p.last; j++) {
                let yi = y[base + j];
                var prob: f32;
                if (p.from_logits != 0u) {
                    let z = out[base + j];
                    total += (max(z, 0.0) - z * yi + log1p(exp(-abs(z)))) / lastf;
                    prob = sigmoid(z);
                    grad[base + j] = (prob - yi) * inv;
                } else {
                    prob = out[base + j];
                    let pc = clamp(prob, EPS, 1.0 - EPS);
                    total += -(yi * log(pc) + (1.0 - yi) * log(1.0 - pc)) / lastf;
                    grad[base + j] = (pc - yi) / (pc * (1.0 - pc)) * inv;
                }
                if ((prob > 0.5) == (yi > 0.5)) { correct += 1.0; }
            }
        }
        case 1u, 2u: {
            let am = argmax_out(base);
            if (p.from_logits != 0u) {
                var m = out[base];
                for (var j = 1u; j < p.last; j++) { m = max(m, out[base + j]); }
                var s = 0.0;
                for (var j = 0u; j < p.last; j++) { s += exp(out[base + j] - m); }
                let lse = m + log(s);
                if (p.kind == 1u) {
                    let t = u32(y[r]);
                    total = lse - out[base + t];
                    for (var j = 0u; j < p.last; j++) {
                        var g = exp(out[base + j] - m) / s * p.inv_batch;
                        if (j == t) { g -= p.inv_batch; }
                        grad[base + j] = g;
                    }
                } else {
                    var ysum = 0.0;
                    for (var j = 0u; j < p.last; j++) { ysum += y[base + j]; }
                    for (var j = 0u; j < p.last; j++) {
                        let yj = y[base + j];
                        total += yj * (lse - out[base + j]);
                        grad[base + j] = (exp(out[base + j] - m) / s * ysum - yj) * p.inv_batch;
                    }
                }
            } else {
                for (var j = 0u; j < p.last; j++) { grad[base + j] = 0.0; }
                if (p.kind == 1u) {
                    let t = u32(y[r]);
                    let pt = clamp(out[base + t], EPS, 1.0 - EPS);
                    total = -log(pt);
                    grad[base + t] = -p.inv_batch / pt;
                } else {
                    for (var j = 0u; j < p.last; j++) {
                        let pj = clamp(out[base + j], EPS, 1.0 - EPS);
                        total += -(y[base + j] * log(pj));
                        grad[base + j] = -y[base + j] / pj * p.inv_batch;
                    }
                }
            }
            if (p.kind == 1u) {
                if (am == u32(y[r])) { correct = 1.0; }
            } else if (am == argmax_y(base)) {
                correct = 1.0;
            }
        }
        default: {
            let inv = p.inv_batch / lastf;
            for (var j = 0u; j < p.last; j++) {
                let d = out[base + j] - y[base + j];
                total += d * d / lastf;
                grad[base + j] = 2.0 * d * inv;
                if (p.last == 1u && (out[base + j] > 0.5) == (y[base + j] > 0.5)) { correct += 1.0; }
            }
            if (p.last > 1u && argmax_out(base) == argmax_y(base)) { correct = 1.0; }
        }
    }
    row_loss[r] = total;
    row_correct[r] = correct;
}
