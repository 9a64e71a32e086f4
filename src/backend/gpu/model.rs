pub struct GpuModel;
