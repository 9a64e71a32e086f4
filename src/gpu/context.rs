//! The one long-lived GPU context: adapter, device, queue and the compiled pipelines.
//!
//! Created asynchronously (`GpuContext::new().await`) because on the web every
//! WebGPU request is a promise; natively the same future is driven by `pollster`.
//! The device is always requested with `wgpu::Limits::default()` (the WebGPU
//! defaults: 128 MiB per storage binding, 256 invocations per workgroup, 16 KiB of
//! workgroup memory, 8 storage buffers per stage), so what passes natively also
//! runs in a browser.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use wgpu::util::DeviceExt;

use super::ops::Op;
use super::pipelines::Pipelines;
use crate::error::{Error, Result};

/// Adapter, device, queue and pipelines, shared by every GPU model.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    pub(crate) pipelines: Pipelines,
    lost: Arc<AtomicBool>,
}

pub(crate) fn gpu_err(what: impl std::fmt::Display) -> Error {
    Error::GpuLost(what.to_string())
}

/// A failure of the GPU itself (as opposed to the data or the maths): what the callers
/// that fall back to the CPU look for.
pub fn is_gpu_failure(e: &Error, ctx: &GpuContext) -> bool {
    ctx.is_lost() || matches!(e, Error::GpuLost(_))
}

impl GpuContext {
    /// Finds an adapter and opens a device with WebGPU's default limits. Fails (as a
    /// value, never a panic) where there is no WebGPU / Vulkan adapter: callers fall
    /// back to the CPU backend.
    pub async fn new() -> Result<GpuContext> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        // Natively Vulkan (Mesa's lavapipe where there is no GPU); in a browser, WebGPU.
        desc.backends =
            if cfg!(target_arch = "wasm32") { wgpu::Backends::BROWSER_WEBGPU } else { wgpu::Backends::VULKAN };
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::GpuUnavailable(format!("no GPU adapter ({e})")))?;
        let adapter_info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("transfer-playground"),
                required_features: wgpu::Features::empty(),
                required_limits: wgpu::Limits::default(),
                ..Default::default()
            })
            .await
            .map_err(|e| Error::GpuUnavailable(format!("could not open the GPU device ({e})")))?;
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        // A lost device (driver reset, tab in the background too long) cannot be
        // recovered: record it so that the next call fails with a clear message.
        device.set_device_lost_callback(move |_reason, _msg| flag.store(true, Ordering::SeqCst));
        let force_tiled = cfg!(not(target_arch = "wasm32")) && std::env::var_os("TP_GPU_TILED_GEMM").is_some();
        let pipelines = Pipelines::new(&device, adapter_info.device_type == wgpu::DeviceType::Cpu && !force_tiled);
        Ok(GpuContext { device, queue, adapter_info, pipelines, lost })
    }

    /// Whether the device was lost; a new context is then needed.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Test hook: destroys the device as a driver reset would lose it. Every later
    /// call fails with the "device was lost" message (the flag is set here as well as
    /// by the lost callback, whose timing differs between browsers and wgpu backends).
    pub fn simulate_device_loss(&self) {
        self.lost.store(true, Ordering::SeqCst);
        self.device.destroy();
    }

    pub(crate) fn check_alive(&self) -> Result<()> {
        if self.is_lost() {
            return Err(gpu_err("the GPU device was lost; reload the page or switch to the CPU backend"));
        }
        Ok(())
    }

    /// A zeroed storage buffer of `len` f32 values (at least one, WebGPU forbids empty bindings).
    pub fn zeros(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len.max(1) * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// A storage buffer holding `data` (exactly its size, so `arrayLength` is its length).
    pub fn upload(&self, label: &str, data: &[f32]) -> wgpu::Buffer {
        let one = [0.0f32];
        let data = if data.is_empty() { &one[..] } else { data };
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytemuck::cast_slice(data),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        })
    }

    /// Overwrites the start of `buf` with `data` (ordered before the next submission).
    pub fn write(&self, buf: &wgpu::Buffer, data: &[f32]) {
        if !data.is_empty() {
            self.queue.write_buffer(buf, 0, bytemuck::cast_slice(data));
        }
    }

    /// Encodes `ops` into one command buffer and submits it.
    pub fn run(&self, ops: &[Op]) {
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("ops") });
        super::ops::encode(&mut enc, ops);
        self.queue.submit([enc.finish()]);
    }

    /// Reads the first `len` f32 values of each buffer back. One submission, one
    /// `map_async` per buffer, awaited: on the web this yields to the event loop;
    /// natively the device is polled until the copy is done.
    pub async fn read_many(&self, bufs: &[(&wgpu::Buffer, usize)]) -> Result<Vec<Vec<f32>>> {
        self.check_alive()?;
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        let mut staging = Vec::new();
        for (buf, len) in bufs {
            let size = (len.max(&1) * 4) as u64;
            let s = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("staging"),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            enc.copy_buffer_to_buffer(buf, 0, &s, 0, size);
            staging.push(s);
        }
        self.queue.submit([enc.finish()]);
        let mut waits = Vec::new();
        for s in &staging {
            let (fut, done) = MapFuture::new();
            s.map_async(wgpu::MapMode::Read, .., move |r| done(r.is_ok()));
            waits.push(fut);
        }
        #[cfg(not(target_arch = "wasm32"))]
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(gpu_err)?;
        let mut out = Vec::new();
        for ((s, (_, len)), fut) in staging.iter().zip(bufs).zip(waits) {
            if !fut.await {
                return Err(gpu_err("reading a buffer back failed"));
            }
            let view = s.get_mapped_range(..).map_err(gpu_err)?;
            out.push(bytemuck::cast_slice::<u8, f32>(&view)[..*len].to_vec());
            drop(view);
            s.unmap();
        }
        self.check_alive()?;
        Ok(out)
    }

    /// Reads the first `len` f32 values of `buf`.
    pub async fn read(&self, buf: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        Ok(self.read_many(&[(buf, len)]).await?.pop().unwrap())
    }
}

/// A one-shot future completed by a `map_async` callback (no executor-specific
/// channel needed, so it works under pollster and wasm-bindgen-futures alike).
struct MapFuture {
    state: Arc<Mutex<(Option<bool>, Option<Waker>)>>,
}

impl MapFuture {
    fn new() -> (MapFuture, impl FnOnce(bool) + Send + 'static) {
        let state = Arc::new(Mutex::new((None, None::<Waker>)));
        let s2 = state.clone();
        let done = move |ok: bool| {
            let mut g = s2.lock().unwrap();
            g.0 = Some(ok);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        };
        (MapFuture { state }, done)
    }
}

impl Future for MapFuture {
    type Output = bool;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut g = self.state.lock().unwrap();
        match g.0 {
            Some(ok) => Poll::Ready(ok),
            None => {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
