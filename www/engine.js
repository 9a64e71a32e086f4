// The page's side of the worker (protocol: www/PROTOCOL.md): one promise per request,
// progress and backend listeners, and the replacement of a failed engine. A reply
// marked `fatal` (the wasm instance trapped or panicked) or a worker that dies
// terminates that worker; a fresh one is started and `start` (init + restore of the
// saved project) runs on it before any other request; then listeners hear
// `{event: 'replaced', reason}`. Requests in flight on the dead worker are rejected with
// ENGINE_REPLACED; requests made meanwhile wait for the fresh one.
import { COMMANDS } from './protocol.js';
import { fromErrorValue, pageError } from './errors.js';

// Give up after this many replacements in this window: a worker that cannot start
// would otherwise be replaced forever.
const MAX_REPLACEMENTS = 3;
const WINDOW_MS = 60_000;

export function createEngine(workerUrl, { start }) {
  const pending = new Map();
  const listeners = { progress: new Set(), backend: new Set(), engine: new Set() };
  let nextId = 1;
  let worker = null;
  let ready = null;      // a promise of `start`'s result on the current worker
  let dead = null;       // the error value once no worker can be started
  let replacing = false;
  const replacedAt = [];

  const emit = (type, ...a) => listeners[type].forEach((f) => f(...a));

  function spawn() {
    const w = new Worker(workerUrl, { type: 'module' });
    w.onmessage = (e) => {
      if (w !== worker) return; // a message from a worker already replaced
      const m = e.data;
      if (m.type === 'progress') return emit('progress', m.job, m.event);
      if (m.type === 'backend') return emit('backend', m.info);
      if (m.type === 'engine' && m.event === 'fatal') return replace(m.reason);
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        const err = fromErrorValue(m.error);
        err.fatal = !!m.fatal;
        p.reject(err);
        if (m.fatal) replace(m.error);
      }
    };
    w.onerror = (e) => {
      if (w !== worker) return;
      e.preventDefault?.();
      replace({ code: 'TRAPPED', params: { detail: e.message || 'the worker stopped' }, message: e.message || '' });
    };
    worker = w;
  }

  function rawCall(cmd, args, transfer) {
    if (!COMMANDS.includes(cmd)) return Promise.reject(pageError('UNKNOWN_COMMAND', { cmd }));
    if (dead) return Promise.reject(fromErrorValue(dead));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, cmd, args }, transfer || []);
    });
  }

  function failAll(code, params) {
    const err = pageError(code, params);
    pending.forEach((p) => p.reject(err));
    pending.clear();
  }

  function boot() {
    spawn();
    ready = start(rawCall);
    return ready;
  }

  function replace(reason) {
    if (replacing || dead) return;
    replacing = true;
    failAll('ENGINE_REPLACED');
    worker?.terminate();
    const now = Date.now();
    replacedAt.push(now);
    while (replacedAt.length && now - replacedAt[0] > WINDOW_MS) replacedAt.shift();
    if (replacedAt.length > MAX_REPLACEMENTS) {
      dead = { code: 'ENGINE_DEAD', params: { detail: reason?.message || reason?.code || '' }, message: 'engine failed repeatedly' };
      worker = null;
      replacing = false;
      emit('engine', { event: 'failed', reason: dead });
      return;
    }
    const started = boot();
    started.then(
      (info) => { replacing = false; emit('engine', { event: 'replaced', reason, info }); },
      (err) => { replacing = false; emit('engine', { event: 'failed', reason: { code: err.code || 'ENGINE_DEAD', params: err.params || {}, message: String(err.message) } }); },
    );
  }

  return {
    /** Starts the first worker; resolves to `start`'s result. */
    boot,
    /** One request; waits while a replacement is starting. */
    async call(cmd, args, transfer) {
      if (ready) await ready.catch(() => {});
      return rawCall(cmd, args, transfer);
    },
    onProgress(f) { listeners.progress.add(f); return () => listeners.progress.delete(f); },
    /** The worker's backend changed by itself (e.g. the GPU was lost mid-training). */
    onBackend(f) { listeners.backend.add(f); return () => listeners.backend.delete(f); },
    /** `{event: 'replaced' | 'failed', reason, info?}`. */
    onEngine(f) { listeners.engine.add(f); return () => listeners.engine.delete(f); },
  };
}
