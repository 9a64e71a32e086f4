// Adds a batch's summed loss and correct count into acc = [loss_sum, correct, diverged]
// with one workgroup, so the epoch's totals stay on the GPU until read back at epoch
// end. A NaN or infinite batch loss sets the sticky `diverged` flag instead: the
// optimizer kernels then leave the weights alone (the CPU path refuses such an update
// too), and the host reports it at the next readback.

struct AccParams {
    rows: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: AccParams;
@group(0) @binding(1) var<storage, read> row_loss: array<f32>;
@group(0) @binding(2) var<storage, read> row_correct: array<f32>;
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;

var<workgroup> part_loss: array<f32, 256>;
var<workgroup> part_correct: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    var c = 0.0;
    for (var r = lid; r < p.rows; r += 256u) {
        s += row_loss[r];
        c += row_correct[r];
    }
    part_loss[lid] = s;
    part_correct[lid] = c;
    workgroupBarrier();
    for (var stride = 128u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            part_loss[lid] += part_loss[lid + stride];
            part_correct[lid] += part_correct[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u && acc[2] == 0.0) {
        // Exponent bits all ones: infinite or NaN (WGSL has no isnan/isinf).
        if ((bitcast<u32>(part_loss[0]) & 0x7f800000u) == 0x7f800000u) {
            acc[2] = 1.0;
        } else {
            acc[0] = acc[0] + part_loss[0];
            acc[1] = acc[1] + part_correct[0];
        }
    }
}
