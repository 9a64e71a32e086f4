// Backward of pool.wgsl as a gather: each input value sums the gradients of the
// outputs whose window covers it: all of them divided by the window's real-pixel
// count (average), or those whose recorded argmax is this value (max).

struct Window {
    batch: u32, in_h: u32, in_w: u32, channels: u32,
    k_h: u32, k_w: u32, stride_h: u32, stride_w: u32,
    out_h: u32, out_w: u32, pad_top: u32, pad_left: u32,
    total: u32, kind: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> w: Window;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn valid_taps(o: u32, k: u32, stride: u32, pad: u32, size: u32) -> u32 {
    var c = 0u;
    for (var t = 0u; t < k; t++) {
        let i = i32(o * stride + t) - i32(pad);
        if (i >= 0 && i < i32(size)) { c += 1u; }
    }
    return c;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= w.total) { return; }
    let ch = e % w.channels;
    let ix = (e / w.channels) % w.in_w;
    let iy = (e / (w.channels * w.in_w)) % w.in_h;
    let n = e / (w.channels * w.in_w * w.in_h);
    var s = 0.0;
    for (var ky = 0u; ky < w.k_h; ky++) {
        let ty = i32(iy + w.pad_top) - i32(ky);
        if (ty < 0 || u32(ty) % w.stride_h != 0u) { continue; }
        let oy = u32(ty) / w.stride_h;
        if (oy >= w.out_h) { continue; }
        for (var kx = 0u; kx < w.k_w; kx++) {
            let tx = i32(ix + w.pad_left) - i32(kx);
            if (tx < 0 || u32(tx) % w.stride_w != 0u) { continue; }
            let ox = u32(tx) / w.stride_w;
            if (ox >= w.out_w) { continue; }
            let o = ((n * w.out_h + oy) * w.out_w + ox) * w.channels + ch;
            if (w.kind == 0u) {
                if (argmax[o] == e) { s += dy[o]; }
            } else {
                let count = valid_taps(oy, w.k_h, w.stride_h, w.pad_top, w.in_h) * valid_taps(ox, w.k_w, w.stride_w, w.pad_left, w.in_w);
                s += dy[o] * (1.0 / f32(count));
            }
        }
    }
    dx[e] = s;
}
