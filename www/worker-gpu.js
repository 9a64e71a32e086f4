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
    if (info.ok) { GPU.adapter = { ...info, label: await adapterLabel(info) }; GPU.reason = null; }
    else GPU.reason = info.reason;
  }
  return backendInfo();
}

/**
 * Where jobs run now, as the engine decides it (`backendFor`: the one policy, in
 * `src/device.rs`, with one meaning of 'auto': a software fallback adapter such as
 * SwiftShader is skipped, the CPU path being many times faster there).
 */
function decision() {
  return S.tp.backendFor(GPU.choice);
}

export function gpuActive() {
  return decision().active === 'webgpu';
}

export function computeBackend() {
  return decision().active;
}

/**
 * `{choice, active, adapter, isFallbackAdapter, reason}`; `reason` (when the learner
 * wanted a GPU and runs on the CPU) is `{code: 'SOFTWARE_ADAPTER'}` or
 * `{code: 'GPU_UNAVAILABLE', params: {detail}}` with the engine's English reason.
 */
export function backendInfo() {
  const d = decision();
  const reason = d.reason === undefined ? null
    : d.reasonCode === 'SOFTWARE_ADAPTER' ? { code: 'SOFTWARE_ADAPTER', params: {} }
      : { code: 'GPU_UNAVAILABLE', params: { detail: String(GPU.reason || d.reason) } };
  return {
    choice: GPU.choice,
    active: d.active,
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

/**
 * `evaluateOn` with the model's outputs on the set too (`outputs`, what `predict` gives)
 * where the CPU computes: one forward pass for both. On the GPU, no `outputs`.
 */
export async function evaluateWithOutputs(model, set) {
  if (computeBackend() !== 'cpu') return evaluateOn(model, set);
  const r = model.evaluatePredict(set.x, set.y);
  return { loss: r.loss, accuracy: r.accuracy, backend: 'cpu', outputs: r.outputs };
}
