// col2im, the adjoint of im2col.wgsl, as a gather (no atomics): each input pixel sums
// the column entries of every output whose window covers it.

struct Window {
    batch: u32, in_h: u32, in_w: u32, channels: u32,
    k_h: u32, k_w: u32, stride_h: u32, stride_w: u32,
    out_h: u32, out_w: u32, pad_top: u32, pad_left: u32,
    total: u32, kind: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> w: Window;
@group(0) @binding(1) var<storage, read> cols: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= w.total) { return; }
    let ch = e % w.channels;
    let ix = (e / w.channels) % w.in_w;
    let iy = (e / (w.channels * w.in_w)) % w.in_h;
    let n = e / (w.channels * w.in_w * w.in_h);
    let kc = w.k_h * w.k_w * w.channels;
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
            let row = (n * w.out_h + oy) * w.out_w + ox;
            s += cols[row * kc + (ky * w.k_w + kx) * w.channels + ch];
        }
    }
    dx[e] = s;
}
