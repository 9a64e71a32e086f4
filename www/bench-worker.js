// The benchmark page's worker (www/bench.js): training throughput of the CPU path on 1,
// 2 and all workers, through the page's own data-parallel code (www/worker-pool.js,
// replicas of www/replica-worker.js) with model A's architecture on synthetic data.
// Measures, asserts nothing. One request `{n, batches, workers, modelJson, weights}`,
// one answer: `{rows: [{workers, batch, images, imagesPerSecond, transport, timing}]}`
// (`timing`: where the fastest several-worker fit's steps spent their time, see
// worker-pool.js's `stepTiming`).
import init, * as tp from './pkg/transfer_playground.js';
import { ParallelRun, pool, setModule, sharedMemory } from './worker-pool.js';
import { compileEngine } from './wasm-url.js';

function data(n) {
  // The same fixed pseudo-random stream (xorshift) as bench.js.
  let s = 12345;
  const rand = () => ((s ^= s << 13, s ^= s >>> 17, s ^= s << 5) >>> 0) / 4294967296;
  return { x: new Float32Array(n * 784).map(rand), y: new Float32Array(n).map((_, i) => i % 8) };
}

/** One fit of `x` on `workers` workers, to the end, as the page runs one. */
async function fit(model, xs, ys, batch, workers) {
  const opts = { epochs: 1, batchSize: batch, seed: 1 };
  const run = workers > 1 ? await ParallelRun.start(pool(), model, xs, ys, opts, workers) : model.fit(xs, ys, { ...opts, backend: 'cpu' });
  while ((await run.step()).type !== 'done');
  return run;
}

self.onmessage = async (e) => {
  const { n, batches, workers, modelJson, weights, repeats = 3 } = e.data;
  try {
    const { module, build } = await compileEngine(new URL('./pkg/', import.meta.url));
    await init({ module_or_path: module });
    setModule(module);
    const { x, y } = data(n);
    const rows = [];
    await pool().ensure(Math.max(...workers) - 1);
    const xs = { data: x, shape: [n, 28, 28, 1] };
    const ys = { data: y, shape: [n] };
    for (const batch of batches) {
      // One model per worker count, warmed up; then the timed fits interleaved (1, 2, ...,
      // 1, 2, ...), so that a change in the machine's load touches every count alike.
      const models = new Map();
      for (const w of workers) {
        const m = tp.loadLayersModel(modelJson, weights);
        m.compile({ optimizer: 'sgd', learningRate: 0.01, momentum: 0.9, loss: 'sparseCategoricalCrossentropy' });
        await fit(m, { data: x.subarray(0, 128 * 784), shape: [128, 28, 28, 1] }, { data: y.subarray(0, 128), shape: [128] }, batch, w);
        models.set(w, { m, best: Infinity, transport: null, timing: null });
      }
      for (let r = 0; r < repeats; r++) {
        for (const w of workers) {
          const e = models.get(w);
          const t0 = performance.now();
          const run = await fit(e.m, xs, ys, batch, w);
          const ms = performance.now() - t0;
          if (ms < e.best && run.stepTiming) e.timing = await run.stepTiming();
          e.best = Math.min(e.best, ms);
          e.transport = run.transport || null;
          if ((run.workers || 1) !== w) throw new Error(`ran on ${run.workers} workers: ${JSON.stringify(run.workersFallback)}`);
        }
      }
      for (const w of workers) {
        const e = models.get(w);
        rows.push({ workers: w, batch, images: n, imagesPerSecond: n / (e.best / 1000), transport: e.transport, timing: e.timing });
      }
    }
    self.postMessage({ ok: true, rows, shared: sharedMemory(), build });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err?.message || err) });
  }
};
