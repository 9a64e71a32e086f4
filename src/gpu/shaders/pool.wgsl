// Max (kind 0) or average (kind 1) pooling over NHWC, TensorFlow 'same' semantics:
// padded positions are ignored (never the max, not counted in the average). Max
// pooling records the flat input index it took (the first maximum, as TF) for backward.
// One invocation per output value.

struct Window {
    batch: u32, in_h: u32, in_w: u32, channels: u32,
    k_h: u32, k_w: u32, stride_h: u32, stride_w: u32,
    out_h: u32, out_w: u32, pad_top: u32, pad_left: u32,
    total: u32, kind: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> w: Window;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= w.total) { return; }
    let ch = e % w.channels;
    let ox = (e / w.channels) % w.out_w;
    let oy = (e / (w.channels * w.out_w)) % w.out_h;
    let n = e / (w.channels * w.out_w * w.out_h);
    var best = 0.0;
    var best_at = 0u;
    var sum = 0.0;
    var count = 0u;
    for (var ky = 0u; ky < w.k_h; ky++) {
        let iy = i32(oy * w.stride_h + ky) - i32(w.pad_top);
        if (iy < 0 || iy >= i32(w.in_h)) { continue; }
        for (var kx = 0u; kx < w.k_w; kx++) {
            let ix = i32(ox * w.stride_w + kx) - i32(w.pad_left);
            if (ix < 0 || ix >= i32(w.in_w)) { continue; }
            let at = ((n * w.in_h + u32(iy)) * w.in_w + u32(ix)) * w.channels + ch;
            let v = x[at];
            if (count == 0u || v > best) {
                best = v;
                best_at = at;
            }
            sum += v;
            count += 1u;
        }
    }
    if (w.kind == 0u) {
        y[e] = best;
        argmax[e] = best_at;
    } else {
        y[e] = sum * (1.0 / f32(count));
    }
}
