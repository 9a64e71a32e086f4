// The compute backend in the worker: what the learner chose ('auto' | 'webgpu' |
// 'cpu'), whether a GPU is open, and where a job runs. Test accuracies and predictions
// run where training runs; each result says which backend computed it.
import { S, post } from './worker-session.js';

const GPU = {
  choice: 'auto',
  adapter: null,   // initGpu()'s answer when it found one
  reason: null,    // why there is no GPU (engine text: no WebGPU, no adapter, device lost)
  // Read the GPU state back (a checkpoint) every 16 batches and at each epoch end:
  // rarely enough not to stall the GPU, often enough that a lost device costs at most
  // 16 steps, which the CPU then redoes from the checkpoint.
  checkpointEvery: 16,
};

export const checkpointEvery = () => GPU.checkpointEvery;

/** The adapter's label: its description, else vendor and architecture from GPUAdapterInfo. */
async function adapterLabel(info) {
  let label = info.name;
  try {
    const a = await navigator.gpu?.requestAdapter();
    const i = a?.info;
    if (!label && i) label = [i.vendor, i.architecture, i.device].filter(Boolean).join(' ');
  } catch { /* the label is cosmetic */ }
  return label || 'WebGPU';
}

/** Opens (or drops) the GPU for the learner's choice; returns what the page shows. */
export async function chooseBackend(choice) {
  GPU.choice = choice;
  GPU.adapter = null;
  if (choice !== 'cpu') {
    const info = await S.tp.initGpu();
    if (info.ok) GPU.adapter = { ...info, label: await adapterLabel(info) };
    else GPU.reason = info.reason;
  }
  return backendInfo();
}

/**
 * Whether training runs on the GPU. 'auto' skips a software fallback adapter (such as
 * SwiftShader): on a machine without a GPU the CPU path is many times faster.
 */
export function gpuActive() {
  if (!GPU.adapter || !S.tp.backends().gpuReady || GPU.choice === 'cpu') return false;
  return GPU.choice === 'webgpu' || !GPU.adapter.isFallbackAdapter;
}

export function computeBackend() {
  return gpuActive() ? 'webgpu' : 'cpu';
}

/**
 * `{choice, active, adapter, isFallbackAdapter, reason}`; `reason` (when the learner
 * wanted a GPU and runs on the CPU) is `{code: 'SOFTWARE_ADAPTER'}` or
 * `{code: 'GPU_UNAVAILABLE', params: {detail}}` with the engine's English reason.
 */
export function backendInfo() {
  const gpu = gpuActive();
  const software = GPU.adapter?.isFallbackAdapter && GPU.choice === 'auto';
  let reason = null;
  if (!gpu && GPU.choice !== 'cpu') {
    reason = software ? { code: 'SOFTWARE_ADAPTER', params: {} }
      : { code: 'GPU_UNAVAILABLE', params: { detail: String(GPU.reason || S.tp.backends().reason || 'no WebGPU adapter') } };
  }
  return {
    choice: GPU.choice,
    active: gpu ? 'webgpu' : 'cpu',
    adapter: GPU.adapter && GPU.choice !== 'cpu' ? GPU.adapter.label : null,
    isFallbackAdapter: GPU.adapter ? GPU.adapter.isFallbackAdapter : null,
    reason,
  };
}

/** The device was lost mid-job (the engine says so on a step or a result). */
export function noteLost(message) {
  GPU.reason = message;
  post({ type: 'backend', info: backendInfo() });
}

/** A result computed on the CPU although the GPU was asked for: noted like a fit's fallback. */
export function noteFallback(r) {
  if (r.fallback) noteLost(r.fallback);
  return r;
}

/** `{loss, accuracy, backend}` of a model on a set, on the current backend. */
export async function evaluateOn(model, set) {
  const r = noteFallback(await model.evaluateAsync(set.x, set.y, { backend: computeBackend() }));
  return { loss: r.loss, accuracy: r.accuracy, backend: r.backend };
}
