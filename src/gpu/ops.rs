//! A recorded GPU operation ([`Op`]) and how a list of them becomes one command buffer.
//! A model's training step is a fixed list of ops, recorded once (bind groups and
//! parameter uniforms built up front) and encoded each time it runs.

/// One recorded GPU operation.
#[derive(Debug, Clone)]
pub enum Op {
    Dispatch { pipeline: wgpu::ComputePipeline, bind_group: wgpu::BindGroup, groups: (u32, u32, u32) },
    Copy { src: wgpu::Buffer, dst: wgpu::Buffer, bytes: u64 },
    Clear { buf: wgpu::Buffer },
}

/// Encodes ops in order; consecutive dispatches share one compute pass (WebGPU makes
/// each dispatch's writes visible to the next).
pub fn encode(enc: &mut wgpu::CommandEncoder, ops: &[Op]) {
    let mut i = 0;
    while i < ops.len() {
        match &ops[i] {
            Op::Copy { src, dst, bytes } => {
                enc.copy_buffer_to_buffer(src, 0, dst, 0, *bytes);
                i += 1;
            }
            Op::Clear { buf } => {
                enc.clear_buffer(buf, 0, None);
                i += 1;
            }
            Op::Dispatch { .. } => {
                let mut pass =
                    enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
                while let Some(Op::Dispatch { pipeline, bind_group, groups }) = ops.get(i) {
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(0, bind_group, &[]);
                    pass.dispatch_workgroups(groups.0, groups.1, groups.2);
                    i += 1;
                }
            }
        }
    }
}
