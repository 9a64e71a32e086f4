//! Where a computation runs, decided in one place: the learner's choice (`'cpu'`,
//! `'webgpu'` or `'auto'`) and what the GPU is (none, a hardware adapter, a software
//! fallback adapter) give the backend, and when it is not the one asked for, the reason.
//!
//! # What `'auto'` means
//! The GPU when there is a hardware adapter; otherwise the CPU. A *software* adapter
//! (SwiftShader in a browser without a GPU, Mesa's lavapipe natively: WebGPU's
//! `isFallbackAdapter`, wgpu's `DeviceType::Cpu`) is skipped by `'auto'`, because the
//! engine's own CPU path (packed GEMM, SIMD) is several times faster than WGSL running
//! on an emulated GPU. `'webgpu'` takes any adapter, software too (tests and a learner
//! who wants to see it), and fails with the reason when there is none.
//!
//! Pure policy, no GPU types: the wasm boundary (`web/gpu.rs`) asks it, and the unit
//! tests below pin it down natively.

use crate::error::{Error, Result};

/// The learner's backend choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Cpu,
    WebGpu,
    Auto,
}

/// What kind of GPU is open, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gpu<'a> {
    /// None is open; the text says why (no WebGPU, no adapter, device lost, `initGpu()`
    /// not called yet).
    None(&'a str),
    /// A hardware adapter.
    Hardware,
    /// A software (fallback) adapter.
    Software,
}

/// Where to run, and why not on the GPU when that was asked for or possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub on_gpu: bool,
    /// Set when the choice was `'auto'` (or `'webgpu'` with no GPU, for calls that fall
    /// back) and the CPU was chosen: why, for the backend badge.
    pub reason: Option<Reason>,
}

/// Why the CPU runs although a GPU was possible or asked for. The page translates it
/// by [`Reason::code`]; [`Reason`]'s `Display` is the English sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `'auto'` with only a software adapter (the CPU path is faster).
    SoftwareAdapter,
    /// No GPU: the text says why (no WebGPU, no adapter, device lost, ...).
    NoGpu(String),
}

impl Reason {
    /// `'SOFTWARE_ADAPTER'` or `'GPU_UNAVAILABLE'`, as the page's messages are keyed.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::SoftwareAdapter => "SOFTWARE_ADAPTER",
            Reason::NoGpu(_) => "GPU_UNAVAILABLE",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::SoftwareAdapter => f.write_str(SOFTWARE_ADAPTER),
            Reason::NoGpu(why) => f.write_str(why),
        }
    }
}

/// The sentence shown for `'auto'` with only a software adapter.
pub const SOFTWARE_ADAPTER: &str =
    "only a software WebGPU adapter, slower than the CPU path here; choose WebGPU to use it anyway";

impl Choice {
    /// `'cpu'` (or `'wasm'`), `'webgpu'` (or `'gpu'`) or `'auto'`, any case.
    pub fn parse(name: &str) -> Result<Choice> {
        match name.to_ascii_lowercase().as_str() {
            "cpu" | "wasm" => Ok(Choice::Cpu),
            "webgpu" | "gpu" => Ok(Choice::WebGpu),
            "auto" => Ok(Choice::Auto),
            _ => Err(Error::bad_option("backend", "'webgpu', 'cpu' or 'auto'", format!("'{name}'"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Choice::Cpu => "cpu",
            Choice::WebGpu => "webgpu",
            Choice::Auto => "auto",
        }
    }
}

/// The decision for a `fit` or a model's backend: `'webgpu'` without a GPU is an
/// error ([`Error::GpuUnavailable`] with the reason).
pub fn decide(choice: Choice, gpu: Gpu) -> Result<Decision> {
    let cpu = |reason: Option<Reason>| Ok(Decision { on_gpu: false, reason });
    match (choice, gpu) {
        (Choice::Cpu, _) => cpu(None),
        (_, Gpu::Hardware) | (Choice::WebGpu, Gpu::Software) => Ok(Decision { on_gpu: true, reason: None }),
        (Choice::Auto, Gpu::Software) => cpu(Some(Reason::SoftwareAdapter)),
        (Choice::Auto, Gpu::None(why)) => cpu(Some(Reason::NoGpu(why.to_string()))),
        (Choice::WebGpu, Gpu::None(why)) => {
            Err(Error::GpuUnavailable(format!("backend 'webgpu': {why}; use backend 'cpu' or 'auto'")))
        }
    }
}

/// The decision for calls that never fail for want of a GPU (`predictAsync`,
/// `evaluateAsync`): `'webgpu'` without a GPU runs on the CPU with the reason.
pub fn decide_or_cpu(choice: Choice, gpu: Gpu) -> Decision {
    decide(choice, gpu).unwrap_or_else(|e| Decision { on_gpu: false, reason: Some(Reason::NoGpu(e.to_string())) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_skips_a_software_adapter_and_says_why() {
        let d = decide(Choice::Auto, Gpu::Software).unwrap();
        assert!(!d.on_gpu);
        assert_eq!(d.reason, Some(Reason::SoftwareAdapter));
        assert_eq!(d.reason.unwrap().to_string(), SOFTWARE_ADAPTER);
        assert!(decide(Choice::Auto, Gpu::Hardware).unwrap().on_gpu);
        let none = decide(Choice::Auto, Gpu::None("no WebGPU adapter")).unwrap();
        let why = none.reason.unwrap();
        assert_eq!((none.on_gpu, why.code(), why.to_string()), (false, "GPU_UNAVAILABLE", "no WebGPU adapter".into()));
    }

    #[test]
    fn webgpu_takes_any_adapter_and_fails_without_one() {
        assert!(decide(Choice::WebGpu, Gpu::Software).unwrap().on_gpu);
        assert!(decide(Choice::WebGpu, Gpu::Hardware).unwrap().on_gpu);
        let e = decide(Choice::WebGpu, Gpu::None("call (and await) initGpu() first")).unwrap_err();
        assert_eq!(e.code(), "GPU_UNAVAILABLE");
        assert!(e.to_string().contains("initGpu"), "{e}");
        let d = decide_or_cpu(Choice::WebGpu, Gpu::None("the GPU device was lost"));
        assert!(!d.on_gpu && d.reason.unwrap().to_string().contains("lost"));
    }

    #[test]
    fn cpu_is_the_cpu_without_a_reason() {
        for gpu in [Gpu::Hardware, Gpu::Software, Gpu::None("x")] {
            assert_eq!(decide(Choice::Cpu, gpu).unwrap(), Decision { on_gpu: false, reason: None });
        }
    }

    #[test]
    fn names_parse_in_any_case_and_others_are_bad_options() {
        assert_eq!(Choice::parse("WebGPU").unwrap(), Choice::WebGpu);
        assert_eq!(Choice::parse("wasm").unwrap(), Choice::Cpu);
        assert_eq!(Choice::parse("Auto").unwrap().name(), "auto");
        assert_eq!(Choice::parse("cuda").unwrap_err().code(), "BAD_OPTION");
    }
}
