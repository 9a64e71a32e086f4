//! Every compute pipeline, compiled once per device from the WGSL files in `shaders/`
//! (one file per kernel, its backward beside it, included at compile time).

/// Every compiled pipeline.
pub struct Pipelines {
    /// The tiled GEMM (GPUs) and the one without workgroup memory (CPU adapters, see
    /// gemm_direct.wgsl); `tiled` says which `gemm` uses.
    pub(crate) gemm_tiled: wgpu::ComputePipeline,
    pub(crate) gemm_direct: wgpu::ComputePipeline,
    pub tiled: bool,
    pub(crate) gemm_reduce: wgpu::ComputePipeline,
    pub(crate) im2col: wgpu::ComputePipeline,
    pub(crate) im2col_backward: wgpu::ComputePipeline,
    pub(crate) pool: wgpu::ComputePipeline,
    pub(crate) pool_backward: wgpu::ComputePipeline,
    pub(crate) global_avg_pool: wgpu::ComputePipeline,
    pub(crate) global_avg_pool_backward: wgpu::ComputePipeline,
    pub(crate) bias_activation: wgpu::ComputePipeline,
    pub(crate) bias_activation_backward: wgpu::ComputePipeline,
    pub(crate) softmax: wgpu::ComputePipeline,
    pub(crate) softmax_backward: wgpu::ComputePipeline,
    pub(crate) bias_grad: wgpu::ComputePipeline,
    pub(crate) dropout: wgpu::ComputePipeline,
    pub(crate) batch_norm_stats: wgpu::ComputePipeline,
    pub(crate) batch_norm: wgpu::ComputePipeline,
    pub(crate) batch_norm_backward_reduce: wgpu::ComputePipeline,
    pub(crate) batch_norm_backward: wgpu::ComputePipeline,
    pub(crate) loss: wgpu::ComputePipeline,
    pub(crate) loss_accumulate: wgpu::ComputePipeline,
    pub(crate) grad_check: wgpu::ComputePipeline,
    pub(crate) sgd: wgpu::ComputePipeline,
    pub(crate) adam: wgpu::ComputePipeline,
}

fn pipeline(device: &wgpu::Device, label: &str, src: &str, entry: &str) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        // Layouts derived from the shader: each kernel's bindings are its own.
        layout: None,
        module: &module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

macro_rules! kernel {
    ($device:expr, $name:literal) => {
        pipeline($device, $name, include_str!(concat!("shaders/", $name, ".wgsl")), "main")
    };
    ($device:expr, $name:literal, $entry:literal) => {
        pipeline($device, $name, include_str!(concat!("shaders/", $name, ".wgsl")), $entry)
    };
}

impl Pipelines {
    /// `cpu_adapter`: the adapter is a software implementation (lavapipe, SwiftShader).
    pub fn new(device: &wgpu::Device, cpu_adapter: bool) -> Pipelines {
        Pipelines {
            gemm_tiled: kernel!(device, "gemm"),
            gemm_direct: kernel!(device, "gemm_direct"),
            tiled: !cpu_adapter,
            gemm_reduce: kernel!(device, "gemm_reduce"),
            im2col: kernel!(device, "im2col"),
            im2col_backward: kernel!(device, "im2col_backward"),
            pool: kernel!(device, "pool"),
            pool_backward: kernel!(device, "pool_backward"),
            global_avg_pool: kernel!(device, "global_avg_pool"),
            global_avg_pool_backward: kernel!(device, "global_avg_pool_backward"),
            bias_activation: kernel!(device, "bias_activation"),
            bias_activation_backward: kernel!(device, "bias_activation_backward"),
            softmax: kernel!(device, "softmax"),
            softmax_backward: kernel!(device, "softmax_backward"),
            bias_grad: kernel!(device, "bias_grad"),
            dropout: kernel!(device, "dropout"),
            batch_norm_stats: kernel!(device, "batch_norm_stats"),
            batch_norm: kernel!(device, "batch_norm"),
            batch_norm_backward_reduce: kernel!(device, "batch_norm_backward", "reduce"),
            batch_norm_backward: kernel!(device, "batch_norm_backward", "main"),
            loss: kernel!(device, "loss"),
            loss_accumulate: kernel!(device, "loss_accumulate"),
            grad_check: kernel!(device, "grad_check"),
            sgd: kernel!(device, "sgd"),
            adam: kernel!(device, "adam"),
        }
    }
}
