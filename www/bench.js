// Browser training benchmark (measures, asserts nothing): this engine (CPU path in
// WebAssembly, and WebGPU when the build has it) against TF.js's backends, same model,
// same synthetic data, same browser, one run. Query: ?n=256&batches=32,128&only=a,b
// Results land in `window.benchResults` (read by tests/bench/browser-bench.mjs).
import init, * as tp from './pkg/transfer_playground.js';

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') || 256);
const BATCHES = (params.get('batches') || '32,128').split(',').map(Number);
const ONLY = params.get('only') ? params.get('only').split(',') : null;
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

async function benchEngine(backend, modelJson, weights) {
  const { x, y } = data(N);
  for (const frozen of [false, true]) {
    for (const batch of BATCHES) {
      const config = frozen ? 'frozen base' : 'full model';
      try {
        const m = tp.loadLayersModel(modelJson, weights);
        if (frozen) m.layers.slice(0, -1).forEach((l) => { l.trainable = false; });
        m.compile({ optimizer: 'sgd', learningRate: 0.01, momentum: 0.9, loss: 'sparseCategoricalCrossentropy' });
        const xs = { data: x, shape: [N, 28, 28, 1] };
        const ys = { data: y, shape: [N] };
        // Warm-up: one short fit.
        let run = m.fit({ data: x.subarray(0, 64 * 784), shape: [64, 28, 28, 1] }, { data: y.subarray(0, 64), shape: [64] }, { epochs: 1, batchSize: batch });
        while (run.step().type !== 'done');
        const t0 = performance.now();
        run = m.fit(xs, ys, { epochs: 1, batchSize: batch });
        while (run.step().type !== 'done');
        const secs = (performance.now() - t0) / 1000;
        row({ engine: 'transfer-playground', backend, config, batch, images: N, imagesPerSecond: N / secs,
              note: frozen ? 'frozen base features computed once per fit' : '' });
      } catch (e) {
        row({ engine: 'transfer-playground', backend, config, batch, images: N, note: `failed: ${e.message || e}` });
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
  await init();
  const modelJson = await (await fetch('assets/model-a/model.json')).text();
  const weights = new Uint8Array(await (await fetch('assets/model-a/weights.bin')).arrayBuffer());
  if (wanted('engine-cpu')) await benchEngine('CPU (WebAssembly, simd128)', modelJson, weights);
  tf.wasm.setWasmPaths('../node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  for (const b of ['cpu', 'wasm', 'webgl', 'webgpu']) {
    if (wanted(`tfjs-${b}`)) await benchTfjs(b);
  }
  status.textContent = 'done';
  window.benchDone = true;
}

main().catch((e) => { status.textContent = `failed: ${e.message || e}`; window.benchError = String(e); window.benchDone = true; });
