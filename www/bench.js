// Browser training benchmark (measures, asserts nothing): this engine (CPU path in
// WebAssembly, and on WebGPU) against TF.js's backends, same model, same synthetic data,
// same browser, one run. Query: ?n=256&en=2048&batches=32,128&only=a,b&pkg=pkg&reps=3
// (`n`: images per timed fit; `en`: the same for this engine's CPU path, which is fast
// enough to time over more batches — 256 images are only two batches of 128)
// (`only` keys: engine-cpu, engine-workers, lecture, engine-webgpu, tfjs-cpu, tfjs-wasm,
// tfjs-webgl, tfjs-webgpu; `pkg`: the wasm-bindgen output folder under www/, e.g. a
// build without simd128).
// `engine-workers`: full training on 1, 2 and all workers (navigator.hardwareConcurrency),
// through the page's data-parallel code in a worker (www/bench-worker.js), best of `reps`.
// `lecture`: the lecture's stages 3 + 4 (200 images, validation on 1,000 each epoch, 4 +
// 16 epochs, then the test set) run by the page's own engine worker (www/worker.js, the
// `train` command) on 1, 2 and all workers: seconds of compute the worker reports
// (`timing.computeMs` of both stages), best of `reps`.
// Results land in `window.benchResults` (read by tests/bench/browser-bench.mjs).
import { compileEngine } from './wasm-url.js';

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') || 256);
const ENGINE_CPU_N = Number(params.get('en') || N);
const BATCHES = (params.get('batches') || '32,128').split(',').map(Number);
const ONLY = params.get('only') ? params.get('only').split(',') : null;
const PKG = (params.get('pkg') || 'pkg').replace(/[^\w-]/g, '');
const REPS = Number(params.get('reps') || 3);
let BUILD = 'simd128';
const ALL = navigator.hardwareConcurrency || 1;
const WORKERS = [...new Set([1, 2, ALL])];
let tp;
const results = [];
window.benchResults = results;
const status = document.getElementById('status');

function row(r) {
  results.push(r);
  const tr = document.createElement('tr');
  for (const v of [r.engine, r.backend, r.config, r.batch, r.images, r.imagesPerSecond ? Math.round(r.imagesPerSecond) : '—', r.seconds ? r.seconds.toFixed(3) : '—', r.note || '']) {
    const td = document.createElement('td');
    td.textContent = v;
    tr.append(td);
  }
  document.getElementById('rows').append(tr);
}

function data(n) {
  // A fixed pseudo-random stream (xorshift), identical for every engine.
  let s = 12345;
  const rand = () => ((s ^= s << 13, s ^= s >>> 17, s ^= s << 5) >>> 0) / 4294967296;
  const x = new Float32Array(n * 784).map(rand);
  const y = new Float32Array(n).map((_, i) => i % 8);
  return { x, y };
}

const wanted = (key) => !ONLY || ONLY.includes(key);

/** `fitBackend`: 'cpu' or 'webgpu' (then every `step()` is a Promise, awaited). */
async function benchEngine(backend, modelJson, weights, fitBackend = 'cpu') {
  const n = fitBackend === 'cpu' ? ENGINE_CPU_N : N;
  const { x, y } = data(n);
  for (const frozen of [false, true]) {
    for (const batch of BATCHES) {
      const config = frozen ? 'frozen base' : 'full model';
      try {
        const m = tp.loadLayersModel(modelJson, weights);
        if (frozen) m.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
        m.compile({ optimizer: 'sgd', learningRate: 0.01, momentum: 0.9, loss: 'sparseCategoricalCrossentropy' });
        const xs = { data: x, shape: [n, 28, 28, 1] };
        const ys = { data: y, shape: [n] };
        // Warm-up: one short fit.
        const opts = { epochs: 1, batchSize: batch, backend: fitBackend };
        let run = m.fit({ data: x.subarray(0, 64 * 784), shape: [64, 28, 28, 1] }, { data: y.subarray(0, 64), shape: [64] }, opts);
        while ((await run.step()).type !== 'done');
        const t0 = performance.now();
        // Timed as a learner's fit: upload, every step, the epoch-end metrics and read-back.
        run = m.fit(xs, ys, opts);
        while ((await run.step()).type !== 'done');
        const secs = (performance.now() - t0) / 1000;
        if (run.backend !== fitBackend) throw new Error(`ran on ${run.backend}: ${run.fallback}`);
        row({ engine: 'transfer-playground', backend, config, batch, images: n, imagesPerSecond: n / secs,
              note: frozen ? 'frozen base features computed once per fit' : '' });
      } catch (e) {
        row({ engine: 'transfer-playground', backend, config, batch, images: n, note: `failed: ${e.message || e}` });
      }
      await new Promise((r) => setTimeout(r, 0));
    }
  }
}

/** Full training on 1, 2 and all workers (www/bench-worker.js). */
async function benchWorkers(modelJson, weights) {
  const w = new Worker('bench-worker.js', { type: 'module' });
  const r = await new Promise((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ ok: false, error: e.message });
    w.postMessage({ n: ENGINE_CPU_N, batches: BATCHES, workers: WORKERS, modelJson, weights, repeats: REPS });
  });
  w.terminate();
  if (!r.ok) {
    row({ engine: 'transfer-playground', backend: 'CPU workers', config: 'full model', batch: '—', images: 0, note: `failed: ${r.error}` });
    return;
  }
  for (const x of r.rows) {
    const how = x.workers === 1 ? 'one worker' : `${x.transport === 'shared' ? 'SharedArrayBuffer' : 'transferred buffers'}`;
    const where = x.timing ? `; ms per step: ${stepParts('worker 0', x.timing.coordinator)}${x.timing.replica ? `, ${stepParts('worker 1', x.timing.replica)}` : ''}` : '';
    row({ engine: 'transfer-playground', backend: `CPU (WebAssembly, ${r.build}), ${x.workers} worker${x.workers > 1 ? 's' : ''}`, config: 'full model', batch: x.batch, images: x.images, imagesPerSecond: x.imagesPerSecond, workers: x.workers, timing: x.timing, note: `${how}; best of ${REPS}, interleaved${where}` });
  }
}

/** One worker's step timing as `name (compute 4.01, wait 0.24, ...)`. */
function stepParts(name, t) {
  const parts = ['gather', 'compute', 'wait', 'sum', 'between'].filter((k) => k in t).map((k) => `${k} ${t[k].toFixed(2)}`);
  return `${name} (${parts.join(', ')})`;
}

/** The page's engine worker: one request, one reply (www/PROTOCOL.md). */
function engineWorker() {
  const w = new Worker('worker.js', { type: 'module' });
  let next = 1;
  const waiting = new Map();
  w.onmessage = (e) => {
    const p = waiting.get(e.data.id);
    if (!p) return; // progress events
    waiting.delete(e.data.id);
    if (e.data.ok) p.resolve(e.data.result); else p.reject(new Error(`${e.data.error.code}: ${e.data.error.message}`));
  };
  const call = (cmd, args) => new Promise((resolve, reject) => { const id = next++; waiting.set(id, { resolve, reject }); w.postMessage({ id, cmd, args }); });
  return { call, terminate: () => w.terminate() };
}

/** The lecture's stages 3 + 4 through the page's own worker path, on 1, 2 and all workers. */
async function benchLecture() {
  // One engine worker per worker count, the runs interleaved (1, 2, ..., 1, 2, ...): a
  // change in the machine's load touches every count alike. The first run of each warms
  // up (the replicas' first fit, the JIT); the best of the rest counts.
  const engines = new Map();
  const best = new Map();
  try {
    for (const workers of WORKERS) {
      const e = engineWorker();
      engines.set(workers, e);
      await e.call('init', { base: new URL('./', location.href).href, backend: 'cpu', workers });
    }
    for (let r = 0; r < REPS + 1; r++) {
      for (const workers of WORKERS) {
        const e = engines.get(workers);
        const common = { scenario: 'builtin', n: 200, batchSize: 32, seed: 42, workers };
        const s3 = await e.call('train', { job: 'stage3', id: `b3-${r}`, lr: 0.01, epochs: 4, ...common });
        const s4 = await e.call('train', { job: 'stage4', id: `b4-${r}`, from: `b3-${r}`, lr: 1e-4, epochs: 16, ...common });
        const t = { compute: (s3.timing.computeMs + s4.timing.computeMs) / 1000, wall: (s3.timing.wallMs + s4.timing.wallMs) / 1000, s3: s3.timing.computeMs / 1000, s4: s4.timing.computeMs / 1000, transport: s4.timing.transport, ran: s4.timing.workers, acc: s4.test.accuracy };
        if (r > 0 && (!best.has(workers) || t.compute < best.get(workers).compute)) best.set(workers, t);
      }
    }
    for (const workers of WORKERS) {
      const b = best.get(workers);
      const how = workers === 1 ? 'one worker' : b.transport === 'shared' ? 'SharedArrayBuffer' : 'transferred buffers';
      row({ engine: 'transfer-playground', backend: `CPU (WebAssembly, ${BUILD}), ${b.ran} worker${b.ran > 1 ? 's' : ''}`, config: 'lecture stages 3+4 (page worker)', batch: 32, images: 200, seconds: b.compute, workers,
        note: `compute ${b.compute.toFixed(3)} s (stage 3 ${b.s3.toFixed(3)}, stage 4 ${b.s4.toFixed(3)}), wall ${b.wall.toFixed(3)} s, ${how}, test accuracy ${b.acc.toFixed(4)}; best of ${REPS}, interleaved` });
    }
  } catch (err) {
    row({ engine: 'transfer-playground', backend: 'CPU', config: 'lecture stages 3+4 (page worker)', batch: 32, images: 200, note: `failed: ${err.message || err}` });
  } finally {
    for (const e of engines.values()) e.terminate();
  }
}

function tfModel() {
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 64, activation: 'relu' }),
    tf.layers.dense({ units: 8, activation: 'softmax' }),
  ] });
}

async function benchTfjs(backend) {
  let ok = false;
  try {
    ok = await tf.setBackend(backend);
    await tf.ready();
  } catch (e) {
    row({ engine: 'TF.js 4.22.0', backend, config: '—', batch: '—', images: 0, note: `backend failed: ${e.message || e}` });
    return;
  }
  if (!ok || tf.getBackend() !== backend) {
    row({ engine: 'TF.js 4.22.0', backend, config: '—', batch: '—', images: 0, note: 'backend not available in this browser' });
    return;
  }
  const { x, y } = data(N);
  for (const frozen of [false, true]) {
    for (const batch of BATCHES) {
      const config = frozen ? 'frozen base' : 'full model';
      try {
        const m = tfModel();
        if (frozen) m.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
        m.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'sparseCategoricalCrossentropy' });
        const xs = tf.tensor4d(x, [N, 28, 28, 1]);
        const ys = tf.tensor2d(y, [N, 1]);
        await m.fit(xs.slice(0, 64), ys.slice(0, 64), { epochs: 1, batchSize: batch, verbose: 0 });
        const t0 = performance.now();
        await m.fit(xs, ys, { epochs: 1, batchSize: batch, verbose: 0, shuffle: true });
        const secs = (performance.now() - t0) / 1000;
        row({ engine: 'TF.js 4.22.0', backend, config, batch, images: N, imagesPerSecond: N / secs });
        xs.dispose(); ys.dispose(); m.dispose();
      } catch (e) {
        row({ engine: 'TF.js 4.22.0', backend, config, batch, images: N, note: `failed: ${e.message || e}` });
      }
    }
  }
}

async function main() {
  tp = await import(`./${PKG}/transfer_playground.js`);
  // The page's choice of build (relaxed SIMD where the browser has it); `pkg=` other
  // than pkg: that folder's plain build.
  const { module, build } = PKG === 'pkg' ? await compileEngine(new URL(`./${PKG}/`, location.href)) : { module: undefined, build: PKG };
  await tp.default(module ? { module_or_path: module } : undefined);
  BUILD = build;
  const modelJson = await (await fetch('assets/model-a/model.json')).text();
  const weights = new Uint8Array(await (await fetch('assets/model-a/weights.bin')).arrayBuffer());
  const simd = BUILD;
  if (wanted('engine-cpu')) await benchEngine(`CPU (WebAssembly, ${simd})`, modelJson, weights);
  if (wanted('engine-workers')) await benchWorkers(modelJson, weights);
  if (wanted('lecture')) await benchLecture();
  if (wanted('engine-webgpu')) {
    const gpu = await tp.initGpu();
    // wgpu reports GPUAdapterInfo.description, often empty: add vendor and architecture.
    const info = (await navigator.gpu?.requestAdapter())?.info;
    const label = gpu.name || [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'adapter';
    const name = gpu.ok ? `WebGPU (${label}${gpu.isFallbackAdapter ? ', fallback adapter' : ''})` : 'WebGPU';
    if (gpu.ok) await benchEngine(name, modelJson, weights, 'webgpu');
    else row({ engine: 'transfer-playground', backend: 'WebGPU', config: '—', batch: '—', images: 0, note: `no GPU: ${gpu.reason}` });
  }
  window.benchInfo = { hardwareConcurrency: ALL, crossOriginIsolated: self.crossOriginIsolated === true, build: BUILD };
  tf.wasm.setWasmPaths('../node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  for (const b of ['cpu', 'wasm', 'webgl', 'webgpu']) {
    if (wanted(`tfjs-${b}`)) await benchTfjs(b);
  }
  status.textContent = 'done';
  window.benchDone = true;
}

main().catch((e) => { status.textContent = `failed: ${e.message || e}`; window.benchError = String(e); window.benchDone = true; });
