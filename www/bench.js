// Browser training benchmark (measures, asserts nothing): this engine (CPU path in
// WebAssembly, and on WebGPU) against TF.js's backends, same model, same synthetic data,
// same browser, one run. Query: ?n=256&en=2048&batches=32,128&only=a,b&pkg=pkg
// (`n`: images per timed fit; `en`: the same for this engine's CPU path, which is fast
// enough to time over more batches — 256 images are only two batches of 128)
// (`only` keys: engine-cpu, engine-webgpu, tfjs-cpu, tfjs-wasm, tfjs-webgl, tfjs-webgpu;
// `pkg`: the wasm-bindgen output folder under www/, e.g. a build without simd128).
// Results land in `window.benchResults` (read by tests/bench/browser-bench.mjs).

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') || 256);
const ENGINE_CPU_N = Number(params.get('en') || N);
const BATCHES = (params.get('batches') || '32,128').split(',').map(Number);
const ONLY = params.get('only') ? params.get('only').split(',') : null;
const PKG = (params.get('pkg') || 'pkg').replace(/[^\w-]/g, '');
let tp;
const results = [];
window.benchResults = results;
const status = document.getElementById('status');

function row(r) {
  results.push(r);
  const tr = document.createElement('tr');
  for (const v of [r.engine, r.backend, r.config, r.batch, r.images, r.imagesPerSecond ? Math.round(r.imagesPerSecond) : '—', r.note || '']) {
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
  await tp.default();
  const modelJson = await (await fetch('assets/model-a/model.json')).text();
  const weights = new Uint8Array(await (await fetch('assets/model-a/weights.bin')).arrayBuffer());
  const simd = PKG === 'pkg' ? 'simd128' : PKG;
  if (wanted('engine-cpu')) await benchEngine(`CPU (WebAssembly, ${simd})`, modelJson, weights);
  if (wanted('engine-webgpu')) {
    const gpu = await tp.initGpu();
    // wgpu reports GPUAdapterInfo.description, often empty: add vendor and architecture.
    const info = (await navigator.gpu?.requestAdapter())?.info;
    const label = gpu.name || [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'adapter';
    const name = gpu.ok ? `WebGPU (${label}${gpu.isFallbackAdapter ? ', fallback adapter' : ''})` : 'WebGPU';
    if (gpu.ok) await benchEngine(name, modelJson, weights, 'webgpu');
    else row({ engine: 'transfer-playground', backend: 'WebGPU', config: '—', batch: '—', images: 0, note: `no GPU: ${gpu.reason}` });
  }
  tf.wasm.setWasmPaths('../node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  for (const b of ['cpu', 'wasm', 'webgl', 'webgpu']) {
    if (wanted(`tfjs-${b}`)) await benchTfjs(b);
  }
  status.textContent = 'done';
  window.benchDone = true;
}

main().catch((e) => { status.textContent = `failed: ${e.message || e}`; window.benchError = String(e); window.benchDone = true; });
