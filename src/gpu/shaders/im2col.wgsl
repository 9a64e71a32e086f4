// im2col for NHWC input: cols[row(n, oy, ox), (ky, kx, c)], zeros in the padding
// (same geometry as backend/cpu.rs `Window`). One invocation per column entry.

struct Window {
    batch: u32, in_h: u32, in_w: u32, channels: u32,
    k_h: u32, k_w: u32, stride_h: u32, stride_w: u32,
    out_h: u32, out_w: u32, pad_top: u32, pad_left: u32,
    total: u32, kind: u32, _pad0: u32, _pad1: u32,
}

@group(0) @binding(0) var<uniform> w: Window;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let e = gid.x + gid.y * nwg.x * 256u;
    if (e >= w.total) { return; }
    let kc = w.k_h * w.k_w * w.channels;
    let row = e / kc;
    let col = e % kc;
    let ky = col / (w.k_w * w.channels);
    let kx = (col / w.channels) % w.k_w;
    let ch = col % w.channels;
    let ox = row % w.out_w;
    let oy = (row / w.out_w) % w.out_h;
    let n = row / (w.out_w * w.out_h);
    let iy = i32(oy * w.stride_h + ky) - i32(w.pad_top);
    let ix = i32(ox * w.stride_w + kx) - i32(w.pad_left);
    var v = 0.0;
    if (iy >= 0 && iy < i32(w.in_h) && ix >= 0 && ix < i32(w.in_w)) {
        v = x[((n * w.in_h + u32(iy)) * w.in_w + u32(ix)) * w.channels + ch];
    }
    cols[e] = v;
}
