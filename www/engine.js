// The page's side of the worker: promise-per-request calls and progress listeners.

export function createEngine(workerUrl) {
  const worker = new Worker(workerUrl, { type: 'module' });
  const pending = new Map();
  const listeners = new Set();
  const backendListeners = new Set();
  let nextId = 1;
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.type === 'progress') {
      listeners.forEach((f) => f(m.job, m.event));
      return;
    }
    if (m.type === 'backend') {
      backendListeners.forEach((f) => f(m.info));
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  };
  worker.onerror = (e) => {
    const error = new Error(e.message || 'the worker failed to start');
    pending.forEach((p) => p.reject(error));
    pending.clear();
  };
  return {
    call(cmd, args, transfer) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, cmd, args }, transfer || []);
      });
    },
    onProgress(f) { listeners.add(f); return () => listeners.delete(f); },
    /** The worker's backend changed by itself (e.g. the GPU was lost mid-training). */
    onBackend(f) { backendListeners.add(f); return () => backendListeners.delete(f); },
  };
}
